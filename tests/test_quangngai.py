"""Quảng Ngãi portals: URL rules (keys, canonical URLs), layouts, date lines, paging."""

from __future__ import annotations

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from dvk_crawl.dates import parse_vietnamese_datetime
from dvk_crawl.extract import ExtractionError, extract_with_details
from dvk_crawl.families.liferay_asset import LiferayAssetParser
from dvk_crawl.families.quangngai_gov import QuangNgaiPortalParser, article_key, canonicalize
from dvk_crawl.portals import get_portal, portal_for_url
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.spiders import spider_class

QuangngaiSpider = spider_class("quangngai")

ML = "https://minhlong.quangngai.gov.vn"
DETAIL = f"{ML}/web/minhlong/xem-chi-tiet/-/asset_publisher/Content"
SEED = f"{DETAIL}/hoi-nghi-so-ket-tong-ket-chi-thi-cua-dang-ve-linh-vuc-dan-van?4029104"
PAGES = SITES_DIR / "quangngai" / "pages"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (SEED, "minhlong/4029104"),
        # The double-slash spelling is the same article.
        (SEED.replace("asset_publisher/Content", "asset_publisher//Content"), "minhlong/4029104"),
        # The url-title is not the identity; extra query parameters are not either.
        (
            f"{ML}/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/other-title?4029104&redirect=%2Fweb",
            "minhlong/4029104",
        ),
        # A member site's page on the main host (Liferay serves /web/<site>/ on every host).
        ("https://quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/x?4029104", "minhlong/4029104"),
        (
            "https://www.quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/x?4021566",
            "portal-qni/4021566",
        ),
        # Another site, same id: another article.
        (f"{ML}/web/longson/xem-chi-tiet/-/asset_publisher/Content/x?4029104", "longson/4029104"),
        # Virtual-host URLs without /web/<site>/: the site is the sub-domain, or the province site.
        (f"{ML}/xem-chi-tiet/-/asset_publisher/Content/x?4029104", "minhlong/4029104"),
        ("https://quangngai.gov.vn/xem-chi-tiet/-/asset_publisher/Content/x?4021566", "portal-qni/4021566"),
        # Liferay's own spelling: /<instanceId>/content/.
        (f"{ML}/web/minhlong/tin-tuc/-/asset_publisher/aB3cD4/content/x?77", "minhlong/77"),
        # New platform: the slug, with or without category segments; sub-sites prefix their name.
        ("https://quangngai.gov.vn/tin-tuc/xa-minh-long-nhan-rong.html", "tin-tuc/xa-minh-long-nhan-rong"),
        (
            "https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong/xa-minh-long-nhan-rong.html",
            "tin-tuc/xa-minh-long-nhan-rong",
        ),
        (
            "https://mangden.quangngai.gov.vn/tin-tuc/thong-tin-chi-dao/hoat-dong-cua-lanh-dao/xa-mang-den-ky-ket.html",
            "mangden/tin-tuc/xa-mang-den-ky-ket",
        ),
    ],
)
def test_article_keys(url: str, key: str) -> None:
    assert article_key(url) == key
    assert article_key(canonicalize(url)) == key


@pytest.mark.parametrize(
    "url",
    [
        # An asset-publisher URL without its ?<id> renders nothing: not an article URL.
        "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/ly-son-island",
        f"{ML}/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/gioi-thieu?redirect=%2Fweb",
        # Listings, paging, search, uploads.
        f"{ML}/web/minhlong/tin-tuc",
        f"{ML}/web/minhlong/tin-tuc?p_p_id=101_INSTANCE_hT7k&_101_INSTANCE_hT7k_cur=2",
        "https://quangngai.gov.vn/web/portal-qni/tin-noi-bat",
        "https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong",
        "https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong?page=2",
        "https://quangngai.gov.vn/tim-kiem?q=dân vận khéo",
        "https://quangngai.gov.vn/upload/2006516/20260304/mo-hinh.jpg",
    ],
)
def test_not_article_urls(url: str) -> None:
    assert article_key(url) is None


def test_canonical_url_keeps_the_liferay_id_only() -> None:
    messy = "http://WWW.Minhlong.QuangNgai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher//Content/x?4029104&redirect=%2Fweb#top"
    assert (
        canonicalize(messy)
        == "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/x?4029104"
    )
    assert (
        canonicalize("https://quangngai.gov.vn/tin-tuc/a/b.html?utm_source=zalo#x")
        == "https://quangngai.gov.vn/tin-tuc/a/b.html"
    )


def test_hosts() -> None:
    assert portal_for_url(SEED).id == "quangngai"
    assert portal_for_url("https://mangden.quangngai.gov.vn/tin-tuc/x.html").id == "quangngai"
    assert not get_portal("quangngai").owns_host("baoquangngai.vn")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("28/09/2023 10:48\u00a0\u00a0 39", "2023-09-28T10:48:00+07:00"),  # Liferay: date, time, views
        ("Thứ Tư, 04/03/2026 08:48", "2026-03-04T08:48:00+07:00"),  # new platform (inferred)
        ("Thứ Năm, 12/10/2023 16:20 Lượt xem: 2.318", "2023-10-12T16:20:00+07:00"),
    ],
)
def test_date_lines(text: str, iso: str) -> None:
    parsed = parse_vietnamese_datetime(text)
    assert parsed is not None and parsed.isoformat() == iso


def page(path: str) -> str:
    return (PAGES / path).read_text(encoding="utf-8")


def test_layout_is_chosen_by_markup() -> None:
    portal = get_portal("quangngai")
    liferay = Selector(
        text=page("web/minhlong/hoi-nghi-so-ket-tong-ket-chi-thi-cua-dang-ve-linh-vuc-dan-van-4029104.html")
    )
    empty = Selector(text=page("web/minhlong/xem-chi-tiet-empty.html"))
    new = Selector(text=page("tin-tuc/xa-minh-long-nhan-rong-mo-hinh-dan-van-kheo-gan-voi-giam-ngheo-ben-vung.html"))
    assert portal.parser_for(liferay) is LiferayAssetParser
    assert portal.parser_for(empty) is LiferayAssetParser
    assert portal.parser_for(new) is QuangNgaiPortalParser


def test_seed_lead_caption_and_author_are_metadata_not_body() -> None:
    details = extract_with_details(
        page("web/minhlong/hoi-nghi-so-ket-tong-ket-chi-thi-cua-dang-ve-linh-vuc-dan-van-4029104.html"),
        SEED,
        "quangngai",
    )
    article = details.article
    assert article.lead is not None and article.lead.startswith("Sáng ngày 25/9/2023, Huyện ủy tổ chức")
    assert article.images[0].caption == "Hội nghị sơ kết, tổng kết nghị quyết, chỉ thị của Đảng về lĩnh vực dân vận"
    assert article.authors == ["Thị Thoang"] and article.view_count == 39
    assert article.text.startswith("Hội nghị đã thông qua Báo cáo tổng kết 10 năm")
    assert article.text.endswith("hiệu quả công tác dân vận.../.")
    assert {"lead_paragraph", "caption", "author_line"} <= set(details.parsed.cleanup)


def test_deleted_liferay_article_parses_to_an_empty_body() -> None:
    url = f"{DETAIL}/minh-long-ra-mat-mo-hinh-dan-van-kheo-tai-xa-long-mai?4030877"
    article = extract_with_details(page("web/minhlong/xem-chi-tiet-empty.html"), url, "quangngai").article
    assert article.id == "quangngai:minhlong/4030877"
    assert article.text == "" and article.published_at is None  # validate drops it as "empty"


def test_id_less_asset_publisher_url_is_refused() -> None:
    with pytest.raises(ExtractionError) as error:
        extract_with_details(
            page("web/minhlong/xem-chi-tiet-empty.html"),
            f"{ML}/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/gioi-thieu",
            "quangngai",
        )
    assert error.value.reason == "not_article_url"


def test_lead_falls_back_to_nothing_when_the_opening_paragraph_is_a_bold_heading() -> None:
    html = """<div class="portlet-boundary_101_"><div class="asset-full-content"><h3 class="header-title">T</h3>
    <div class="journal-content-article"><p><strong>Kết quả nổi bật</strong></p>
    <p>Một đoạn văn bình thường của bài viết.</p>
    <p style="text-align: right;"><strong>Tin, ảnh: Hồng Nhung</strong></p></div></div></div>"""
    parser = LiferayAssetParser(Selector(text=html), SEED)
    assert parser.lead() is None
    assert parser.authors() == ["Hồng Nhung"]


def test_date_and_views_from_the_text_line_without_liferay_classes() -> None:
    html = """<div class="asset-full-content"><h1>T</h1><div class="info">28/09/2023 10:48 &nbsp; 39</div>
    <div class="journal-content-article"><p>Thân bài.</p></div></div>"""
    parser = LiferayAssetParser(Selector(text=html), SEED)
    published = parser.published_at()
    assert published is not None and published.isoformat() == "2023-09-28T10:48:00+07:00"
    assert parser.view_count() == 39


def response(url: str, path: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=(PAGES / path).read_bytes(), encoding="utf-8")


def test_liferay_paging_follows_cur_and_ignores_the_disabled_next() -> None:
    spider = QuangngaiSpider()
    first = spider.listings.next_page_url(response(f"{ML}/web/minhlong/tin-tuc", "web/minhlong/tin-tuc.html"), 1)
    assert first is not None and first.endswith("_101_INSTANCE_hT7kQ2mZp9Xa_cur=2")
    assert spider.listings.next_page_url(response(first, "web/minhlong/tin-tuc-cur-2.html"), 2) is None


def test_liferay_listing_items_carry_their_dates() -> None:
    spider = QuangngaiSpider()
    items = dict(spider.listings.items(response(f"{ML}/web/minhlong/tin-tuc", "web/minhlong/tin-tuc.html")))
    seed = items[SEED]
    assert seed is not None and seed.isoformat() == "2023-09-28T10:48:00+07:00"
    assert not any("gioi-thieu" in url for url in items)  # the id-less menu link is no article


def test_new_platform_paging() -> None:
    spider = QuangngaiSpider()
    cat = "https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong"
    assert (
        spider.listings.next_page_url(response(cat, "tin-tuc/tin-tu-cac-so-nganh-dia-phuong.html"), 1)
        == f"{cat}?page=2"
    )
    assert (
        spider.listings.next_page_url(
            response(f"{cat}?page=2", "tin-tuc/tin-tu-cac-so-nganh-dia-phuong-page-2.html"), 2
        )
        is None
    )
