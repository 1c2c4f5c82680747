"""Cổng thông tin điện tử tỉnh Quảng Trị: www.quangtri.gov.vn and its 3CMS sub-sites.

Department, district and commune sites live under the same domain
(``trieuphong.quangtri.gov.vn``, ``snnmt.quangtri.gov.vn`` …) on the same Liferay 7
"3CMS" portlets (:mod:`dvk_crawl.portals.liferay_3cms`); an article is known by its
host and articleId. ``ubmttqvn.quangtri.gov.vn`` (the Fatherland Front) runs NukeViet,
another platform: its pages are never articles of this portal. baoquangtri.vn, the
provincial newspaper, is another portal. Since July 2025 the province includes former
Quảng Bình; its old portal quangbinh.gov.vn (same family) is not declared here.
"""

from __future__ import annotations

from dvk_crawl.portals import liferay_3cms
from dvk_crawl.portals.base import Portal

URL_RULES = liferay_3cms.UrlRules(domain="quangtri.gov.vn", other_platforms=("ubmttqvn.quangtri.gov.vn",))

PORTALS = (
    Portal(
        id="quangtri",
        name="Cổng thông tin điện tử tỉnh Quảng Trị",
        province="Quảng Trị",
        home="https://www.quangtri.gov.vn",
        domains=("quangtri.gov.vn",),
        parsers=(liferay_3cms.Liferay3CmsParser,),
        article_key=URL_RULES.article_key,
        canonicalize=URL_RULES.canonicalize,
        # Quảng Bình merged into Quảng Trị on 1 July 2025: its former city, town and districts
        # ("Quảng Ninh" is left out: it is also another province's name).
        former_province_markers=(
            (
                "Quảng Bình",
                ("Quảng Bình", "Đồng Hới", "Ba Đồn", "Bố Trạch", "Lệ Thủy", "Minh Hóa", "Tuyên Hóa", "Quảng Trạch"),
            ),
        ),
    ),
)
