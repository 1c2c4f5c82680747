"""A page's identity: its canonical (live) URL and article key, found once per request.

The spider finds it when it schedules an article request and carries it (the
canonical URL in ``cb_kwargs``, the key in ``meta["dvk_key"]``) to the callback, which
hands it to :func:`dvk_crawl.extract.extract_decoded`; only a redirect to another URL
makes the callback find it again, for the page it ended on.
"""

from __future__ import annotations

from dataclasses import dataclass

from dvk_crawl.portals.portal import Portal


@dataclass(frozen=True)
class Identity:
    portal: str
    url: str
    """The canonical live URL."""
    key: str
    """The article key the portal's URL rule reads from ``url``."""

    @property
    def id(self) -> str:
        """The record's id, ``<portal>:<key>``."""
        return f"{self.portal}:{self.key}"


def identify(site: Portal, url: str) -> Identity | None:
    """The identity of an article URL of ``site``; None when its URL rule finds no article key."""
    canonical = site.canonicalize(url)
    key = site.article_key(canonical)
    return Identity(site.id, canonical, key) if key is not None else None
