"""Stage 6: write articles to the store, a transaction per batch.

Reads ``DVK_STORE_URL``, ``DVK_STORE_BATCH_SIZE``, ``DVK_STORE_FLUSH_SECONDS`` and
``DVK_NEARDUP_THRESHOLD``. A batch's transaction holds the articles, their signatures
and the copy links they change (:class:`dvk_crawl.neardup.CopyLinker`, under the
store's ``dedup_section``): a lost batch leaves no signature a later copy could point
at, and two workers' batches are linked one after the other. An article goes on to
the JSON Lines feed only once its batch is committed, so a crawl killed mid-batch
leaves nothing in the feed that the store lacks, and the next run fetches the
uncommitted articles again. A full batch is written at once; one that
does not fill is written ``DVK_STORE_FLUSH_SECONDS`` after its first article came
(by default at the next turn of the event loop: the articles at hand form the batch).

A store that cannot be written stops the crawl (finish reason ``store_error``, one
ERROR line naming the store and the cause) instead of losing items quietly: a batch
is all or nothing, its articles are counted as dropped under ``store_error``, and
what earlier batches stored stays.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from dvk_crawl.config import setting
from dvk_crawl.extensions.crawlstore import stop_for_store_error
from dvk_crawl.neardup import CopyLinker, LshScheme, Signature, crawl_signatures
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.record import ARTICLE_FIELDS
from dvk_crawl.store import ArticleStore, StoreError, crawler_store


class StorePipeline(Stage):
    STAGE = "store"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.batch_size: int = max(1, setting(crawler.settings, "DVK_STORE_BATCH_SIZE"))
        self.flush_after: float = setting(crawler.settings, "DVK_STORE_FLUSH_SECONDS")
        self.lsh = LshScheme(setting(crawler.settings, "DVK_NEARDUP_THRESHOLD"))
        self.store: ArticleStore | None = None
        self.pending: list[dict[str, Any]] = []
        self.committed: list[Deferred[None]] = []
        self.timer: CallLaterResult | None = None
        self.failed: StoreError | None = None

    def open_spider(self) -> None:
        self.store = crawler_store(self.crawler)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if self.failed is None:
            record = adapter.asdict()
            try:
                await maybe_deferred_to_future(self.add(record))
                adapter["duplicate_of"] = record["duplicate_of"]  # as linked at commit
                return item
            except StoreError:
                pass
        raise self.drop("store_error", f"{adapter.get('id')} not stored: {self.failed}")

    def add(self, record: dict[str, Any]) -> Deferred[None]:
        """Queue a record; the Deferred fires once its batch is committed."""
        committed: Deferred[None] = Deferred()
        self.pending.append(record)
        self.committed.append(committed)
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif self.timer is None:  # with 0: at the next turn of the event loop
            self.timer = call_later(self.flush_after, self.flush)
        return committed

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()
        if not self.pending or self.store is None:
            return
        batch, waiting = self.pending, self.committed
        self.pending, self.committed = [], []
        try:
            self.commit(self.store, batch)
        except StoreError as error:
            self.failed = error
            self.count("error")
            stop_for_store_error(self.crawler, error)
            for committed in waiting:
                committed.errback(Failure(error))  # type: ignore[no-untyped-call]  # Twisted leaves Failure() untyped
            return
        for committed in waiting:
            committed.callback(None)

    def commit(self, store: ArticleStore, batch: list[dict[str, Any]]) -> None:
        """Write a batch with its signatures and copy links in one transaction, then count it.

        The records get ``duplicate_of`` as committed; ``dvk/dedup/<outcome>`` is counted
        here, once the links it counts are in the store.
        """
        written, outcomes = self.write(store, batch)
        self.stats.inc_value("dvk/store/stored", written)
        for outcome in outcomes:
            self.stats.inc_value(f"dvk/dedup/{outcome}")

    def feed_relinked(self, store: ArticleStore, ids: set[str]) -> None:
        """Articles stored earlier whose copy link a re-root changed go to the feed again.

        The feed is an append-only log of the store: the last line of an id is its
        stored record. Sent as ``item_scraped``, the signal Scrapy's feed exports write
        from, once the transaction that changed them is committed.
        """
        if not ids:
            return
        for record in store.records_by_id(ids):
            item = {name: record.get(name) for name in ARTICLE_FIELDS}  # the feed's fields, in their order
            self.crawler.signals.send_catch_log(
                signal=signals.item_scraped, item=item, response=None, spider=self.crawler.spider
            )
        self.stats.inc_value("dvk/store/relinked", len(ids))

    def write(self, store: ArticleStore, batch: list[dict[str, Any]]) -> tuple[int, list[str]]:
        carried = crawl_signatures(self.crawler)
        # Computed here only for an article that did not pass the dedup stage (tests, tools).
        signatures = [
            carried.pop(r["id"]) if r["id"] in carried else Signature.of(r.get("text") or "", self.lsh) for r in batch
        ]
        linker = CopyLinker(store, self.lsh)
        with store.dedup_section():
            written = store.upsert_many(batch)
            outcomes = [linker.link(r, sig) for r, sig in zip(batch, signatures, strict=True)]
        for record in batch:  # a later article of the batch may have re-rooted an earlier one
            record["duplicate_of"] = store.original_of(record["id"])
        self.feed_relinked(store, linker.relinked - {r["id"] for r in batch})
        # An article that matched others but is the earliest of them is an original.
        return written, [kind if r["duplicate_of"] else "unique" for r, kind in zip(batch, outcomes, strict=True)]
