"""Scheduled crawls: only what is new is downloaded, nothing is stored twice,
a paused crawl resumes, and two crawls of one portal never overlap."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dvk_crawl.extensions.runreport import find_alerts
from tests.conftest import ROOT, CrawlResult, feed_ids, run_crawl
from tests.test_earned_visits import dropped_once

SPIDER = "baohatinh"


def crawl(replicas: dict[str, str], workdir: Path, *args: str) -> CrawlResult:
    result = run_crawl(SPIDER, replicas[SPIDER], workdir, *args)
    assert result.returncode == 0, result.output[-3000:]
    return result


@pytest.mark.slow
def test_later_runs_download_only_discovery_pages(replicas: dict[str, str], tmp_path: Path) -> None:
    first = crawl(replicas, tmp_path)
    first_stats, unconfirmed = first.run_file()["stats"], dropped_once(first)
    # The second run fetches the pages dropped once again, to confirm (and a link redirected
    # to an article stored through another link, found stored now); the third none.
    assert crawl(replicas, tmp_path).run_file()["stats"].get("dvk/discovery/articles", 0) >= unconfirmed > 0
    stats = crawl(replicas, tmp_path).run_file()["stats"]
    assert stats.get("dvk/fetch/articles", 0) == 0
    robots = stats.get("robotstxt/request_count", 0)
    assert stats["downloader/request_count"] == stats["dvk/discovery/pages_requested"] + robots
    assert stats["dvk/discovery/pages_requested"] < first_stats["dvk/discovery/pages_requested"]
    assert stats["dvk/discovery/sitemaps_unchanged"] >= 1
    assert stats["dvk/discovery/paging_stopped_nothing_new"] >= 1


@pytest.mark.slow
def test_refresh_downloads_again_and_updates_in_place(replicas: dict[str, str], tmp_path: Path) -> None:
    first = crawl(replicas, tmp_path)
    first_fetched = first.run_file()["stats"]["dvk/fetch/articles"]
    before = {r["id"]: r["fetched_at"] for r in first.records()}
    time.sleep(1.1)  # fetched_at has whole seconds
    again = crawl(replicas, tmp_path, "-a", "refresh=1")
    after = {r["id"]: r["fetched_at"] for r in again.records()}
    assert again.run_file()["stats"]["dvk/fetch/articles"] == first_fetched
    assert set(after) == set(before) and all(after[i] > before[i] for i in before)


@pytest.mark.slow
def test_a_paused_crawl_resumes_from_jobdir_and_stores_each_article_once(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    jobdir = tmp_path / "job"
    one_at_a_time = ["-s", f"JOBDIR={jobdir}", "-s", "CONCURRENT_REQUESTS=1"]
    paused = crawl(replicas, tmp_path, *one_at_a_time, "-s", "CLOSESPIDER_ITEMCOUNT=2")
    assert paused.run_file()["finish_reason"] == "closespider_itemcount"
    assert 2 <= len(paused.records()) < 6
    resumed = crawl(replicas, tmp_path, *one_at_a_time)
    ids = [r["id"] for r in resumed.records()]
    complete = crawl(replicas, tmp_path / "uninterrupted")
    assert sorted(ids) == sorted(r["id"] for r in complete.records())
    assert len(ids) == len(set(ids))
    assert sorted(feed_ids(resumed.jsonl)) == sorted(ids)


@pytest.mark.slow
def test_a_second_crawl_of_the_same_portal_and_store_stops_at_once(replicas: dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "dvk.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(store), SPIDER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        blocked = run_crawl(SPIDER, replicas[SPIDER], tmp_path)
        assert blocked.returncode == 2
        assert f"another {SPIDER} crawl or a dvk-crawl reparse is running on sqlite:///{store}" in blocked.output
        assert time.monotonic() - started < 60 and not store.exists()
    finally:
        holder.kill()
        holder.communicate()
    assert crawl(replicas, tmp_path).returncode == 0  # the lock died with its holder


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from dvk_crawl.store.lock import sqlite_crawl_lock
lock = sqlite_crawl_lock(Path(sys.argv[1]).resolve(), sys.argv[2])
lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


def summary(fetched: int, empty: int) -> dict:
    return {"fetched": fetched, "dropped": {"empty": empty} if empty else {}}


@pytest.mark.parametrize(
    ("stats", "current", "previous", "expected"),
    [
        ({"dvk/discovery/article_links": 0, "dvk/discovery/pages_answered": 3}, summary(0, 0), [], ["no_articles"]),
        # No discovery page answered: the network or the portal is down, not its layout changed.
        ({"dvk/discovery/article_links": 0}, summary(0, 0), [], []),
        ({"dvk/discovery/article_links": 9}, summary(0, 0), [], []),
        ({"dvk/discovery/article_links": 9}, summary(10, 6), [{"summary": summary(10, 0)}], ["empty_pages_rose"]),
        ({"dvk/discovery/article_links": 9}, summary(10, 3), [{"summary": summary(10, 2)}], []),
        ({"dvk/discovery/article_links": 9}, summary(10, 1), [], []),
        # A first run whose pages are mostly empty: worth an alert, though nothing rose.
        ({"dvk/discovery/article_links": 9}, summary(10, 6), [], ["empty_pages_rose"]),
        # One empty page of four (a deleted article's empty portlet): no sign of a layout change.
        ({"dvk/discovery/article_links": 4}, summary(4, 1), [], []),
    ],
)
def test_alerts_flag_a_portal_that_probably_changed_its_layout(stats, current, previous, expected) -> None:
    assert [a.split(":")[0] for a in find_alerts(stats, current, previous)] == expected
