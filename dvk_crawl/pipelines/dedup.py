"""Stage 5: one article is stored once; copies of a story are linked, not lost.

Reads ``DVK_NEARDUP_THRESHOLD``. An id already stored (or passed earlier in this
run) is dropped as ``duplicate_id`` — unless the spider runs with ``refresh=1``,
when the stored record is updated. A body already stored under another id
(``duplicate_content``) or one whose MinHash signature is at least the threshold
similar to a stored one (``near_duplicate``) is stored with ``duplicate_of`` set
to the first article seen, so downstream users choose what to count.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.distributed import ArticleClaims
from dvk_crawl.neardup import LshScheme, signature, similarity
from dvk_crawl.pipelines.base import Stage
from dvk_crawl.pipelines.store import stop_for_store_error
from dvk_crawl.store import ArticleStore, StoreError, crawler_store


class DedupPipeline(Stage):
    STAGE = "dedup"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.store: ArticleStore | None = None
        self.lsh = LshScheme(setting(crawler.settings, "DVK_NEARDUP_THRESHOLD"))
        # The store writes records in batches: what this run passed is not in it yet.
        self.ids_this_run: set[str] = set()
        self.first_by_hash: dict[str, str] = {}
        self.claims = ArticleClaims()

    def open_spider(self) -> None:
        self.store = crawler_store(self.crawler)
        self.claims = ArticleClaims.from_crawler(self.crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        try:
            outcome = self.link_copies(adapter)
        except StoreError as error:  # the crawl stops; this article is fetched again next run
            stop_for_store_error(self.crawler, error)
            raise self.drop("store_error", f"{adapter['id']} not stored: {error}") from None
        self.count(outcome)
        return item

    def link_copies(self, adapter: ItemAdapter) -> str:
        """Drop a known id; set ``duplicate_of`` and keep the signature; return the outcome."""
        assert self.store is not None
        article_id = adapter["id"]
        if article_id in self.ids_this_run or (self.store.has_id(article_id) and not self.refreshing):
            raise self.drop("duplicate_id", article_id)
        if not self.claims.claim(article_id):  # another worker of a distributed crawl has it
            raise self.drop("duplicate_id", article_id)
        self.ids_this_run.add(article_id)
        sig = signature(adapter["text"])
        # Candidates read and signature added as one step: a worker storing a near copy
        # at the same moment sees this one, or this one sees it.
        with self.store.dedup_section():
            adapter["duplicate_of"], outcome = self.first_copy(article_id, adapter["content_hash"], sig)
            self.store.add_signature(article_id, sig, self.lsh.band_keys(sig), adapter["duplicate_of"])
        self.first_by_hash.setdefault(adapter["content_hash"], adapter["duplicate_of"] or article_id)
        return outcome

    @property
    def refreshing(self) -> bool:
        return bool(getattr(self.crawler.spider, "refresh", False))

    def first_copy(self, article_id: str, digest: str, sig: bytes) -> tuple[str | None, str]:
        """The id of the first article this one copies, and the outcome to count."""
        assert self.store is not None
        first = self.first_by_hash.get(digest) or self.store.id_for_hash(digest)
        if first is not None and first != article_id:
            return self.root_of(first), "duplicate_content"
        for candidate in self.store.signature_candidates(self.lsh.band_keys(sig)):
            if candidate.id != article_id and similarity(sig, candidate.signature) >= self.lsh.threshold:
                return candidate.duplicate_of or candidate.id, "near_duplicate"
        return None, "unique"

    def root_of(self, article_id: str) -> str:
        """A copy of a copy points to the original."""
        assert self.store is not None
        return self.store.original_of(article_id) or article_id
