"""Quảng Trị (Liferay 7 "3CMS"): URL rules, dates, empty portlets and the ``sites`` argument."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from dvk_crawl import extract_article
from dvk_crawl.dates import from_epoch_millis, parse_vietnamese_datetime
from dvk_crawl.extract import ExtractionError
from dvk_crawl.families.liferay_3cms import Liferay3CmsParser, article_id_of
from dvk_crawl.portals import get_portal
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.sites import SiteSelectionError, SiteTable, select_sites
from dvk_crawl.spiders import spider_class
from tests.conftest import ROOT

QuangtriSpider = spider_class("quangtri")

PORTAL = get_portal("quangtri")
REPLICA = SITES_DIR / "quangtri"
SEED_URL = "https://trieuphong.quangtri.gov.vn/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213"
SEED_KEY = "trieuphong.quangtri.gov.vn/1606789047213"


@pytest.mark.parametrize(
    "url",
    [
        SEED_URL,
        "https://trieuphong.quangtri.gov.vn/vi/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213",
        "http://TrieuPhong.QuangTri.gov.vn/vi/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213/",
        # another category id, a query and a fragment: still the one article
        "https://trieuphong.quangtri.gov.vn/chi-tiet-tin/-/view-article/1/1572938218539/1606789047213?inheritRedirect=true#top",
        "https://trieuphong.quangtri.gov.vn:443/vi_VN/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213",
    ],
)
def test_one_key_per_host_and_article_id(url: str) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(url)) == SEED_KEY
    assert PORTAL.article_key(url) == SEED_KEY


def test_canonical_url_is_https_lower_case_without_locale_query_or_fragment() -> None:
    url = "http://TRIEUPHONG.quangtri.gov.vn/vi/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213?x=1#y"
    assert PORTAL.canonicalize(url) == SEED_URL
    assert PORTAL.canonicalize(SEED_URL) == SEED_URL


def test_bare_domain_is_the_province_site() -> None:
    bare = "https://quangtri.gov.vn/chi-tiet-tin/-/view-article/1/13729062791727/1574304721680"
    assert PORTAL.article_key(bare) == "www.quangtri.gov.vn/1574304721680"
    assert PORTAL.canonicalize(bare).startswith("https://www.quangtri.gov.vn/chi-tiet-tin/")


def test_sub_sites_keep_apart_the_same_article_id() -> None:
    path = "/chi-tiet-tin/-/view-article/1/1/1606789047213"
    keys = {PORTAL.article_key(f"https://{sub}.quangtri.gov.vn{path}") for sub in ("www", "trieuphong", "trieuco")}
    assert len(keys) == 3


@pytest.mark.parametrize(
    "url",
    [
        # NukeViet (Fatherland Front): another platform, never an article of this portal
        "https://ubmttqvn.quangtri.gov.vn/index.php/hoat-dong-mttq-cac-cap/trieu-phong-ra-mat-mo-hinh-dan-van-kheo-o-khu-dan-cu-1234.html",
        "https://ubmttqvn.quangtri.gov.vn/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213",
        "https://baoquangtri.vn/nghia-tinh-salavan-va-champasak-135352.htm",
        "https://quangbinh.gov.vn/chi-tiet-tin/-/view-article/1/13848241113627/1589692995213",
        "https://trieuphong.quangtri.gov.vn/vi/chi-tiet-tin",
        "https://trieuphong.quangtri.gov.vn/vi/tin-tuc-su-kien?p_p_id=listarticle_WAR_3cmsnewportlet&_listarticle_WAR_3cmsnewportlet_cur=2",
        "https://www.quangtri.gov.vn/o/3cmsnew-portlet/ViewImage?imagename=DJI_0299_1618562528082.jpg",
    ],
)
def test_not_article_urls(url: str) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(url)) is None


def test_nukeviet_sub_site_page_is_not_extracted() -> None:
    page = REPLICA / "pages/ubmttqvn/trieu-phong-ra-mat-mo-hinh-dan-van-kheo-o-khu-dan-cu-1234.html"
    url = "https://ubmttqvn.quangtri.gov.vn/index.php/hoat-dong-mttq-cac-cap/trieu-phong-ra-mat-mo-hinh-dan-van-kheo-o-khu-dan-cu-1234.html"
    with pytest.raises(ExtractionError) as error:
        extract_article(page.read_bytes(), url, "quangtri")
    assert error.value.reason == "not_article_url"


# -- dates --------------------------------------------------------------------------


def test_date_line_of_the_3cms_portlet() -> None:
    parsed = parse_vietnamese_datetime("9:17, Thứ Ba, 1-12-2020")
    assert parsed is not None and parsed.isoformat() == "2020-12-01T09:17:00+07:00"


def test_without_a_date_line_the_article_id_gives_the_minute() -> None:
    page = REPLICA / "pages/trieuphong/chi-tiet-tin/1615864985462.html"
    assert "Thứ" not in Selector(text=page.read_text(encoding="utf-8")).css(".article-detail").get()
    url = "https://trieuphong.quangtri.gov.vn/chi-tiet-tin/-/view-article/1/1505358318716/1615864985462"
    article = extract_article(page.read_bytes(), url, "quangtri")
    assert article.published_at == "2021-03-16T10:23:00+07:00"
    assert article.published_at_precision == "minute"


def test_article_id_out_of_range_is_no_date() -> None:
    html = '<section class="portlet" id="portlet_viewarticle_WAR_3cmsnewportlet"><h1>T</h1></section>'
    parser = Liferay3CmsParser.from_html(html, "https://www.quangtri.gov.vn/chi-tiet-tin/-/view-article/1/1/42")
    assert parser.published_at() is None


def test_replica_article_ids_agree_with_their_date_lines_to_the_minute() -> None:
    pages = sorted(REPLICA.glob("pages/*/chi-tiet-tin/*.html"))
    checked = 0
    for page in pages:
        line = Selector(text=page.read_text(encoding="utf-8")).css(".article-date::text").get()
        if not line:
            continue
        stated = parse_vietnamese_datetime(line)
        created = from_epoch_millis(int(page.stem))
        assert stated is not None and created is not None
        assert stated.moment == created.moment.replace(second=0, microsecond=0), page.name
        checked += 1
    assert checked >= 4


# -- pages that are no article ------------------------------------------------------


def test_deleted_article_is_an_empty_portlet_with_no_body() -> None:
    page = REPLICA / "pages/www/chi-tiet-tin/1608257133725.html"
    url = "https://www.quangtri.gov.vn/chi-tiet-tin/-/view-article/1/1373249691172/1608257133725"
    article = extract_article(page.read_bytes(), url, "quangtri")
    # a title (the Liferay page's) and no text: the validate stage drops it as "empty"
    assert article.title and article.text == ""
    assert article.authors == [] and article.images == [] and article.view_count is None


def test_section_comes_from_the_breadcrumb_not_the_article_page_itself() -> None:
    crumbs = '<ul class="breadcrumb"><li>Trang chủ</li><li>{}</li><li>Chi tiết tin</li></ul>'
    for middle, section in (("Tin tức - Sự kiện", "Tin tức - Sự kiện"), ("Chi tiết tin", None)):
        parser = Liferay3CmsParser.from_html(crumbs.format(middle), SEED_URL)
        assert parser.section() == section


# -- the spider: sites, start points, replica links ---------------------------------


def test_sites_default_to_the_whole_table_and_unknown_names_are_named() -> None:
    table = {"www": "https://www.quangtri.gov.vn", "trieuphong": "https://trieuphong.quangtri.gov.vn"}
    assert select_sites(SiteTable(table), None).sites == table
    assert list(select_sites(SiteTable(table), " trieuphong , www,trieuphong").sites) == ["trieuphong", "www"]
    # without a site_url template, a name the table lacks is an error
    with pytest.raises(SiteSelectionError, match="unknown site\\(s\\) foo; known sites: www, trieuphong"):
        select_sites(SiteTable(table), "trieuphong,foo")


def make_spider(**arguments: str) -> QuangtriSpider:
    crawler = get_crawler(QuangtriSpider)
    spider = QuangtriSpider.from_crawler(crawler, **arguments)
    assert isinstance(spider, QuangtriSpider)
    return spider


def test_start_points_are_the_selected_sites_listings_and_sitemaps() -> None:
    spider = make_spider(sites="trieuphong")
    assert [r.url for r in spider.start_points()] == [
        "https://trieuphong.quangtri.gov.vn/sitemap.xml",
        "https://trieuphong.quangtri.gov.vn/vi/tin-tuc-su-kien",
    ]
    replica = make_spider(sites="www,trieuphong", base_url="http://127.0.0.1:8000")
    assert {r.url for r in replica.start_points()} == {
        "http://127.0.0.1:8000/sitemap.xml",
        "http://127.0.0.1:8000/tin-trong-tinh",
        "http://127.0.0.1:8000/vi/tin-tuc-su-kien",
    }


def test_replica_listing_links_to_other_sub_sites_keep_their_host() -> None:
    spider = make_spider(sites="www", base_url="http://127.0.0.1:8000")
    body = (REPLICA / "pages/www/tin-trong-tinh.html").read_bytes()
    response = HtmlResponse("http://127.0.0.1:8000/tin-trong-tinh", body=body, encoding="utf-8")
    keys = {PORTAL.article_key(url) for url, _ in spider.listings.items(response)}
    assert keys == {
        "www.quangtri.gov.vn/1608257133725",
        "www.quangtri.gov.vn/1607907352640",
        "www.quangtri.gov.vn/1607589738309",
        SEED_KEY,
    }


def test_listing_pages_through_the_portlet_cur_parameter() -> None:
    spider = make_spider(sites="trieuphong", base_url="http://127.0.0.1:8000")
    pages = {n: (REPLICA / f"pages/trieuphong/tin-tuc-su-kien{s}.html").read_bytes() for n, s in ((1, ""), (2, "-p2"))}
    first = HtmlResponse("http://127.0.0.1:8000/vi/tin-tuc-su-kien", body=pages[1], encoding="utf-8")
    # the sidebar's NukeViet article (ubmttqvn) is no article link of the portal
    assert {PORTAL.article_key(url) for url, _ in spider.listings.items(first)} == {
        SEED_KEY,
        "trieuphong.quangtri.gov.vn/1615864985462",
    }
    next_url = spider.listings.next_page_url(first, 1)
    assert next_url is not None and next_url.startswith("http://127.0.0.1:8000/vi/tin-tuc-su-kien?")
    assert re.search(r"_listarticle_WAR_3cmsnewportlet_INSTANCE_tp1k_cur=2", next_url)
    second = HtmlResponse(next_url, body=pages[2], encoding="utf-8")
    assert spider.listings.next_page_url(second, 2) is None


@pytest.mark.slow
def test_a_malformed_site_name_is_a_one_line_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "quangtri", "-a", "sites=trieuphong,no_where"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode == 2
    assert len(errors) == 1 and "'no_where' is no sub-domain name" in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_article_id_helper() -> None:
    assert article_id_of(SEED_URL) == 1606789047213
    assert article_id_of("https://www.quangtri.gov.vn/tin-trong-tinh") is None
