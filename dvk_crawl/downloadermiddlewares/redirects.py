"""Remember article links that redirect to another article key, once the target is stored.

An old Liferay address of Quảng Ngãi (``/web/portal-qni/…?4021566``) redirects to
the new platform (``/tin-tuc/…/slug.html``), another key. The article is stored
under the new key; without a record of the old one, every incremental run would
follow the redirect again. But a redirect proves nothing of its target, which may be
offsite or answer 503: the old key is remembered only once the target is stored.
When it already is, here, as the redirect answer arrives (before Scrapy's
RedirectMiddleware, which may then drop the new request as already seen); otherwise
``extensions.visits.VisitLog`` records it when the target's article is stored.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from dvk_crawl.outcomes import record_redirect
from dvk_crawl.store import crawler_store

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
        target = self.crawler.spider.addresses.to_live(urljoin(request.url, location.decode("latin-1")))  # type: ignore[union-attr]
        target_key = portal.article_key(portal.canonicalize(target))
        if target_key is not None and target_key != requested_key:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("dvk/fetch/redirected_to_other_key")
            target_id = f"{portal.id}:{target_key}"
            if crawler_store(self.crawler).has_id(target_id):
                record_redirect(self.crawler, f"{portal.id}:{requested_key}", portal.id, target_id, target)
        return response
