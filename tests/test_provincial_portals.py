"""The provincial government portals on the generic family (laocai, yenbai, hatinh): their platform
is unknown, so each is a portal file with its own article URL rule; the replicas' crawls are in
``tests/test_crawl_e2e.py``, their pages in ``tests/fixtures/<portal>/``."""

from __future__ import annotations

import pytest

from dvk_crawl.portals import get_portal


@pytest.mark.parametrize(
    ("portal_id", "province", "former"),
    [("laocai", "Lào Cai", None), ("yenbai", "Lào Cai", "Yên Bái"), ("hatinh", "Hà Tĩnh", None)],
)
def test_each_is_on_generic_in_its_2026_province(portal_id: str, province: str, former: str | None) -> None:
    portal = get_portal(portal_id)
    assert (portal.family, portal.province, portal.former_province) == ("generic", province, former)
    assert portal.seeds.sources == ("live", "archive")


@pytest.mark.parametrize(
    ("portal_id", "url", "key"),
    [
        ("laocai", "https://laocai.gov.vn/tin-tuc-su-kien/lao-cai-nhan-rong-mo-hinh-dan-van-kheo-2418.html", "2418"),
        ("laocai", "http://LAOCAI.gov.vn/tin-tuc-su-kien/x-2418.html?utm_source=zalo#top", "2418"),
        ("laocai", "https://laocai.gov.vn/thong-bao/lich-tiep-cong-dan-thang-12-2026.html", None),
        ("laocai", "https://sotp.laocai.gov.vn/tin-tuc-su-kien/x-2418.html", None),
        ("yenbai", "https://yenbai.gov.vn/tin-tuc/chi-tiet/4187/yen-binh-ra-mat", "4187"),
        ("yenbai", "https://www.yenbai.gov.vn/tin-tuc/chi-tiet/4187", "4187"),
        ("yenbai", "https://yenbai.gov.vn/tin-tuc", None),
        ("hatinh", "https://hatinh.gov.vn/bai-viet/can-loc-lan-toa-phong-trao-dan-van-kheo-1852.htm", "1852"),
        ("hatinh", "https://hatinh.gov.vn/chuyen-muc/tin-tuc", None),
    ],
)  # fmt: skip
def test_article_keys(portal_id: str, url: str, key: str | None) -> None:
    portal = get_portal(portal_id)
    assert portal.article_key(portal.canonicalize(url)) == key


def test_a_lao_cai_article_after_the_merger_naming_a_yen_bai_place_is_marked() -> None:
    laocai = get_portal("laocai")
    assert laocai.former_province_of("các xã thuộc khu vực Văn Chấn cũ") == "Yên Bái"
    assert laocai.former_province_of("huyện Bát Xát") is None
