"""The files that belong to a store: its data folder, JSON Lines feed and run files.

A store's data folder is the folder of its file for ``sqlite:///<path>``, and
``data/postgresql/<host>-<port>-<database>/`` (under the working folder) for a
PostgreSQL store. A crawl appends its stored articles to ``<folder>/articles.jsonl``,
writes its run file to ``<folder>/runs/<spider>/<UTC timestamp>.json`` and the pages
it fetched to ``<folder>/warc/<spider>/<UTC timestamp>-NNNNN.warc.gz``, so a
crawl into one store never writes to another store's feed or run files. The discovery
pages kept for conditional requests (:mod:`dvk_crawl.httpcache`) are in
``<folder>/httpcache/<spider>/``: what a later run into the same store revalidates. The
add-on :class:`StoreFiles` sets ``FEEDS``, ``DVK_RUNS_DIR`` and ``HTTPCACHE_DIR``
accordingly; each given explicitly (``-s``, ``-o``, a spider's ``custom_settings``) wins.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.settings import BaseSettings

from dvk_crawl.config import setting

FEED_NAME = "articles.jsonl"
RUNS_FOLDER = "runs"
WARC_FOLDER = "warc"
HTTPCACHE_FOLDER = "httpcache"
POSTGRESQL_DATA_DIR = Path("data/postgresql")
# Appended to, never overwritten: the feed holds every article stored into its store.
FEED_OPTIONS: dict[str, Any] = {"format": "jsonlines", "encoding": "utf8", "overwrite": False}


def store_data_dir(url: str) -> Path:
    """The data folder of the store at ``url`` (see the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return Path(url.removeprefix("sqlite:///")).parent
    if parts.scheme in ("postgresql", "postgres"):
        database = parts.path.strip("/")
        name = f"{parts.hostname or 'localhost'}-{parts.port or 5432}-{database}"
        schema = search_path_schema(parts.query)
        if schema:  # two stores in two schemas of one database: two data folders
            name += f"-{schema}"
        # Host and database names may hold characters a folder name should not.
        return POSTGRESQL_DATA_DIR / re.sub(r"[^\w.-]", "_", name)
    raise ValueError(f"DVK_STORE_URL={url!r}: unsupported store; use sqlite:///<path> or postgresql://…")


def search_path_schema(query: str) -> str | None:
    """The first schema of ``options=-csearch_path=…`` in a PostgreSQL URL's query, or None."""
    for options in parse_qs(query).get("options", []):
        match = re.search(r"-c\s*search_path\s*=\s*([^,\s]+)", options)
        if match:
            return match.group(1).strip('"')
    return None


def store_feed_path(url: str) -> Path:
    return store_data_dir(url) / FEED_NAME


def store_runs_dir(url: str) -> Path:
    return store_data_dir(url) / RUNS_FOLDER


def store_warc_dir(url: str) -> Path:
    """Where a crawl keeps the pages it fetched: ``<data folder>/warc/<spider>/`` (dvk_crawl.warc)."""
    return store_data_dir(url) / WARC_FOLDER


def check_folder_writable(folder: Path) -> None:
    """Make ``folder`` and write a page of bytes in it: raise ``OSError`` if it cannot.

    A page of bytes, not an empty file: a full disk still creates empty files."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-") as check:
        check.write(b"\0" * 4096)
        check.flush()


class StoreFiles:
    """Add-on: the feed and the run files of a crawl go to its store's data folder.

    Reads ``DVK_STORE_URL``; sets ``FEEDS``, ``DVK_RUNS_DIR`` and ``HTTPCACHE_DIR`` with add-on priority,
    below the project's, the spider's and the command line's, so a value given
    anywhere else wins.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        url = setting(settings, "DVK_STORE_URL")
        settings.set("FEEDS", {str(store_feed_path(url)): FEED_OPTIONS}, priority="addon")
        settings.set("DVK_RUNS_DIR", str(store_runs_dir(url)), priority="addon")
        # Absolute: Scrapy puts a relative HTTPCACHE_DIR under the project's .scrapy/, away from the store.
        settings.set("HTTPCACHE_DIR", str((store_data_dir(url) / HTTPCACHE_FOLDER).resolve()), priority="addon")
