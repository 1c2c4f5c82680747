"""Downloader middlewares of the portal crawl.

:class:`PortalRetryAfterMiddleware`: Scrapy's RetryMiddleware retries a 503 or 429 at once,
whatever the answer's ``Retry-After`` asks. A portal under load (or behind a rate
limiter) answers the retry with another 503, and after ``RETRY_TIMES`` the article
is lost for this run. This middleware sits before RetryMiddleware in the response
chain and, when a retry is still due, holds the answer for the seconds
``Retry-After`` names (an HTTP date too), at most ``DVK_RETRY_AFTER_MAX``; then
RetryMiddleware schedules the retry. Counts ``dvk/retry_after/waits`` and the seconds
waited in ``dvk/retry_after/seconds``.

Web archive requests (meta ``dvk_archive``) are left to
:mod:`dvk_crawl.downloadermiddlewares.archive_backoff`, which slows the archive's whole download slot.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import sleep

from dvk_crawl.config import setting


class PortalRetryAfterMiddleware:
    """Reads ``DVK_RETRY_AFTER_MAX`` and Scrapy's ``RETRY_HTTP_CODES`` and ``RETRY_TIMES``."""

    def __init__(self, stats: StatsCollector, retry_codes: set[int], retry_times: int, max_wait: float) -> None:
        self.stats = stats
        self.retry_codes = retry_codes
        self.retry_times = retry_times
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalRetryAfterMiddleware:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        assert crawler.stats is not None
        codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        return cls(crawler.stats, codes, settings.getint("RETRY_TIMES"), setting(settings, "DVK_RETRY_AFTER_MAX"))

    async def process_response(self, request: Request, response: Response) -> Response:
        wait = self.wait_for(request, response)
        if wait:
            self.stats.inc_value("dvk/retry_after/waits")
            self.stats.inc_value("dvk/retry_after/seconds", math.ceil(wait))
            await sleep(wait)
        return response

    def wait_for(self, request: Request, response: Response) -> float:
        """Seconds to hold this answer before its retry; 0 when no retry follows."""
        if response.status not in self.retry_codes or request.meta.get("dont_retry") or request.meta.get("dvk_archive"):
            return 0.0
        if request.meta.get("retry_times", 0) >= request.meta.get("max_retry_times", self.retry_times):
            return 0.0  # RetryMiddleware gives up: nothing to wait for
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header)
        if header and asked is None:
            self.stats.inc_value("dvk/retry_after/unreadable")  # retried without waiting
        return min(asked, self.max_wait) if asked else 0.0


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: ``b"120"`` or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    # isdigit() alone accepts "²" (b"\xb2" read as Latin-1), which float() refuses.
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
