"""Common Crawl as a second archive: its crawls, its per-crawl CDX index, and its WARC records.

Common Crawl publishes one crawl every month or two (``CC-MAIN-YYYY-WW``), each with a
CDX API of its own on the index server (pywb): ``<index>/<crawl>-index?url=<host>/*&output=json``.
``<index>/collinfo.json`` lists the crawls, newest first, with the span of each (``from``,
``to``). Like cdx_toolkit, crawls are chosen by date: those whose span meets the crawl's
``since``/``until`` window (without one: the newest), newest first, at most
``DVK_COMMONCRAWL_MAX_CRAWLS``. A crawl's listing comes in pages: ``showNumPages=true``
answers ``{"pages": N, ...}``, then ``page=0 … N-1`` answer one JSON object a line
(``url``, ``timestamp``, ``status``, ``mime``, ``filename``, ``offset``, ``length``, …);
a host the crawl does not hold answers 404 (``No Captures found``).

A capture's bytes are a byte range of a WARC file on ``data.commoncrawl.org``:
``Range: bytes=<offset>-<offset+length-1>`` of ``<data>/<filename>`` is one gzip member
holding one WARC ``response`` record (the HTTP answer as crawled), read with warcio.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from dvk_crawl.archive.cdx import CdxError, wayback_timestamp

_CRAWL_ID = re.compile(r"^CC-MAIN-(?P<year>\d{4})-(?P<week>\d{2})$")


@dataclass(frozen=True)
class Crawl:
    id: str
    start: datetime
    end: datetime


def parse_collinfo(body: bytes | str) -> list[Crawl]:
    """The crawls ``collinfo.json`` lists (only ``CC-MAIN-YYYY-WW`` ones), newest first."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise CdxError(f"collinfo.json is not JSON: {error}") from None
    if not isinstance(data, list):
        raise CdxError("collinfo.json is not a list of crawls")
    crawls = [crawl for entry in data if isinstance(entry, dict) and (crawl := _crawl(entry)) is not None]
    return sorted(crawls, key=lambda c: c.end, reverse=True)


def _crawl(entry: dict[str, object]) -> Crawl | None:
    match = _CRAWL_ID.match(str(entry.get("id", "")))
    if match is None:  # the 2008–2012 crawls have other names and no per-crawl CDX API
        return None
    # Without a span, the crawl's ISO week stands for it (how cdx_toolkit dates crawls).
    week = datetime.combine(date.fromisocalendar(int(match["year"]), int(match["week"]), 1), datetime.min.time(), UTC)
    start, end = _moment(entry.get("from")) or week - timedelta(days=14), _moment(entry.get("to")) or week
    return Crawl(str(entry["id"]), start, end)


def _moment(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def choose_crawls(crawls: list[Crawl], since: datetime | None, until: datetime | None, most: int) -> list[Crawl]:
    """The crawls whose span meets ``[since, until)``, newest first, at most ``most``."""
    meeting = [
        crawl for crawl in crawls if (since is None or crawl.end >= since) and (until is None or crawl.start < until)
    ]
    return sorted(meeting, key=lambda c: c.end, reverse=True)[:most]


@dataclass(frozen=True)
class IndexQuery:
    """The captures of one crawl under one URL prefix, between two moments (``until`` exclusive)."""

    base_url: str
    crawl: str
    target: str
    since: datetime | None = None
    until: datetime | None = None

    def url(self, page: int | None = None) -> str:
        """The page count (``page=None``) or one page of the listing."""
        params = [("url", self.target), ("output", "json")]
        if self.since is not None:
            params.append(("from", wayback_timestamp(self.since)))
        if self.until is not None:
            params.append(("to", wayback_timestamp(self.until - timedelta(seconds=1))))
        if page is None:
            params.append(("showNumPages", "true"))
        else:
            params += [("filter", "=status:200"), ("page", str(page))]
        return f"{self.base_url.rstrip('/')}/{self.crawl}-index?{urlencode(params)}"


def parse_num_pages(body: bytes | str) -> int:
    """``{"pages": 2, "pageSize": 5, "blocks": 7}`` → 2."""
    try:
        data = json.loads(body)
        pages = data["pages"] if isinstance(data, dict) else None
    except (ValueError, UnicodeDecodeError, KeyError):
        pages = None
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
        raise CdxError("not a page count ({'pages': N})")
    return pages


def parse_index_page(body: bytes | str) -> list[dict[str, str]]:
    """The rows of one index page: one JSON object a line."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    rows = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        try:
            row = json.loads(line)
        except ValueError:
            raise CdxError(f"an index line is not JSON: {line[:80]!r}") from None
        if not isinstance(row, dict):
            raise CdxError(f"an index line is not an object: {line[:80]!r}")
        rows.append({str(k): str(v) for k, v in row.items()})
    return rows


def byte_range(offset: int, length: int) -> str:
    """The ``Range`` header of one record: ``bytes=<offset>-<offset+length-1>``."""
    return f"bytes={offset}-{offset + length - 1}"


@dataclass(frozen=True)
class WarcResponse:
    target: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def read_warc_response(data: bytes) -> WarcResponse:
    """The HTTP answer in a WARC ``response`` record (one gzip member, or plain)."""
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            status = int((record.http_headers.get_statuscode() or "0")[:3])
            headers = [(str(k), str(v)) for k, v in record.http_headers.headers]
            target = str(record.rec_headers.get_header("WARC-Target-URI") or "")
            return WarcResponse(target, status, headers, record.content_stream().read())
    except (ArchiveLoadFailed, ValueError, OSError, EOFError) as error:
        raise CdxError(f"not a WARC record: {error}") from None
    raise CdxError("no WARC response record in the range")
