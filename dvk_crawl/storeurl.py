"""Store URLs (``DVK_STORE_URL``): which backend a URL names, and how to show it.

Apart from :mod:`dvk_crawl.store` so that settings checks, messages and logs can read a
store URL without opening a store, and without importing psycopg: only a crawl that
stores in PostgreSQL loads it.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit, urlunsplit

StoreKind = Literal["sqlite", "postgresql"]


def display_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def store_kind(url: str) -> StoreKind:
    """The backend ``url`` names; ``ValueError`` naming ``DVK_STORE_URL`` when it names none."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if not url.removeprefix("sqlite:///"):
            raise ValueError(f"DVK_STORE_URL={url!r} names no file; use sqlite:///data/dvk.sqlite")
        return "sqlite"
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.path.strip("/"):
            raise ValueError(
                f"DVK_STORE_URL={display_url(url)!r} names no database; use postgresql://user@host:5432/database"
            )
        return "postgresql"
    raise ValueError(
        f"DVK_STORE_URL={display_url(url)!r}: unsupported store; use sqlite:///<path> or postgresql://user@host:5432/database"
    )
