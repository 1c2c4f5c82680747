"""Runs that tell the truth: which runs count as complete, and what the exit code says.

Only a complete run (finished, every discovery page answered) lets later runs skip
unchanged sitemaps or stop paging at a page with nothing new; an offline hour, a
Ctrl-C or a crash never does. A run that did not do its work exits non-zero with one
line; a finished ``JOBDIR`` stops at once (``docs/reliability.md``).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from dvk_crawl.extensions.runreport import (
    RunReport,
    discovery_outcome,
    find_alerts,
    incomplete_because,
    start_points_failure,
)
from dvk_crawl.replica import serve
from dvk_crawl.spiders import spider_class
from dvk_crawl.store import ArticleStore, crawler_store
from tests.conftest import ROOT, CrawlResult, crawl_command, run_crawl
from tests.test_spider_discovery import SITE, make_spider, requested, stat
from tests.test_store_backends import record, store, store_url  # noqa: F401  (fixtures: both stores)

BaohatinhSpider = spider_class("baohatinh")

SPIDER = "baohatinh"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused
FAILED_LINE = re.compile(
    r"^baohatinh: (\d+) of \1 start points failed \(connection_refused\): is the network up\?$", re.MULTILINE
)


def last_line(result: CrawlResult) -> str:
    return result.output.strip().splitlines()[-1]


@pytest.mark.slow
def test_an_unreachable_portal_exits_1_with_one_line_and_no_layout_alert(tmp_path: Path) -> None:
    result = run_crawl(SPIDER, UNREACHABLE, tmp_path)
    assert result.returncode == 1, result.output[-3000:]
    assert FAILED_LINE.match(last_line(result)), last_line(result)
    run = result.run_file()
    assert run["complete"] is False
    assert run["discovery"]["start_points_failed"] == {"connection_refused": run["discovery"]["start_points"]}
    alerts = [alert.split(":")[0] for alert in run["summary"]["alerts"]]
    assert alerts == ["start_points_failed"]


@pytest.mark.slow
def test_an_offline_run_never_makes_the_next_run_skip_sitemaps(replicas: dict[str, str], tmp_path: Path) -> None:
    assert run_crawl(SPIDER, UNREACHABLE, tmp_path).returncode == 1
    after_outage = run_crawl(SPIDER, replicas[SPIDER], tmp_path)
    assert after_outage.returncode == 0, after_outage.output[-3000:]
    assert after_outage.run_file()["stats"].get("dvk/discovery/sitemaps_unchanged", 0) == 0
    uninterrupted = run_crawl(SPIDER, replicas[SPIDER], tmp_path / "uninterrupted")
    assert {r["id"] for r in after_outage.records()} == {r["id"] for r in uninterrupted.records()}
    assert after_outage.run_file()["complete"] is True


@pytest.mark.slow
def test_a_crawl_of_the_live_portal_never_leaves_the_machine_in_tests(tmp_path: Path) -> None:
    """conftest's proxy on the discard port: without base_url the crawl asks baohatinh.vn itself,
    and is refused on loopback (offline it would be dns_error; online, the portal would answer)."""
    command = [
        sys.executable, "-m", "scrapy", "crawl", SPIDER, "-s", f"DVK_STORE_URL=sqlite:///{tmp_path}/dvk.sqlite",
        "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert FAILED_LINE.match(result.stderr.strip().splitlines()[-1]), result.stderr[-3000:]
    assert "Crawled (" not in result.stderr


@pytest.mark.slow
def test_an_offline_re_run_fails_although_its_discovery_pages_are_kept(tmp_path: Path) -> None:
    """The HTTP cache keeps the feed, sitemaps and listings to ask "changed?" next time; when
    the portal does not answer, the kept copies must not stand in for it (Scrapy's error recovery)."""
    with serve(SPIDER) as urls:
        first = run_crawl(SPIDER, urls[SPIDER], tmp_path)
        assert first.returncode == 0, first.output[-3000:]
    offline = run_crawl(SPIDER, urls[SPIDER], tmp_path, "-s", "RETRY_TIMES=0")
    assert offline.returncode == 1, offline.output[-3000:]
    assert FAILED_LINE.match(last_line(offline)), last_line(offline)
    run = offline.run_file()
    assert run["complete"] is False and not run["stats"].get("httpcache/errorrecovery")


@pytest.mark.slow
def test_a_complete_run_lets_the_next_one_skip_unchanged_sitemaps(replicas: dict[str, str], tmp_path: Path) -> None:
    assert run_crawl(SPIDER, replicas[SPIDER], tmp_path).run_file()["complete"] is True
    again = run_crawl(SPIDER, replicas[SPIDER], tmp_path)
    assert again.returncode == 0
    assert again.run_file()["stats"]["dvk/discovery/sitemaps_unchanged"] >= 1


# -- listing paging after a partial run ----------------------------------------------------

TAG_PAGE = SITE / "pages" / "tag" / "dan-van-kheo-tag4017.html"
TAG_URL = "https://baohatinh.vn/dan-van-kheo-tag4017.html"


def tag_page_ids(spider: BaohatinhSpider) -> set[str]:
    page = HtmlResponse(url=TAG_URL, body=TAG_PAGE.read_bytes(), encoding="utf-8", request=Request(TAG_URL))
    return {f"baohatinh:{spider.portal.article_key(link)}" for link, _ in spider.listings.items(page)}


def parse_tag_page(spider: BaohatinhSpider) -> list[str]:
    page = HtmlResponse(url=TAG_URL, body=TAG_PAGE.read_bytes(), encoding="utf-8", request=Request(TAG_URL))
    return requested(spider.parse_listing(page, page=1))


def test_page_one_stored_by_a_killed_run_does_not_stop_paging() -> None:
    # A run stored page 1's articles and was killed before page 2: they are seen, but no complete run knew them.
    spider = make_spider()
    spider.seen_ids = tag_page_ids(spider)
    assert f"{TAG_URL}?page=2" in parse_tag_page(spider)
    assert stat(spider, "discovery/paging_stopped_nothing_new") == 0


def test_page_one_known_to_a_complete_run_stops_paging() -> None:
    spider = make_spider()
    spider.seen_ids = spider.known_to_complete_run = tag_page_ids(spider)
    assert parse_tag_page(spider) == []
    assert stat(spider, "discovery/paging_stopped_nothing_new") == 1


def test_the_store_tells_what_was_seen_by_a_moment(store: ArticleStore) -> None:  # noqa: F811
    store.upsert_many([record("a:1")])
    store.add_visit("a:2", "a", "http_404", "https://a.vn/2", final=True)
    stored_at = next(iter(store.dump_rows("articles")))["stored_at"]
    assert store.seen_ids("a", before="2000-01-01T00:00:00+00:00") == set()
    assert store.seen_ids("a", before=stored_at) >= {"a:1"}  # the moment itself counts
    assert store.seen_ids("a", before="2999-01-01T00:00:00+00:00") == store.seen_ids("a") == {"a:1", "a:2"}


class RunHistory:
    """A store's run history and ids, as ``load_crawl_state`` reads them."""

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.runs = runs
        self.asked_before: list[str | None] = []

    def seen_ids(self, portal: str, before: str | None = None) -> set[str]:
        self.asked_before.append(before)
        return {"baohatinh:1"}

    def last_runs(self, spider: str, limit: int = 10) -> list[dict[str, Any]]:
        return self.runs

    def unconfirmed_visits(self, portal: str) -> dict[str, str]:
        return {}


# What the discovery of make_spider() depends on (its start points and keywords).
FINGERPRINT = make_spider().discovery_fingerprint


def run(complete: bool | None, started: str, fingerprint: str = FINGERPRINT, **arguments: str) -> dict[str, Any]:
    record = {
        "finish_reason": "finished",
        "started_at": started,
        "finished_at": started,
        "arguments": arguments,
        "discovery": {"fingerprint": fingerprint},
    }
    return record if complete is None else {**record, "complete": complete}


@pytest.mark.parametrize(
    ("runs", "trusted"),
    [
        ([run(False, "2026-01-03T00:00:00+00:00"), run(True, "2026-01-02T00:00:00+00:00")], "2026-01-02"),
        (
            [run(True, "2026-01-03T00:00:00+00:00", since="2026-01-01"), run(True, "2026-01-01T00:00:00+00:00")],
            "2026-01-01",
        ),
        ([run(True, "2026-01-03T00:00:00+00:00", source="archive")], None),
        ([run(True, "2026-01-03T00:00:00+00:00", base_url="http://127.0.0.1:1")], None),
        # Another keyword list or portal file, or a run recorded before runs named theirs.
        ([run(True, "2026-01-03T00:00:00+00:00", fingerprint="sha256:other")], None),
        # A run recorded before runs knew whether they were complete ("finished" alone said nothing).
        ([run(None, "2026-01-03T00:00:00+00:00")], None),
        ([], None),
    ],
)
def test_only_an_earlier_complete_run_of_the_same_discovery_is_trusted(runs, trusted) -> None:
    spider = make_spider()
    history = RunHistory(runs)
    spider.load_crawl_state(history)  # type: ignore[arg-type]
    assert spider.seen_ids == {"baohatinh:1"}
    if trusted is None:
        assert spider.unchanged_before is None and spider.known_to_complete_run == set()
    else:
        assert spider.unchanged_before is not None and spider.unchanged_before.date().isoformat() < trusted
        assert history.asked_before == [None, f"{trusted}T00:00:00+00:00"]


# -- alerts --------------------------------------------------------------------------------


def test_the_layout_alert_needs_discovery_pages_that_answered() -> None:
    summary = {"fetched": 0, "dropped": {}}
    offline = {"dvk/discovery/start_points": 2, "dvk/discovery/start_points_failed/dns_error": 2}
    answered = {"dvk/discovery/start_points": 2, "dvk/discovery/pages_answered": 2}
    assert find_alerts(offline, summary, []) == [
        "start_points_failed: 2 of 2 start points failed (dns_error): is the network up?"
    ]
    assert [a.split(":")[0] for a in find_alerts(answered, summary, [])] == ["no_articles"]


@pytest.mark.parametrize(
    ("reason", "counts", "because"),
    [
        ("finished", {"start_points": 2, "start_points_answered": 2, "pages_answered": 5}, None),
        ("finished", {"start_points": 2, "start_points_answered": 2, "pages_failed": 1}, "1 discovery pages failed"),
        ("finished", {"start_points": 2, "start_points_answered": 1}, "1 start points were not fetched by this run"),
        ("finished", {}, "no start point was requested"),
        ("shutdown", {"start_points": 2, "start_points_answered": 2}, "finish reason shutdown"),
        ("closespider_itemcount", {"start_points": 2, "start_points_answered": 2}, "finish reason closespider"),
    ],
)
def test_a_run_is_complete_only_when_finished_with_every_discovery_page_answered(reason, counts, because) -> None:
    outcome = discovery_outcome({f"dvk/discovery/{name}": n for name, n in counts.items()})
    found = incomplete_because(reason, outcome)
    assert found == because if because is None else found is not None and found.startswith(because)


def test_article_pages_that_failed_on_the_way_leave_the_run_incomplete() -> None:
    """Nothing remembers them but discovery: a next run trusting this one would skip the
    unchanged sitemap that lists them, and paging would stop before their page."""
    answered = {"dvk/discovery/start_points": 2, "dvk/discovery/start_points_answered": 2}
    failed = {**answered, "dvk/dropped/timeout": 2, "dvk/dropped/http_503": 1, "dvk/dropped/http_404": 1}
    because = incomplete_because("finished", discovery_outcome(failed))
    assert because == "3 pages failed (http_503=1, timeout=2); the next run looks for them again"
    # A 403 (a firewall's one-off), a parser error, a sitemap that did not parse: no visit
    # remembers them either.
    for reason in ("http_403", "parser_error", "bad_sitemap", "too_large"):
        outcome = discovery_outcome({**answered, f"dvk/dropped/{reason}": 1})
        assert (
            incomplete_because("finished", outcome) == f"1 pages failed ({reason}=1); the next run looks for them again"
        )
    # A visit remembers a 404 (rechecked next run); the others leave nothing to fetch again.
    settled = ("http_404", "not_relevant", "duplicate_id", "outside_window", "older_than_stored", "offsite_redirect")
    stats = {**answered, **{f"dvk/dropped/{reason}": 1 for reason in settled}}
    assert incomplete_because("finished", discovery_outcome(stats)) is None


def test_pages_dropped_once_are_fetched_again_to_confirm_wherever_discovery_stops(tmp_path: Path) -> None:
    spider = make_spider({"DVK_STORE_URL": f"sqlite:///{tmp_path}/dvk.sqlite"})
    visits = crawler_store(spider.crawler)
    visits.add_visit("baohatinh:7", "baohatinh", "http_404", "https://baohatinh.vn/tin-le-post7.html")
    visits.add_visit("baohatinh:8", "baohatinh", "not_relevant", "https://baohatinh.vn/lua-post8.html", final=True)
    spider.load_crawl_state(visits)
    requests = [(r.url, r.meta["dvk_evidence"]) for r in spider.recheck_requests()]
    assert requests == [("https://baohatinh.vn/tin-le-post7.html", "recheck")]
    assert list(spider.recheck_requests()) == []  # requested once per run


def test_start_points_that_all_answered_404_name_the_portal_file_to_check() -> None:
    stats = {"dvk/discovery/start_points": 3, "dvk/discovery/start_points_failed/http_404": 3}
    outcome = {"portal": "quangtri", **discovery_outcome(stats)}
    assert start_points_failure(outcome) == (
        "3 of 3 start points failed (http_404): did the portal move its pages (seeds/portals/quangtri.toml)?"
    )


def test_a_run_file_that_cannot_be_written_is_a_failure_and_not_complete(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    crawler = get_crawler(BaohatinhSpider, settings_dict={"DVK_RUNS_DIR": str(blocker / "runs")})
    crawler.stats.open_spider()
    crawler.stats.set_value("dvk/discovery/start_points", 1)
    crawler.stats.set_value("dvk/discovery/start_points_answered", 1)
    crawler.stats.set_value("dvk/discovery/pages_answered", 1)
    report = RunReport(crawler)
    recorded: list[dict[str, Any]] = []
    report.record_in_store = recorded.append  # type: ignore[method-assign]
    report.spider_closed(make_spider(), "finished")
    assert crawler.stats.get_value("dvk/run/failure").startswith("run file not written: ")
    assert recorded[0]["complete"] is False


# -- exit codes of scrapy crawl ------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.slow
def test_an_interrupted_crawl_exits_1_with_one_line(replicas: dict[str, str], tmp_path: Path, signum) -> None:
    # One request at a time, 2 s apart, keeps the crawl going (about a minute) until the signal,
    # sent after the first download; a graceful stop waits for at most the one request in flight.
    slow = ["-s", "DOWNLOAD_DELAY=2", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=DEBUG"]
    command = crawl_command(SPIDER, replicas[SPIDER], tmp_path, *slow)
    crawl = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert crawl.stderr is not None
    lines = []
    try:
        for line in crawl.stderr:
            lines.append(line)
            if "Crawled (200)" in line:
                crawl.send_signal(signum)
                break
        rest = crawl.communicate(timeout=120)[1]
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.communicate()
    output = "".join(lines) + rest
    assert crawl.returncode == 1, output[-3000:]
    assert output.strip().splitlines()[-1] == (
        "baohatinh: interrupted (finish reason shutdown); run the same command again to go on"
    )
    runs = sorted((tmp_path / "runs").glob("*/*.json"))
    assert runs and '"complete": false' in runs[-1].read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_finished_jobdir_stops_at_once_and_a_paused_one_resumes(replicas: dict[str, str], tmp_path: Path) -> None:
    jobdir = ["-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=1"]
    paused = run_crawl(SPIDER, replicas[SPIDER], tmp_path, *jobdir, "-s", "CLOSESPIDER_ITEMCOUNT=1")
    assert paused.returncode == 0 and paused.run_file()["complete"] is False
    resumed = run_crawl(SPIDER, replicas[SPIDER], tmp_path, *jobdir)
    assert resumed.returncode == 0, resumed.output[-3000:]
    # Its start points were fetched by the paused part: the resumed run alone does not count.
    assert resumed.run_file()["complete"] is False
    runs_before = sorted((tmp_path / "runs").glob("*/*.json"))
    again = run_crawl(SPIDER, replicas[SPIDER], tmp_path, *jobdir)
    assert again.returncode == 2
    errors = [line for line in again.output.splitlines() if "error:" in line]
    assert len(errors) == 1 and f"the job in JOBDIR={tmp_path / 'job'} has finished" in errors[0]
    assert "give a new JOBDIR or remove" in errors[0] and "Traceback" not in again.output
    assert sorted((tmp_path / "runs").glob("*/*.json")) == runs_before


@pytest.mark.slow
def test_a_job_interrupted_before_it_queued_anything_resumes(replicas: dict[str, str], tmp_path: Path) -> None:
    """Ctrl-C in the first second leaves what a drained queue leaves (requests seen, no queue
    listed), but the job never finished: the same command must go on, not refuse."""
    job = tmp_path / "job"
    (job / "requests.queue").mkdir(parents=True)
    (job / "requests.seen").write_text("0123456789abcdef0123456789abcdef01234567\n", encoding="utf-8")
    (job / "requests.queue" / "active.json").write_text("[]", encoding="utf-8")
    resumed = run_crawl(SPIDER, replicas[SPIDER], tmp_path, "-s", f"JOBDIR={job}")
    assert resumed.returncode == 0, resumed.output[-3000:]
    assert resumed.records(), "the resumed job crawled"
    assert (job / "dvk-job-finished").is_file()  # now it has finished, and says so
