"""The discovery base: URL rules, date window, paging and the replica mapping, without a network."""

from __future__ import annotations

from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.spiders import spider_class

BaohatinhSpider = spider_class("baohatinh")

SITE = SITES_DIR / "baohatinh"
REPLICA = "http://127.0.0.1:8999"


def make_spider(settings: dict[str, Any] | None = None, **arguments: str) -> BaohatinhSpider:
    crawler = get_crawler(
        BaohatinhSpider, settings_dict={"DVK_STORE_URL": f"sqlite:///{mkdtemp()}/t.sqlite", **(settings or {})}
    )
    crawler.stats.open_spider()
    spider = BaohatinhSpider.from_crawler(crawler, **arguments)
    crawler.spider = spider
    return spider


def response(cls: type[Response], url: str, path: Path | None = None, body: bytes = b"") -> Response:
    content = path.read_bytes() if path else body
    if issubclass(cls, TextResponse):
        return cls(url=url, body=content, encoding="utf-8", request=Request(url))
    return cls(url=url, body=content, request=Request(url))


def requested(results) -> list[str]:
    return [r.url for r in results if isinstance(r, Request)]


def stat(spider: BaohatinhSpider, name: str) -> int:
    return spider.crawler.stats.get_value(f"dvk/{name}", 0)


def test_replica_mapping_keeps_paths_and_live_urls() -> None:
    spider = make_spider(base_url=REPLICA)
    live = "https://daihoidang.baohatinh.vn/lan-toa-post295512.html"
    assert spider.addresses.fetch_url(live) == f"{REPLICA}/lan-toa-post295512.html"
    assert spider.addresses.fetch_url("https://hatinh24h.com.vn/x") == "https://hatinh24h.com.vn/x"
    assert spider.addresses.to_live(f"{REPLICA}/a-post1.html") == "https://baohatinh.vn/a-post1.html"


def test_a_redirect_on_the_replica_gives_the_live_canonical_url() -> None:
    spider = make_spider(base_url=REPLICA)
    old = "https://baohatinh.vn/chinh-tri/slug/228415.htm"
    redirected = response(HtmlResponse, f"{REPLICA}/slug-post228415.html")
    assert spider.addresses.canonical_after_redirect(redirected, old) == "https://baohatinh.vn/slug-post228415.html"


def test_each_article_key_is_requested_once_and_tv_items_never() -> None:
    spider = make_spider(discovery="exhaustive")  # the URL rules, whatever the evidence
    links = [
        "https://baohatinh.vn/a-post228415.html",
        "https://www.baohatinh.vn/chinh-tri/a/228415.htm",
        "https://baohatinh.vn/tv/video-18342.html",
        "https://hatinh24h.com.vn/a-post228415.html",
    ]
    assert requested(spider.article_requests(links)) == ["https://baohatinh.vn/a-post228415.html"]
    assert stat(spider, "discovery/not_article_links") == 1 and stat(spider, "discovery/foreign_links") == 1


def test_sitemap_index_skips_months_outside_the_window() -> None:
    spider = make_spider(since="2023-08-01", until="2023-08-31")
    index = response(XmlResponse, "https://baohatinh.vn/sitemap.xml", SITE / "sitemap.xml")
    urls = requested(spider.parse_sitemap(index))
    assert urls == ["https://baohatinh.vn/sitemaps/news-2023-8.xml"]
    assert stat(spider, "discovery/sitemaps_skipped_by_date") >= 2


def test_rss_items_outside_the_window_are_not_requested() -> None:
    feed = response(XmlResponse, "https://baohatinh.vn/rss/home.rss", SITE / "rss" / "home.rss")
    everything = requested(make_spider().parse_rss(feed))
    none_after = requested(make_spider(since="2030-01-01").parse_rss(feed))
    assert everything and none_after == []


def test_listing_follows_the_next_page_and_stops_before_since() -> None:
    page1 = response(
        HtmlResponse, "https://baohatinh.vn/dan-van-kheo-tag4017.html", SITE / "pages/tag/dan-van-kheo-tag4017.html"
    )
    urls = requested(make_spider().parse_listing(page1, page=1))
    assert "https://baohatinh.vn/dan-van-kheo-tag4017.html?page=2" in urls
    assert "https://baohatinh.vn/dan-van-kheo-tag4017.html?page=2" not in requested(
        make_spider(since="2030-01-01").parse_listing(page1, page=1)
    )


@pytest.mark.parametrize(("body", "cls"), [(b"%PDF-1.4", Response), (b"", HtmlResponse)])
def test_non_html_and_empty_answers_are_counted_as_not_html(body: bytes, cls: type[Response]) -> None:
    spider = make_spider()
    url = "https://baohatinh.vn/a-post1.html"
    assert list(spider.parse_article(response(cls, url, body=body), canonical_url=url)) == []
    assert stat(spider, "dropped/not_html") == 1


def test_a_page_without_an_article_yields_an_empty_body_for_validate_to_drop() -> None:
    spider = make_spider()
    url = "https://baohatinh.vn/a-post1.html"
    page = response(HtmlResponse, url, body="<html><body><nav>Tin mới</nav></body></html>".encode())
    [item] = spider.parse_article(page, canonical_url=url)
    assert item.text == "" and item.id == "baohatinh:1"


def test_a_parser_crash_is_counted_and_logged_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    spider = make_spider()
    url = "https://baohatinh.vn/a-post1.html"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("layout changed")

    monkeypatch.setattr("dvk_crawl.spiders.base.extract_decoded", broken)
    assert list(spider.parse_article(response(HtmlResponse, url, body=b"<html></html>"), canonical_url=url)) == []
    assert stat(spider, "dropped/parser_error") == 1
