"""Remember articles dropped for good, so an incremental crawl does not fetch them again.

An article that is off-topic, in another language or too short stays so: without
this record every scheduled run would download it again. Only the reasons in
``pipelines.base.FINAL_REASONS`` count; ``-a refresh=1`` ignores the record.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from dvk_crawl.pipelines.base import FINAL_REASONS, Dropped
from dvk_crawl.pipelines.store import stop_for_store_error
from dvk_crawl.store import StoreError, crawler_store


class VisitLog:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> VisitLog:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        return extension

    def item_dropped(self, item: Any, exception: BaseException, **kwargs: Any) -> None:
        if isinstance(exception, Dropped) and exception.reason in FINAL_REASONS:
            adapter = ItemAdapter(item)
            store = crawler_store(self.crawler)
            try:
                store.add_visit(adapter["id"], adapter["portal"], exception.reason, adapter["url"])
            except StoreError as error:
                stop_for_store_error(self.crawler, error)
