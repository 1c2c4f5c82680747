"""Keep the archives' rate limits: pause a budget on 429/503, stop an archive that keeps refusing.

Scrapy's RetryMiddleware retries such answers at once. The Wayback Machine answers a
client over its rate (30 CDX requests a minute in 2026) with 429s that carry no
``Retry-After``, and blocks the client's address for an hour (doubling each time) when it
keeps sending for another minute (edgi-govdata-archiving/wayback#137, #206); Common
Crawl's index server blocks clients that go on fast. This middleware sits before
RetryMiddleware in the response chain. For a request of an archive budget (meta
``dvk_archive``, ``download_slot``; see :mod:`dvk_crawl.archive.budget`), a 429 or 503:

- with ``Retry-After``: raises the budget's slot delay to what it asks (at most ``MAX_WAIT``);
- without: pauses the budget ``DVK_ARCHIVE_BACKOFF_SECONDS`` (60), doubling with each
  consecutive refusal of the budget (at most ``MAX_WAIT``);
- the ``DVK_ARCHIVE_MAX_BACKOFFS``-th (3) consecutive one stops that archive for the run:
  no retry, the requests its budgets hold are failed without being sent, later ones are
  refused (:class:`ArchiveStopped`), one warning line says so, and the stat
  ``dvk/archive/stopped/<archive>`` (the reason) makes the run incomplete.

The next good answer of a budget restores its delay and resets its count. Counts
``dvk/archive/retry_after`` and ``dvk/archive/backoffs/<slot>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from dvk_crawl.archive.budget import BUDGETS
from dvk_crawl.config import setting
from dvk_crawl.downloadermiddlewares.retry_after import retry_after_seconds

logger = logging.getLogger(__name__)

BACK_OFF_STATUSES = frozenset({429, 503})
STOPPED_MESSAGE = "Archive stopped for this run"
"""How an :class:`ArchiveStopped` message starts (``dvk_crawl.failures`` names it ``archive_stopped``)."""


class ArchiveStopped(IgnoreRequest):
    """A request of an archive this run stopped using (it kept refusing)."""

    def __init__(self, archive: str, reason: str) -> None:
        super().__init__(f"{STOPPED_MESSAGE}: {archive} ({reason})")
        self.archive = archive
        self.reason = reason


class ArchiveBackoffMiddleware:
    MAX_WAIT = 300.0
    """Seconds; a longer wait is cut to this (a crawl must not sleep for a day)."""

    def __init__(
        self,
        stats: StatsCollector,
        slots: Callable[[], dict[str, Slot]],
        backoff_seconds: float = 60.0,
        max_backoffs: int = 3,
    ) -> None:
        self.stats = stats
        self.slots = slots
        self.backoff_seconds = backoff_seconds
        self.max_backoffs = max_backoffs
        self.normal_delay: dict[str, float] = {}
        self.refusals: dict[str, int] = {}
        """Consecutive 429/503 answers per budget (slot)."""
        self.stopped: dict[str, str] = {}
        """Archives stopped for the run, with the reason."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveBackoffMiddleware:
        assert crawler.stats is not None

        def slots() -> dict[str, Slot]:
            return crawler.engine.downloader.slots if crawler.engine is not None else {}

        backoff = setting(crawler.settings, "DVK_ARCHIVE_BACKOFF_SECONDS")
        return cls(crawler.stats, slots, backoff, setting(crawler.settings, "DVK_ARCHIVE_MAX_BACKOFFS"))

    def process_request(self, request: Request) -> None:
        archive = request.meta.get("dvk_archive")
        if isinstance(archive, str) and archive in self.stopped:
            self.stats.inc_value(f"dvk/archive/not_sent/{archive}")
            raise ArchiveStopped(archive, self.stopped[archive])

    def process_response(self, request: Request, response: Response) -> Response:
        key = request.meta.get("download_slot")
        archive = request.meta.get("dvk_archive")
        slot = self.slots().get(key) if archive and key else None
        if slot is None or key is None:
            return response
        if response.status not in BACK_OFF_STATUSES:
            self.refusals.pop(key, None)
            if key in self.normal_delay:
                slot.delay = self.normal_delay.pop(key)
            return response
        refusals = self.refusals[key] = self.refusals.get(key, 0) + 1
        self.stats.inc_value(f"dvk/archive/backoffs/{key}")
        if refusals >= self.max_backoffs and isinstance(archive, str):
            reason = f"{refusals} consecutive {response.status} answers in its budget {key}"
            self.stop(archive, reason)
            raise ArchiveStopped(archive, reason)
        self.normal_delay.setdefault(key, slot.delay)
        slot.delay = max(slot.delay, self.pause(response, refusals))
        return response

    def pause(self, response: Response, refusals: int) -> float:
        """Seconds the budget waits after its ``refusals``-th consecutive 429/503."""
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None:
            self.stats.inc_value("dvk/archive/retry_after")
            return min(asked, self.MAX_WAIT)
        return float(min(self.backoff_seconds * 2 ** (refusals - 1), self.MAX_WAIT))

    def stop(self, archive: str, reason: str) -> None:
        """Send nothing more to the archive this run: fail what its budgets hold, say so once."""
        if archive in self.stopped:
            return
        self.stopped[archive] = reason
        self.stats.set_value(f"dvk/archive/stopped/{archive}", reason)
        logger.warning("archive %s stopped for this run after %s; the run is incomplete", archive, reason)
        for key, slot in self.slots().items():
            budget = BUDGETS.get(key)
            if budget is None or budget.archive != archive:
                continue
            while slot.queue:
                _request, deferred = slot.queue.popleft()
                self.stats.inc_value(f"dvk/archive/not_sent/{archive}")
                deferred.errback(Failure(ArchiveStopped(archive, reason)))  # type: ignore[no-untyped-call]
