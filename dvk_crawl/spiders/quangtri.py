"""Quảng Trị portals (www.quangtri.gov.vn and its 3CMS sub-sites): listings and sitemaps per site.

Which sub-sites to crawl is the argument ``sites`` (``-a sites=trieuphong,www``):
names of the ``sites`` table of ``seeds/quangtri.toml`` (name → base URL), all of
them by default. Per selected site the start points are the seeds' listing pages
(3CMS category pages, paged through the portlet parameter ``_<portletId>_cur=N``)
and sitemaps on that site's host; a site without a sitemap seed gets Liferay's
standard ``<base>/sitemap.xml``. Article links may lead to any sub-site of the portal
(the province site lists district news): the key (host + articleId) keeps them apart.

With ``-a source=archive`` the web archive is listed per selected site (``sites=trieuphong``:
``trieuphong.quangtri.gov.vn/*``).

With ``-a base_url`` every host maps onto the one replica: the replica keeps one path
space for all sub-sites, and its pages link with absolute live URLs, as Liferay does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from dvk_crawl.config import seeds_dir
from dvk_crawl.seeds import load_seeds
from dvk_crawl.spiders.base import PortalSpider, SpiderArgumentError


def select_sites(table: dict[str, str], requested: str | None) -> dict[str, str]:
    """The sites named in ``requested`` (comma-separated), all of ``table`` when empty."""
    names = [name.strip() for name in (requested or "").split(",") if name.strip()] or list(table)
    unknown = [name for name in names if name not in table]
    if unknown:
        known = ", ".join(table) or "none (add a [sites] table to seeds/quangtri.toml)"
        raise SpiderArgumentError(f"sites={requested}: unknown site(s) {', '.join(unknown)}; known sites: {known}")
    return {name: table[name] for name in dict.fromkeys(names)}


class QuangtriSpider(PortalSpider):
    name = "quangtri"
    portal_id = "quangtri"
    ARGUMENTS = (*PortalSpider.ARGUMENTS, "sites")

    sites: dict[str, str]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> QuangtriSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, QuangtriSpider)
        spider.sites = select_sites(spider.seeds.sites, spider.arguments.get("sites"))
        return spider

    @classmethod
    def check_arguments(cls, arguments: dict[str, Any], settings: BaseSettings) -> None:
        super().check_arguments(arguments, settings)
        seeds = load_seeds(seeds_dir(settings), cls.portal_id)
        select_sites(seeds.sites, arguments.get("sites"))

    def start_points(self) -> Iterator[scrapy.Request]:
        for base in self.sites.values():
            host = urlsplit(base).hostname
            for url in on_host(self.seeds.rss, host):
                yield self.discovery_request(url, self.parse_rss)
            for url in on_host(self.seeds.sitemaps, host) or [urljoin(base, "/sitemap.xml")]:
                yield self.discovery_request(url, self.parse_sitemap)
            for url in on_host(self.seeds.listings, host):
                yield self.discovery_request(url, self.parse_listing, page=1)

    def archive_targets(self) -> list[str]:
        """The selected sites: the seeds' ``archive`` prefixes on their hosts, else each whole site."""
        hosts = {urlsplit(base).hostname for base in self.sites.values()}
        prefixes = [url for url in self.seeds.archive if urlsplit(url).hostname in hosts]
        return prefixes or list(self.sites.values())


def on_host(urls: tuple[str, ...], host: str | None) -> list[str]:
    return [url for url in urls if urlsplit(url).hostname == host]
