"""What the subcommands share: errors for people, the store, portals, dates, progress."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TextIO

from dvk_crawl.config import SETTINGS
from dvk_crawl.dates import FIRST_YEAR, LAST_YEAR, parse_cli_date
from dvk_crawl.store import ArticleStore, StoreError, open_store

DEFAULT_STORE_URL: str = SETTINGS["DVK_STORE_URL"].default
PROGRESS_INTERVAL = 10.0


class CliError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2, no traceback."""


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=DEFAULT_STORE_URL,
        metavar="URL",
        help=f"the store to read (default: {DEFAULT_STORE_URL}, what a crawl writes)",
    )


def add_seeds_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seeds-dir",
        metavar="DIR",
        help="your own seeds folder (keywords.txt, portals/<id>.toml), as -s DVK_SEEDS_DIR in scrapy crawl"
        " (default: the bundled one)",
    )


def use_seeds_option(seeds_dir: str | None) -> None:
    """Make the ``--seeds-dir`` folder's portals the ones this command knows; one line if it is none."""
    if not seeds_dir:
        return
    from dvk_crawl.keywords import SeedFileError
    from dvk_crawl.portals.registry import use_seeds_dir
    from dvk_crawl.seeds import check_seeds_folder

    try:
        check_seeds_folder(Path(seeds_dir))
    except SeedFileError as error:
        raise CliError(str(error).replace("setting DVK_SEEDS_DIR=", "--seeds-dir ")) from None
    use_seeds_dir(Path(seeds_dir))


def open_existing_store(url: str) -> ArticleStore:
    """The store at ``url``, opened, if it exists: a read command never creates one."""
    if url.startswith("sqlite:"):
        path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        if path is None or not str(path):
            raise CliError(f"--store {url!r} names no file; use sqlite:///data/dvk.sqlite")
        if not path.is_file():
            raise CliError(
                f"no store at {path}: run a crawl first or pass --store (make demo's store is sqlite:///data/demo/dvk.sqlite)"
            )
    try:
        store = open_store(url)
        store.open()
    except ValueError as error:
        raise CliError(str(error).replace("DVK_STORE_URL=", "--store ")) from None
    except StoreError as error:
        raise CliError(f"{error}; pass --store with a dvk_crawl store") from None
    return store


def known_portals() -> list[str]:
    from dvk_crawl.portals.registry import PORTALS

    return sorted(PORTALS)


def check_portal(portal: str, also_known: Iterable[str] = ()) -> str:
    """``portal`` if the registry (or ``also_known``, e.g. the store) has it."""
    known = sorted({*known_portals(), *also_known})
    if portal not in known:
        raise CliError(f"unknown portal {portal!r}; known portals: {', '.join(known)}")
    return portal


def parse_day(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option as a day, or a one-line error naming the option."""
    if value is None:
        return None
    try:
        day = parse_cli_date(value, option).date()
    except ValueError as error:
        raise CliError(str(error)) from None
    # 9999-12-31 parses, but the day after it (the end of the window) does not exist.
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CliError(f"{option}={value} is out of range: use a day from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")
    return day


def check_window(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise CliError(f"--since={since} is after --until={until}: swap them")


class Progress:
    """A line on stderr at most every ``interval`` seconds while a long job runs."""

    def __init__(
        self,
        label: str,
        unit: str,
        interval: float = PROGRESS_INTERVAL,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.unit, self.interval = label, unit, interval
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = self.last_time = clock()
        self.count = self.last_count = 0

    def tick(self, n: int = 1) -> None:
        self.count += n
        now = self.clock()
        if now - self.last_time >= self.interval:
            rate = (self.count - self.last_count) / (now - self.last_time)
            self.emit(f"{self.label}: {self.count} {self.unit} ({rate:.0f} {self.unit}/s)")
            self.last_time, self.last_count = now, self.count

    def emit(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started
