"""The crawl's pipeline stages, driven offline: what a reparse hands its records to.

A reparse must apply the same policy as a crawl (the keywords, languages, body
length, copy linking, the store's batches), so it builds the very stage classes of
``dvk_crawl.pipelines`` on a Scrapy ``Crawler`` that never crawls: its settings,
stats and signals are all the stages use. The stages before dedup derive and
check (they may drop); dedup and store run only for records that will be written.
A written record goes on to the store's JSON Lines feed after its batch commits,
in the form and order a crawl's feed export writes (refresh semantics: the last
line of an id is its stored record), and so does every record a re-root relinked.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any, cast

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exporters import JsonLinesItemExporter
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector, StatsCollector
from scrapy.utils.misc import load_object

from dvk_crawl.feeds import WholeLineFile, remove_cut_line
from dvk_crawl.pipelines import PIPELINE_ORDER
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.pipelines.dedup import DedupPipeline
from dvk_crawl.pipelines.relevance import RelevancePipeline
from dvk_crawl.pipelines.store import StorePipeline
from dvk_crawl.record import ARTICLE_FIELDS
from dvk_crawl.store import ArticleStore, crawler_store


class FeedWriteError(OSError):
    """The feed could not take a line: the store has the records, the feed lacks them."""


class OfflinePipelines:
    """normalise → validate → language → relevance → figures (``derive``), then dedup →
    store (``write``), with a crawl's settings; drops raise ``Dropped`` as in a crawl."""

    def __init__(self, settings: Settings, feed: Path | None) -> None:
        self.crawler = Crawler(Spider, settings)
        self.crawler.stats = MemoryStatsCollector(self.crawler)
        spider = Spider(name="reparse")
        # Every record a reparse writes replaces its stored row: a refresh, in the dedup
        # stage's words (an id met twice in one reparse is still dropped as duplicate_id).
        spider.refresh = True  # type: ignore[attr-defined]  # the PortalSpider attribute the dedup stage reads
        self.crawler.spider = spider
        stages = [load_object(path)(self.crawler) for path in sorted(PIPELINE_ORDER, key=PIPELINE_ORDER.__getitem__)]
        self.derive_stages: list[Stage] = [s for s in stages if not isinstance(s, DedupPipeline | StorePipeline)]
        keep_irrelevant = RelevancePipeline(self.crawler)
        keep_irrelevant.store_irrelevant = True
        self.stored_stages = [keep_irrelevant if isinstance(s, RelevancePipeline) else s for s in self.derive_stages]
        self.dedup = next(s for s in stages if isinstance(s, DedupPipeline))
        self.store_stage = next(s for s in stages if isinstance(s, StorePipeline))
        self.batch_size = self.store_stage.batch_size
        self.pending: list[dict[str, Any]] = []
        self.feed = feed
        self._feed_file: WholeLineFile | None = None
        self._exporter: JsonLinesItemExporter | None = None
        self.feed_error: FeedWriteError | None = None
        self.crawler.signals.connect(self._feed_item, signal=signals.item_scraped)

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    @property
    def store(self) -> ArticleStore:
        return crawler_store(self.crawler)

    def open(self) -> None:
        self.dedup.open_spider()
        self.store_stage.open_spider()

    def derive(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record through the stages that derive fields and may drop it."""
        return self._derive(record, self.derive_stages)

    def derive_stored(self, record: dict[str, Any]) -> dict[str, Any]:
        """Like :meth:`derive`, for an article already stored: one that matches no keyword
        now goes on with ``relevant: false`` instead of being dropped, so its stored record
        stops claiming a relevance it lost (a reparse never deletes)."""
        return self._derive(record, self.stored_stages)

    @staticmethod
    def _derive(record: dict[str, Any], stages: list[Stage]) -> dict[str, Any]:
        for stage in stages:
            record = stage.process_item(record)  # type: ignore[attr-defined]  # every stage has one; Stage declares none
        return record

    def write(self, record: dict[str, Any]) -> None:
        """Queue a record for the store (the dedup stage first); a full batch is written."""
        self.pending.append(self.dedup.process_item(record))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Commit the queued records in one transaction, then append them to the feed."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        assert self.store_stage.store is not None
        self.store_stage.commit(self.store_stage.store, batch)
        for record in batch:
            self._feed_item({name: record.get(name) for name in ARTICLE_FIELDS})
        if self.feed_error is not None:  # also a relinked line, sent through a signal that logs errors away
            raise self.feed_error

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._feed_file is not None:
                self._feed_file.close()
            if self.store_stage.store is not None:
                self.store_stage.store.close()

    def _feed_item(self, item: Any, **kwargs: Any) -> None:
        """One line of the feed, as Scrapy's JSON Lines feed export writes it."""
        if self.feed is None:
            return
        if self.feed_error is not None:  # no line after a gap
            return
        if self._exporter is None:
            try:
                self.feed.parent.mkdir(parents=True, exist_ok=True)
                remove_cut_line(self.feed)
                self._feed_file = WholeLineFile(self.feed, self._feed_failed)
            except OSError as error:
                self._feed_failed(error)
                return
            # Scrapy types the file as BytesIO; the exporter only calls write().
            self._exporter = JsonLinesItemExporter(cast(BytesIO, self._feed_file), encoding="utf-8")
        self._exporter.export_item(ItemAdapter(item).asdict())
        if self.feed_error is None:
            self.stats.inc_value("dvk/reparse/feed_lines")

    def _feed_failed(self, error: OSError) -> None:
        self.feed_error = FeedWriteError(
            error.errno,
            f"feed {self.feed} could not be written ({error.strerror or error}); the reparse stopped."
            " The store has the records of the batches committed so far: dvk-crawl export --format jsonl"
            " rebuilds the feed from it",
        )
