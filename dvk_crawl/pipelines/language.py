"""Stage 3: keep the languages the crawl is for (``DVK_LANGUAGES``, default ``vi``).

The language is detected here, once, on the title, lead and body
(:func:`dvk_crawl.derived.detect_article_language`); an item that arrives with one
keeps it.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.derived import detect_article_language
from dvk_crawl.pipelines.base import Stage


class LanguagePipeline(Stage):
    STAGE = "language"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.languages: set[str] = set(setting(crawler.settings, "DVK_LANGUAGES"))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if adapter.get("language") is None:
            adapter["language"], adapter["language_confidence"] = detect_article_language(
                adapter.get("title"), adapter.get("lead"), adapter.get("text")
            )
        language = adapter.get("language")
        if self.languages and language not in self.languages:
            raise self.drop("wrong_language", f"{adapter.get('url')} is {language!r}")
        self.count(str(language))
        return item
