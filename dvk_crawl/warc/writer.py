"""Writing a crawl's HTTP exchanges to WARC files (ISO 28500), through warcio.

One :class:`WarcFiles` per crawl appends to ``<store data dir>/warc/<spider>/<run>-NNNNN.warc.gz``:
a ``warcinfo`` record opens each file, then every exchange is a ``response`` record
followed by its ``request`` record (``WARC-Concurrent-To`` the response), each record
its own gzip member. A file takes its first exchange whatever its size, and each
further one only if it then stays within ``max_size`` bytes; else the next serial number starts.

Crash safety: the two records of an exchange are built in memory and appended to the
file in one go, whole or not at all (:func:`dvk_crawl.feeds.append_whole`), and with
no buffer in between: once :meth:`WarcFiles.write` returns, its records are in the
file even if the process is killed next. A record cut by a crash (power loss, a disk
filled by another process) can only be the last one; the reader skips it.

What goes in is what Scrapy's downloader returned (see :mod:`dvk_crawl.warc.middleware`
and docs/provenance.md): the body still content-encoded but de-chunked, and the headers
Scrapy's HTTP client hands on, written byte for byte: without the connection-control
headers (``Transfer-Encoding``, ``Connection``, …), which the client keeps to itself, so
no reader de-chunks the body again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple, TypedDict
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dvk_crawl.feeds import append_whole

SUFFIX = ".warc.gz"
DVK_HEADER = "WARC-Dvk-"
"""Prefix of the WARC header fields dvk_crawl adds (docs/provenance.md lists them)."""


class PagePointer(TypedDict):
    """Where a page's ``response`` record is: the record's ``page`` field (docs/schema.md)."""

    warc_file: str  # relative to the store's data folder
    warc_offset: int  # of the record's gzip member in the file
    warc_length: int  # bytes of that gzip member
    warc_record_id: str
    payload_digest: str
    fetched_at: str


@dataclass
class Exchange:
    """One HTTP request and the answer the crawl received for it, as the WARC keeps them."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    request_body: bytes = b""
    protocol: str = "HTTP/1.1"
    """Of the response's status line (a server may answer HTTP/1.0)."""
    ip_address: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    """More WARC header fields of the response record (``WARC-Dvk-*``)."""


class Records(NamedTuple):
    """An exchange's two records, each one gzip member, and what a pointer names of the response."""

    response: bytes
    request: bytes
    response_id: str
    payload_digest: str


def warc_date(moment: datetime) -> str:
    """``2026-12-07T15:09:27Z``: WARC 1.0's form, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_time(moment: datetime) -> str:
    """The same second as the records' ``fetched_at`` spell it (``…+00:00``)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class RawHeaders(StatusAndHeaders):  # type: ignore[misc]  # warcio has no type hints
    """HTTP headers written byte for byte: names and values hold the received bytes read as Latin-1.

    warcio would percent-encode a non-ASCII value (RFC 8187), so a UTF-8 ``User-Agent``
    or ``Content-Disposition`` would not be kept as sent; readers decode these lines as
    UTF-8, else Latin-1 (``StatusAndHeadersParser.decode_header``).
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.to_bytes(header_filter, encoding="latin-1")


def response_headers(exchange: Exchange) -> StatusAndHeaders:
    try:  # Scrapy keeps no reason phrase: the standard one, none for a status HTTP does not define
        reason = HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = ""
    return RawHeaders(f"{exchange.status} {reason}".rstrip(), exchange.response_headers, protocol=exchange.protocol)


def request_headers(exchange: Exchange) -> StatusAndHeaders:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):  # the HTTP client adds it, Scrapy does not see it
        headers.insert(0, ("Host", parts.netloc))
    # Scrapy's HTTP/1.1 download handler sends every request as HTTP/1.1, whatever the server answers.
    return RawHeaders(f"{exchange.method} {target} HTTP/1.1", headers, is_http_request=True)


def encode_record(writer: WARCWriter, record: Any) -> bytes:
    """The record as one gzip member."""
    out = BytesIO()
    WARCWriter(out, gzip=True, warc_version=writer.warc_version).write_record(record)
    return out.getvalue()


class WarcFiles:
    """The WARC files of one crawl of one spider (module docstring)."""

    def __init__(self, data_dir: Path, folder: Path, run: str, max_size: int, info: dict[str, str]) -> None:
        """Files ``<folder>/<run>-NNNNN.warc.gz``; pointers name them relative to ``data_dir``."""
        self.data_dir = data_dir
        self.folder = folder
        self.run = run
        self.max_size = max_size
        self.info = info
        self.builder = WARCWriter(BytesIO(), gzip=True)
        self.serial = -1
        self.path: Path | None = None
        self.fd: int | None = None
        self.size = 0
        self.exchanges_in_file = 0

    def open(self) -> None:
        """Start the run's first file (its warcinfo record): raises ``OSError`` if it cannot be written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.next_file()

    def next_file(self) -> None:
        self.close()
        while True:
            self.serial += 1
            path = self.folder / f"{self.run}-{self.serial:05d}{SUFFIX}"
            try:  # never append to another crawl's file (a distributed worker started the same microsecond)
                self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            break
        self.path, self.size, self.exchanges_in_file = path, 0, 0
        warcinfo = self.builder.create_warcinfo_record(path.name, self.info)
        self.append(encode_record(self.builder, warcinfo))

    def append(self, data: bytes) -> int:
        assert self.fd is not None
        start = append_whole(self.fd, data)
        self.size = start + len(data)
        return start

    def write(self, exchange: Exchange, moment: datetime | None = None) -> PagePointer:
        """Append the exchange's response and request records; where the response record is."""
        moment = moment or datetime.now(UTC)
        records = self.records(exchange, moment)
        size = len(records.response) + len(records.request)
        if self.exchanges_in_file and self.size + size > self.max_size:
            self.next_file()
        start = self.append(records.response + records.request)
        self.exchanges_in_file += 1
        assert self.path is not None
        return PagePointer(
            warc_file=self.path.relative_to(self.data_dir).as_posix(),
            warc_offset=start,
            warc_length=len(records.response),
            warc_record_id=records.response_id,
            payload_digest=records.payload_digest,
            fetched_at=iso_time(moment),
        )

    def records(self, exchange: Exchange, moment: datetime) -> Records:
        """The response and request records of ``exchange``."""
        date = warc_date(moment)
        fields = {"WARC-Date": date, **exchange.extra}
        if exchange.ip_address:
            fields["WARC-IP-Address"] = exchange.ip_address
        builder = self.builder
        response = builder.create_warc_record(
            exchange.url,
            "response",
            payload=BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=response_headers(exchange),
            warc_headers_dict=fields,
        )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request = builder.create_warc_record(
            exchange.url,
            "request",
            payload=BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=request_headers(exchange),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        return Records(encode_record(builder, response), encode_record(builder, request), response_id, digest)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
