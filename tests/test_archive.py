"""Recovering district-era articles from the web archive (``-a source=archive|both``).

Offline: the archive is the loopback fake of :mod:`dvk_crawl.replica.wayback`, built from
the Quảng Trị (Triệu Phong) and Quảng Ngãi (Minh Long) replicas, with its faults: a 429
with ``Retry-After`` on the first CDX request, a newest capture that redirects to an
older one (b), one that is gone (c), one that redirects to a listing page (d).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from scrapy.core.downloader import Slot
from scrapy.http import Request, Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from dvk_crawl.archive.capture import Capture, capture_of, order_captures, original_url, playback_url, replay_url
from dvk_crawl.archive.cdx import CdxError, CdxQuery, cdx_target, parse_cdx_page
from dvk_crawl.archive.spider import capture_problem
from dvk_crawl.dates import VIETNAM
from dvk_crawl.downloadermiddlewares.archive_backoff import ArchiveBackoffMiddleware
from dvk_crawl.downloadermiddlewares.retry_after import retry_after_seconds
from dvk_crawl.outcomes import GONE_REASONS, is_transient
from dvk_crawl.record import Article, validate_record
from dvk_crawl.replica.server import SITES_DIR, ReplicaServer
from dvk_crawl.replica.wayback import NO_FAULTS, WaybackServer, serve_wayback
from dvk_crawl.spiders import spider_class
from dvk_crawl.store import open_store
from tests.conftest import ROOT, CrawlResult, feed_ids, run_crawl

QuangngaiSpider = spider_class("quangngai")
QuangtriSpider = spider_class("quangtri")

TP = "quangtri:trieuphong.quangtri.gov.vn/"
A, B, C = f"{TP}1606789047213", f"{TP}1606870961877", f"{TP}1615864985462"
D, E, G = ("quangtri:www.quangtri.gov.vn/" + i for i in ("1607589738309", "1607907352640", "1608257133725"))
NEWER, OLDER = "2025-03-01T09:30:00+00:00", "2023-10-15T02:15:00+00:00"
MINH_LONG = ["quangngai:minhlong/4029104", "quangngai:minhlong/4029187", "quangngai:minhlong/4031552"]

EXHAUSTIVE = "discovery=exhaustive"


UNPACED = [
    argument
    for name in (
        "DVK_WAYBACK_CDX_PER_MINUTE",
        "DVK_WAYBACK_CAPTURES_PER_MINUTE",
        "DVK_COMMONCRAWL_INDEX_PER_MINUTE",
        "DVK_COMMONCRAWL_DATA_PER_MINUTE",
    )
    for argument in ("-s", f"{name}=0")
]
"""The fakes on loopback need no pace (0 per minute: no delay)."""


@pytest.fixture
def wayback() -> Iterator[WaybackServer]:
    """A fresh fake archive per test: its 429 is for the first CDX request it sees."""
    with serve_wayback() as server:
        yield server


def archive_crawl(
    spider: str, base_url: str, wayback: WaybackServer, workdir: Path, *args: str, source: str = "archive"
) -> CrawlResult:
    result = run_crawl(
        spider, base_url, workdir,
        "-a", f"source={source}",
        *([] if any(a.startswith("archives=") for a in args) else ["-a", "archives=wayback"]),
        "-s", f"DVK_ARCHIVE_BASE_URL={wayback.base_url}",
        *UNPACED,
        "-s", "DVK_ARCHIVE_PAGE_SIZE=5",
        *args,
    )  # fmt: skip
    assert result.returncode == 0, result.output[-4000:]
    return result


def replayed(wayback: WaybackServer) -> list[str]:
    """Originals of the captures the crawl fetched, in order."""
    return [capture.original for p in wayback.requests if (capture := capture_of(p)) is not None]


def linked_pair(records: dict[str, dict[str, Any]], first: str, second: str) -> bool:
    """The later-published of two same-body articles links to the earlier one, whichever
    the archive crawl fetched first (that depends on the scheduler's order)."""
    return (records[first]["duplicate_of"], records[second]["duplicate_of"]) == (None, first)


def cdx_params(wayback: WaybackServer) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(p).query) for p in wayback.requests if p.startswith("/cdx/")]


# -- CDX queries and answers --------------------------------------------------------


def test_cdx_query_asks_for_good_captures_of_a_site_in_the_window_in_utc() -> None:
    since, until = datetime(2020, 1, 1, tzinfo=VIETNAM), datetime(2025, 7, 1, tzinfo=VIETNAM)  # until: exclusive
    query = CdxQuery("https://web.archive.org/", cdx_target("https://trieuphong.quangtri.gov.vn"), since, until, 500)
    url = query.url()
    assert url.startswith("https://web.archive.org/cdx/search/cdx?")
    params = parse_qs(urlsplit(url).query)
    assert params["url"] == ["trieuphong.quangtri.gov.vn/*"]
    assert params["output"] == ["json"] and params["filter"] == ["statuscode:200"]
    assert params["collapse"] == ["digest"] and params["fl"] == ["timestamp,original,mimetype,statuscode,digest"]
    assert params["from"] == ["20191231170000"] and params["to"] == ["20250630165959"]
    assert params["limit"] == ["500"] and params["showResumeKey"] == ["true"] and "resumeKey" not in params
    assert parse_qs(urlsplit(query.url("k+1")).query)["resumeKey"] == ["k+1"]
    assert cdx_target("https://quangngai.gov.vn/web/minhlong/") == "quangngai.gov.vn/web/minhlong/*"


def test_a_cdx_answer_gives_rows_and_the_resume_key_of_the_next_page() -> None:
    page = parse_cdx_page(b'[["timestamp","original"],["20231015021500","http://a.vn/x"],[],["a.vn)/x 2023"]]')
    assert page.rows == [{"timestamp": "20231015021500", "original": "http://a.vn/x"}]
    assert page.resume_key == "a.vn)/x 2023"
    last = parse_cdx_page(b'[["timestamp","original"],["20231015021500","http://a.vn/x"]]')
    assert last.resume_key is None and len(last.rows) == 1
    assert parse_cdx_page(b"[]").rows == [] and parse_cdx_page(b"\n").rows == []
    assert parse_cdx_page(b'[["timestamp","original"]]') == parse_cdx_page(b"[]")
    for bad in (b"<html>Too Many Requests</html>", b'{"a": 1}', b'[["timestamp","original"],["1"]]'):
        with pytest.raises(CdxError):
            parse_cdx_page(bad)


# -- captures -----------------------------------------------------------------------


def test_replay_urls_keep_the_original_with_its_query_and_double_slashes() -> None:
    original = "http://minhlong.quangngai.gov.vn:80/web/minhlong/xem-chi-tiet/-/asset_publisher//Content/x?4029104"
    capture = Capture("20231015021500", original)
    url = replay_url("http://127.0.0.1:9/", capture)
    assert url == f"http://127.0.0.1:9/web/20231015021500id_/{original}"
    assert capture_of(url) == capture
    assert capture_of(playback_url("https://web.archive.org", capture)) == capture
    assert capture_of("http://127.0.0.1:9/web/2023id_/https:/a.vn/x") == Capture("2023", "https://a.vn/x")
    assert capture_of("https://trieuphong.quangtri.gov.vn/vi/tin-tuc-su-kien") is None
    assert capture.archived_at == OLDER
    assert Capture("2023", "x").archived_at == "2023-01-01T00:00:00+00:00"


def test_originals_lose_default_ports_only() -> None:
    assert original_url("http://trieuphong.quangtri.gov.vn:80/vi/a?b=1") == "http://trieuphong.quangtri.gov.vn/vi/a?b=1"
    assert original_url("https://a.vn:443/x") == "https://a.vn/x"
    assert original_url("http://a.vn:8080/x") == "http://a.vn:8080/x"
    assert original_url("a.vn/x") == "http://a.vn/x"


def test_newest_capture_first_or_oldest_first() -> None:
    captures = [Capture("20231015021500", "u1"), Capture("20250301093000", "u2"), Capture("20210101000000", "u1")]
    assert [c.timestamp for c in order_captures(captures)] == ["20250301093000", "20231015021500", "20210101000000"]
    assert order_captures(captures, "oldest")[0].timestamp == "20210101000000"
    with pytest.raises(ValueError, match="capture preference 'latest'"):
        order_captures(captures, "latest")


def test_pages_gone_live_are_left_to_the_archive_until_stored(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'dvk.sqlite'}") as store:
        for key, outcome in (("1", "http_404"), ("2", "empty"), ("3", "not_relevant"), ("4", "http_404")):
            store.add_visit(f"quangtri:{key}", "quangtri", outcome, f"https://www.quangtri.gov.vn/{key}")
        record = Article(
            id="quangtri:4", portal="quangtri", province="Quảng Trị", url="https://x.vn/4", title="t", text="b"
        )
        store.upsert_many([record.to_dict()])  # recovered from the archive since
        assert store.gone_ids("quangtri", GONE_REASONS) == {"quangtri:1", "quangtri:2"}


def test_an_archive_crawl_tries_every_page_found_gone_live(tmp_path: Path) -> None:
    """Seen (final) visits are skipped, except those of a reason outcomes.GONE_REASONS names:
    an article dropped live as unrendered_template may have a good copy in the archive."""
    url = f"sqlite:///{tmp_path / 'dvk.sqlite'}"
    reasons = sorted(GONE_REASONS | {"not_relevant"})
    with open_store(url) as store:
        for reason in reasons:
            store.add_visit(
                f"quangtri:{reason}", "quangtri", reason, f"https://www.quangtri.gov.vn/{reason}", final=True
            )
    spidercls = spider_class("quangtri")
    spider = spidercls.from_crawler(get_crawler(spidercls, {"DVK_STORE_URL": url}), source="archive")
    assert spider.seen_ids == {f"quangtri:{reason}" for reason in reasons}
    assert spider.archive.skip_ids == {"quangtri:not_relevant"}


# -- politeness ---------------------------------------------------------------------


def test_retry_after_makes_the_archive_slot_wait_until_a_good_answer() -> None:
    stats = MemoryStatsCollector(get_crawler())
    slots = {"dvk-wayback-cdx": Slot(2, 0.5, 0), "example.org": Slot(4, 0.0, 0)}
    middleware = ArchiveBackoffMiddleware(stats, lambda: slots, max_backoffs=99)
    archive = Request("http://archive/cdx", meta={"download_slot": "dvk-wayback-cdx", "dvk_archive": "wayback"})
    limited = Response(archive.url, status=429, headers={"Retry-After": "7"}, request=archive)
    assert middleware.process_response(archive, limited) is limited
    assert slots["dvk-wayback-cdx"].delay == 7.0 and stats.get_value("dvk/archive/retry_after") == 1
    middleware.process_response(archive, Response(archive.url, status=200, request=archive))
    assert slots["dvk-wayback-cdx"].delay == 0.5
    live = Request("https://example.org/", meta={"download_slot": "example.org"})
    middleware.process_response(live, Response(live.url, status=429, headers={"Retry-After": "7"}, request=live))
    assert slots["example.org"].delay == 0.0  # live portals are not concerned
    huge = Response(archive.url, status=503, headers={"Retry-After": "86400"}, request=archive)
    middleware.process_response(archive, huge)
    assert slots["dvk-wayback-cdx"].delay == ArchiveBackoffMiddleware.MAX_WAIT


def test_retry_after_is_seconds_or_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120", now) == 120.0
    assert retry_after_seconds(b"Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds(b"Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds(b"soon", now) is None and retry_after_seconds(None, now) is None


# -- the fake archive ---------------------------------------------------------------


def fetch_json(url: str) -> Any:
    with urlopen(url, timeout=10) as answer:  # loopback only
        return json.loads(answer.read())


def test_the_fake_cdx_pages_its_listing_with_resume_keys() -> None:
    with serve_wayback(faults=NO_FAULTS) as server:
        query = CdxQuery(server.base_url, "trieuphong.quangtri.gov.vn/*", limit=3)
        whole = parse_cdx_page(json.dumps(fetch_json(CdxQuery(server.base_url, query.target, limit=999).url())))
        rows, key, pages = [], None, 0
        while True:
            page = parse_cdx_page(json.dumps(fetch_json(query.url(key))))
            rows += page.rows
            pages += 1
            if page.resume_key is None:
                break
            key = page.resume_key
    assert pages >= 3 and rows == whole.rows
    assert {r["statuscode"] for r in rows} == {"200"}  # the 301 and 404 captures are filtered out
    assert any(r["original"].startswith("http://trieuphong.quangtri.gov.vn:80/") for r in rows)


# -- arguments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "source=wayback"], "source='wayback' must be one of: live, archive, both"),
        (["-a", "source=archive", "-a", "capture=latest"], "capture='latest' must be one of: newest, oldest"),
        (["-a", "capture=oldest"], "capture=oldest needs source=archive or source=both"),
        (["-s", "DVK_ARCHIVE_BASE_URL=web.archive.org"], "setting DVK_ARCHIVE_BASE_URL='web.archive.org' must be"),
        (["-s", "DVK_ARCHIVE_CONCURRENCY=0"], "setting DVK_ARCHIVE_CONCURRENCY=0 must be at least 1"),
        (["-a", "source=archive", "-a", "archives=wayback,ia"], "archives=wayback,ia: unknown archive(s) ia"),
        (["-s", "DVK_COMMONCRAWL_INDEX_URL=index.commoncrawl.org"], "setting DVK_COMMONCRAWL_INDEX_URL="),
        (["-s", "DVK_WAYBACK_CDX_PER_MINUTE=-1"], "setting DVK_WAYBACK_CDX_PER_MINUTE=-1.0 must not be negative"),
    ],
)
@pytest.mark.slow
def test_bad_archive_input_is_one_line_naming_it(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "quangtri", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr


def test_the_archive_is_listed_per_selected_site_or_per_seeded_prefix(tmp_path: Path) -> None:
    settings = {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"}
    quangtri = QuangtriSpider.from_crawler(get_crawler(QuangtriSpider, settings), sites="trieuphong", source="archive")
    assert quangtri.archive.targets() == ["https://trieuphong.quangtri.gov.vn"]
    assert "web.archive.org" in quangtri.allowed_domains
    quangngai = QuangngaiSpider.from_crawler(get_crawler(QuangngaiSpider, settings), source="archive")
    assert quangngai.archive.targets() == [
        "https://minhlong.quangngai.gov.vn/",
        "https://quangngai.gov.vn/web/minhlong/",
    ]
    crawler = get_crawler(QuangngaiSpider, {**settings, "DVK_ARCHIVE_CONCURRENCY": 3, "DVK_ARCHIVE_DELAY": 4.5})
    # DVK_ARCHIVE_DELAY is a floor under every budget's pace (the CDX budget's own is 2.5 s).
    assert crawler.settings.getdict("DOWNLOAD_SLOTS")["dvk-wayback-cdx"] == {
        "concurrency": 3,
        "delay": 4.5,
        "jitter": 0,
    }


# -- crawls -------------------------------------------------------------------------


@pytest.mark.slow
def test_trieu_phong_articles_come_back_from_the_archive(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    result = archive_crawl("quangtri", replicas["quangtri"], wayback, tmp_path, "-a", "sites=trieuphong,www")
    run = result.run_file()
    records = {r["id"]: r for r in result.records()}
    assert sorted(records) == sorted([A, B, C, D])
    for record in records.values():
        validate_record(record)
        assert record["source"] == "archive"
        assert record["url"].startswith("https://") and "/vi/" not in record["url"] and ":80" not in record["url"]
        assert record["archive_url"].startswith(f"{wayback.base_url}/web/")
        assert capture_of(record["archive_url"]).timestamp in record["archive_url"]  # type: ignore[union-attr]
    # The newest usable capture: b's newest redirects to its older one, c's is gone,
    # d's redirects to a listing page; a's newest is fine.
    assert {i: r["archived_at"] for i, r in records.items()} == {A: NEWER, B: OLDER, C: OLDER, D: OLDER}
    assert linked_pair(records, A, B)
    assert run["summary"]["dropped"] == {"no_usable_capture": 1, "not_relevant": 1}  # g: empty captures; e
    stats = run["stats"]
    assert stats["dvk/archive/capture_fallbacks"] == 3
    assert stats["dvk/archive/retry_after"] == 1 and stats["retry/count"] >= 1 and run["finish_reason"] == "finished"
    # Paged listing of both sites; listing, sitemap and NukeViet pages are listed, never fetched.
    cdx = cdx_params(wayback)
    assert {p["url"][0] for p in cdx} == {"trieuphong.quangtri.gov.vn/*", "www.quangtri.gov.vn/*"}
    assert sum("resumeKey" in p for p in cdx) >= 3 and stats["dvk/archive/cdx_pages"] >= 5
    assert stats["dvk/discovery/not_article_links"] > 0
    fetched = replayed(wayback)
    assert not [u for u in fetched if "tin-tuc-su-kien" in u or "sitemap" in u or "ubmttqvn" in u]
    assert [u for u in fetched if "tin-trong-tinh" in u] == [
        "https://www.quangtri.gov.vn/tin-trong-tinh"
    ]  # d's redirect


@pytest.mark.slow
def test_oldest_captures_and_until_bound_the_captures_used(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    args = ("-a", "sites=trieuphong,www", "-a", "capture=oldest", "-a", "until=2024-12-31")
    result = archive_crawl("quangtri", replicas["quangtri"], wayback, tmp_path, *args)
    records = result.records()
    assert sorted(r["id"] for r in records) == sorted([A, B, C, D])
    assert {r["archived_at"] for r in records} == {OLDER}
    assert linked_pair({r["id"]: r for r in records}, A, B)  # a (1 Dec 2020) is the original of b (2 Dec)
    assert {p["to"][0] for p in cdx_params(wayback)} == {"20241231165959"}  # 2024-12-31 23:59:59 +07:00
    assert not [u for u in wayback.requests if "/web/2025" in u]
    assert result.run_file()["stats"].get("dvk/archive/capture_fallbacks", 0) == 0


@pytest.mark.slow
def test_an_article_stored_live_is_not_fetched_again_from_the_archive(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    for _ in range(2):  # the second confirms what the first dropped (e); exhaustive, so e is fetched live
        live = run_crawl("quangtri", replicas["quangtri"], tmp_path, "-a", "sites=trieuphong,www", "-a", EXHAUSTIVE)
        assert live.returncode == 0, live.output[-3000:]
    before = {r["id"]: r for r in live.records()}
    archive = archive_crawl("quangtri", replicas["quangtri"], wayback, tmp_path, "-a", "sites=trieuphong,www")
    assert {r["id"]: r for r in archive.records()} == before  # same keys: one article, kept as it was
    stats = archive.run_file()["stats"]
    assert stats["dvk/discovery/already_seen"] == 5  # a, b, c, d stored; e not relevant
    # Only g (an empty portlet live, so maybe whole in the archive) is tried, in both captures.
    assert {urlsplit(original_url(u)).path.rsplit("/", 1)[-1] for u in replayed(wayback)} == {"1608257133725"}
    assert stats.get("dvk/store/stored", 0) == 0


@pytest.mark.slow
def test_both_fills_in_from_the_archive_what_the_live_site_lost(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    """Live first; the article the live portal no longer serves (c: 404) comes from the archive."""
    sites_dir = tmp_path / "sites"
    routes_file = sites_dir / "quangtri" / "routes.json"
    shutil.copytree(SITES_DIR / "quangtri", sites_dir / "quangtri")
    routes = json.loads(routes_file.read_text(encoding="utf-8"))
    routes["/vi/chi-tiet-tin/-/view-article/1/1505358318716/1615864985462"] = {"status": 404}
    routes_file.write_text(json.dumps(routes), encoding="utf-8")
    server = ReplicaServer("quangtri", sites_dir=sites_dir).start()
    try:
        # Exhaustive live part: e (off-topic, no keyword beside its link) is fetched and dropped live.
        result = archive_crawl(
            "quangtri", server.base_url, wayback, tmp_path / "run", "-a", "sites=trieuphong,www", "-a", EXHAUSTIVE,
            source="both",
        )  # fmt: skip
    finally:
        server.stop()
    records = {r["id"]: r for r in result.records()}
    assert sorted(records) == sorted([A, B, C, D])
    assert {i: r["source"] for i, r in records.items()} == {A: "live", B: "live", C: "archive", D: "live"}
    assert records[C]["archived_at"] == OLDER and records[A]["archive_url"] is None
    validate_record(records[C])
    stats = result.run_file()["stats"]
    assert stats["dvk/archive/found_live"] == 4  # a, b, d stored live; e not relevant live
    ids = {urlsplit(original_url(u)).path.rsplit("/", 1)[-1] for u in replayed(wayback)}
    assert ids == {"1615864985462", "1608257133725"}  # c, and g (an empty page live)


@pytest.mark.slow
def test_a_paused_archive_crawl_resumes_from_jobdir_and_stores_each_article_once(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    """Paused in the middle of the CDX listing: the captures listed so far (spider state)
    and the next pages (request queue) are in JOBDIR; the resumed crawl lists the rest and
    fetches every article once."""
    job = ["-a", "sites=trieuphong,www", "-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=1"]
    paused = archive_crawl("quangtri", replicas["quangtri"], wayback, tmp_path, *job, "-s", "CLOSESPIDER_PAGECOUNT=3")
    assert paused.run_file()["finish_reason"] == "closespider_pagecount"
    assert paused.records() == [] and replayed(wayback) == []
    listed_before = len(cdx_params(wayback))
    resumed = archive_crawl("quangtri", replicas["quangtri"], wayback, tmp_path, *job)
    assert resumed.run_file()["finish_reason"] == "finished"
    cdx = [p for p in wayback.requests if p.startswith("/cdx/")]
    assert len(cdx) > listed_before and len(set(cdx)) == len(cdx) - 1  # only the 429 was asked twice
    ids = [r["id"] for r in resumed.records()]
    assert sorted(ids) == sorted([A, B, C, D])
    assert sorted(feed_ids(resumed.jsonl)) == sorted(ids)
    assert len(replayed(wayback)) == len(set(replayed(wayback)))  # no capture fetched twice


@pytest.mark.slow
def test_minh_long_district_articles_come_back_from_the_archive(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    result = archive_crawl("quangngai", replicas["quangngai"], wayback, tmp_path, "-a", "until=2025-06-30")
    records = {r["id"]: r for r in result.records()}
    assert sorted(records) == MINH_LONG
    assert linked_pair(records, *MINH_LONG[:2])
    for record in records.values():
        validate_record(record)
        assert record["source"] == "archive" and record["archived_at"] == NEWER
        assert record["url"].startswith("https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/")
    assert records["quangngai:minhlong/4029104"]["view_count"] == 39
    assert result.run_file()["summary"]["dropped"] == {"no_usable_capture": 1}  # 4030877: deleted, empty
    targets = {p["url"][0] for p in cdx_params(wayback)}
    assert targets == {"minhlong.quangngai.gov.vn/*", "quangngai.gov.vn/web/minhlong/*"}
    assert not [u for u in replayed(wayback) if "gioi-thieu" in u]  # no ?<id>: not an article


# -- which captures can stand for their article -------------------------------------------------


def _capture_article(title: str, lead: str, text: str) -> Article:
    url = "https://baoquangtri.vn/dan-van-kheo-o-cam-lo-186118.htm"
    return Article(
        id="baoquangtri:186118", portal="baoquangtri", province="Quảng Trị", url=url, title=title, lead=lead, text=text
    )


@pytest.mark.parametrize(
    ("title", "lead", "text", "problem"),
    [
        ("Dân vận khéo ở Cam Lộ", "QTO - Mô hình mới.", "Huyện Cam Lộ có 120 mô hình dân vận khéo.", None),
        ("Dân vận khéo ở Cam Lộ", "QTO - Mô hình mới.", "  ", "empty"),
        ("{title}", "{sapo}", "Huyện Cam Lộ có 120 mô hình dân vận khéo.", "unrendered_template"),
        ("Dân vận khéo ở Cam Lộ", "", "{publish} {author} Huyện Cam Lộ có 120 mô hình.", "unrendered_template"),
    ],
)
def test_an_empty_or_unfilled_capture_gives_way_to_the_next_one(title: str, lead: str, text: str, problem: str) -> None:
    """A copy the archive caught with its template unfilled is not the article: the next (older)
    capture is tried, as for an empty one, instead of dropping the article outright."""
    assert capture_problem(_capture_article(title, lead, text)) == problem
    assert problem is None or not is_transient(problem)  # after the last capture: no_usable_capture
