"""``dvk-crawl export``: the stored articles as JSON Lines, CSV or Parquet.

Records stream from the store (filters are SQL on its indexed columns) to the
file one batch at a time, so an export of any size runs in constant memory.
Columns follow ``docs/schema.md`` (the order of ``article.schema.json``). The file
is written beside its target and renamed at the end: an interrupted export never
leaves a half file under the name asked for.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import stat
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

from dvk_crawl.cli.common import (
    CliError,
    Progress,
    add_store_option,
    check_portal,
    check_window,
    known_portals,
    open_existing_store,
    parse_day,
)
from dvk_crawl.record import article_schema
from dvk_crawl.store import ArticleStore

FORMATS = ("jsonl", "csv", "parquet")
COLUMNS: tuple[str, ...] = tuple(article_schema()["properties"])
LIST_SEPARATOR = " | "
JSON_COLUMNS = frozenset({"images", "figures"})  # lists of objects: JSON text in a CSV cell
JSON_OBJECT_COLUMNS = frozenset({"page"})  # an object or null: JSON text, or an empty cell
PARQUET_BATCH = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CELL_LIMIT = 32_767  # Excel's limit on the characters of one cell
PARQUET_MISSING = "parquet export needs pyarrow: pip install 'dvk_crawl[parquet]'"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write stored articles to a JSON Lines, CSV or Parquet file",
        description="Write stored articles to a file, streamed from the store in constant memory.",
    )
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="file format (default: jsonl)")
    parser.add_argument("--portal", help="only this portal's articles")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this day")
    parser.add_argument("--relevant-only", action="store_true", help="only articles that name a campaign keyword")
    parser.add_argument(
        "--include-duplicates", action="store_true", help="also near-duplicates (records with duplicate_of set)"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="output file; - for stdout (jsonl, csv)")
    add_store_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    check_window(since, until)
    writer_class = checked_writer(args.format, args.output)
    store = open_existing_store(args.store)
    try:
        check_stored_portal(store, args.portal)
        records = store.iter_records(
            args.portal,
            since=since,
            until=until,
            relevant_only=args.relevant_only,
            include_duplicates=args.include_duplicates,
        )
        progress = Progress("export", "records")
        try:
            with open_output(args.output, binary=writer_class.BINARY) as stream:
                writer = writer_class(stream)
                written = export_records(records, writer, progress)
        finally:
            # End the store's cursor now, not at garbage collection after the store closed.
            getattr(records, "close", lambda: None)()
    finally:
        store.close()
    where = "stdout" if args.output == "-" else args.output
    changed = "".join(f"; {n} {what}" for what, n in getattr(writer, "changed", {}).items())
    print(f"exported {written} records to {where} in {progress.elapsed:.1f}s{changed}", file=sys.stderr)
    return 0


def checked_writer(file_format: str, output: str) -> type[Writer]:
    """The writer of a format, once it is known to be usable for ``output``."""
    writer_class = WRITERS[file_format]
    writer_class.check_available()
    if output == "-" and file_format == "parquet":
        raise CliError("parquet cannot go to stdout: pass -o FILE.parquet")
    return writer_class


def check_stored_portal(store: ArticleStore, portal: str | None) -> None:
    if portal is not None and portal not in known_portals():
        # A portal since removed from the registry may still have articles in the store.
        check_portal(portal, also_known=(s.portal for s in store.portal_stats()))


def export_records(records: Iterable[dict[str, Any]], writer: Writer, progress: Progress | None = None) -> int:
    """Write records one by one; return how many."""
    written = 0
    for record in records:
        writer.write(record)
        written += 1
        if progress is not None:
            progress.tick()
    writer.close()
    return written


@contextmanager
def open_output(target: str, *, binary: bool) -> Iterator[IO[Any]]:
    if target == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    path = _output_path(target)
    if path.exists() and _is_stream(path):
        # A device or a pipe is written in place: renaming over it would replace the
        # node itself (as root, -o /dev/null would become a regular file).
        with _open_fd(os.open(path, os.O_WRONLY | os.O_NOCTTY), binary) as stream:
            yield stream
        return
    partial = path.with_name(path.name + ".part")
    stream = _open_fd(_create_exclusive(partial, target), binary)
    try:
        yield stream
    except BaseException:
        stream.close()
        partial.unlink(missing_ok=True)
        raise
    stream.close()
    os.replace(partial, path)


def _output_path(target: str) -> Path:
    """Where ``-o`` writes: a symlink's target (the link stays), never a folder."""
    if not target.strip():
        raise CliError("-o is empty: name the output file, or - for stdout")
    path = Path(target)
    if path.is_symlink():
        path = path.resolve()
    if path.is_dir():
        raise CliError(f"-o {target} is a folder: name a file in it")
    if not path.parent.is_dir():
        raise CliError(f"no folder {path.parent} for -o {target}: create it first")
    if path.exists() and not path.is_file() and not _is_stream(path):
        raise CliError(f"-o {target} is not a regular file, a device or a pipe: name another path")
    return path


def _is_stream(path: Path) -> bool:
    mode = path.stat().st_mode
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _create_exclusive(partial: Path, target: str) -> int:
    """The partial file, created new: a file or symlink already there (planted, or left by
    a killed export) is neither followed nor overwritten."""
    try:
        return os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    except FileExistsError:
        raise CliError(
            f"{partial} exists (an interrupted export, or one still running): remove it, then export -o {target} again"
        ) from None
    except OSError as error:
        raise CliError(f"cannot write {partial} for -o {target}: {error.strerror}") from None


def _open_fd(fd: int, binary: bool) -> IO[Any]:
    return open(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")


class Writer(Protocol):
    """Writes rows of ``columns`` (default: the record's); Parquet types them by ``arrow_schema``."""

    BINARY: bool

    @classmethod
    def check_available(cls) -> None: ...

    def __init__(self, stream: IO[Any], columns: tuple[str, ...] = COLUMNS, arrow_schema: Any = None) -> None: ...

    def write(self, record: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class JsonlWriter:
    """One record per line, fields in schema order, UTF-8."""

    BINARY = False

    def __init__(self, stream: IO[Any], columns: tuple[str, ...] = COLUMNS, arrow_schema: Any = None) -> None:
        self.stream = stream
        self.columns = columns

    @classmethod
    def check_available(cls) -> None:
        return None

    def write(self, record: dict[str, Any]) -> None:
        ordered = {column: record.get(column) for column in self.columns}
        self.stream.write(json.dumps(ordered, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.stream.flush()


def csv_cell(column: str, value: Any) -> Any:
    """Lists of strings joined with " | ", images and page as JSON text, booleans as true/false, null as empty."""
    if column in JSON_COLUMNS:
        return json.dumps(value if value is not None else [], ensure_ascii=False)
    if column in JSON_OBJECT_COLUMNS and value is not None:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return value


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text and never runs, at most as long as a cell holds.

    The OWASP rule against CSV injection: a cell starting with ``=``, ``+``, ``-``, ``@``,
    tab or carriage return (a title such as ``=HYPERLINK(…)``) gets a leading ``'``. Excel
    keeps at most 32,767 characters in a cell and splits a longer one over the next rows,
    so longer text is cut there; the JSONL and Parquet exports keep every character.
    """
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text[:CSV_CELL_LIMIT]


class CsvWriter:
    """A header row, then one row per record, columns in schema order, UTF-8."""

    BINARY = False

    def __init__(self, stream: IO[Any], columns: tuple[str, ...] = COLUMNS, arrow_schema: Any = None) -> None:
        self.stream = stream
        self.columns = columns
        self.csv = csv.writer(stream)
        self.csv.writerow(columns)
        self.changed: Counter[str] = Counter()
        """What :func:`spreadsheet_safe` changed, for the closing line of the export."""

    @classmethod
    def check_available(cls) -> None:
        return None

    def write(self, record: dict[str, Any]) -> None:
        self.csv.writerow([self.safe_cell(csv_cell(column, record.get(column))) for column in self.columns])

    def safe_cell(self, cell: Any) -> Any:
        if not isinstance(cell, str):
            return cell
        prefixed = cell.startswith(FORMULA_STARTS)
        if prefixed:
            self.changed["formula-like cells prefixed with '"] += 1
        if len(cell) + prefixed > CSV_CELL_LIMIT:
            self.changed[f"cells cut at {CSV_CELL_LIMIT:,} characters"] += 1
        return spreadsheet_safe(cell)

    def close(self) -> None:
        self.stream.flush()


def parquet_schema() -> Any:
    """The Arrow schema of the record: typed columns, lists as lists, images as structs."""
    import pyarrow as pa

    strings = pa.list_(pa.string())
    types = {
        "authors": strings,
        "tags": strings,
        "attachments": strings,
        "matched_keywords": strings,
        "images": pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())])),
        "figures": pa.list_(figure_struct()),
        "page": page_struct(),
        "view_count": pa.int64(),
        "word_count": pa.int64(),
        "schema_version": pa.int64(),
        "language_confidence": pa.float64(),
        "relevant": pa.bool_(),
    }
    return pa.schema([(column, types.get(column, pa.string())) for column in COLUMNS])


def page_struct() -> Any:
    """The ``page`` pointer (docs/provenance.md) as an Arrow struct; null when no page was kept."""
    import pyarrow as pa

    numbers = ("warc_offset", "warc_length")
    names = ("warc_file", *numbers, "warc_record_id", "payload_digest", "fetched_at")
    return pa.struct([(name, pa.int64() if name in numbers else pa.string()) for name in names])


def figure_struct() -> Any:
    """One entry of ``figures`` (docs/figures.md) as an Arrow struct."""
    import pyarrow as pa

    place_fields = ("written", "type", "name", "province", "province_now", "unit_now")
    place = pa.struct([(name, pa.string()) for name in place_fields])
    numbers = [("count", pa.int64()), ("count_max", pa.int64()), ("start", pa.int64()), ("end", pa.int64())]
    texts = [(name, pa.string()) for name in ("qualifier", "unit", "what", "locality", "sentence", "field")]
    return pa.struct([*numbers, *texts, ("place", place)])


class ParquetWriter:
    """Row groups of ``PARQUET_BATCH`` records: memory holds one group, not the file."""

    BINARY = True

    def __init__(self, stream: IO[Any], columns: tuple[str, ...] = COLUMNS, arrow_schema: Any = None) -> None:
        import pyarrow.parquet as pq

        self.schema = arrow_schema if arrow_schema is not None else parquet_schema()
        self.columns = tuple(self.schema.names)
        self.writer = pq.ParquetWriter(stream, self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []

    @classmethod
    def check_available(cls) -> None:
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise CliError(PARQUET_MISSING) from None

    def write(self, record: dict[str, Any]) -> None:
        self.rows.append({column: record.get(column) for column in self.columns})
        if len(self.rows) >= PARQUET_BATCH:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


WRITERS: dict[str, type[Writer]] = {"jsonl": JsonlWriter, "csv": CsvWriter, "parquet": ParquetWriter}
