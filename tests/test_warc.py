"""Every fetched page kept in WARC files (issue 16): the writer, the reader, the crawl.

The writer and reader are tested on their own (round trip, rotation, a cut last record, a
full disk midway); the crawls check that every response of a replica crawl is in the
files, that ``warcio check`` and ``warcio index`` accept them, and that every stored
article points at a record that reads back as the page it was parsed from.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from dvk_crawl import extract_article
from dvk_crawl.cli.export import csv_cell
from dvk_crawl.config import validate_settings
from dvk_crawl.derived import derive_fields
from dvk_crawl.failures import failure_reason
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.record import article_schema, validate_record
from dvk_crawl.spiders import spider_class
from dvk_crawl.warc import Exchange, FileScan, KeptPageError, WarcFiles, read_page, scan_file, warc_paths
from dvk_crawl.warc.middleware import PAGE_META, WarcMiddleware, dvk_fields, page_pointer
from tests.conftest import ROOT, CrawlResult, crawl_command, load_fixture_cases, run_crawl
from tests.test_store_failures import can_mount, error_lines, mount

BaohatinhSpider = spider_class("baohatinh")
QuangtriSpider = spider_class("quangtri")
WARCIO = Path(sys.executable).parent / "warcio"
MOMENT = datetime(2026, 12, 7, 8, 30, 15, 123456, tzinfo=UTC)
HTML = "<html><head><title>Dân vận khéo</title></head><body><p>Mô hình “dân vận khéo”.</p></body></html>"


def page_schema() -> dict[str, Any]:
    return {"$defs": article_schema()["$defs"], **article_schema()["properties"]["page"]}


def exchange(
    url: str = "https://baohatinh.vn/a-post1.html", status: int = 200, body: bytes = b"", **kw: Any
) -> Exchange:
    headers = kw.pop("response_headers", [("Content-Type", "text/html; charset=utf-8")])
    return Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "dvk_crawl/0.1 (Dân vận khéo)".encode().decode("latin-1"))],
        status=status,
        response_headers=headers,
        body=body or HTML.encode(),
        **kw,
    )


def warc_files(tmp_path: Path, max_size: int = 10**9) -> WarcFiles:
    files = WarcFiles(tmp_path, tmp_path / "warc" / "baohatinh", "20261207T083000000000Z", max_size, {"dvk-run": "r"})
    files.open()
    return files


# -- writer and reader -----------------------------------------------------------------------


def test_a_page_reads_back_from_its_pointer_with_its_headers_and_time(tmp_path: Path) -> None:
    files = warc_files(tmp_path)
    gzipped = gzip.compress(HTML.encode())
    headers = [("Content-Length", str(len(gzipped))), ("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    first = files.write(exchange(status=301, body=b" ", response_headers=[("Location", "/b-post1.html")]), MOMENT)
    pointer = files.write(exchange(body=gzipped, response_headers=headers, ip_address="127.0.0.1"), MOMENT)
    files.close()
    jsonschema.validate(pointer, page_schema())
    assert pointer["warc_file"] == "warc/baohatinh/20261207T083000000000Z-00000.warc.gz"
    assert pointer["fetched_at"] == "2026-12-07T08:30:15+00:00"
    page = read_page(tmp_path, pointer)
    assert (page.url, page.status, page.fetched_at) == (exchange().url, 200, pointer["fetched_at"])
    assert page.body == HTML.encode()  # the content encoding undone
    assert page.headers == headers  # as Scrapy hands them on, in order
    assert page.warc_headers["WARC-IP-Address"] == "127.0.0.1"
    assert page.warc_headers["WARC-Payload-Digest"] == pointer["payload_digest"]
    assert read_page(tmp_path, first).status == 301
    records = list(scan_file(tmp_path / pointer["warc_file"]))
    assert [r.record_type for r in records] == ["warcinfo", "response", "request", "response", "request"]
    assert records[3].pointer(tmp_path, tmp_path / pointer["warc_file"]) == pointer


def test_headers_are_kept_byte_for_byte(tmp_path: Path) -> None:
    """warcio alone would percent-encode a UTF-8 header; the bytes sent must stay as they were."""
    files = warc_files(tmp_path)
    disposition = 'attachment; filename="Dân vận.pdf"'.encode().decode("latin-1")
    pointer = files.write(exchange(response_headers=[("Content-Disposition", disposition)]))
    files.close()
    raw = gzip.decompress((tmp_path / pointer["warc_file"]).read_bytes())
    assert 'filename="Dân vận.pdf"'.encode() in raw and "Dân vận khéo".encode() in raw
    assert read_page(tmp_path, pointer).header("Content-Disposition") == 'attachment; filename="Dân vận.pdf"'


def test_a_status_http_does_not_define_is_kept_without_a_reason_phrase(tmp_path: Path) -> None:
    files = warc_files(tmp_path)
    pointer = files.write(exchange(status=599, protocol="HTTP/1.0"))
    files.close()
    assert read_page(tmp_path, pointer).status == 599
    assert b"\r\nHTTP/1.0 599\r\n" in gzip.decompress((tmp_path / pointer["warc_file"]).read_bytes())


def test_each_record_is_its_own_gzip_member_after_a_warcinfo(tmp_path: Path) -> None:
    files = warc_files(tmp_path)
    pointer = files.write(exchange())
    files.close()
    data = (tmp_path / pointer["warc_file"]).read_bytes()
    member = data[pointer["warc_offset"] : pointer["warc_offset"] + pointer["warc_length"]]
    assert gzip.decompress(member).startswith(b"WARC/1.0\r\nWARC-Date: ")
    assert gzip.decompress(data[: pointer["warc_offset"]]).startswith(b"WARC/1.0\r\nWARC-Type: warcinfo\r\n")


def test_files_rotate_at_the_size_limit_and_each_starts_with_warcinfo(tmp_path: Path) -> None:
    files = warc_files(tmp_path, max_size=6000)
    pointers = [
        files.write(exchange(url=f"https://baohatinh.vn/a-post{i}.html", body=os.urandom(1500))) for i in range(8)
    ]
    files.close()
    paths = warc_paths(tmp_path, "baohatinh")
    assert paths == warc_paths(tmp_path) == sorted((tmp_path / "warc" / "baohatinh").glob("*.warc.gz"))
    assert [p.name.removeprefix("20261207T083000000000Z") for p in paths[:2]] == ["-00000.warc.gz", "-00001.warc.gz"]
    assert len(paths) >= 3 and all(p.stat().st_size <= 6000 for p in paths)
    for path in paths:
        assert next(scan_file(path)).record_type == "warcinfo"
    assert {p["warc_file"] for p in pointers} == {p.relative_to(tmp_path).as_posix() for p in paths}
    for i, pointer in enumerate(pointers):
        assert read_page(tmp_path, pointer).url == f"https://baohatinh.vn/a-post{i}.html"


def test_a_files_first_exchange_is_written_whatever_its_size(tmp_path: Path) -> None:
    """DVK_WARC_MAX_SIZE bounds what a file takes after its first exchange, not that one."""
    files = warc_files(tmp_path, max_size=6000)
    big = files.write(exchange(url="https://baohatinh.vn/a-post1.html", body=os.urandom(9000)))
    small = files.write(exchange(url="https://baohatinh.vn/a-post2.html"))
    files.close()
    first, second = warc_paths(tmp_path)
    assert big["warc_file"] == first.relative_to(tmp_path).as_posix() and first.stat().st_size > 9000
    assert small["warc_file"] == second.relative_to(tmp_path).as_posix()


def test_a_file_of_another_crawl_is_never_appended_to(tmp_path: Path) -> None:
    folder = tmp_path / "warc" / "baohatinh"
    folder.mkdir(parents=True)
    (folder / "20261207T083000000000Z-00000.warc.gz").write_bytes(b"another worker's")
    pointer = warc_files(tmp_path).write(exchange())
    assert pointer["warc_file"].endswith("-00001.warc.gz")
    assert (folder / "20261207T083000000000Z-00000.warc.gz").read_bytes() == b"another worker's"


@pytest.mark.parametrize("cut_into", ["response", "request", "gzip trailer"])
def test_a_cut_last_record_is_skipped_and_every_earlier_one_reads(tmp_path: Path, cut_into: str) -> None:
    """What a SIGKILL or a power cut mid-write leaves: the earlier records are whole."""
    files = warc_files(tmp_path)
    pointers = [files.write(exchange(url=f"https://baohatinh.vn/a-post{i}.html")) for i in range(3)]
    files.close()
    path, last = tmp_path / pointers[0]["warc_file"], pointers[-1]
    cut = {
        "response": last["warc_offset"] + last["warc_length"] // 2,
        "request": last["warc_offset"] + last["warc_length"] + 40,
        "gzip trailer": path.stat().st_size - 4,
    }[cut_into]
    with path.open("r+b") as warc:
        warc.truncate(cut)
    scan = FileScan()
    whole = [r for r in scan_file(path, scan) if r.page is not None]
    expected_pages = 2 if cut_into == "response" else 3
    assert [r.page.url for r in whole if r.page] == [
        f"https://baohatinh.vn/a-post{i}.html" for i in range(expected_pages)
    ]
    assert scan.truncated and scan.truncated_at is not None and scan.truncated_at < cut
    for pointer in pointers[:2]:
        assert read_page(tmp_path, pointer).body == HTML.encode()
    if cut_into == "response":
        with pytest.raises(KeptPageError, match="cut short"):
            read_page(tmp_path, last)


def test_a_pointer_to_a_missing_file_or_another_record_is_an_error(tmp_path: Path) -> None:
    files = warc_files(tmp_path)
    first, second = files.write(exchange()), files.write(exchange())
    files.close()
    with pytest.raises(KeptPageError, match="another record"):
        read_page(tmp_path, {**first, "warc_record_id": second["warc_record_id"]})
    with pytest.raises(KeptPageError, match="no whole record"):
        read_page(tmp_path, {**first, "warc_offset": first["warc_offset"] + 1})
    with pytest.raises(KeptPageError, match="not readable"):
        read_page(tmp_path / "elsewhere", first)


def test_a_disk_full_midway_leaves_no_part_of_the_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = warc_files(tmp_path)
    kept = files.write(exchange())
    path, size = tmp_path / kept["warc_file"], (tmp_path / kept["warc_file"]).stat().st_size
    real_write, taken = os.write, []

    def full_after_some_bytes(fd: int, data: Any) -> int:
        if taken:
            raise OSError(errno.ENOSPC, "No space left on device")
        taken.append(real_write(fd, bytes(data[:100])))
        return 100

    monkeypatch.setattr(os, "write", full_after_some_bytes)
    with pytest.raises(OSError, match="No space left"):
        files.write(exchange())
    monkeypatch.undo()
    files.close()
    assert taken == [100] and path.stat().st_size == size
    assert read_page(tmp_path, kept).body == HTML.encode()
    assert not FileScan().truncated and [r.record_type for r in scan_file(path)][-1] == "request"


# -- the middleware ----------------------------------------------------------------------------


def middleware(tmp_path: Path, **settings: Any) -> tuple[WarcMiddleware, Any]:
    crawler = get_crawler(BaohatinhSpider, {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}", **settings})
    crawler.stats.open_spider()
    crawler.spider = BaohatinhSpider()
    warc = WarcMiddleware.from_crawler(crawler)
    warc.spider_opened(crawler.spider)
    return warc, crawler


def answer(request: Request, status: int = 200, **kw: Any) -> Response:
    return HtmlResponse(request.url, status=status, body=HTML.encode(), encoding="utf-8", request=request, **kw)


def test_a_redirected_request_carries_the_pointer_of_its_own_answer_only(tmp_path: Path) -> None:
    warc, crawler = middleware(tmp_path)
    request = Request("https://baohatinh.vn/a-post1.html", meta={"dvk_kind": "article", "dvk_key": "1"})
    warc.process_response(request, answer(request, 301, headers={"Location": "/b-post1.html"}))
    redirect_pointer = request.meta[PAGE_META]
    followed = request.replace(url="https://baohatinh.vn/b-post1.html")  # what RedirectMiddleware does
    response = warc.process_response(followed, answer(followed))
    pointer = page_pointer(response)
    assert pointer is not None and pointer != redirect_pointer
    assert read_page(tmp_path, pointer).url == "https://baohatinh.vn/b-post1.html"
    assert read_page(tmp_path, redirect_pointer).status == 301
    page = read_page(tmp_path, pointer)
    assert page.warc_headers["WARC-Dvk-Kind"] == "article" and page.warc_headers["WARC-Dvk-Key"] == "1"
    assert crawler.stats.get_value("dvk/warc/records") == 4


def test_a_record_that_cannot_be_written_stops_its_response_and_leaves_no_pointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warc, crawler = middleware(tmp_path)
    request = Request("https://baohatinh.vn/a-post1.html")
    warc.process_response(request, answer(request, 302, headers={"Location": "/b"}))
    followed = request.replace(url="https://baohatinh.vn/b-post1.html")
    assert PAGE_META in followed.meta  # the redirect's pointer, copied with the meta

    def disk_full(self: WarcFiles, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(WarcFiles, "append", disk_full)
    with pytest.raises(IgnoreRequest) as raised:
        warc.process_response(followed, answer(followed))
    assert PAGE_META not in followed.meta
    assert failure_reason(Failure(raised.value)) == "warc_error"
    assert crawler.stats.get_value("dvk/warc/write_errors") == 1
    with pytest.raises(IgnoreRequest):  # the crawl is stopping: nothing after the gap
        warc.process_response(request, answer(request))


def test_an_archive_capture_names_its_original_url_and_capture_time() -> None:
    url = "https://web.archive.org/web/20231015021500id_/http://trieuphong.quangtri.gov.vn:80/a?4029104"
    request = Request(url, meta={"dvk_archive": True, "dvk_kind": "article", "dvk_key": "k"})
    fields = dvk_fields(request, QuangtriSpider())
    assert fields["WARC-Dvk-Original-URI"] == "http://trieuphong.quangtri.gov.vn/a?4029104"
    assert fields["WARC-Dvk-Archived-At"] == "2023-10-15T02:15:00+00:00"
    assert fields["WARC-Dvk-Portal"] == "quangtri"
    assert "WARC-Dvk-Original-URI" not in dvk_fields(Request(url), QuangtriSpider())  # a CDX or other request


def test_warc_off_installs_nothing_and_the_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        middleware(tmp_path, DVK_WARC_ENABLED="0")
    for bad in ({"DVK_WARC_MAX_SIZE": "0"}, {"DVK_WARC_MAX_SIZE": "1GB"}, {"DVK_WARC_ENABLED": "maybe"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            validate_settings(get_crawler(BaohatinhSpider, bad).settings)


def test_the_page_pointer_is_a_record_field_exported_as_json(tmp_path: Path) -> None:
    files = warc_files(tmp_path)
    pointer = files.write(exchange())
    case = load_fixture_cases()[0]
    article = derive_fields(extract_article(case.html, case.meta["url"], case.meta["portal"]))
    article.page = dict(pointer)
    validate_record(article.to_dict())
    assert json.loads(csv_cell("page", pointer)) == pointer and csv_cell("page", None) == ""
    with pytest.raises(jsonschema.ValidationError):
        validate_record({**article.to_dict(), "page": {**pointer, "warc_file": "/etc/passwd"}})


# -- crawls ------------------------------------------------------------------------------------


def warcio(command: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WARCIO), command, *map(str, paths)], capture_output=True, text=True, timeout=120)


def check_pages(result: CrawlResult) -> list[Path]:
    """The crawl's WARC files pass ``warcio check`` and every stored article points at its page."""
    data_dir = result.store.parent
    paths = sorted(data_dir.glob("warc/*/*.warc.gz"))
    assert paths, result.output[-3000:]
    check = warcio("check", *paths)
    assert check.returncode == 0, check.stdout + check.stderr
    for record in result.records():
        page = read_page(data_dir, record["page"])
        assert page.status == 200 and page.fetched_at == record["fetched_at"] == record["page"]["fetched_at"]
        again = extract_article(page.body, record["url"], record["portal"], content_type=page.content_type)
        assert (again.title, again.text) == (record["title"], record["text"])
    return paths


def indexed(paths: list[Path]) -> list[dict[str, str]]:
    index = warcio("index", "-f", "warc-type,warc-target-uri,http:status,warc-dvk-kind,warc-concurrent-to", *paths)
    assert index.returncode == 0, index.stderr
    return [json.loads(line) for line in index.stdout.splitlines()]


@pytest.mark.slow
def test_a_crawl_keeps_every_response_and_its_articles_point_at_their_pages(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    result = run_crawl("baohatinh", replicas["baohatinh"], tmp_path)
    assert result.returncode == 0, result.output[-3000:]
    assert result.records()
    paths = check_pages(result)
    assert all(p.parent == tmp_path / "warc" / "baohatinh" for p in paths)
    run, run_name = result.run_file(), sorted(result.runs_dir.glob("*/*.json"))[-1].stem
    assert all(p.name.startswith(run_name + "-") for p in paths)  # the run file's name
    records = indexed(paths)
    responses = [r for r in records if r["warc-type"] == "response"]
    requests = [r for r in records if r["warc-type"] == "request"]
    # Every answer the downloader returned: redirects and errors too, before Scrapy acted on them.
    assert len(responses) == len(requests) == run["stats"]["downloader/response_count"]
    assert {r["http:status"] for r in responses} >= {"200", "404"}
    assert {r["warc-dvk-kind"] for r in responses if "warc-dvk-kind" in r} == {"article", "discovery"}
    assert all(r.get("warc-concurrent-to") for r in requests)
    assert records[0]["warc-type"] == "warcinfo"


@pytest.mark.slow
def test_archive_captures_and_their_redirects_are_kept(replicas: dict[str, str], tmp_path: Path) -> None:
    from dvk_crawl.replica.wayback import serve_wayback

    with serve_wayback() as wayback:
        result = run_crawl(
            "quangtri", replicas["quangtri"], tmp_path,
            "-a", "source=archive", "-a", "sites=trieuphong",
            # The fake Wayback Machine only: the default archives include the real Common Crawl.
            "-a", "archives=wayback", "-s", "DVK_WAYBACK_CDX_PER_MINUTE=0", "-s", "DVK_WAYBACK_CAPTURES_PER_MINUTE=0",
            "-s", f"DVK_ARCHIVE_BASE_URL={wayback.base_url}", "-s", "DVK_ARCHIVE_DELAY=0",
        )  # fmt: skip
    assert result.returncode == 0, result.output[-3000:]
    check_pages(result)
    archived, portal = [r for r in result.records() if r["source"] == "archive"], get_portal("quangtri")
    assert archived
    for record in archived:
        page = read_page(tmp_path, record["page"])
        assert page.warc_headers["WARC-Dvk-Archived-At"] == record["archived_at"]
        assert portal.canonicalize(page.warc_headers["WARC-Dvk-Original-URI"]) == record["url"]
        assert page.url.startswith(wayback.base_url + "/web/")
    statuses = {r["http:status"] for r in indexed(sorted(tmp_path.glob("warc/*/*.warc.gz"))) if "http:status" in r}
    assert "302" in statuses  # a capture that redirects to an older one


@pytest.mark.slow
def test_warc_off_keeps_no_page(replicas: dict[str, str], tmp_path: Path) -> None:
    result = run_crawl("baohatinh", replicas["baohatinh"], tmp_path, "-s", "DVK_WARC_ENABLED=0")
    assert result.returncode == 0, result.output[-3000:]
    assert result.records() and all(r["page"] is None for r in result.records())
    assert not (tmp_path / "warc").exists()


@pytest.mark.slow
def test_a_warc_folder_that_cannot_be_written_stops_the_crawl_before_fetching(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "warc").write_text("a file where the folder should be", encoding="utf-8")
    result = run_crawl("baohatinh", replicas["baohatinh"], tmp_path)
    assert result.returncode == 2, result.output[-3000:]
    [line] = error_lines(result.output)
    assert f"cannot write WARC files to {tmp_path / 'warc' / 'baohatinh'}" in line and "DVK_WARC_ENABLED=0" in line
    assert "Traceback" not in result.output and "Spider opened" not in result.output


DISK_BYTES = 24 * 1024


@pytest.fixture
def small_warc_disk(tmp_path: Path) -> Iterator[bool]:
    """``tmp_path/warc`` on a 24 KiB tmpfs when this machine lets the tests mount one (True);
    else False, and ``tests/warc_full_disk_shim.py`` fills the disk at that size instead."""
    if not can_mount():
        yield False
        return
    folder = tmp_path / "warc"
    folder.mkdir()
    mount("-t", "tmpfs", "-o", f"size={DISK_BYTES // 1024}k", "tmpfs", str(folder))
    try:
        yield True
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.slow
def test_a_full_disk_under_the_warc_files_stops_the_crawl_and_nothing_points_past_it(
    replicas: dict[str, str], tmp_path: Path, small_warc_disk: bool
) -> None:
    command = crawl_command("baohatinh", replicas["baohatinh"], tmp_path)
    if not small_warc_disk:
        command = [sys.executable, str(ROOT / "tests" / "warc_full_disk_shim.py"), *command[3:]]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings", "DVK_TEST_WARC_BUDGET": str(DISK_BYTES)}
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)
    output = completed.stdout + completed.stderr
    result = CrawlResult(completed.returncode, output, tmp_path / "dvk.sqlite", tmp_path / "runs", tmp_path / "x")
    assert result.returncode == 1, output[-3000:]
    [error] = [line for line in error_lines(output) if "WARC" in line]
    assert "finish reason warc_error" in error and "No space left on device" in error
    assert output.rstrip().splitlines()[-1] == (
        "baohatinh: the WARC files could not be written (finish reason warc_error); see the ERROR line above"
    )
    assert "Traceback" not in output and result.run_file()["finish_reason"] == "warc_error"
    [path] = check_pages(result)  # every stored article's record was written whole; none half
    stored = len(result.records())
    assert path.stat().st_size <= DISK_BYTES
    scan = FileScan()
    assert list(scan_file(path, scan)) and not scan.truncated
    if small_warc_disk:
        mount("-o", "remount,size=1m", str(tmp_path / "warc"))  # room again for the next run
    again = run_crawl("baohatinh", replicas["baohatinh"], tmp_path)
    assert again.returncode == 0, again.output[-3000:]
    assert len(again.records()) > stored  # the pages not kept are fetched by the next run
    check_pages(again)


@pytest.mark.slow
def test_a_crawl_killed_midway_leaves_every_record_readable(tmp_path: Path) -> None:
    """SIGKILL once articles are stored: each stored article's page reads; every file walks to its end."""
    from dvk_crawl.replica.faults import FaultServer
    from tests.test_crash_safety import kill_after_first_batch

    server = FaultServer("baohatinh", delay=0.3).start()
    try:
        before = kill_after_first_batch(tmp_path, server.base_url)
    finally:
        server.stop()
    assert before
    for row in before.values():
        assert read_page(tmp_path, row["record"]["page"]).fetched_at == row["record"]["fetched_at"]
    for path in tmp_path.glob("warc/*/*.warc.gz"):
        scan = FileScan()
        records = list(scan_file(path, scan))
        assert records[0].record_type == "warcinfo" and records[-1].record_type == "request" and not scan.truncated
