"""Captures: one archived copy of a URL at one moment, and which one an article uses.

A capture is ``(timestamp, original)`` as the CDX API lists it. Its raw bytes are at
``<archive>/web/<timestamp>id_/<original>`` (``id_``: the page as archived, without the
archive's toolbar or rewritten links); people view it at ``<archive>/web/<timestamp>/<original>``,
the record's ``archive_url``. The article's own ``url`` stays the original, canonical URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

PREFERENCES = ("newest", "oldest")
# /web/20231015021500id_/https://host/path?query (flags such as id_ or im_ are optional)
_REPLAY_PATH = re.compile(r"^/web/(?P<timestamp>\d{4,14})(?:[a-z]{2}_)?/(?P<original>.+)$")
_TIMESTAMP_PADDING = "19700101000000"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, order=True)
class Capture:
    timestamp: str
    original: str
    archive: str = "wayback"
    """Which archive holds it: ``wayback`` or ``commoncrawl``."""
    crawl: str = ""
    """Common Crawl: the crawl (``CC-MAIN-2024-10``) whose index lists it."""
    warc: tuple[str, int, int] | None = None
    """Common Crawl: the WARC file, offset and length of its record."""

    @property
    def archived_at(self) -> str:
        """When the archive took it, ISO 8601 UTC (``2023-10-15T02:15:00+00:00``)."""
        padded = self.timestamp + _TIMESTAMP_PADDING[len(self.timestamp) :]
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()


def commoncrawl_record_url(index: str, capture: Capture) -> str:
    """Where people find a Common Crawl capture: its crawl's index entry for the URL at that moment
    (which names the WARC file, offset and length)."""
    query = urlencode({"url": capture.original, "from": capture.timestamp, "to": capture.timestamp, "output": "json"})
    return f"{index.rstrip('/')}/{capture.crawl}-index?{query}"


def replay_url(archive: str, capture: Capture) -> str:
    """Where the capture's raw bytes are: ``<archive>/web/<timestamp>id_/<original>``."""
    return f"{archive.rstrip('/')}/web/{capture.timestamp}id_/{capture.original}"


def playback_url(archive: str, capture: Capture) -> str:
    """Where people view the capture: ``<archive>/web/<timestamp>/<original>``."""
    return f"{archive.rstrip('/')}/web/{capture.timestamp}/{capture.original}"


def capture_of(url: str) -> Capture | None:
    """The capture a replay or playback URL shows; None for any other URL.

    The original keeps its query (``…/Content/<title>?4029104``) and double slashes.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    match = _REPLAY_PATH.match(target)
    if match is None:
        return None
    # A proxy may have merged the slashes of the embedded scheme (https:/host).
    original = re.sub(r"^(https?):/+", r"\1://", match["original"])
    return Capture(match["timestamp"], original)


def original_url(original: str) -> str:
    """The original as a normal URL: ``http://host:80/p`` (old archive crawls) → ``http://host/p``."""
    if not re.match(r"^https?://", original):
        original = "http://" + original
    parts = urlsplit(original)
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
        parts = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0])
    return urlunsplit(parts)


def order_captures(captures: Iterable[Capture], preference: str = "newest") -> list[Capture]:
    """The captures in the order they are tried: newest first, or oldest first."""
    if preference not in PREFERENCES:
        raise ValueError(f"capture preference {preference!r} is not one of {', '.join(PREFERENCES)}")
    return sorted(set(captures), key=lambda c: (c.timestamp, c.original, c.crawl), reverse=preference == "newest")


def captures_to_try(
    captures: Iterable[Capture], archives: tuple[str, ...], preference: str = "newest", per_archive: int = 5
) -> list[Capture]:
    """An article's captures in the order they are tried: the archives in order of preference,
    within each the newest (or oldest) first, at most ``per_archive`` of each."""
    captures = list(captures)
    tried: list[Capture] = []
    for archive in archives:
        tried += order_captures((c for c in captures if c.archive == archive), preference)[:per_archive]
    return tried
