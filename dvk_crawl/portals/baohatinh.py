"""Báo Hà Tĩnh (baohatinh.vn), on the shared news CMS (:mod:`dvk_crawl.portals.bao_cms`).

Hà Tĩnh was not merged in 2025; the portal stays on its domain. The event
subdomain ``daihoidang.baohatinh.vn`` shares the id space. Mirrors that copy its
pages (tinthethaonews.org, yousportnews.co, hatinh24h.com.vn) are not its hosts.
"""

from __future__ import annotations

from dvk_crawl.portals import bao_cms
from dvk_crawl.portals.base import Portal

PORTALS = (
    Portal(
        id="baohatinh",
        name="Báo Hà Tĩnh",
        province="Hà Tĩnh",
        home="https://baohatinh.vn",
        domains=("baohatinh.vn",),
        parsers=(bao_cms.BaoCmsParser,),
        article_key=bao_cms.article_key,
        canonicalize=bao_cms.canonicalize,
    ),
)
