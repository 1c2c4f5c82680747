"""Stage 5: the campaign figures of each article, kept in its ``figures`` list.

Runs after relevance (only what will be stored is read) and before dedup, so a copy
of a story carries its figures too. ``dvk_crawl.figures`` does the reading; what a
figure holds: docs/figures.md. Counts ``dvk/figures/articles_with_figures`` and
``dvk/figures/figures``.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from dvk_crawl.figures import extract_record_figures
from dvk_crawl.pipelines.base import Stage


class FiguresPipeline(Stage):
    STAGE = "figures"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        figures = [figure.to_dict() for figure in extract_record_figures(adapter.asdict())]
        adapter["figures"] = figures
        if figures:
            self.count("articles_with_figures")
            self.stats.inc_value("dvk/figures/figures", len(figures))
        return item
