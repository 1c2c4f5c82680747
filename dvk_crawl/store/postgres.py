"""The shared store: PostgreSQL (psycopg 3), for crawls on several machines.

Same tables, columns and behaviour as :mod:`dvk_crawl.store.sqlite` (``record`` and
``run`` are JSONB), so ``DVK_STORE_URL=postgresql://…`` changes nothing but where
the rows live. The tables go into the connection's schema: the first one of its
``search_path`` (``postgresql://host/db?options=-csearch_path%3Ddvk``), created if
missing. Text columns compare byte-wise (``COLLATE "C"``), as SQLite's do, so ids
sort and ISO dates compare the same on both.

Several processes share one database: migrations run under an advisory lock, the
dedup stage's reads and writes under another (``dedup_section``), and the crawl
lock is an advisory lock held on a connection of its own, which PostgreSQL drops
when that connection ends, so a killed crawl never leaves a stale lock.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

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
from dvk_crawl.store.lock import CrawlLock, CrawlLockedError
from dvk_crawl.storeurl import display_url

SCHEMA_VERSION = 3
_MIGRATIONS: dict[int, list[str]] = {
    # Version 1 is SQLite's schema 3: articles, signatures and bands, runs, visits.
    1: [
        """CREATE TABLE articles (
            id            TEXT COLLATE "C" PRIMARY KEY,
            portal        TEXT COLLATE "C" NOT NULL,
            url           TEXT NOT NULL,
            content_hash  TEXT COLLATE "C" NOT NULL,
            published_at  TEXT COLLATE "C",
            relevant      BOOLEAN NOT NULL,
            duplicate_of  TEXT COLLATE "C",
            source        TEXT NOT NULL,
            fetched_at    TEXT COLLATE "C" NOT NULL,
            stored_at     TEXT COLLATE "C" NOT NULL,
            record        JSONB NOT NULL
        )""",
        "CREATE INDEX articles_hash ON articles (content_hash)",
        "CREATE INDEX articles_portal_published ON articles (portal, published_at)",
        """CREATE TABLE signatures (
            seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id            TEXT COLLATE "C" NOT NULL UNIQUE,
            signature     BYTEA NOT NULL,
            duplicate_of  TEXT COLLATE "C"
        )""",
        """CREATE TABLE signature_bands (
            band_key  BIGINT NOT NULL,
            seq       BIGINT NOT NULL REFERENCES signatures (seq) ON DELETE CASCADE
        )""",
        "CREATE INDEX signature_bands_key ON signature_bands (band_key)",
        "CREATE INDEX signature_bands_seq ON signature_bands (seq)",
        """CREATE TABLE runs (
            seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            spider         TEXT COLLATE "C" NOT NULL,
            started_at     TEXT COLLATE "C" NOT NULL,
            finished_at    TEXT COLLATE "C" NOT NULL,
            finish_reason  TEXT NOT NULL,
            run            JSONB NOT NULL
        )""",
        "CREATE INDEX runs_spider ON runs (spider, seq)",
        """CREATE TABLE visits (
            id          TEXT COLLATE "C" PRIMARY KEY,
            portal      TEXT COLLATE "C" NOT NULL,
            outcome     TEXT NOT NULL,
            url         TEXT NOT NULL,
            visited_at  TEXT COLLATE "C" NOT NULL
        )""",
        "CREATE INDEX visits_portal ON visits (portal)",
    ],
    # Version 2 is SQLite's schema 4: copy groups are looked up by duplicate_of, and what
    # earlier versions could leave behind is repaired (signatures of batches never
    # committed, articles marked as copies of themselves by a refresh, groups rooted by
    # arrival instead of publication).
    2: [
        "CREATE INDEX articles_duplicate_of ON articles (duplicate_of)",
        "DELETE FROM signatures WHERE id NOT IN (SELECT id FROM articles)",
        "UPDATE articles SET duplicate_of = NULL, record = jsonb_set(record, '{duplicate_of}', 'null'::jsonb)"
        " WHERE duplicate_of = id OR duplicate_of NOT IN (SELECT id FROM articles)",
        "UPDATE articles a SET duplicate_of = nullif(r.new_root, a.id), record = jsonb_set(a.record,"
        " '{duplicate_of}', COALESCE(to_jsonb(nullif(r.new_root, a.id)), 'null'::jsonb))"
        f" FROM ({GROUP_ROOTS_SQL}) r WHERE r.new_root <> r.root AND (a.id = r.root OR a.duplicate_of = r.root)",
        "UPDATE signatures s SET duplicate_of = a.duplicate_of FROM articles a"
        " WHERE a.id = s.id AND a.duplicate_of IS DISTINCT FROM s.duplicate_of",
    ],
    # Version 3 is SQLite's schema 5: a visit is final only once confirmed; earlier
    # visits start unconfirmed.
    3: [
        'ALTER TABLE visits ADD COLUMN first_visited_at TEXT COLLATE "C", ADD COLUMN final_at TEXT COLLATE "C"',
        "UPDATE visits SET first_visited_at = visited_at",
    ],
}
_STREAM_BATCH = 64  # rows per round trip of a server-side cursor
_CURSORS = itertools.count()  # names of server-side cursors, unique per process


def advisory_key(*names: str) -> int:
    """A signed 64-bit advisory-lock key for a name (schema-qualified by the caller)."""
    digest = hashlib.blake2b("\x1f".join(names).encode("utf-8"), digest_size=8, person=b"dvk-lock").digest()
    return int.from_bytes(digest, "big", signed=True)


def store_schema(db: psycopg.Connection[Any]) -> tuple[str, bool]:
    """The schema the store's tables live in, and whether it exists yet.

    ``current_schema()`` is the first existing schema of the ``search_path``; when
    none exists the first named one is the store's, to be created.
    """
    current = db.execute("SELECT current_schema()").fetchone()
    if current and current[0]:
        return str(current[0]), True
    path = db.execute("SELECT current_setting('search_path')").fetchone()
    names = [name.strip().strip('"') for name in str(path[0] if path else "").split(",")]
    names = [name for name in names if name and name != "$user"]
    if not names:
        raise StoreError("the connection's search_path names no schema; add ?options=-csearch_path%3Ddvk")
    return names[0], False


class PostgresStore(ArticleStore):
    """Reads ``postgresql://[user[:password]@]host[:port]/database[?options=-csearch_path%3D<schema>]``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = display_url(url)
        self._db: psycopg.Connection[Any] | None = None
        self.schema = ""

    @property
    def db(self) -> psycopg.Connection[Any]:
        if self._db is None:
            raise StoreError(f"store {self.name} is not open")
        return self._db

    def open(self) -> None:
        try:
            self._db = psycopg.connect(self.url, autocommit=True, application_name="dvk_crawl")
            self._migrate()
        except psycopg.Error as error:
            self.close()
            raise StoreError(f"cannot open store {self.name}: {_message(error)}") from error
        except BaseException:
            self.close()
            raise

    def _migrate(self) -> None:
        """Bring the schema to ``SCHEMA_VERSION``; workers starting together migrate once."""
        schema, exists = store_schema(self.db)
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(schema, "migrate"),))
            if not exists:
                self.db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            self.db.execute("CREATE TABLE IF NOT EXISTS dvk_schema (version INTEGER NOT NULL)")
            row = self.db.execute("SELECT max(version) FROM dvk_schema").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"store {self.name} has schema {version}, newer than this dvk_crawl ({SCHEMA_VERSION})"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    self.db.execute(statement)
                self.db.execute("INSERT INTO dvk_schema (version) VALUES (%s)", (target,))
        self.schema = schema

    def check_writable(self) -> None:
        # A read-only role or a hot standby opens and reads fine; a rolled-back write tells.
        with self._errors(), self.db.transaction(force_rollback=True):
            self.db.execute("UPDATE dvk_schema SET version = version")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def _errors(self, doing: str = "write to") -> Iterator[None]:
        """Database errors as ``StoreError``: the crawl stops instead of losing items."""
        try:
            yield
        except psycopg.Error as error:
            raise StoreError(f"cannot {doing} store {self.name}: {_message(error)}") from error

    def _rows(self, query: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors("read"):
            return self.db.execute(query, tuple(params)).fetchall()

    # -- articles ----------------------------------------------------------------------

    def upsert_many(self, records: Iterable[dict[str, Any]]) -> int:
        rows = article_rows(records, Jsonb)
        if not rows:
            return 0
        with self._errors(), self.db.transaction(), self.db.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)
        return len(rows)

    def set_figures(self, figures_by_id: dict[str, list[dict[str, Any]]]) -> int:
        rows = [(Jsonb(figures), article_id) for article_id, figures in figures_by_id.items()]
        with self._errors(), self.db.transaction(), self.db.cursor() as cursor:
            cursor.executemany("UPDATE articles SET record = jsonb_set(record, '{figures}', %s) WHERE id = %s", rows)
            return cursor.rowcount

    def has_id(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id = %s", (article_id,)))

    def id_for_hash(self, content_hash: str, other_than: str | None = None) -> str | None:
        rows = self._rows(
            "SELECT id FROM articles WHERE content_hash = %s AND id IS DISTINCT FROM %s ORDER BY stored_at, id LIMIT 1",
            (content_hash, other_than),
        )
        return str(rows[0][0]) if rows else None

    def count(self, portal: str | None = None) -> int:
        if portal is None:
            return int(self._rows("SELECT count(*) FROM articles")[0][0])
        return int(self._rows("SELECT count(*) FROM articles WHERE portal = %s", (portal,))[0][0])

    def iter_records(
        self,
        portal: str | None = None,
        *,
        since: date | None = None,
        until: date | None = None,
        relevant_only: bool = False,
        include_duplicates: bool = True,
    ) -> Iterator[dict[str, Any]]:
        where, params = record_filter_sql("%s", portal, since, until, relevant_only, include_duplicates)
        for (record,) in self._stream(f"SELECT record FROM articles{where} ORDER BY id", params):
            yield record

    def _stream(self, query: str, params: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of a query through a server-side cursor: one batch in memory, never the result set."""
        with self._errors("read"), self.db.transaction(), self.db.cursor(name=f"dvk_stream_{next(_CURSORS)}") as cursor:
            cursor.itersize = _STREAM_BATCH
            cursor.execute(query, tuple(params))
            yield from cursor

    def portal_stats(self) -> list[PortalStats]:
        months: dict[str, dict[str, int]] = {}
        for portal, month, n in self._rows(
            "SELECT portal, substr(published_at, 1, 7), count(*) FROM articles"
            " WHERE published_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            months.setdefault(portal, {})[month] = int(n)
        rows = self._rows(
            "SELECT portal, count(*), count(*) FILTER (WHERE relevant), count(duplicate_of),"
            " count(*) FILTER (WHERE published_at IS NULL), min(published_at), max(published_at)"
            " FROM articles GROUP BY portal ORDER BY portal"
        )
        return [
            PortalStats(portal, int(n), int(relevant), int(dups), int(undated), first, last, months.get(portal, {}))
            for portal, n, relevant, dups, undated, first, last in rows
        ]

    # -- near-duplicate signatures -------------------------------------------------------

    @contextmanager
    def dedup_section(self) -> Iterator[None]:
        # A transaction-level advisory lock: released at commit or rollback, and by
        # PostgreSQL when a killed worker's connection ends.
        with self._errors(), self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(self.schema, "dedup"),))
            yield

    def add_signature(self, article_id: str, signature: bytes, band_keys: list[int], duplicate_of: str | None) -> None:
        with self._errors(), self.db.transaction():
            self.db.execute("DELETE FROM signatures WHERE id = %s", (article_id,))
            self._insert_signature(article_id, signature, band_keys, duplicate_of, replace=True)

    def _insert_signature(
        self, article_id: str, signature: bytes, band_keys: list[int], duplicate_of: str | None, *, replace: bool
    ) -> None:
        conflict = "" if replace else " ON CONFLICT (id) DO NOTHING"
        row = self.db.execute(
            f"INSERT INTO signatures (id, signature, duplicate_of) VALUES (%s, %s, %s){conflict} RETURNING seq",
            (article_id, signature, duplicate_of),
        ).fetchone()
        if row is not None:
            self.db.execute(
                "INSERT INTO signature_bands (band_key, seq) SELECT unnest(%s::bigint[]), %s", (band_keys, row[0])
            )

    def signature_candidates(self, band_keys: list[int]) -> list[SignatureRow]:
        rows = self._rows(
            "SELECT s.id, s.signature, s.duplicate_of FROM signatures s WHERE s.seq IN"
            " (SELECT seq FROM signature_bands WHERE band_key = ANY(%s::bigint[])) ORDER BY s.seq",
            (band_keys,),
        )
        return [SignatureRow(i, bytes(sig), dup) for i, sig, dup in rows]

    def original_of(self, article_id: str) -> str | None:
        rows = self._rows("SELECT duplicate_of FROM articles WHERE id = %s", (article_id,))
        return rows[0][0] if rows else None

    def records_by_id(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        rows = self._rows("SELECT record FROM articles WHERE id = ANY(%s) ORDER BY id", (sorted(set(ids)),))
        return [record for (record,) in rows]

    def copy_group(self, root: str) -> list[tuple[str, str | None]]:
        rows = self._rows("SELECT id, published_at FROM articles WHERE id = %s OR duplicate_of = %s", (root, root))
        return [(i, published_at) for i, published_at in rows]

    def relink_copies(self, ids: list[str], root: str) -> None:
        links = [{"id": i, "original": None if i == root else root} for i in ids]
        with self._errors(), self.db.transaction(), self.db.cursor() as cursor:
            cursor.executemany(
                "UPDATE articles SET duplicate_of = %(original)s, record = jsonb_set(record, '{duplicate_of}',"
                " COALESCE(to_jsonb(%(original)s::text), 'null'::jsonb)) WHERE id = %(id)s",
                links,
            )
            cursor.executemany("UPDATE signatures SET duplicate_of = %(original)s WHERE id = %(id)s", links)

    # -- visits ------------------------------------------------------------------------

    def add_visit(
        self, article_id: str, portal: str, outcome: str, url: str, *, confirms_before: str | None = None,
        final: bool = False,
    ) -> None:  # fmt: skip
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._errors():
            self.db.execute(_ADD_VISIT, {"id": article_id, "portal": portal, "outcome": outcome, "url": url,
                                         "now": now, "final_at": now if final else None,
                                         "confirms_before": confirms_before})  # fmt: skip

    def unconfirmed_visits(self, portal: str) -> dict[str, str]:
        rows = self._rows(
            "SELECT id, url FROM visits WHERE portal = %s AND final_at IS NULL"
            " AND id NOT IN (SELECT id FROM articles WHERE portal = %s)",
            (portal, portal),
        )
        return {row[0]: row[1] for row in rows}

    def gone_ids(self, portal: str, outcomes: Iterable[str]) -> set[str]:
        rows = self._rows(
            "SELECT id FROM visits WHERE portal = %s AND outcome = ANY(%s)"
            " EXCEPT SELECT id FROM articles WHERE portal = %s",
            (portal, list(outcomes), portal),
        )
        return {row[0] for row in rows}

    def seen_ids(self, portal: str, before: str | None = None) -> set[str]:
        # "~" sorts after every ISO time (the columns collate "C"): no bound.
        bound = before or "~"
        rows = self._rows(
            "SELECT id FROM articles WHERE portal = %s AND stored_at <= %s"
            " UNION SELECT id FROM visits WHERE portal = %s AND final_at <= %s",
            (portal, bound, portal, bound),
        )
        return {row[0] for row in rows}

    # -- runs and the crawl lock ---------------------------------------------------------

    def add_run(self, run: dict[str, Any]) -> None:
        with self._errors():
            self.db.execute(
                "INSERT INTO runs (spider, started_at, finished_at, finish_reason, run) VALUES (%s, %s, %s, %s, %s)",
                (run["spider"], run["started_at"], run["finished_at"], run["finish_reason"], Jsonb(run)),
            )

    def last_runs(self, spider: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = self._rows("SELECT run FROM runs WHERE spider = %s ORDER BY seq DESC LIMIT %s", (spider, limit))
        return [run for (run,) in rows]

    def crawl_lock(self, spider: str, shared: bool = False) -> CrawlLock:
        return AdvisoryCrawlLock(self.url, spider, shared)

    # -- moving a store ------------------------------------------------------------------

    def dump_rows(self, table: str) -> Iterator[dict[str, Any]]:
        if table not in _DUMP:
            raise ValueError(f"no table {table!r}; tables: {', '.join(TABLES)}")
        for row in self._stream(_DUMP[table]):
            values = dict(zip(TABLES[table], row, strict=True))
            if table == "signatures":
                values["signature"] = bytes(values["signature"])
                values["band_keys"] = [int(key) for key in values["band_keys"]]
            yield values

    def load_rows(self, table: str, rows: list[dict[str, Any]]) -> int:
        check_rows(table, rows, str(self.name))
        try:
            with self._errors(), self.db.transaction():
                for row in rows:
                    self._load_row(table, row)
        except (KeyError, TypeError, ValueError) as error:
            raise StoreError(
                f"bad {table} row {error!r} for store {self.name}; nothing of the batch was written"
            ) from None
        return len(rows)

    def _load_row(self, table: str, row: dict[str, Any]) -> None:
        if table == "articles":
            self.db.execute(_UPSERT, {**row, "relevant": bool(row["relevant"]), "record": Jsonb(row["record"])})
        elif table == "signatures":
            self._insert_signature(
                row["id"], bytes(row["signature"]), [int(k) for k in row["band_keys"]], row["duplicate_of"],
                replace=False,
            )  # fmt: skip
        elif table == "visits":
            self.db.execute(_UPSERT_VISIT, row)
        else:
            values = (*(row[key] for key in TABLES["runs"][:-1]), Jsonb(row["run"]))
            self.db.execute(
                "INSERT INTO runs (spider, started_at, finished_at, finish_reason, run)"
                " SELECT %s, %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM runs WHERE spider = %s"
                " AND started_at = %s AND finished_at = %s AND finish_reason = %s AND run = %s)",
                values + values,
            )


class AdvisoryCrawlLock(CrawlLock):
    """``pg_try_advisory_lock`` on a key of schema and spider, on a connection of its own.

    The connection's ``application_name`` says who holds the lock, so the crawl that
    finds it taken can name the holder (from ``pg_stat_activity``).
    """

    def __init__(self, url: str, spider: str, shared: bool = False) -> None:
        self.url = url
        self.spider = spider
        self.shared = shared
        self._db: psycopg.Connection[Any] | None = None

    def acquire(self) -> None:
        # application_name keeps 63 bytes: the essentials first.
        role = "worker" if self.shared else "crawl"
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        holder = f"{self.spider} {role} pid {os.getpid()}@{socket.gethostname()} since {started}"
        try:
            db = psycopg.connect(self.url, autocommit=True, application_name=holder[:63])
        except psycopg.Error as error:
            raise StoreError(f"cannot open store {display_url(self.url)}: {_message(error)}") from error
        try:
            key = advisory_key(store_schema(db)[0], "crawl", self.spider)
            query = "SELECT pg_try_advisory_lock_shared(%s)" if self.shared else "SELECT pg_try_advisory_lock(%s)"
            row = db.execute(query, (key,)).fetchone()
            if not (row and row[0]):
                raise CrawlLockedError(_lock_holder(db, key))
        except BaseException:
            db.close()
            raise
        self._db = db

    def release(self) -> None:
        if self._db is None:
            return
        db, self._db = self._db, None
        try:
            # Unlocked in the session, and answered, before the connection closes: a closed
            # session's locks go only when its backend has exited, a moment later, and a crawl
            # starting right after this one ended would find the store still locked.
            db.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:
            pass  # the session is broken: its locks go with it
        finally:
            db.close()


def _lock_holder(db: psycopg.Connection[Any], key: int) -> str:
    """Who holds the advisory lock ``key``: the holding connection's application_name."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = db.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s AND l.objid::bigint = %s"
        " AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " LIMIT 1",
        (unsigned >> 32, unsigned & 0xFFFFFFFF),
    ).fetchone()
    return str(row[0]) if row and row[0] else "another process"


def _message(error: psycopg.Error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


_UPSERT = """
INSERT INTO articles (id, portal, url, content_hash, published_at, relevant, duplicate_of,
                      source, fetched_at, stored_at, record)
VALUES (%(id)s, %(portal)s, %(url)s, %(content_hash)s, %(published_at)s, %(relevant)s, %(duplicate_of)s,
        %(source)s, %(fetched_at)s, %(stored_at)s, %(record)s)
ON CONFLICT (id) DO UPDATE SET
    url = excluded.url, content_hash = excluded.content_hash, published_at = excluded.published_at,
    relevant = excluded.relevant, duplicate_of = excluded.duplicate_of, source = excluded.source,
    fetched_at = excluded.fetched_at, stored_at = excluded.stored_at, record = excluded.record
"""

_UPSERT_VISIT = """
INSERT INTO visits (id, portal, outcome, url, visited_at, first_visited_at, final_at)
VALUES (%(id)s, %(portal)s, %(outcome)s, %(url)s, %(visited_at)s, %(first_visited_at)s, %(final_at)s)
ON CONFLICT (id) DO UPDATE SET
    portal = excluded.portal, outcome = excluded.outcome, url = excluded.url, visited_at = excluded.visited_at,
    first_visited_at = excluded.first_visited_at, final_at = excluded.final_at
"""

# A visit's first sighting starts the streak a later run confirms; a final visit stays final.
_ADD_VISIT = """
INSERT INTO visits (id, portal, outcome, url, visited_at, first_visited_at, final_at)
VALUES (%(id)s, %(portal)s, %(outcome)s, %(url)s, %(now)s, %(now)s, %(final_at)s)
ON CONFLICT (id) DO UPDATE SET
    outcome = excluded.outcome, url = excluded.url, visited_at = excluded.visited_at,
    final_at = coalesce(visits.final_at, excluded.final_at,
        CASE WHEN visits.first_visited_at < %(confirms_before)s::text THEN excluded.visited_at END)
"""

# Oldest first: ctid is no order, so articles and visits go by their time column, then id.
_DUMP = {
    "articles": f"SELECT {', '.join(TABLES['articles'])} FROM articles ORDER BY stored_at, id",
    "signatures": "SELECT s.id, s.signature, s.duplicate_of,"
    " ARRAY(SELECT b.band_key FROM signature_bands b WHERE b.seq = s.seq) FROM signatures s ORDER BY s.seq",
    "visits": f"SELECT {', '.join(TABLES['visits'])} FROM visits ORDER BY visited_at, id",
    "runs": f"SELECT {', '.join(TABLES['runs'])} FROM runs ORDER BY seq",
}
