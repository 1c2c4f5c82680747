"""The provincial government portals on the generic family (laocai, yenbai, hatinh): their platform
is unknown, so each is a portal file with its own article URL rule; the replicas' crawls are in
``tests/test_crawl_e2e.py``, their pages in ``tests/fixtures/<portal>/``."""

from __future__ import annotations

from datetime import datetime

import pytest

from dvk_crawl.dates import VIETNAM, PublicationTime
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
    assert laocai.former_province_of("các xã thuộc khu vực Văn Chấn cũ", AFTER_MERGER) == "Yên Bái"
    assert laocai.former_province_of("huyện Bát Xát", AFTER_MERGER) is None


AFTER_MERGER = PublicationTime(datetime(2025, 9, 1, tzinfo=VIETNAM), "day")


@pytest.mark.parametrize(
    ("portal_id", "text"),
    [
        ("baoquangtri", "Ông Nguyễn Minh Hóa, Bí thư Đảng ủy xã Triệu Phong, phát biểu."),
        ("baoquangtri", "Bà Trần Thị Quảng Bình nhận giấy khen."),
        ("quangngai", "Chị Y Sa Thầy, người có uy tín ở thôn Làng Mới, kể lại."),
        ("baoquangngai", "Anh A Kon Tum dẫn đoàn vào làng."),
    ],
)
def test_a_person_named_like_a_former_place_gives_no_former_province(portal_id: str, text: str) -> None:
    assert get_portal(portal_id).former_province_of(text, AFTER_MERGER) is None


@pytest.mark.parametrize(
    ("portal_id", "text", "former"),
    [
        ("baoquangtri", "Huyện ủy Minh Hóa tổng kết phong trào.", "Quảng Bình"),
        ("baoquangtri", "Người dân xã Minh Hóa ra mắt mô hình.", "Quảng Bình"),
        ("baoquangtri", "Visitors from Minh Hóa district.", "Quảng Bình"),
        ("quangngai", "Đoàn công tác về thị trấn Sa Thầy.", "Kon Tum"),
        ("quangngai", "Cán bộ tỉnh Kon Tum (cũ) tham dự.", "Kon Tum"),
    ],
)
def test_a_place_after_a_place_type_word_gives_its_former_province(portal_id: str, text: str, former: str) -> None:
    assert get_portal(portal_id).former_province_of(text, AFTER_MERGER) == former


def test_an_undated_article_gives_no_former_province_from_its_text() -> None:
    # Nothing places it after the merger: before it, "huyện Minh Hóa" was the neighbour province.
    assert get_portal("baoquangtri").former_province_of("Người dân huyện Minh Hóa ra mắt mô hình.", None) is None
    # A portal that is wholly of the former province keeps it, dated or not.
    assert get_portal("baoquangbinh").former_province_of("Người dân ra mắt mô hình.", None) == "Quảng Bình"
