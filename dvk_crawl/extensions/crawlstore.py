"""The crawl's store side effects besides articles: visits, and stopping on a store error.

The one owner of these writes during a crawl: the spider, the pipelines, the
downloader middlewares and :class:`~dvk_crawl.extensions.visits.VisitLog` reach the
store for them only through :func:`record_visit` and :func:`stop_for_store_error`
(a drop through :func:`dvk_crawl.outcomes.record_drop`). Reads
``DVK_VISIT_CONFIRM_HOURS``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from dvk_crawl.config import setting
from dvk_crawl.store import StoreError, crawler_store

logger = logging.getLogger(__name__)


def confirms_before(crawler: Crawler) -> str:
    """Visits recorded before this time were made by an earlier run, long enough ago to confirm.

    The run's start (Scrapy's ``start_time`` stat), whole seconds like ``visited_at``,
    and at least ``DVK_VISIT_CONFIRM_HOURS`` ago: two runs inside one maintenance
    window should not confirm each other.
    """
    assert crawler.stats is not None
    started = crawler.stats.get_value("start_time") or datetime.now(UTC)
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    hours = setting(crawler.settings, "DVK_VISIT_CONFIRM_HOURS")
    bound = min(started, datetime.now(UTC) - timedelta(hours=hours))
    return bound.astimezone(UTC).isoformat(timespec="seconds")


def record_visit(crawler: Crawler, article_id: str, portal: str, outcome: str, url: str, final: bool = False) -> None:
    """Record a visit in the crawl's store; a store that fails stops the crawl."""
    try:
        crawler_store(crawler).add_visit(
            article_id, portal, outcome, url, confirms_before=confirms_before(crawler), final=final
        )
    except StoreError as error:
        stop_for_store_error(crawler, error)


def stop_for_store_error(crawler: Crawler, error: StoreError) -> None:
    """Log the failure once and close the spider with ``store_error`` (without waiting:
    the engine may be waiting for the very item that failed)."""
    assert crawler.stats is not None
    if crawler.stats.get_value("dvk/store/last_error") is not None:
        return
    crawler.stats.set_value("dvk/store/last_error", str(error))
    logger.error(
        "store failed, the crawl stops (finish reason store_error): %s."
        " Articles stored before are kept; the next run fetches the rest.",
        error,
    )
    # Not crawling: a tool or a test drives the stages, and there is no engine to stop.
    if crawler.crawling and crawler.engine.spider is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason="store_error"))
