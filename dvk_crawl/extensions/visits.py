"""Remember article pages not stored, so an incremental crawl does not fetch them again.

An article that is off-topic, in another language or too short stays so: without
this record every scheduled run would download it again. But one answer proves
little: a maintenance or captcha page (``empty``, ``missing_title``), a 200 with an
empty body (``not_html``), a one-off 404. So a visit is final only when earned: a
later run (at least ``DVK_VISIT_CONFIRM_HOURS`` after the first sighting) finds the
same, or, for a link that redirects to another article key, the target is stored.
Only the reasons in ``pipelines.base.FINAL_REASONS`` count; ``-a refresh=1`` ignores
the record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from dvk_crawl.config import setting
from dvk_crawl.pipelines.base import FINAL_REASONS, Dropped
from dvk_crawl.pipelines.store import stop_for_store_error
from dvk_crawl.store import StoreError, crawler_store


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


class VisitLog:
    """Records dropped articles, and old links whose redirect target was stored.

    Reads ``DVK_VISIT_CONFIRM_HOURS`` (through ``confirms_before``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> VisitLog:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def item_dropped(
        self, item: Any, exception: BaseException, response: Response | None = None, **kwargs: Any
    ) -> None:
        if not isinstance(exception, Dropped):
            return
        adapter = ItemAdapter(item)
        if exception.reason in FINAL_REASONS:
            # Under the key asked for too: an old link to an off-topic article is confirmed like it.
            for article_id in {adapter["id"], requested_id(adapter, response) or adapter["id"]}:
                record_visit(self.crawler, article_id, adapter["portal"], exception.reason, adapter["url"])
        elif exception.reason == "duplicate_id":  # stored already: a redirect to it has a stored target
            self.item_scraped(item, response)

    def item_scraped(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        """An article reached through a redirect from another key: that key is done, for good."""
        adapter = ItemAdapter(item)
        old_id = requested_id(adapter, response)
        if old_id is not None and old_id != adapter["id"]:
            record_visit(
                self.crawler, old_id, adapter["portal"], f"redirected to {adapter['id']}", adapter["url"], True
            )


def requested_id(article: ItemAdapter, response: Response | None) -> str | None:
    """The id of the article key the spider asked for (``dvk_key``), before any redirect."""
    key = response.meta.get("dvk_key") if response is not None else None
    portal = article.get("portal")
    return f"{portal}:{key}" if key and portal else None
