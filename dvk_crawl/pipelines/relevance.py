"""Stage 4: campaign relevance from the keywords in ``seeds/keywords.txt``.

Reads ``DVK_KEYWORDS_FILE`` (default: ``<DVK_SEEDS_DIR>/keywords.txt``) and
``DVK_STORE_IRRELEVANT``: by default only relevant articles go on; with it set,
every article goes on with its ``relevant`` flag.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.derived import match_keywords
from dvk_crawl.keywords import crawl_keywords
from dvk_crawl.pipelines.base import Stage


class RelevancePipeline(Stage):
    STAGE = "relevance"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.keywords = crawl_keywords(crawler.settings)
        self.store_irrelevant: bool = setting(crawler.settings, "DVK_STORE_IRRELEVANT")

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["matched_keywords"] = match_keywords(
            self.keywords, adapter.get("title"), adapter.get("lead"), adapter.get("text")
        )
        adapter["relevant"] = bool(adapter["matched_keywords"])
        if not adapter["relevant"] and not self.store_irrelevant:
            raise self.drop("not_relevant", adapter.get("url", "?"))
        self.count("relevant" if adapter["relevant"] else "irrelevant_kept")
        return item
