"""Báo Yên Bái: URL rules, the date line, datelines and bylines, and listing discovery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from dvk_crawl.families.baoyenbai import BaoYenBaiParser, article_key, canonicalize, is_byline
from dvk_crawl.portals import get_portal
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.spiders import spider_class

BaoyenbaiSpider = spider_class("baoyenbai")

SITE = SITES_DIR / "baoyenbai"
SLUG = "L7909c-Y234n-c243-tr234n-400-m244-h236nh-D226n-v7853n-kh233o"
LISTING = "https://baoyenbai.com.vn/11/page/{n}/Ch237nh-tr7883.aspx"


@pytest.mark.parametrize(
    "url",
    [
        f"https://baoyenbai.com.vn/11/315372/{SLUG}.aspx",
        f"http://www.baoyenbai.com.vn/11/315372/{SLUG}.aspx",
        f"https://baoyenbai.com.vn/27/315372/{SLUG}.aspx",
        f"https://baoyenbai.com.vn/11/315372/{SLUG}.htm",
        "https://WWW.BaoYenBai.com.vn/3/315372/Other-slug.aspx?utm_source=zalo#top",
    ],
)
def test_one_key_for_every_variant_of_an_article_url(url: str) -> None:
    assert article_key(canonicalize(url)) == "315372"
    assert article_key(url) == "315372"


@pytest.mark.parametrize(
    "url",
    [
        "https://en.baoyenbai.com.vn/12/31537/Luc-Yen-district-has-over-400-models.aspx",
        LISTING.format(n=2),
        "https://baoyenbai.com.vn/11/Ch237nh-tr7883.aspx",
        "https://baoyenbai.com.vn/rss/11.rss",
        "https://baoyenbai.com.vn/Tags/L7909c-Y234n.aspx",
        "https://baoyenbai.com.vn/",
        "https://yenbai21.com/11/315372/Luc-Yen.aspx",
    ],
)
def test_listings_feeds_the_english_edition_and_mirrors_are_not_articles(url: str) -> None:
    assert article_key(canonicalize(url)) is None


def test_canonical_url_is_https_on_the_bare_host_with_the_path_as_found() -> None:
    assert (
        canonicalize(f"http://www.baoyenbai.com.vn/27/315301/{SLUG}.aspx?x=1#c")
        == f"https://baoyenbai.com.vn/27/315301/{SLUG}.aspx"
    )
    assert canonicalize("http://en.baoyenbai.com.vn/12/1/a.aspx") == "https://en.baoyenbai.com.vn/12/1/a.aspx"


def test_the_portal_is_in_lao_cai_and_was_yen_bai() -> None:
    portal = get_portal("baoyenbai")
    assert (portal.name, portal.province, portal.former_province) == ("Báo Yên Bái", "Lào Cai", "Yên Bái")
    assert portal.former_province_of("Bát Xát, Lào Cai") == "Yên Bái"


def page_with(line: str) -> str:
    return f"<html><body><table><tr><td><h1>Tiêu đề</h1></td></tr><tr><td>{line}</td></tr></table></body></html>"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("• Cập nhật: Thứ hai, 4/3/2024 | 2:26:47 PM", "2024-03-04T14:26:47+07:00"),
        ("• Cập nhật: Thứ năm, 1/2/2024 | 12:05:10 AM", "2024-02-01T00:05:10+07:00"),
        ("• Cập nhật: Thứ năm, 15/9/2011 | 12:40:18 PM", "2011-09-15T12:40:18+07:00"),
        ("• Cập nhật: Thứ ba, 5/3/2024 | 8:05:33 AM", "2024-03-05T08:05:33+07:00"),
        ("• Cập nhật: Chủ nhật, 31/12/2023 | 11:59:59 PM", "2023-12-31T23:59:59+07:00"),
        ("&nbsp;•&nbsp;Cập nhật: <span>Thứ sáu, 20/5/2016 | 2:08:51 PM</span>", "2016-05-20T14:08:51+07:00"),
    ],
)
def test_the_update_line_is_read_on_a_24_hour_clock_at_vietnam_time(line: str, expected: str) -> None:
    published = BaoYenBaiParser.from_html(page_with(line), "https://baoyenbai.com.vn/11/1/a.aspx").published_at()
    assert published is not None and published.isoformat() == expected


def test_no_update_line_is_no_date_even_with_the_header_date() -> None:
    html = page_with("Bài viết").replace("<body>", "<body><span>Thứ bảy, 21/11/2026</span>")
    assert BaoYenBaiParser.from_html(html, "https://baoyenbai.com.vn/11/1/a.aspx").published_at() is None


@pytest.mark.parametrize(
    "lead",
    [
        "YBĐT - Sau hai năm",
        "YBĐT – Sau hai năm",
        "YênBái - YBĐT - Sau hai năm",
        "YênBái – YBĐT – Sau hai năm",
        "YênBái - Sau hai năm",
        "YênBái – Sau hai năm",
        "Yên Bái - Sau hai năm",
    ],
)
def test_every_dateline_is_stripped_from_the_lead(lead: str) -> None:
    parser = BaoYenBaiParser.from_html("<html></html>", "https://baoyenbai.com.vn/11/1/a.aspx")
    assert parser.strip_lead_prefix(lead) == "Sau hai năm"


def test_a_sentence_about_yen_bai_keeps_its_subject() -> None:
    parser = BaoYenBaiParser.from_html("<html></html>", "https://baoyenbai.com.vn/11/1/a.aspx")
    assert parser.strip_lead_prefix("Yên Bái có 421 mô hình") == "Yên Bái có 421 mô hình"


@pytest.mark.parametrize(
    ("text", "byline"),
    [("Đức Toàn", True), ("Thanh Thủy", True), ("Hồng Duyên - Thanh Tân", True), ("Nguồn: TTXVN", False)],
)
def test_a_byline_is_a_short_capitalised_name(text: str, byline: bool) -> None:
    assert is_byline(text) is byline
    assert not is_byline("Các mô hình đã tác động tích cực.")


# -- discovery ------------------------------------------------------------------------


@pytest.fixture
def make_spider(tmp_path: Path) -> Callable[..., BaoyenbaiSpider]:
    """Spiders on an empty store of their own: ids stored by other runs are not re-requested."""

    def make(**arguments: str) -> BaoyenbaiSpider:
        crawler = get_crawler(BaoyenbaiSpider, {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"})
        crawler.stats.open_spider()
        spider = BaoyenbaiSpider.from_crawler(crawler, **arguments)
        crawler.spider = spider
        return spider

    return make


def listing(n: int) -> HtmlResponse:
    url = LISTING.format(n=n)
    body = Path(SITE / f"pages/11/page-{n}.html").read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


def requested(results) -> list[str]:
    return [r.url for r in results if isinstance(r, Request)]


def test_listing_paging_follows_the_page_segment_of_the_path(make_spider: Callable[..., BaoyenbaiSpider]) -> None:
    spider = make_spider()
    assert spider.listings.next_page_url(listing(1), 1) == LISTING.format(n=2)
    assert spider.listings.next_page_url(listing(2), 2) is None
    assert LISTING.format(n=2) in requested(spider.parse_listing(listing(1), page=1))


def test_paging_stops_once_a_page_is_older_than_since(make_spider: Callable[..., BaoyenbaiSpider]) -> None:
    spider = make_spider(since="2024-03-03")
    urls = requested(spider.parse_listing(listing(2), page=2))
    keys = {spider.portal.article_key(u) for u in urls}
    # Page 2 lists 2/3/2024, 2017 and 2011: none is requested and page 3 is not asked for.
    assert not keys & {"315301", "152964", "68421"}
    assert not [u for u in urls if "/page/" in u]
    assert spider.crawler.stats.get_value("dvk/discovery/paging_stopped_by_date") == 1
    assert LISTING.format(n=2) not in requested(make_spider(since="2030-01-01").parse_listing(listing(1), page=1))


def test_www_and_bare_links_of_one_article_are_requested_once_and_english_never(
    make_spider: Callable[..., BaoyenbaiSpider],
) -> None:
    spider = make_spider(discovery="exhaustive")  # the URL rule, whatever the evidence
    urls = requested(spider.parse_listing(listing(1), page=1)) + requested(spider.parse_listing(listing(2), page=2))
    article_urls = [u for u in urls if "/page/" not in u]
    assert sorted(spider.portal.article_key(u) for u in article_urls) == sorted(
        ["315418", "315372", "315355", "315340", "152964", "315301", "68421"]
    )
    assert not [u for u in urls if "en.baoyenbai" in u]
