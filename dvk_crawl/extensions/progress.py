"""Progress of a long crawl in the terminal: items per second, stored, dropped.

Modelled on Scrapy's ``LogStats``, but on the project's own counts: every
``DVK_PROGRESS_INTERVAL`` seconds (default 10; 0 turns it off) one line such as

    progress: 4.2 items/s, 120 stored, 37 dropped, 0:05:10 elapsed

and one more when the spider closes (the rate there is the run's average), so a
crawl that ends before the first interval still says what it did. Items are the
articles that went through the pipelines (Scrapy's ``item_scraped_count`` plus
``item_dropped_count``); stored is ``dvk/store/stored`` (written in batches, so it
trails a little); dropped is the sum of ``dvk/dropped/*`` (spider and pipelines).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from dvk_crawl.config import setting

logger = logging.getLogger(__name__)

PROGRESS_FORMAT = "progress: %(rate).1f items/s, %(stored)d stored, %(dropped)d dropped, %(elapsed)s elapsed"
FINAL_FORMAT = (
    "progress (%(reason)s): %(rate).1f items/s on average, %(stored)d stored, %(dropped)d dropped in %(elapsed)s"
)


class ProgressLog:
    """Logs a progress line every ``interval`` seconds and once at the end."""

    def __init__(self, stats: StatsCollector, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stats = stats
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.last_time = self.started
        self.last_items = 0
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = float(setting(crawler.settings, "DVK_PROGRESS_INTERVAL"))
        if interval <= 0:
            raise NotConfigured
        assert crawler.stats is not None
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = self.last_time = self.clock()
        self.last_items = 0
        self.task = create_looping_call(self.log)
        # now=False: a line of zeros at the start says nothing.
        self.task.start(self.interval, now=False)

    def counts(self) -> tuple[int, int, int]:
        """Items through the pipelines, stored, dropped: from the crawl's stats."""
        stats = self.stats.get_stats()
        items = int(stats.get("item_scraped_count", 0)) + int(stats.get("item_dropped_count", 0))
        dropped = sum(int(v) for k, v in stats.items() if k.startswith("dvk/dropped/"))
        return items, int(stats.get("dvk/store/stored", 0)), dropped

    def log(self) -> None:
        now = self.clock()
        items, stored, dropped = self.counts()
        span = now - self.last_time
        rate = (items - self.last_items) / span if span > 0 else 0.0
        self.last_time, self.last_items = now, items
        logger.info(
            PROGRESS_FORMAT,
            {"rate": rate, "stored": stored, "dropped": dropped, "elapsed": _elapsed(now - self.started)},
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        now = self.clock()
        items, stored, dropped = self.counts()
        span = now - self.started
        logger.info(
            FINAL_FORMAT,
            {
                "reason": reason,
                "rate": items / span if span > 0 else 0.0,
                "stored": stored,
                "dropped": dropped,
                "elapsed": _elapsed(span),
            },
        )


def _elapsed(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))
