"""Báo Hà Tĩnh (baohatinh.vn): RSS, monthly sitemaps, tag/topic pages and site search.

Start points are in ``seeds/baohatinh.toml``; article URLs ``…-post<id>.html``
(also on ``daihoidang.baohatinh.vn``) and the old ``/<cat>/<slug>/<id>.htm`` share
one key, the id. ``/tv/`` items and mirror sites are never articles of the portal.
"""

from __future__ import annotations

from dvk_crawl.spiders.base import PortalSpider


class BaohatinhSpider(PortalSpider):
    name = "baohatinh"
    portal_id = "baohatinh"
