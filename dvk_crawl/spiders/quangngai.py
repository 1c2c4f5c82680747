"""Quảng Ngãi portals (quangngai.gov.vn and its member portals): listings and site search.

Start points are in ``seeds/quangngai.toml``: Liferay asset-publisher listings of the
district-era member portals (``/web/<site>/tin-tuc``, paged with
``?p_p_id=101_INSTANCE_<x>&…&_101_INSTANCE_<x>_cur=<n>``), category listings of the
post-2025 platform (``/tin-tuc/<category>?page=<n>``) and its search
(``/tim-kiem?q=``). Article URLs and keys: :mod:`dvk_crawl.portals.quangngai`.
"""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import TextResponse

from dvk_crawl.dates import PublicationTime, parse_vietnamese_datetime
from dvk_crawl.spiders.base import PortalSpider, anchors


class QuangngaiSpider(PortalSpider):
    name = "quangngai"
    portal_id = "quangngai"

    # Liferay lists articles as ``div.asset-abstract`` (its date in ``.asset-metadata``);
    # the new platform as ``div.news-item``. The base rule (article/li/*item*) misses the first.
    LISTING_ITEM = (
        "ancestor::*[self::article or self::li or contains(@class, 'asset-abstract') or contains(@class, 'item')][1]"
    )
    # The item's own date element first: its summary often starts "Sáng ngày 25/9/2023",
    # which read together with the time of the date line makes a wrong date.
    ITEM_DATE = ".metadata-publish-date, .asset-metadata, .news-date"

    def listing_items(self, response: TextResponse) -> Iterator[tuple[str, PublicationTime | None]]:
        for anchor in anchors(response):
            url = self.canonical_from_link(response, anchor.attrib["href"])
            if url is None:
                continue
            item = anchor.xpath(self.LISTING_ITEM)
            dated = item.css(self.ITEM_DATE) or item
            published = parse_vietnamese_datetime(" ".join(dated.css("::text").getall())) if item else None
            yield url, published
