"""In replica mode, only the replica's own port of its host is the portal.

``allowed_domains`` holds host names, and Scrapy's OffsiteMiddleware compares host names
only: with ``-a base_url=http://127.0.0.1:8000`` a redirect (or link) to
``http://127.0.0.1:22/`` or to another local service would pass as the portal. This
middleware, beside OffsiteMiddleware (which stays), drops requests to the replica's host
on any other port (but the web archive's, when that is on the same host), with the
offsite message, so they are counted as ``offsite_redirect``.
"""

from __future__ import annotations

from urllib.parse import ParseResult, SplitResult, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(parts: SplitResult | ParseResult) -> int | None:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme)


class ReplicaPortMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplicaPortMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = self.crawler.spider
        base_url = getattr(spider, "base_url", None)
        if not base_url:
            return
        base, target = urlsplit(base_url), urlparse_cached(request)
        if target.hostname != base.hostname:
            return
        # The web archives (DVK_ARCHIVE_BASE_URL, DVK_COMMONCRAWL_*_URL) may be other servers
        # on the same host: fake archives on loopback beside the replica.
        archive = getattr(spider, "archive", None)
        archives = getattr(archive, "bases", None) or [getattr(spider, "archive_base", None)]
        served = [base, *(urlsplit(url) for url in archives if url)]
        if _port(target) not in {_port(url) for url in served if url.hostname == target.hostname}:
            raise IgnoreRequest(f"Filtered offsite request to {target.netloc!r}: not the replica's port")
