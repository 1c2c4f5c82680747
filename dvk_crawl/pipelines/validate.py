"""Stage 2: drop what is not an article: no title, an unfilled template, no body, or a body too short.

Reads ``DVK_MIN_BODY_CHARS``. An empty Liferay portlet, a layout the parser no
longer fits, or a copy of a page whose template was never filled ("{title}",
"{publish}": seen in stored copies of baoquangtri.vn) ends here, counted, instead of
in the store.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.text import unrendered_placeholders


class ValidatePipeline(Stage):
    STAGE = "validate"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.min_body_chars: int = setting(crawler.settings, "DVK_MIN_BODY_CHARS")

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        text = adapter.get("text") or ""
        if not adapter.get("title"):
            raise self.drop("missing_title", adapter.get("url", "?"))
        placeholders = unrendered_placeholders(adapter["title"], adapter.get("lead") or "", text)
        if placeholders:
            raise self.drop("unrendered_template", f"{adapter.get('url')} shows {' '.join(placeholders)}")
        if not text:
            raise self.drop("empty", adapter.get("url", "?"))
        if len(text) < self.min_body_chars:
            raise self.drop("short_body", f"{adapter.get('url')} has {len(text)} characters")
        self.count("ok")
        return item
