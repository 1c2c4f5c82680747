"""Stage 5: never store one article twice, within a run or across runs.

An id already stored (or already passed this run) is a re-crawl: dropped as
``duplicate_id``. A body whose content hash is already stored under another id
(the same story under a second URL) is dropped as ``duplicate_content``.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.pipelines.base import Stage
from dvk_crawl.store import ArticleStore, crawler_store


class DedupPipeline(Stage):
    STAGE = "dedup"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.store: ArticleStore | None = None
        # The store writes in batches: what this run passed is not in it yet.
        self.ids_this_run: set[str] = set()
        self.hashes_this_run: dict[str, str] = {}

    def open_spider(self) -> None:
        self.store = crawler_store(self.crawler)

    def process_item(self, item: Any) -> Any:
        assert self.store is not None
        adapter = ItemAdapter(item)
        article_id, digest = adapter["id"], adapter["content_hash"]
        if article_id in self.ids_this_run or self.store.has_id(article_id):
            raise self.drop("duplicate_id", article_id)
        first = self.hashes_this_run.get(digest) or self.store.id_for_hash(digest)
        if first is not None:
            raise self.drop("duplicate_content", f"{article_id} repeats {first}")
        self.ids_this_run.add(article_id)
        self.hashes_this_run[digest] = article_id
        self.count("unique")
        return item
