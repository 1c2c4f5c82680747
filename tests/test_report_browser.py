"""The ``stats --html`` report in a real browser: Debian's headless Chromium.

The report must render offline with its charts drawn from the store's numbers.
Chromium dumps the DOM after the page has loaded and laid out; the report's one
inline script has then written, on each chart, how many bars the browser drew
with a size (``data-drawn-bars``). Without Chromium the test is skipped, unless
``DVK_REQUIRE_BROWSER=1`` (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dvk_crawl import extract_article
from dvk_crawl.cli.main import main
from dvk_crawl.store import open_store
from tests.conftest import load_fixture_cases

pytestmark = pytest.mark.slow  # a headless browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# (portal, published day or None) of the synthetic store: three portals, gaps between months.
ARTICLES = [
    *[("baohatinh", f"2023-08-{d:02d}") for d in (1, 4, 9)],
    ("baohatinh", "2023-11-20"),
    ("baohatinh", None),
    *[("quangngai", f"2023-09-{d:02d}") for d in (2, 3)],
    ("quangngai", "2024-01-15"),
    ("baoyenbai", "2023-08-30"),
]
RUNS = {
    "baohatinh": [
        ("20260101T000000000000Z", {"http_404": 2, "not_relevant": 5}),
        ("20260201T000000000000Z", {"duplicate_id": 4}),
    ],
    "quangngai": [("20260115T000000000000Z", {"empty": 3, "not_relevant": 1})],
}


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("DVK_REQUIRE_BROWSER") == "1":
            pytest.fail("DVK_REQUIRE_BROWSER=1 but Debian's chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found


def build_store(tmp_path: Path) -> str:
    seed = next(c for c in load_fixture_cases() if c.name == "cam-xuyen-1440-seed000")
    template = extract_article(seed.html, seed.meta["url"], fetched_at="2026-01-01T00:00:00+00:00").to_dict()
    records = [
        {
            **template,
            "id": f"{portal}:{n}",
            "portal": portal,
            "published_at": f"{day}T08:00:00+07:00" if day else None,
        }
        for n, (portal, day) in enumerate(ARTICLES)
    ]
    url = f"sqlite:///{tmp_path / 'dvk.sqlite'}"
    with open_store(url) as store:
        store.upsert_many(records)
        for spider, runs in RUNS.items():
            for name, dropped in runs:
                store.add_run(
                    {
                        "spider": spider,
                        "portal": spider,
                        "name": name,
                        "started_at": f"{name[:4]}-{name[4:6]}-{name[6:8]}T00:00:00+00:00",
                        "finished_at": f"{name[:4]}-{name[4:6]}-{name[6:8]}T00:10:00+00:00",
                        "finish_reason": "finished",
                        "summary": {"stored": 1, "dropped": dropped},
                    }
                )
    return url


class Charts(HTMLParser):
    """The chart elements of a dumped DOM: svg attributes and bars' data."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: dict[str, dict[str, str | None]] = {}
        self.bars: dict[str, list[dict[str, str | None]]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "svg" and attributes.get("id"):
            self.current = str(attributes["id"])
            self.svgs[self.current] = attributes
        elif tag == "rect" and "bar" in (attributes.get("class") or "") and self.current:
            self.bars.setdefault(self.current, []).append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.current = None


def report_in_browser(store_url: str, tmp_path: Path) -> str:
    """The DOM of the store's ``stats --html`` report after Chromium loaded and laid it out."""
    browser = chromium()
    report = tmp_path / "report.html"
    assert main(["stats", "--store", store_url, "--html", str(report)]) == 0
    dumped = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    return dumped.stdout


def test_report_renders_its_charts_with_the_stores_data(tmp_path: Path) -> None:
    chromium()
    charts = Charts()
    charts.feed(report_in_browser(build_store(tmp_path), tmp_path))

    months = charts.bars["articles-per-month"]
    expected_months = Counter((portal, day[:7]) for portal, day in ARTICLES if day)
    assert {(b["data-portal"], b["data-month"]): int(b["data-count"] or 0) for b in months} == expected_months
    assert len(months) == len(expected_months)

    drops = charts.bars["dropped-per-run"]
    expected_drops = {
        (spider, name, reason): n
        for spider, runs in RUNS.items()
        for name, dropped in runs
        for reason, n in dropped.items()
    }
    assert {
        (b["data-spider"], b["data-run"], b["data-reason"]): int(b["data-count"] or 0) for b in drops
    } == expected_drops

    # Laid out and drawn: every bar has a size on the page (written by the report's script in the browser).
    assert charts.svgs["articles-per-month"]["data-drawn-bars"] == str(len(expected_months))
    assert charts.svgs["dropped-per-run"]["data-drawn-bars"] == str(len(expected_drops))
    assert charts.svgs["articles-per-month"]["data-total"] == str(sum(expected_months.values()))
