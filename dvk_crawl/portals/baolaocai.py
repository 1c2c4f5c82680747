"""Báo Lào Cai (baolaocai.vn), on the shared news CMS (:mod:`dvk_crawl.portals.bao_cms`).

Same URL shapes as baohatinh.vn: ``/<slug>-post<id>.html``, tags
``/tu-khoa/<slug>-tag<id>.html``, topics ``/chu-de/<slug>.html``, ``/rss/home.rss``.

Yên Bái merged into Lào Cai on 1 July 2025 and its news moved here from
baoyenbai.com.vn, so one portal now covers two former provinces: an article naming a
place of former Yên Bái gets ``former_province: "Yên Bái"``; the rest have none.
The places are the former province's name and its former districts and town,
whose names the new communes and wards mostly kept (xã Mù Cang Chải, phường Nghĩa Lộ).
"""

from __future__ import annotations

from dvk_crawl.portals import bao_cms
from dvk_crawl.portals.base import Portal

YEN_BAI_PLACES = (
    "Yên Bái",
    "Lục Yên",
    "Văn Yên",
    "Trấn Yên",
    "Yên Bình",
    "Văn Chấn",
    "Mù Cang Chải",
    "Trạm Tấu",
    "Nghĩa Lộ",
)

PORTALS = (
    Portal(
        id="baolaocai",
        name="Báo Lào Cai",
        province="Lào Cai",
        home="https://baolaocai.vn",
        domains=("baolaocai.vn",),
        parsers=(bao_cms.BaoCmsParser,),
        article_key=bao_cms.article_key,
        canonicalize=bao_cms.canonicalize,
        former_province_markers=(("Yên Bái", YEN_BAI_PLACES),),
    ),
)
