"""Scrapy's HTTP cache for conditional requests, without its error recovery.

``HttpCacheMiddleware`` answers a download that failed (connection refused, DNS, timeout)
with the page it kept, counted only as ``httpcache/errorrecovery``. For this crawler the
cache is there to ask "changed?" (:mod:`dvk_crawl.httpcache`), never to stand in for a portal
that did not answer: the kept feed would make an offline run look complete (exit 0) and
the next run would trust it and skip sitemaps it never read. Here a failed download stays
a failure: retried, then counted under its reason like any other.
"""

from __future__ import annotations

from scrapy import Spider
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.http import Request, Response


class DiscoveryCacheMiddleware(HttpCacheMiddleware):
    """``HttpCacheMiddleware`` whose ``process_exception`` lets every failure through."""

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        request.meta.pop("cached_response", None)  # a retry asks the server again, with its validators
        return None
