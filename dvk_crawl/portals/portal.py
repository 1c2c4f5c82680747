"""What a portal is: one declared portal (``seeds/portals/<id>.toml``) with its family's parsers and URL rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from parsel import Selector

from dvk_crawl.dates import VIETNAM, PublicationTime
from dvk_crawl.listing_pages import ListingMarkup
from dvk_crawl.seeds import PortalSeeds
from dvk_crawl.text import normalize_line

if TYPE_CHECKING:
    from dvk_crawl.families.base import ArticleParser


@dataclass(frozen=True)
class Portal:
    """A portal declared once: identity, hosts, URL rules and its layouts' parsers.

    Built by :mod:`dvk_crawl.portals.registry` from the portal's file and its family.

    ``parsers`` are tried in order; the first whose ``matches`` accepts the page
    parses it (a redesign is a new parser class beside the old one).
    """

    id: str
    name: str
    province: str
    home: str
    domains: tuple[str, ...]
    parsers: tuple[type[ArticleParser], ...]
    article_key: Callable[[str], str | None]
    canonicalize: Callable[[str], str]
    former_province: str | None = None
    """The province a whole portal belonged to before the 2025 merger (baoyenbai: Yên Bái)."""
    former_province_markers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For portals of a merged province that cover several former ones (baolaocai):
    ``(former province, place names)`` pairs; an article naming one of the places
    gets that ``former_province``."""
    language: str = "vi"
    family: str = ""
    """The CMS family (:mod:`dvk_crawl.families`) that gave the parsers, URL rule and listing markup."""
    seeds: PortalSeeds = field(default_factory=PortalSeeds)
    """The start points of the portal's file (rss, sitemaps, listings, search, archive, sites)."""
    listing_markup: ListingMarkup = field(default_factory=ListingMarkup)
    listing_date: Callable[[Selector], PublicationTime | None] | None = None
    """The family's reading of a listing item's date; None: the spider's generic one."""

    def former_province_of(self, text: str, published: PublicationTime | None = None) -> str | None:
        """The pre-merger province of an article: the portal's own, else one a marker names.

        Conservative, since a wrong value is wrong research data: markers count only for an
        article dated after the merger (before it, a Lào Cai article naming Yên Bái was about a
        neighbour; an undated one could be either), and only as a place, written after a
        place-type word ("huyện Minh Hóa", "xã Đăk Glei", "khu vực Văn Chấn") or before an
        English one ("Minh Hóa district"): "ông Nguyễn Minh Hóa" is a person."""
        if self.former_province:
            return self.former_province
        if published is None or published.moment < MERGER:
            return None
        text = normalize_line(text)
        for province, places in self.former_province_markers:
            if any(_names_place(text, place) for place in places):
                return province
        return None

    def owns_host(self, host: str) -> bool:
        host = host.lower().split(":")[0]
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def parser_for(self, page: Selector) -> type[ArticleParser]:
        for parser in self.parsers:
            if parser.matches(page):
                return parser
        return self.parsers[-1]


# Resolution 202/2025/QH15: provinces merged and districts abolished on 1 July 2025.
MERGER = datetime(2025, 7, 1, tzinfo=VIETNAM)


# Words that make the name after them a place: the administrative units (old and new map),
# their Party committees ("Huyện ủy Minh Hóa") and "khu vực" ("khu vực Văn Chấn cũ").
_PLACE_BEFORE = (
    r"tỉnh|huyện|thị xã|thành phố|tp\.?|xã|phường|thị trấn|khu vực|địa bàn"
    r"|(?:tỉnh|huyện|thị|thành|đảng) (?:ủy|uỷ)"
)
# English ones after it ("Minh Hóa district").
_PLACE_AFTER = r"province|district|town|city|commune|ward"


def _names_place(text: str, place: str) -> bool:
    """Whether the text names the place as a place: after a place-type word ("huyện Yên Bình"),
    in any case but all lower ("YÊN BÌNH"; not "cuộc sống yên bình", where the words mean
    "peaceful"), and not a person's name ("ông Nguyễn Minh Hóa": no place-type word)."""
    name = re.escape(normalize_line(place))
    pattern = re.compile(
        rf"(?<!\w)(?:(?:{_PLACE_BEFORE})\s+(?P<after>{name})(?!\w)|(?P<before>{name})\s+(?:{_PLACE_AFTER})(?!\w))",
        re.IGNORECASE,
    )
    for match in pattern.finditer(text):
        named = match.group("after") or match.group("before")
        if named != named.lower():
            return True
    return False
