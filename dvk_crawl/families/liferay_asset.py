"""Liferay 6.2 asset-publisher article pages (Quảng Ngãi's portals, 2012 – mid-2025).

The province site and every district's member portal ran one Liferay 6.2
multi-site portal. An article is a web content shown by the asset publisher:
``/web/<site>/xem-chi-tiet/-/asset_publisher/Content/<url-title>?<numericId>``
(URL rules in :mod:`dvk_crawl.families.quangngai_gov`). The display template puts,
in this order: title, the line ``DD/MM/YYYY HH:MM   <views>`` (metadata, never
text), the article (summary paragraph in bold, images with an italic caption
paragraph under them, body, author line right-aligned in bold). The skip link
"Truy cập nội dung luôn", the site header "ỦY BAN NHÂN DÂN HUYỆN …" and the
counter "Thống kê truy cập / Số lượt truy cập / Tổng số lượt xem" sit outside
the portlet. Class names follow Liferay 6.2's asset publisher (inferred); the
date line, lead, captions and author line are also found by shape, so a
different display template degrades one field, not the article.
"""

from __future__ import annotations

import re
from typing import Any

from parsel import Selector

from dvk_crawl.dates import PublicationTime
from dvk_crawl.families.base import ArticleParser, drop_node, image_source, split_authors
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

_BLOCK_TAGS = {"p", "div", "figure", "table", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol"}
_WRAPPER_TAGS = {"div", "section", "article"}


class LiferayAssetParser(ArticleParser):
    """Full-content view of Liferay 6.2's asset publisher (portlet ``101``)."""

    NAME = "liferay_asset"
    VERSION = "v1"
    # Any of these means a Liferay asset-publisher page, even an empty one (a deleted
    # article answers 200 with the portlet and no content: it must still parse here).
    MARKERS = (".asset-full-content", '[id^="p_p_id_101_INSTANCE_"]', ".portlet-boundary_101_")
    FULL = ".asset-full-content"
    TITLE = (f"{FULL} .header-title", f"{FULL} .asset-title", f"{FULL} h1", f"{FULL} h2")
    METADATA = (f"{FULL} .asset-metadata", f"{FULL} .metadata-entry")
    DATE = (f"{FULL} .metadata-publish-date", f"{FULL} .metadata-create-date")
    VIEWS = (f"{FULL} .metadata-view-count",)
    SUMMARY = (f"{FULL} .asset-summary", f"{FULL} .asset-abstract")
    BODY = (f"{FULL} .journal-content-article", f"{FULL} .asset-content", ".journal-content-article")
    BODY_NOISE = (
        *ArticleParser.BODY_NOISE,
        ".asset-user-actions",
        ".taglib-social-bookmarks",
        ".asset-links",
        ".asset-ratings",
        ".asset-metadata",
        ".taglib-header",
    )
    # "28/09/2023 10:48    39": date, time, then the view count.
    DATE_LINE = re.compile(r"(\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2})(?:\s+(\d[\d.]*))?\s*$")
    TAIL_MARKERS = (
        re.compile(r"^Thống kê truy cập$", re.IGNORECASE),
        re.compile(r"^(?:Tin|Các tin) (?:khác|cùng chuyên mục|liên quan)\s*:?$", re.IGNORECASE),
    )
    LINE_NOISE = (
        re.compile(r"^Truy cập nội dung luôn$", re.IGNORECASE),
        re.compile(r"^ỦY BAN NHÂN DÂN (?:TỈNH|HUYỆN|THÀNH PHỐ|THỊ XÃ|XÃ)\b[^a-zà-ỹ]*$"),
        re.compile(r"^(?:Số lượt truy cập|Tổng số lượt xem)\s*:\s*[\d.]+$", re.IGNORECASE),
        re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?:\s+\d[\d.]*)?$"),
        re.compile(r"^(?:Quay lại|In bài viết|Chia sẻ)$", re.IGNORECASE),
    )
    # "Tin, ảnh: Hồng Nhung": the credit before the name is not an author.
    BYLINE_PREFIX = re.compile(r"^(?:Tin(?:,| và)? ảnh|Tin|Ảnh)\s*:\s*", re.IGNORECASE)

    @classmethod
    def matches(cls, page: Selector) -> bool:
        return any(page.css(selector) for selector in cls.MARKERS)

    def title(self) -> str | None:
        og = self.meta("og:title")
        page_title = self.first_text("title")
        # Liferay's <title> is "<asset title> - <page> - <site>"; the asset title may hold " - " too.
        return self.first_text(*self.TITLE) or og or (page_title.rsplit(" - ", 2)[0] if page_title else None)

    def lead(self) -> str | None:
        """The summary: its own element, or the article's opening paragraph in bold."""
        summary = self.first_text(*self.SUMMARY)
        if summary:
            return summary
        container = self.body_container()
        block = lead_block(container.root) if container is not None else None
        return normalize_line(block.text_content()) if block is not None else None

    def published_at(self) -> PublicationTime | None:
        line = self.date_line()
        return self.first_time(
            self.first_text(*self.DATE),
            line.group(1) if line else None,
            self.meta("article:published_time"),
            self.json_ld_value("datePublished"),
        )

    def view_count(self) -> int | None:
        views = self.first_text(*self.VIEWS)
        if views is None:
            line = self.date_line()
            views = line.group(2) if line else None
        digits = re.sub(r"\D", "", views or "")
        return int(digits) if digits else None

    def authors(self) -> list[str]:
        container = self.body_container()
        block = byline_block(container.root) if container is not None else None
        if block is not None:
            return split_authors(self.BYLINE_PREFIX.sub("", text_of(block)))
        return super().authors()

    def section(self) -> str | None:
        # The breadcrumb of an article page ends in the detail page ("Xem chi tiết"),
        # not in a category: only an explicit meta says the section.
        return self.meta("article:section")

    def images(self) -> list[Image]:
        container = self.body_container()
        if container is None:
            return []
        images = []
        for img in container.root.iter("img"):
            src = image_source(img)
            if src:
                caption = caption_of(img, container.root)
                images.append(
                    Image(self.absolute(src), normalize_line(caption.text_content()) if caption is not None else None)
                )
        return images

    def prune_container(self, root: Any) -> None:
        """Take the lead, the captions and the author line out of the body."""
        lead = lead_block(root)
        if lead is not None:
            drop_node(lead)
            self.cleanup.append("lead_paragraph")
        for img in list(root.iter("img")):
            caption = caption_of(img, root)
            if caption is not None and caption.getparent() is not None:
                drop_node(caption)
                self.cleanup.append("caption")
        byline = byline_block(root)
        if byline is not None:
            drop_node(byline)
            self.cleanup.append("author_line")

    def date_line(self) -> re.Match[str] | None:
        """The ``DD/MM/YYYY HH:MM <views>`` line, from the metadata block or any short line."""
        for selector in self.METADATA:
            for text in self.all_texts(selector):
                match = self.DATE_LINE.search(text)
                if match:
                    return match
        container = self.page.css(self.FULL)
        for text in (container[0] if container else self.page).css("::text").getall():
            match = self.DATE_LINE.search(normalize_line(text))
            if match and len(normalize_line(text)) < 40:
                return match
        return None


# -- the shape of Liferay web content (lxml elements of the article container) --------


def blocks(root: Any) -> list[Any]:
    """The article's block children, looking through a lone wrapper ``<div>``."""
    children = [c for c in root if isinstance(c.tag, str)]
    while len(children) == 1 and children[0].tag in _WRAPPER_TAGS:
        children = [c for c in children[0] if isinstance(c.tag, str)]
    return [c for c in children if c.tag in _BLOCK_TAGS]


def text_of(node: Any) -> str:
    return normalize_line(node.text_content())


def wholly(node: Any, tags: tuple[str, ...]) -> bool:
    """Whether all of the node's text sits inside one of ``tags`` (e.g. ``strong``)."""
    text = re.sub(r"\s+", "", node.text_content())
    if not text:
        return False
    condition = " or ".join(f"ancestor::{t}" for t in tags)
    styled = "".join(node.xpath(f".//text()[{condition}]"))
    return re.sub(r"\s+", "", styled) == text


def lead_block(root: Any) -> Any | None:
    """The opening paragraph when it is wholly bold and reads as a sentence (not a heading)."""
    for block in blocks(root):
        text = text_of(block)
        if not text:
            continue
        is_summary = wholly(block, ("strong", "b")) and (len(text) >= 80 or text.endswith((".", "…")))
        return block if is_summary and block.find(".//img") is None else None
    return None


def caption_of(img: Any, root: Any) -> Any | None:
    """The caption of an image: its ``figcaption``, or the short italic/centred line under it."""
    figure = next((a for a in img.iterancestors("figure")), None)
    if figure is not None:
        return next(iter(figure.iter("figcaption")), None)
    holder = img
    while holder.getparent() is not None and holder.getparent() is not root and holder.tag not in _BLOCK_TAGS:
        holder = holder.getparent()
    if text_of(holder):
        return None
    following = holder.getnext()
    if following is None or not isinstance(following.tag, str) or following.find(".//img") is not None:
        return None
    text = text_of(following)
    centred = "center" in (following.get("style") or "").replace(" ", "")
    if text and len(text) <= 250 and (wholly(following, ("em", "i")) or centred):
        return following
    return None


def byline_block(root: Any) -> Any | None:
    """The author line closing the article: short, right-aligned or bold, no sentence."""
    for block in reversed(blocks(root)):
        text = text_of(block)
        if not text:
            continue
        short = len(text) <= 60 and len(text.split()) <= 8 and not text.endswith((".", ":", ";", "…"))
        styled = "right" in (block.get("style") or "") or wholly(block, ("strong", "b", "em", "i"))
        return block if short and styled else None
    return None
