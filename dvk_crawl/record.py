"""The article record: what every parser produces and every store keeps.

Documented in ``docs/schema.md``; ``schema/article.schema.json`` is the contract the
tests validate every stored record against. Bump ``SCHEMA_VERSION`` when a field
changes meaning or type.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schema" / "article.schema.json"


@dataclass
class Image:
    url: str
    caption: str | None = None


@dataclass
class Article:
    """One clean article. ``id`` is ``<portal>:<key>``; the key never depends on the slug."""

    id: str
    portal: str
    province: str
    url: str
    title: str
    text: str
    site: str = ""
    former_province: str | None = None
    lead: str | None = None
    published_at: str | None = None
    published_at_precision: str | None = None
    updated_at: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    view_count: int | None = None
    word_count: int = 0
    language: str | None = None
    language_confidence: float | None = None
    relevant: bool = False
    matched_keywords: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    content_hash: str = ""
    duplicate_of: str | None = None
    fetched_at: str = ""
    source: str = "live"
    archive_url: str | None = None
    archived_at: str | None = None
    parser: str = ""
    page: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))


@cache
def article_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def validate_record(record: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when a record breaks the documented schema."""
    import jsonschema  # imported here: only tests and the store's self-check need it

    jsonschema.validate(record, article_schema())
