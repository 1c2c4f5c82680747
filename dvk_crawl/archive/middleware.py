"""Keep the archive's ``Retry-After``: wait as long as a 429 or 503 answer asks before going on.

Scrapy's RetryMiddleware retries such answers at once. The Internet Archive answers a
client that goes over its rate (about 60 CDX requests a minute) with 429s, and blocks
the client's address for an hour when it keeps going for another minute
(edgi-govdata-archiving/wayback#137). This middleware sits before RetryMiddleware in
the response chain: on a 429 or 503 with ``Retry-After`` it raises the delay of the
archive's download slot to what the answer asks (at most ``MAX_WAIT`` seconds), so the
retry and every other archive request wait; the next good answer restores the slot's
delay. Only archive requests (meta ``dvk_archive``) are concerned. Counts
``dvk/archive/retry_after``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector

BACK_OFF_STATUSES = frozenset({429, 503})


class RetryAfterMiddleware:
    MAX_WAIT = 300.0
    """Seconds; a longer ``Retry-After`` is cut to this (a crawl must not sleep for a day)."""

    def __init__(self, stats: StatsCollector, slots: Callable[[], dict[str, Slot]]) -> None:
        self.stats = stats
        self.slots = slots
        self.normal_delay: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        assert crawler.stats is not None

        def slots() -> dict[str, Slot]:
            return crawler.engine.downloader.slots if crawler.engine is not None else {}

        return cls(crawler.stats, slots)

    def process_response(self, request: Request, response: Response) -> Response:
        key = request.meta.get("download_slot")
        slot = self.slots().get(key) if request.meta.get("dvk_archive") and key else None
        if slot is None or key is None:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if response.status in BACK_OFF_STATUSES and wait is not None:
            self.normal_delay.setdefault(key, slot.delay)
            slot.delay = max(slot.delay, min(wait, self.MAX_WAIT))
            self.stats.inc_value("dvk/archive/retry_after")
        elif response.status not in BACK_OFF_STATUSES and key in self.normal_delay:
            slot.delay = self.normal_delay.pop(key)
        return response


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
