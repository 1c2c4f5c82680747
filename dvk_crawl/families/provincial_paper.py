"""The ``provincial_paper`` family: provincial newspapers whose CMS nobody identified.

baoquangtri.vn and baoquangngai.vn (portals.md) publish articles at ``/<slug>-<id>.htm``;
their markup is not known beyond what their text shows. The ``generic`` family reads
their bodies well but keeps what these papers print around the article and misses what
they print in it, so this family is the generic reading plus the papers' conventions:

- the lead opens with the paper's dateline: "(Báo Quảng Ngãi)-", "QTO - " (any short
  name in brackets, or a short capitalised abbreviation, then a dash);
- the page tail is headed "Bình luận" (comments), "Cùng chuyên mục", "Đọc tiếp";
- the byline closes the body as "Bài, ảnh: NGUYỄN TRANG" or a bare name in capitals.

The date line "Thứ Tư, 04/03/2026-08:48" is read by :mod:`dvk_crawl.dates`. A copy of a
page whose template was never filled ("{title}", "{publish}") is no article: the
validate stage drops it (``unrendered_template``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from dvk_crawl.families.base import SITE_NAME_PREFIXES, is_byline, split_authors
from dvk_crawl.families.family import Family
from dvk_crawl.families.generic import GenericParser
from dvk_crawl.families.generic import url_rule as generic_url_rule
from dvk_crawl.record import Image

_DEFAULT_ARTICLE_URL = r"-(?P<key>\d+)\.htm$"


class ProvincialPaperParser(GenericParser):
    """Any page of a provincial paper: the generic reading, the papers' datelines, tails and bylines."""

    NAME = "provincial_paper"
    VERSION = "v1"
    LEAD_PREFIXES = (*SITE_NAME_PREFIXES, re.compile(r"^[A-ZĐ]{2,6}\s*[-–—]\s+"))  # and "QTO - "
    TAIL_HEADING: ClassVar[re.Pattern[str]] = re.compile(
        r"^\s*(?:Bình luận|Ý kiến bạn đọc|Cùng chuyên mục|Tin cùng chuyên mục|Đọc tiếp|Tin khác|Tin liên quan"
        r"|Bài liên quan)\s*(?:\(\d+\))?\s*:?\s*$",
        re.IGNORECASE,
    )
    """A heading that starts the page tail: comments, more of the section, the next article."""
    TAIL_MARKERS = (*GenericParser.TAIL_MARKERS, TAIL_HEADING)
    TAG_BOXES: ClassVar[tuple[str, ...]] = ('[class*="tags"]', '[class*="keyword"]', '[class*="tag-list"]')
    """The tag box inside the article (its links are ``tags``, read from the page, not text)."""
    BODY_NOISE = (*GenericParser.BODY_NOISE, *TAG_BOXES)
    TAG_LINE: ClassVar[re.Pattern[str]] = re.compile(r"^(?:Từ khóa|Từ khoá|Tags?)\s*:", re.IGNORECASE)
    """… and by its text, whatever its markup: "Từ khóa: Dân vận khéo Đông Hà"."""
    LINE_NOISE = (*GenericParser.LINE_NOISE, TAG_LINE)
    BYLINE_PREFIX: ClassVar[re.Pattern[str]] = re.compile(
        r"^(?:(?:Bài|Tin|Ảnh|Clip)(?:\s*(?:,|và|-|/)\s*(?:ảnh|clip|video))*|Nhóm phóng viên)\s*:\s*", re.IGNORECASE
    )
    """ "Bài, ảnh: ", "Tin và ảnh: ", "Ảnh: " before the writer's name."""

    def authors(self) -> list[str]:
        # Capitals are the papers' typography ("NGUYỄN TRANG"); other portals print "Nguyễn Trang",
        # and a researcher counting articles per writer needs one spelling.
        return [name.title() if name.isupper() else name for name in super().authors()]

    def prune_container(self, root: Any) -> None:
        """The generic cuts, then every tail box by its heading: a page has several ("Bình luận",
        "Cùng chuyên mục", "Đọc tiếp"), each a heading in its own box, and trafilatura drops
        the headings, so the paragraph-level cut would not see them."""
        super().prune_container(root)
        while self.cut_from_heading(root, self.TAIL_HEADING, "tail_box"):
            pass

    def clean_paragraphs(self, paragraphs: list[str], title: str | None, images: list[Image]) -> list[str]:
        """The generic cleanup, then a closing "Bài, ảnh: NAME" line as the byline."""
        kept = super().clean_paragraphs(paragraphs, title, images)
        if kept and not self.byline:
            names = self.byline_names(kept[-1])
            if names:
                kept.pop()
                self.byline = names
                self.cleanup.append("byline")
        return kept

    def byline_names(self, line: str) -> list[str]:
        """The names of a byline line ("Bài, ảnh: NGUYỄN TRANG - MINH THU"); none for a sentence."""
        stripped = self.BYLINE_PREFIX.sub("", line, count=1)
        if stripped == line:
            return []
        names = split_authors(stripped)
        return names if names and all(is_byline(name) for name in names) else []


@dataclass(frozen=True)
class HtmUrlRule:
    """``/<slug>-<id>.htm`` (or the portal's ``article_url``): the id is the key; https, host
    in lower case without ``www.``, no query or fragment."""

    article_url: re.Pattern[str]

    def article_key(self, url: str) -> str | None:
        match = self.article_url.search(urlsplit(url).path)
        if match is None:
            return None
        return match.group("key")

    def canonicalize(self, url: str) -> str:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().removeprefix("www.")
        return urlunsplit(("https", host, parts.path or "/", "", ""))


def url_rule(article_url: str = _DEFAULT_ARTICLE_URL) -> HtmUrlRule:
    """The article URL rule; ``[family_options] article_url`` replaces the ``-<id>.htm`` pattern
    (checked as the generic family checks its own)."""
    return HtmUrlRule(generic_url_rule(article_url).article_url)


# Portals on this family: baoquangtri, baoquangngai (seeds/portals/<id>.toml).
FAMILY = Family(name="provincial_paper", parsers=(ProvincialPaperParser,), url_rule=url_rule)

__all__ = ["FAMILY", "HtmUrlRule", "ProvincialPaperParser"]
