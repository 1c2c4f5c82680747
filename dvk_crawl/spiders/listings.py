"""What a listing page (tag, topic, category, search) shows: each article link with the date
and text next to it, and the link to the next page. The page is read as a stream
(:class:`~dvk_crawl.listing_pages.ListingScan`), in the markup of the portal's CMS family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urljoin

from parsel import Selector
from scrapy.http import TextResponse

from dvk_crawl.dates import PublicationTime, parse_iso, parse_vietnamese_datetime
from dvk_crawl.identity import Identity
from dvk_crawl.listing_pages import ListingScan
from dvk_crawl.portals.portal import Portal
from dvk_crawl.spiders.addresses import PortalAddresses

Count = Callable[[str], None]


def machine_date(text: str, parse: Callable[[str], PublicationTime | None], count: Count) -> PublicationTime | None:
    """A feed's or listing's machine-readable date; one that does not parse (or is out of
    range, ``9999-12-31T23:00:00-12:00``) costs only itself, counted ``discovery/bad_dates``."""
    published = parse(text) if text.strip() else None
    if text.strip() and published is None:
        count("discovery/bad_dates")
    return published


class ListingReader:
    def __init__(self, portal: Portal, addresses: PortalAddresses, count: Count) -> None:
        self.portal = portal
        self.addresses = addresses
        self.count = count

    def scan(self, response: TextResponse, page: int) -> ListingScan:
        return ListingScan(response.text, self.portal.listing_markup, page)

    def entries(
        self, response: TextResponse, scan: ListingScan | None = None
    ) -> Iterator[tuple[Identity, PublicationTime | None, str | None]]:
        """``(article identity, date shown next to it, its item's text)`` for every article link on a listing;
        a link outside any item has its own text."""
        scan = scan or self.scan(response, page=1)

        def date_and_text(item: Selector) -> tuple[PublicationTime | None, str | None]:
            return self.item_date(item), " ".join(item.css("::text").getall())

        def text_only(anchor: Selector) -> tuple[PublicationTime | None, str | None]:
            return None, " ".join(anchor.css("::text").getall())

        for href, shown in scan.links(date_and_text, text_only):
            identity = self.addresses.link_identity(response.url, href)
            if identity is not None:
                published, text = shown or (None, None)
                yield identity, published, text

    def items(
        self, response: TextResponse, scan: ListingScan | None = None
    ) -> Iterator[tuple[str, PublicationTime | None]]:
        """``(article URL, date shown next to it)`` for every article link on a listing."""
        for identity, published, _ in self.entries(response, scan):
            yield identity.url, published

    def item_date(self, item: Selector) -> PublicationTime | None:
        """The item's own date element first: a summary may mention other dates ("ngày 25/9/2023").
        A family that knows its listings' date element reads it (``Family.listing_date``)."""
        if self.portal.listing_date is not None:
            return self.portal.listing_date(item)
        for stamp in item.css("time::attr(datetime)").getall():
            published = machine_date(stamp, parse_iso, self.count)
            if published:
                return published
        for text in item.css("time ::text, [class*=time] ::text, [class*=date] ::text").getall():
            published = parse_iso(text) or parse_vietnamese_datetime(text)
            if published:
                return published
        return parse_vietnamese_datetime(" ".join(item.css("::text").getall()))

    def next_page_url(self, response: TextResponse, page: int, scan: ListingScan | None = None) -> str | None:
        """Where to fetch page ``page + 1`` of a listing ``scan`` has read (read here if not)."""
        if scan is None:
            scan = self.scan(response, page)
            for _ in scan.links(lambda item: None):
                pass
        for href in scan.next_page_hrefs():
            return self.addresses.fetch_url(self.addresses.to_live(urljoin(response.url, href)))
        return None
