"""The store interface: what pipelines, spiders and tools may ask of a store.

Implementations keep the same schema and behaviour (upsert by id, one transaction
per batch, lookups by id and content hash), so a crawl does not care which one
``DVK_STORE_URL`` picked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dvk_crawl.store.lock import CrawlLock


class StoreError(RuntimeError):
    """The store cannot be opened or written: the crawl must stop, not drop items."""


@dataclass
class PortalStats:
    """What a store holds for one portal (``dvk-crawl stats``)."""

    portal: str
    articles: int
    relevant: int
    duplicates: int
    undated: int
    first_published: str | None
    last_published: str | None
    months: dict[str, int] = field(default_factory=dict)
    """Articles per publication month (``YYYY-MM``); undated ones are not counted here."""


TABLES: dict[str, tuple[str, ...]] = {
    # table: the keys of its rows in dump_rows/load_rows, the same for every store
    "articles": (
        "id", "portal", "url", "content_hash", "published_at", "relevant", "duplicate_of",
        "source", "fetched_at", "stored_at", "record",
    ),
    "signatures": ("id", "signature", "duplicate_of", "band_keys"),
    "visits": ("id", "portal", "outcome", "url", "visited_at", "first_visited_at", "final_at"),
    "runs": ("spider", "started_at", "finished_at", "finish_reason", "run"),
}  # fmt: skip
"""``relevant`` is a bool, ``record`` and ``run`` dicts, ``signature`` bytes, ``band_keys`` ints."""


def check_rows(table: str, rows: Iterable[dict[str, Any]], store: str) -> None:
    """Raise ``ValueError`` for an unknown table, ``StoreError`` for a row missing a key of it."""
    if table not in TABLES:
        raise ValueError(f"no table {table!r}; tables: {', '.join(TABLES)}")
    for row in rows:
        missing = [key for key in TABLES[table] if key not in row]
        if missing:
            raise StoreError(
                f"{table} row without {', '.join(missing)} cannot go into store {store}; nothing of the batch written"
            )


# Each copy group's root and the member that should be it: the earliest published (text
# order of ISO 8601 at +07:00 is time order), ties the lower id, undated last — the rule of
# dvk_crawl.neardup.publication_rank, for repairing groups linked by arrival order.
GROUP_ROOTS_SQL = (
    "SELECT g.root AS root, (SELECT m.id FROM articles m WHERE m.id = g.root OR m.duplicate_of = g.root"
    " ORDER BY m.published_at IS NULL, m.published_at, m.id LIMIT 1) AS new_root"
    " FROM (SELECT DISTINCT duplicate_of AS root FROM articles WHERE duplicate_of IS NOT NULL) g"
)


@dataclass(frozen=True)
class SignatureRow:
    id: str
    signature: bytes
    duplicate_of: str | None


def record_filter_sql(
    placeholder: str,
    portal: str | None = None,
    since: date | None = None,
    until: date | None = None,
    relevant_only: bool = False,
    include_duplicates: bool = True,
) -> tuple[str, list[str]]:
    """The ``WHERE`` clause (or "") and its parameters for ``iter_records``' filters.

    ``placeholder`` is the driver's (``?`` for sqlite3, ``%s`` for psycopg). Dates are
    whole days in Vietnam; ``published_at`` is ISO 8601 at +07:00, so text order is
    time order and the index on it serves the range.
    """
    clauses: list[str] = []
    params: list[str] = []
    if portal is not None:
        clauses.append(f"portal = {placeholder}")
        params.append(portal)
    if since is not None:
        clauses.append(f"published_at >= {placeholder}")
        params.append(_day(since).isoformat())
    if until is not None:
        clauses.append(f"published_at < {placeholder}")
        params.append((_day(until) + timedelta(days=1)).isoformat())
    if relevant_only:
        clauses.append("relevant")
    if not include_duplicates:
        clauses.append("duplicate_of IS NULL")
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def article_rows(
    records: Iterable[dict[str, Any]], encode_record: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """The ``articles`` columns for a batch of records, the same in every store.

    ``encode_record`` turns the whole record into the store's ``record`` column (JSON
    text, JSONB). A record missing a required field fails the whole batch, before any
    row is written.
    """
    stored_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        return [
            {
                "id": record["id"],
                "portal": record["portal"],
                "url": record["url"],
                "content_hash": record["content_hash"],
                "published_at": record.get("published_at"),
                "relevant": bool(record.get("relevant")),
                "duplicate_of": record.get("duplicate_of"),
                "source": record.get("source", "live"),
                "fetched_at": record["fetched_at"],
                "stored_at": stored_at,
                "record": encode_record(record),
            }
            for record in records
        ]
    except KeyError as error:
        raise StoreError(
            f"record without {error.args[0]!r} cannot be stored; nothing of the batch was written"
        ) from None


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


class ArticleStore(ABC):
    """A place where article records live across runs."""

    @abstractmethod
    def open(self) -> None:
        """Connect and bring the schema to the current version."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def upsert_many(self, records: Iterable[dict[str, Any]]) -> int:
        """Insert or replace records by id, all in one transaction; return how many."""

    @abstractmethod
    def set_figures(self, figures_by_id: dict[str, list[dict[str, Any]]]) -> int:
        """Replace the ``figures`` of stored records, in one transaction; return how many.

        Every other field and column stays as it is (``stored_at`` too: dedup orders by it).
        """

    @abstractmethod
    def has_id(self, article_id: str) -> bool: ...

    @abstractmethod
    def id_for_hash(self, content_hash: str, other_than: str | None = None) -> str | None:
        """The id of the first stored article with this content hash, if any, leaving out ``other_than``
        (on a refresh the article's own stored row has its hash: it is no copy of itself)."""

    @abstractmethod
    def count(self, portal: str | None = None) -> int: ...

    @abstractmethod
    def iter_records(
        self,
        portal: str | None = None,
        *,
        since: date | None = None,
        until: date | None = None,
        relevant_only: bool = False,
        include_duplicates: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Stored records in id order, streamed in constant memory.

        ``since``/``until`` are days in Vietnam, inclusive, on ``published_at``
        (undated articles are left out when either is given); ``include_duplicates``
        false leaves out records whose ``duplicate_of`` is set.
        """

    @abstractmethod
    def portal_stats(self) -> list[PortalStats]:
        """Counts and publication range per portal, in portal order."""

    # -- near-duplicate signatures (see dvk_crawl.neardup) ---------------------------

    @abstractmethod
    def add_signature(self, article_id: str, signature: bytes, band_keys: list[int], duplicate_of: str | None) -> None:
        """Keep (or replace) an article's MinHash signature and LSH band keys.

        Inside ``dedup_section`` it joins that transaction, so it commits with the
        article's batch; outside, it commits at once.
        """

    @abstractmethod
    def signature_candidates(self, band_keys: list[int]) -> list[SignatureRow]:
        """Articles sharing at least one band key, first added first."""

    @abstractmethod
    def original_of(self, article_id: str) -> str | None:
        """The stored article's ``duplicate_of``: None for an original or an id not stored."""

    @abstractmethod
    def records_by_id(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The stored records of ``ids`` (those stored), in id order."""

    @abstractmethod
    def copy_group(self, root: str) -> list[tuple[str, str | None]]:
        """``(id, published_at)`` of the stored article ``root`` and of every article whose
        ``duplicate_of`` is ``root``; empty when ``root`` is not stored and nothing points at it."""

    @abstractmethod
    def relink_copies(self, ids: list[str], root: str) -> None:
        """Make ``root`` the original of ``ids``: its ``duplicate_of`` NULL, every other's ``root``,
        in the article row, its record and its signature alike."""

    # -- visits: pages fetched and not stored (see outcomes.FINAL_REASONS)

    @abstractmethod
    def add_visit(
        self, article_id: str, portal: str, outcome: str, url: str, *, confirms_before: str | None = None,
        final: bool = False,
    ) -> None:  # fmt: skip
        """Remember that an article page was fetched and not stored, and why.

        A first visit is not final: a maintenance page or a one-off 404 must not stop the
        article from being fetched again. It becomes final (``seen_ids``) when ``final``
        (a redirect whose target is stored), or when an earlier visit of the id was recorded
        before ``confirms_before`` (an ISO time: this run's start, see
        ``extensions.crawlstore.confirms_before``), i.e. a later run found the same."""

    @abstractmethod
    def seen_ids(self, portal: str, before: str | None = None) -> set[str]:
        """Ids stored or visited for good: what an incremental crawl does not fetch again.

        ``before`` (an ISO time like a run's ``finished_at``): only ids stored, or whose
        visit became final, then or earlier, i.e. what an earlier complete run already knew."""

    def unconfirmed_visits(self, portal: str) -> dict[str, str]:
        """Ids visited once and not stored, whose visit is not final yet, with the URL visited:
        the pages a later run must fetch again to confirm (discovery may not reach them: an
        unchanged sitemap, paging that stops early). A store that cannot tell returns none."""
        return {}

    def gone_ids(self, portal: str, outcomes: Iterable[str]) -> set[str]:
        """Ids visited with one of ``outcomes`` and not stored: a web archive may still hold
        them. The caller names what "gone" is (``dvk_crawl.outcomes.GONE_REASONS``, their one
        owner, which the store cannot import: outcomes reaches the store through crawlstore).
        A store that cannot tell returns none."""
        return set()

    # -- run history -----------------------------------------------------------------

    @abstractmethod
    def add_run(self, run: dict[str, Any]) -> None:
        """Record a finished run (spider, started_at, finished_at, finish_reason, summary)."""

    @abstractmethod
    def last_runs(self, spider: str, limit: int = 10) -> list[dict[str, Any]]:
        """The spider's newest runs first."""

    @abstractmethod
    def crawl_lock(self, spider: str, shared: bool = False) -> CrawlLock:
        """The lock that keeps a second crawl of ``spider`` off this store (not yet acquired).

        ``shared``: the workers of one distributed crawl hold it together; an exclusive
        holder (a single-machine crawl) and shared ones exclude each other.
        """

    # -- several processes on one store (distributed crawls) --------------------------

    @abstractmethod
    def dedup_section(self) -> AbstractContextManager[object]:
        """One transaction that no other process's ``dedup_section`` overlaps.

        The store stage writes a batch, its signatures and the copy links it changes
        inside it (:class:`dvk_crawl.neardup.CopyLinker`), so two workers never both
        miss each other's near duplicate, and a signature never outlives a lost batch.
        Store calls made inside join its transaction.
        """

    # -- moving a store (``dvk-crawl migrate-store``) ------------------------------------

    @abstractmethod
    def dump_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of one of ``TABLES`` as :data:`TABLES` describes it, oldest first, streamed."""

    @abstractmethod
    def load_rows(self, table: str, rows: list[dict[str, Any]]) -> int:
        """Add rows from ``dump_rows`` in one transaction; loading a row twice changes nothing.

        Articles and visits are upserted by id, keeping the given ``stored_at``/``visited_at``;
        a signature whose id is present is left as it is (candidate order stays); a run
        equal to a stored one is not added again. Returns how many rows were given.
        """

    def check_writable(self) -> None:
        """Raise ``StoreError`` when the open store cannot be written (checked before a crawl starts).

        A store that does not override it is found out by its first write, which stops the crawl.
        """
        return None

    def __enter__(self) -> ArticleStore:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
