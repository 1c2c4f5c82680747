"""``dvk-crawl figures``: the campaign figures of the stored articles, one row per figure.

Streams records from the store like ``export`` (same filters, writers and atomic
output file) and writes one row per figure with its article and its place on both
maps (docs/figures.md). A record stored before the figures stage existed has no
``figures`` yet: its figures are read from its text on the way, and ``--backfill``
writes them into the store (``ArticleStore.set_figures``), leaving all else as it is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from dvk_crawl.cli.common import CliError, Progress, add_store_option, check_window, open_existing_store, parse_day
from dvk_crawl.cli.export import FORMATS, Writer, check_stored_portal, checked_writer, export_records, open_output
from dvk_crawl.figures import extract_record_figures
from dvk_crawl.store import ArticleStore

ARTICLE_COLUMNS = ("article_id", "url", "published_at", "portal", "province", "former_province")
FIGURE_COLUMNS = ("count", "count_max", "qualifier", "unit", "what", "sentence", "field")
PLACE_COLUMNS = ("locality_type", "locality_name", "locality_province", "locality_province_now", "locality_unit_now")
COLUMNS = (*ARTICLE_COLUMNS, "locality", *PLACE_COLUMNS, *FIGURE_COLUMNS)
INTEGER_COLUMNS = frozenset({"count", "count_max"})
BACKFILL_BATCH = 500


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "figures",
        help="write the campaign figures of stored articles, one row per figure; or --backfill them",
        description="Write the campaign figures (models, commended collectives and people) of stored articles,"
        " one row per figure, streamed from the store. See docs/figures.md.",
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="file format (default: csv)")
    parser.add_argument("--portal", help="only this portal's articles")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this day")
    parser.add_argument(
        "--locality", metavar="TEXT", help="only figures whose locality (as written or normalised) contains TEXT"
    )
    parser.add_argument(
        "--include-duplicates", action="store_true", help="also copies of a story (records with duplicate_of set)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="output file; - for stdout (jsonl, csv)")
    parser.add_argument(
        "--backfill", action="store_true", help="instead, fill the figures of the stored records from their text"
    )
    add_store_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    check_window(since, until)
    if args.backfill == bool(args.output):
        raise CliError("pass either -o FILE (the figures as rows) or --backfill (fill them in the store)")
    if args.backfill and args.locality:
        raise CliError("--locality picks rows to write; --backfill fills every record (use --portal, --since, --until)")
    writer_class = None if args.backfill else checked_writer(args.format, args.output)
    store = open_existing_store(args.store)
    try:
        check_stored_portal(store, args.portal)
        # Copies of a story report its figures again: rows leave them out unless asked; a
        # backfill fills every record.
        duplicates = args.include_duplicates or args.backfill
        records = store.iter_records(args.portal, since=since, until=until, include_duplicates=duplicates)
        try:
            if writer_class is None:
                return backfill(records, args.store)
            return write_rows(records, args, writer_class)
        finally:
            getattr(records, "close", lambda: None)()
    finally:
        store.close()


def write_rows(records: Iterable[dict[str, Any]], args: argparse.Namespace, writer_class: type[Writer]) -> int:
    progress = Progress("figures", "figures")
    rows = figure_rows(records, args.locality)
    with open_output(args.output, binary=writer_class.BINARY) as stream:
        written = export_records(rows, writer_class(stream, COLUMNS, arrow_schema(args.format)), progress)
    where = "stdout" if args.output == "-" else args.output
    print(f"wrote {written} figures to {where} in {progress.elapsed:.1f}s", file=sys.stderr)
    return 0


def figures_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's stored figures; read from its text when it was stored without them."""
    if "figures" in record:
        return list(record["figures"])
    return [figure.to_dict() for figure in extract_record_figures(record)]


def figure_rows(records: Iterable[dict[str, Any]], locality: str | None = None) -> Iterator[dict[str, Any]]:
    wanted = locality.casefold() if locality else None
    for record in records:
        for figure in figures_of(record):
            row = figure_row(record, figure)
            if wanted is None or any(wanted in str(row[c] or "").casefold() for c in ("locality", "locality_name")):
                yield row


def figure_row(record: dict[str, Any], figure: dict[str, Any]) -> dict[str, Any]:
    place = figure.get("place") or {}
    return {
        "article_id": record["id"],
        **{column: record.get(column) for column in ARTICLE_COLUMNS[1:]},
        "locality": figure.get("locality"),
        "locality_type": place.get("type"),
        "locality_name": place.get("name"),
        "locality_province": place.get("province"),
        "locality_province_now": place.get("province_now"),
        "locality_unit_now": place.get("unit_now"),
        **{column: figure.get(column) for column in FIGURE_COLUMNS},
    }


def arrow_schema(file_format: str) -> Any:
    if file_format != "parquet":
        return None
    import pyarrow as pa

    return pa.schema([(c, pa.int64() if c in INTEGER_COLUMNS else pa.string()) for c in COLUMNS])


def backfill(records: Iterable[dict[str, Any]], store_url: str) -> int:
    """Read every record's figures from its text and write them, a batch per transaction."""
    # A second connection writes: the first one's cursor streams the records meanwhile.
    writer = open_existing_store(store_url)
    progress = Progress("backfill", "records")
    filled = figures = 0
    try:
        batch: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            batch[record["id"]] = [figure.to_dict() for figure in extract_record_figures(record)]
            figures += len(batch[record["id"]])
            progress.tick()
            if len(batch) >= BACKFILL_BATCH:
                filled += flush(writer, batch)
        filled += flush(writer, batch)
    finally:
        writer.close()
    print(f"filled the figures of {filled} records ({figures} figures) in {progress.elapsed:.1f}s", file=sys.stderr)
    return 0


def flush(store: ArticleStore, batch: dict[str, list[dict[str, Any]]]) -> int:
    written = store.set_figures(batch) if batch else 0
    batch.clear()
    return written
