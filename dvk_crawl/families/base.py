"""The base of every article parser, and the helpers the CMS families share.

A parser takes ``(html, url)`` and returns a :class:`ParsedPage`; it never sees a
Scrapy response. One short method per field, each trying the portal's own markup
first and generic fallbacks (Open Graph, ``article:*`` meta, JSON-LD) after, so a
layout change degrades one field instead of losing the article.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urljoin

import trafilatura
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from parsel import Selector

from dvk_crawl.dates import PublicationTime, parse_iso, parse_vietnamese_datetime
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line, split_paragraphs


@dataclass
class ParsedPage:
    """The fields a parser read off one page, before annotation (language, relevance)."""

    title: str | None
    lead: str | None
    paragraphs: list[str]
    published: PublicationTime | None
    updated: PublicationTime | None
    authors: list[str]
    section: str | None
    tags: list[str]
    images: list[Image]
    attachments: list[str] = field(default_factory=list)
    view_count: int | None = None
    cleanup: list[str] = field(default_factory=list)
    """Names of the cleanup rules that removed something: what ``inspect`` shows."""


class ArticleParser:
    """Base of the layout parsers. Subclasses set the selectors and override fields."""

    NAME: ClassVar[str] = "base"
    VERSION: ClassVar[str] = "v1"
    BODY: ClassVar[tuple[str, ...]] = ()
    """CSS selectors of the article container, tried in order."""
    BODY_NOISE: ClassVar[tuple[str, ...]] = ("script", "style", "noscript", "iframe", "form")
    """CSS selectors removed from a copy of the container before trafilatura sees it."""
    LEAD_PREFIXES: ClassVar[tuple[re.Pattern[str], ...]] = ()
    TAIL_MARKERS: ClassVar[tuple[re.Pattern[str], ...]] = ()
    """A paragraph matching one of these starts the page tail: it and all after it go."""
    LINE_NOISE: ClassVar[tuple[re.Pattern[str], ...]] = ()
    """Paragraphs matching one of these are dropped wherever they stand."""

    def __init__(self, page: Selector, url: str) -> None:
        self.url = url
        self.page = page
        self.cleanup: list[str] = []

    @classmethod
    def from_html(cls, html: str, url: str) -> ArticleParser:
        return cls(Selector(text=html), url)

    @classmethod
    def matches(cls, page: Selector) -> bool:
        """Whether this layout parser fits the page (a marker in the markup)."""
        return any(page.css(selector) for selector in cls.BODY)

    # -- the fields ---------------------------------------------------------------

    def parse(self) -> ParsedPage:
        title = self.title()
        images = self.images()
        return ParsedPage(
            title=title,
            lead=self.lead(),
            paragraphs=self.clean_paragraphs(self.body(), title, images),
            published=self.published_at(),
            updated=self.updated_at(),
            authors=self.authors(),
            section=self.section(),
            tags=self.tags(),
            images=images,
            attachments=self.attachments(),
            view_count=self.view_count(),
            cleanup=self.cleanup,
        )

    def title(self) -> str | None:
        return self.meta("og:title") or self.json_ld_value("headline") or self.first_text("title")

    def lead(self) -> str | None:
        lead = self.meta("og:description") or self.meta("description")
        return self.strip_lead_prefix(lead) if lead else None

    def body(self) -> list[str]:
        container = self.body_container()
        return self.extract_paragraphs(container) if container is not None else []

    def published_at(self) -> PublicationTime | None:
        return self.first_time(
            self.meta("article:published_time"),
            self.json_ld_value("datePublished"),
        )

    def updated_at(self) -> PublicationTime | None:
        return self.first_time(self.meta("article:modified_time"), self.json_ld_value("dateModified"))

    def authors(self) -> list[str]:
        return split_authors(self.meta("author") or self.json_ld_author() or "")

    def section(self) -> str | None:
        return self.meta("article:section") or None

    def tags(self) -> list[str]:
        tags = [t for t in self.page.css('meta[property="article:tag"]::attr(content)').getall() if t]
        if not tags:
            keywords = self.meta("news_keywords") or ""
            tags = keywords.split(",")
        return unique(normalize_line(t) for t in tags if normalize_line(t))

    def images(self) -> list[Image]:
        return []

    def attachments(self) -> list[str]:
        """Files the article links (PDF, office documents, images), from its body container
        when there is one: a sidebar's documents are not the article's. A link around an
        ``<img>`` is the article's picture (in ``images``), not an attachment."""
        container = self.body_container()
        return attachment_links(container if container is not None else self.page, self.absolute)

    def view_count(self) -> int | None:
        return None

    def canonical_url(self) -> str | None:
        """The page's own ``link[rel=canonical]`` (or ``og:url``), absolute."""
        href = self.page.css('link[rel="canonical"]::attr(href)').get() or self.meta("og:url")
        return self.absolute(href) if href else None

    # -- helpers for subclasses ---------------------------------------------------

    def meta(self, name: str) -> str | None:
        """``<meta property=name>`` or ``<meta name=name>`` content, normalised."""
        for attr in ("property", "name", "itemprop"):
            value = self.page.css(f'meta[{attr}="{name}"]::attr(content)').get()
            if value and normalize_line(value):
                return normalize_line(value)
        return None

    def first_text(self, *selectors: str) -> str | None:
        """Text of the first selector that yields non-empty text."""
        return first_text_in(self.page, *selectors)

    def all_texts(self, selector: str) -> list[str]:
        texts = (normalize_line(" ".join(n.css("::text").getall())) for n in self.page.css(selector))
        return [t for t in texts if t]

    def first_time(self, *candidates: str | None) -> PublicationTime | None:
        """The first candidate that parses as ISO 8601 or as a Vietnamese date line."""
        for value in candidates:
            if not value:
                continue
            parsed = parse_iso(value) or parse_vietnamese_datetime(value)
            if parsed:
                return parsed
        return None

    def json_ld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object on the page (graphs flattened); broken blocks skipped."""
        objects: list[dict[str, Any]] = []
        for block in self.page.css('script[type="application/ld+json"]::text').getall():
            try:
                data = json.loads(block)
            except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
                continue
            items = data if isinstance(data, list) else data.get("@graph", [data])
            objects.extend(item for item in items if isinstance(item, dict))
        return objects

    def json_ld_value(self, key: str) -> str | None:
        for obj in self.json_ld():
            value = obj.get(key)
            if isinstance(value, str) and normalize_line(value):
                return normalize_line(value)
        return None

    def json_ld_author(self) -> str | None:
        for obj in self.json_ld():
            author = obj.get("author")
            people = author if isinstance(author, list) else [author]
            names = [p.get("name") if isinstance(p, dict) else p for p in people]
            joined = ", ".join(n for n in names if isinstance(n, str) and n.strip())
            if joined:
                return joined
        return None

    def strip_lead_prefix(self, lead: str) -> str:
        for pattern in self.LEAD_PREFIXES:
            stripped = pattern.sub("", lead, count=1)
            if stripped != lead:
                self.cleanup.append("lead_dateline")
                return stripped.strip()
        return lead

    def captioned_image(self, holder: Selector, caption_css: str, title: str) -> Image | None:
        """The first ``<img>`` of ``holder`` (a figure, a picture table), captioned by the text of
        ``caption_css`` inside it; no caption when that only repeats the (casefolded) ``title``."""
        img = holder.css("img")
        url = image_source(img[0].root) if img else None
        if url is None:
            return None
        caption = normalize_line(" ".join(holder.css(caption_css).getall()))
        return Image(self.absolute(url), caption if caption and caption.casefold() != title else None)

    def absolute(self, link: str) -> str:
        return urljoin(self.url, link.strip())

    def body_container(self) -> Selector | None:
        for selector in self.BODY:
            found = self.page.css(selector)
            if found:
                return found[0]
        return None

    def extract_paragraphs(self, container: Selector) -> list[str]:
        """Body paragraphs through trafilatura, on a cleaned copy of the container only.

        Restricting trafilatura to the container keeps navigation, sidebars and
        footers out even where its own boilerplate detection would keep them.
        """
        root = copy.deepcopy(container.root)
        for selector in self.BODY_NOISE:
            for node in compiled_css(selector)(root):
                drop_node(node)
                self.cleanup.append(f"drop:{selector}")
        self.prune_container(root)
        wrapper = lxml_html.fromstring("<html><body></body></html>")
        wrapper.find("body").append(root)
        text = trafilatura.extract(
            wrapper,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            favor_recall=True,
            deduplicate=False,
        )
        return split_paragraphs(text or "")

    def prune_container(self, root: Any) -> None:
        """Hook for structural cuts inside the container (e.g. everything after "Đọc thêm")."""

    def cut_from_heading(self, root: Any, heading: re.Pattern[str], rule: str) -> bool:
        """Remove the first element whose whole text matches ``heading``, and all its following
        siblings: a related list or the page tail that the portal puts inside the article."""
        for node in list(root.iter()):
            if node.getparent() is None or not isinstance(node.tag, str):
                continue
            if heading.match(node.text_content() or ""):
                for sibling in list(node.itersiblings()):
                    drop_node(sibling)
                drop_node(node)
                self.cleanup.append(rule)
                return True
        return False

    def clean_paragraphs(self, paragraphs: list[str], title: str | None, images: list[Image]) -> list[str]:
        """Cut the page tail; drop repeated titles, captions and known noise lines."""
        title_key = (title or "").casefold()
        captions = {i.caption.casefold() for i in images if i.caption}
        kept = []
        for paragraph in paragraphs:
            key = paragraph.casefold()
            if any(marker.search(paragraph) for marker in self.TAIL_MARKERS):
                self.cleanup.append("tail_cut")
                break
            if title_key and key == title_key:
                self.cleanup.append("title_repeat")
            elif key in captions:
                self.cleanup.append("caption_in_text")
            elif any(noise.search(paragraph) for noise in self.LINE_NOISE):
                self.cleanup.append("noise_line")
            else:
                kept.append(paragraph)
        return kept


ATTACHMENT_LINK = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|zip|rar|7z|jpe?g|png|gif|webp|tiff?)(\?|#|$)", re.IGNORECASE
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\s[-–—]\s|\svà\s|\s&\s)\s*")


LAZY_IMAGE_ATTRIBUTES = ("data-src", "data-original", "data-lazy-src", "src")


def image_source(img: Any) -> str | None:
    """The real address of an ``<img>`` (lxml element): lazy-loading attributes first,
    placeholder ``data:`` URIs skipped."""
    for attribute in LAZY_IMAGE_ATTRIBUTES:
        value = (img.get(attribute) or "").strip()
        if value and not value.startswith("data:"):
            return value
    return None


def attachment_links(scope: Selector, absolute: Callable[[str], str]) -> list[str]:
    """Absolute URLs of the files linked in ``scope`` (links around an image left out)."""
    hrefs = scope.xpath(".//a[not(.//img)]/@href").getall()
    return unique(absolute(href) for href in hrefs if ATTACHMENT_LINK.search(href.strip()))


def flatten_layout_tables(root: Any) -> bool:
    """ASP.NET pages lay out title, date and body in table cells; trafilatura would print
    them as table rows ("| … |"). Tables holding paragraphs, blocks or images (a photo
    with its caption cell) become plain divs; data tables (text cells only) stay tables.
    Whether any table was flattened."""
    layout = [t for t in root.iter("table") if t.xpath(".//p | .//div | .//h1 | .//h2 | .//table | .//img")]
    for table in layout:
        for node in [table, *table.xpath("./tr | ./*/tr | ./tr/td | ./*/tr/td | ./tbody | ./thead")]:
            node.tag = "div"
    return bool(layout)


def is_byline(text: str) -> bool:
    """A bare name line: up to five capitalised words, no sentence punctuation ("Đức Toàn")."""
    words = text.replace(" - ", " ").split()
    return 0 < len(words) <= 5 and len(text) <= 40 and all(w[0].isupper() and w.isalpha() for w in words)


def first_text_in(scope: Selector, *selectors: str) -> str | None:
    """Text of the first selector that yields non-empty text inside ``scope`` (a page, a portlet)."""
    for selector in selectors:
        for node in scope.css(selector):
            text = normalize_line(" ".join(node.css("::text").getall()))
            if text:
                return text
    return None


SITE_NAME_PREFIXES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\(\s*[\w.\-]+\.vn\s*\)\s*[-–—:]?\s*", re.IGNORECASE),
    re.compile(r"^\(\s*[^()]{1,40}?\s*\)\s*[-–—:]\s*"),
)
"""A lead opening with the paper's short name in brackets and a dash: "(Baohatinh.vn) - ",
"(PLO)- ", "(Báo Quảng Ngãi)-" (portals.md: strip any, not one portal's). After a ``.vn``
name the dash may be missing, as on old baohatinh pages."""

# Names a site gives itself as the author ("Báo Lào Cai điện tử", "baolaocai.vn"): not a writer.
_SITE_AUTHOR = re.compile(r"^(?:Báo|Tạp chí|Trang tin|Cổng thông tin)\b|\bđiện tử$|\.vn\b", re.IGNORECASE)


def is_site_name(name: str, site_name: str | None) -> bool:
    """Whether a declared author is the site itself: 2025 pages of the bao_cms family put
    "Báo Lào Cai điện tử" in ``meta name="author"`` (portals.md); ``site_name`` is ``og:site_name``."""
    return bool(_SITE_AUTHOR.search(name)) or bool(site_name and site_name.casefold() in name.casefold())


def split_authors(text: str) -> list[str]:
    """ "Thu Hà - Đức Quang", "A, B" and "A và B" are two authors each."""
    text = normalize_line(re.sub(r"^(?:Tác giả|Bài(?: và ảnh)?|Nguồn(?: tin)?)\s*:\s*", "", text.strip()))
    return unique(name for name in _AUTHOR_SPLIT.split(text) if name)


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order, without repeats."""
    return list(dict.fromkeys(values))


@functools.cache
def compiled_css(selector: str) -> CSSSelector:
    """A CSS selector compiled once: lxml's ``cssselect()`` translates it to XPath on every call."""
    return CSSSelector(selector, translator="html")


def drop_node(node: Any) -> None:
    """Remove a node but keep its tail text (lxml attaches following text to it)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail and node.tail.strip():
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)
