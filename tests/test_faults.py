"""One crawl of the faults replica (``dvk_crawl/replica/sites/faults/``): every fault a portal or
the network throws at a crawl, in one run. Good articles are all stored, each bad page is
counted under its named reason, in the summary and the run file (``docs/reliability.md``).
"""

from __future__ import annotations

import ast
import gzip
import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from dvk_crawl import extract_article
from dvk_crawl.downloadermiddlewares.retry_after import PortalRetryAfterMiddleware
from dvk_crawl.extract import decode_page
from dvk_crawl.failures import failure_reason
from dvk_crawl.outcomes import is_transient
from dvk_crawl.replica.faults import FaultServer, to_windows_1258
from dvk_crawl.replica.server import SITES_DIR
from tests.conftest import ROOT, CrawlResult, feed_ids, run_crawl

SITE = SITES_DIR / "faults"
OUTCOMES: dict[str, Any] = json.loads((SITE / "outcomes.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    server = FaultServer("faults").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def crawl(faults: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    settings = [x for name, value in OUTCOMES["settings"].items() for x in ("-s", f"{name}={value}")]
    # DEBUG: the log names every download (see test_every_download_went_to_the_replica_on_loopback).
    settings += ["-s", "LOG_LEVEL=DEBUG"]
    result = run_crawl(OUTCOMES["spider"], faults.base_url, tmp_path_factory.mktemp("faults"), *settings)
    assert result.returncode == 0, result.output[-4000:]
    return result


def records(result: CrawlResult) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in result.records()}


def page_on_disk(article_id: str) -> tuple[bytes, str]:
    """The UTF-8 page a route serves, and the article's live URL."""
    routes = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))
    key = article_id.split(":")[1]
    path, spec = next((p, s) for p, s in routes.items() if p.endswith(f"-post{key}.html"))
    return (SITE / spec["file"]).read_bytes(), f"https://baohatinh.vn{path}"


# -- the outcome of the whole crawl ------------------------------------------------------


@pytest.mark.slow
def test_every_good_article_is_stored(crawl: CrawlResult) -> None:
    assert sorted(records(crawl)) == OUTCOMES["stored_ids"]


@pytest.mark.slow
def test_every_bad_page_is_counted_under_its_reason_in_summary_and_run_file(crawl: CrawlResult) -> None:
    run = crawl.run_file()
    assert run["finish_reason"] == "finished"
    assert run["summary"]["dropped"] == OUTCOMES["dropped"]
    assert run["summary"]["stored"] == len(OUTCOMES["stored_ids"])
    summary_line = next(line for line in crawl.output.splitlines() if line.startswith("baohatinh "))
    for reason, count in OUTCOMES["dropped"].items():
        assert f"{reason}={count}" in summary_line


@pytest.mark.slow
def test_stored_articles_equal_the_clean_pages(crawl: CrawlResult) -> None:
    """Retries, re-encodings, NFD, gzip and broken markup change nothing in the record."""
    for article_id, record in records(crawl).items():
        html, url = page_on_disk(article_id)
        clean = extract_article(html, url, "baohatinh").to_dict()
        for field in ("title", "lead", "text", "published_at", "authors", "tags", "attachments"):
            assert record[field] == clean[field], (article_id, field)


@pytest.mark.slow
def test_jsonl_feed_holds_exactly_the_stored_articles(crawl: CrawlResult) -> None:
    ids = feed_ids(crawl.jsonl)
    assert sorted(ids) == OUTCOMES["stored_ids"]


# -- single faults ---------------------------------------------------------------------


@pytest.mark.slow
def test_server_errors_and_resets_are_retried(crawl: CrawlResult, faults: FaultServer) -> None:
    """900002 answered 500 once and 900004 reset the connection once: both stored on a retry."""
    assert {"baohatinh:900002", "baohatinh:900004"} <= set(records(crawl))
    failures = faults.state.failures
    assert failures["/dan-van-kheo-trong-cai-cach-hanh-chinh-post900002.html"] == 1
    assert failures["/doan-vien-thanh-nien-voi-dan-van-kheo-post900004.html"] == 1
    # The ones that always fail were tried 1 + RETRY_TIMES times before being counted.
    assert failures["/luon-loi-may-chu-dan-van-kheo-post900011.html"] == 3
    assert failures["/luon-ngat-ket-noi-dan-van-kheo-post900012.html"] == 3


@pytest.mark.slow
def test_retry_after_is_honoured(crawl: CrawlResult, faults: FaultServer) -> None:
    """The server answers a retry that comes sooner than its Retry-After with another 503."""
    assert "baohatinh:900003" in records(crawl)
    assert faults.state.early_retries == {}
    assert crawl.run_file()["stats"]["dvk/retry_after/waits"] == 2


@pytest.mark.slow
def test_every_answer_is_kept_in_warc_retries_errors_and_encodings_as_received(crawl: CrawlResult) -> None:
    """The WARC files (docs/provenance.md) hold each answer the downloader returned: 500s and
    503s before their retry, redirects, the gzip page still gzip-encoded."""
    from tests.test_warc import check_pages, indexed

    responses = [r for r in indexed(check_pages(crawl)) if r["warc-type"] == "response"]
    assert len(responses) == crawl.run_file()["stats"]["downloader/response_count"]
    statuses = [r["http:status"] for r in responses if r["warc-target-uri"].endswith("-post900002.html")]
    assert statuses == ["500", "200"]  # the error answer, then the retry's page
    assert {"200", "302", "500", "503"} <= {r["http:status"] for r in responses}
    gzipped = records(crawl)["baohatinh:900010"]["page"]
    raw = (crawl.store.parent / gzipped["warc_file"]).read_bytes()
    member = raw[gzipped["warc_offset"] : gzipped["warc_offset"] + gzipped["warc_length"]]
    assert b"Content-Encoding: gzip" in gzip.decompress(member)


@pytest.mark.slow
def test_windows_1258_pages_are_decoded_and_counted(crawl: CrawlResult) -> None:
    stats = crawl.run_file()["stats"]
    for article_id, fallback in OUTCOMES["decoded"].items():
        text = records(crawl)[article_id]["text"]
        assert "\ufffd" not in text and "dân vận" in text.casefold()
        assert stats[f"dvk/decode/{fallback}"] == 1


@pytest.mark.slow
def test_nfd_page_is_stored_in_nfc_and_matches_the_keyword(crawl: CrawlResult) -> None:
    record = records(crawl)["baohatinh:900007"]
    assert record["matched_keywords"] == ["dân vận khéo"]
    assert record["title"] == "Dân vận khéo trong giải phóng mặt bằng"


@pytest.mark.slow
def test_linked_files_are_attachments_of_the_article_and_never_fetched(crawl: CrawlResult, faults: FaultServer) -> None:
    for article_id, attachments in OUTCOMES["attachments"].items():
        assert records(crawl)[article_id]["attachments"] == attachments
    requested = set(faults.state.paths())
    assert not requested & set(OUTCOMES["never_requested"])


@pytest.mark.slow
def test_page_scripts_are_never_run_and_broken_markup_keeps_its_text(crawl: CrawlResult) -> None:
    record = records(crawl)["baohatinh:900009"]
    assert "SCRIPT" not in record["text"] and "document.write" not in record["text"]
    assert len(record["text"].split("\n\n")) == 3


@pytest.mark.slow
def test_robots_txt_disallowed_path_is_never_requested(crawl: CrawlResult, faults: FaultServer) -> None:
    assert "/bi-chan/noi-bo-dan-van-kheo-post900021.html" not in faults.state.paths()
    assert crawl.run_file()["stats"]["robotstxt/forbidden"] == 1


DOWNLOAD_LINE = re.compile(r"(?:Crawled \(\d+\)|Retrying|Gave up retrying|Error downloading) <GET (\S+)>")


@pytest.mark.slow
def test_every_download_went_to_the_replica_on_loopback(crawl: CrawlResult, faults: FaultServer) -> None:
    """Also after the redirect to a foreign host, which is filtered, never fetched."""
    downloaded = set(DOWNLOAD_LINE.findall(crawl.output))
    assert downloaded and {urlsplit(url).netloc for url in downloaded} == {urlsplit(faults.base_url).netloc}
    assert faults.base_url.startswith("http://127.0.0.1:")
    assert "Filtered offsite request to 'quangcao.example.net'" in crawl.output
    assert crawl.run_file()["stats"]["offsite/filtered"] == 1


# -- the fault mode itself -------------------------------------------------------------


def test_windows_1258_keeps_tone_marks_as_combining_characters() -> None:
    encoded = to_windows_1258("Dân vận khéo")
    assert encoded.decode("cp1258") != "Dân vận khéo"  # "ậ" is "â" + U+0323 in Windows-1258
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == "Dân vận khéo"


def test_outcomes_name_every_article_route() -> None:
    """Each article route of the site is stored or dropped in outcomes.json (no fault untested)."""
    routes = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))
    article_routes = {path for path in routes if "-post" in path and not path.endswith("?*")}
    # 900018 is reached only through 900017's redirect: one loop, counted once.
    assert len(article_routes) - 1 == len(OUTCOMES["stored_ids"]) + sum(OUTCOMES["dropped"].values())


def test_reliability_doc_names_only_tests_that_exist() -> None:
    """Each ``tests/<file>.py::<test>`` that docs/reliability.md cites as proof is a test."""
    doc = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"tests/(\w+)\.py::(\w+)", doc))
    assert len(cited) >= 20
    missing = []
    for module, test in sorted(cited):
        tree = ast.parse((ROOT / "tests" / f"{module}.py").read_text(encoding="utf-8"))
        if test not in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}:
            missing.append(f"{module}::{test}")
    assert missing == []


# -- the pieces, alone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (DownloadTimeoutError("took longer than 30 seconds"), "timeout"),
        (ResponseDataLossError(), "truncated"),
        (DownloadCancelledError(), "too_large"),
        (DownloadFailedError("Connection lost"), "connection_lost"),
        (zlib.error("invalid block type"), "bad_compression"),
        (IgnoreRequest("Forbidden by robots.txt"), "robots_disallowed"),
        (IgnoreRequest("max redirections reached"), "redirect_loop"),
        (IgnoreRequest("Ignored response because its body exceeded DOWNLOAD_MAXSIZE (1 B)"), "too_large"),
        (IgnoreRequest("something else"), "ignored_request"),
        (KeyError("x"), "download_error_KeyError"),
    ],
)
def test_download_failures_have_named_reasons(error: Exception, reason: str) -> None:
    assert failure_reason(Failure(error)) == reason


def test_http_errors_keep_their_status() -> None:
    response = HtmlResponse("https://baohatinh.vn/a-post1.html", status=503)
    assert failure_reason(Failure(HttpError(response))) == "http_503"
    assert is_transient("http_503") and is_transient("timeout") and not is_transient("http_404")


@pytest.mark.parametrize(
    ("header", "meta", "wait"),
    [
        (b"2", {}, 2.0),
        (b"3600", {}, 60.0),  # capped at DVK_RETRY_AFTER_MAX
        (b"Wed, 21 Oct 2015 07:28:00 GMT", {}, 0.0),  # a date in the past: no wait
        (b"2", {"retry_times": 2}, 0.0),  # RetryMiddleware gives up: nothing to wait for
        (b"2", {"dvk_archive": True}, 0.0),  # the archive's own middleware slows its slot
        (None, {}, 0.0),
    ],
)
def test_retry_after_wait(header: bytes | None, meta: dict[str, Any], wait: float) -> None:
    middleware = PortalRetryAfterMiddleware(StatsCollector(get_crawler()), {503, 429}, retry_times=2, max_wait=60.0)
    headers = {"Retry-After": header} if header else {}
    response = HtmlResponse("https://baohatinh.vn/a-post1.html", status=503, headers=headers)
    assert middleware.wait_for(Request(response.url, meta=meta), response) == wait


def test_decoding_keeps_utf8_with_a_stray_byte_and_falls_back_on_windows_1258() -> None:
    page = "<html><meta charset='utf-8'><p>Dân vận khéo ở cơ sở</p></html>"
    stray = decode_page(page.encode("utf-8") + b"\xff", "text/html; charset=utf-8")
    # The stray byte is a segment that is not UTF-8: read as Windows-1258, the rest stays UTF-8.
    assert stray.encoding == "utf-8" and stray.fallback == "cp1258_segments" and "Dân vận khéo" in stray.text
    legacy = decode_page(to_windows_1258(page), "text/html; charset=utf-8")
    assert legacy.fallback == "cp1258_declared_utf8" and "Dân vận khéo ở cơ sở" in legacy.text
    assert decode_page(page.encode("utf-8"), "text/html").fallback is None  # <meta charset> declares it
    assert decode_page(b"<p>" + "khéo".encode(), None).fallback == "undeclared_utf8"


def test_an_undeclared_windows_1258_page_is_named_so_whatever_w3lib_guesses() -> None:
    # w3lib 2.6 guesses an undeclared page's encoding (and guesses Windows-1258 here); the
    # project's rule is its own, UTF-8 then Windows-1258, so the counted fallback says what happened.
    body = to_windows_1258("<html><title>Phụ nữ</title><p>Dân vận khéo ở cơ sở, nhiều mô hình hay</p></html>")
    for content_type in ("text/html", None):
        page = decode_page(body, content_type)
        assert (page.encoding, page.fallback) == ("cp1258", "cp1258_undeclared")
        assert "Dân vận khéo ở cơ sở" in page.text


def test_attachments_are_the_body_links_to_files_not_sidebar_or_picture_links() -> None:
    page = (
        "<html><body><div class='article__body'><p>Xem <a href='/files/a.pdf'>kế hoạch</a>,"
        " <a href='b.DOCX?x=1'>mẫu</a>, <a href='/anh/c.jpg'>ảnh lớn</a>.</p>"
        "<figure><a href='/anh/d.jpg'><img src='/anh/d.jpg'></a></figure>"
        "<p><a href='/bai-khac-post2.html'>bài khác</a></p></div>"
        "<aside><a href='/files/quy-che.pdf'>Quy chế</a></aside></body></html>"
    )
    assert extract_article(page, "https://baohatinh.vn/x/a-post1.html").attachments == [
        "https://baohatinh.vn/files/a.pdf",
        "https://baohatinh.vn/x/b.DOCX?x=1",
        "https://baohatinh.vn/anh/c.jpg",
    ]
