"""Kept pages for reparse, inspect and record: :mod:`dvk_crawl.warc`'s reader, with reasons.

A stored record points at its page (``record["page"]``, docs/provenance.md);
:func:`read_kept` follows the pointer with :func:`dvk_crawl.warc.read_page` and
:func:`iter_article_pages` walks every WARC file of a data folder with
:func:`dvk_crawl.warc.scan_file` for the response records of article pages
(``--all-pages``). What can go wrong is a :class:`UnreadablePageError` whose ``reason``
names it, so a bulk reparse counts it and goes on and a single lookup prints it as
one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvk_crawl.warc import FileScan, KeptPage, KeptPageError, read_page, scan_file, warc_paths
from dvk_crawl.warc.reader import gzip_members, parse_member
from dvk_crawl.warc.writer import DVK_HEADER

POINTER_FIELD = "page"
# The WARC-Dvk-* fields the crawl gives a response record (dvk_crawl.warc.middleware.dvk_fields).
KIND_HEADER = DVK_HEADER + "Kind"
PORTAL_HEADER = DVK_HEADER + "Portal"
KEY_HEADER = DVK_HEADER + "Key"
CANONICAL_HEADER = DVK_HEADER + "Canonical-URI"
ORIGINAL_HEADER = DVK_HEADER + "Original-URI"
ARTICLE_KIND = "article"

# Why a kept page could not be read; the names a reparse summary counts them under.
NO_POINTER = "no_pointer"
BAD_POINTER = "bad_pointer"
MISSING_WARC = "missing_warc"
TRUNCATED_RECORD = "truncated_record"
UNREADABLE_RECORD = "unreadable_record"
RECORD_ID_MISMATCH = "record_id_mismatch"
CUT_FILE_END = "cut_file_end"
"""A file that ends in a record cut by a crash: expected after a SIGKILL, no stored record points there."""
POINTER_KEYS = ("warc_file", "warc_offset", "warc_length", "warc_record_id")


class UnreadablePageError(Exception):
    """A kept page that cannot be read: ``reason`` is what a summary counts it under."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def pointer_of(record: dict[str, Any]) -> dict[str, Any]:
    """The record's page pointer, or a ``no_pointer``/``bad_pointer`` error."""
    page = record.get(POINTER_FIELD)
    if not page:
        raise UnreadablePageError(
            NO_POINTER,
            f"{record.get('id')} has no kept page (stored before pages were kept, or crawled with DVK_WARC_ENABLED=0)",
        )
    if not isinstance(page, dict) or any(key not in page for key in POINTER_KEYS):
        keys = ", ".join(POINTER_KEYS)
        raise UnreadablePageError(BAD_POINTER, f"{record.get('id')}: page pointer {page!r} lacks one of {keys}")
    return page


def read_kept(data_dir: Path, pointer: dict[str, Any]) -> KeptPage:
    """The page at ``pointer``; :class:`UnreadablePageError` naming why not."""
    path = data_dir / pointer["warc_file"]
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadablePageError(MISSING_WARC, f"WARC file {path} is missing") from None
    if size < int(pointer["warc_offset"]) + int(pointer["warc_length"]):
        raise UnreadablePageError(
            TRUNCATED_RECORD, f"{path} ends at {size} bytes, inside the record at offset {pointer['warc_offset']}"
        )
    try:
        return read_page(data_dir, pointer)
    except KeptPageError as error:
        # The bytes are there: either another whole record starts at the offset, or none does.
        reason = RECORD_ID_MISMATCH if str(error).startswith("another record") else UNREADABLE_RECORD
        raise UnreadablePageError(reason, str(error)) from None


def read_at(path: Path, offset: int) -> KeptPage:
    """The response record at ``offset`` of a WARC file named by the user (``record --warc``)."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise UnreadablePageError(MISSING_WARC, f"WARC file {path} is missing") from None
    with stream:
        stream.seek(offset)
        scan = FileScan()
        member = next((m for _, m in gzip_members(stream, scan)), None)
    if member is None:
        where = f"{path} at offset {offset}"
        raise UnreadablePageError(TRUNCATED_RECORD, f"{where}: no whole WARC record (cut, or no record)")
    try:
        record, page = parse_member(member)
    except KeptPageError as error:
        raise UnreadablePageError(UNREADABLE_RECORD, f"{path} at offset {offset}: {error}") from None
    if page is None:
        raise UnreadablePageError(UNREADABLE_RECORD, f"{path} at offset {offset}: a {record.rec_type} record, no page")
    return page


@dataclass(frozen=True)
class PageEntry:
    """An article page a scan found: its pointer and the crawl's fields, not its body."""

    pointer: dict[str, Any]
    url: str
    """The URL fetched."""
    status: int
    fields: dict[str, str]
    """The record's ``WARC-Dvk-*`` header fields."""
    spider: str
    """The folder the file is in (``warc/<spider>/``)."""


def iter_article_pages(data_dir: Path, cut: list[UnreadablePageError]) -> Iterator[PageEntry]:
    """The response records of article pages in every WARC file.

    A file that ends in a cut record (a crawl killed while writing) gives the records
    before it; the cut one is appended to ``cut`` as ``cut_file_end``.
    """
    for path in warc_paths(data_dir):
        scan = FileScan()
        for record in scan_file(path, scan):
            page = record.page
            if page is None or page.warc_headers.get(KIND_HEADER) != ARTICLE_KIND:
                continue
            fields = {k: v for k, v in page.warc_headers.items() if k.startswith(DVK_HEADER)}
            yield PageEntry(record.pointer(data_dir, path), page.url, page.status, fields, path.parent.name)
        if scan.truncated:
            where = f"{path} ends in a record cut at offset {scan.truncated_at}"
            cut.append(UnreadablePageError(CUT_FILE_END, where))
