"""A loopback fake of Common Crawl: its index server (collinfo.json, one CDX API per crawl) and WARC files.

Built from the same replica pages as the fake Wayback Machine
(:mod:`dvk_crawl.replica.wayback`): every URL the replica pages link to was crawled by
each crawl of :data:`CRAWLS` whose captures it falls in, with the route's status (200,
301, 404). Each crawl's 200 answers are written with warcio as WARC ``response``
records, one gzip member each, into one WARC file per crawl, as Common Crawl stores them;
the index lists each capture's ``filename``, ``offset`` and ``length``. Invented (not
in portals.md): which crawls hold which pages, the timestamps, the file names' segment,
the page size of the index (5 rows: the paging is exercised).

Endpoints (as on index.commoncrawl.org and data.commoncrawl.org, on one server):

- ``/collinfo.json``: the crawls, newest first, with ``id``, ``name``, ``cdx-api``, ``from``, ``to``;
- ``/<crawl>-index?url=<host or prefix>/*&output=json[&from=…&to=…][&filter=[!][=|~]field:value]``:
  with ``showNumPages=true`` ``{"pages": N, "pageSize": 5, "blocks": N}``, else ``page=<n>``
  answers one JSON object a line; a URL the crawl lacks answers 404 ``No Captures found``,
  a page past the last 400;
- ``/crawl-data/…warc.gz`` with ``Range: bytes=a-b``: 206 and those bytes (200 and the whole
  file without it);
- ``/robots.txt``: allows everything.

Faults (:class:`CommonCrawlFaults`): ``overloaded_first_index`` (the first index request
answers 503 without ``Retry-After``, as the overloaded index server does), ``index_refusals``
(the next N index requests answer 429), ``absent`` (URLs containing these markers were
never crawled). Every request (path and ``Range``) is logged in ``requests``. Binds to
127.0.0.1 only. ``python -m dvk_crawl.replica.commoncrawl`` serves it.
"""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dvk_crawl.replica.server import LOOPBACK, SITES_DIR, Route, load_site
from dvk_crawl.replica.wayback import (
    ARCHIVE_SITES,
    FakeArchiveHandler,
    FakeArchiveServer,
    comparable,
    linked_urls,
    serve_from_command_line,
    surt,
)

CRAWLS: tuple[tuple[str, str, str, str], ...] = (
    # id, first and last day of the crawl, the timestamp of its captures (UTC)
    ("CC-MAIN-2026-12", "2026-03-10T00:00:00", "2026-03-24T00:00:00", "20260312044500"),
    ("CC-MAIN-2025-13", "2025-03-15T00:00:00", "2025-03-28T00:00:00", "20250320101500"),
    ("CC-MAIN-2024-22", "2024-05-18T00:00:00", "2024-06-01T00:00:00", "20240525081500"),
    ("CC-MAIN-2023-06", "2023-01-26T00:00:00", "2023-02-09T00:00:00", "20230201120000"),
)
"""The crawls listed; every page is in each of them but the post-2025 Quảng Ngãi platform, only in 2026."""
PAGE_SIZE = 5
_ONLY_2026 = ("quangngai.gov.vn/tin-tuc/", "quangngai.gov.vn/tim-kiem")


@dataclass(frozen=True)
class CommonCrawlFaults:
    overloaded_first_index: bool = True
    index_refusals: int = 0
    absent: tuple[str, ...] = ()


NO_FAULTS = CommonCrawlFaults(False)


@dataclass
class FakeRecord:
    urlkey: str
    timestamp: str
    url: str
    mime: str
    status: str
    crawl: str
    filename: str = ""
    offset: int = 0
    length: int = 0
    body: bytes = field(default=b"", repr=False)

    def row(self) -> dict[str, str]:
        row = {"urlkey": self.urlkey, "timestamp": self.timestamp, "url": self.url, "mime": self.mime}
        row["status"] = self.status
        if self.filename:
            row |= {"filename": self.filename, "offset": str(self.offset), "length": str(self.length)}
        return row


def warc_filename(crawl: str) -> str:
    return f"crawl-data/{crawl}/segments/1700000000000.1/warc/{crawl}-20000101000000-00000.warc.gz"


def build_crawls(
    sites: tuple[str, ...] = ARCHIVE_SITES, faults: CommonCrawlFaults = CommonCrawlFaults(), sites_dir: Path = SITES_DIR
) -> tuple[list[FakeRecord], dict[str, bytes]]:
    """The index rows of every crawl (sorted as the index lists them) and each crawl's WARC file."""
    pages: dict[str, Route] = {}
    for site in sites:
        for url, route in linked_urls(site, sites_dir / site, load_site(site, sites_dir)).items():
            if not any(marker in url for marker in faults.absent):
                pages[url] = route
    rows: list[FakeRecord] = []
    files: dict[str, bytes] = {}
    for crawl, _, _, timestamp in CRAWLS:
        held = {u: r for u, r in pages.items() if crawl == CRAWLS[0][0] or not comparable(u).startswith(_ONLY_2026)}
        crawl_rows, files[warc_filename(crawl)] = _write_crawl(crawl, timestamp, held)
        rows += crawl_rows
    return sorted(rows, key=lambda r: (r.crawl, r.urlkey, r.timestamp)), files


def _write_crawl(crawl: str, timestamp: str, pages: dict[str, Route]) -> tuple[list[FakeRecord], bytes]:
    """The crawl's rows, and its WARC file: one gzip member per 200 answer, offsets noted."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    rows = []
    iso = f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}T{timestamp[8:10]}:{timestamp[10:12]}:{timestamp[12:]}Z"
    for url, route in sorted(pages.items()):
        mime = route.content_type.split(";")[0].strip()
        row = FakeRecord(surt(url), timestamp, url, mime, str(route.status), crawl)
        if route.status == 200 and route.file is not None:
            body = route.file.read_bytes()
            http = StatusAndHeaders("200 OK", [("Content-Type", route.content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": iso},
            )
            start = buffer.tell()
            writer.write_record(record)
            row.filename, row.offset, row.length, row.body = warc_filename(crawl), start, buffer.tell() - start, body
        rows.append(row)
    return rows, buffer.getvalue()


def index_rows(records: list[FakeRecord], crawl: str, params: dict[str, list[str]]) -> list[FakeRecord]:
    """The rows one index query lists, in index order."""
    target = params.get("url", [""])[0]
    prefix = comparable(target[:-1]) if target.endswith("*") else None
    start, end = params.get("from", [""])[0], params.get("to", [""])[0]
    return [
        r
        for r in records
        if r.crawl == crawl
        and (comparable(r.url).startswith(prefix) if prefix is not None else comparable(r.url) == comparable(target))
        and (not start or r.timestamp >= start.ljust(14, "0"))
        and (not end or r.timestamp <= end.ljust(14, "9"))
        and all(_passes(r.row(), spec) for spec in params.get("filter", []))
    ]


def _passes(row: dict[str, str], spec: str) -> bool:
    """pywb's ``filter``: ``[!]`` negates; ``=field:value`` exact, ``~field:value`` contains, else a regex."""
    negate, spec = spec.startswith("!"), spec.lstrip("!")
    kind = spec[0] if spec[:1] in ("=", "~") else ""
    name, _, value = spec[len(kind) :].partition(":")
    actual = row.get(name, "")
    matched = {"=": actual == value, "~": value in actual}.get(kind, re.search(value, actual) is not None)
    return matched != negate


class CommonCrawlHandler(FakeArchiveHandler):
    records: ClassVar[list[FakeRecord]] = []
    files: ClassVar[dict[str, bytes]] = {}
    faults: ClassVar[CommonCrawlFaults] = CommonCrawlFaults()
    server_version = "dvk-commoncrawl/1"

    def do_GET(self) -> None:  # noqa: N802 (BaseHTTPRequestHandler's name)
        path = urlsplit(self.path).path
        logged = self.path + (f" Range={self.headers['Range']}" if self.headers.get("Range") else "")
        with self.lock:
            self.requests.append(logged)
            index_number = sum(p.startswith("/CC-MAIN-") for p in self.requests)
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/collinfo.json":
            self._send(200, json.dumps(self.collinfo()).encode(), "application/json")
        elif match := re.fullmatch(r"/(CC-MAIN-\d{4}-\d{2})-index", path):
            self._index(match[1], index_number)
        elif path.lstrip("/") in self.files:
            self._file(self.files[path.lstrip("/")])
        else:
            self._send(404, b"Not found", "text/plain")

    def collinfo(self) -> list[dict[str, str]]:
        host = f"http://{self.headers.get('Host', LOOPBACK)}"
        return [
            {"id": crawl, "name": f"{crawl} Index", "cdx-api": f"{host}/{crawl}-index", "from": start, "to": end}
            for crawl, start, end, _ in CRAWLS
        ]

    def _index(self, crawl: str, number: int) -> None:
        if number == 1 and self.faults.overloaded_first_index:
            self._send(503, b"Service Unavailable", "text/plain")
            return
        refused_before = int(self.faults.overloaded_first_index)
        if refused_before < number <= refused_before + self.faults.index_refusals:
            self._send(429, b"Too Many Requests", "text/plain")
            return
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(urlsplit(self.path).query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        # As pywb does, pages are blocks of the index: a page's rows are filtered after paging.
        rows = index_rows(self.records, crawl, {k: v for k, v in params.items() if k != "filter"})
        pages = -(-len(rows) // PAGE_SIZE)
        if params.get("showNumPages", [""])[0] == "true":
            self._send(
                200, json.dumps({"pages": pages, "pageSize": PAGE_SIZE, "blocks": pages}).encode(), "text/x-ndjson"
            )
            return
        if not rows:
            message = {"message": f"No Captures found for: {params.get('url', [''])[0]}"}
            self._send(404, json.dumps(message).encode(), "application/json")
            return
        page = int(params.get("page", ["0"])[0] or 0)
        if page >= pages:
            self._send(400, f"Page {page} invalid: First Page is 0, Last Page is {pages - 1}".encode(), "text/plain")
            return
        listed = index_rows(rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], crawl, params)
        self._send(200, "".join(json.dumps(r.row()) + "\n" for r in listed).encode(), "text/x-ndjson")

    def _file(self, data: bytes) -> None:
        asked = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if asked is None:
            self._send(200, data, "application/octet-stream")
            return
        first, last = int(asked[1]), int(asked[2])
        if first > last or first >= len(data):
            self._send(416, b"", "application/octet-stream")
            return
        last = min(last, len(data) - 1)
        content_range = ("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self._send(206, data[first : last + 1], "application/octet-stream", [content_range])


class CommonCrawlServer(FakeArchiveServer):
    """The fake Common Crawl (index and data) on a loopback port (0 picks a free one).

    Its ``requests`` log a ranged request as ``<path> Range=bytes=a-b``."""

    def __init__(
        self, sites: tuple[str, ...] = ARCHIVE_SITES, faults: CommonCrawlFaults = CommonCrawlFaults(), port: int = 0
    ) -> None:
        records, files = build_crawls(sites, faults)
        super().__init__(CommonCrawlHandler, {"records": records, "files": files, "faults": faults}, port)

    @property
    def records(self) -> list[FakeRecord]:
        assert issubclass(self.handler, CommonCrawlHandler)
        return self.handler.records


def serve_commoncrawl(
    sites: tuple[str, ...] = ARCHIVE_SITES, faults: CommonCrawlFaults = CommonCrawlFaults()
) -> CommonCrawlServer:
    """The fake Common Crawl, to use as ``with serve_commoncrawl() as commoncrawl:``."""
    return CommonCrawlServer(sites, faults)


def main(argv: list[str] | None = None) -> int:
    """``python -m dvk_crawl.replica.commoncrawl``: serve the fake Common Crawl until interrupted."""
    return serve_from_command_line(
        "commoncrawl",
        argv,
        "no 503 on the first index request",
        lambda calm: serve_commoncrawl(faults=NO_FAULTS if calm else CommonCrawlFaults()),
    )


if __name__ == "__main__":
    sys.exit(main())
