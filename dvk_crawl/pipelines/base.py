"""What every pipeline stage shares: counting outcomes and dropping items.

Each stage counts ``dvk/<stage>/<outcome>`` in the crawl's stats; a drop goes through
:func:`dvk_crawl.outcomes.record_drop`, which also counts ``dvk/dropped/<reason>``, which
the end-of-crawl summary reports.
"""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from dvk_crawl.outcomes import Dropped, record_drop


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
        """Count the reason and return the ``Dropped`` to raise (its visit: ``VisitLog``)."""
        return record_drop(self.crawler, reason, detail, stage=self.STAGE)
