"""``dvk-crawl migrate-store``: copy one store into another, e.g. SQLite into PostgreSQL.

Copies every table a crawl keeps — articles, near-duplicate signatures with their
band keys, visits, runs — streamed from the source in batches of ``--batch`` rows,
each batch one transaction of the target. The source is only read. Running it
again adds nothing twice (articles and visits are upserted by id; signatures and
runs already there are left alone), so an interrupted copy is finished by
running the same command again, and the copied rows keep their original times
(``stored_at``, ``visited_at``) and order.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from itertools import islice
from typing import Any

from dvk_crawl.cli.common import CliError, Progress, open_existing_store
from dvk_crawl.store import ArticleStore, StoreError, open_store
from dvk_crawl.store.base import TABLES
from dvk_crawl.storeurl import display_url

DEFAULT_BATCH = 500


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate-store",
        help="copy a store into another (SQLite into PostgreSQL)",
        description="Copy articles, signatures, visits and runs from one store into another; safe to run again.",
    )
    parser.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the store to copy, e.g. sqlite:///data/dvk.sqlite"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="where to copy it, e.g. postgresql://host/db"
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, metavar="N", help=f"rows per transaction (default {DEFAULT_BATCH})"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        raise CliError(f"--batch {args.batch} must be at least 1")
    if args.source == args.target:
        raise CliError("--from and --to name the same store: nothing to copy")
    try:
        source = open_existing_store(args.source)
    except CliError as error:
        raise CliError(str(error).replace("--store", "--from")) from None
    try:
        target = open_target(args.target)
        try:
            counts = {table: copy_table(source, target, table, args.batch) for table in TABLES}
            total = target.count()
        finally:
            target.close()
    except StoreError as error:
        raise CliError(f"{error}; run the same command again to finish the copy") from None
    finally:
        source.close()
    copied = ", ".join(f"{n} {table}" for table, n in counts.items())
    print(f"copied {copied}; {display_url(args.target)} holds {total} articles")
    return 0


def open_target(url: str) -> ArticleStore:
    """The target store, created (tables, and a missing PostgreSQL schema) if need be."""
    try:
        store = open_store(url)
        store.open()
    except ValueError as error:
        raise CliError(str(error).replace("DVK_STORE_URL=", "--to ")) from None
    except StoreError as error:
        raise CliError(str(error)) from None
    return store


def copy_table(source: ArticleStore, target: ArticleStore, table: str, batch: int) -> int:
    """Copy one table in batches; return how many rows were read from the source."""
    progress = Progress(f"migrate-store {table}", "rows", stream=sys.stderr)
    for rows in batches(source.dump_rows(table), batch):
        target.load_rows(table, rows)
        progress.tick(len(rows))
    return progress.count


def batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(rows, size)):
        yield chunk
