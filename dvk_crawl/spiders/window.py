"""The crawl's publication window (``-a since`` / ``-a until``) and what discovery may skip by it.

A value apart from the spider: the live discovery callbacks ask it about a feed item, a
listing item or a sitemap, and the archive queries read its bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from dvk_crawl.dates import VIETNAM, PublicationTime

_MONTH_IN_URL = re.compile(r"(?P<year>20\d\d)[-_/](?P<month>\d{1,2})(?!\d)")


@dataclass(frozen=True)
class CrawlWindow:
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive: the day after ``-a until``, so that the whole day counts."""

    @classmethod
    def of_days(cls, since: datetime | None, until_day: datetime | None) -> CrawlWindow:
        """The window of ``-a since=`` and ``-a until=`` (both inclusive days)."""
        return cls(since, until_day + timedelta(days=1) if until_day else None)

    def holds(self, published: PublicationTime | None) -> bool:
        """Unknown dates are in the window: the article page may still tell."""
        if published is None:
            return True
        moment = published.moment
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)

    def sitemap_may_hold(self, loc: str, lastmod: str | None) -> bool:
        """Monthly sitemaps (``news-2023-8.xml``) outside the window are skipped."""
        match = _MONTH_IN_URL.search(urlsplit(loc).path)
        if match:
            start = datetime(int(match["year"]), int(match["month"]), 1, tzinfo=VIETNAM)
            end = (start + timedelta(days=32)).replace(day=1)
            return (self.since is None or end > self.since) and (self.until is None or start < self.until)
        return self.lastmod_may_be_inside(lastmod)

    def lastmod_may_be_inside(self, lastmod: str | None) -> bool:
        """A page last modified before ``since`` was published before it too."""
        modified = parse_lastmod(lastmod)
        return modified is None or self.since is None or modified >= self.since


def parse_lastmod(lastmod: str | None) -> datetime | None:
    """A sitemap's ``lastmod``, zoned (a naive one is Vietnam's time); None when absent or unreadable."""
    if not lastmod:
        return None
    try:
        modified = datetime.fromisoformat(lastmod.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return modified if modified.tzinfo else modified.replace(tzinfo=VIETNAM)
