"""Every benchmark of ``bench/`` runs, on tiny sizes. No timing is asserted here:
performance numbers belong to ``make bench`` and ``docs/benchmarks.md``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import crawl, dedup, extraction, figures, kill_soak, recrawl, reparse, store
from bench.pages import generate, templates
from bench.site import build_site
from dvk_crawl.extract import extract_article
from dvk_crawl.portals.registry import PORTALS


def test_generated_pages_cover_every_portal_and_extract_to_their_new_body() -> None:
    assert {t.portal for t in templates()} == set(PORTALS)
    pages = list(generate(2 * len(PORTALS)))  # round-robin: every portal twice
    assert {p.portal for p in pages} == set(PORTALS)
    texts = [extract_article(p.html, p.url, p.portal).text for p in pages]
    assert all("mô hình “dân vận khéo”" in text for text in texts)
    assert len(set(texts)) == len(texts)


def test_the_synthetic_site_lists_every_article_in_its_sitemaps(tmp_path: Path) -> None:
    site = build_site(tmp_path, articles=25)
    routes = json.loads((site / "routes.json").read_text(encoding="utf-8"))
    articles = [path for path in routes if path.endswith(".html") and "-post" in path]
    sitemaps = "".join((site / routes[p]["file"]).read_text(encoding="utf-8") for p in routes if "/sitemaps/" in p)
    assert len(articles) == 25 and all(path in sitemaps for path in articles)


@pytest.mark.slow
def test_extraction_and_crawl_benchmarks_run() -> None:
    assert extraction.run(pages=5, repeats=1)["pages"] == 5
    result = crawl.run(articles=5, repeats=1)
    assert result["median_run"]["stored"] == 5 and result["median_run"]["dropped"] == {}


def test_dedup_and_store_benchmarks_run() -> None:
    marks = dedup.run((10, 20))["marks"]
    assert sum(marks["20"]["outcomes"].values()) == 20
    assert store.run(count=20, repeats=1)["stores"]["sqlite"]["articles_per_second"]["runs"] == 1


def test_recrawl_names_what_each_request_was_for() -> None:
    assert recrawl.classify("http://127.0.0.1:1/robots.txt") == "robots"
    assert recrawl.classify("http://127.0.0.1:1/rss/11.rss") == "feed"
    assert recrawl.classify("http://127.0.0.1:1/sitemaps/news-2025-9.xml") == "sitemap"
    assert recrawl.classify("http://127.0.0.1:1/tim-kiem/?q=d%C3%A2n") == "search"
    assert recrawl.classify("http://127.0.0.1:1/dan-van-kheo-tag4017.html?page=2") == "listing p2"


def test_figures_benchmark_runs() -> None:
    result = figures.run(pages=5)
    assert result["articles"] > 5 and result["figures"] > 0


@pytest.mark.slow
def test_the_kill_soak_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """``make soak-big``'s 100 SIGKILLs, with two: each lands, and nothing is lost or duplicated."""
    assert kill_soak.main(["--kills", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "2 SIGKILLs with restarts: 2 landed, the rest finished first; "
        "articles lost 0, duplicated 0, mis-rooted 0; 0 invariants broken"
    )


def test_reparse_benchmark_runs_and_stores_every_generated_page() -> None:
    result = reparse.run(pages=10, repeat=1, workers=1)
    assert result["records_stored"] == 10
    assert result["unchanged"]["summary"].endswith(": 0 records changed, 10 unchanged")
    assert result["changed"]["summary"].endswith(": 10 records changed, 0 unchanged")
    assert {result[mode]["exit_codes"][0] for mode in ("unchanged", "dry_run", "changed")} == {0}
