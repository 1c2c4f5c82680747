"""The Liferay 7 "3CMS" family: quangtri.gov.vn and its sub-sites (quangbinh.gov.vn before 2025).

3CMS is a custom news portlet set (``/o/3cmsnew-portlet/...``) on Liferay 7, one per
province, department, district or commune site (``<sub>.quangtri.gov.vn``). Article
URL (seen on 4 hosts)::

    https://<sub>.quangtri.gov.vn[/vi]/chi-tiet-tin/-/view-article/1/<catId>/<articleId>

The older 3CMS, before Liferay 7, still serves pages under ``/3cms/`` on some sub-sites of
quangbinh.gov.vn (links seen in third-party files: ``ldld.quangbinh.gov.vn/3cms/Ban-in-507.htm?art=13969217229087``,
a print view; ``snn.quangbinh.gov.vn/3cms/bql-cang-ca-quang-binh.htm``). Its article is
``/3cms/<page>.htm?art=<artId>`` (the ``art`` parameter as the identity is inferred from the
print view): key ``<host>/3cms/<artId>``; a ``/3cms/`` page without ``art`` is no article.

The articleId is the creation time in epoch milliseconds and is unique per site only,
so the key is ``<host>/<articleId>``; the category id is not part of the identity (one
article is filed under several categories). The locale prefix (``/vi``) only picks the
language of the page chrome: the canonical URL drops it (see :meth:`UrlRules.canonicalize`).

Page: Liferay scaffolding (``a#skip-to-content``, ``#main-content``, portlets as
``section.portlet#portlet_<id>``, ``ul.breadcrumb``) around the view-article portlet;
the sidebar portlets (featured events, poll, visitor counter) are never the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from dvk_crawl.dates import PublicationTime, from_epoch_millis
from dvk_crawl.families.base import ArticleParser, attachment_links, drop_node, image_source, split_authors
from dvk_crawl.families.family import Family
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

# Optional locale prefix (/vi, /vi_VN, /en), the Liferay page (chi-tiet-tin), then the
# portlet's friendly URL /-/view-article/<n>/<catId>/<articleId>.
_ARTICLE_PATH = re.compile(
    r"^(?:/[a-z]{2}(?:[_-][A-Za-z]{2})?)?(?P<page>/[\w-]+)/-/view-article/(?P<n>\d+)/(?P<cat>\d+)/(?P<id>\d+)/?$"
)

# The pre-Liferay 3CMS: /3cms/<page>.htm?art=<artId> (see the module's docstring).
_LEGACY_PATH = re.compile(r"^/3cms/[\w.-]+\.htm$", re.IGNORECASE)
_LEGACY_ART = re.compile(r"(?:^|&)art=(?P<id>\d+)(?:&|$)")


@dataclass(frozen=True)
class UrlRules:
    """Article key and canonical URL for the 3CMS sites under one domain.

    ``other_platforms`` are hosts under the domain that run another CMS (e.g. the
    Fatherland Front's NukeViet site ``ubmttqvn.quangtri.gov.vn``): never articles.
    """

    domain: str
    other_platforms: tuple[str, ...] = ()

    def host(self, url: str) -> str | None:
        """Lower-case host without port; the bare domain is the ``www.`` site."""
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
        if host == self.domain:
            return "www." + self.domain
        if not host.endswith("." + self.domain) or host in self.other_platforms:
            return None
        return host

    def article_key(self, url: str) -> str | None:
        """``<host>/<articleId>``; None for other hosts, platforms and non-article pages.

        ``https://trieuphong.quangtri.gov.vn/vi/chi-tiet-tin/-/view-article/1/1505358318716/1606789047213``
        → ``trieuphong.quangtri.gov.vn/1606789047213``.
        """
        host = self.host(url)
        parts = urlsplit(url.strip())
        legacy = legacy_article_id(parts.path, parts.query)
        if host is not None and legacy is not None:
            return f"{host}/3cms/{legacy}"
        match = _ARTICLE_PATH.match(parts.path)
        if host is None or match is None:
            return None
        return f"{host}/{match['id']}"

    def canonicalize(self, url: str) -> str:
        """https, lower-case ``www.``-complete host, no locale prefix, query or fragment.

        Without ``/vi`` because every site's default locale is vi_VN, so the bare path
        renders the same Vietnamese article (the province site links it that way); a
        sub-site that always prepends the locale answers it with one redirect.
        Non-article URLs keep their path and query (listing paging lives in the query).
        """
        parts = urlsplit(url.strip())
        host = self.host(url) or (parts.hostname or "")
        legacy = legacy_article_id(parts.path, parts.query)
        if legacy is not None:  # the old 3CMS: its page and the art parameter, nothing else
            return urlunsplit(("https", host, parts.path, f"art={legacy}", ""))
        match = _ARTICLE_PATH.match(parts.path)
        if match is None:
            return urlunsplit(("https", host, parts.path, parts.query, ""))
        path = f"{match['page']}/-/view-article/{match['n']}/{match['cat']}/{match['id']}"
        return urlunsplit(("https", host, path, "", ""))


def url_rule(domain: str, other_platforms: Sequence[str] = ()) -> UrlRules:
    """The family's options in a portal file: ``domain`` (required) and ``other_platforms``."""
    return UrlRules(domain=domain, other_platforms=tuple(other_platforms))


def legacy_article_id(path: str, query: str) -> str | None:
    """The ``art`` id of an old 3CMS article URL (``/3cms/<page>.htm?art=<id>``), else None."""
    if not _LEGACY_PATH.match(path):
        return None
    match = _LEGACY_ART.search(query)
    return match["id"] if match else None


def article_id_of(url: str) -> int | None:
    match = _ARTICLE_PATH.match(urlsplit(url).path)
    return int(match["id"]) if match else None


_BLOCKS = ("p", "div", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td")
_EMPHASIS = ("strong", "b", "em", "i")
_SENTENCE_PUNCTUATION = re.compile(r"[.!?:;…\"“”]")
_RIGHT_ALIGNED = re.compile(r"text-align\s*:\s*right", re.IGNORECASE)
_FOOTER_LINE = re.compile(r"^(?:\d[\d.]*)?\s*(?:Go top)?$", re.IGNORECASE)
_CENTERED = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)


class Liferay3CmsParser(ArticleParser):
    """The view-article portlet of 3CMS (Liferay 7); class names are inferred, so every
    field also has a structural or text fallback inside the portlet."""

    NAME = "liferay_3cms"
    VERSION = "v1"
    # The article portlet: Liferay wraps every portlet as section.portlet#portlet_<portletId>.
    PORTLET = (
        'section.portlet[id^="portlet_viewarticle"]',
        '[id^="p_p_id_viewarticle"]',
        '[id*="viewarticle"]',
        '[id*="ViewArticle"]',
        # The older 3CMS's article block (/3cms/ pages, no Liferay portlets): the class is invented.
        "div.news-detail",
    )
    TITLE = (".article-detail h1", "h1.article-title", ".news-detail h1", ".title-detail", "h1", "h2")
    SUMMARY = (".article-summary", ".news-summary", ".sapo", ".summary")
    DATE = (".article-date", ".news-date", ".date-detail")
    CONTENT = (".article-content", ".news-content", ".content-detail", ".journal-content-article")
    AUTHOR = (".article-author", ".news-author", ".author")
    VIEWS = (".article-view", ".news-view", ".view-count", ".luot-xem")
    # The content div; without it, the article portlet's body (see body_container).
    BODY = (
        '[id^="portlet_viewarticle"] .article-content',
        '[id^="portlet_viewarticle"] .news-content',
        *CONTENT,
    )
    # Last resort for a renamed portlet: the one portlet of the main column holding an h1
    # (sidebar portlets title themselves with h2).
    PORTLET_WITH_H1 = '//*[@id="main-content"]//section[contains(concat(" ", @class, " "), " portlet ")][.//h1]'
    BODY_NOISE = (*ArticleParser.BODY_NOISE, "figure", "figcaption", ".article-footer", ".go-top", "svg")
    DATE_LINE = re.compile(r"\d{1,2}:\d{2},\s*(?:Thứ\s+\S+|Chủ\s+nhật),\s*\d{1,2}-\d{1,2}-\d{4}", re.IGNORECASE)
    VIEWS_BEFORE_GO_TOP = re.compile(r"(\d[\d.]*)\s*Go top", re.IGNORECASE)
    # The sidebar after the article (seed 002): back-to-top link, the empty "featured
    # events" box, the poll, the counter. Only reached when the content div is missing.
    TAIL_MARKERS = (
        re.compile(r"^(?:\d[\d.]*\s+)?Go top$", re.IGNORECASE),
        re.compile(r"^Sự kiện nổi bật$", re.IGNORECASE),
        re.compile(r"^Hiện tại không có bình chọn nào", re.IGNORECASE),
        re.compile(r"^Thống kê truy cập", re.IGNORECASE),
    )
    LINE_NOISE = (
        re.compile(r"^\d{1,2}:\d{2},\s*(?:Thứ\s+\S+|Chủ\s+nhật),\s*\d{1,2}-\d{1,2}-\d{4}$", re.IGNORECASE),
        re.compile(r"^Truy cập nội dung luôn$", re.IGNORECASE),
    )
    GENERIC_CRUMBS = frozenset({"trang chủ", "chi tiết tin", "chi tiết", "home"})

    @classmethod
    def matches(cls, page: Selector) -> bool:
        return any(page.css(selector) for selector in (*cls.PORTLET, *cls.CONTENT))

    @cached_property
    def portlet(self) -> Selector | None:
        for selector in self.PORTLET:
            found = self.page.css(selector)
            if found:
                return found[0]
        found = self.page.xpath(self.PORTLET_WITH_H1)
        return found[0] if found else None

    @cached_property
    def portlet_text(self) -> str:
        return normalize_line(" ".join(self.portlet.css("::text").getall())) if self.portlet is not None else ""

    def body_container(self) -> Selector | None:
        """The content div, else the article portlet's body (its footer is cut by the
        tail markers), never the page: an empty portlet must give an empty body."""
        content = super().body_container()
        if content is not None or self.portlet is None:
            return content
        return (self.portlet.css(".portlet-body") or [self.portlet])[0]

    def in_portlet(self, *selectors: str) -> str | None:
        """Text of the first selector that yields text inside the article portlet."""
        if self.portlet is None:
            return None
        for selector in selectors:
            for node in self.portlet.css(selector):
                text = normalize_line(" ".join(node.css("::text").getall()))
                if text:
                    return text
        return None

    # -- the fields ---------------------------------------------------------------

    def title(self) -> str | None:
        """The portlet's h1; else ``og:title``/``<title>``, which Liferay suffixes with the site name."""
        title = self.in_portlet(*self.TITLE) or super().title()
        site_name = self.meta("og:site_name")
        if title and site_name and title.endswith(f" - {site_name}"):
            return title.removesuffix(f" - {site_name}").strip()
        return title

    def lead(self) -> str | None:
        """The 3CMS summary when the article has one; never ``meta description``,
        which Liferay fills with the site's description on every page."""
        return self.in_portlet(*self.SUMMARY)

    def published_at(self) -> PublicationTime | None:
        """The date line ("9:17, Thứ Ba, 1-12-2020"), else the articleId's creation time."""
        line = self.in_portlet(*self.DATE)
        match = self.DATE_LINE.search(self.portlet_text)
        return self.first_time(line, match.group(0) if match else None) or self.time_from_article_id()

    def time_from_article_id(self) -> PublicationTime | None:
        """Checked to the minute on the live site; the seconds are the editor's, not the publication's."""
        article_id = article_id_of(self.url)
        found = from_epoch_millis(article_id) if article_id else None
        if found is None:
            return None
        return PublicationTime(found.moment.replace(second=0, microsecond=0), "minute")

    def updated_at(self) -> PublicationTime | None:
        """3CMS shows one date; Liferay's page meta carries none of the article's."""
        return None

    def authors(self) -> list[str]:
        marked = self.in_portlet(*self.AUTHOR)
        if marked:
            return split_authors(marked)
        container = self.body_container()
        block = find_author_block(container.root) if container is not None else None
        return split_authors(block_text(block)) if block is not None else []

    def section(self) -> str | None:
        """The deepest breadcrumb that names a section; the article page itself does not."""
        crumbs = self.all_texts("ul.breadcrumb li")
        named = [c for c in crumbs if c.casefold() not in self.GENERIC_CRUMBS]
        return named[-1] if named else None

    def tags(self) -> list[str]:
        return []

    def images(self) -> list[Image]:
        container = self.body_container()
        if container is None:
            return []
        images = []
        for img in container.root.iter("img"):
            src = image_source(img)
            if src is None:
                continue
            caption = caption_of(img)
            images.append(Image(self.absolute(src), block_text(caption) if caption is not None else None))
        return images

    def attachments(self) -> list[str]:
        """Files linked from the article only: sidebars link forms and documents too."""
        container = self.body_container()
        return attachment_links(container, self.absolute) if container is not None else []

    def view_count(self) -> int | None:
        text = self.in_portlet(*self.VIEWS)
        if text is None:
            match = self.VIEWS_BEFORE_GO_TOP.search(self.portlet_text)
            text = match.group(1) if match else None
        digits = re.sub(r"\D", "", text or "")
        return int(digits) if digits else None

    # -- body cleanup -------------------------------------------------------------

    def prune_container(self, root: Any) -> None:
        """Drop the author line and image captions: metadata, not body text."""
        for img in list(root.iter("img")):
            caption = caption_of(img)
            if caption is not None:
                drop_node(caption)
                self.cleanup.append("caption_in_text")
        author = find_author_block(root)
        if author is not None:
            drop_node(author)
            self.cleanup.append("author_line")

    def clean_paragraphs(self, paragraphs: list[str], title: str | None, images: list[Image]) -> list[str]:
        """Also drop a bare number ending the body: the view count of the portlet footer."""
        kept = super().clean_paragraphs(paragraphs, title, images)
        while kept and re.fullmatch(r"\d[\d.]*", kept[-1]):
            kept.pop()
            self.cleanup.append("view_count_line")
        return kept


# -- structure helpers (lxml elements) ---------------------------------------------


def block_text(node: Any) -> str:
    return normalize_line(node.text_content() or "")


def text_blocks(root: Any) -> Iterator[Any]:
    """Leaf blocks with text, in document order (a block holding blocks is not a leaf)."""
    for node in root.iter(*_BLOCKS):
        if block_text(node) and not any(child.tag in _BLOCKS for child in node.iterdescendants()):
            yield node


def caption_of(img: Any) -> Any | None:
    """The caption of an image: its ``figcaption``, or the centred, all-italic block right
    after the image's block (how CKEditor users caption photos on .gov.vn sites)."""
    figure = next((a for a in img.iterancestors("figure")), None)
    if figure is not None:
        return next(figure.iter("figcaption"), None)
    block = next((a for a in img.iterancestors(*_BLOCKS)), None)
    following = block.getnext() if block is not None else None
    if following is None or not block_text(following) or block_text(block):
        return None
    centred = _CENTERED.search(following.get("style", "")) or "center" in following.get("class", "")
    return following if centred and is_all_emphasis(following, ("em", "i")) else None


def is_all_emphasis(block: Any, tags: tuple[str, ...]) -> bool:
    """Whether the block has text and every character of it sits inside one of ``tags``."""

    def bare(node: Any) -> str:
        if not isinstance(node.tag, str) or node.tag in tags:  # comments carry no visible text
            return ""
        return (node.text or "") + "".join(bare(child) + (child.tail or "") for child in node)

    return bool(block_text(block)) and not normalize_line(bare(block))


def find_author_block(root: Any) -> Any | None:
    """The author line closing the content: a short name without sentence punctuation,
    right-aligned or all bold/italic ("Thủy Phương"), and not an image caption."""
    captions = {id(c) for img in root.iter("img") if (c := caption_of(img)) is not None}
    blocks = [b for b in text_blocks(root) if id(b) not in captions]
    # Without the content div the portlet footer ("312 Go top") closes the text.
    while blocks and _FOOTER_LINE.match(block_text(blocks[-1])):
        blocks.pop()
    if not blocks:
        return None
    last = blocks[-1]
    text = block_text(last)
    name_like = (
        len(text.split()) <= 8 and text[0].isupper() and not _SENTENCE_PUNCTUATION.search(text) and not text.isdigit()
    )
    marked = (
        _RIGHT_ALIGNED.search(last.get("style", ""))
        or last.get("align") == "right"
        or "right" in last.get("class", "")
        or is_all_emphasis(last, _EMPHASIS)
    )
    return last if name_like and marked else None


FAMILY = Family(name="liferay_3cms", parsers=(Liferay3CmsParser,), url_rule=url_rule)

__all__ = ["FAMILY", "Liferay3CmsParser", "UrlRules", "article_id_of"]
