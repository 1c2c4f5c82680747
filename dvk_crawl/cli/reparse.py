"""``dvk-crawl reparse``: re-extract stored articles from their kept pages, offline.

A parser fix or a new keyword improves the whole store without fetching a page
again: each stored record's page is read back from its WARC file and goes through
today's parser and the crawl's pipelines (:mod:`dvk_crawl.reparse.core`). ``--dry-run``
reports what would change, per field and per portal, with examples; a real run
writes the changed records (store, then feed) and says how many. ``--all-pages``
also reads the pages of articles that were never stored. See docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from dvk_crawl.cli.common import (
    CliError,
    Progress,
    add_store_option,
    check_window,
    known_portals,
    open_existing_store,
    parse_day,
)
from dvk_crawl.cli.export import check_stored_portal
from dvk_crawl.config import seeds_dir, validate_settings
from dvk_crawl.keywords import SeedFileError, crawl_keywords
from dvk_crawl.portals.registry import use_seeds_dir
from dvk_crawl.reparse.core import ReparseOptions, Reparser, describe
from dvk_crawl.reparse.pipelines import FeedWriteError, OfflinePipelines
from dvk_crawl.seeds import portals_dir
from dvk_crawl.store import ArticleStore
from dvk_crawl.store.lock import CrawlLock, CrawlLockedError
from dvk_crawl.storefiles import store_data_dir, store_feed_path

# Some stored record's kept page is missing or damaged: the store points at nothing.
DAMAGED_EXIT = 1
FEED_ERROR_EXIT = 1
MAX_WORKERS = 4
DEFAULT_WORKERS = min(os.cpu_count() or 1, MAX_WORKERS)
# Below this many records, starting worker processes costs more than it saves.
MIN_RECORDS_PER_POOL = 200


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reparse",
        help="re-extract stored articles from their kept pages (WARC) with today's parsers and pipelines",
        description=(
            "Read each stored article's kept page back from its WARC file, extract it with today's parser,"
            " run it through the crawl's pipelines and update the records that changed (store, then feed)."
            " --dry-run only reports. See docs/cli.md."
        ),
    )
    parser.add_argument("--portal", help="only this portal's articles")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this day")
    parser.add_argument(
        "--dry-run", action="store_true", help="report which fields would change, per field and portal; write nothing"
    )
    parser.add_argument(
        "--all-pages",
        action="store_true",
        help="also read every kept article page whose article is not stored (dropped before), as a crawl would",
    )
    parser.add_argument(
        "--feed", metavar="FILE", help="the JSON Lines feed to append changed records to (default: the store's feed)"
    )
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a crawl setting for the pipelines, as scrapy crawl -s (DVK_KEYWORDS_FILE, DVK_STORE_IRRELEVANT, …)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"processes that read and extract pages (default: the machine's cores, at most {MAX_WORKERS})",
    )
    add_store_option(parser)
    parser.set_defaults(run=run)


def crawl_settings(store_url: str, overrides: list[str]) -> Settings:
    """The project's settings with ``-s`` overrides and the store, checked as a crawl checks them."""
    settings = Settings()
    settings.setmodule("dvk_crawl.settings", priority="project")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            raise CliError(f"-s {override!r}: use -s NAME=VALUE")
        settings.set(name, value, priority="cmdline")
    settings.set("DVK_STORE_URL", store_url, priority="cmdline")
    try:
        validate_settings(settings)
        check_seeds(settings)
    except ValueError as error:  # SeedFileError too: file and line, as scrapy crawl says it
        raise CliError(str(error)) from None
    use_seeds_dir(seeds_dir(settings))
    return settings


def check_seeds(settings: Settings) -> None:
    """The seeds folder and keywords file the pipelines will read, read now: a bad one is a
    usage error before the store is opened or locked, not a traceback from a stage."""
    directory = seeds_dir(settings)
    portals_dir(directory)  # a file in the folder's place
    if not directory.is_dir():
        raise SeedFileError(f"{directory}: no such folder (setting DVK_SEEDS_DIR)")
    crawl_keywords(settings)


def lock_portals(store: ArticleStore, portals: list[str], url: str) -> list[CrawlLock]:
    """The crawl locks of the portals a reparse may write: a crawl of one of them and a
    reparse would each overwrite what the other just stored."""
    held: list[CrawlLock] = []
    try:
        for portal in portals:
            lock = store.crawl_lock(portal)
            lock.acquire()
            held.append(lock)
    except CrawlLockedError as holder:
        for lock in held:
            lock.release()
        running = f"a {portal} crawl or another reparse is running on {url} ({holder})"
        raise CliError(f"{running}: reparse once it ends") from None
    return held


def run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise CliError(f"--workers {args.workers}: use 1 or more")
    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    check_window(since, until)
    settings = crawl_settings(args.store, args.settings)
    reader = open_existing_store(args.store)
    options = ReparseOptions(args.portal, since, until, args.dry_run, args.all_pages)
    feed = None if args.dry_run else (store_feed_path(args.store) if args.feed is None else Path(args.feed))
    locks: list[CrawlLock] = []
    records: Iterator[dict[str, Any]] | None = None
    try:
        check_stored_portal(reader, args.portal)
        if not args.dry_run:
            portals = (
                [args.portal] if args.portal else sorted({*known_portals(), *(s.portal for s in reader.portal_stats())})
            )
            locks = lock_portals(reader, portals, args.store)
        pipelines = OfflinePipelines(settings, feed)
        try:
            pipelines.open()
            progress = Progress("reparse", "pages")
            # A second connection writes: the first one's cursor streams the records meanwhile.
            records = reader.iter_records(args.portal, since=since, until=until, include_duplicates=True)
            workers = args.workers if reader.count(args.portal) >= MIN_RECORDS_PER_POOL else 1
            reparser = Reparser(pipelines, store_data_dir(args.store), options, workers)
            summary = reparser.run(records, progress.tick)
        except FeedWriteError as error:  # the store was written: not a usage error
            print(f"dvk-crawl: error: {error.strerror}", file=sys.stderr)
            return FEED_ERROR_EXIT
        finally:
            pipelines.close()
    finally:
        # An interrupted run: the store's record generator (its cursor) ends before its connection.
        getattr(records, "close", lambda: None)()
        for lock in locks:
            lock.release()
        reader.close()
    for line in describe(summary, progress.elapsed):
        print(line)
    if summary.damaged:
        print(
            f"dvk-crawl: {summary.damaged} kept pages could not be read (see 'skipped'); their records are unchanged",
            file=sys.stderr,
        )
        return DAMAGED_EXIT
    return 0
