"""Discovery pages that would run away (issue 18): an endless chain of sitemap indexes, an
index of 100,001 entries, a listing of hundreds of thousands of links.

Sitemaps are bounded by a counted, documented limit (``DVK_SITEMAP_MAX_DEPTH``,
``DVK_SITEMAP_MAX_ENTRIES``); what lies within the limits is read as before. Listings are
read as a stream: the page is never held as a whole tree.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from parsel import Selector
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse

from dvk_crawl.config import SETTINGS
from dvk_crawl.listing_pages import ListingMarkup, ListingScan
from tests.conftest import ROOT
from tests.test_spider_discovery import make_spider, requested, stat

BASE = "https://baohatinh.vn"


def sitemap_index(*locs: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'.encode()


def urlset(count: int) -> bytes:
    entries = "".join(f"<url><loc>{BASE}/bai-{n}-post{n}.html</loc></url>" for n in range(1, count + 1))
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()


def answer(url: str, body: bytes) -> XmlResponse:
    return XmlResponse(url=url, body=body, request=Request(url))


def follow_chain(spider: Any, hops: int) -> int:
    """Walk an index chain (each index lists the next) as the engine would; how many were read."""
    url, depth, read = f"{BASE}/sitemap-0.xml", 0, 0
    for n in range(1, hops + 1):
        read += 1
        following = list(spider.parse_sitemap(answer(url, sitemap_index(f"{BASE}/sitemap-{n}.xml")), depth=depth))
        if not following:
            break
        [request] = following
        url, depth = request.url, request.cb_kwargs["depth"]
    return read


def test_an_endless_chain_of_sitemap_indexes_stops_at_the_depth_limit() -> None:
    spider = make_spider({"DVK_SITEMAP_MAX_DEPTH": "3"}, discovery="exhaustive")
    assert follow_chain(spider, 5_001) == 4  # the start point's index and three below it
    assert stat(spider, "discovery/sitemap_index_too_deep") == 1


def test_a_sitemap_at_the_depth_limit_is_still_read() -> None:
    spider = make_spider({"DVK_SITEMAP_MAX_DEPTH": "1"}, discovery="exhaustive")
    assert len(requested(spider.parse_sitemap(answer(f"{BASE}/s.xml", urlset(3)), depth=1))) == 3
    assert stat(spider, "discovery/sitemap_index_too_deep") == 0


def test_entries_past_the_limit_are_cut_and_counted() -> None:
    spider = make_spider({"DVK_SITEMAP_MAX_ENTRIES": "10"}, discovery="exhaustive")
    assert len(requested(spider.parse_sitemap(answer(f"{BASE}/s.xml", urlset(11))))) == 10
    index = sitemap_index(*(f"{BASE}/sitemap-{n}.xml" for n in range(25)))
    assert len(requested(spider.parse_sitemap(answer(f"{BASE}/index.xml", index)))) == 10
    assert stat(spider, "discovery/sitemap_entries_cut") == 1 + 15


def test_a_100001_entry_index_queues_at_most_the_default_limit() -> None:
    spider = make_spider()
    index = sitemap_index(*(f"{BASE}/sitemap-{n}.xml" for n in range(100_001)))
    assert len(requested(spider.parse_sitemap(answer(f"{BASE}/index.xml", index)))) == 50_000
    assert stat(spider, "discovery/sitemap_entries_cut") == 50_001
    assert SETTINGS["DVK_SITEMAP_MAX_ENTRIES"].default == 50_000  # the sitemaps.org protocol's own limit


@pytest.mark.slow
def test_a_crawl_of_an_endless_index_chain_stops_at_the_limit() -> None:
    """End to end, the probe of ``make soak-big``: a real crawl of a chain served on loopback.

    The probe runs in its own process, as ``make soak-big`` runs it: the memory goal is read
    from ``ru_maxrss`` of the forked crawl, which on Linux starts from the parent's peak, so
    inside this (large) pytest process it would measure pytest, not the crawl.
    """
    probe = subprocess.run(
        [sys.executable, "-m", "bench.big_inputs", "--case", "endless", "--pages", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert probe.stdout.splitlines()[-1].startswith("big inputs: 1 faults tried, 1 held")


def listing(count: int) -> str:
    items = "".join(
        f'<li><a href="/bai-{n}-post{n}.html">Bài {n}</a> <time>{n % 28 + 1:02d}/01/2024</time></li>'
        for n in range(count)
    )
    return f'<html><body><ul>{items}</ul><a rel="next" href="?page=2">»</a></body></html>'


def test_a_listing_is_read_as_a_stream_of_items_freed_once_read() -> None:
    """The tree never holds more than a few items: a 300,000-link listing held 210 MB as a whole."""
    held: list[int] = []

    def date_of(item: Selector) -> str:
        held.append(sum(1 for _ in item.root.getroottree().getroot().iter()))
        return item.css("time::text").get("")

    scan = ListingScan(listing(20_000), ListingMarkup(), page=1)
    links = list(scan.links(date_of))
    assert len(links) == 20_001  # every item's link, and the pager's
    assert links[5] == ("/bai-5-post5.html", "06/01/2024")
    # At most what one fed chunk (64K characters) parses ahead of the reader; the whole tree
    # has 60,000 elements.
    assert max(held) < 5_000
    assert list(scan.next_page_hrefs()) == ["?page=2"]


def test_a_streamed_listing_gives_each_link_the_date_of_its_nearest_item() -> None:
    page = (
        '<div class="item"><p>01/02/2020</p><ul><li><a href="/a">A</a> 03/04/2024</li></ul>'
        '<a href="/b">B</a></div><a href="/c">C</a><a class="item" href="/d">D</a>'
    )
    scan = ListingScan(page, ListingMarkup(), page=1)
    dates = dict(scan.links(lambda item: item.css("::text").re_first(r"\d\d/\d\d/\d{4}")))
    assert dates == {"/a": "03/04/2024", "/b": "01/02/2020", "/c": None, "/d": None}


def test_a_listing_spider_requests_links_before_the_page_is_read_to_its_end() -> None:
    spider = make_spider(discovery="exhaustive")
    url = f"{BASE}/dan-van-kheo-tag4017.html"
    page = HtmlResponse(url=url, body=listing(5_000).encode(), encoding="utf-8", request=Request(url))
    results = spider.parse_listing(page, page=1)
    first = next(results)
    assert first.url == f"{BASE}/bai-0-post0.html"
    rest = requested(results)
    assert len(rest) == 5_000  # 4,999 articles and the next page
    assert rest[-1] == f"{url}?page=2"
