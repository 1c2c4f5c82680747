"""Báo Yên Bái (baoyenbai.com.vn): the province paper's older ASP.NET CMS.

URLs: ``/<catId>/<articleId>/<Slug>.aspx`` (older ``.htm``), with or without
``www.``; the slug is mangled ("phòng" → ``ph111ng``) and the category id changes
when an article is filed elsewhere, so the article id alone is the key. Listings
``/<catId>/page/<n>/<CatSlug>.aspx``, feeds ``/rss/<catId>.rss``. The English
edition ``en.baoyenbai.com.vn`` is another publication, not articles of this portal.

Yên Bái merged into Lào Cai on 1 July 2025: the portal's province is Lào Cai and
every article's ``former_province`` is Yên Bái. Later Yên Bái news is on
baolaocai.vn (``seeds/portals/baolaocai.toml``).

The page's class names are not known (no stored copy of the markup), only its text
order: title, "• Cập nhật: <weekday>, d/m/yyyy | h:mm:ss AM/PM", lead with a
dateline, body with captions, author line, "Tags …", "Các tin khác" + teasers, the
date-archive form. The parser therefore tries ASP.NET-style ids first and falls back
on those text anchors, so it survives unknown markup.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from dvk_crawl.dates import PublicationTime
from dvk_crawl.families.base import (
    ArticleParser,
    flatten_layout_tables,
    image_source,
    is_byline,
    split_authors,
    unique,
)
from dvk_crawl.families.family import Family, FixedUrlRule
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

# The bare host is the one the site's own feeds and image host (ims.baoyenbai.com.vn)
# sit beside and the one 2020s links use; www. is the legacy alias of the same site.
CANONICAL_HOST = "baoyenbai.com.vn"
_HOSTS = {CANONICAL_HOST, "www." + CANONICAL_HOST}
_ARTICLE_PATH = re.compile(r"^/\d+/(\d+)/[^/]+\.(?:aspx|htm)$", re.IGNORECASE)


def article_key(url: str) -> str | None:
    """The article id of an article URL; None for listings, feeds and other hosts.

    ``https://baoyenbai.com.vn/11/315372/L7909c-Y234n-….aspx`` → ``315372``, also for
    ``http://www.baoyenbai.com.vn/12/315372/….htm``; ``https://en.baoyenbai.com.vn/…``
    (English edition) and ``/11/page/2/….aspx`` (listing) → None.
    """
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _HOSTS:
        return None
    match = _ARTICLE_PATH.match(parts.path)
    return match.group(1) if match else None


def canonicalize(url: str) -> str:
    """https, ``baoyenbai.com.vn`` for the bare and www. host, path as found, no query."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower()
    if host in _HOSTS:
        host = CANONICAL_HOST
    return urlunsplit(("https", host, parts.path, "", ""))


class BaoYenBaiParser(ArticleParser):
    """Article pages of the ASP.NET CMS (2010s–2025): one layout, anchored on its text."""

    NAME = "baoyenbai"
    VERSION = "v1"
    TITLE = ('[id$="_lblTitle"]', "h1.detail-title", ".detail-title", "h1")
    LEAD = ('[id$="_lblSapo"]', ".detail-sapo")
    DATE = ('[id$="_lblDate"]', ".detail-date")
    AUTHOR = ('[id$="_lblAuthor"]', ".detail-author")
    TAGS = ('[id$="_pnlTags"] a', ".detail-tags a")
    SECTION = ('[id$="_lnkCategory"]', ".detail-cat a", ".breadcrumb a:last-child")
    BODY = ('[id$="_divContent"]', "div.detail-content")
    BODY_NOISE = (*ArticleParser.BODY_NOISE, "table.image", ".img-caption", "input", "select")
    DATE_ANCHOR = "Cập nhật"
    # Datelines: "YBĐT - " (2010–2012), "YênBái - YBĐT - " (2016–2018), "YênBái - " (2020s).
    LEAD_PREFIXES = (
        re.compile(r"^\s*(?:Yên\s?Bái\s*[-–—]\s*)?YBĐT\s*[-–—]\s*", re.IGNORECASE),
        re.compile(r"^\s*Yên\s?Bái\s*[-–—]\s*", re.IGNORECASE),
    )
    HEAD_MARKER = re.compile(r"^•?\s*Cập nhật\s*:", re.IGNORECASE)
    """The date line: where the article starts when the container holds the page head."""
    TAIL_MARKERS = (
        re.compile(r"^Tags\b", re.IGNORECASE),
        re.compile(r"^Các tin khác\s*:?$", re.IGNORECASE),
        re.compile(r"^Xem các tin đã đưa ngày", re.IGNORECASE),
        re.compile(r"^Tin trong\s*:", re.IGNORECASE),
    )
    _TAIL_HEADING = re.compile(r"^\s*(?:Tags\b|Các tin khác\s*:?\s*$|Xem các tin đã đưa ngày)", re.IGNORECASE)
    _TITLE_SUFFIX = re.compile(r"\s*[-|–]\s*(?:Báo Yên Bái|baoyenbai).*$", re.IGNORECASE)

    # -- the fields ---------------------------------------------------------------

    def title(self) -> str | None:
        title = self.first_text(*self.TITLE) or super().title()
        return self._TITLE_SUFFIX.sub("", title) if title else None

    def lead(self) -> str | None:
        lead = self.first_text(*self.LEAD) or self.meta("description") or self._dateline_paragraph()
        return self.strip_lead_prefix(lead) if lead else None

    def published_at(self) -> PublicationTime | None:
        return self.first_time(
            self.meta("article:published_time"),
            self.date_line(),
            self.json_ld_value("datePublished"),
        )

    def authors(self) -> list[str]:
        named = [name for text in self.all_texts_of(self.AUTHOR) for name in split_authors(text)]
        return unique(named) or super().authors() or self._byline_in_body()

    def section(self) -> str | None:
        return self.first_text(*self.SECTION) or self.meta("article:section")

    def tags(self) -> list[str]:
        links = [t.strip(" .,;") for t in self.all_texts_of(self.TAGS) or self._tag_links_by_label()]
        keywords = (self.meta("keywords") or "").split(",")
        return unique(t for t in links if t) or super().tags() or unique(k.strip() for k in keywords if k.strip())

    def images(self) -> list[Image]:
        container = self.body_container()
        if container is None:
            return []
        title = (self.title() or "").casefold()
        images = []
        for img in container.css("img"):
            src = image_source(img.root)
            if src is None:
                continue
            caption = self._caption_of(img)
            images.append(Image(self.absolute(src), caption if caption and caption.casefold() != title else None))
        return images

    # -- the body -----------------------------------------------------------------

    def body_container(self) -> Selector | None:
        """The content div; without it, the nearest block around the date line holding the text."""
        found = super().body_container()
        if found is not None:
            return found
        for anchor in self.page.xpath(f"//body//*[text()[contains(., '{self.DATE_ANCHOR}')]]"):
            for ancestor in reversed(anchor.xpath("ancestor::*")):
                if ancestor.root.tag in ("html", "body", "form"):
                    break
                if len(ancestor.xpath(".//p")) >= 3:
                    return ancestor
        return None

    def prune_container(self, root: Any) -> None:
        """Flatten layout tables; cut the tags line, "Các tin khác" and the archive form and all after."""
        self._flatten_layout_tables(root)
        self.cut_from_heading(root, self._TAIL_HEADING, "related_list")

    def _flatten_layout_tables(self, root: Any) -> None:
        if flatten_layout_tables(root):
            self.cleanup.append("layout_table")

    def clean_paragraphs(self, paragraphs: list[str], title: str | None, images: list[Image]) -> list[str]:
        """Also drop the page head up to the date line, the lead repeated in the body and the byline."""
        head = next((i for i, p in enumerate(paragraphs) if self.HEAD_MARKER.match(p)), None)
        if head is not None:
            paragraphs = paragraphs[head + 1 :]
            self.cleanup.append("head_cut")
        lead = (self.lead() or "").casefold()
        authors = {a.casefold() for a in self.authors()}
        kept = []
        for paragraph in super().clean_paragraphs(paragraphs, title, images):
            key = self._without_dateline(paragraph).casefold()
            if lead and key == lead:
                self.cleanup.append("lead_repeat")
            elif key in authors:
                self.cleanup.append("byline")
            else:
                kept.append(paragraph)
        return kept

    # -- helpers ------------------------------------------------------------------

    def date_line(self) -> str | None:
        """The "• Cập nhật: Thứ hai, 4/3/2024 | 2:26:47 PM" line, from its label or its text."""
        line = self.first_text(*self.DATE)
        if line:
            return line
        for node in self.page.xpath(f"//body//*[text()[contains(., '{self.DATE_ANCHOR}')]]"):
            text = normalize_line(" ".join(node.css("::text").getall()))
            if self.HEAD_MARKER.match(text):
                return text
        return None

    def all_texts_of(self, selectors: tuple[str, ...]) -> list[str]:
        """Texts of the first selector that matches anything."""
        for selector in selectors:
            texts = self.all_texts(selector)
            if texts:
                return texts
        return []

    def _dateline_paragraph(self) -> str | None:
        """Old pages have no sapo element: the lead is the body's first paragraph, "YBĐT - …"."""
        container = self.body_container()
        if container is None:
            return None
        for paragraph in container.css("p"):
            text = normalize_line(" ".join(paragraph.css("::text").getall()))
            if text:
                return text if any(p.match(text) for p in self.LEAD_PREFIXES) else None
        return None

    def _byline_in_body(self) -> list[str]:
        """No author element: the last text block of the article when it is a bare name."""
        container = self.body_container()
        if container is None:
            return []
        last = None
        for block in container.xpath(".//p | .//td[not(.//p or .//td)] | .//div[not(.//p or .//div or .//td)]"):
            text = normalize_line(" ".join(block.css("::text").getall()))
            if self._TAIL_HEADING.match(text):
                break
            last = text or last
        return split_authors(last) if last and is_byline(last) else []

    def _tag_links_by_label(self) -> list[str]:
        """Tag links next to the "Tags" label, wherever the label sits."""
        for label in self.page.xpath("//body//*[text()[starts-with(normalize-space(.), 'Tags')]]"):
            links = label.xpath(".//a") or label.xpath("../a")
            texts = [normalize_line(" ".join(a.css("::text").getall())) for a in links]
            if any(texts):
                return [t for t in texts if t]
        return []

    def _without_dateline(self, text: str) -> str:
        for pattern in self.LEAD_PREFIXES:
            stripped = pattern.sub("", text, count=1)
            if stripped != text:
                return stripped.strip()
        return text

    def _caption_of(self, img: Selector) -> str | None:
        """The caption cell of the image's table, a short italic line after it, or its title/alt."""
        cell = img.xpath("ancestor::table[1]//td[contains(@class, 'caption')]")
        following = img.xpath("ancestor::p[1]/following-sibling::*[1][self::p][em or i]")
        for candidate in (cell, following):
            text = normalize_line(" ".join(candidate.css("::text").getall())) if candidate else ""
            if text and len(text) <= 300:
                return text
        return normalize_line(img.attrib.get("title") or img.attrib.get("alt") or "") or None


def url_rule() -> FixedUrlRule:
    return FixedUrlRule(article_key, canonicalize)


FAMILY = Family(name="baoyenbai", parsers=(BaoYenBaiParser,), url_rule=url_rule)
