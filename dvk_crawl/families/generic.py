"""The ``generic`` family: any news page, for portals on a platform we have no parser for.

No selector here belongs to one portal. The body is trafilatura's reading of the page's
article container (``[itemprop=articleBody]``, the one ``<article>``, ``<main>``, else
``<body>``) once page chrome (navigation, header, footer, asides) and share bars are
removed; the fields come from what publishers declare for search engines and social
networks (Open Graph, ``article:*`` meta, JSON-LD, ``<time>``), then from the page text
(the Vietnamese date line after the headline, a breadcrumb, tag links).

The boilerplate rules are the ones every Vietnamese portal needs, each a named class
constant so a test can show what it removes: view counters, skip links, "Đọc thêm",
"Tin liên quan" and share bars. A portal whose pages this family reads badly gets a
family parser instead (see ``docs/generic-family.md`` for where the line lies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from dvk_crawl.dates import PublicationTime
from dvk_crawl.families.base import (
    SITE_NAME_PREFIXES,
    ArticleParser,
    flatten_layout_tables,
    is_byline,
    is_site_name,
    split_authors,
    unique,
)
from dvk_crawl.families.family import Family
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

# Teasers, sidebars and page chrome carry their own dates, images and links: never the article's.
_OUTSIDE_CHROME = (
    "[not(ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::*[contains(@class, 'relate') or contains(@class, 'sidebar') or contains(@class, 'footer')])]"
)


_VIEWS = re.compile(r"^Lượt xem\s*:?\s*(\d[\d.,]*)$|^(\d[\d.,]*)\s*lượt xem$", re.IGNORECASE)
# Every non-blank text node of the block sits inside <strong> or <b>.
_WHOLLY_BOLD = "self::*[not(.//text()[normalize-space()][not(ancestor::strong or ancestor::b)])]"
_TITLE_SEPARATOR = re.compile(r"\s+[-|–—]\s+")
# Editors' picture tables (FCKeditor/CKEditor "image" tables of Vietnamese CMSes).
_PICTURE_TABLE = "[contains(@class, 'image') or contains(@class, 'picture')]"


class GenericParser(ArticleParser):
    """Any HTML page with article text; nothing specific to one portal or CMS."""

    NAME = "generic"
    VERSION = "v1"
    BODY = ('[itemprop="articleBody"]', "article", '[role="main"]', "main", "body")
    CHROME_NODES: ClassVar[tuple[str, ...]] = (
        "nav",
        "aside",
        "footer",
        "header:not(article header)",
        "figure",
        "figcaption",
        "input",
        "select",
        "button",
        '[role="navigation"]',
        '[class*="breadcrumb"]',
        '[class*="relate"]',
        '[class*="banner"]',
        '[class*="advert"]',
    )
    """Page chrome: navigation, header, footer, asides, forms' fields, related boxes; figures
    (their pictures and captions are ``images``, not text)."""
    # -- the boilerplate of Vietnamese portals, one rule per kind -------------------
    # Each kind is removed wherever it stands; a test removes each rule and sees its noise come back.
    COUNTER: ClassVar[re.Pattern[str]] = re.compile(
        r"^[-•·*]?\s*(?:Lượt xem|Lượt đọc|Số lượt (?:truy cập|xem)|Tổng (?:số )?lượt (?:truy cập|xem)"
        r"|Đang (?:truy cập|online)|Hôm nay|Trong tuần|Trong tháng|Tổng cộng)\s*:?\s*[\d.,]*$|^[\d.,]+\s*lượt xem$",
        re.IGNORECASE,
    )
    """A view or visitor counter line: "Lượt xem: 1.204", "- Số lượt truy cập: 550"."""
    SKIP_LINK: ClassVar[re.Pattern[str]] = re.compile(
        r"^(?:Truy cập nội dung luôn|Bỏ qua (?:nội dung|đến nội dung(?: chính)?)"
        r"|Chuyển (?:đến|tới) nội dung(?: chính)?|Skip to (?:main )?content)$",
        re.IGNORECASE,
    )
    """The accessibility link to the content (Liferay's "Truy cập nội dung luôn"), by its text …"""
    SKIP_LINK_NODES: ClassVar[tuple[str, ...]] = ('a[href^="#main"]', 'a[href^="#content"]', '[class*="skip"]')
    """… and by its markup, whatever it says."""
    READ_MORE: ClassVar[re.Pattern[str]] = re.compile(r"^(?:>>\s*)?(?:Đọc thêm|Xem thêm)\s*:\s*\S.*$", re.IGNORECASE)
    """An inline teaser inside the article: "Đọc thêm: <another article's title>"."""
    READ_MORE_HEADING: ClassVar[re.Pattern[str]] = re.compile(
        r"^\s*(?:>>\s*)?(?:Đọc thêm|Xem thêm)\s*:?\s*$", re.IGNORECASE
    )
    """A "Đọc thêm" heading: it and the teasers after it go (as an element and as a paragraph)."""
    _RELATED_WORDS = (
        r"(?:Tin|Các tin|Bài|Bài viết) (?:liên quan|cùng chuyên mục|khác|đã đưa|mới(?: nhất)?|đọc nhiều|xem nhiều)"
        r"|Cùng chuyên mục|Thống kê truy cập|Đọc nhiều|Xem nhiều|Có thể bạn quan tâm"
    )
    RELATED_HEADING: ClassVar[re.Pattern[str]] = re.compile(rf"^\s*(?:{_RELATED_WORDS})\s*:?\s*$", re.IGNORECASE)
    """A "Tin liên quan" heading (or "Tin cùng chuyên mục", "Các tin khác" …): it and all after it go."""
    _SHARE_WORD = (
        r"(?:Chia sẻ|Share|Facebook|Zalo|Twitter|X|Email|E-mail|Gửi email|In bài(?: viết)?|In"
        r"|Sao chép liên kết|Copy link|Lưu|Tweet|Like)"
    )
    SHARE_BAR: ClassVar[re.Pattern[str]] = re.compile(
        rf"^[-•·*]?\s*{_SHARE_WORD}(?:\s*[:|/·•,-]?\s*{_SHARE_WORD})*\s*:?\s*\d*$", re.IGNORECASE
    )
    """A share bar by its text: "Chia sẻ Facebook Zalo", "In bài viết" …"""
    SHARE_BAR_NODES: ClassVar[tuple[str, ...]] = (
        '[class*="share"]',
        '[class*="social"]',
        '[class*="print"]',
        '[class*="toolbar"]',
    )
    """… and by its markup (icons without text)."""
    # Not ``form``: ASP.NET pages wrap the whole page, article included, in one.
    BODY_NOISE = (
        *("script", "style", "noscript", "iframe", "textarea"),
        *CHROME_NODES,
        *SHARE_BAR_NODES,
        *SKIP_LINK_NODES,
    )
    TAIL_MARKERS: ClassVar[tuple[re.Pattern[str], ...]] = (RELATED_HEADING, READ_MORE_HEADING)
    LINE_NOISE: ClassVar[tuple[re.Pattern[str], ...]] = (COUNTER, SKIP_LINK, READ_MORE, SHARE_BAR)
    LEAD_PREFIXES: ClassVar[tuple[re.Pattern[str], ...]] = SITE_NAME_PREFIXES
    TITLE_CRUMBS: ClassVar[frozenset[str]] = frozenset({"xem chi tiết", "chi tiết tin", "chi tiết", "tin tức"})
    GENERIC_CRUMBS: ClassVar[frozenset[str]] = frozenset({"trang chủ", "home", "tin tức", "chi tiết", "chi tiết tin"})
    TAGS = ('[rel="tag"]', '[class*="tags"] a', '[class*="tag-"] a', '[class*="keyword"] a')
    AUTHOR = ('[itemprop="author"] [itemprop="name"]', '[itemprop="author"]', '[rel="author"]', '[class*="author"]')
    DATE_LINE: ClassVar[re.Pattern[str]] = re.compile(
        r"^•?\s*(?:(?:Cập nhật|Ngày đăng|Đăng lúc|Ngày cập nhật|Ngày|Đăng ngày|Thời gian)\s*:?\s*)?"
        r"(?:(?:Thứ\s+\S+|Chủ\s+nhật)\s*,?\s*)?[\d/:\-.,| ]*(?:AM|PM|GMT\+7)?\s*$",
        re.IGNORECASE,
    )
    """A paragraph that is only a date line ("• Cập nhật: Thứ hai, 4/3/2024 | 2:26:47 PM")."""
    SITE_DESCRIPTION: ClassVar[re.Pattern[str]] = re.compile(
        r"^(?:Cổng thông tin|Trang thông tin|Báo điện tử|Trang tin)\b[^.]{0,80}$", re.IGNORECASE
    )
    """A description that names the site, not the article (Liferay puts the site's on every page)."""
    SAPO_WINDOW = 15
    SAPO_MIN_LENGTH = 60
    HEAD_WINDOW = 8
    """Paragraphs searched for the headline repeated in the body: what precedes it is page head."""
    DATE_LINE_WINDOW = 25
    """Text nodes after the headline searched for a date line (the page head's "today" comes before it)."""

    @classmethod
    def matches(cls, page: Selector) -> bool:
        """Any HTML page with some text in its body."""
        texts = page.xpath("//body//*[not(self::script or self::style or self::noscript)]/text()[normalize-space()]")
        return bool(texts)

    def __init__(self, page: Selector, url: str) -> None:
        super().__init__(page, url)
        self.byline: list[str] = []
        """The closing name line the body cleanup removed: the authors when the page declares none."""

    @cached_property
    def _json_ld(self) -> list[dict[str, Any]]:
        return super().json_ld()

    def json_ld(self) -> list[dict[str, Any]]:
        return self._json_ld

    def body_container(self) -> Selector | None:
        """The first of ``BODY`` holding paragraphs: an ``<article>`` teaser with none is skipped."""
        for selector in self.BODY:
            for node in self.page.css(selector):
                if selector == "body" or len(node.xpath(".//p")) >= 2:
                    return node
        return None

    # -- the fields ---------------------------------------------------------------

    def title(self) -> str | None:
        """Declared headline; else the ``<h1>`` the ``<title>`` starts with; else ``<title>``
        without its site-name segments ("… - Xem chi tiết - ỦY BAN NHÂN DÂN HUYỆN …")."""
        site_name = self.meta("og:site_name")
        declared = self.meta("og:title") or self.json_ld_value("headline")
        if declared:
            return self.strip_site_name(declared, {site_name.casefold()} if site_name else set())
        page_title = self.first_text("title") or ""
        headings = self.all_texts("h1")
        for heading in headings:
            if page_title.startswith(heading) and len(heading) < len(page_title):
                return heading
        chrome = {h.casefold() for h in headings} | ({site_name.casefold()} if site_name else set())
        return self.strip_site_name(page_title, chrome) or (headings[0] if headings else None)

    def strip_site_name(self, title: str, names: set[str]) -> str:
        """``title`` without trailing `` - <site name>`` / `` | <crumb>`` segments."""
        while True:
            separators = list(_TITLE_SEPARATOR.finditer(title))
            last = title[separators[-1].end() :].casefold() if separators else ""
            if not separators or (last not in names and last not in self.TITLE_CRUMBS):
                return title
            title = title[: separators[-1].start()]

    def lead(self) -> str | None:
        """The declared description unless it is the site's own; else the sapo: the first
        block of the container that is a sentence set wholly in bold."""
        declared = self.meta("og:description") or self.meta("description") or self.json_ld_value("description")
        lead = declared if declared and not self.SITE_DESCRIPTION.match(declared) else self.bold_sapo()
        return self.strip_lead_prefix(lead) if lead else None

    @cached_property
    def _bold_sapo(self) -> str | None:
        container = self.body_container()
        if container is None:
            return None
        blocks = container.xpath(f"(.//p | .//div[not(.//p or .//div)]){_OUTSIDE_CHROME}[normalize-space()]")
        for block in blocks[: self.SAPO_WINDOW]:
            text = normalize_line(" ".join(block.css("::text").getall()))
            if len(text) >= self.SAPO_MIN_LENGTH and block.xpath(_WHOLLY_BOLD):
                return text
        return None

    def bold_sapo(self) -> str | None:
        return self._bold_sapo

    def published_at(self) -> PublicationTime | None:
        """The article's own metadata, then its ``<time>`` and the date line after the headline:
        never a date of page chrome or of a teaser box ("Đọc thêm", "Tin khác" and the other
        ``TAIL_MARKERS``), which dates another article."""
        times = [t for t in self.page.xpath(f"//time{_OUTSIDE_CHROME}") if t.root not in self._teaser_nodes]
        return self.first_time(self.meta("article:published_time")) or self.first_time(
            self.json_ld_value("datePublished"),
            self.meta("datePublished"),
            *(t.attrib.get("datetime", "") for t in times),
            *(normalize_line(" ".join(t.xpath(".//text()").getall())) for t in times),
            *self.date_line_candidates(),
        )

    @cached_property
    def _teaser_nodes(self) -> set[Any]:
        """The elements of teaser boxes: what follows a heading of ``TAIL_MARKERS`` ("Đọc thêm",
        "Tin liên quan", "Cùng chuyên mục" …) beside it, from the outermost element the heading
        alone fills (``<div class="head"><span>Tin khác</span></div><ul>…``)."""
        teasers: set[Any] = set()
        for heading in self.page.xpath("//body//*[string-length(normalize-space()) < 40][normalize-space()]"):
            if not any(marker.match(normalize_line(heading.xpath("string()").get(""))) for marker in self.TAIL_MARKERS):
                continue
            node = heading.root
            while (
                node.getparent() is not None
                and len(node.getparent()) == 1
                and not (node.getparent().text or "").strip()
            ):
                node = node.getparent()
            for sibling in node.itersiblings():
                teasers.update(sibling.iter())
        return teasers

    def updated_at(self) -> PublicationTime | None:
        return self.first_time(
            self.meta("article:modified_time"), self.json_ld_value("dateModified"), self.meta("dateModified")
        )

    def date_line_candidates(self) -> list[str]:
        """Short text nodes right after the headline, where portals print the date line."""
        texts = self.page.xpath(f"(//h1)[1]/following::text()[normalize-space()]{_OUTSIDE_CHROME}").getall()
        lines = [normalize_line(t) for t in texts[: self.DATE_LINE_WINDOW]]
        tail = next((i for i, t in enumerate(lines) if any(m.match(t) for m in self.TAIL_MARKERS)), len(lines))
        return [t for t in lines[:tail] if len(t) <= 80]  # a teaser box's dates are other articles'

    def authors(self) -> list[str]:
        declared = self.meta("author") or self.meta("article:author") or self.json_ld_author()
        if declared and not declared.startswith("http") and not is_site_name(declared, self.meta("og:site_name")):
            return split_authors(declared)
        for selector in self.AUTHOR:
            names = [n for t in self.all_texts(selector) if len(t) <= 60 for n in split_authors(t)]
            if names:
                return unique(names)
        return self.byline

    def section(self) -> str | None:
        crumbs = [c for c in self.all_texts('[class*="breadcrumb"] a') if c.casefold() not in self.GENERIC_CRUMBS]
        return self.meta("article:section") or self.json_ld_value("articleSection") or (crumbs[-1] if crumbs else None)

    def tags(self) -> list[str]:
        declared = super().tags()
        if declared:
            return declared
        for selector in self.TAGS:
            tags = [t for t in self.all_texts(selector) if len(t) <= 60]
            if tags:
                return unique(tags)
        return []

    def images(self) -> list[Image]:
        """Pictures of the article container: in a ``<figure>`` (captioned by its ``figcaption``)
        or in an editor's picture table (``table.image``, ``table.picture``: captioned by its
        other cell). Other ``<img>`` are icons, logos and teasers."""
        container = self.body_container()
        if container is None:
            return []
        title = (self.title() or "").casefold()
        images = []
        for holder in container.xpath(f".//figure{_OUTSIDE_CHROME} | .//table{_OUTSIDE_CHROME}{_PICTURE_TABLE}"):
            image = self.captioned_image(holder, "figcaption ::text, td:not(:has(img)) ::text", title)
            if image is not None:
                images.append(image)
        return images

    def view_count(self) -> int | None:
        """The article's "Lượt xem: 1.204" (or "1.204 lượt xem"); not a site counter ("Tổng số lượt xem")."""
        for text in self.page.xpath("//body//text()[contains(., 'lượt xem') or contains(., 'Lượt xem')]").getall():
            match = _VIEWS.match(normalize_line(text))
            if match:
                return int(re.sub(r"\D", "", match.group(1) or match.group(2)))
        return None

    # -- body cleanup -------------------------------------------------------------

    def prune_container(self, root: Any) -> None:
        """Flatten layout tables; cut a related-list heading and all its following siblings."""
        if flatten_layout_tables(root):
            self.cleanup.append("layout_table")
        for heading in self.TAIL_MARKERS:
            self.cut_from_heading(root, heading, "related_list")

    def clean_paragraphs(self, paragraphs: list[str], title: str | None, images: list[Image]) -> list[str]:
        """Also cut the page head up to the repeated headline, and drop the lead repeated in
        the body, bare date lines and the closing byline (a bare name: "Đức Toàn")."""
        head = [i for i, p in enumerate(paragraphs[: self.HEAD_WINDOW]) if title and p.casefold() == title.casefold()]
        if head:
            paragraphs = paragraphs[head[0] :]
            self.cleanup.append("head_cut")
        lead = (self.lead() or "").casefold()
        kept = []
        for paragraph in super().clean_paragraphs(paragraphs, title, images):
            if lead and self.strip_lead_prefix(paragraph).casefold() == lead:
                self.cleanup.append("lead_repeat")
            elif self.DATE_LINE.match(paragraph):
                self.cleanup.append("date_line")
            else:
                kept.append(paragraph)
        if kept and is_byline(kept[-1]):
            self.byline = split_authors(kept.pop())
            self.cleanup.append("byline")
        return kept


@dataclass(frozen=True)
class PatternUrlRule:
    """A portal file's own article URL rule: ``article_url``, a regular expression searched in
    the canonical URL whose group ``key`` is the article key (:func:`url_rule` refuses a rule
    without one, or whose key can be empty). A group
    ``site`` prefixes it (``<site>/<key>``): for an estate of sites whose ids are per site
    (``(?P<site>[a-z0-9-]+)[.]kontum[.]gov[.]vn/…-(?P<key>[0-9]+)$``).

    The canonical URL is the page's URL on ``https`` without query or fragment, host in lower
    case: what most news CMSes serve one article under."""

    article_url: re.Pattern[str]

    def article_key(self, url: str) -> str | None:
        match = self.article_url.search(url)
        if match is None:
            return None
        groups = match.groupdict()
        key = groups["key"]
        return f"{groups['site'].lower()}/{key}" if groups.get("site") else key

    def canonicalize(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(("https", (parts.hostname or "").lower(), parts.path or "/", "", ""))


def url_rule(article_url: str) -> PatternUrlRule:
    """``[family_options] article_url = "-(?P<key>\\d+)\\.html?$"``: the portal says which URLs are articles.

    The rule must name its key ``(?P<key>…)``, and the key must not match an empty text: a
    rule without it once gave ids such as ``ninhbinh:-103.html`` (the whole match), and a key
    that can be empty gives every such article the same id, merging them."""
    try:
        pattern = re.compile(article_url)
    except re.error as error:
        raise ValueError(f"article_url {article_url!r} is not a regular expression: {error}") from None
    if "key" not in pattern.groupindex:
        named = f" (its groups: {', '.join(pattern.groupindex)})" if pattern.groupindex else ""
        raise ValueError(
            f"article_url {article_url!r} has no group named key{named}: write the article's id in the URL as"
            r" (?P<key>…), e.g. '-(?P<key>\d+)\.html$'"
        )
    if _may_be_empty(_group_text(article_url, "key")):
        raise ValueError(
            f"article_url {article_url!r}: its group key can match an empty text, which would give every such"
            r" article the same id; make it match at least one character (\d+, not \d*)"
        )
    return PatternUrlRule(pattern)


def _group_text(pattern: str, name: str) -> str:
    """The text of the named group ``(?P<name>…)`` of a valid pattern (escapes and brackets skipped)."""
    start = pattern.index(f"(?P<{name}>") + len(f"(?P<{name}>")
    depth, index, in_class = 1, start, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 1
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += 2 if pattern[index + 1 : index + 3] == "^]" else 1 if pattern[index + 1 : index + 2] == "]" else 0
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return pattern[start:index]
        index += 1
    return pattern[start:]


def _may_be_empty(group: str) -> bool:
    """Whether a group's pattern matches the empty text (one that refers to other groups is let through)."""
    try:
        return re.fullmatch(group, "") is not None
    except re.error:
        return False


FAMILY = Family(name="generic", parsers=(GenericParser,), url_rule=url_rule)

__all__ = ["FAMILY", "GenericParser", "PatternUrlRule"]
