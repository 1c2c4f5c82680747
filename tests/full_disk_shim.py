"""``scrapy`` with a SQLite store whose disk is full once it holds an article.

The fallback of ``tests/test_store_failures.py`` where no tiny file system can be
mounted: ``python tests/full_disk_shim.py crawl …`` runs ``scrapy crawl …`` with the
store's batch writes failing as SQLite fails on a full disk.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from scrapy.cmdline import execute

from dvk_crawl.store.base import StoreError
from dvk_crawl.store.sqlite import SqliteStore

_upsert_many = SqliteStore.upsert_many


def upsert_many(self: SqliteStore, records: Iterable[dict[str, Any]]) -> int:
    if self.count() >= 1:
        raise StoreError(f"cannot write to store {self.path}: database or disk is full")
    return _upsert_many(self, records)


if __name__ == "__main__":
    SqliteStore.upsert_many = upsert_many  # type: ignore[method-assign]
    execute(["scrapy", *sys.argv[1:]])
