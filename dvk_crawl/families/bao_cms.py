"""The CMS family of baohatinh.vn and baolaocai.vn (shared with tienphong.vn, nhandan.vn …).

URLs: ``/<slug>-post<id>.html`` (the id is the key, old articles keep it), the
pre-2023 ``/<category>/<slug>/<id>.htm`` (same id space), tag pages
``/<slug>-tag<id>.html``, topics ``/chu-de/<slug>.html``, TV items ``/tv/<slug>-<id>.html``
(another id space: never articles of the portal).
"""

from __future__ import annotations

import copy
import re
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dvk_crawl.dates import PublicationTime
from dvk_crawl.families.base import (
    SITE_NAME_PREFIXES,
    ArticleParser,
    compiled_css,
    drop_node,
    is_byline,
    is_site_name,
    split_authors,
    unique,
)
from dvk_crawl.families.family import Family, FixedUrlRule
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

_POST_ID = re.compile(r"-post(\d+)\.html$")
_OLD_ARTICLE = re.compile(r"^/[a-z0-9-]+/[a-z0-9-]+/(\d+)\.html?$")


def article_key(url: str) -> str | None:
    """The post id of an article URL; None for TV items, listings and anything else.

    ``https://baohatinh.vn/cam-xuyen-…-post259960.html`` → ``259960``;
    ``https://baohatinh.vn/chinh-tri/cam-xuyen-…/229797.htm`` → ``229797``.
    """
    path = urlsplit(url).path
    if path.startswith("/tv/"):
        return None
    match = _POST_ID.search(path) or _OLD_ARTICLE.match(path)
    return match.group(1) if match else None


def canonicalize(url: str) -> str:
    """https, lower-case host without ``www.``, no query or fragment."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return urlunsplit(("https", host, parts.path, "", ""))


class BaoCmsParser(ArticleParser):
    """Article pages of the family since its 2023 redesign (``div.article__body``)."""

    NAME = "bao_cms"
    VERSION = "v1"
    TITLE = ("h1.article__title", "h1.cms-title", ".article__header h1", "article h1")
    LEAD = (".article__sapo", ".cms-desc", ".article__header h2")
    BODY = ("div.article__body", "div.zce-content-body", "div.cms-body", '[itemprop="articleBody"]')
    RELATED = (".article-relate", ".article__relate", ".box-related", ".related-news")
    # Seen on 2025 pages of the family: the event/topic box and the author block sit inside
    # the body container (class names beyond ``article__*`` are the replica's: the box is
    # also found by its heading, see ``_BOX_HEADING``).
    INNER_BOXES = (".article__topic", ".box-event", ".box-topic", ".article__event", ".article__author")
    BODY_NOISE = (
        *ArticleParser.BODY_NOISE,
        *RELATED,
        *INNER_BOXES,
        "figure",
        "figcaption",
        "table.picture",
        ".social",
        ".share",
        ".article__share",
        ".ads",
        ".banner",
    )
    TIME = ("time.time", ".article__meta time", "time[datetime]", ".article__time", ".time")
    AUTHOR = (".article__author", ".author", ".cms-author")
    TAGS = (".article__tag a", ".article__tags a", ".tags a", ".box-tag a")
    SECTION = (".breadcrumb li:last-child a", ".breadcrumb a", ".article__cate a")
    LEAD_PREFIXES = SITE_NAME_PREFIXES
    # "Đọc thêm" heads the related list: it and everything after it are not the article.
    TAIL_MARKERS = (
        re.compile(r"^Đọc thêm\s*:?$", re.IGNORECASE),
        re.compile(r"^Tin (?:liên quan|cùng chuyên mục)\s*:?$", re.IGNORECASE),
    )
    LINE_NOISE = (
        re.compile(r"^Chủ đề\s+\S", re.IGNORECASE),
        re.compile(r"^Tin mới\s+Emagazine\s+Truyền hình\s+Podcast$", re.IGNORECASE),
        re.compile(r"^Về Báo Hà Tĩnh$", re.IGNORECASE),
    )
    _RELATED_HEADING = re.compile(r"^\s*(Đọc thêm|Tin liên quan)\s*:?\s*$", re.IGNORECASE)
    # A box inside the body headed "Sự kiện" / "Chủ đề" (a list of links), whatever its class.
    _BOX_HEADING = re.compile(r"^\s*(Sự kiện|Chủ đề|Dòng sự kiện)\s*:?\s*$", re.IGNORECASE)

    def title(self) -> str | None:
        return self.first_text(*self.TITLE) or super().title()

    def lead(self) -> str | None:
        lead = self.first_text(*self.LEAD)
        return self.strip_lead_prefix(lead) if lead else super().lead()

    # Teasers ("Đọc thêm", sidebars) carry their own ``time.time``: never the article's date.
    _NOT_IN_TEASER = (
        "[not(ancestor::aside or ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' story ')"
        " or contains(@class, 'relate')])]"
    )

    def published_at(self) -> PublicationTime | None:
        # The meta first, on its own: the arguments below each walk the whole page, and
        # evaluating them all for every article was 3% of a crawl's CPU (docs/benchmarks.md).
        return self.first_time(self.meta("article:published_time")) or self.first_time(
            *self.page.xpath(f"//time{self._NOT_IN_TEASER}/@datetime").getall(),
            *(self.time_text(selector) for selector in self.TIME),
            self.json_ld_value("datePublished"),
        )

    def time_text(self, selector: str) -> str | None:
        """Text of the first node of ``selector`` outside teaser lists."""
        for node in self.page.css(selector):
            if node.xpath(f"self::*{self._NOT_IN_TEASER}"):
                text = normalize_line(" ".join(node.css("::text").getall()))
                if text:
                    return text
        return None

    def authors(self) -> list[str]:
        """The author element; else the closing bold byline of the body; else the declared
        author, unless it is the site's own name (``meta name="author"`` on 2025 pages)."""
        names = [name for text in self.all_texts_of(self.AUTHOR) for name in split_authors(text)]
        if names:
            return unique(names)
        if self._closing_byline is not None:
            return split_authors(self._closing_byline)
        declared = self.meta("author") or self.json_ld_author() or ""
        return [] if is_site_name(declared, self.meta("og:site_name")) else split_authors(declared)

    def section(self) -> str | None:
        return self.meta("article:section") or self.json_ld_value("articleSection") or self.first_text(*self.SECTION)

    def tags(self) -> list[str]:
        """Tag links, shown as "#Dân vận khéo" on 2025 pages: the tag is the text without the ``#``."""
        tags = (normalize_line(text.lstrip("#＃")) for text in self.all_texts_of(self.TAGS))
        return unique(tag for tag in tags if tag) or super().tags()

    def images(self) -> list[Image]:
        container = self.body_container()
        if container is None:
            return []
        title = (self.title() or "").casefold()
        related = {node for box in container.css(", ".join(self.RELATED)) for node in box.root.iter()}
        images = []
        for figure in container.css("figure, table.picture"):
            if figure.root in related:  # thumbnails of the related list, not the article's images
                continue
            image = self.captioned_image(figure, "figcaption ::text, .image_desc ::text", title)
            if image is not None:
                images.append(image)
        return images

    def prune_container(self, root: Any) -> None:
        """Cut a "Đọc thêm" heading and all its following siblings (the related list), the
        event/topic boxes found by their heading, and the closing bold byline."""
        self.cut_from_heading(root, self._RELATED_HEADING, "related_list")
        self.drop_headed_boxes(root)
        byline = closing_byline(root)
        if byline is not None:
            drop_node(byline)
            self.cleanup.append("byline")

    def drop_headed_boxes(self, root: Any) -> None:
        """Drop a box (a block with links) whose first text is a "Sự kiện"/"Chủ đề" heading."""
        for node in list(root.iter("div", "section", "aside")):
            if node is root or node.getparent() is None or not node.xpath(".//a"):
                continue
            first = next((t for t in node.xpath(".//text()[normalize-space()]")), "")
            if self._BOX_HEADING.match(first):
                drop_node(node)
                self.cleanup.append("topic_box")

    @cached_property
    def _closing_byline(self) -> str | None:
        """The text of the body's closing bold name block, if it has one."""
        container = self.body_container()
        if container is None:
            return None
        root = copy.deepcopy(container.root)
        for selector in self.BODY_NOISE:
            for node in compiled_css(selector)(root):
                drop_node(node)
        self.cut_from_heading(root, self._RELATED_HEADING, "related_list")
        self.drop_headed_boxes(root)
        byline = closing_byline(root)
        return normalize_line(byline.text_content()) if byline is not None else None

    def all_texts_of(self, selectors: tuple[str, ...]) -> list[str]:
        """Texts of the first selector that matches anything."""
        for selector in selectors:
            texts = self.all_texts(selector)
            if texts:
                return texts
        return []


# Every non-blank text node of the block sits inside <strong> or <b>.
_WHOLLY_BOLD = "not(.//text()[normalize-space()][not(ancestor::strong or ancestor::b)])"
_BLOCK = "self::p or self::div or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"


def closing_byline(root: Any) -> Any | None:
    """The block holding the body's last text when it is a byline: wholly bold
    (``<div><strong>Thanh Ba</strong></div>``, ``<p><b>Thu Hà - Đức Quang</b></p>``) and
    only names ("Bài và ảnh: …" allowed). A bold closing *sentence* is body, not a byline."""
    texts = root.xpath(".//text()[normalize-space()]")
    if not texts:
        return None
    last = texts[-1]
    holder = last.getparent().getparent() if last.is_tail else last.getparent()  # a tail follows its element
    if holder is None:
        return None
    blocks = holder.xpath(f"ancestor-or-self::*[{_BLOCK}]")
    block = blocks[-1] if blocks else None
    if block is None or block is root or not block.xpath(f"self::*[{_WHOLLY_BOLD}]"):
        return None
    names = split_authors(normalize_line(block.text_content()))
    return block if names and all(is_byline(name) for name in names) else None


def url_rule() -> FixedUrlRule:
    """The family's one URL rule: it takes no parameters."""
    return FixedUrlRule(article_key, canonicalize)


# Portals on this CMS: baohatinh, baolaocai (seeds/portals/<id>.toml, family = "bao_cms").
FAMILY = Family(name="bao_cms", parsers=(BaoCmsParser,), url_rule=url_rule)

__all__ = ["FAMILY", "BaoCmsParser", "article_key", "canonicalize"]
