"""Stage 1: one Unicode form and clean whitespace in every text field.

Parsers already normalise; this stage makes the guarantee hold for any item,
whatever produced it, and derives the content hash and word count from the text
(once: ``extract_article`` leaves them unset).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from dvk_crawl.derived import count_words
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.text import content_hash, normalize_line, normalize_text


class NormalisePipeline(Stage):
    STAGE = "normalise"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["text"] = normalize_text(adapter.get("text") or "")
        for name in ("title", "lead", "section"):
            value = adapter.get(name)
            adapter[name] = normalize_line(value) if value else value
        for name in ("authors", "tags"):
            adapter[name] = [v for v in (normalize_line(x) for x in adapter.get(name) or []) if v]
        adapter["content_hash"] = content_hash(adapter["text"])
        adapter["word_count"] = count_words(adapter["text"])
        self.count("ok")
        return item
