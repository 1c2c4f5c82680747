"""Stores behind one interface, chosen by ``DVK_STORE_URL``; one store per crawl."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from dvk_crawl.config import setting
from dvk_crawl.store.base import ArticleStore, StoreError
from dvk_crawl.store.sqlite import SqliteStore
from dvk_crawl.storeurl import store_kind

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["ArticleStore", "SqliteStore", "StoreError", "crawler_store", "open_store"]


def open_store(url: str) -> ArticleStore:
    """A store (not yet opened) for ``sqlite:///relative/path``, ``sqlite:////absolute/path``
    or ``postgresql://user@host:port/database`` (``postgres://`` too)."""
    if store_kind(url) == "sqlite":
        return SqliteStore(Path(url.removeprefix("sqlite:///")))
    # Imported here: psycopg is needed only by those who store in PostgreSQL.
    from dvk_crawl.store.postgres import PostgresStore

    return PostgresStore(url)


_CRAWL_STORES: WeakKeyDictionary[Crawler, ArticleStore] = WeakKeyDictionary()


def crawler_store(crawler: Crawler) -> ArticleStore:
    """The crawl's one open store, shared by its spider and pipelines.

    Opened on first use (pipelines open before ``spider_opened`` fires) and closed
    when the engine stops, after every pipeline has flushed.
    """
    store = _CRAWL_STORES.get(crawler)
    if store is None:
        from scrapy import signals

        store = open_store(setting(crawler.settings, "DVK_STORE_URL"))
        store.open()
        _CRAWL_STORES[crawler] = store
        crawler.signals.connect(store.close, signal=signals.engine_stopped, weak=False)
    return store
