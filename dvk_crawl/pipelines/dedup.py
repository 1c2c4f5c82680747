"""Stage 5: one article is stored once; copies of a story are linked, not lost.

Reads ``DVK_NEARDUP_THRESHOLD``. An id already stored (or passed earlier in this
run) is dropped as ``duplicate_id`` — unless the spider runs with ``refresh=1``,
when the stored record is updated, but never by an older copy of its page: an archive
capture taken before the stored record was fetched live is dropped as
``older_than_stored`` (a ``-a source=archive -a refresh=1`` run would otherwise put
years-old text over what the portal serves). For every other article the stage computes its
MinHash signature and band keys (outside any lock: it is the costly part) and hands
them to the store stage beside the item. The store stage links copies when it
writes the batch (:class:`dvk_crawl.neardup.CopyLinker`): a body already stored
under another id (``duplicate_content``) or one at least the threshold similar to a
stored one (``near_duplicate``) gets ``duplicate_of`` set to the earliest-published
article of its copy group, so downstream users choose what to count.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.dates import parse_iso
from dvk_crawl.distributed import ArticleClaims
from dvk_crawl.extensions.crawlstore import stop_for_store_error
from dvk_crawl.neardup import LshScheme, Signature, crawl_signatures
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.store import ArticleStore, StoreError, crawler_store


class DedupPipeline(Stage):
    STAGE = "dedup"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.store: ArticleStore | None = None
        self.lsh = LshScheme(setting(crawler.settings, "DVK_NEARDUP_THRESHOLD"))
        # The store writes records in batches: what this run passed is not in it yet.
        self.ids_this_run: set[str] = set()
        self.claims = ArticleClaims()

    def open_spider(self) -> None:
        self.store = crawler_store(self.crawler)
        self.claims = ArticleClaims.from_crawler(self.crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        try:
            self.pass_once(adapter["id"])
            if self.refreshing and adapter.get("source") == "archive" and self.older_than_stored(adapter):
                raise self.drop("older_than_stored", f"{adapter['id']} archived {adapter.get('archived_at')}")
        except StoreError as error:  # the crawl stops; this article is fetched again next run
            stop_for_store_error(self.crawler, error)
            raise self.drop("store_error", f"{adapter['id']} not stored: {error}") from None
        crawl_signatures(self.crawler)[adapter["id"]] = Signature.of(adapter["text"], self.lsh)
        return item

    def pass_once(self, article_id: str) -> None:
        """Drop an id stored before (unless refreshing) or passed already in this crawl."""
        assert self.store is not None
        if article_id in self.ids_this_run or (self.store.has_id(article_id) and not self.refreshing):
            raise self.drop("duplicate_id", article_id)
        if not self.claims.claim(article_id):  # another worker of a distributed crawl has it
            raise self.drop("duplicate_id", article_id)
        self.ids_this_run.add(article_id)

    def older_than_stored(self, adapter: ItemAdapter) -> bool:
        """Whether the stored record was fetched live after the archive took this capture."""
        assert self.store is not None
        stored = self.store.records_by_id([adapter["id"]])
        if not stored or stored[0].get("source") != "live" or not adapter.get("archived_at"):
            return False
        captured, fetched = parse_iso(str(adapter["archived_at"])), parse_iso(str(stored[0].get("fetched_at") or ""))
        return captured is not None and fetched is not None and captured.moment < fetched.moment

    @property
    def refreshing(self) -> bool:
        return bool(getattr(self.crawler.spider, "refresh", False))
