"""Kept pages: the article pages a crawl wrote to WARC, read back one by one or all.

A stored record points at its page (``record["page"]``: ``warc_file`` relative to the
store's data folder, ``warc_offset`` of its gzip member, ``warc_record_id``,
``fetched_at``), so one page is read with one seek, never a scan. :func:`read_kept_page`
follows such a pointer; :func:`iter_article_pages` walks every WARC file of a data
folder for the response records of article pages (``--all-pages``).

What can go wrong is a :class:`KeptPageError` whose ``reason`` names it, so a bulk
reparse counts it and goes on, and a single lookup prints it as one line.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

POINTER_FIELD = "page"
WARC_FOLDER = "warc"
# The header the WARC writer puts on the records of article pages (discovery pages,
# feeds and sitemaps are kept too, but are no article to re-parse).
PAGE_KIND_HEADER = "WARC-Dvk-Page-Kind"
ARTICLE_KIND = "article"
# Archive captures carry the page's own URL and the capture time beside the replay URL.
ORIGINAL_URL_HEADER = "WARC-Dvk-Original-URL"

# Why a kept page could not be read; the names a reparse summary counts them under.
NO_POINTER = "no_pointer"
BAD_POINTER = "bad_pointer"
MISSING_WARC = "missing_warc"
TRUNCATED_RECORD = "truncated_record"
UNREADABLE_RECORD = "unreadable_record"
RECORD_ID_MISMATCH = "record_id_mismatch"
NOT_A_RESPONSE = "not_a_response"


class KeptPageError(Exception):
    """A kept page that cannot be read: ``reason`` is what a summary counts it under."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PagePointer:
    """Where one page is kept: a WARC file under the data folder and its record's offset."""

    warc_file: str
    warc_offset: int
    warc_record_id: str | None = None
    fetched_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "warc_file": self.warc_file,
            "warc_offset": self.warc_offset,
            "warc_record_id": self.warc_record_id,
            "fetched_at": self.fetched_at,
        }


@dataclass(frozen=True)
class KeptPage:
    """One response record as the crawl received it."""

    pointer: PagePointer
    target_uri: str
    """The URL fetched (a replica's or the archive's replay URL, as asked)."""
    record_id: str
    fetched_at: str
    """``WARC-Date`` as ISO 8601 UTC with seconds, the form records keep."""
    status: int
    content_type: str | None
    body: bytes
    kind: str | None
    """``WARC-Dvk-Page-Kind``: ``article`` for article pages."""
    original_url: str | None = None
    """For an archive capture, the page's own URL."""
    payload_digest: str | None = None


def pointer_of(record: dict[str, Any]) -> PagePointer:
    """The record's page pointer, or a ``no_pointer``/``bad_pointer`` error."""
    page = record.get(POINTER_FIELD)
    if not page:
        raise KeptPageError(NO_POINTER, f"{record.get('id')} has no kept page (stored before pages were kept)")
    try:
        return PagePointer(
            str(page["warc_file"]),
            int(page["warc_offset"]),
            page.get("warc_record_id"),
            page.get("fetched_at"),
        )
    except (KeyError, TypeError, ValueError):
        raise KeptPageError(
            BAD_POINTER, f"{record.get('id')}: page pointer {page!r} lacks warc_file or warc_offset"
        ) from None


def read_kept_page(data_dir: Path, pointer: PagePointer) -> KeptPage:
    """The response record at ``pointer``, checked whole and, when named, by record id."""
    path = data_dir / pointer.warc_file
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise KeptPageError(MISSING_WARC, f"WARC file {path} is missing") from None
    with stream:
        stream.seek(pointer.warc_offset)
        page = _read_record(stream, path, pointer)
    if pointer.warc_record_id and page.record_id != pointer.warc_record_id:
        raise KeptPageError(
            RECORD_ID_MISMATCH,
            f"{path} at offset {pointer.warc_offset} holds {page.record_id}, not {pointer.warc_record_id}",
        )
    return page


def read_at(path: Path, offset: int) -> KeptPage:
    """The record at ``offset`` of a WARC file named by the user (``record --warc``)."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise KeptPageError(MISSING_WARC, f"WARC file {path} is missing") from None
    with stream:
        stream.seek(offset)
        return _read_record(stream, path, PagePointer(str(path), offset))


def _read_record(stream: IO[bytes], path: Path, pointer: PagePointer) -> KeptPage:
    where = f"{path} at offset {pointer.warc_offset}"
    try:
        record = next(iter(ArchiveIterator(stream)), None)
        if record is None:
            raise KeptPageError(TRUNCATED_RECORD, f"{where}: no whole WARC record (the file ends or was cut)")
        return _kept_page(record, pointer, where)
    except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as error:
        raise KeptPageError(UNREADABLE_RECORD, f"{where}: not a readable WARC record ({error})") from None


def _kept_page(record: ArcWarcRecord, pointer: PagePointer, where: str) -> KeptPage:
    headers = record.rec_headers
    if record.rec_type != "response" or record.http_headers is None:
        raise KeptPageError(NOT_A_RESPONSE, f"{where}: a {record.rec_type} record, not a response")
    body = record.content_stream().read()
    # A record cut short (a crash while writing, a copied part) reads as less than its
    # Content-Length: the reader stops where the bytes end, without an error.
    if getattr(record.raw_stream, "limit", 0) > 0:
        raise KeptPageError(TRUNCATED_RECORD, f"{where}: the record is cut short (the file ends inside it)")
    status = record.http_headers.get_statuscode()
    return KeptPage(
        pointer=pointer,
        target_uri=headers.get_header("WARC-Target-URI") or "",
        record_id=headers.get_header("WARC-Record-ID") or "",
        fetched_at=iso_seconds(headers.get_header("WARC-Date") or ""),
        status=int(status) if status and status.isdigit() else 0,
        content_type=record.http_headers.get_header("Content-Type"),
        body=body,
        kind=headers.get_header(PAGE_KIND_HEADER),
        original_url=headers.get_header(ORIGINAL_URL_HEADER),
        payload_digest=headers.get_header("WARC-Payload-Digest"),
    )


def iso_seconds(warc_date: str) -> str:
    """``2026-12-07T15:00:00Z`` (or with fractions) as ``2026-12-07T15:00:00+00:00``."""
    try:
        moment = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    except ValueError:
        return warc_date
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def warc_files(data_dir: Path) -> list[Path]:
    """Every WARC file under ``<data dir>/warc/``, in name order (run, then sequence)."""
    folder = data_dir / WARC_FOLDER
    return sorted(p for p in folder.rglob("*.warc.gz") if p.is_file()) if folder.is_dir() else []


@dataclass(frozen=True)
class PageEntry:
    """An article page found by a scan: where it is and what the header says."""

    pointer: PagePointer
    spider: str
    """The folder the file is in (``warc/<spider>/``): the portal's spider."""
    target_uri: str
    status: int


def iter_article_pages(data_dir: Path, errors: list[KeptPageError]) -> Iterator[PageEntry]:
    """The response records of article pages in every WARC file, headers only.

    A file that ends in a cut record (a crawl killed while writing) gives the records
    before it; the cut one is appended to ``errors`` as ``truncated_record``.
    """
    for path in warc_files(data_dir):
        relative = str(path.relative_to(data_dir))
        spider = path.parent.name
        try:
            with path.open("rb") as stream:
                records = ArchiveIterator(stream)
                for record in records:
                    headers = record.rec_headers
                    if record.rec_type != "response" or headers.get_header(PAGE_KIND_HEADER) != ARTICLE_KIND:
                        continue
                    status = record.http_headers.get_statuscode() if record.http_headers else ""
                    pointer = PagePointer(
                        relative,
                        records.get_record_offset(),
                        headers.get_header("WARC-Record-ID"),
                        iso_seconds(headers.get_header("WARC-Date") or ""),
                    )
                    uri = headers.get_header("WARC-Target-URI") or ""
                    yield PageEntry(pointer, spider, uri, int(status) if status and status.isdigit() else 0)
        except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as error:
            errors.append(KeptPageError(TRUNCATED_RECORD, f"{path}: the file ends in a cut record ({error})"))
