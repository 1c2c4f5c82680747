"""Reading kept pages back from a crawl's WARC files.

:func:`read_page` reads the one record a stored article points to (its ``page``
field): a seek and a read of one gzip member, no scan. :func:`scan_file` walks a
whole file, record by record, for tools that want every kept page (``warcio index``
does the same); a record cut by a crash can only be the last one of a file, and is
reported there (``truncated``), not raised.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from dvk_crawl.storefiles import WARC_FOLDER
from dvk_crawl.warc.writer import SUFFIX

GZIP_WBITS = zlib.MAX_WBITS | 16  # a gzip header and trailer around the deflate stream
CHUNK = 1 << 20


class KeptPageError(ValueError):
    """A page pointer that leads to no readable record: the file is gone, cut, or another record is there."""


@dataclass(frozen=True)
class KeptPage:
    """One ``response`` record: what the crawl received for ``url`` at ``fetched_at``.

    ``body`` is the payload with its content encoding (gzip, br …) undone; ``headers``
    are the HTTP headers as kept; ``warc_headers`` the record's own.
    """

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str
    record_id: str
    warc_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first HTTP header ``name`` (any case), or None."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")


def fetched_at(warc_date: str) -> str:
    """``2026-12-07T15:09:27Z`` as the records spell times: ``2026-12-07T15:09:27+00:00``."""
    return warc_date.removesuffix("Z") + "+00:00" if warc_date.endswith("Z") else warc_date


def kept_page(record: Any) -> KeptPage:
    """The page of a warcio ``response`` record (reads its content)."""
    http = record.http_headers
    status = int(http.get_statuscode() or 0) if http is not None else 0
    return KeptPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=status,
        headers=list(http.headers) if http is not None else [],
        body=record.content_stream().read(),
        fetched_at=fetched_at(record.rec_headers.get_header("WARC-Date")),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        warc_headers=dict(record.rec_headers.headers),
    )


def parse_member(member: bytes) -> tuple[Any, KeptPage | None]:
    """The one WARC record of a whole gzip member (digests checked); raises ``KeptPageError``."""
    try:
        record = next(iter(ArchiveIterator(BytesIO(member), check_digests="raise")))
        return record, (kept_page(record) if record.rec_type == "response" else None)
    except (StopIteration, ArchiveLoadFailed, zlib.error, EOFError, ValueError, AttributeError) as error:
        raise KeptPageError(f"not a whole WARC record: {error or type(error).__name__}") from None


def member_end(data: bytes) -> int | None:
    """Where the first gzip member of ``data`` ends, or None when it is cut (or no gzip)."""
    inflater = zlib.decompressobj(GZIP_WBITS)
    try:
        inflater.decompress(data)
    except zlib.error:
        return None
    return len(data) - len(inflater.unused_data) if inflater.eof else None


def read_page(data_dir: Path, pointer: Mapping[str, Any]) -> KeptPage:
    """The page a record's ``page`` pointer names, read with one seek.

    Raises :class:`KeptPageError` naming the file when it is missing, cut, or holds
    another record at that offset.
    """
    path = data_dir / pointer["warc_file"]
    where = f"{path} at offset {pointer['warc_offset']}"
    try:
        with path.open("rb") as warc:
            warc.seek(pointer["warc_offset"])
            member = warc.read(pointer["warc_length"])
    except OSError as error:
        raise KeptPageError(f"kept page not readable: {where}: {error.strerror or error}") from None
    if member_end(member) != pointer["warc_length"]:
        raise KeptPageError(f"kept page cut short or moved: {where} holds no whole record of {len(member)} bytes")
    try:
        _, page = parse_member(member)
    except KeptPageError as error:
        raise KeptPageError(f"{where}: {error}") from None
    if page is None or page.record_id != pointer["warc_record_id"]:
        found = page.record_id if page else "no response record"
        raise KeptPageError(f"another record at {where}: {found}, not {pointer['warc_record_id']}")
    return page


@dataclass
class FileScan:
    """:func:`scan_file`'s outcome: whether the file ended in a cut record, and where it starts."""

    truncated_at: int | None = None

    @property
    def truncated(self) -> bool:
        return self.truncated_at is not None


@dataclass(frozen=True)
class ScannedRecord:
    offset: int
    length: int
    record_type: str
    record_id: str
    page: KeptPage | None
    """The page of a ``response`` record; None for the other types."""

    def pointer(self, data_dir: Path, path: Path) -> dict[str, Any]:
        """The ``page`` pointer of this record (as :func:`read_page` takes it)."""
        assert self.page is not None
        return {
            "warc_file": path.relative_to(data_dir).as_posix(),
            "warc_offset": self.offset,
            "warc_length": self.length,
            "warc_record_id": self.record_id,
            "payload_digest": self.page.warc_headers.get("WARC-Payload-Digest", ""),
            "fetched_at": self.page.fetched_at,
        }


def gzip_members(warc: IO[bytes], scan: FileScan) -> Iterator[tuple[int, bytes]]:
    """``(offset, member)`` for each whole gzip member; a cut one at the end sets ``scan.truncated_at``."""
    offset, pending = 0, b""
    while True:
        inflater, member = zlib.decompressobj(GZIP_WBITS), bytearray()
        while not inflater.eof:
            chunk = pending or warc.read(CHUNK)
            pending = b""
            if not chunk:
                if member:
                    scan.truncated_at = offset
                return
            try:
                inflater.decompress(chunk)
            except zlib.error:
                scan.truncated_at = offset
                return
            used = len(chunk) - len(inflater.unused_data) if inflater.eof else len(chunk)
            member += chunk[:used]
            pending = chunk[used:]
        yield offset, bytes(member)
        offset += len(member)


def scan_file(path: Path, scan: FileScan | None = None) -> Iterator[ScannedRecord]:
    """Every whole record of a WARC file written by dvk_crawl (one gzip member per record), in order.

    A record cut by a crash ends the walk without an error: pass a :class:`FileScan`
    to learn whether, and at which offset, the file was cut.
    """
    scan = scan if scan is not None else FileScan()
    with path.open("rb") as warc:
        for offset, member in gzip_members(warc, scan):
            try:
                record, page = parse_member(member)
            except KeptPageError:
                scan.truncated_at = offset
                return
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            yield ScannedRecord(offset, len(member), record.rec_type, record_id, page)


def warc_paths(data_dir: Path, spider: str | None = None) -> list[Path]:
    """A store's WARC files (of one spider, or all), oldest run first: ``<data_dir>/warc/<spider>/*.warc.gz``."""
    pattern = f"{WARC_FOLDER}/{spider or '*'}/*{SUFFIX}"
    return sorted(data_dir.glob(pattern), key=lambda path: (path.name, path.parent.name))
