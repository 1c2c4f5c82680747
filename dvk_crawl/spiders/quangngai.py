"""Quảng Ngãi portals (quangngai.gov.vn and its member portals): listings and site search.

Start points are in ``seeds/quangngai.toml``: Liferay asset-publisher listings of the
district-era member portals (``/web/<site>/tin-tuc``, paged with
``?p_p_id=101_INSTANCE_<x>&…&_101_INSTANCE_<x>_cur=<n>``), category listings of the
post-2025 platform (``/tin-tuc/<category>?page=<n>``) and its search
(``/tim-kiem?q=``). Article URLs and keys: :mod:`dvk_crawl.portals.quangngai`.
"""

from __future__ import annotations

from parsel import Selector

from dvk_crawl.dates import PublicationTime, parse_vietnamese_datetime
from dvk_crawl.listing_pages import ListingMarkup
from dvk_crawl.spiders.base import PortalSpider


class QuangngaiSpider(PortalSpider):
    name = "quangngai"
    portal_id = "quangngai"

    # Liferay lists articles as ``div.asset-abstract`` (its date in ``.asset-metadata``);
    # the new platform as ``div.news-item``. The base rule (article/li/*item*) misses the first.
    LISTING_MARKUP = ListingMarkup(item_classes=("asset-abstract", "item"))
    # The item's own date element first: its summary often starts "Sáng ngày 25/9/2023",
    # which read together with the time of the date line makes a wrong date.
    ITEM_DATE = ".metadata-publish-date, .asset-metadata, .news-date"

    def listing_date(self, item: Selector) -> PublicationTime | None:
        dated = item.css(self.ITEM_DATE) or item
        return parse_vietnamese_datetime(" ".join(dated.css("::text").getall()))
