"""Conditional requests for discovery pages: an unchanged feed, sitemap or listing costs a 304.

Scrapy's ``HttpCacheMiddleware`` with this policy keeps the discovery pages (requests with
``meta["dvk_kind"] == "discovery"``: feeds, sitemaps, listings, search pages) that came with
a validator (``Last-Modified`` or ``ETag``), beside the store (``<data folder>/httpcache/``,
set by :class:`dvk_crawl.storefiles.StoreFiles`). A later run asks again with
``If-Modified-Since`` / ``If-None-Match``: a ``304 Not Modified`` costs the portal no page,
and the spider reads the kept copy as if it had been sent again.

It differs from Scrapy's ``RFC2616Policy`` where a crawler of public portals must:

- a kept page is never used without asking the server: a feed's ``max-age`` or the
  heuristic freshness of an old ``Last-Modified`` would otherwise hide new articles;
- a server error is a failure, not the kept page (RFC 2616's stale-if-error): a portal
  that is down must count as down (``docs/reliability.md``, complete runs); so is a download
  that failed outright (refused, DNS, timeout), which Scrapy's middleware would answer with
  the kept page: :class:`dvk_crawl.downloadermiddlewares.httpcache.DiscoveryCacheMiddleware`;
- article pages are never kept: each is fetched once, and a refresh must see the page.
"""

from __future__ import annotations

from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Request, Response


class DiscoveryRevalidationPolicy(RFC2616Policy):
    """``HTTPCACHE_POLICY``: keep discovery pages with a validator, always revalidate them."""

    def should_cache_request(self, request: Request) -> bool:
        return request.meta.get("dvk_kind") == "discovery" and super().should_cache_request(request)

    def should_cache_response(self, response: Response, request: Request) -> bool:
        # Kept only what can be revalidated: without a validator every later run fetches it whole anyway.
        has_validator = b"Last-Modified" in response.headers or b"ETag" in response.headers
        return response.status == 200 and has_validator and super().should_cache_response(response, request)

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(self, cachedresponse: Response, response: Response, request: Request) -> bool:
        return response.status == 304
