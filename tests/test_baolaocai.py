"""Báo Lào Cai: URL rules of the shared CMS, the former province of an article, discovery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from dvk_crawl.dates import VIETNAM, PublicationTime
from dvk_crawl.portals import get_portal
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.spiders import spider_class

BaolaocaiSpider = spider_class("baolaocai")

SITE = SITES_DIR / "baolaocai"
PORTAL = get_portal("baolaocai")
TAG = "https://baolaocai.vn/tu-khoa/dan-van-kheo-tag5126.html"
OLD_SLUG = "bat-xat-nhan-rong-mo-hinh-dan-van-kheo-trong-xay-dung-nong-thon-moi"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://baolaocai.vn/xa-mu-cang-chai-lan-toa-phong-trao-thi-dua-dan-van-kheo-post402871.html", "402871"),
        ("http://www.baolaocai.vn/xa-mu-cang-chai-lan-toa-post402871.html?x=1", "402871"),
        ("https://baolaocai.vn/chinh-tri/bat-xat-nhan-rong-mo-hinh-dan-van-kheo/351207.htm", "351207"),
        (TAG, None),
        (TAG + "?page=2", None),
        ("https://baolaocai.vn/chu-de/dan-van-kheo.html", None),
        ("https://baolaocai.vn/tim-kiem/?q=d%C3%A2n+v%E1%BA%ADn+kh%C3%A9o", None),
        ("https://baolaocai.vn/rss/home.rss", None),
    ],
)
def test_the_post_id_is_the_key(url: str, key: str | None) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(url)) == key


def test_canonical_url_is_https_without_www_or_query() -> None:
    assert (
        PORTAL.canonicalize("http://www.baolaocai.vn/a-post1.html?utm=zalo#top") == "https://baolaocai.vn/a-post1.html"
    )


def test_the_portal_is_in_lao_cai_with_no_former_province_of_its_own() -> None:
    assert (PORTAL.name, PORTAL.province, PORTAL.former_province) == ("Báo Lào Cai", "Lào Cai", None)


AFTER_MERGER = PublicationTime(datetime(2025, 9, 1, tzinfo=VIETNAM), "day")


@pytest.mark.parametrize(
    ("text", "former"),
    [
        ("Xã Mù Cang Chải lan tỏa phong trào “Dân vận khéo”", "Yên Bái"),
        ("PHƯỜNG NGHĨA LỘ ra mắt mô hình", "Yên Bái"),
        ("Hội nghị tại phường Yên Bái, tỉnh Lào Cai", "Yên Bái"),
        ("Người dân xã Lục Yên, Văn Chấn, Trạm Tấu", "Yên Bái"),
        ("Bát Xát nhân rộng mô hình “Dân vận khéo”", None),
        ("Cựu chiến binh phường Sa Pa gương mẫu", None),
    ],
)
def test_articles_from_former_yen_bai_are_marked(text: str, former: str | None) -> None:
    assert PORTAL.former_province_of(text, AFTER_MERGER) == former


@pytest.fixture
def make_spider(tmp_path: Path) -> Callable[..., BaolaocaiSpider]:
    """Spiders on an empty store of their own: ids stored by other runs are not re-requested."""

    def make(**arguments: str) -> BaolaocaiSpider:
        crawler = get_crawler(BaolaocaiSpider, {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"})
        crawler.stats.open_spider()
        spider = BaolaocaiSpider.from_crawler(crawler, **arguments)
        crawler.spider = spider
        return spider

    return make


def response(url: str, page: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=(SITE / page).read_bytes(), encoding="utf-8", request=Request(url))


def test_seeds_start_from_rss_the_tag_page_and_search(make_spider: Callable[..., BaolaocaiSpider]) -> None:
    urls = [r.url for r in make_spider().start_points()]
    assert urls == [
        "https://baolaocai.vn/rss/home.rss",
        TAG,
        "https://baolaocai.vn/tim-kiem/?q=d%C3%A2n%20v%E1%BA%ADn%20kh%C3%A9o",
    ]


def test_the_tag_page_pages_on_and_its_old_url_item_is_requested_once(
    make_spider: Callable[..., BaolaocaiSpider],
) -> None:
    spider = make_spider()
    page1 = [r.url for r in spider.parse_listing(response(TAG, "pages/tag/dan-van-kheo-tag5126.html"), page=1)]
    assert TAG + "?page=2" in page1
    page2_html = response(TAG + "?page=2", "pages/tag/dan-van-kheo-tag5126-page2.html")
    page2 = [r.url for r in spider.parse_listing(page2_html, page=2)]
    assert f"https://baolaocai.vn/chinh-tri/{OLD_SLUG}/351207.htm" in page2
    assert not [u for u in page2 if "page=3" in u]


def test_former_province_needs_the_place_name_not_the_phrase() -> None:
    from dvk_crawl.portals import get_portal

    portal = get_portal("baolaocai")
    assert portal.former_province_of("Đoàn công tác thăm huyện Yên Bình.", AFTER_MERGER) == "Yên Bái"
    assert portal.former_province_of("Người dân Bát Xát có cuộc sống yên bình.", AFTER_MERGER) is None


def test_before_the_merger_naming_yen_bai_is_about_a_neighbour() -> None:
    from datetime import datetime

    from dvk_crawl.dates import VIETNAM, PublicationTime
    from dvk_crawl.portals import get_portal

    portal = get_portal("baolaocai")
    before = PublicationTime(datetime(2024, 5, 1, tzinfo=VIETNAM), "day")
    after = PublicationTime(datetime(2025, 9, 1, tzinfo=VIETNAM), "day")
    assert portal.former_province_of("Đoàn công tác tỉnh Yên Bái thăm Lào Cai.", before) is None
    assert portal.former_province_of("Xã Mù Cang Chải ra mắt mô hình.", after) == "Yên Bái"
