"""Reading the discovery pages a portal serves oddly: feeds behind the wrong type or with
an entity bomb in their DTD, gzipped sitemaps without ``Content-Encoding``.

The spider counts what each function reports (``dvk/discovery/<name>``, see
``docs/reliability.md``); a page that cannot be read is counted, never silently empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from parsel import Selector
from scrapy.http import Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap

# An RSS or Atom root element near the start, after an XML declaration, comments or a DTD.
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")
_FEED_SNIFF_BYTES = 4096
_UNDECLARED = "ERR_UNDECLARED_ENTITY"
# A DOCTYPE with an internal subset: where entities (a "billion laughs" bomb) are declared.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL)


@dataclass
class Feed:
    """A parsed feed and what reading it took (names counted as ``dvk/discovery/<name>``)."""

    selector: Selector
    notes: list[str] = field(default_factory=list)


def looks_like_feed(body: bytes) -> bool:
    """An RSS or Atom document, whatever the ``Content-Type`` said (portals serve
    ``/rss/home.rss`` as ``text/html``)."""
    return _FEED_ROOT.search(body[:_FEED_SNIFF_BYTES]) is not None


def parse_feed(body: bytes) -> Feed:
    """The feed as XML, its DTD's internal subset removed first.

    Feeds need no DTD; declared entities are how an entity bomb is built, and libxml2,
    stopping at its amplification limit, silently returns the feed cut short there.
    Removed: ``feed_entities``; any error left that cut the document: ``feed_truncated``.
    """
    notes = []
    root_tag = _FEED_ROOT.search(body)
    end_of_prolog = root_tag.start() if root_tag else _FEED_SNIFF_BYTES  # a DTD precedes the root
    prolog, removed = _INTERNAL_SUBSET.subn(b"", body[:end_of_prolog], count=1)
    if removed:
        body = prolog + body[end_of_prolog:]
        notes.append("feed_entities")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(body, parser)
    # A reference to an entity no longer declared costs only itself; any other fatal
    # error (the amplification limit, a document cut off) ended the parse early.
    if any(error.level == etree.ErrorLevels.FATAL and error.type_name != _UNDECLARED for error in parser.error_log):
        notes.append("feed_truncated")
    if root is None:
        return Feed(Selector(text="<rss/>", type="xml"), notes)
    return Feed(Selector(root=root, type="xml"), notes)


class SitemapTooLargeError(ValueError):
    """The gunzipped sitemap would outgrow ``DOWNLOAD_MAXSIZE``."""


def sitemap_body(response: Response, max_size: int) -> bytes:
    """The sitemap's XML: a ``.xml.gz`` served without ``Content-Encoding`` (so Scrapy did
    not decompress it) is gunzipped here, at most ``max_size`` bytes, as Scrapy's own
    ``SitemapSpider._get_sitemap_body`` does."""
    if not gzip_magic_number(response):
        return response.body
    try:
        return gunzip(response.body, max_size=max_size)
    except _DecompressionMaxSizeExceeded:
        raise SitemapTooLargeError(f"{response.url}: more than {max_size} bytes once gunzipped") from None


# What a news or image sitemap shows of an entry: news:title, image:caption, image:title.
_ENTRY_TEXT_TAGS = {"title", "caption"}


class TextSitemap(Sitemap):
    """Scrapy's streaming sitemap reader; each entry also carries ``text``: its ``news:title``,
    ``image:caption`` and ``image:title`` (nested elements Scrapy's entries leave out), the
    evidence targeted discovery reads (:mod:`dvk_crawl.evidence`)."""

    __slots__ = ()

    def _process_sitemap_element(self, elem: etree._Element) -> dict[str, Any] | None:
        # Read before the parent clears the entry's children.
        texts = [
            " ".join(node.itertext()).strip()
            for node in elem.iterdescendants()
            if isinstance(node.tag, str) and etree.QName(node).localname in _ENTRY_TEXT_TAGS
        ]
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry["text"] = " ".join(text for text in texts if text)
        return entry
