"""Sitemaps that would run away (issue 18): an endless chain of indexes, an index of 100,001 entries.

Each is bounded by a counted, documented limit (``DVK_SITEMAP_MAX_DEPTH``,
``DVK_SITEMAP_MAX_ENTRIES``); what lies within the limits is read as before.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from scrapy import Request
from scrapy.http import XmlResponse

from dvk_crawl.config import SETTINGS
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
    spider = make_spider({"DVK_SITEMAP_MAX_DEPTH": "3"})
    assert follow_chain(spider, 5_001) == 4  # the start point's index and three below it
    assert stat(spider, "discovery/sitemap_index_too_deep") == 1


def test_a_sitemap_at_the_depth_limit_is_still_read() -> None:
    spider = make_spider({"DVK_SITEMAP_MAX_DEPTH": "1"})
    assert len(requested(spider.parse_sitemap(answer(f"{BASE}/s.xml", urlset(3)), depth=1))) == 3
    assert stat(spider, "discovery/sitemap_index_too_deep") == 0


def test_entries_past_the_limit_are_cut_and_counted() -> None:
    spider = make_spider({"DVK_SITEMAP_MAX_ENTRIES": "10"})
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
