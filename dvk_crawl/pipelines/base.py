"""What every pipeline stage shares: counting outcomes and dropping items.

Each stage counts ``dvk/<stage>/<outcome>`` in the crawl's stats; a drop also
counts ``dvk/dropped/<reason>``, which the end-of-crawl summary reports.
"""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


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

    def drop(self, reason: str, detail: str) -> DropItem:
        """Count the reason and return the ``DropItem`` to raise."""
        self.count(reason)
        self.stats.inc_value(f"dvk/dropped/{reason}")
        return DropItem(f"{reason}: {detail}")
