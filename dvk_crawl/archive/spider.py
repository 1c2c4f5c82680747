"""The archive side of every portal spider: ``-a source=archive|both`` and ``-a capture=newest|oldest``.

``archive``: the captures of the portal's sites are listed through the CDX API (one
paged query per site or prefix: :meth:`ArchiveSource.archive_targets`); those the
portal's article-URL rule accepts are grouped by article key. Only when every CDX page
is read (the spider is idle) is one capture per article requested, the newest (or the
oldest): the key groups URLs that sort apart in the listing (``/vi/…`` and ``/…`` on
Quảng Trị), so no article can be chosen before the listing is complete. A capture that
is not usable (an HTTP error, a redirect to a page that is no article, no body) gives
way to the next one, up to ``CAPTURES_TRIED``.

``both``: the live crawl runs first; when it is idle the archive fills in the articles
live did not yield, such as pages a district portal no longer serves (404, or an empty
Liferay portlet).

Where the crawl stands (phase, captures found, ids live yielded) lives in
``spider.state``, which Scrapy keeps in ``JOBDIR``, so a paused archive crawl resumes.
Archive requests share one download slot (``DVK_ARCHIVE_CONCURRENCY``,
``DVK_ARCHIVE_DELAY``) that AutoThrottle leaves alone. Reads ``DVK_ARCHIVE_BASE_URL``,
``DVK_ARCHIVE_PAGE_SIZE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.python.failure import Failure

from dvk_crawl.archive.capture import Capture, capture_of, order_captures, original_url, playback_url, replay_url
from dvk_crawl.archive.cdx import CdxError, CdxQuery, cdx_target, parse_cdx_page
from dvk_crawl.config import setting
from dvk_crawl.dates import PublicationTime
from dvk_crawl.extract import ExtractionError, extract_article
from dvk_crawl.failures import failure_reason, is_transient
from dvk_crawl.pipelines.base import Dropped
from dvk_crawl.record import Article
from dvk_crawl.store import crawler_store

if TYPE_CHECKING:
    from dvk_crawl.keywords import Keywords
    from dvk_crawl.portals.portal import Portal
    from dvk_crawl.seeds import PortalSeeds

SOURCES = ("live", "archive", "both")
CAPTURE_CHOICES = ("newest", "oldest")
ARCHIVE_SLOT = "dvk-archive"
CAPTURES_TRIED = 5
"""Captures tried per article before it counts as ``no_usable_capture``."""
GONE_REASONS = frozenset({"http_404", "http_410", "empty"})
"""Live outcomes the archive may undo: the page is gone (or Liferay serves it empty)."""


def add_archive_slot(settings: BaseSettings) -> None:
    """Declare the archive's download slot in ``DOWNLOAD_SLOTS`` (an entry the user set wins)."""
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    slots.setdefault(
        ARCHIVE_SLOT,
        {
            "concurrency": setting(settings, "DVK_ARCHIVE_CONCURRENCY"),
            "delay": setting(settings, "DVK_ARCHIVE_DELAY"),
            "jitter": 0,  # the delay is a floor the archive asks for, not a disguise
        },
    )
    priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["spider"])
    settings.set("DOWNLOAD_SLOTS", slots, priority=priority)


class ArchiveSource(scrapy.Spider):
    """Archive discovery and capture parsing: the base of :class:`~dvk_crawl.spiders.base.PortalSpider`."""

    source: str = "live"
    capture: str = "newest"
    archive_base: str
    archive_page_size: int
    archive_skip_ids: set[str]
    state: dict[str, Any]

    if TYPE_CHECKING:
        portal: Portal
        seeds: PortalSeeds
        sites: dict[str, str]
        keywords: Keywords
        since: datetime | None
        until: datetime | None
        refresh: bool
        seen_ids: set[str]

        def count(self, name: str, value: int = 1) -> None: ...
        def count_drop(self, reason: str, url: str, key: str | None = None) -> None: ...
        def in_window(self, published: PublicationTime | None) -> bool: ...
        def discovery_request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request: ...

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        add_archive_slot(settings)

    def setup_archive(self, crawler: Crawler) -> None:
        """Read the archive settings; for an archive crawl, allow the archive's host and watch idleness."""
        self.archive_base = setting(crawler.settings, "DVK_ARCHIVE_BASE_URL").rstrip("/")
        self.archive_page_size = max(1, setting(crawler.settings, "DVK_ARCHIVE_PAGE_SIZE"))
        if not hasattr(self, "state"):
            self.state = {}  # Scrapy's SpiderState replaces it with the JOBDIR's on spider_opened
        self.archive_skip_ids = set()
        if self.source == "live":
            return
        self.allowed_domains = [*getattr(self, "allowed_domains", []), urlsplit(self.archive_base).hostname or ""]
        crawler.signals.connect(self.archive_idle, signal=signals.spider_idle)
        if self.source == "both":
            crawler.signals.connect(self.live_item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(self.live_item_dropped, signal=signals.item_dropped)
        if not self.refresh:
            # A page gone from the live site (404, empty portlet) may be in the archive.
            self.archive_skip_ids = self.seen_ids - crawler_store(crawler).gone_ids(self.portal.id)

    @property
    def archive_state(self) -> dict[str, Any]:
        return self.state.setdefault("dvk_archive", {"phase": "new", "captures": {}, "live_ids": set()})

    def archive_targets(self) -> list[str]:
        """Sites or URL prefixes to list in the archive: the seeds' ``archive`` entries, else the
        hosts of the start points. For a portal with sub-sites: the selected sites' ``archive``
        prefixes on their hosts, else each whole selected site."""
        if self.sites:
            site_hosts = {urlsplit(base).hostname for base in self.sites.values()}
            prefixes = [url for url in self.seeds.archive if urlsplit(url).hostname in site_hosts]
            return prefixes or list(self.sites.values())
        if self.seeds.archive:
            return list(self.seeds.archive)
        urls = [*self.seeds.rss, *self.seeds.sitemaps, *self.seeds.listings, *filter(None, [self.seeds.search])]
        hosts = dict.fromkeys(f"{p.scheme}://{p.netloc}/" for p in map(urlsplit, urls))
        return list(hosts) or [self.portal.home]

    # -- phases -------------------------------------------------------------------

    def archive_start_points(self) -> Iterator[scrapy.Request]:
        """The first CDX page of every target (none when a resumed job is past them)."""
        state = self.archive_state
        if state["phase"] != "new":
            return
        state["phase"] = "cdx"
        for target in self.archive_targets():
            yield self.cdx_request(target)

    def archive_idle(self) -> None:
        """Next phase when the crawl runs dry: live done → list captures → fetch the chosen ones."""
        state = self.archive_state
        if state["phase"] == "new" and self.source == "both":
            requests = list(self.archive_start_points())
        elif state["phase"] == "cdx":
            state["phase"] = "captures"
            requests = list(self.capture_requests(state["captures"]))
            state["captures"] = {}
        else:
            return
        assert self.crawler.engine is not None
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def live_item_scraped(self, item: Any) -> None:
        self.archive_state["live_ids"].add(ItemAdapter(item)["id"])

    def live_item_dropped(self, item: Any, exception: BaseException) -> None:
        if not (isinstance(exception, Dropped) and exception.reason in GONE_REASONS):
            self.archive_state["live_ids"].add(ItemAdapter(item)["id"])

    # -- CDX listing --------------------------------------------------------------

    def archive_meta(self) -> dict[str, Any]:
        return {"download_slot": ARCHIVE_SLOT, "autothrottle_dont_adjust_delay": True, "dvk_archive": True}

    def cdx_request(self, target: str, resume_key: str | None = None) -> scrapy.Request:
        query = CdxQuery(self.archive_base, cdx_target(target), self.since, self.until, self.archive_page_size)
        request = self.discovery_request(query.url(resume_key), self.parse_cdx, target=target, resume_key=resume_key)
        request.meta.update(self.archive_meta())
        return request

    def parse_cdx(self, response: Response, target: str, resume_key: str | None) -> Iterator[scrapy.Request]:
        try:
            page = parse_cdx_page(response.body)
        except CdxError as error:
            self.logger.warning("bad CDX answer %s: %s", response.url, error)
            self.count_drop("bad_cdx_answer", response.url)
            return
        self.count("archive/cdx_pages")
        for row in page.rows:
            self.add_capture(row)
        # The same key again would list the same page for ever.
        if page.resume_key and page.resume_key != resume_key:
            yield self.cdx_request(target, page.resume_key)

    def add_capture(self, row: dict[str, str]) -> None:
        """Keep a listed capture under its article key; anything else is counted and left."""
        self.count("archive/captures_listed")
        if "timestamp" not in row or "original" not in row:
            self.count("archive/captures_malformed")
            return
        url = original_url(row["original"])
        if not self.portal.owns_host(urlsplit(url).hostname or ""):
            self.count("discovery/foreign_links")
            return
        key = self.portal.article_key(self.portal.canonicalize(url))
        if key is None:
            self.count("discovery/not_article_links")
            return
        self.count("discovery/article_links")
        self.archive_state["captures"].setdefault(key, []).append((row["timestamp"], row["original"]))

    # -- captures -----------------------------------------------------------------

    def capture_requests(self, captures: dict[str, list[tuple[str, str]]]) -> Iterator[scrapy.Request]:
        """One request per article key, for its preferred capture; others wait as fallbacks."""
        live_ids = self.archive_state["live_ids"]
        for key in sorted(captures):
            article_id = f"{self.portal.id}:{key}"
            if article_id in live_ids:
                self.count("archive/found_live")
                continue
            if article_id in self.archive_skip_ids:
                self.count("discovery/already_seen")
                continue
            self.count("discovery/articles")
            ordered = order_captures((Capture(*c) for c in captures[key]), self.capture)
            yield self.capture_request(key, ordered[:CAPTURES_TRIED])

    def capture_request(self, key: str, captures: list[Capture]) -> scrapy.Request:
        first, fallbacks = captures[0], captures[1:]
        return scrapy.Request(
            replay_url(self.archive_base, first),
            callback=self.parse_capture,
            errback=self.capture_failed,
            cb_kwargs={"key": key, "fallbacks": fallbacks},
            meta={"dvk_kind": "article", "dvk_key": key, **self.archive_meta()},
            priority=10,
        )

    def parse_capture(self, response: Response, key: str, fallbacks: list[Capture]) -> Iterator[Any]:
        self.count("fetch/articles")
        capture = capture_of(response.url)
        url = self.portal.canonicalize(original_url(capture.original)) if capture else response.url
        # The archive may redirect a capture to another site's: never an article of this portal.
        foreign = not self.portal.owns_host(urlsplit(url).hostname or "")
        if capture is None or foreign or self.portal.article_key(url) is None:
            yield from self.next_capture(key, fallbacks, "not_article_url", response.url)
            return
        if not isinstance(response, TextResponse):
            yield from self.next_capture(key, fallbacks, "not_html", response.url)
            return
        try:
            article = self.extract_capture(response, url, capture)
        except ExtractionError as error:
            yield from self.next_capture(key, fallbacks, error.reason, response.url)
            return
        except Exception:  # a parser bug on one page must not hide the rest of the crawl
            self.logger.exception("parser failed on %s", response.url)
            self.count_drop("parser_error", response.url)
            return
        if not article.text.strip():
            yield from self.next_capture(key, fallbacks, "empty", response.url)
            return
        published = (
            PublicationTime(datetime.fromisoformat(article.published_at), "second") if article.published_at else None
        )
        if not self.in_window(published):
            self.count_drop("outside_window", url)
            return
        yield article

    def extract_capture(self, response: TextResponse, url: str, capture: Capture) -> Article:
        # The bytes as archived: extract_article decodes them as it does a live page.
        article = extract_article(
            response.body,
            url,
            self.portal.id,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source="archive",
            keywords=self.keywords,
            content_type=(response.headers.get("Content-Type") or b"").decode("latin-1") or None,
        )
        article.archive_url = playback_url(self.archive_base, capture)
        article.archived_at = capture.archived_at
        return article

    def capture_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        key, fallbacks = request.cb_kwargs["key"], request.cb_kwargs["fallbacks"]
        yield from self.next_capture(key, fallbacks, failure_reason(failure), request.url)

    def next_capture(self, key: str, fallbacks: list[Capture], reason: str, url: str) -> Iterator[scrapy.Request]:
        """Try the next capture; after the last, drop the article (``no_usable_capture`` when for good)."""
        self.count(f"archive/unusable/{reason}")
        if fallbacks:
            self.count("archive/capture_fallbacks")
            yield self.capture_request(key, fallbacks)
            return
        self.count_drop(reason if is_transient(reason) else "no_usable_capture", url, key)
