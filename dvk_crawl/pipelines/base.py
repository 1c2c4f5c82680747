"""What every pipeline stage shares: counting outcomes and dropping items.

Each stage counts ``dvk/<stage>/<outcome>`` in the crawl's stats; a drop also
counts ``dvk/dropped/<reason>``, which the end-of-crawl summary reports.
"""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


class Dropped(DropItem):
    """A drop with its reason, for the summary and the visit record (see ``FINAL_REASONS``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


# Outcomes that will not change by fetching the page again: an incremental crawl
# remembers them and skips the URL next time (``-a refresh=1`` retries). Download
# errors, server errors, parser errors and the date window are not among them.
FINAL_REASONS = frozenset(
    {
        "http_404",
        "http_410",
        "not_html",
        "not_article_url",
        "missing_title",
        "empty",
        "short_body",
        "wrong_language",
        "not_relevant",
        "no_usable_capture",
    }
)


class Stage:
    """Base of the pipeline stages: ``from_crawler`` keeps the crawler and its stats."""

    STAGE: ClassVar[str]

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def count(self, outcome: str) -> None:
        self.stats.inc_value(f"dvk/{self.STAGE}/{outcome}")

    def drop(self, reason: str, detail: str) -> Dropped:
        """Count the reason and return the ``Dropped`` to raise."""
        self.count(reason)
        self.stats.inc_value(f"dvk/dropped/{reason}")
        return Dropped(reason, detail)
