"""Recovery from more than one archive at their real limits: budgets, 429s, Common Crawl.

Offline: the archives are the loopback fakes of :mod:`dvk_crawl.replica.wayback` and
:mod:`dvk_crawl.replica.commoncrawl`, built from the same replica pages. Pauses are
checked as the delays the middleware gives the download slots, never by waiting.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

import pytest
from scrapy.core.downloader import Slot
from scrapy.http import Request, Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dvk_crawl.archive.budget import parse_archives
from dvk_crawl.archive.capture import Capture, captures_to_try, replay_url
from dvk_crawl.archive.cdx import CdxError
from dvk_crawl.archive.commoncrawl import (
    Crawl,
    IndexQuery,
    byte_range,
    choose_crawls,
    parse_collinfo,
    parse_index_page,
    parse_num_pages,
    read_warc_response,
)
from dvk_crawl.downloadermiddlewares.archive_backoff import ArchiveBackoffMiddleware, ArchiveStopped
from dvk_crawl.extensions.runreport import incomplete_because, run_failure, summarize
from dvk_crawl.failures import failure_reason
from dvk_crawl.outcomes import is_transient
from dvk_crawl.record import Article, validate_record
from dvk_crawl.replica.commoncrawl import NO_FAULTS as CC_NO_FAULTS
from dvk_crawl.replica.commoncrawl import CommonCrawlFaults, CommonCrawlServer, serve_commoncrawl
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.replica.wayback import WaybackFaults, WaybackServer, serve_wayback
from dvk_crawl.spiders import spider_class
from tests.test_archive import UNPACED, A, B, C, archive_crawl

QuangtriSpider = spider_class("quangtri")
CDX, CAPTURES, CC_INDEX, CC_DATA = (
    "dvk-wayback-cdx",
    "dvk-wayback-captures",
    "dvk-commoncrawl-index",
    "dvk-commoncrawl-data",
)


def archive_request(slot: str, archive: str) -> Request:
    return Request(f"http://archive/{slot}", meta={"download_slot": slot, "dvk_archive": archive})


def answer(request: Request, status: int, **headers: str) -> Response:
    return Response(request.url, status=status, headers=headers, request=request)


# -- budgets ------------------------------------------------------------------------


def test_each_archive_budget_is_a_slot_paced_by_its_own_rate(tmp_path: Path) -> None:
    store = {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"}
    slots = get_crawler(QuangtriSpider, store).settings.getdict("DOWNLOAD_SLOTS")
    # 24 CDX requests a minute (80 % of the Wayback Machine's 30), replays on their own budget.
    assert {name: slots[name]["delay"] for name in (CDX, CAPTURES, CC_INDEX, CC_DATA)} == {
        CDX: 2.5,
        CAPTURES: 0.5,
        CC_INDEX: 3.0,
        CC_DATA: 1.0,
    }
    assert all(slots[name]["jitter"] == 0 for name in (CDX, CAPTURES, CC_INDEX, CC_DATA))
    custom = {**store, "DVK_WAYBACK_CDX_PER_MINUTE": 12, "DVK_COMMONCRAWL_DATA_PER_MINUTE": 0}
    slots = get_crawler(QuangtriSpider, custom).settings.getdict("DOWNLOAD_SLOTS")
    assert (slots[CDX]["delay"], slots[CC_DATA]["delay"], slots[CAPTURES]["delay"]) == (5.0, 0.0, 0.5)


def test_every_archive_request_names_its_budget(tmp_path: Path) -> None:
    settings = {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"}
    spider = QuangtriSpider.from_crawler(get_crawler(QuangtriSpider, settings), sites="trieuphong", source="archive")
    archive = spider.archive
    assert archive.archives == ("wayback", "commoncrawl")  # the default: both, the Wayback Machine first
    assert {"web.archive.org", "index.commoncrawl.org", "data.commoncrawl.org"} <= set(spider.allowed_domains)
    cdx = archive.cdx_request("https://trieuphong.quangtri.gov.vn")
    index = archive.index_request("https://index.commoncrawl.org/collinfo.json", "collinfo")
    wayback = archive.capture_request("k", [Capture("20231015021500", "https://trieuphong.quangtri.gov.vn/a")])
    record = Capture("20240525081500", "https://trieuphong.quangtri.gov.vn/a", "commoncrawl", "CC-MAIN-2024-22")
    ranged = archive.capture_request(
        "k", [Capture(record.timestamp, record.original, "commoncrawl", "c", ("f.warc.gz", 100, 50))]
    )
    assert [r.meta["download_slot"] for r in (cdx, index, wayback, ranged)] == [CDX, CC_INDEX, CAPTURES, CC_DATA]
    assert [r.meta["dvk_archive"] for r in (cdx, index, wayback, ranged)] == [
        "wayback",
        "commoncrawl",
        "wayback",
        "commoncrawl",
    ]
    assert ranged.url == "https://data.commoncrawl.org/f.warc.gz" and ranged.headers[b"Range"] == b"bytes=100-149"
    assert ranged.dont_filter  # many records share one file: the range is not in the fingerprint
    assert all(r.meta["autothrottle_dont_adjust_delay"] for r in (cdx, index, wayback, ranged))


# -- 429s ---------------------------------------------------------------------------


def test_a_429_without_retry_after_pauses_its_budget_only_doubling_while_they_go_on() -> None:
    stats = MemoryStatsCollector(get_crawler())
    slots = {CDX: Slot(1, 2.5, 0), CAPTURES: Slot(1, 0.5, 0)}
    middleware = ArchiveBackoffMiddleware(stats, lambda: slots, backoff_seconds=60.0, max_backoffs=3)
    cdx = archive_request(CDX, "wayback")
    refused = answer(cdx, 429)
    assert middleware.process_response(cdx, refused) is refused  # RetryMiddleware retries it
    assert (slots[CDX].delay, slots[CAPTURES].delay) == (60.0, 0.5)
    middleware.process_response(cdx, answer(cdx, 429))
    assert slots[CDX].delay == 120.0
    middleware.process_response(cdx, answer(cdx, 200))
    assert slots[CDX].delay == 2.5 and stats.get_value(f"dvk/archive/backoffs/{CDX}") == 2
    middleware.process_response(cdx, answer(cdx, 429))  # the count starts again after a good answer
    assert slots[CDX].delay == 60.0 and not middleware.stopped
    middleware.process_response(cdx, answer(cdx, 503, **{"Retry-After": "7"}))  # an asked wait is kept
    assert slots[CDX].delay == 60.0 and stats.get_value("dvk/archive/retry_after") == 1


def test_repeated_429s_stop_that_archive_with_one_line_and_fail_what_it_holds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = MemoryStatsCollector(get_crawler())
    slots = {CDX: Slot(1, 2.5, 0), CAPTURES: Slot(1, 0.5, 0), CC_INDEX: Slot(1, 3.0, 0)}
    queued = {name: (Request(f"http://archive/{name}/queued"), Deferred[Response]()) for name in slots}
    for name, pair in queued.items():
        slots[name].queue.append(pair)
    failed: dict[str, Failure] = {}
    for name, (_, deferred) in queued.items():
        deferred.addErrback(lambda failure, name=name: failed.setdefault(name, failure))
    middleware = ArchiveBackoffMiddleware(stats, lambda: slots, backoff_seconds=60.0, max_backoffs=3)
    cdx = archive_request(CDX, "wayback")
    with caplog.at_level(logging.WARNING):
        middleware.process_response(cdx, answer(cdx, 429))
        middleware.process_response(cdx, answer(cdx, 429))
        with pytest.raises(ArchiveStopped):  # the third is not retried
            middleware.process_response(cdx, answer(cdx, 429))
    lines = [r.getMessage() for r in caplog.records if "stopped" in r.getMessage()]
    assert lines == [
        "archive wayback stopped for this run after 3 consecutive 429 answers in its budget dvk-wayback-cdx;"
        " the run is incomplete"
    ]
    assert stats.get_value("dvk/archive/stopped/wayback") == "3 consecutive 429 answers in its budget dvk-wayback-cdx"
    # What the Wayback Machine's budgets held is failed unsent; Common Crawl's goes on.
    assert sorted(failed) == [CAPTURES, CDX] and not slots[CDX].queue and len(slots[CC_INDEX].queue) == 1
    assert failure_reason(failed[CAPTURES]) == "archive_stopped" and is_transient("archive_stopped")
    with pytest.raises(ArchiveStopped):
        middleware.process_request(archive_request(CAPTURES, "wayback"))
    assert middleware.process_request(archive_request(CC_INDEX, "commoncrawl")) is None
    assert stats.get_value("dvk/archive/not_sent/wayback") == 3


def test_a_stopped_archive_makes_the_run_incomplete_and_all_stopped_a_failure() -> None:
    outcome = {"start_points": 2, "start_points_answered": 2, "pages_failed": 0, "start_points_failed": {}}
    stopped = {"wayback": "3 consecutive 429 answers in its budget dvk-wayback-cdx"}
    one = {**outcome, "archives": ["wayback", "commoncrawl"], "archives_stopped": stopped}
    assert incomplete_because("finished", one) == f"archive wayback stopped ({stopped['wayback']})"
    assert run_failure("finished", one) is None  # Common Crawl still gave what it had
    every = {**one, "archives": ["wayback"]}
    assert run_failure("finished", every) == f"every archive stopped: wayback after {stopped['wayback']}"
    assert incomplete_because("finished", {**outcome, "archives": ["wayback"], "archives_stopped": {}}) is None
    stats = {"dvk/archive/articles/wayback": 2, "dvk/archive/articles/commoncrawl": 1}
    assert summarize(stats)["archives"] == {"commoncrawl": 1, "wayback": 2}


# -- choosing archives and captures -------------------------------------------------


def test_archives_are_named_in_order_of_preference(tmp_path: Path) -> None:
    assert parse_archives(None) == ("wayback", "commoncrawl")
    assert parse_archives("commoncrawl, wayback,commoncrawl") == ("commoncrawl", "wayback")
    with pytest.raises(ValueError, match=r"unknown archive\(s\) ia; use wayback,commoncrawl"):
        parse_archives("wayback,ia")
    settings = {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"}
    for arguments, message in (
        ({"source": "archive", "archives": "ia"}, "archives=ia: unknown archive(s) ia"),
        ({"archives": "wayback"}, "archives=wayback needs source=archive or source=both"),
    ):
        with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
            QuangtriSpider.from_crawler(get_crawler(QuangtriSpider, settings), sites="trieuphong", **arguments)


def test_an_articles_captures_are_tried_archive_by_archive() -> None:
    wayback = [Capture(t, "https://h.vn/a") for t in ("2023", "2025", "2024")]
    commoncrawl = [Capture(t, "https://h.vn/a", "commoncrawl", f"CC-{t}", ("f", 1, 2)) for t in ("2026", "2022")]
    tried = captures_to_try([*commoncrawl, *wayback], ("wayback", "commoncrawl"), "newest", per_archive=2)
    assert [(c.archive, c.timestamp) for c in tried] == [
        ("wayback", "2025"),
        ("wayback", "2024"),
        ("commoncrawl", "2026"),
        ("commoncrawl", "2022"),
    ]
    oldest = captures_to_try([*commoncrawl, *wayback], ("commoncrawl",), "oldest")
    assert [c.timestamp for c in oldest] == ["2022", "2026"]


# -- Common Crawl's index and records -------------------------------------------------


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_crawls_are_chosen_in_the_window_newest_first_and_bounded() -> None:
    collinfo = json.dumps(
        [
            {"id": "CC-MAIN-2026-12", "from": "2026-03-10T00:00:00", "to": "2026-03-24T00:00:00"},
            {"id": "CC-MAIN-2025-13"},  # no span: its ISO week stands for it
            {"id": "CC-MAIN-2024-22", "from": "2024-05-18T00:00:00", "to": "2024-06-01T00:00:00"},
            {"id": "CC-MAIN-2023-06", "from": "2023-01-26T00:00:00", "to": "2023-02-09T00:00:00"},
            {"id": "CC-MAIN-2009-2010"},  # an early crawl without a per-crawl index
        ]
    )
    crawls = parse_collinfo(collinfo)
    assert [c.id for c in crawls] == ["CC-MAIN-2026-12", "CC-MAIN-2025-13", "CC-MAIN-2024-22", "CC-MAIN-2023-06"]
    assert crawls[1].end == utc(2025, 3, 24)
    window = choose_crawls(crawls, utc(2023, 6, 1), utc(2025, 7, 1), most=6)
    assert [c.id for c in window] == ["CC-MAIN-2025-13", "CC-MAIN-2024-22"]
    assert [c.id for c in choose_crawls(crawls, None, None, most=2)] == ["CC-MAIN-2026-12", "CC-MAIN-2025-13"]
    assert choose_crawls([Crawl("CC-MAIN-2020-05", utc(2020, 1, 1), utc(2020, 1, 20))], utc(2021, 1, 1), None, 6) == []
    for bad in (b"<html>busy</html>", b'{"id": 1}'):
        with pytest.raises(CdxError):
            parse_collinfo(bad)


def test_index_queries_count_pages_then_ask_each_in_the_window() -> None:
    query = IndexQuery("https://index.commoncrawl.org/", "CC-MAIN-2024-22", "h.vn/*", utc(2024, 1, 1), utc(2025, 1, 1))
    count = parse_qs(urlsplit(query.url()).query)
    assert query.url().startswith("https://index.commoncrawl.org/CC-MAIN-2024-22-index?")
    assert count["showNumPages"] == ["true"] and "page" not in count
    assert count["from"] == ["20240101000000"] and count["to"] == ["20241231235959"]
    page = parse_qs(urlsplit(query.url(3)).query)
    assert page["page"] == ["3"] and page["filter"] == ["=status:200"] and page["output"] == ["json"]
    assert parse_num_pages(b'{"pages": 2, "pageSize": 5, "blocks": 2}') == 2
    for bad in (b"[]", b'{"pages": "2"}', b"busy"):
        with pytest.raises(CdxError):
            parse_num_pages(bad)
    rows = parse_index_page(b'{"url": "https://h.vn/a", "offset": "10"}\n\n{"url": "https://h.vn/b"}\n')
    assert rows == [{"url": "https://h.vn/a", "offset": "10"}, {"url": "https://h.vn/b"}]
    with pytest.raises(CdxError):
        parse_index_page(b"<html>503</html>")
    assert byte_range(100, 50) == "bytes=100-149"


def test_a_record_that_is_no_warc_response_is_an_error() -> None:
    for bad in (b"", b"<html>not found</html>", gzip.compress(b"WARC/1.0\r\nbroken")):
        with pytest.raises(CdxError):
            read_warc_response(bad)


def warc_member(url: str, status: int, body: bytes) -> bytes:
    """One WARC response record in a gzip member, as a Common Crawl byte range holds it."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    http = StatusAndHeaders(f"{status} X", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    payload = io.BytesIO(body)
    writer.write_record(
        writer.create_warc_record(url, "response", payload=payload, length=len(body), http_headers=http)
    )
    return buffer.getvalue()


def test_a_common_crawl_record_is_parsed_as_its_page_or_gives_way_to_the_next_capture(tmp_path: Path) -> None:
    crawler = get_crawler(QuangtriSpider, {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"})
    crawler.stats.open_spider()  # type: ignore[call-arg]
    spider = QuangtriSpider.from_crawler(crawler, sites="trieuphong", source="archive")
    crawler.spider = spider
    url = "https://trieuphong.quangtri.gov.vn/vi/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213"
    record = Capture("20240525081500", url, "commoncrawl", "CC-MAIN-2024-22", ("crawl-data/f.warc.gz", 0, 10))
    older = Capture("20231015021500", url)

    def fetched(data: bytes) -> list[Any]:
        request = spider.archive.capture_request("k", [record, older])
        return list(spider.parse_capture(Response(request.url, status=206, body=data, request=request), "k", [older]))

    def stat(name: str) -> Any:
        return crawler.stats.get_value(f"dvk/archive/{name}")

    assert [r.url for r in fetched(warc_member(url, 404, b"gone"))] == [replay_url(spider.archive.base, older)]
    assert [r.url for r in fetched(b"<html>busy</html>")] == [replay_url(spider.archive.base, older)]
    assert (stat("unusable/http_404"), stat("unusable/bad_warc_record")) == (1, 1)
    page = next(SITES_DIR.glob("quangtri/**/*1606789047213*")).read_bytes()
    [article] = [a for a in fetched(warc_member(url, 200, page)) if isinstance(a, Article)]
    assert article.id == "quangtri:trieuphong.quangtri.gov.vn/1606789047213" and "/vi/" not in article.url
    assert (article.source, article.archive, article.archived_at) == (
        "archive",
        "commoncrawl",
        "2024-05-25T08:15:00+00:00",
    )
    assert article.archive_url is not None and "/CC-MAIN-2024-22-index?url=https" in article.archive_url
    assert "Dân vận khéo" in article.text


@pytest.fixture
def commoncrawl() -> Iterator[CommonCrawlServer]:
    with serve_commoncrawl(faults=CC_NO_FAULTS) as server:
        yield server


def fetch(url: str, **headers: str) -> bytes:
    with urlopen(UrlRequest(url, headers=headers), timeout=10) as response:  # loopback only
        data: bytes = response.read()
        return data


def test_the_fake_common_crawl_pages_its_index_and_serves_records_by_byte_range(
    commoncrawl: CommonCrawlServer,
) -> None:
    crawls = parse_collinfo(fetch(f"{commoncrawl.base_url}/collinfo.json"))
    query = IndexQuery(commoncrawl.base_url, crawls[-1].id, "trieuphong.quangtri.gov.vn/*")
    pages = parse_num_pages(fetch(query.url()))
    rows = [row for page in range(pages) for row in parse_index_page(fetch(query.url(page)))]
    assert pages >= 2 and rows and {row["status"] for row in rows} == {"200"}
    article = next(row for row in rows if row["url"].endswith("/1606789047213"))
    offset, length = int(article["offset"]), int(article["length"])
    record = read_warc_response(
        fetch(f"{commoncrawl.base_url}/{article['filename']}", Range=byte_range(offset, length))
    )
    assert record.status == 200 and record.target == article["url"]
    replica_page = next(SITES_DIR.glob("quangtri/**/*1606789047213*"))
    assert record.body == replica_page.read_bytes()


# -- crawls against both fakes ------------------------------------------------------


def both_archives_crawl(
    replicas: dict[str, str], wayback: WaybackServer, commoncrawl: CommonCrawlServer, workdir: Path, *args: str
) -> tuple[dict[str, dict[str, object]], dict[str, object], str]:
    result = archive_crawl(
        "quangtri", replicas["quangtri"], wayback, workdir,
        "-a", "sites=trieuphong", "-a", "archives=wayback,commoncrawl",
        "-s", f"DVK_COMMONCRAWL_INDEX_URL={commoncrawl.base_url}",
        "-s", f"DVK_COMMONCRAWL_DATA_URL={commoncrawl.base_url}",
        "-s", "DVK_ARCHIVE_BACKOFF_SECONDS=0",
        *UNPACED, *args,
    )  # fmt: skip
    records = {str(r["id"]): r for r in result.records()}
    assert len(records) == len(result.records())
    return records, result.run_file(), result.output


@pytest.mark.slow
def test_a_page_the_wayback_machine_lacks_comes_from_common_crawl_and_each_article_is_stored_once(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    # The fake Wayback Machine never captured a; the fake Common Crawl holds a, b and c,
    # and its index server is overloaded at first (a 503 without Retry-After).
    with (
        serve_wayback(faults=WaybackFaults(absent=("1606789047213",))) as wayback,
        serve_commoncrawl(faults=CommonCrawlFaults()) as commoncrawl,
    ):
        records, run, output = both_archives_crawl(replicas, wayback, commoncrawl, tmp_path)
        ranged = [p for p in commoncrawl.requests if "Range=" in p]
    assert sorted(records) == sorted([A, B, C])
    assert {i: r["archive"] for i, r in records.items()} == {A: "commoncrawl", B: "wayback", C: "wayback"}
    for record in records.values():
        validate_record(record)
    assert str(records[A]["archive_url"]).startswith(f"{commoncrawl.base_url}/CC-MAIN-2026-12-index?url=https")
    assert records[A]["archived_at"] == "2026-03-12T04:45:00+00:00"  # the newest crawl holding it
    assert len(ranged) == 1 and "CC-MAIN-2026-12" in ranged[0]  # b and c: the Wayback Machine's only
    assert run["summary"]["archives"] == {"commoncrawl": 1, "wayback": 2}  # type: ignore[index]
    assert "dvk articles per archive (quangtri): commoncrawl=1, wayback=2" in output
    assert run["complete"] is True and run["stats"]["dvk/archive/backoffs/dvk-commoncrawl-index"] == 1  # type: ignore[index]


@pytest.mark.slow
def test_repeated_429s_stop_the_wayback_machine_and_common_crawl_gives_what_it_holds(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    with (
        serve_wayback(faults=WaybackFaults(cdx_refusals=50)) as wayback,
        serve_commoncrawl(faults=CC_NO_FAULTS) as commoncrawl,
    ):
        records, run, output = both_archives_crawl(replicas, wayback, commoncrawl, tmp_path, "-a", "until=2025-06-30")
        cdx_requests = [p for p in wayback.requests if p.startswith("/cdx/")]
        index_requests = [p for p in commoncrawl.requests if p.startswith("/CC-MAIN-")]
    # Never kept sending: the first 429 (with Retry-After) and two without, then nothing.
    assert len(cdx_requests) == 3 and not [p for p in wayback.requests if p.startswith("/web/")]
    stops = [line for line in output.splitlines() if "stopped for this run" in line]
    assert len(stops) == 1 and "archive wayback stopped" in stops[0]
    assert run["complete"] is False and "archive wayback stopped" in str(run["incomplete_because"])
    assert {r["archive"] for r in records.values()} == {"commoncrawl"} and sorted(records) == sorted([A, B, C])
    assert run["summary"]["archives"] == {"commoncrawl": 3}  # type: ignore[index]
    # until=2025-06-30: only the crawls before the districts were abolished are asked.
    assert {p.split("-index")[0] for p in index_requests} == {
        "/CC-MAIN-2025-13",
        "/CC-MAIN-2024-22",
        "/CC-MAIN-2023-06",
    }


@pytest.mark.slow
def test_a_paused_crawl_of_both_archives_resumes_their_captures_from_jobdir(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    """Paused after the first article: the pending Common Crawl byte ranges (their capture in
    the request's meta, their Range header) are in JOBDIR and the resumed crawl fetches them."""
    job = ["-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=1"]
    with (
        serve_wayback(faults=WaybackFaults(absent=("1606870961877", "1615864985462"))) as wayback,
        serve_commoncrawl(faults=CC_NO_FAULTS) as commoncrawl,
    ):
        paused, run, _ = both_archives_crawl(
            replicas, wayback, commoncrawl, tmp_path, *job, "-s", "CLOSESPIDER_ITEMCOUNT=1"
        )
        assert run["finish_reason"] == "closespider_itemcount" and len(paused) < 3
        ranged_before = [p for p in commoncrawl.requests if "Range=" in p]
        records, run, _ = both_archives_crawl(replicas, wayback, commoncrawl, tmp_path, *job)
        ranged = [p for p in commoncrawl.requests if "Range=" in p]
    assert run["finish_reason"] == "finished"
    assert {i: r["archive"] for i, r in records.items()} == {A: "wayback", B: "commoncrawl", C: "commoncrawl"}
    assert len(ranged_before) < 2 and len(ranged) == len(set(ranged)) == 2  # each record once, across the pause
