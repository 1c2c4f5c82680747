"""The base of every portal spider: discovery only, parsing is ``extract_article``.

A spider finds article URLs through the portal's RSS feeds, sitemaps, listing
pages and site search (start points from ``seeds/portals/<portal>.toml``), keeps the ones
the portal's URL rule accepts, and hands each fetched page to ``extract_article``.
One spider class per declared portal is generated (:mod:`dvk_crawl.spiders`).

Arguments (``-a name=value``): ``base_url`` (crawl a replica: the portal's hosts
are mapped onto it, URL rules unchanged), ``since`` / ``until`` (``YYYY-MM-DD``,
the publication window, inclusive), ``source`` (``live``, ``archive`` or ``both``)
and ``capture`` (``newest`` or ``oldest``): see :mod:`dvk_crawl.archive.spider`;
``discovery`` (``targeted``, the default: fetch only links with evidence that they are about
the campaign, :mod:`dvk_crawl.evidence`; ``exhaustive``: every article link);
``sites`` (``-a sites=trieuphong,www``, ``all``, or a name the file lacks) for a portal
whose file declares sub-sites (:mod:`dvk_crawl.sites`). Per selected site the start
points are the file's RSS feeds, sitemaps and (evidence) listing pages on that site's host and
those written with ``{site}``; a site without a sitemap start point gets
``<base>/sitemap.xml`` (where Liferay and most CMSs serve it). With ``-a source=archive``
the web archive is listed per selected site. A site whose every start point failed is
named in the run's outcome.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse, XmlResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from dvk_crawl.archive.budget import parse_archives
from dvk_crawl.archive.capture import Capture
from dvk_crawl.archive.spider import CAPTURE_CHOICES, SOURCES, ArchiveDiscovery, add_archive_slot
from dvk_crawl.config import seeds_dir, setting
from dvk_crawl.dates import (
    PublicationTime,
    parse_cli_date,
    parse_rfc822,
)
from dvk_crawl.discovery_pages import SitemapTooLargeError, TextSitemap, looks_like_feed, parse_feed, sitemap_body
from dvk_crawl.evidence import (
    CAMPAIGN_LISTING,
    DISCOVERY_MODES,
    EXHAUSTIVE,
    NO_EVIDENCE,
    RECHECK,
    SEARCH,
    TARGETED,
    EvidenceRules,
    SkippedLinks,
    discovery_fingerprint,
    feed_text,
    run_mode,
    skipped_urls,
)
from dvk_crawl.extract import decode_page, extract_decoded, is_html
from dvk_crawl.failures import failure_reason
from dvk_crawl.identity import Identity, identify
from dvk_crawl.keywords import Keywords, crawl_keywords
from dvk_crawl.outcomes import record_drop
from dvk_crawl.portals.portal import Portal
from dvk_crawl.portals.registry import get_portal, load_portal, use_seeds_dir
from dvk_crawl.record import Article
from dvk_crawl.seeds import PortalSeeds
from dvk_crawl.sites import (
    SiteSelection,
    SiteSelectionError,
    select_sites,
    site_search,
    site_urls,
    without_templates,
)
from dvk_crawl.spiders.addresses import PortalAddresses
from dvk_crawl.spiders.listings import ListingReader, machine_date
from dvk_crawl.spiders.window import CrawlWindow, parse_lastmod
from dvk_crawl.store import ArticleStore, crawler_store
from dvk_crawl.warc.middleware import page_pointer

# Scrapyd passes _job to every spider; it is not a user's argument.
_SCRAPYD_ARGUMENTS = {"_job"}


class SpiderArgumentError(ValueError):
    """A bad ``-a`` argument; the message names it."""


def parse_spider_arguments(
    allowed: Iterable[str], arguments: dict[str, Any], default_source: str = "live"
) -> dict[str, Any]:
    """Check names and values of spider arguments; raise one error naming the culprit."""
    allowed = set(allowed)
    for name in sorted(arguments):
        if name not in allowed | _SCRAPYD_ARGUMENTS:
            raise SpiderArgumentError(
                f"unknown spider argument {name!r}; this spider takes: {', '.join(sorted(allowed))}"
            )
    parsed = dict(arguments)
    for name in ("since", "until"):
        if arguments.get(name):
            try:
                parsed[name] = parse_cli_date(str(arguments[name]), name)
            except ValueError as error:
                raise SpiderArgumentError(str(error)) from None
    if parsed.get("since") and parsed.get("until") and parsed["since"] > parsed["until"]:
        raise SpiderArgumentError(f"since={arguments['since']} is after until={arguments['until']}")
    if "refresh" in arguments:
        flag = str(arguments["refresh"]).strip().lower()
        if flag not in {"0", "1", "true", "false", "yes", "no"}:
            raise SpiderArgumentError(f"refresh={arguments['refresh']!r} must be 1 or 0")
        parsed["refresh"] = flag in {"1", "true", "yes"}
    for name, choices in (("source", SOURCES), ("capture", CAPTURE_CHOICES), ("discovery", DISCOVERY_MODES)):
        if name in arguments and str(arguments[name]) not in choices:
            raise SpiderArgumentError(f"{name}={arguments[name]!r} must be one of: {', '.join(choices)}")
    for name in ("capture", "archives"):
        if name in arguments and str(arguments.get("source", default_source)) == "live":
            raise SpiderArgumentError(f"{name}={arguments[name]} needs source=archive or source=both")
    if "archives" in arguments:
        try:
            parse_archives(str(arguments["archives"]))
        except ValueError as error:
            raise SpiderArgumentError(str(error)) from None
    base_url = arguments.get("base_url")
    if base_url and not re.match(r"^https?://[^/\s]+/?$", str(base_url)):
        raise SpiderArgumentError(f"base_url={base_url!r} must be a scheme and host, e.g. http://127.0.0.1:8000")
    return parsed


class PortalSpider(scrapy.Spider):
    """Discovery for one portal of the registry (``portal_id``), live or from the web archive
    (``self.archive``, an :class:`~dvk_crawl.archive.spider.ArchiveDiscovery`)."""

    portal_id: ClassVar[str]
    ARGUMENTS: ClassVar[tuple[str, ...]] = (
        "base_url",
        "since",
        "until",
        "refresh",
        "source",
        "capture",
        "archives",
        "discovery",
    )
    """What every portal's spider takes; one whose file has sub-sites takes ``sites`` too."""
    # A sitemap entry modified this long before the last complete run started was seen by it.
    LASTMOD_MARGIN = timedelta(hours=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        known = {k: kwargs.pop(k) for k in list(kwargs) if k in {"name", *_SCRAPYD_ARGUMENTS}}
        portal = get_portal(self.portal_id)
        arguments = checked_arguments(portal, kwargs)
        super().__init__(*args, **known)
        self.arguments: dict[str, str] = {k: str(v) for k, v in kwargs.items()}
        self.portal: Portal = portal
        self.base_url: str | None = (arguments.get("base_url") or "").rstrip("/") or None
        self.window = CrawlWindow.of_days(arguments.get("since"), arguments.get("until"))
        self.refresh: bool = arguments.get("refresh", False)
        self.source = str(arguments.get("source", default_source(portal)))
        self.capture = str(arguments.get("capture", "newest"))
        self.discovery_mode = str(arguments.get("discovery", TARGETED))
        self.scheduled_keys: set[str] = set()
        self.seen_ids: set[str] = set()
        # Ids stored or visited before the last complete run ended: "nothing new" paging trusts only these.
        self.known_to_complete_run: set[str] = set()
        self.unchanged_before: datetime | None = None
        self.to_recheck: dict[str, str] = {}
        """Ids an earlier run dropped once, and the URL it visited (``load_crawl_state``)."""
        host = urlsplit(self.base_url).hostname if self.base_url else None
        self.allowed_domains = [*self.portal.domains, *([host] if host else [])]
        self.addresses = PortalAddresses(portal, self.base_url)
        self.listings = ListingReader(portal, self.addresses, self.count)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        # The portals of the crawl's seeds folder, a user's DVK_SEEDS_DIR included; the
        # spider's own file is loaded strictly, so an error in it names file and line.
        folder = seeds_dir(crawler.settings)
        if cls.portal_id not in use_seeds_dir(folder):
            load_portal(folder, cls.portal_id)
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.seeds = spider.portal.seeds
        spider.sites = spider.selected_sites(spider.arguments.get("sites"))
        spider.keywords = crawl_keywords(crawler.settings)
        spider.evidence_rules = EvidenceRules.from_keywords(spider.keywords)
        spider.discovery_fingerprint = discovery_fingerprint(spider.start_point_seeds(), spider.keywords)
        spider.skipped = SkippedLinks(
            setting(crawler.settings, "DVK_SKIPPED_LINKS_LISTED"),
            lambda change: spider.count("discovery/skipped_no_evidence", change),
        )
        spider.max_listing_pages = setting(crawler.settings, "DVK_MAX_LISTING_PAGES")
        spider.sitemap_max_depth = setting(crawler.settings, "DVK_SITEMAP_MAX_DEPTH")
        spider.sitemap_max_entries = setting(crawler.settings, "DVK_SITEMAP_MAX_ENTRIES")
        if not spider.refresh:
            spider.load_crawl_state(crawler_store(crawler))
        spider.archive = ArchiveDiscovery(spider, crawler)
        spider.archive_base = spider.archive.base  # what the replica-port middleware lets through
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.response_received, signal=signals.response_received)
        return spider

    def start_point_seeds(self) -> dict[str, Any]:
        """Where discovery starts, as the portal file and ``-a sites`` say (live and archive)."""
        seeds = self.seeds
        return {
            "rss": seeds.rss,
            "sitemaps": seeds.sitemaps,
            "listings": seeds.listings,
            "evidence_listings": seeds.evidence_listings,
            "search": seeds.search,
            "archive": seeds.archive,
            "sites": self.sites,
        }

    def selected_sites(self, requested: str | None) -> dict[str, str]:
        """The sites of ``-a sites=``; a name the file lacks is tried under its ``site_url``, and the log says so."""
        selection = checked_sites(self.portal, requested)
        for name in selection.guessed:
            self.logger.warning(
                "site %r is not in seeds/portals/%s.toml; trying %s", name, self.portal_id, selection.sites[name]
            )
        return selection.sites

    def load_crawl_state(self, store: ArticleStore) -> None:
        """What earlier runs did: ids not to fetch again, and what the last complete run knew.

        Only a complete run (every discovery page answered, finished, recorded by
        ``RunReport``) over the same discovery counts: an offline hour, a Ctrl-C or a
        crash must not make this run skip sitemaps or stop paging early. A run killed
        outright records nothing, so what it stored is newer than the last complete run.
        """
        self.seen_ids = store.seen_ids(self.portal_id)
        self.to_recheck = store.unconfirmed_visits(self.portal_id)
        run = next((r for r in store.last_runs(self.name) if self.covers_this_crawl(r)), None)
        if run is not None:
            self.unchanged_before = datetime.fromisoformat(run["started_at"]) - self.LASTMOD_MARGIN
            self.known_to_complete_run = store.seen_ids(self.portal_id, before=run["finished_at"])
            # The links that run (and the runs before it) left out for want of evidence: a listing
            # page of them and of known articles holds nothing new. Handed on to the next run too,
            # which may stop paging before the pages that hold them.
            left_out = self.identities_of(skipped_urls(run))
            self.known_to_complete_run |= {identity.id for identity in left_out}
            self.skipped.carry({i.key: i.url for i in left_out if i.id not in self.seen_ids})

    def covers_this_crawl(self, run: dict[str, Any]) -> bool:
        """Whether an earlier run was complete and walked the discovery this crawl walks: the same
        start points and keywords (:func:`~dvk_crawl.evidence.discovery_fingerprint`), window,
        source, replica and sites, in a mode that fetched at least what this one would."""
        earlier = run.get("arguments", {})
        # A targeted run left links out: an exhaustive crawl must not skip its unchanged sitemaps.
        return (
            run.get("complete") is True
            and run.get("discovery", {}).get("fingerprint") == self.discovery_fingerprint
            and run_mode(run) in (EXHAUSTIVE, self.discovery_mode)
            and not {"since", "until"} & set(earlier)
            and earlier.get("source", "live") != "archive"
            and all(earlier.get(name) == self.arguments.get(name) for name in ("base_url", "sites"))
        )

    archive: ArchiveDiscovery
    archive_base: str
    state: dict[str, Any]
    seeds: PortalSeeds
    sites: dict[str, str]
    """The selected sub-sites (``-a sites``), name → base URL; empty for a portal without sub-sites."""
    keywords: Keywords
    evidence_rules: EvidenceRules
    discovery_fingerprint: str
    skipped: SkippedLinks
    """The article links targeted discovery left out (listed in the run file)."""
    max_listing_pages: int
    sitemap_max_depth: int
    sitemap_max_entries: int

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        add_archive_slot(settings)

    @classmethod
    def check_seeds(cls, settings: BaseSettings) -> None:
        """Load this spider's portal file and keywords; raise ``SeedFileError`` naming file and line."""
        load_portal(seeds_dir(settings), cls.portal_id)
        crawl_keywords(settings)

    @classmethod
    def check_arguments(cls, arguments: dict[str, Any], settings: BaseSettings) -> None:
        """Check ``-a`` arguments before a crawl starts; raise ``SpiderArgumentError`` naming the bad one.

        ``sites`` is checked against the portal file's sub-sites (:mod:`dvk_crawl.sites`).
        """
        portal = load_portal(seeds_dir(settings), cls.portal_id)
        checked_arguments(portal, arguments)
        checked_sites(portal, arguments.get("sites"))

    # -- start points -------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # source=both starts live; the archive follows when live is idle (ArchiveDiscovery.idle).
        for request in self.archive.start_points() if self.source == "archive" else self.start_points():
            # Counted apart: whether the start points answered tells a complete run (RunReport).
            request.meta["dvk_start_point"] = True
            self.count("discovery/start_points")
            yield request
        if self.source != "archive":
            for request in self.recheck_requests():
                yield request

    def recheck_requests(self) -> Iterator[scrapy.Request]:
        """The pages earlier runs dropped once (a 404, an empty or off-topic page: not final
        until a later run finds the same), fetched again to confirm. Discovery may not reach them
        again: an unchanged sitemap is skipped, paging stops at a page a complete run knew. With
        ``-a sites``, only those of the selected sites."""
        hosts = {urlsplit(base).hostname for base in self.sites.values()}
        for article_id, url in self.to_recheck.items():
            identity = identify(self.portal, self.addresses.to_live(url))
            # A visit written with a replica's URL (before visits kept the live one) may read as
            # another sub-site's article: never recheck what would not confirm this visit.
            if identity is None or identity.id != article_id:
                continue
            if hosts and urlsplit(identity.url).hostname not in hosts:
                continue
            request = self.identity_request(identity, RECHECK, source="recheck")
            if request is not None:
                yield request

    def start_points(self) -> Iterator[scrapy.Request]:
        if self.sites:
            yield from self.site_start_points()
            return
        for url in without_templates(self.seeds.rss):
            yield self.discovery_request(url, self.parse_rss)
        for url in without_templates(self.seeds.sitemaps):
            yield self.discovery_request(url, self.parse_sitemap)
        for url in without_templates(self.seeds.listings):
            yield self.discovery_request(url, self.parse_listing, page=1)
        for url in self.seeds.evidence_listings:
            yield self.discovery_request(url, self.parse_listing, page=1, evidence=CAMPAIGN_LISTING)
        for url, callback, cb_kwargs in self.search_start_points(self.seeds.search):
            yield self.discovery_request(url, callback, **cb_kwargs)

    def search_start_points(self, search: str | None) -> list[tuple[str, Callable[..., Any], dict[str, Any]]]:
        """The site search (``…?q={keyword}``), once per keyword, each followed to its last page."""
        if not search:
            return []
        return [
            (search.format(keyword=keyword), self.parse_listing, {"page": 1, "evidence": SEARCH})
            for keyword in self.keywords.phrases
        ]

    def site_start_points(self) -> Iterator[scrapy.Request]:
        """Per selected sub-site: its start points (on its host, or written with ``{site}``),
        ``<base>/sitemap.xml`` when it has no sitemap; each carries the site's name.

        A start point fetched at the URL of an earlier one is left out and counted
        (``discovery/start_points_same_url``): on a replica every sub-site's host is the
        replica's, and Scrapy's duplicate filter would drop it as if a resumed JOBDIR had
        fetched it, leaving the run incomplete."""
        requested: set[str] = set()
        for name, base in self.sites.items():
            site = {name: base}
            starts: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
                *((url, self.parse_rss, {}) for url in site_urls(self.seeds.rss, site)),
                *(
                    (url, self.parse_sitemap, {})
                    for url in site_urls(self.seeds.sitemaps, site) or [urljoin(base, "/sitemap.xml")]
                ),
                *((url, self.parse_listing, {"page": 1}) for url in site_urls(self.seeds.listings, site)),
                *(
                    (url, self.parse_listing, {"page": 1, "evidence": CAMPAIGN_LISTING})
                    for url in site_urls(self.seeds.evidence_listings, site)
                ),
                *self.search_start_points(site_search(self.seeds.search, site)),
            ]
            for url, callback, cb_kwargs in starts:
                fetched_at = self.addresses.fetch_url(url)
                if fetched_at in requested:
                    self.count("discovery/start_points_same_url")
                    continue
                requested.add(fetched_at)
                yield self.site_request(name, url, callback, **cb_kwargs)

    def site_request(self, site: str, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        """A start point of one sub-site: counted under the site, so that a site none of whose
        start points answered is named (``discovery/sites/<name>/…``, :func:`discovery_failed`)."""
        self.count(f"discovery/sites/{site}/start_points")
        request = self.discovery_request(url, callback, **cb_kwargs)
        request.meta["dvk_site"] = site
        return request

    def discovery_request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        self.count("discovery/pages_requested")
        return scrapy.Request(
            self.addresses.fetch_url(url),
            callback=callback,
            errback=self.discovery_failed,
            cb_kwargs=cb_kwargs,
            meta={"dvk_kind": "discovery"},
        )

    # -- discovery callbacks ------------------------------------------------------

    def parse_rss(self, response: Response) -> Iterator[scrapy.Request]:
        feed = self.read_feed(response)
        if feed is None:
            self.count_drop("not_a_feed", response.url)
            return
        for item in feed.xpath("//item | //*[local-name()='entry']"):
            link = item.xpath("link/text() | *[local-name()='link']/@href").get("").strip()
            published = machine_date(item.xpath("pubDate/text()").get(""), parse_rfc822, self.count)
            if link and self.window.holds(published):
                # The item's title and description (Atom: title, summary) are the text shown beside the link.
                shown = item.xpath("*[local-name()='title' or local-name()='description' or local-name()='summary']")
                text = feed_text(" ".join(shown.xpath("string()").getall()))
                request = self.article_request(link, text=text, source="rss")
                if request is not None:
                    yield request

    def read_feed(self, response: Response) -> Selector | None:
        """The feed, also when served as ``text/html`` (whose parser would lose every
        ``<link>``: an empty element in HTML); None when the page is no feed."""
        if not isinstance(response, TextResponse):
            return None
        if not isinstance(response, XmlResponse):
            if not looks_like_feed(response.body):
                return None
            self.count("discovery/feed_served_as_html")
        feed = parse_feed(response.body)
        for note in feed.notes:
            self.count(f"discovery/{note}")
        return feed.selector

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterator[scrapy.Request]:
        """A sitemap or sitemap index; ``depth`` counts the indexes above it."""
        try:
            sitemap = TextSitemap(sitemap_body(response, self.crawler.settings.getint("DOWNLOAD_MAXSIZE")))
        except SitemapTooLargeError:
            self.count_drop("too_large", response.url)
            return
        except Exception:
            self.count_drop("bad_sitemap", response.url)
            return
        entries = self.bounded_entries(sitemap)
        if sitemap.type == "sitemapindex":
            if depth >= self.sitemap_max_depth:
                # An index of an index of … (a chain without end was followed 5,001 hops).
                self.count("discovery/sitemap_index_too_deep")
                return
            for entry in entries:
                if not self.window.sitemap_may_hold(entry["loc"], entry.get("lastmod")):
                    self.count("discovery/sitemaps_skipped_by_date")
                elif self.unchanged_since_last_run(entry.get("lastmod")):
                    self.count("discovery/sitemaps_unchanged")
                else:
                    yield self.discovery_request(entry["loc"], self.parse_sitemap, depth=depth + 1)
            return
        for entry in entries:
            lastmod = entry.get("lastmod")
            if self.window.lastmod_may_be_inside(lastmod) and not self.unchanged_since_last_run(lastmod):
                request = self.article_request(entry["loc"], text=entry.get("text"), source="sitemap")
                if request is not None:
                    yield request

    def bounded_entries(self, sitemap: TextSitemap) -> Iterator[dict[str, Any]]:
        """The first ``DVK_SITEMAP_MAX_ENTRIES`` entries, one at a time; those past it are counted."""
        entries = iter(sitemap)
        yield from itertools.islice(entries, self.sitemap_max_entries)
        cut = sum(1 for _ in entries)
        if cut:
            self.count("discovery/sitemap_entries_cut", cut)

    def parse_listing(self, response: Response, page: int, evidence: str | None = None) -> Iterator[scrapy.Request]:
        """A tag, topic, category or search page: article links, then the next page.

        Each link is requested as the stream of the page reaches it (:mod:`dvk_crawl.listing_pages`).
        ``evidence``: what every link of an evidence start point (search, campaign listing) has;
        on a coverage listing a link's own slug or item text is its evidence."""
        if not isinstance(response, TextResponse):
            self.count_drop("not_html", response.url)
            return
        scan = self.listings.scan(response, page)
        newest, in_window, all_known = None, 0, True
        for identity, published, text in self.listings.entries(response, scan):
            if published and (newest is None or published.moment > newest):
                newest = published.moment
            if self.window.holds(published):
                in_window += 1
                all_known = all_known and identity.id in self.known_to_complete_run
                found = self.evidence_rules.evidence(identity.url, evidence, text)
                request = self.identity_request(identity, found, source="listing")
                if request is not None:
                    yield request
        if self.window.since and newest is not None and newest < self.window.since:
            self.count("discovery/paging_stopped_by_date")
            return
        # Stop only at a page whose articles a complete run knew: that run went on to the
        # next pages. Articles stored since (a run killed after page 1) do not count.
        if in_window and not self.refresh and all_known:
            self.count("discovery/paging_stopped_nothing_new")
            return
        next_url = self.listings.next_page_url(response, page, scan) if page < self.max_listing_pages else None
        if next_url:
            yield self.discovery_request(next_url, self.parse_listing, page=page + 1, evidence=evidence)

    # -- articles -----------------------------------------------------------------

    def article_requests(self, links: Iterable[str]) -> Iterator[scrapy.Request]:
        for link in links:
            request = self.article_request(link)
            if request is not None:
                yield request

    def article_request(self, link: str, text: str | None = None, source: str = "sitemap") -> scrapy.Request | None:
        """A request for an article URL of this portal, once per article key; ``text``: what
        the feed or sitemap shows beside the link (its evidence with the slug)."""
        url = self.addresses.to_live(link)
        if not self.portal.owns_host(urlsplit(url).hostname or ""):
            self.count("discovery/foreign_links")
            return None
        identity = identify(self.portal, url)
        if identity is None:
            self.count("discovery/not_article_links")
            return None
        return self.identity_request(identity, self.evidence_rules.evidence(identity.url, text=text), source)

    def identity_request(
        self, identity: Identity, evidence: str | None = None, source: str = "listing"
    ) -> scrapy.Request | None:
        """The request for an article, its identity carried (``canonical_url``, ``meta["dvk_key"]``)
        and the evidence that let it in (``meta["dvk_evidence"]``, :mod:`dvk_crawl.evidence`).

        In targeted discovery a link without ``evidence`` is left out (``SkippedLinks``);
        ``source`` (rss, sitemap, listing) says where it was seen."""
        canonical, key = identity.url, identity.key
        self.count("discovery/article_links")
        if identity.id in self.seen_ids:
            self.count("discovery/already_seen")
            return None
        if key in self.scheduled_keys:
            return None
        if evidence is None and self.discovery_mode == TARGETED:
            self.skipped.add(key, canonical, source)
            return None
        self.skipped.fetched(key)
        self.scheduled_keys.add(key)
        self.count("discovery/articles")
        self.count(f"discovery/evidence/{evidence or NO_EVIDENCE}")
        return scrapy.Request(
            self.addresses.fetch_url(canonical),
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"canonical_url": canonical},
            meta={"dvk_kind": "article", "dvk_key": key, "dvk_evidence": evidence or NO_EVIDENCE},
            priority=10,
        )

    def identities_of(self, urls: Iterable[str]) -> list[Identity]:
        """The article identities of live URLs of this portal (those its URL rule reads)."""
        return [identity for identity in (identify(self.portal, url) for url in urls) if identity is not None]

    def parse_article(self, response: Response, canonical_url: str) -> Iterator[Article]:
        key = response.meta.get("dvk_key")

        def unusable(reason: str) -> Iterator[Article]:
            self.count_drop(reason, canonical_url, key)
            return iter(())

        identity = self.addresses.identity_after_redirect(response, canonical_url)
        yield from self.article_tail(response, identity, source="live", unusable=unusable)

    def article_tail(
        self,
        response: Response,
        identity: Identity | None,
        *,
        source: str,
        unusable: Callable[[str], Iterator[Any]],
        check: Callable[[Article], str | None] | None = None,
    ) -> Iterator[Any]:
        """The one end of a fetched article page, live or archived: an Article, or a drop.

        A page that is no usable article (not HTML, no article identity, a ``check`` that
        names a reason) goes to ``unusable``: a live page is dropped, an archived one gives
        way to its next capture. A parser bug and a date outside the window drop it.
        """
        self.count("fetch/articles")
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not is_html(response.body, content_type):
            yield from unusable("not_html")
            return
        # Decoded here, not by Scrapy: a legacy page declared UTF-8 but written in
        # Windows-1258 would come out of response.text full of U+FFFD.
        page = decode_page(response.body, content_type)
        if page.fallback:
            self.count(f"decode/{page.fallback}")
        if page.control_chars:
            self.count("clean/control_chars", page.control_chars)
        if identity is None:
            yield from unusable("not_article_url")
            return
        # The page as kept in the WARC files: its record's time is the article's fetch time,
        # so re-reading the record later (dvk-crawl reparse) gives the same record.
        kept = page_pointer(response)
        try:
            fetched_at = kept["fetched_at"] if kept else datetime.now(UTC).isoformat(timespec="seconds")
            extraction = extract_decoded(page, self.portal, identity, fetched_at=fetched_at, source=source)
        except Exception:  # a parser bug on one page must not hide the rest of the crawl
            self.logger.exception("parser failed on %s", response.url)
            self.count_drop("parser_error", response.url)
            return
        article = extraction.article
        article.page = dict(kept) if kept else None
        for name, n in extraction.cleaned.items():
            self.count(f"clean/{name}", n)
        reason = check(article) if check is not None else None
        if reason is not None:
            yield from unusable(reason)
            return
        published = (
            PublicationTime(datetime.fromisoformat(article.published_at), "second") if (article.published_at) else None
        )
        if not self.window.holds(published):
            self.count_drop("outside_window", identity.url)
            return
        yield article

    # The archive's callbacks: spider methods, so that a JOBDIR can store their requests.

    def parse_cdx(self, response: Response, target: str, resume_key: str | None) -> Iterator[scrapy.Request]:
        return self.archive.parse_cdx(response, target, resume_key)

    def parse_capture(self, response: Response, key: str, fallbacks: list[Capture]) -> Iterator[Any]:
        return self.archive.parse_capture(response, key, fallbacks)

    def capture_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        return self.archive.capture_failed(failure)

    def parse_archive(self, response: Response, step: str, **arguments: Any) -> Iterator[scrapy.Request]:
        return self.archive.parse_step(step, response, **arguments)

    def article_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        if request is None:
            self.count_drop(failure_reason(failure), "?")
            return
        # The article's live URL, not where it was fetched (a replica): its visit is rechecked there.
        url = request.cb_kwargs.get("canonical_url") or request.url
        self.count_drop(failure_reason(failure), url, request.meta.get("dvk_key"))

    def discovery_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.count(f"discovery/{reason}")
        self.count("discovery/pages_failed")
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get("dvk_start_point"):
            self.count(f"discovery/start_points_failed/{reason}")
            site = request.meta.get("dvk_site")
            if site is not None:
                self.count(f"discovery/sites/{site}/failed/{reason}")
                self.logger.warning("site %r: start point %s failed (%s)", site, request.url, reason)

    def response_received(self, response: Response, request: scrapy.Request, **kwargs: Any) -> None:
        # Only 2xx answers reach a callback (HttpErrorMiddleware); the others count as failed.
        if request.meta.get("dvk_kind") == "discovery" and 200 <= response.status < 300:
            self.count("discovery/pages_answered")
            if request.meta.get("dvk_start_point"):
                self.count("discovery/start_points_answered")

    # Scrapy drops two kinds of redirect target before download, without an errback:
    # one on a foreign host (OffsiteMiddleware, while scheduling) and one back to a URL
    # of its own redirect chain (the duplicate filter). Either loses the article.

    def request_scheduled(self, request: scrapy.Request, **kwargs: Any) -> None:
        host = urlsplit(request.url).hostname or ""
        offsite = not any(host == d or host.endswith(f".{d}") for d in self.allowed_domains)
        if offsite and self.redirected_article(request):
            self.count_drop("offsite_redirect", request.url, request.meta.get("dvk_key"))

    def request_dropped(self, request: scrapy.Request, **kwargs: Any) -> None:
        if request.meta.get("dvk_start_point"):
            # The duplicate filter of a JOBDIR drops start points an earlier part of the job fetched.
            self.count("discovery/start_points_already_seen")
        if self.redirected_article(request) and request.url in request.meta["redirect_urls"]:
            self.count_drop("redirect_loop", request.url, request.meta.get("dvk_key"))

    @staticmethod
    def redirected_article(request: scrapy.Request) -> bool:
        return request.meta.get("dvk_kind") == "article" and bool(request.meta.get("redirect_urls"))

    # -- counting -----------------------------------------------------------------

    def count(self, name: str, value: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"dvk/{name}", value)

    def unchanged_since_last_run(self, lastmod: str | None) -> bool:
        """A sitemap (entry) not modified since the last complete run started holds nothing new."""
        modified = parse_lastmod(lastmod)
        return (
            not self.refresh
            and self.unchanged_before is not None
            and modified is not None
            and (modified < self.unchanged_before)
        )

    def count_drop(self, reason: str, url: str, key: str | None = None) -> None:
        article_ids = [f"{self.portal.id}:{key}"] if key is not None else []
        record_drop(
            self.crawler,
            reason,
            url,
            stage="spider",
            portal=self.portal.id,
            article_ids=article_ids,
            logger=self.logger,
        )


def spider_arguments(portal: Portal) -> tuple[str, ...]:
    """The ``-a`` arguments of a portal's spider: ``sites`` only for a portal file that declares sub-sites."""
    return (*PortalSpider.ARGUMENTS, "sites") if portal.seeds.site_table else PortalSpider.ARGUMENTS


def default_source(portal: Portal) -> str:
    """``live`` unless the portal file says its sites are reached through the archive only."""
    return "live" if "live" in portal.seeds.sources else "archive"


def checked_arguments(portal: Portal, arguments: dict[str, Any]) -> dict[str, Any]:
    """:func:`parse_spider_arguments` for the portal, and a ``source`` its file allows."""
    parsed = parse_spider_arguments(spider_arguments(portal), arguments, default_source(portal))
    source = str(arguments.get("source", default_source(portal)))
    needs = {"live": {"live"}, "archive": {"archive"}, "both": {"live", "archive"}}[source]
    if not needs <= set(portal.seeds.sources):
        (only,) = portal.seeds.sources  # "both" is refused only when one of the two is missing
        where = {"live": "its live sites", "archive": "the web archive (its sites are retired)"}[only]
        raise SpiderArgumentError(
            f"source={source}: {portal.id} is reached through {where} only"
            f" (sources in seeds/portals/{portal.id}.toml); use source={only}"
        )
    return parsed


def checked_sites(portal: Portal, requested: str | None) -> SiteSelection:
    """The portal's sites named by ``-a sites=``; ``SpiderArgumentError`` for a name that is none."""
    try:
        return select_sites(portal.seeds.site_table, requested, portal.id)
    except SiteSelectionError as error:
        raise SpiderArgumentError(str(error)) from None
