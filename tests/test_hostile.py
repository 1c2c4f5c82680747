"""Hostile and odd input (issue 18): one bad thing costs one field or one page, never an
article or the crawl. Each case is in the fault table of ``docs/reliability.md``.

Pages are built from a replica article; spiders are driven through their callbacks with
built responses (as in ``test_spider_discovery``), and the network cases of ``dvk-crawl
inspect`` against a loopback server. Every probe is bounded in time and memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from stat import S_IFCHR, S_ISCHR
from typing import Any, ClassVar

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse
from twisted.python.failure import Failure

from dvk_crawl.cli import fetch
from dvk_crawl.cli.common import CliError
from dvk_crawl.cli.export import CSV_CELL_LIMIT, CsvWriter, JsonlWriter, export_records
from dvk_crawl.cli.main import main
from dvk_crawl.cli.report import months_chart
from dvk_crawl.dates import parse_iso, parse_rfc822, parse_vietnamese_datetime
from dvk_crawl.downloadermiddlewares.replica_port import ReplicaPortMiddleware
from dvk_crawl.extract import decode_page, extract_article, extract_with_details
from dvk_crawl.failures import failure_reason
from dvk_crawl.middlewares import RetryAfterMiddleware
from dvk_crawl.record import Image
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.sanitise import FIELD_LIMITS, LIST_LIMIT, cap_fields
from dvk_crawl.store import open_store
from dvk_crawl.store.base import PortalStats
from dvk_crawl.store.lock import CrawlLockedError
from tests.conftest import ROOT
from tests.test_spider_discovery import make_spider, requested, stat

SITE = SITES_DIR / "baohatinh"
PAGE = SITE / "pages" / "cam-xuyen-xay-dung-1440-mo-hinh-dan-van-kheo-post259960.html"
URL = "https://baohatinh.vn/cam-xuyen-xay-dung-1440-mo-hinh-dan-van-kheo-post259960.html"
HTML = PAGE.read_text(encoding="utf-8")
CLEAN = extract_article(HTML, URL, fetched_at="2026-01-01T00:00:00+00:00")
BODY_START = re.search(r'<div class="article__body[^>]*>', HTML)
assert BODY_START is not None


def in_body(markup: str) -> str:
    """The page with ``markup`` inside its first body paragraph."""
    paragraph = HTML.index("<p", BODY_START.end())
    at = HTML.index(">", paragraph) + 1
    return HTML[:at] + markup + HTML[at:]


def article_response(html: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=html.encode("utf-8"),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=Request(url, meta={"dvk_key": "259960"}),
    )


def parsed_articles(spider: Any, html: str) -> list[Any]:
    return list(spider.parse_article(article_response(html), canonical_url=URL))


# -- control characters ---------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x01", "\x08", "\x0e", "\x1b", "\ufffe", "\uffff"])
def test_a_control_character_in_the_body_costs_nothing(char: str) -> None:
    spider = make_spider()
    [article] = parsed_articles(spider, in_body(f"Dân{char} vận"))
    assert article.text == extract_article(in_body("Dân vận"), URL).text
    assert char not in article.text
    assert stat(spider, "clean/control_chars") == 1


# -- out-of-range dates ---------------------------------------------------------------------

OUT_OF_RANGE = ["0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-12:00"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_out_of_range_iso_date_is_no_date(value: str) -> None:
    assert parse_iso(value) is None


def test_out_of_range_rfc822_and_visible_dates_are_no_date() -> None:
    assert parse_rfc822("Fri, 31 Dec 9999 23:00:00 -1200") is None
    assert parse_vietnamese_datetime("31/12/9999 23:00") is None
    assert parse_iso("2023-08-04T20:15:00+07:00") is not None


def test_an_article_with_an_out_of_range_date_is_kept_without_it() -> None:
    spider = make_spider()
    published = re.compile(r"2023-08-04T20:15(?::00)?\+07:00")
    assert published.search(HTML)
    [article] = parsed_articles(spider, published.sub("9999-12-31T23:00:00-12:00", HTML))
    assert article.text == CLEAN.text and article.title == CLEAN.title
    # The bad machine-readable dates cost only themselves: the visible date line still tells.
    assert article.published_at == CLEAN.published_at


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>t</title><link>{link}</link><pubDate>{date}</pubDate></item>" for link, date in items
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>{entries}</channel></rss>'.encode()


def test_a_bad_rss_pubdate_costs_only_that_date() -> None:
    spider = make_spider(discovery="exhaustive")
    feed = rss(
        [
            ("https://baohatinh.vn/a-post1.html", "Fri, 31 Dec 9999 23:00:00 -1200"),
            ("https://baohatinh.vn/b-post2.html", "Fri, 04 Aug 2023 20:15:00 +0700"),
        ]
    )
    response = XmlResponse(url="https://baohatinh.vn/rss/home.rss", body=feed, request=Request("https://x"))
    assert requested(spider.parse_rss(response)) == [
        "https://baohatinh.vn/a-post1.html",
        "https://baohatinh.vn/b-post2.html",
    ]
    assert stat(spider, "discovery/bad_dates") == 1


def test_a_bad_listing_time_costs_only_that_date() -> None:
    spider = make_spider(since="2023-01-01", discovery="exhaustive")
    items = "".join(
        f'<li><a href="/a-post{n}.html">a</a><time datetime="9999-12-31T23:00:00-12:00">x</time></li>' for n in (1, 2)
    )
    page = f'<html><body><ul>{items}</ul><a rel="next" href="/chu-de/x?page=2">sau</a></body></html>'
    response = HtmlResponse(
        url="https://baohatinh.vn/chu-de/x", body=page.encode(), encoding="utf-8", request=Request("https://x")
    )
    urls = requested(spider.parse_listing(response, page=1))
    assert urls == [
        "https://baohatinh.vn/a-post1.html",
        "https://baohatinh.vn/a-post2.html",
        "https://baohatinh.vn/chu-de/x?page=2",
    ]
    assert stat(spider, "discovery/bad_dates") == 2


def test_the_months_axis_keeps_to_plausible_years() -> None:
    months = {"2023-08": 3, "9999-12": 1, "0001-01": 1, "2023-13": 1}
    chart = months_chart([PortalStats("baohatinh", 6, 6, 0, 0, "0001-01-01", "9999-12-31", months)])
    assert re.findall(r'data-month="([^"]+)"', chart) == ["2023-08"]


def _limit_memory() -> None:
    """2 GiB of address space: the endless months axis fails fast instead of filling the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.slow
def test_stats_html_on_a_tampered_store_ends(tmp_path: Path) -> None:
    """A non-numeric ``published_at`` made the months axis loop for ever (``abcd-ef`` sorts after
    every ``YYYY-MM``), a five-digit year draw thousands of months."""
    database = tmp_path / "dvk.sqlite"
    with open_store(f"sqlite:///{database}") as store:
        records = [{**CLEAN.to_dict(), "id": f"baohatinh:{n}"} for n in (1, 2, 3)]
        store.upsert_many(records)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE articles SET published_at = 'abcd-ef-ghT00:00' WHERE id = 'baohatinh:1'")
        db.execute("UPDATE articles SET published_at = '99990-01-01' WHERE id = 'baohatinh:2'")
    report = tmp_path / "report.html"
    command = [
        sys.executable,
        "-m",
        "dvk_crawl.cli",
        "stats",
        "--store",
        f"sqlite:///{database}",
        "--html",
        str(report),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
    assert result.returncode == 0, result.stderr
    assert re.findall(r'data-month="([^"]+)"', report.read_text(encoding="utf-8")) == [CLEAN.published_at[:7]]


# -- deep nesting ---------------------------------------------------------------------------


def test_json_ld_nested_past_the_recursion_limit_costs_only_json_ld() -> None:
    deep = '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
    article = extract_article(HTML.replace("</head>", deep + "</head>", 1), URL, fetched_at=CLEAN.fetched_at)
    assert article.text == CLEAN.text and article.published_at == CLEAN.published_at


def test_thousands_of_unclosed_tags_keep_the_article() -> None:
    page = HTML[: BODY_START.end()] + "<div><font>" * 1_500 + HTML[BODY_START.end() :]
    extraction = extract_with_details(page, URL, fetched_at=CLEAN.fetched_at)
    assert extraction.article.text == CLEAN.text
    assert extraction.cleaned["deep_nesting"] > 1_000


def test_the_spider_counts_flattened_nesting() -> None:
    spider = make_spider()
    [article] = parsed_articles(spider, HTML[: BODY_START.end()] + "<div>" * 3_000 + HTML[BODY_START.end() :])
    assert article.text == CLEAN.text and stat(spider, "clean/deep_nesting") > 1_000


# -- CSV export -----------------------------------------------------------------------------


def record(**fields: Any) -> dict[str, Any]:
    return {**CLEAN.to_dict(), **fields}


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(title: str) -> None:
    out = io.StringIO()
    assert export_records([record(title=title)], CsvWriter(out)) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["title"] == "'" + title


def test_csv_cells_are_cut_at_the_excel_limit_and_jsonl_keeps_everything() -> None:
    text = "Dân vận khéo. " * 5_000
    out = io.StringIO()
    writer = CsvWriter(out)
    export_records([record(text=text)], writer)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["text"] == text[:CSV_CELL_LIMIT]
    assert writer.changed == {"cells cut at 32,767 characters": 1}
    jsonl = io.StringIO()
    export_records([record(text=text, title="=1+1")], JsonlWriter(jsonl))
    exact = json.loads(jsonl.getvalue())
    assert exact["text"] == text and exact["title"] == "=1+1"


# -- export -o ------------------------------------------------------------------------------


@pytest.fixture
def small_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dvk.sqlite'}"
    with open_store(url) as store:
        store.upsert_many([record(title="=HYPERLINK(1)")])
    return url


def export_to(store: str, target: str, *args: str) -> int:
    return main(["export", "--format", "csv", "--store", store, "-o", target, *args])


@pytest.fixture
def null_device(tmp_path: Path) -> Path:
    """A character device to export to. As root, a null device made in ``tmp_path``: a
    regression must never replace the machine's own /dev/null (the bug did, as root).
    Without root, /dev/null itself, which then cannot be replaced anyway."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    device = tmp_path / "null"
    os.mknod(device, S_IFCHR | 0o666, os.makedev(1, 3))
    return device


def test_export_writes_to_a_device_in_place(small_store: str, null_device: Path) -> None:
    before = os.stat(null_device)
    assert export_to(small_store, str(null_device)) == 0
    after = os.stat(null_device)
    assert S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not Path(f"{null_device}.part").exists()


def test_export_writes_to_a_pipe_in_place(small_store: str, tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        assert export_to(small_store, str(fifo)) == 0
    finally:
        reader.join(timeout=60)
    assert fifo.is_fifo() and b"'=HYPERLINK(1)" in received[0]


def test_export_through_a_symlink_keeps_the_link(small_store: str, tmp_path: Path) -> None:
    target, link = tmp_path / "real.csv", tmp_path / "link.csv"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target)
    assert export_to(small_store, str(link)) == 0
    assert link.is_symlink() and "'=HYPERLINK(1)" in target.read_text(encoding="utf-8")


def test_a_planted_part_symlink_is_not_followed(
    small_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (tmp_path / "out.csv.part").symlink_to(victim)
    assert export_to(small_store, str(tmp_path / "out.csv")) == 2
    assert victim.read_text(encoding="utf-8") == "keep me" and not (tmp_path / "out.csv").exists()
    assert "out.csv.part exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "args", "message"),
    [
        ("", (), "-o is empty"),
        (".", (), "-o . is a folder"),
        ("OUT", ("--until", "9999-12-31"), "--until=9999-12-31 is out of range"),
        ("OUT", ("--since", "0001-01-01"), "--since=0001-01-01 is out of range"),
    ],
)
def test_bad_export_targets_are_one_line(
    small_store: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    target: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    out = str(tmp_path / "out.csv") if target == "OUT" else target
    assert export_to(small_store, out, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not list(tmp_path.glob("*.part"))


# -- URLs, retries, feeds, sitemaps, charsets ------------------------------------------------


@pytest.mark.parametrize(
    "scheme_url", ["javascript:alert(1)", "vbscript:msgbox(1)", "data:image/png;base64,AAAA", "JaVaScRiPt:x"]
)
def test_script_and_data_urls_are_never_stored(scheme_url: str) -> None:
    page = in_body(f'<img src="{scheme_url}" alt="x"><a href="{scheme_url}#a.pdf">văn bản.pdf</a>')
    spider = make_spider()
    [article] = parsed_articles(spider, page)
    urls = [image.url for image in article.images] + article.attachments
    assert urls and all(url.startswith("https://") for url in urls)
    assert stat(spider, "clean/unsafe_links") >= 1


def retry_answer(header: bytes) -> tuple[RetryAfterMiddleware, Any]:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler()
    crawler.stats.open_spider()
    middleware = RetryAfterMiddleware(crawler.stats, {503}, 2, 60.0)
    response = Response("https://baohatinh.vn/a-post1.html", status=503, headers={"Retry-After": header})
    return middleware, (Request(response.url), response)


@pytest.mark.parametrize("header", [b"\xb2", "٣".encode(), b"1e9"])
def test_an_unreadable_retry_after_is_retried_without_waiting(header: bytes) -> None:
    middleware, (request, response) = retry_answer(header)
    assert middleware.wait_for(request, response) == 0.0
    assert middleware.stats.get_value("dvk/retry_after/unreadable") == 1


def test_rss_served_as_html_is_read_as_a_feed() -> None:
    spider = make_spider()
    body = (SITE / "rss" / "home.rss").read_bytes()
    as_xml = requested(make_spider().parse_rss(XmlResponse(url="https://baohatinh.vn/rss/home.rss", body=body)))
    response = HtmlResponse(
        url="https://baohatinh.vn/rss/home.rss", body=body, encoding="utf-8", request=Request("https://x")
    )
    assert as_xml and requested(spider.parse_rss(response)) == as_xml
    assert stat(spider, "discovery/feed_served_as_html") == 1 and stat(spider, "discovery/feed_truncated") == 0


def test_an_html_page_at_a_feed_address_is_counted() -> None:
    spider = make_spider()
    response = HtmlResponse(
        url="https://baohatinh.vn/rss/home.rss", body=HTML.encode(), encoding="utf-8", request=Request("https://x")
    )
    assert requested(spider.parse_rss(response)) == []
    assert stat(spider, "dropped/not_a_feed") == 1


def test_an_entity_bomb_in_a_feed_costs_nothing_and_is_counted() -> None:
    body = (SITE / "rss" / "home.rss").read_bytes()
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(9)
    )
    bomb = body.replace(b"<rss", f"<!DOCTYPE rss [{entities}]>\n<rss".encode(), 1).replace(
        b"<item>", b"<item><title>&j;</title>", 3
    )
    clean = requested(
        make_spider(discovery="exhaustive").parse_rss(XmlResponse(url="https://baohatinh.vn/rss/home.rss", body=body))
    )
    spider = make_spider(discovery="exhaustive")
    assert len(clean) > 3
    assert requested(spider.parse_rss(XmlResponse(url="https://baohatinh.vn/rss/home.rss", body=bomb))) == clean
    assert stat(spider, "discovery/feed_entities") == 1 and stat(spider, "discovery/feed_truncated") == 0


def test_a_gzipped_sitemap_without_content_encoding_is_gunzipped() -> None:
    month = SITE / "sitemaps" / "news-2023-8.xml"
    plain = requested(
        make_spider().parse_sitemap(XmlResponse(url="https://baohatinh.vn/s.xml", body=month.read_bytes()))
    )
    url = "https://baohatinh.vn/sitemaps/news-2023-8.xml.gz"
    response = Response(url=url, body=gzip.compress(month.read_bytes()), request=Request(url))
    assert plain and requested(make_spider().parse_sitemap(response)) == plain


def test_a_gzipped_sitemap_is_bounded_by_the_download_size() -> None:
    url = "https://baohatinh.vn/sitemaps/bomb.xml.gz"
    spider = make_spider(settings={"DOWNLOAD_MAXSIZE": 1_000_000})
    response = Response(url=url, body=gzip.compress(b"<urlset>" + b" " * 5_000_000), request=Request(url))
    assert requested(spider.parse_sitemap(response)) == []
    assert stat(spider, "dropped/too_large") == 1


def test_a_utf8_page_with_a_windows_1258_paragraph_is_decoded_per_segment() -> None:
    from dvk_crawl.replica.faults import to_windows_1258

    page = "<html><head><meta charset='utf-8'></head><body><p>Dân vận khéo ở Hà Tĩnh</p>{}</body></html>"
    pasted = "<p>Mô hình dân vận khéo</p>"
    body = page.encode("utf-8").replace(b"{}", to_windows_1258(pasted))
    decoded = decode_page(body, "text/html; charset=utf-8")
    assert "Dân vận khéo ở Hà Tĩnh" in decoded.text and "Mô hình dân vận khéo" in decoded.text
    assert decoded.fallback == "cp1258_segments"


def test_in_replica_mode_only_the_replica_port_is_the_portal() -> None:
    spider = make_spider(settings={"DVK_ARCHIVE_BASE_URL": "http://127.0.0.1:7777"}, base_url="http://127.0.0.1:8999")
    middleware = ReplicaPortMiddleware(spider.crawler)
    assert middleware.process_request(Request("http://127.0.0.1:8999/a-post1.html")) is None
    assert middleware.process_request(Request("http://127.0.0.1:7777/cdx/search/cdx")) is None  # a fake archive
    assert middleware.process_request(Request("https://baohatinh.vn/a-post1.html")) is None
    with pytest.raises(IgnoreRequest) as error:
        middleware.process_request(Request("http://127.0.0.1:6379/"))
    assert failure_reason(Failure(error.value)) == "offsite_redirect"


def test_the_replica_port_middleware_is_installed() -> None:
    from scrapy.settings import Settings

    from dvk_crawl import settings as project_settings

    settings = Settings()
    settings.setmodule(project_settings)
    assert "dvk_crawl.downloadermiddlewares.replica_port.ReplicaPortMiddleware" in settings.getdict(
        "DOWNLOADER_MIDDLEWARES"
    )


# -- field sizes ----------------------------------------------------------------------------


def test_oversized_fields_are_cut_and_counted() -> None:
    title = re.search(r"<h1[^>]*>(.*?)</h1>", HTML, re.S)
    assert title is not None
    huge = HTML.replace(title.group(0), title.group(0).replace(title.group(1), "Dân vận khéo " * 100_000), 1)
    spider = make_spider()
    [article] = parsed_articles(spider, huge)
    assert len(article.title) == FIELD_LIMITS["title"] and article.text == CLEAN.text
    assert stat(spider, "clean/cut_title") == 1


# -- the crawl lock -------------------------------------------------------------------------


def test_a_hard_link_to_the_store_does_not_bypass_the_lock(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    with open_store(f"sqlite:///{first_dir / 'dvk.sqlite'}"):
        pass
    os.link(first_dir / "dvk.sqlite", second_dir / "other.sqlite")
    first = open_store(f"sqlite:///{first_dir / 'dvk.sqlite'}")
    second = open_store(f"sqlite:///{second_dir / 'other.sqlite'}")
    lock = first.crawl_lock("baohatinh")
    lock.acquire()
    try:
        with pytest.raises(CrawlLockedError, match="hard link"):
            second.crawl_lock("baohatinh").acquire()
        other_portal = second.crawl_lock("baolaocai")
        other_portal.acquire()  # another portal's crawl is not locked out
        other_portal.release()
    finally:
        lock.release()
        first.close()
        second.close()
    again = open_store(f"sqlite:///{second_dir / 'other.sqlite'}")
    relock = again.crawl_lock("baohatinh")
    relock.acquire()
    relock.release()
    again.close()


# -- dvk-crawl inspect URL ------------------------------------------------------------------


class HostileHandler(BaseHTTPRequestHandler):
    """``/loop`` redirects for ever, ``/ftp`` to ``ftp://``, ``/slow`` dribbles a byte at a time."""

    stop: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", f"/loop{len(self.path)}")
            self.end_headers()
        elif self.path == "/ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/x.html")
            self.end_headers()
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "600")
            self.end_headers()
            for _ in range(600):
                if self.stop.wait(0.05):
                    return
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        HostileHandler.stop.set()
        server.shutdown()
        server.server_close()


def test_inspect_stops_after_the_crawls_redirect_limit(hostile_server: str) -> None:
    with pytest.raises(CliError, match="redirects more than 5 times"):
        fetch.fetch_page(f"{hostile_server}/loop", timeout=10)


def test_inspect_follows_only_http_and_https(hostile_server: str) -> None:
    with pytest.raises(CliError, match="only http and https"):
        fetch.fetch_page(f"{hostile_server}/ftp", timeout=10)
    with pytest.raises(CliError, match="only http and https"):
        fetch.fetch_page("ftp://127.0.0.1/x.html", timeout=10)


def test_inspect_bounds_the_whole_fetch_not_each_read(hostile_server: str) -> None:
    # A byte every 50 ms never trips a 1 s per-read timeout: 600 bytes took 30 s.
    with pytest.raises(CliError, match="did not answer completely within 1 s"):
        fetch.fetch_page(f"{hostile_server}/slow", timeout=1)


def test_every_capped_field_is_cut_to_its_limit() -> None:
    article = extract_article(HTML, URL, fetched_at=CLEAN.fetched_at)
    article.lead, article.section = "x" * 10_000, "s" * 10_000
    article.tags, article.authors = ["t" * 500] * 600, ["a"] * 3
    article.images = [Image("https://baohatinh.vn/a.jpg", "c" * 5_000)]
    cut = cap_fields(article)
    assert cut == {"lead": 1, "section": 1, "tags": 1, "captions": 1}
    assert len(article.lead) == FIELD_LIMITS["lead"] and len(article.section) == FIELD_LIMITS["section"]
    assert len(article.tags) == LIST_LIMIT and {len(tag) for tag in article.tags} == {FIELD_LIMITS["tag"]}
    assert article.authors == ["a"] * 3 and len(article.images[0].caption or "") == FIELD_LIMITS["caption"]


def test_a_feed_cut_short_is_counted() -> None:
    spider = make_spider(discovery="exhaustive")
    body = (SITE / "rss" / "home.rss").read_bytes()
    cut = body[: body.index(b"</item>") + len(b"</item>")] + b"<item><link>https://baohatinh.vn/x-post9.html"
    response = XmlResponse(url="https://baohatinh.vn/rss/home.rss", body=cut)
    assert requested(spider.parse_rss(response))
    assert stat(spider, "discovery/feed_truncated") == 1
