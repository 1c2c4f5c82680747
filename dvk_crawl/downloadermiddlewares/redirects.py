"""Remember article links that redirect to another article key.

An old Liferay address of Quảng Ngãi (``/web/portal-qni/…?4021566``) redirects to
the new platform (``/tin-tuc/…/slug.html``), another key. The article is stored
under the new key; without a record of the old one, every incremental run would
follow the redirect again. It is recorded when the redirect answer arrives, before
Scrapy's RedirectMiddleware (which may then drop the new request as already seen).
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from dvk_crawl.pipelines.store import stop_for_store_error
from dvk_crawl.store import StoreError, crawler_store

_REDIRECTS = {301, 302, 303, 307, 308}


class RedirectedKeyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectedKeyMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        requested_key = request.meta.get("dvk_key")
        location = response.headers.get("Location")
        portal = getattr(self.crawler.spider, "portal", None)
        if response.status not in _REDIRECTS or not requested_key or not location or portal is None:
            return response
        target = self.crawler.spider.to_live(urljoin(request.url, location.decode("latin-1")))  # type: ignore[union-attr]
        target_key = portal.article_key(portal.canonicalize(target))
        if target_key is not None and target_key != requested_key:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("dvk/fetch/redirected_to_other_key")
            try:
                crawler_store(self.crawler).add_visit(
                    f"{portal.id}:{requested_key}", portal.id, f"redirected to {portal.id}:{target_key}", target
                )
            except StoreError as error:
                stop_for_store_error(self.crawler, error)
        return response
