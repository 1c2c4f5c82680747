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
import sys
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
PARQUET_BATCH = 500
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
                written = export_records(records, writer_class(stream), progress)
        finally:
            # End the store's cursor now, not at garbage collection after the store closed.
            getattr(records, "close", lambda: None)()
    finally:
        store.close()
    where = "stdout" if args.output == "-" else args.output
    print(f"exported {written} records to {where} in {progress.elapsed:.1f}s", file=sys.stderr)
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
    path = Path(target)
    if not path.parent.is_dir():
        raise CliError(f"no folder {path.parent} for -o {target}: create it first")
    partial = path.with_name(path.name + ".part")
    stream: IO[Any] = open(partial, "wb") if binary else open(partial, "w", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        yield stream
    except BaseException:
        stream.close()
        partial.unlink(missing_ok=True)
        raise
    stream.close()
    os.replace(partial, path)


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
    """Lists of strings joined with " | ", images as JSON text, booleans as true/false, null as empty."""
    if column in JSON_COLUMNS:
        return json.dumps(value if value is not None else [], ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return value


class CsvWriter:
    """A header row, then one row per record, columns in schema order, UTF-8."""

    BINARY = False

    def __init__(self, stream: IO[Any], columns: tuple[str, ...] = COLUMNS, arrow_schema: Any = None) -> None:
        self.stream = stream
        self.columns = columns
        self.csv = csv.writer(stream)
        self.csv.writerow(columns)

    @classmethod
    def check_available(cls) -> None:
        return None

    def write(self, record: dict[str, Any]) -> None:
        self.csv.writerow([csv_cell(column, record.get(column)) for column in self.columns])

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
        "view_count": pa.int64(),
        "word_count": pa.int64(),
        "schema_version": pa.int64(),
        "language_confidence": pa.float64(),
        "relevant": pa.bool_(),
    }
    return pa.schema([(column, types.get(column, pa.string())) for column in COLUMNS])


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
