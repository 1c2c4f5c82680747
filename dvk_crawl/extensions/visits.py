"""Remember article pages not stored, so an incremental crawl does not fetch them again.

An article that is off-topic, in another language or too short stays so: without
this record every scheduled run would download it again. But one answer proves
little: a maintenance or captcha page (``empty``, ``missing_title``), a 200 with an
empty body (``not_html``), a one-off 404. So a visit is final only when earned: a
later run (at least ``DVK_VISIT_CONFIRM_HOURS`` after the first sighting) finds the
same, or, for a link that redirects to another article key, the target is stored.
Only the reasons in ``outcomes.FINAL_REASONS`` count; ``-a refresh=1`` ignores
the record. The writes themselves: :mod:`dvk_crawl.extensions.crawlstore`.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from dvk_crawl.outcomes import Dropped, record_outcome, record_redirect


class VisitLog:
    """Records dropped articles, and old links whose redirect target was stored.

    Reads ``DVK_VISIT_CONFIRM_HOURS`` (through ``crawlstore.confirms_before``)."""

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
        if exception.reason != "duplicate_id":
            # Under the key asked for too: an old link to an off-topic article is confirmed like it.
            article_ids = {adapter["id"], requested_id(adapter, response) or adapter["id"]}
            record_outcome(self.crawler, exception.reason, adapter["portal"], adapter["url"], article_ids)
        else:  # stored already: a redirect to it has a stored target
            self.item_scraped(item, response)

    def item_scraped(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        """An article reached through a redirect from another key: that key is done, for good."""
        adapter = ItemAdapter(item)
        old_id = requested_id(adapter, response)
        if old_id is not None and old_id != adapter["id"]:
            record_redirect(self.crawler, old_id, adapter["portal"], adapter["id"], adapter["url"])


def requested_id(article: ItemAdapter, response: Response | None) -> str | None:
    """The id of the article key the spider asked for (``dvk_key``), before any redirect."""
    key = response.meta.get("dvk_key") if response is not None else None
    portal = article.get("portal")
    return f"{portal}:{key}" if key and portal else None
