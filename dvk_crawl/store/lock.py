"""One crawl of a portal per store at a time.

Two crawls of one portal on one store would fetch and write the same articles
twice over. The second one exits at once with a message saying which run holds
the lock; a cron or Scrapyd schedule simply tries again at its next slot. The
lock is an OS file lock (``flock``) next to the SQLite file, and a lock on the
database file's inode, so a second path to the same file (a hard link) is no way
around it: the kernel drops both when their process dies, so a killed crawl never
leaves a stale lock behind.
PostgreSQL stores use an advisory lock instead (:mod:`dvk_crawl.store.postgres`).

The workers of one distributed crawl (``DVK_DISTRIBUTED=1``) share a crawl by
design: they hold the lock *shared*, so they run side by side while a separate
single-machine crawl of the portal, which wants it exclusive, is kept off.
"""

from __future__ import annotations

import fcntl
import os
import struct
import zlib
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
    """``flock`` on ``path``; with ``identity``, also a lock on that file's own inode."""

    def __init__(self, path: Path, shared: bool = False, identity: Path | None = None, name: str = "") -> None:
        self.path = path
        self.shared = shared
        self.identity = identity
        self.name = name
        self._file: IO[str] | None = None
        self._identity_fd: int | None = None

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
        if self.identity is not None:
            self._lock_identity(self.identity)

    def _lock_identity(self, target: Path) -> None:
        """Lock one byte of the database file itself, far above what SQLite locks.

        The lock file is found by path, and two hard links (or bind mounts) of one
        database have two paths; a lock on the inode holds through any of them. An open
        file description lock (Linux ``F_OFD_SETLK``), unlike a POSIX one, survives SQLite
        closing its own descriptors of the file, and the kernel drops it with the process.
        """
        try:
            fd = os.open(target, os.O_RDWR | os.O_CLOEXEC)  # a write lock needs a descriptor open for writing
        except OSError:  # EACCES, EROFS: a read-only store; no crawl writes it, and its write check says so
            return
        kind = fcntl.F_RDLCK if self.shared else fcntl.F_WRLCK
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(kind, _identity_offset(self.name)))
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: another holds it
            os.close(fd)
            self.release()
            raise CrawlLockedError(f"a crawl of {self.name} through another path to {target} (a hard link)") from None
        self._identity_fd = fd

    def release(self) -> None:
        if self._identity_fd is not None:
            os.close(self._identity_fd)  # closing the description releases its lock
            self._identity_fd = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


# SQLite locks bytes from 1 GiB (its PENDING_BYTE) up; spiders lock single bytes from 1 TiB.
_IDENTITY_LOCKS_START = 1 << 40


def _identity_offset(spider: str) -> int:
    return _IDENTITY_LOCKS_START + zlib.crc32(spider.encode("utf-8"))


def _flock(kind: int, offset: int) -> bytes:
    """A ``struct flock`` for one byte at ``offset`` (l_pid must be 0 for OFD locks)."""
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, offset, 1, 0)


def sqlite_crawl_lock(database: Path, spider: str, shared: bool = False) -> CrawlLock:
    identity = database if database.exists() else None
    return FileCrawlLock(database.with_name(f"{database.name}.{spider}.lock"), shared, identity, spider)
