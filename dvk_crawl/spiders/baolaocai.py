"""Báo Lào Cai (baolaocai.vn): RSS, the "dân vận khéo" tag page and site search.

Start points are in ``seeds/baolaocai.toml``. Same CMS family as baohatinh.vn:
``…-post<id>.html`` and the pre-2023 ``/<cat>/<slug>/<id>.htm`` share one key, the
id. Since July 2025 the portal also carries the news of former Yên Bái province.
"""

from __future__ import annotations

from dvk_crawl.spiders.base import PortalSpider


class BaolaocaiSpider(PortalSpider):
    name = "baolaocai"
    portal_id = "baolaocai"
