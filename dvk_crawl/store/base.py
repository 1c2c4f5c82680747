"""The store interface: what pipelines, spiders and tools may ask of a store.

Implementations keep the same schema and behaviour (upsert by id, one transaction
per batch, lookups by id and content hash), so a crawl does not care which one
``DVK_STORE_URL`` picked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any


class StoreError(RuntimeError):
    """The store cannot be opened or written: the crawl must stop, not drop items."""


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
    def has_id(self, article_id: str) -> bool: ...

    @abstractmethod
    def id_for_hash(self, content_hash: str) -> str | None:
        """The id of the first stored article with this content hash, if any."""

    @abstractmethod
    def known_ids(self, portal: str) -> set[str]:
        """Ids stored for a portal: what an incremental crawl need not fetch again."""

    @abstractmethod
    def count(self, portal: str | None = None) -> int: ...

    @abstractmethod
    def iter_records(self, portal: str | None = None) -> Iterator[dict[str, Any]]:
        """Stored records in id order, streamed."""

    def __enter__(self) -> ArticleStore:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
