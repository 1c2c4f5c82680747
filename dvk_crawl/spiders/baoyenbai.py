"""Báo Yên Bái (baoyenbai.com.vn): category RSS feeds and category listings.

Start points are in ``seeds/baoyenbai.toml``. Listings page as
``/<catId>/page/<n>/<CatSlug>.aspx``, which the base spider's ``next_page_url``
follows (the ``/page/<n>/`` path segment), stopping once a page is older than
``-a since``. The site has no known sitemap or search URL. Article links come on
the bare and the ``www.`` host (the RSS uses ``http://www.``) and under any
category id: one article id is one request. ``en.baoyenbai.com.vn`` links are skipped.
"""

from __future__ import annotations

from dvk_crawl.spiders.base import PortalSpider


class BaoyenbaiSpider(PortalSpider):
    name = "baoyenbai"
    portal_id = "baoyenbai"
