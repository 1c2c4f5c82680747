"""Stage 6: write articles to the store, a transaction per batch.

Reads ``DVK_STORE_URL`` and ``DVK_STORE_BATCH_SIZE``. A store that cannot be
written stops the crawl (``CloseSpider``) instead of losing items quietly; a
batch is all or nothing, so the store is never half-written.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from dvk_crawl.config import setting
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.store import ArticleStore, StoreError, crawler_store


class StorePipeline(Stage):
    STAGE = "store"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.batch_size: int = max(1, setting(crawler.settings, "DVK_STORE_BATCH_SIZE"))
        self.store: ArticleStore | None = None
        self.pending: list[dict[str, Any]] = []

    def open_spider(self) -> None:
        self.store = crawler_store(self.crawler)

    def process_item(self, item: Any) -> Any:
        self.pending.append(ItemAdapter(item).asdict())
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.pending or self.store is None:
            return
        batch, self.pending = self.pending, []
        try:
            written = self.store.upsert_many(batch)
        except StoreError as error:
            self.count("error")
            self.stats.set_value("dvk/store/last_error", str(error))
            self.stop_crawl()
            raise
        self.stats.inc_value("dvk/store/stored", written)

    def stop_crawl(self) -> None:
        """Close the spider without waiting here: the engine waits for this very item."""
        if self.crawler.engine is not None and self.crawler.engine.spider is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_error"))
