"""Archive discovery, which every portal spider holds as ``spider.archive``: ``-a source=archive|both``, ``capture=``.

``archive``: the captures of the portal's sites are listed through the CDX API (one
paged query per site or prefix: :meth:`ArchiveDiscovery.targets`); those the
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.python.failure import Failure

from dvk_crawl.archive.capture import Capture, capture_of, order_captures, original_url, playback_url, replay_url
from dvk_crawl.archive.cdx import CdxError, CdxQuery, cdx_target, parse_cdx_page
from dvk_crawl.config import setting
from dvk_crawl.failures import failure_reason
from dvk_crawl.identity import Identity
from dvk_crawl.outcomes import GONE_REASONS, Dropped, is_transient
from dvk_crawl.record import Article
from dvk_crawl.store import crawler_store

if TYPE_CHECKING:
    from dvk_crawl.spiders.base import PortalSpider

SOURCES = ("live", "archive", "both")
CAPTURE_CHOICES = ("newest", "oldest")
ARCHIVE_SLOT = "dvk-archive"
CAPTURES_TRIED = 5
"""Captures tried per article before it counts as ``no_usable_capture``."""


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


class ArchiveDiscovery:
    """Archive discovery of one portal spider, which holds it as ``spider.archive``.

    The spider keeps the Scrapy callbacks (``parse_cdx``, ``parse_capture``,
    ``capture_failed``, so that ``JOBDIR`` can store the requests) and hands them here;
    a capture's page goes through the spider's one article tail, as a live page does.
    """

    def __init__(self, spider: PortalSpider, crawler: Crawler) -> None:
        """Read the archive settings; for an archive crawl, allow the archive's host and watch idleness."""
        self.spider = spider
        self.base = setting(crawler.settings, "DVK_ARCHIVE_BASE_URL").rstrip("/")
        self.page_size = max(1, setting(crawler.settings, "DVK_ARCHIVE_PAGE_SIZE"))
        if not hasattr(spider, "state"):
            spider.state = {}  # Scrapy's SpiderState replaces it with the JOBDIR's on spider_opened
        self.skip_ids: set[str] = set()
        if spider.source == "live":
            return
        spider.allowed_domains = [*getattr(spider, "allowed_domains", []), urlsplit(self.base).hostname or ""]
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        if spider.source == "both":
            crawler.signals.connect(self.live_item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(self.live_item_dropped, signal=signals.item_dropped)
        if not spider.refresh:
            # A page gone from the live site (404, empty portlet) may be in the archive.
            self.skip_ids = spider.seen_ids - crawler_store(crawler).gone_ids(spider.portal.id)

    @property
    def state(self) -> dict[str, Any]:
        return self.spider.state.setdefault("dvk_archive", {"phase": "new", "captures": {}, "live_ids": set()})  # type: ignore[no-any-return]

    def targets(self) -> list[str]:
        """Sites or URL prefixes to list in the archive: the seeds' ``archive`` entries, else the
        hosts of the start points. For a portal with sub-sites: the selected sites' ``archive``
        prefixes on their hosts, else each whole selected site."""
        spider, seeds = self.spider, self.spider.seeds
        if spider.sites:
            site_hosts = {urlsplit(base).hostname for base in spider.sites.values()}
            prefixes = [url for url in seeds.archive if urlsplit(url).hostname in site_hosts]
            return prefixes or list(spider.sites.values())
        if seeds.archive:
            return list(seeds.archive)
        urls = [*seeds.rss, *seeds.sitemaps, *seeds.listings, *seeds.evidence_listings, *filter(None, [seeds.search])]
        hosts = dict.fromkeys(f"{p.scheme}://{p.netloc}/" for p in map(urlsplit, urls))
        return list(hosts) or [spider.portal.home]

    # -- phases -------------------------------------------------------------------

    def start_points(self) -> Iterator[scrapy.Request]:
        """The first CDX page of every target (none when a resumed job is past them)."""
        state = self.state
        if state["phase"] != "new":
            return
        state["phase"] = "cdx"
        for target in self.targets():
            yield self.cdx_request(target)

    def idle(self) -> None:
        """Next phase when the crawl runs dry: live done → list captures → fetch the chosen ones."""
        state = self.state
        if state["phase"] == "new" and self.spider.source == "both":
            requests = list(self.start_points())
        elif state["phase"] == "cdx":
            state["phase"] = "captures"
            requests = list(self.capture_requests(state["captures"]))
            state["captures"] = {}
        else:
            return
        assert self.spider.crawler.engine is not None
        for request in requests:
            self.spider.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def live_item_scraped(self, item: Any) -> None:
        self.state["live_ids"].add(ItemAdapter(item)["id"])

    def live_item_dropped(self, item: Any, exception: BaseException) -> None:
        if not (isinstance(exception, Dropped) and exception.reason in GONE_REASONS):
            self.state["live_ids"].add(ItemAdapter(item)["id"])

    # -- CDX listing --------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        return {"download_slot": ARCHIVE_SLOT, "autothrottle_dont_adjust_delay": True, "dvk_archive": True}

    def cdx_request(self, target: str, resume_key: str | None = None) -> scrapy.Request:
        spider = self.spider
        query = CdxQuery(self.base, cdx_target(target), spider.since, spider.until, self.page_size)
        url = query.url(resume_key)
        request = spider.discovery_request(url, spider.parse_cdx, target=target, resume_key=resume_key)
        request.meta.update(self.meta())
        return request

    def parse_cdx(self, response: Response, target: str, resume_key: str | None) -> Iterator[scrapy.Request]:
        try:
            page = parse_cdx_page(response.body)
        except CdxError as error:
            self.spider.logger.warning("bad CDX answer %s: %s", response.url, error)
            self.spider.count_drop("bad_cdx_answer", response.url)
            return
        self.spider.count("archive/cdx_pages")
        for row in page.rows:
            self.add_capture(row)
        # The same key again would list the same page for ever.
        if page.resume_key and page.resume_key != resume_key:
            yield self.cdx_request(target, page.resume_key)

    def add_capture(self, row: dict[str, str]) -> None:
        """Keep a listed capture under its article key; anything else is counted and left."""
        spider, portal = self.spider, self.spider.portal
        spider.count("archive/captures_listed")
        if "timestamp" not in row or "original" not in row:
            spider.count("archive/captures_malformed")
            return
        url = original_url(row["original"])
        if not portal.owns_host(urlsplit(url).hostname or ""):
            spider.count("discovery/foreign_links")
            return
        key = portal.article_key(portal.canonicalize(url))
        if key is None:
            spider.count("discovery/not_article_links")
            return
        spider.count("discovery/article_links")
        self.state["captures"].setdefault(key, []).append((row["timestamp"], row["original"]))

    # -- captures -----------------------------------------------------------------

    def capture_requests(self, captures: dict[str, list[tuple[str, str]]]) -> Iterator[scrapy.Request]:
        """One request per article key, for its preferred capture; others wait as fallbacks."""
        live_ids = self.state["live_ids"]
        for key in sorted(captures):
            article_id = f"{self.spider.portal.id}:{key}"
            if article_id in live_ids:
                self.spider.count("archive/found_live")
                continue
            if article_id in self.skip_ids:
                self.spider.count("discovery/already_seen")
                continue
            self.spider.count("discovery/articles")
            ordered = order_captures((Capture(*c) for c in captures[key]), self.spider.capture)
            yield self.capture_request(key, ordered[:CAPTURES_TRIED])

    def capture_request(self, key: str, captures: list[Capture]) -> scrapy.Request:
        first, fallbacks = captures[0], captures[1:]
        return scrapy.Request(
            replay_url(self.base, first),
            callback=self.spider.parse_capture,
            errback=self.spider.capture_failed,
            cb_kwargs={"key": key, "fallbacks": fallbacks},
            meta={"dvk_kind": "article", "dvk_key": key, **self.meta()},
            priority=10,
        )

    def parse_capture(self, response: Response, key: str, fallbacks: list[Capture]) -> Iterator[Any]:
        spider, portal = self.spider, self.spider.portal
        capture = capture_of(response.url)
        url = portal.canonicalize(original_url(capture.original)) if capture else response.url
        # The archive may redirect a capture to another site's: never an article of this portal.
        foreign = not portal.owns_host(urlsplit(url).hostname or "")
        found = portal.article_key(url) if capture is not None and not foreign else None
        if capture is None or found is None:
            spider.count("fetch/articles")
            yield from self.next_capture(key, fallbacks, "not_article_url", response.url)
            return

        def unusable(reason: str) -> Iterator[scrapy.Request]:
            return self.next_capture(key, fallbacks, reason, response.url)

        def check(article: Article) -> str | None:
            article.archive_url = playback_url(self.base, capture)
            article.archived_at = capture.archived_at
            return None if article.text.strip() else "empty"

        yield from spider.article_tail(
            response, Identity(portal.id, url, found), source="archive", unusable=unusable, check=check
        )

    def capture_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        key, fallbacks = request.cb_kwargs["key"], request.cb_kwargs["fallbacks"]
        yield from self.next_capture(key, fallbacks, failure_reason(failure), request.url)

    def next_capture(self, key: str, fallbacks: list[Capture], reason: str, url: str) -> Iterator[scrapy.Request]:
        """Try the next capture; after the last, drop the article (``no_usable_capture`` when for good)."""
        self.spider.count(f"archive/unusable/{reason}")
        if fallbacks:
            self.spider.count("archive/capture_fallbacks")
            yield self.capture_request(key, fallbacks)
            return
        self.spider.count_drop(reason if is_transient(reason) else "no_usable_capture", url, key)
