"""Stage 2: drop what is not an article: no title, an unfilled template, no body, or a body too short.

Reads ``DVK_MIN_BODY_CHARS``. An empty Liferay portlet, a layout the parser no
longer fits, or a copy of a page whose template was never filled ("{title}",
"{publish}": seen in stored copies of baoquangtri.vn) ends here, counted, instead of
in the store.
"""

from __future__ import annotations

import re
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.pipelines.base import Stage

# A template variable left in the page: "{title}", "{publish}", "{sapo}".
_PLACEHOLDER = re.compile(r"\{[a-z][a-z_]{1,19}\}")


def unrendered_placeholders(title: str, lead: str, text: str) -> list[str]:
    """The template variables that show the page was served unfilled: any in the title or
    the lead (no headline or summary holds ``{word}``), two different ones in the text."""
    in_heads = _PLACEHOLDER.findall(title) + _PLACEHOLDER.findall(lead)
    in_text = set(_PLACEHOLDER.findall(text))
    return sorted(set(in_heads) | in_text) if in_heads or len(in_text) >= 2 else []


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
