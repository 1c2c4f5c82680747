"""Listing pages (tags, topics, categories, search results) read as a stream.

A listing is read once, element by element (lxml's pull parser), and each article
item is handed on and freed as soon as it is closed: a listing of 300,000 links held
210 MB as a whole lxml tree (issue 18), a streamed one holds a few items at a time.

An *item* is the element around a link that carries its date: an ``<article>``, an
``<li>`` or an element whose class holds one of :attr:`ListingMarkup.item_classes`
(the nearest one, as the XPath ``ancestor::*[…][1]`` would find it). The same pass
keeps the links that may lead to the next page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from lxml import etree
from parsel import Selector

T = TypeVar("T")

_CHUNK_CHARACTERS = 1 << 16
_PAGE_IN_URL = re.compile(r"(?P<prefix>[?&](?:page|trang|p|[\w]*_cur)=)(?P<n>\d+)|(?P<path>/page[/-])(?P<pn>\d+)")
_NEXT_TEXTS = {"xem thêm", "trang sau", "sau", "tiếp", "next", "›", "»", ">"}


@dataclass(frozen=True)
class ListingMarkup:
    """What marks an item on a portal's listings."""

    item_classes: tuple[str, ...] = ("item",)

    def is_item(self, element: etree._Element) -> bool:
        if element.tag in ("article", "li"):
            return True
        classes = element.get("class") or ""
        return any(name in classes for name in self.item_classes)


class ListingScan:
    """One pass over a listing page ``page``: :meth:`links`, then :meth:`next_page_hrefs`."""

    def __init__(self, text: str, markup: ListingMarkup, page: int) -> None:
        self.text = text.replace("\x00", "")
        self.markup = markup
        self.page = page
        self._rel_next: list[str] = []
        self._labelled_next: list[str] = []
        self._numbered_next: list[str] = []

    def links(
        self, date_of: Callable[[Selector], T | None], lone_of: Callable[[Selector], T | None] | None = None
    ) -> Iterator[tuple[str, T | None]]:
        """``(href, date_of(its item))`` for every ``<a href>``, in the order items close;
        a link outside any item gets ``lone_of(the anchor)`` (None without ``lone_of``)."""
        parser = etree.HTMLPullParser(events=("start", "end"), huge_tree=True)
        open_items: list[etree._Element] = []
        waiting: dict[etree._Element, list[str]] = {}
        for start in range(0, len(self.text), _CHUNK_CHARACTERS):
            parser.feed(self.text[start : start + _CHUNK_CHARACTERS])
            yield from self._read(parser, open_items, waiting, date_of, lone_of)
        parser.close()
        yield from self._read(parser, open_items, waiting, date_of, lone_of)

    def _read(
        self,
        parser: etree.HTMLPullParser,
        open_items: list[etree._Element],
        waiting: dict[etree._Element, list[str]],
        date_of: Callable[[Selector], T | None],
        lone_of: Callable[[Selector], T | None] | None,
    ) -> Iterator[tuple[str, T | None]]:
        for event, element in parser.read_events():
            if event == "start":
                if self.markup.is_item(element):
                    open_items.append(element)
                    waiting[element] = []
                continue
            href = element.get("href") if element.tag == "a" else None
            if href is not None:
                self._note_pager(element, href)
                owner = self._owner(open_items, element)
                if owner is not None:
                    waiting[owner].append(href)
                else:
                    yield href, lone_of(Selector(root=element, type="html")) if lone_of else None
            if open_items and open_items[-1] is element:
                open_items.pop()
                hrefs = waiting.pop(element)
                if hrefs:
                    published = date_of(Selector(root=element, type="html"))
                    yield from ((h, published) for h in hrefs)
            if not open_items:
                _free(element)

    @staticmethod
    def _owner(open_items: list[etree._Element], anchor: etree._Element) -> etree._Element | None:
        """The nearest item around the anchor, not the anchor itself (``ancestor::``)."""
        around = [item for item in open_items[-2:] if item is not anchor]
        return around[-1] if around else None

    def _note_pager(self, anchor: etree._Element, href: str) -> None:
        if "next" in (anchor.get("rel") or "").split():
            self._rel_next.append(href)
        if " ".join(anchor.itertext()).strip().casefold() in _NEXT_TEXTS:
            self._labelled_next.append(href)
        if page_number(href) == self.page + 1:
            self._numbered_next.append(href)

    def next_page_hrefs(self) -> Iterator[str]:
        """After :meth:`links`: the hrefs that lead to page ``page + 1``, the likeliest first
        (``rel=next``, a "next" label, the page number in the URL)."""
        for href in dict.fromkeys((*self._rel_next, *self._labelled_next, *self._numbered_next)):
            # A disabled "next" on the last page (Liferay's pager) is ``href="javascript:;"``.
            if href.strip().lower().startswith(("javascript:", "#")):
                continue
            if page_number(href) in (None, self.page + 1):
                yield href


def _free(element: etree._Element) -> None:
    """Drop a closed element outside every item, and the siblings before it: read already."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def page_number(href: str) -> int | None:
    match = _PAGE_IN_URL.search(href)
    if not match:
        return None
    return int(match["n"] or match["pn"])
