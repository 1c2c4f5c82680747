"""The NukeViet family (dvk_crawl/families/nukeviet.py) and its portal ubmttqvn_quangtri.

The fixture cases (tests/fixtures/ubmttqvn_quangtri/) compare every field of whole pages;
these tests take one known selector away at a time and check the fallback that takes over,
and check the URL rule, the listing markup and the host shared with the 3CMS portal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from dvk_crawl import extract_article
from dvk_crawl.extensions.runreport import format_summary
from dvk_crawl.families.nukeviet import NukeVietNewsParser, NukeVietUrlRules
from dvk_crawl.portals import get_portal, portal_for_url
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import PortalSpider
from tests.conftest import run_crawl

PORTAL = get_portal("ubmttqvn_quangtri")
REPLICA = SITES_DIR / "ubmttqvn_quangtri"
HOST = "https://ubmttqvn.quangtri.gov.vn"
HAI_LANG = "/index.php/dan-van-kheo/hai-lang-nhan-rong-mo-hinh-dan-van-kheo-trong-xay-dung-nong-thon-moi-1251.html"
CAM_LO = (
    "/index.php/dan-van-kheo/"
    "cam-lo-gan-phong-trao-dan-van-kheo-voi-cuoc-van-dong-nguoi-viet-nam-uu-tien-dung-hang-viet-nam-1170.html"
)
TRIEU_PHONG = "/index.php/hoat-dong-mttq-cac-cap/trieu-phong-ra-mat-mo-hinh-dan-van-kheo-o-khu-dan-cu-1234.html"


def page(path: str) -> str:
    return (REPLICA / "pages" / path.removeprefix("/index.php/")).read_text(encoding="utf-8")


def parse(html: str, path: str = HAI_LANG) -> NukeVietNewsParser:
    parser = NukeVietNewsParser.from_html(html, HOST + path)
    assert isinstance(parser, NukeVietNewsParser)
    return parser


# -- URL rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (HOST + TRIEU_PHONG, "1234"),
        # the same article under another category's alias, without index.php, with tracking
        (HOST + "/dan-van-kheo/trieu-phong-ra-mat-mo-hinh-dan-van-kheo-o-khu-dan-cu-1234.html?utm_source=zalo", "1234"),
        (HOST + "/news/dan-van-kheo/abc-1234.html", "1234"),
        (HOST + "/index.php/vi/news/dan-van-kheo/abc-1234.html", "1234"),
        (HOST + "/index.php?language=vi&nv=news&op=dan-van-kheo/abc-1234", "1234"),
        # a cloned news module and another language have their own id spaces
        (HOST + "/tin-tuc-mttq/dan-van-kheo/abc-1234.html", "tin-tuc-mttq/1234"),
        (HOST + "/en/news/events/festival-77.html", "en/77"),
    ],
)
def test_article_key_is_the_id_of_the_module(url: str, key: str) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(url)) == key


@pytest.mark.parametrize(
    "path",
    [
        "/index.php/dan-van-kheo/",
        "/index.php/dan-van-kheo/page-2/",
        "/index.php/rss/dan-van-kheo/",
        "/index.php/tag/dan-van-kheo",
        "/index.php/seek/?q=d%C3%A2n+v%E1%BA%ADn",
        "/index.php/print/dan-van-kheo/abc-1251.html",
        "/news/sendmail/dan-van-kheo/abc-1251.html",
        "/news/savefile/dan-van-kheo/abc-1251.html",
        "/index.php/about/lich-su-2020.html",
        "/index.php?language=vi&nv=news&op=dan-van-kheo",
        "/uploads/news/2025_06/hai-lang-1251.jpg",
    ],
)
def test_not_article_urls(path: str) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(HOST + path)) is None


def test_canonical_url_keeps_the_query_only_where_it_is_the_page() -> None:
    assert PORTAL.canonicalize("http://UBMTTQVN.quangtri.gov.vn" + TRIEU_PHONG + "?utm=x#top") == HOST + TRIEU_PHONG
    no_rewrite = HOST + "/index.php?language=vi&nv=news&op=dan-van-kheo/abc-1234"
    assert PORTAL.canonicalize(no_rewrite) == no_rewrite


def test_the_home_module_is_a_family_option() -> None:
    rules = NukeVietUrlRules(home_module="tin-tuc")
    assert rules.article_key(HOST + "/index.php/dan-van-kheo/abc-5.html") == "5"
    assert rules.article_key(HOST + "/index.php/tin-tuc/dan-van-kheo/abc-5.html") == "5"
    assert rules.article_key(HOST + "/index.php/news/dan-van-kheo/abc-5.html") == "news/5"


# -- the host inside quangtri.gov.vn ------------------------------------------------


def test_the_front_host_is_this_portal_and_the_3cms_portal_keeps_it_out() -> None:
    assert portal_for_url(HOST + TRIEU_PHONG).id == "ubmttqvn_quangtri"
    assert portal_for_url("https://trieuphong.quangtri.gov.vn/vi/tin-tuc-su-kien").id == "quangtri"
    assert get_portal("quangtri").article_key(HOST + TRIEU_PHONG) is None


def test_the_page_the_quangtri_replica_links_is_an_article_of_this_portal() -> None:
    """The 3CMS replica's "other platform" page (never fetched by quangtri) is this portal's
    article 1234: same identity and text as the full page of this portal's replica."""
    other = SITES_DIR / "quangtri/pages/ubmttqvn/trieu-phong-ra-mat-mo-hinh-dan-van-kheo-o-khu-dan-cu-1234.html"
    from_3cms_replica = extract_article(other.read_bytes(), HOST + TRIEU_PHONG)
    own = extract_article(page(TRIEU_PHONG).encode(), HOST + TRIEU_PHONG)
    assert from_3cms_replica.id == own.id == "ubmttqvn_quangtri:1234"
    assert (from_3cms_replica.title, from_3cms_replica.text, from_3cms_replica.authors) == (
        own.title,
        own.text,
        own.authors,
    )
    assert "Những tin mới hơn" not in from_3cms_replica.text and "Đang truy cập" not in from_3cms_replica.text


# -- fallbacks, one known selector taken away at a time ------------------------------


def test_without_span_h5_the_schema_org_date_gives_the_time() -> None:
    html = page(HAI_LANG).replace('<span class="h5">', '<span class="date">')
    published = parse(html).published_at()
    assert published is not None and published.isoformat() == "2025-06-12T09:15:00+07:00"


def test_without_any_date_element_the_weekday_line_in_the_panel_gives_the_time() -> None:
    html = re.sub(r'<span class="hidden hide d-none" itemprop="date\w+">[^<]*</span>', "", page(HAI_LANG))
    html = html.replace('<span class="h5">', '<span class="meta">')
    published = parse(html).published_at()
    assert published is not None and (published.isoformat(), published.precision) == (
        "2025-06-12T09:15:00+07:00",
        "minute",
    )


def test_nukeviet_published_time_meta_with_ict_is_not_read_as_a_date() -> None:
    """NukeViet writes ``date('Y-m-dTH:i:s')``: PHP's ``T`` is the zone ("ICT"), not ISO's T."""
    html = page(HAI_LANG)
    assert 'content="2025-06-12ICT09:15:00"' in html
    assert parse(html).first_time("2025-06-12ICT09:15:00") is None


def test_without_the_body_id_the_bodytext_class_is_the_body() -> None:
    parser = parse(page(HAI_LANG).replace('id="news-bodyhtml" ', ""))
    assert parser.body()[0].startswith("Tại hội nghị sơ kết ngày 11/6")


def test_without_any_body_element_the_panel_is_read_without_its_metadata() -> None:
    html = page(HAI_LANG).replace('id="news-bodyhtml" class="bodytext margin-bottom-lg"', 'class="noidung"')
    parsed = parse(html).parse()
    assert parsed.paragraphs[0].startswith("Tại hội nghị sơ kết ngày 11/6")
    assert parsed.paragraphs[-1].endswith("đô thị văn minh”.")
    text = "\n".join(parsed.paragraphs)
    for noise in ("Thứ năm - 12/06/2025", "Sau 5 năm thực hiện", "Tác giả", "Nguồn tin", "Những tin cũ hơn"):
        assert noise not in text


def test_a_source_line_inside_the_body_cuts_only_when_it_closes_it() -> None:
    chart = "<p><em>Nguồn: Tổng cục Thống kê</em></p>"
    closing = "<p>Nguồn: Báo Quảng Trị</p></div>"
    html = page(HAI_LANG).replace("<p><strong>Cách làm từ cơ sở</strong></p>", chart)
    html = html.replace('</p>\n</div>\n<div class="margin-bottom-lg">', "</p>\n" + closing + "\n<div>", 1)
    assert chart in html and closing in html
    paragraphs = parse(html).parse().paragraphs
    assert "Nguồn: Tổng cục Thống kê" in paragraphs
    assert paragraphs[-1].endswith("đô thị văn minh”.") and len(paragraphs) == 4


def test_without_the_h1_the_title_is_og_title() -> None:
    html = page(HAI_LANG).replace('<h1 class="title margin-bottom-lg" itemprop="headline">', '<div class="t">')
    html = html.replace("</h1>", "</div>", 1)
    assert parse(html).title() == "Hải Lăng nhân rộng mô hình “Dân vận khéo” trong xây dựng nông thôn mới"


def test_without_the_page_title_fallback_the_site_name_is_cut_from_title() -> None:
    html = re.sub(r"<h1[^>]*>.*?</h1>", "", page(HAI_LANG))
    html = re.sub(r'<meta property="og:title"[^>]*>', "", html)
    assert parse(html).title() == "Hải Lăng nhân rộng mô hình “Dân vận khéo” trong xây dựng nông thôn mới"


def test_without_breadcrumbs_the_category_feed_names_the_section() -> None:
    html = re.sub(r'<ul class="temp-breadcrumbs hidden".*?</ul>', "", page(TRIEU_PHONG))
    html = re.sub(r'<meta property="article:section"[^>]*>', "", html)
    assert parse(html, TRIEU_PHONG).section() == "Hoạt động MTTQ các cấp"


def test_meta_author_holding_the_site_name_is_no_author() -> None:
    html = page(HAI_LANG).replace('<p class="h5 text-right"><strong>Tác giả: </strong>Hoàng Anh</p>', "")
    assert 'name="author" content="Ủy ban MTTQ Việt Nam tỉnh Quảng Trị"' in html
    assert parse(html).authors() == []


def test_the_source_line_is_not_an_author() -> None:
    path = CAM_LO
    html = page(path)
    assert "Nguồn tin: </strong>Ủy ban MTTQ Việt Nam huyện Cam Lộ" in html
    assert parse(html, path).authors() == []


def test_without_an_article_panel_the_sidebar_gives_no_field() -> None:
    """A teaser's lead, date and author line are never the article's: fields come from the
    panel or the body, not from the page."""
    html = """<html><head><meta name="generator" content="NukeViet v4.5"></head><body>
    <div class="sidebar"><div class="hometext">Lời dẫn của một tin khác trong khối tin mới.</div>
    <span class="h5">Thứ hai - 01/01/2024 08:00</span><p>Tác giả: Người Khác</p></div>
    <div id="news-bodyhtml"><p>Đoạn thân bài duy nhất của bài viết, đủ dài để trafilatura giữ lại nguyên vẹn.</p></div>
    </body></html>"""
    parsed = parse(html).parse()
    assert (parsed.lead, parsed.published, parsed.authors) == (None, None, [])
    assert parsed.paragraphs == ["Đoạn thân bài duy nhất của bài viết, đủ dài để trafilatura giữ lại nguyên vẹn."]


# -- listings -----------------------------------------------------------------------


def make_spider(**arguments: str) -> PortalSpider:
    spider_type = spider_class("ubmttqvn_quangtri")
    spider = spider_type.from_crawler(get_crawler(spider_type), **arguments)
    assert isinstance(spider, PortalSpider)
    return spider


def test_category_page_items_with_their_dates_and_the_next_page() -> None:
    spider = make_spider(base_url="http://127.0.0.1:8000")
    body = (REPLICA / "pages/dan-van-kheo/index.html").read_bytes()
    first = HtmlResponse("http://127.0.0.1:8000/index.php/dan-van-kheo/", body=body, encoding="utf-8")
    items = [(PORTAL.article_key(url), published) for url, published in spider.listings.items(first)]
    assert {(key, p.isoformat()) for key, p in items if p is not None} == {
        ("1262", "2025-08-14T16:40:00+07:00"),
        ("1251", "2025-06-12T09:15:00+07:00"),
    }
    # the sidebar's "Tin mới" links carry no date: never another item's
    assert ("1266", None) in items
    next_url = spider.listings.next_page_url(first, 1)
    assert next_url == "http://127.0.0.1:8000/index.php/dan-van-kheo/page-2/"


def test_last_category_page_has_no_next_page() -> None:
    spider = make_spider(base_url="http://127.0.0.1:8000")
    body = (REPLICA / "pages/dan-van-kheo/page-2.html").read_bytes()
    second = HtmlResponse("http://127.0.0.1:8000/index.php/dan-van-kheo/page-2/", body=body, encoding="utf-8")
    assert {PORTAL.article_key(url) for url, _ in spider.listings.items(second)} >= {"1199", "1234"}
    assert spider.listings.next_page_url(second, 2) is None


def test_the_summary_table_fits_the_long_portal_id() -> None:
    row = {"discovered": 7, "fetched": 6, "stored": 4, "copies": 0, "dropped": {"http_404": 1}}
    header, *lines = format_summary({"ubmttqvn_quangtri": row, "quangtri": row}).splitlines()
    rows = [line for line in lines if line.startswith(("ubmttqvn_quangtri ", "quangtri "))]
    # every count column ends at the same place, the header's included
    assert len(rows) == 2
    assert len({header.index("  dropped"), *(line.index("  http_404") for line in rows)}) == 1


# -- a crawl ------------------------------------------------------------------------


@pytest.mark.slow
def test_crawl_of_the_replica_reads_feeds_categories_and_search(tmp_path: Path) -> None:
    from dvk_crawl.replica import serve

    with serve("ubmttqvn_quangtri") as urls:
        result = run_crawl("ubmttqvn_quangtri", urls["ubmttqvn_quangtri"], tmp_path)
    assert result.returncode == 0, result.output[-3000:]
    records = {r["id"].split(":")[1]: r for r in result.records()}
    # 1170 is linked only from the search results, 1262 and 1251 from the feed and category page
    assert set(records) == {"1170", "1234", "1251", "1262"}
    assert records["1262"]["former_province"] == "Quảng Bình" and records["1234"]["former_province"] is None
    assert records["1251"]["authors"] == ["Hoàng Anh"] and records["1251"]["tags"] == ["dân vận khéo", "nông thôn mới"]
    assert all(r["parser"] == "nukeviet/v1" for r in records.values())
