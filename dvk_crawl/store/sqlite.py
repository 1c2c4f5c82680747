"""The embedded default store: one SQLite file in WAL mode, nothing to install.

WAL lets readers (``sqlite3 data/dvk.sqlite``, exports) work while a crawl
writes, and a killed process leaves the last committed transaction intact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from dvk_crawl.store.base import ArticleStore, StoreError

SCHEMA_VERSION = 1
_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE articles (
        id            TEXT PRIMARY KEY,
        portal        TEXT NOT NULL,
        url           TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        published_at  TEXT,
        relevant      INTEGER NOT NULL,
        duplicate_of  TEXT,
        source        TEXT NOT NULL,
        fetched_at    TEXT NOT NULL,
        stored_at     TEXT NOT NULL,
        record        TEXT NOT NULL
    );
    CREATE INDEX articles_hash ON articles (content_hash);
    CREATE INDEX articles_portal_published ON articles (portal, published_at);
    """,
}


class SqliteStore(ArticleStore):
    """Reads ``sqlite:///<path>`` (relative) or ``sqlite:////<abs path>``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"store {self.path} is not open")
        return self._db

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open store {self.path}: {error}") from error

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema {version}, newer than this dvk_crawl ({SCHEMA_VERSION})")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # executescript() would commit on its own: run statements one by one so
            # a migration and its version bump land together or not at all.
            with self._transaction():
                for statement in filter(str.strip, _MIGRATIONS[target].split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")

    def _transaction(self) -> _Commit:
        self.db.execute("BEGIN IMMEDIATE")
        return _Commit(self.db)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def upsert_many(self, records: Iterable[dict[str, Any]]) -> int:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            rows = [_row(record, now) for record in records]
        except KeyError as error:
            raise StoreError(
                f"record without {error.args[0]!r} cannot be stored; nothing of the batch was written"
            ) from None
        if not rows:
            return 0
        try:
            with self._transaction():
                self.db.executemany(_UPSERT, rows)
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error
        return len(rows)

    def has_id(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def id_for_hash(self, content_hash: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? ORDER BY stored_at, id LIMIT 1", (content_hash,)
        ).fetchone()
        return row[0] if row else None

    def known_ids(self, portal: str) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM articles WHERE portal = ?", (portal,))}

    def count(self, portal: str | None = None) -> int:
        if portal is None:
            return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])
        return int(self.db.execute("SELECT count(*) FROM articles WHERE portal = ?", (portal,)).fetchone()[0])

    def iter_records(self, portal: str | None = None) -> Iterator[dict[str, Any]]:
        query, params = "SELECT record FROM articles ORDER BY id", cast(tuple[str, ...], ())
        if portal is not None:
            query, params = "SELECT record FROM articles WHERE portal = ? ORDER BY id", (portal,)
        for (record,) in self.db.execute(query, params):
            yield json.loads(record)


_UPSERT = """
INSERT INTO articles (id, portal, url, content_hash, published_at, relevant, duplicate_of,
                      source, fetched_at, stored_at, record)
VALUES (:id, :portal, :url, :content_hash, :published_at, :relevant, :duplicate_of,
        :source, :fetched_at, :stored_at, :record)
ON CONFLICT (id) DO UPDATE SET
    url = excluded.url, content_hash = excluded.content_hash, published_at = excluded.published_at,
    relevant = excluded.relevant, duplicate_of = excluded.duplicate_of, source = excluded.source,
    fetched_at = excluded.fetched_at, stored_at = excluded.stored_at, record = excluded.record
"""


def _row(record: dict[str, Any], stored_at: str) -> dict[str, Any]:
    return {
        "id": record["id"],
        "portal": record["portal"],
        "url": record["url"],
        "content_hash": record["content_hash"],
        "published_at": record.get("published_at"),
        "relevant": int(bool(record.get("relevant"))),
        "duplicate_of": record.get("duplicate_of"),
        "source": record.get("source", "live"),
        "fetched_at": record["fetched_at"],
        "stored_at": stored_at,
        "record": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }


class _Commit:
    """``with``: commit on success, roll back on any error (the batch is all or nothing)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
