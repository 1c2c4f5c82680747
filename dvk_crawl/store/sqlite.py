"""The embedded default store: one SQLite file in WAL mode, nothing to install.

WAL lets readers (``sqlite3 data/dvk.sqlite``, exports) work while a crawl
writes, and a killed process leaves the last committed transaction intact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dvk_crawl.store.base import (
    GROUP_ROOTS_SQL,
    TABLES,
    ArticleStore,
    PortalStats,
    SignatureRow,
    StoreError,
    article_rows,
    check_rows,
    record_filter_sql,
)
from dvk_crawl.store.lock import CrawlLock, sqlite_crawl_lock

SCHEMA_VERSION = 5
# Version 4 repairs what earlier versions could leave behind: band rows of replaced
# signatures (foreign keys were off, so ON DELETE CASCADE never fired), signatures
# whose batch was never committed, articles marked as copies of themselves by a
# refresh, and groups rooted by arrival instead of publication. Copies then point at
# the earliest-published stored article of their group.
REPAIR_COPY_LINKS = (
    "DELETE FROM signatures WHERE id NOT IN (SELECT id FROM articles)",
    "DELETE FROM signature_bands WHERE seq NOT IN (SELECT seq FROM signatures)",
    "UPDATE articles SET duplicate_of = NULL, record = json_set(record, '$.duplicate_of', NULL)"
    " WHERE duplicate_of = id OR duplicate_of NOT IN (SELECT id FROM articles)",
    # Materialised first: SQLite's UPDATE … FROM must not read the rows it is changing.
    f"CREATE TEMP TABLE dvk_new_roots AS SELECT * FROM ({GROUP_ROOTS_SQL}) WHERE new_root <> root",
    "UPDATE articles SET duplicate_of = nullif(r.new_root, articles.id),"
    " record = json_set(record, '$.duplicate_of', nullif(r.new_root, articles.id))"
    " FROM dvk_new_roots r WHERE articles.id = r.root OR articles.duplicate_of = r.root",
    "DROP TABLE dvk_new_roots",
    "UPDATE signatures SET duplicate_of = (SELECT a.duplicate_of FROM articles a WHERE a.id = signatures.id)",
)
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
    2: """
    CREATE TABLE signatures (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT NOT NULL UNIQUE,
        signature     BLOB NOT NULL,
        duplicate_of  TEXT
    );
    CREATE TABLE signature_bands (
        band_key  INTEGER NOT NULL,
        seq       INTEGER NOT NULL REFERENCES signatures (seq) ON DELETE CASCADE
    );
    CREATE INDEX signature_bands_key ON signature_bands (band_key);
    CREATE TABLE runs (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        spider         TEXT NOT NULL,
        started_at     TEXT NOT NULL,
        finished_at    TEXT NOT NULL,
        finish_reason  TEXT NOT NULL,
        run            TEXT NOT NULL
    );
    CREATE INDEX runs_spider ON runs (spider, seq);
    """,
    3: """
    CREATE TABLE visits (
        id          TEXT PRIMARY KEY,
        portal      TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        url         TEXT NOT NULL,
        visited_at  TEXT NOT NULL
    );
    CREATE INDEX visits_portal ON visits (portal);
    """,
    4: f"""
    CREATE INDEX articles_duplicate_of ON articles (duplicate_of);
    {"; ".join(REPAIR_COPY_LINKS)}
    """,
    # Version 5: a visit is final only once confirmed (store.base.ArticleStore.add_visit).
    # Visits recorded before were final on one sighting, a maintenance page among them:
    # they start unconfirmed, so each such page is fetched once more.
    5: """
    ALTER TABLE visits ADD COLUMN first_visited_at TEXT;
    ALTER TABLE visits ADD COLUMN final_at TEXT;
    UPDATE visits SET first_visited_at = visited_at
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
            # Off by default in SQLite, per connection: without it ON DELETE CASCADE
            # never fires and a replaced signature leaves its band rows behind.
            self._db.execute("PRAGMA foreign_keys=ON")
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
        if self.db.in_transaction:  # inside dedup_section: join its transaction
            return _Commit(self.db, joined=True)
        self.db.execute("BEGIN IMMEDIATE")
        return _Commit(self.db)

    def check_writable(self) -> None:
        # A read-only file opens fine and reads fine; only a write tells. Rewriting
        # user_version with its own value inside a rolled-back transaction changes nothing.
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute(f"PRAGMA user_version = {version}")
            finally:
                self.db.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error

    @contextmanager
    def dedup_section(self) -> Iterator[None]:
        # BEGIN IMMEDIATE takes SQLite's write lock: other processes wait (busy timeout).
        # Its COMMIT can fail too (a full disk): that is a StoreError like any write's.
        try:
            with self._transaction():
                yield
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def upsert_many(self, records: Iterable[dict[str, Any]]) -> int:
        rows = article_rows(records, _json_text)
        if not rows:
            return 0
        try:
            with self._transaction():
                self.db.executemany(_UPSERT, rows)
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error
        return len(rows)

    def set_figures(self, figures_by_id: dict[str, list[dict[str, Any]]]) -> int:
        rows = [(json.dumps(figures, ensure_ascii=False), article_id) for article_id, figures in figures_by_id.items()]
        try:
            with self._transaction():
                cursor = self.db.executemany(
                    "UPDATE articles SET record = json_set(record, '$.figures', json(?)) WHERE id = ?", rows
                )
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error
        return cursor.rowcount

    def has_id(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def id_for_hash(self, content_hash: str, other_than: str | None = None) -> str | None:
        row = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? AND id IS NOT ? ORDER BY stored_at, id LIMIT 1",
            (content_hash, other_than),
        ).fetchone()
        return row[0] if row else None

    def count(self, portal: str | None = None) -> int:
        if portal is None:
            return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])
        return int(self.db.execute("SELECT count(*) FROM articles WHERE portal = ?", (portal,)).fetchone()[0])

    def iter_records(
        self,
        portal: str | None = None,
        *,
        since: date | None = None,
        until: date | None = None,
        relevant_only: bool = False,
        include_duplicates: bool = True,
    ) -> Iterator[dict[str, Any]]:
        # Filters are SQL on the indexed columns and rows come in small batches, so an
        # export of the whole store holds one batch in memory, never the result set.
        where, params = record_filter_sql("?", portal, since, until, relevant_only, include_duplicates)
        cursor = self.db.execute(f"SELECT record FROM articles{where} ORDER BY id", params)
        try:
            while rows := cursor.fetchmany(_STREAM_BATCH):
                for (record,) in rows:
                    yield json.loads(record)
        finally:
            cursor.close()

    def portal_stats(self) -> list[PortalStats]:
        months: dict[str, dict[str, int]] = {}
        for portal, month, n in self.db.execute(
            "SELECT portal, substr(published_at, 1, 7), count(*) FROM articles"
            " WHERE published_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            months.setdefault(portal, {})[month] = n
        rows = self.db.execute(
            "SELECT portal, count(*), sum(relevant), sum(duplicate_of IS NOT NULL), sum(published_at IS NULL),"
            " min(published_at), max(published_at) FROM articles GROUP BY portal ORDER BY portal"
        )
        return [
            PortalStats(portal, articles, relevant, duplicates, undated, first, last, months.get(portal, {}))
            for portal, articles, relevant, duplicates, undated, first, last in rows
        ]

    def add_signature(self, article_id: str, signature: bytes, band_keys: list[int], duplicate_of: str | None) -> None:
        try:
            with self._transaction():
                self.db.execute("DELETE FROM signatures WHERE id = ?", (article_id,))
                seq = self.db.execute(
                    "INSERT INTO signatures (id, signature, duplicate_of) VALUES (?, ?, ?)",
                    (article_id, signature, duplicate_of),
                ).lastrowid
                self.db.executemany(
                    "INSERT INTO signature_bands (band_key, seq) VALUES (?, ?)", [(key, seq) for key in band_keys]
                )
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error

    def signature_candidates(self, band_keys: list[int]) -> list[SignatureRow]:
        marks = ",".join("?" * len(band_keys))
        rows = self.db.execute(
            "SELECT s.id, s.signature, s.duplicate_of FROM signatures s WHERE s.seq IN"
            f" (SELECT seq FROM signature_bands WHERE band_key IN ({marks})) ORDER BY s.seq",
            band_keys,
        )
        return [SignatureRow(i, bytes(sig), dup) for i, sig, dup in rows]

    def original_of(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT duplicate_of FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def records_by_id(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(ids))
        marks = ", ".join("?" * len(wanted))
        rows = self.db.execute(f"SELECT record FROM articles WHERE id IN ({marks}) ORDER BY id", wanted)
        return [json.loads(record) for (record,) in rows]

    def copy_group(self, root: str) -> list[tuple[str, str | None]]:
        rows = self.db.execute(
            "SELECT id, published_at FROM articles WHERE id = ? UNION SELECT id, published_at FROM articles"
            " WHERE duplicate_of = ?",
            (root, root),
        )
        return [(i, published_at) for i, published_at in rows]

    def relink_copies(self, ids: list[str], root: str) -> None:
        links = [(None if i == root else root, i) for i in ids]
        try:
            with self._transaction():
                self.db.executemany(
                    "UPDATE articles SET duplicate_of = ?1, record = json_set(record, '$.duplicate_of', ?1)"
                    " WHERE id = ?2",
                    links,
                )
                self.db.executemany("UPDATE signatures SET duplicate_of = ? WHERE id = ?", links)
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error

    def add_visit(
        self, article_id: str, portal: str, outcome: str, url: str, *, confirms_before: str | None = None,
        final: bool = False,
    ) -> None:  # fmt: skip
        now = datetime.now(UTC).isoformat(timespec="seconds")
        visit = {"id": article_id, "portal": portal, "outcome": outcome, "url": url, "now": now,
                 "final_at": now if final else None, "confirms_before": confirms_before}  # fmt: skip
        try:
            with self._transaction():
                self.db.execute(_ADD_VISIT, visit)
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error

    def seen_ids(self, portal: str, before: str | None = None) -> set[str]:
        # "~" sorts after every ISO time: no bound.
        bound = before or "~"
        rows = self.db.execute(
            "SELECT id FROM articles WHERE portal = ? AND stored_at <= ?"
            " UNION SELECT id FROM visits WHERE portal = ? AND final_at <= ?",
            (portal, bound, portal, bound),
        )
        return {row[0] for row in rows}

    def unconfirmed_visits(self, portal: str) -> dict[str, str]:
        rows = self.db.execute(
            "SELECT id, url FROM visits WHERE portal = ? AND final_at IS NULL"
            " AND id NOT IN (SELECT id FROM articles WHERE portal = ?)",
            (portal, portal),
        )
        return {str(article_id): str(url) for article_id, url in rows.fetchall()}

    def gone_ids(self, portal: str, outcomes: Iterable[str]) -> set[str]:
        outcomes = tuple(outcomes)
        marks = ", ".join("?" * len(outcomes))
        rows = self.db.execute(
            f"SELECT id FROM visits WHERE portal = ? AND outcome IN ({marks})"
            " EXCEPT SELECT id FROM articles WHERE portal = ?",
            (portal, *outcomes, portal),
        )
        return {row[0] for row in rows}

    def crawl_lock(self, spider: str, shared: bool = False) -> CrawlLock:
        return sqlite_crawl_lock(self.path.resolve(), spider, shared)

    def add_run(self, run: dict[str, Any]) -> None:
        try:
            with self._transaction():
                self.db.execute(
                    "INSERT INTO runs (spider, started_at, finished_at, finish_reason, run) VALUES (?, ?, ?, ?, ?)",
                    (run["spider"], run["started_at"], run["finished_at"], run["finish_reason"], json.dumps(run)),
                )
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error

    def last_runs(self, spider: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT run FROM runs WHERE spider = ? ORDER BY seq DESC LIMIT ?", (spider, limit))
        return [json.loads(run) for (run,) in rows]

    def dump_rows(self, table: str) -> Iterator[dict[str, Any]]:
        if table not in _DUMP:
            raise ValueError(f"no table {table!r}; tables: {', '.join(TABLES)}")
        cursor = self.db.execute(_DUMP[table])
        try:
            while rows := cursor.fetchmany(_STREAM_BATCH):
                for row in rows:
                    yield _from_dump(table, dict(zip(TABLES[table], row, strict=True)))
        finally:
            cursor.close()

    def load_rows(self, table: str, rows: list[dict[str, Any]]) -> int:
        check_rows(table, rows, str(self.path))
        try:
            with self._transaction():
                for row in rows:
                    self._load_row(table, row)
        except (KeyError, TypeError, ValueError) as error:
            raise StoreError(
                f"bad {table} row {error!r} for store {self.path}; nothing of the batch was written"
            ) from None
        except sqlite3.Error as error:
            raise StoreError(f"cannot write to store {self.path}: {error}") from error
        return len(rows)

    def _load_row(self, table: str, row: dict[str, Any]) -> None:
        if table == "articles":
            record = json.dumps(row["record"], ensure_ascii=False, sort_keys=True)
            self.db.execute(_UPSERT, {**row, "relevant": int(bool(row["relevant"])), "record": record})
        elif table == "signatures":
            cursor = self.db.execute(
                "INSERT INTO signatures (id, signature, duplicate_of) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (row["id"], bytes(row["signature"]), row["duplicate_of"]),
            )
            if cursor.rowcount == 1:
                self.db.executemany(
                    "INSERT INTO signature_bands (band_key, seq) VALUES (?, ?)",
                    [(int(key), cursor.lastrowid) for key in row["band_keys"]],
                )
        elif table == "visits":
            self.db.execute(
                f"INSERT INTO visits ({', '.join(TABLES['visits'])}) VALUES (:id, :portal, :outcome, :url,"
                " :visited_at, :first_visited_at, :final_at) ON CONFLICT (id) DO UPDATE SET portal = excluded.portal,"
                " outcome = excluded.outcome, url = excluded.url, visited_at = excluded.visited_at,"
                " first_visited_at = excluded.first_visited_at, final_at = excluded.final_at",
                row,
            )
        else:
            values = (*(row[key] for key in TABLES["runs"][:-1]), json.dumps(row["run"]))
            self.db.execute(
                "INSERT INTO runs (spider, started_at, finished_at, finish_reason, run) SELECT ?, ?, ?, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM runs WHERE spider = ? AND started_at = ? AND finished_at = ?"
                " AND finish_reason = ? AND run = ?)",
                values + values,
            )


# A visit's first sighting starts the streak a later run confirms; a final visit stays final.
_ADD_VISIT = (
    "INSERT INTO visits (id, portal, outcome, url, visited_at, first_visited_at, final_at)"
    " VALUES (:id, :portal, :outcome, :url, :now, :now, :final_at)"
    " ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome, url = excluded.url, visited_at = excluded.visited_at,"
    " final_at = coalesce(visits.final_at, excluded.final_at,"
    " CASE WHEN visits.first_visited_at < :confirms_before THEN excluded.visited_at END)"
)
_STREAM_BATCH = 64  # rows per fetch: a few hundred kB of records at most

# Oldest first: rowid is insertion order (an upsert keeps it), seq is the signatures' and runs' own.
_DUMP = {
    "articles": f"SELECT {', '.join(TABLES['articles'])} FROM articles ORDER BY rowid",
    "signatures": "SELECT s.id, s.signature, s.duplicate_of,"
    " (SELECT group_concat(b.band_key) FROM signature_bands b WHERE b.seq = s.seq) FROM signatures s ORDER BY s.seq",
    "visits": f"SELECT {', '.join(TABLES['visits'])} FROM visits ORDER BY rowid",
    "runs": f"SELECT {', '.join(TABLES['runs'])} FROM runs ORDER BY seq",
}


def _from_dump(table: str, row: dict[str, Any]) -> dict[str, Any]:
    if table == "articles":
        return {**row, "relevant": bool(row["relevant"]), "record": json.loads(row["record"])}
    if table == "signatures":
        keys = [int(key) for key in row["band_keys"].split(",")] if row["band_keys"] else []
        return {**row, "signature": bytes(row["signature"]), "band_keys": keys}
    if table == "runs":
        return {**row, "run": json.loads(row["run"])}
    return row


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


def _json_text(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


class _Commit:
    """``with``: commit on success, roll back on any error (the batch is all or nothing).

    A ``joined`` one runs inside an open transaction and leaves the end to it.
    """

    def __init__(self, db: sqlite3.Connection, joined: bool = False) -> None:
        self.db = db
        self.joined = joined

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self.joined:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
