"""One crawl of a portal per store at a time.

Two crawls of one portal on one store would fetch and write the same articles
twice over. The second one exits at once with a message saying which run holds
the lock; a cron or Scrapyd schedule simply tries again at its next slot. The
lock is an OS file lock (``flock``) next to the SQLite file: the kernel drops it
when its process dies, so a killed crawl never leaves a stale lock behind.
PostgreSQL stores use an advisory lock instead (:mod:`dvk_crawl.store.postgres`).

The workers of one distributed crawl (``DVK_DISTRIBUTED=1``) share a crawl by
design: they hold the lock *shared*, so they run side by side while a separate
single-machine crawl of the portal, which wants it exclusive, is kept off.
"""

from __future__ import annotations

import fcntl
import os
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import IO


class CrawlLockedError(RuntimeError):
    """Another crawl of the portal runs on the store."""


class CrawlLock(ABC):
    """Held for a whole crawl; ``acquire`` raises ``CrawlLockedError`` naming the holder."""

    @abstractmethod
    def acquire(self) -> None: ...

    @abstractmethod
    def release(self) -> None: ...


class FileCrawlLock(CrawlLock):
    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path = path
        self.shared = shared
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise CrawlLockedError(holder) from None
        handle.seek(0)
        handle.truncate()
        role = "distributed worker " if self.shared else ""
        handle.write(f"{role}pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def sqlite_crawl_lock(database: Path, spider: str, shared: bool = False) -> CrawlLock:
    return FileCrawlLock(database.with_name(f"{database.name}.{spider}.lock"), shared)
