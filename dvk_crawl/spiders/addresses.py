"""Where a portal's live URLs are fetched, and how a fetched URL reads back as the portal's.

With ``-a base_url`` (a replica) the portal's hosts are mapped onto it, URL rules
unchanged: a live link is fetched at the same path on the replica, and a replica link
(a redirect, a listing's link) reads as the live portal's again before its identity is taken.
Without it every URL is its own address.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy.http import Response

from dvk_crawl.identity import Identity, identify
from dvk_crawl.portals.portal import Portal


@dataclass(frozen=True)
class PortalAddresses:
    portal: Portal
    base_url: str | None = None
    """The replica's base URL (``-a base_url``), no trailing slash; None on the live portal."""

    def fetch_url(self, url: str) -> str:
        """Where to fetch a live URL: itself, or the same path on the replica."""
        if not self.base_url:
            return url
        parts = urlsplit(url)
        if not self.portal.owns_host(parts.hostname or ""):
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def to_live(self, url: str) -> str:
        """A link as the live portal has it (replica links point back to the portal's home host)."""
        if self.base_url and url.startswith(self.base_url):
            return self.portal.home + url[len(self.base_url) :]
        return url

    def link_identity(self, page_url: str, href: str) -> Identity | None:
        """The article a link of a fetched page names, or None (another host, not an article URL)."""
        url = self.to_live(urljoin(page_url, href))
        if not self.portal.owns_host(urlsplit(url).hostname or ""):
            return None
        return identify(self.portal, url)

    def identity_after_redirect(self, response: Response, canonical_url: str) -> Identity | None:
        """The identity the request carried (``canonical_url``, ``meta["dvk_key"]``), found
        again only for a page a redirect moved."""
        key = response.meta.get("dvk_key") if response.request is not None else None
        if key is not None and response.url == self.fetch_url(canonical_url):
            return Identity(self.portal.id, canonical_url, key)
        return identify(self.portal, self.canonical_after_redirect(response, canonical_url))

    def canonical_after_redirect(self, response: Response, canonical_url: str) -> str:
        """The canonical URL of the page a request ended on (redirects change the path)."""
        if response.url == self.fetch_url(canonical_url):
            return canonical_url
        final = urlsplit(response.url)
        if self.base_url and response.url.startswith(self.base_url):
            original = urlsplit(canonical_url)
            final = final._replace(scheme=original.scheme, netloc=original.netloc)
        return self.portal.canonicalize(urlunsplit(final))
