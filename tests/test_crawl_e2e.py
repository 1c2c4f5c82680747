"""``scrapy crawl <spider>`` end to end against each replica, as a user runs it.

Each replica site's ``expected.json`` names the ids a full crawl must store and
the pages it must drop, by reason; a second run must store nothing new, and a third
(once the second confirmed the drops) fetch no article page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.identity import identify
from dvk_crawl.portals import get_portal
from dvk_crawl.record import validate_record
from dvk_crawl.replica.server import SITES_DIR
from tests.conftest import CrawlResult, run_crawl
from tests.test_earned_visits import dropped_once

pytestmark = pytest.mark.slow  # every test reads the crawls of the replicas

SITES = sorted(p.parent.name for p in SITES_DIR.glob("*/expected.json"))
FORBIDDEN_IN_TEXT = ["Đọc thêm", "Tin mới", "Go top", "Thống kê truy cập", "Truy cập nội dung luôn", "Các tin khác"]


def expectations(site: str) -> dict[str, Any]:
    return json.loads((SITES_DIR / site / "expected.json").read_text(encoding="utf-8"))


def crawl(site: str, base_url: str, workdir: Path) -> CrawlResult:
    expected = expectations(site)
    arguments = [f"{k}={v}" for k, v in expected.get("arguments", {}).items()]
    result = run_crawl(expected["spider"], base_url, workdir, *[x for a in arguments for x in ("-a", a)])
    assert result.returncode == 0, result.output[-4000:]
    return result


@pytest.fixture(params=SITES, scope="module")
def first_run(request: pytest.FixtureRequest, replicas: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    site = request.param
    workdir = tmp_path_factory.mktemp(site)
    return site, replicas[site], workdir, crawl(site, replicas[site], workdir)


def test_stores_exactly_the_expected_articles(first_run) -> None:
    site, _, _, result = first_run
    stored = sorted(r["id"] for r in result.records())
    assert stored == sorted(expectations(site)["stored_ids"])


def test_every_stored_record_is_clean_and_valid(first_run) -> None:
    _, _, _, result = first_run
    for record in result.records():
        validate_record(record)
        assert record["relevant"] and record["language"] == "vi"
        assert not [noise for noise in FORBIDDEN_IN_TEXT if noise in record["text"]], record["id"]
        assert record["title"] not in record["text"].split("\n\n"), record["id"]


def test_copies_are_stored_and_linked_to_the_first_seen(first_run) -> None:
    site, _, _, result = first_run
    records = {r["id"]: r for r in result.records()}
    pairs = [tuple(p) for p in expectations(site).get("duplicate_pairs", [])]
    for a, b in pairs:
        assert (records[a]["duplicate_of"], records[b]["duplicate_of"]) in {(b, None), (None, a)}, (a, b)
    linked = {r["id"] for r in records.values() if r["duplicate_of"]}
    assert len(linked) == len(pairs)


def test_drops_are_counted_by_reason_in_the_run_file(first_run) -> None:
    site, _, _, result = first_run
    summary = result.run_file()["summary"]
    for reason, count in expectations(site)["dropped"].items():
        assert summary["dropped"].get(reason) == count, (reason, summary)
    assert summary["stored"] == len(expectations(site)["stored_ids"])


def test_jsonl_feed_holds_the_stored_articles(first_run) -> None:
    _, _, _, result = first_run
    fed = [json.loads(line) for line in result.jsonl.read_text(encoding="utf-8").splitlines()]
    # A log of the store: an id is there again only when a re-root changed its copy link.
    assert {line["id"]: line for line in fed} == {r["id"]: r for r in result.records()}
    last = {line["id"]: line for line in fed}
    twice = {i for i in last if sum(line["id"] == i for line in fed) > 1}
    assert all(last[i]["duplicate_of"] for i in twice), twice


def test_second_run_stores_nothing_new_and_a_third_fetches_no_article(first_run) -> None:
    site, base_url, workdir, result = first_run
    before = {r["id"]: r["fetched_at"] for r in result.records()}
    fetched_again = dropped_once(result)
    again = crawl(site, base_url, workdir)
    assert again.run_file()["summary"]["stored"] == 0
    assert {r["id"]: r["fetched_at"] for r in again.records()} == before
    # A page dropped once is fetched once more, to confirm: a first answer proves little.
    assert again.run_file()["stats"].get("dvk/discovery/articles", 0) >= fetched_again
    stats = crawl(site, base_url, workdir).run_file()["stats"]
    # Only discovery pages (and robots.txt) are downloaded: no article page again.
    assert stats.get("dvk/fetch/articles", 0) == 0
    # (At most: Scrapy's dupefilter drops discovery requests that map to one replica URL.)
    assert stats["downloader/request_count"] <= stats["dvk/discovery/pages_requested"] + stats.get(
        "robotstxt/request_count", 0
    )


def test_date_window_keeps_only_articles_published_inside_it(replicas: dict[str, str], tmp_path: Path) -> None:
    """Undated articles are kept: nothing says they fall outside the window."""
    everything = crawl("baohatinh", replicas["baohatinh"], tmp_path / "all").records()
    inside = sorted(r["id"] for r in everything if r["published_at"] is None or r["published_at"].startswith("2023-08"))
    result = run_crawl(
        "baohatinh", replicas["baohatinh"], tmp_path / "window", "-a", "since=2023-08-01", "-a", "until=2023-08-31"
    )
    assert result.returncode == 0, result.output[-3000:]
    assert sorted(r["id"] for r in result.records()) == inside
    assert 0 < len(inside) < len(everything)
    assert result.run_file()["stats"]["dvk/discovery/sitemaps_skipped_by_date"] >= 2


@pytest.mark.parametrize("site", SITES)
def test_targeted_discovery_fetches_only_links_with_evidence(
    site: str, replicas: dict[str, str], tmp_path: Path
) -> None:
    """The default mode: each replica's links without evidence (``expected.json``'s ``targeted``)
    are listed in the run file, counted, and never fetched; the rest is stored as exhaustively."""
    expected = expectations(site)
    arguments = {**expected.get("arguments", {}), "discovery": "targeted"}
    result = run_crawl(
        expected["spider"], replicas[site], tmp_path, *[x for k, v in arguments.items() for x in ("-a", f"{k}={v}")]
    )
    assert result.returncode == 0, result.output[-4000:]
    run, skipped = result.run_file(), set(expected["targeted"]["skipped_ids"])
    assert sorted(r["id"] for r in result.records()) == sorted(set(expected["stored_ids"]) - skipped)
    report = run["discovery"]["skipped_no_evidence"]
    listed = [url for source in report["by_source"].values() for url in source["urls"]]
    portal = get_portal(expected["spider"])
    assert {identify(portal, url).id for url in listed} == skipped  # type: ignore[union-attr]
    assert report["count"] == len(skipped) == run["stats"].get("dvk/discovery/skipped_no_evidence", 0)
    assert run["discovery"]["mode"] == "targeted" and "none" not in run["discovery"]["evidence"]
    assert f"skipped {len(skipped)} links without evidence" in result.output or not skipped
