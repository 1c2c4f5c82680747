"""Former Quảng Bình (quangbinh.gov.vn, Liferay 7 "3CMS" and its older ``/3cms/`` pages): URL rules and sub-sites."""

from __future__ import annotations

import pytest

from dvk_crawl.portals import get_portal, portal_for_url
from dvk_crawl.sites import select_sites

PORTAL = get_portal("quangbinh")
LEGACY_KEY = "botrach.quangbinh.gov.vn/3cms/15422526000001"
LEGACY = (
    "https://botrach.quangbinh.gov.vn/3cms/xa-hoan-trach-lam-duong-giao-thong-nho-dan-van-kheo.htm?art=15422526000001"
)


def test_the_portal_is_quang_tri_with_every_article_from_former_quang_binh() -> None:
    assert (PORTAL.province, PORTAL.former_province, PORTAL.family) == ("Quảng Trị", "Quảng Bình", "liferay_3cms")
    assert portal_for_url("https://donghoi.quangbinh.gov.vn/x").id == "quangbinh"
    assert portal_for_url("https://hailang.quangtri.gov.vn/x").id == "quangtri"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        # the seen shape, on the bare domain (the www site)
        (
            "https://quangbinh.gov.vn/chi-tiet-tin/-/view-article/1/13848241113627/1589692995213",
            "www.quangbinh.gov.vn/1589692995213",
        ),
        (LEGACY, LEGACY_KEY),
        # its print view and other parameters: the same article
        ("http://BoTrach.quangbinh.gov.vn/3cms/Ban-in-312.htm?cmd=130&art=15422526000001#top", LEGACY_KEY),
        # the same art id on another site is another article
        ("https://ldld.quangbinh.gov.vn/3cms/Ban-in-507.htm?art=13969217229087",
         "ldld.quangbinh.gov.vn/3cms/13969217229087"),
        # an old 3CMS page without art, an upload, the old home page: no article
        ("https://snn.quangbinh.gov.vn/3cms/bql-cang-ca-quang-binh.htm", None),
        ("https://syt.quangbinh.gov.vn/3cms/upload/soyte/File/a.pdf?art=1", None),
        ("https://www.quangbinh.gov.vn/3cms/?cmd=170&lang=en", None),
    ],
)  # fmt: skip
def test_article_keys_of_both_3cms_generations(url: str, key: str | None) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(url)) == key
    assert PORTAL.article_key(url) == key


def test_an_old_3cms_url_keeps_its_page_and_only_the_art_parameter() -> None:
    messy = "http://botrach.quangbinh.gov.vn/3cms/xa-hoan-trach-lam-duong-giao-thong-nho-dan-van-kheo.htm?cmd=130&art=15422526000001&cat=5#x"
    assert PORTAL.canonicalize(messy) == LEGACY
    assert PORTAL.canonicalize(LEGACY) == LEGACY


def test_the_district_sub_sites_are_listed_and_the_default_is_the_province_site() -> None:
    table = PORTAL.seeds.site_table
    assert list(select_sites(table, None).sites) == ["www"]
    assert {"donghoi", "badon", "botrach", "quangtrach", "tuyenhoa", "minhhoa", "quangninh", "lethuy"} <= set(
        table.sites
    )
    assert select_sites(table, "sgddt").sites == {"sgddt": "https://sgddt.quangbinh.gov.vn"}
