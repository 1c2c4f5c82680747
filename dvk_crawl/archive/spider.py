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

``archives`` (``-a archives=wayback,commoncrawl``, the default) chooses the archives, in
order of preference: each is listed (the Wayback Machine's CDX API, Common Crawl's index
of each chosen crawl: :mod:`~dvk_crawl.archive.commoncrawl`); an article's captures are
tried archive by archive, so a page the Wayback Machine lacks (or whose captures are all
unusable, or whose archive stopped this run) can still come from Common Crawl, and an
article held by both is fetched, and stored, once. ``dvk/archive/articles/<archive>``
counts the articles each archive gave.

Where the crawl stands (phase, captures found, ids live yielded) lives in
``spider.state``, which Scrapy keeps in ``JOBDIR``, so a paused archive crawl resumes.
Each archive endpoint has its own budget, a download slot that AutoThrottle leaves alone
(:mod:`~dvk_crawl.archive.budget`). Reads ``DVK_ARCHIVE_BASE_URL``,
``DVK_ARCHIVE_PAGE_SIZE``, ``DVK_COMMONCRAWL_INDEX_URL``, ``DVK_COMMONCRAWL_DATA_URL``,
``DVK_COMMONCRAWL_MAX_CRAWLS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from dvk_crawl.archive.budget import (
    COMMONCRAWL,
    COMMONCRAWL_DATA,
    COMMONCRAWL_INDEX,
    WAYBACK,
    WAYBACK_CAPTURES,
    WAYBACK_CDX,
    add_budget_slots,
    budget_meta,
    parse_archives,
)
from dvk_crawl.archive.capture import (
    Capture,
    capture_of,
    captures_to_try,
    commoncrawl_record_url,
    original_url,
    playback_url,
    replay_url,
)
from dvk_crawl.archive.cdx import CdxError, CdxQuery, cdx_target, parse_cdx_page
from dvk_crawl.archive.commoncrawl import (
    IndexQuery,
    byte_range,
    choose_crawls,
    parse_collinfo,
    parse_index_page,
    parse_num_pages,
    read_warc_response,
)
from dvk_crawl.config import setting
from dvk_crawl.downloadermiddlewares.archive_backoff import ArchiveStopped
from dvk_crawl.failures import failure_reason
from dvk_crawl.identity import Identity
from dvk_crawl.outcomes import GONE_REASONS, Dropped, is_transient
from dvk_crawl.record import Article
from dvk_crawl.sites import site_urls, without_templates
from dvk_crawl.store import crawler_store
from dvk_crawl.text import unrendered_placeholders

if TYPE_CHECKING:
    from dvk_crawl.spiders.base import PortalSpider

SOURCES = ("live", "archive", "both")
CAPTURE_CHOICES = ("newest", "oldest")
CAPTURES_TRIED = 5
"""Captures tried per article and archive before it counts as ``no_usable_capture``."""


def add_archive_slot(settings: BaseSettings) -> None:
    """Declare the archives' download slots, one per budget (:func:`~dvk_crawl.archive.budget.add_budget_slots`)."""
    add_budget_slots(settings)


def capture_problem(article: Article) -> str | None:
    """Why a capture cannot stand for its article, so that the next capture is tried: an empty
    body (a deleted article's empty portlet), or a page the archive caught served with its
    template unfilled ("{title}", seen in stored copies of baoquangtri.vn); None when usable."""
    if not article.text.strip():
        return "empty"
    if unrendered_placeholders(article.title or "", article.lead or "", article.text):
        return "unrendered_template"
    return None


class ArchiveDiscovery:
    """Archive discovery of one portal spider, which holds it as ``spider.archive``.

    The spider keeps the Scrapy callbacks (``parse_cdx``, ``parse_capture``,
    ``capture_failed``, so that ``JOBDIR`` can store the requests) and hands them here;
    a capture's page goes through the spider's one article tail, as a live page does.
    """

    def __init__(self, spider: PortalSpider, crawler: Crawler) -> None:
        """Read the archive settings; for an archive crawl, allow the archive's host and watch idleness."""
        self.spider = spider
        settings = crawler.settings
        self.base = setting(settings, "DVK_ARCHIVE_BASE_URL").rstrip("/")
        self.page_size = max(1, setting(settings, "DVK_ARCHIVE_PAGE_SIZE"))
        self.cc_index = setting(settings, "DVK_COMMONCRAWL_INDEX_URL").rstrip("/")
        self.cc_data = setting(settings, "DVK_COMMONCRAWL_DATA_URL").rstrip("/")
        self.max_crawls = max(1, setting(settings, "DVK_COMMONCRAWL_MAX_CRAWLS"))
        self.archives = parse_archives(spider.arguments.get("archives"))  # checked with the other arguments
        if not hasattr(spider, "state"):
            spider.state = {}  # Scrapy's SpiderState replaces it with the JOBDIR's on spider_opened
        self.skip_ids: set[str] = set()
        if spider.source == "live":
            return
        hosts = [urlsplit(base).hostname or "" for base in self.bases]
        spider.allowed_domains = [*getattr(spider, "allowed_domains", []), *hosts]
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        if spider.source == "both":
            crawler.signals.connect(self.live_item_dropped, signal=signals.item_dropped)
        if not spider.refresh:
            # A page gone from the live site (404, empty portlet) may be in the archive.
            self.skip_ids = spider.seen_ids - crawler_store(crawler).gone_ids(spider.portal.id, GONE_REASONS)

    @property
    def bases(self) -> list[str]:
        """The servers the chosen archives are on (the replica-port middleware lets them through)."""
        chosen = {WAYBACK: [self.base], COMMONCRAWL: [self.cc_index, self.cc_data]}
        return [base for archive in self.archives for base in chosen[archive]]

    @property
    def state(self) -> dict[str, Any]:
        return self.spider.state.setdefault("dvk_archive", {"phase": "new", "captures": {}, "live_ids": set()})  # type: ignore[no-any-return]

    def targets(self) -> list[str]:
        """Sites or URL prefixes to list in the archive: the seeds' ``archive`` entries, else the
        hosts of the start points. For a portal with sub-sites: the selected sites' ``archive``
        prefixes (on their hosts, or with ``{site}``), else each whole selected site."""
        spider, seeds = self.spider, self.spider.seeds
        if spider.sites:
            # Per site: the archive prefixes on its host or written with {site} (Quảng Ngãi's
            # https://quangngai.gov.vn/web/{site}/), else the whole site.
            prefixes = [site_urls(seeds.archive, {name: base}) or [base] for name, base in spider.sites.items()]
            return without_covered(list(dict.fromkeys(url for urls in prefixes for url in urls)))
        if without_templates(seeds.archive):
            return list(without_templates(seeds.archive))
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
        stats = self.spider.crawler.stats
        assert stats is not None
        stats.set_value("dvk/archive/archives", ",".join(self.archives))  # the run report names those stopped
        if WAYBACK in self.archives:
            for target in self.targets():
                yield self.cdx_request(target)
        if COMMONCRAWL in self.archives:
            yield self.index_request(f"{self.cc_index}/collinfo.json", "collinfo")

    def idle(self) -> None:
        """Next phase when the crawl runs dry: live done → list captures → fetch the chosen ones."""
        state = self.state
        if state["phase"] == "new" and self.spider.source == "both":
            requests = list(self.start_points())
        elif state["phase"] == "cdx":
            state["phase"] = "captures"
            self.name_empty_guessed_sites()
            requests = list(self.capture_requests(state["captures"]))
            state["captures"] = {}
        else:
            return
        assert self.spider.crawler.engine is not None
        for request in requests:
            self.spider.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def item_scraped(self, item: Any, response: Response | None) -> None:
        """Count what each archive gave; with ``source=both``, remember what live yielded.

        A record without a response is one stored earlier that the store sends to the feed
        again (its copy link moved): not another article the archive gave."""
        if response is None:
            return
        record = ItemAdapter(item)
        if record.get("source") == "archive":
            self.spider.count(f"archive/articles/{record.get('archive') or WAYBACK}")
        elif self.spider.source == "both":
            self.state["live_ids"].add(record["id"])

    def live_item_dropped(self, item: Any, exception: BaseException) -> None:
        if not (isinstance(exception, Dropped) and exception.reason in GONE_REASONS):
            self.state["live_ids"].add(ItemAdapter(item)["id"])

    # -- CDX listing --------------------------------------------------------------

    def cdx_request(self, target: str, resume_key: str | None = None) -> scrapy.Request:
        spider = self.spider
        query = CdxQuery(self.base, cdx_target(target), spider.window.since, spider.window.until, self.page_size)
        url = query.url(resume_key)
        request = spider.discovery_request(url, spider.parse_cdx, target=target, resume_key=resume_key)
        request.meta.update(budget_meta(WAYBACK_CDX))
        return request

    def parse_cdx(self, response: Response, target: str, resume_key: str | None) -> Iterator[scrapy.Request]:
        try:
            page = parse_cdx_page(response.body)
        except CdxError as error:
            self.spider.logger.warning("bad CDX answer %s: %s", response.url, error)
            self.spider.count_drop("bad_cdx_answer", response.url)
            return
        self.spider.count("archive/cdx_pages")
        self.listed(target, len(page.rows))
        for row in page.rows:
            self.add_capture(row)
        # The same key again would list the same page for ever.
        if page.resume_key and page.resume_key != resume_key:
            yield self.cdx_request(target, page.resume_key)

    # -- Common Crawl's index --------------------------------------------------------

    def index_request(self, url: str, step: str, **arguments: Any) -> scrapy.Request:
        """A request to Common Crawl's index server; a crawl without the host answers 404: an empty listing."""
        request = self.spider.discovery_request(url, self.spider.parse_archive, step=step, **arguments)
        request.meta.update(budget_meta(COMMONCRAWL_INDEX), handle_httpstatus_list=[404])
        return request

    def parse_step(self, step: str, response: Response, **arguments: Any) -> Iterator[scrapy.Request]:
        """Common Crawl's listing: ``collinfo`` → per crawl and target ``pages`` → each ``page``."""
        steps: dict[str, Callable[..., Iterator[scrapy.Request]]] = {
            "collinfo": self.parse_collinfo,
            "pages": self.parse_num_pages,
            "page": self.parse_index_page,
        }
        try:
            yield from steps[step](response, **arguments)
        except CdxError as error:
            self.spider.logger.warning("bad Common Crawl index answer %s: %s", response.url, error)
            self.spider.count_drop("bad_cdx_answer", response.url)

    def parse_collinfo(self, response: Response) -> Iterator[scrapy.Request]:
        spider = self.spider
        crawls = choose_crawls(parse_collinfo(response.body), spider.window.since, spider.window.until, self.max_crawls)
        spider.logger.info("Common Crawl: asking %d crawls: %s", len(crawls), ", ".join(c.id for c in crawls) or "-")
        spider.count("archive/commoncrawl_crawls", len(crawls))
        for crawl in crawls:
            for target in self.targets():
                query = IndexQuery(
                    self.cc_index, crawl.id, cdx_target(target), spider.window.since, spider.window.until
                )
                yield self.index_request(query.url(), "pages", crawl=crawl.id, target=target)

    def parse_num_pages(self, response: Response, crawl: str, target: str) -> Iterator[scrapy.Request]:
        if response.status == 404:  # the crawl does not hold the host: an empty listing
            self.listed(target, 0)
            return
        query = IndexQuery(self.cc_index, crawl, cdx_target(target), self.spider.window.since, self.spider.window.until)
        pages = parse_num_pages(response.body)
        self.listed(target, 0)
        for page in range(pages):
            yield self.index_request(query.url(page), "page", crawl=crawl, target=target)

    def parse_index_page(self, response: Response, crawl: str, target: str = "") -> Iterator[scrapy.Request]:
        if response.status == 404:
            return
        self.spider.count("archive/cdx_pages")
        rows = parse_index_page(response.body)
        if target:  # a request queued by an older version (JOBDIR) names none
            self.listed(target, len(rows))
        for row in rows:
            if row.get("status", "200") != "200" or "html" not in row.get("mime", "text/html"):
                self.spider.count("archive/captures_listed")
                self.spider.count("archive/captures_not_html_200")  # a redirect, an error, an image: no page
                continue
            try:
                warc = (row["filename"], int(row["offset"]), int(row["length"]))
            except (KeyError, ValueError):
                self.spider.count("archive/captures_listed")
                self.spider.count("archive/captures_malformed")
                continue
            self.add_capture({"timestamp": row.get("timestamp", ""), "original": row.get("url", "")}, crawl, warc)
        yield from ()

    # -- listed captures ----------------------------------------------------------

    def listed(self, target: str, rows: int) -> None:
        """An archive answered for ``target`` with ``rows`` captures (of any kind)."""
        counts = self.state.setdefault("listed", {})
        counts[target] = counts.get(target, 0) + rows

    def name_empty_guessed_sites(self) -> None:
        """A site ``-a sites=`` named that the portal file lacks, and of which every archive
        answered with no capture at all, is named: a misspelt name is as likely as a site never
        archived. Live, such a site fails for want of a host; here it is counted the same way
        (``discovery/sites/<name>/failed/no_captures``), so the run names it and exits 1. A listed
        site without captures is no failure: the file says it exists."""
        spider, counts = self.spider, self.state.get("listed", {})
        targets = set(self.targets())
        for name, base in spider.sites.items():
            if name in spider.seeds.site_table.sites:
                continue
            prefixes = site_urls(spider.seeds.archive, {name: base}) or [base]
            # Unanswered (a failed listing: the run is incomplete anyway) or listed under another
            # site's prefix: nothing shows the archive lacks it.
            if not all(prefix in targets and prefix in counts for prefix in prefixes):
                continue
            if any(counts[prefix] for prefix in prefixes):
                continue
            spider.logger.warning(
                "site %s (%s, not in seeds/portals/%s.toml): the archive holds no capture of it;"
                " is the name right?", name, base, spider.portal.id,
            )  # fmt: skip
            spider.count(f"discovery/sites/{name}/start_points")
            spider.count(f"discovery/sites/{name}/failed/no_captures")

    def add_capture(self, row: dict[str, str], crawl: str = "", warc: tuple[str, int, int] | None = None) -> None:
        """Keep a listed capture under its article key; anything else is counted and left."""
        spider, portal = self.spider, self.spider.portal
        spider.count("archive/captures_listed")
        if not row.get("timestamp") or not row.get("original"):
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
        archive = COMMONCRAWL if warc is not None else WAYBACK
        capture = Capture(row["timestamp"], row["original"], archive, crawl, warc)
        self.state["captures"].setdefault(key, []).append(capture)

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
            # A job paused before several archives were listed kept (timestamp, original) pairs.
            listed = (c if isinstance(c, Capture) else Capture(*c) for c in captures[key])
            yield self.capture_request(key, captures_to_try(listed, self.archives, self.spider.capture, CAPTURES_TRIED))

    def capture_request(self, key: str, captures: list[Capture]) -> scrapy.Request:
        first, fallbacks = captures[0], captures[1:]
        meta = {"dvk_kind": "article", "dvk_key": key, "dvk_capture": first}
        if first.archive == COMMONCRAWL and first.warc is not None:
            filename, offset, length = first.warc
            return scrapy.Request(
                f"{self.cc_data}/{filename.lstrip('/')}",
                headers={"Range": byte_range(offset, length)},
                callback=self.spider.parse_capture,
                errback=self.spider.capture_failed,
                cb_kwargs={"key": key, "fallbacks": fallbacks},
                meta={**meta, **budget_meta(COMMONCRAWL_DATA)},
                priority=10,
                dont_filter=True,  # one WARC file holds many records: the range is not in the fingerprint
            )
        return scrapy.Request(
            replay_url(self.base, first),
            callback=self.spider.parse_capture,
            errback=self.spider.capture_failed,
            cb_kwargs={"key": key, "fallbacks": fallbacks},
            meta={**meta, **budget_meta(WAYBACK_CAPTURES)},
            priority=10,
        )

    def parse_capture(self, response: Response, key: str, fallbacks: list[Capture]) -> Iterator[Any]:
        listed = response.meta.get("dvk_capture")
        if isinstance(listed, Capture) and listed.archive == COMMONCRAWL:
            yield from self.parse_commoncrawl_record(response, key, fallbacks, listed)
            return
        capture = capture_of(response.url)
        yield from self.parse_page(
            response, key, fallbacks, capture, playback_url(self.base, capture) if capture else ""
        )

    def parse_commoncrawl_record(
        self, response: Response, key: str, fallbacks: list[Capture], capture: Capture
    ) -> Iterator[Any]:
        """A byte range of a WARC file: the HTTP answer as Common Crawl crawled it, parsed as a page."""
        try:
            record = read_warc_response(response.body)
        except CdxError as error:
            self.spider.logger.warning("bad Common Crawl record %s: %s", response.url, error)
            yield from self.next_capture(key, fallbacks, "bad_warc_record", response.url)
            return
        if record.status != 200:
            yield from self.next_capture(key, fallbacks, f"http_{record.status}", response.url)
            return
        page = HtmlResponse(
            original_url(capture.original),
            status=200,
            headers=record.headers,
            body=record.body,
            request=response.request,
        )
        yield from self.parse_page(page, key, fallbacks, capture, commoncrawl_record_url(self.cc_index, capture))

    def parse_page(
        self, response: Response, key: str, fallbacks: list[Capture], capture: Capture | None, archive_url: str
    ) -> Iterator[Any]:
        """A capture's page through the spider's article tail; an unusable one gives way to the next capture."""
        spider, portal = self.spider, self.spider.portal
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
            article.archive = capture.archive
            article.archive_url = archive_url
            article.archived_at = capture.archived_at
            return capture_problem(article)

        yield from spider.article_tail(
            response, Identity(portal.id, url, found), source="archive", unusable=unusable, check=check
        )

    def capture_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        key, fallbacks = request.cb_kwargs["key"], request.cb_kwargs["fallbacks"]
        if isinstance(failure.value, ArchiveStopped):  # the next archive's captures, if any
            fallbacks = [c for c in fallbacks if c.archive != failure.value.archive]
        yield from self.next_capture(key, fallbacks, failure_reason(failure), request.url)

    def next_capture(self, key: str, fallbacks: list[Capture], reason: str, url: str) -> Iterator[scrapy.Request]:
        """Try the next capture; after the last, drop the article (``no_usable_capture`` when for good)."""
        self.spider.count(f"archive/unusable/{reason}")
        if fallbacks:
            self.spider.count("archive/capture_fallbacks")
            yield self.capture_request(key, fallbacks)
            return
        self.spider.count_drop(reason if is_transient(reason) else "no_usable_capture", url, key)


def without_covered(prefixes: list[str]) -> list[str]:
    """The prefixes no other one covers: with the province's whole host
    (``https://quangngai.gov.vn/``), its ``/web/minhlong/`` would list the same captures again."""
    return [
        url
        for url in prefixes
        if not any(url != other and url.startswith(other) for other in prefixes if other.endswith("/"))
    ]
