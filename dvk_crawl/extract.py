"""``extract_article``: one page in, one clean article record out, no Scrapy needed.

Spiders call the same function, so what a user sees with ``extract_article`` on a
saved page is what a crawl stores (before the pipelines' policies: language,
relevance, dedup).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from parsel import Selector
from w3lib.encoding import html_to_unicode

from dvk_crawl.config import SETTINGS
from dvk_crawl.keywords import Keywords, load_keywords
from dvk_crawl.language import detect_language
from dvk_crawl.portals.base import ParsedPage, Portal
from dvk_crawl.portals.registry import get_portal, portal_for_url
from dvk_crawl.record import Article
from dvk_crawl.text import PARAGRAPH_SEPARATOR, content_hash, normalize_line

# trafilatura warns "discarding data" whenever a container holds no text; an empty page
# is an outcome the pipeline counts ("empty"), not something to warn about per page.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


class ExtractionError(ValueError):
    """A page that yields no article; ``reason`` is the name it is counted under."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Extraction:
    """The record and what it took to make it (the cleanup rules that fired)."""

    article: Article
    parsed: ParsedPage


def default_keywords() -> Keywords:
    return load_keywords(Path(SETTINGS["DVK_SEEDS_DIR"].default) / "keywords.txt")


def decode_html(html: str | bytes, content_type: str | None = None) -> str:
    """Bytes to text: HTTP charset, then BOM, then ``<meta charset>``, then detection."""
    if isinstance(html, str):
        return html
    _, text = html_to_unicode(content_type, html)
    return text


def extract_article(
    html: str | bytes,
    url: str,
    portal: str | None = None,
    *,
    fetched_at: str | None = None,
    source: str = "live",
    keywords: Keywords | None = None,
    content_type: str | None = None,
) -> Article:
    """The article record of one page.

    ``url`` is the page's canonical (live) URL; ``portal`` names the portal when the
    URL's host does not (a replica, a file). Raises :class:`ExtractionError` when
    the page is not an article of the portal or not HTML at all.
    """
    return extract_with_details(
        html, url, portal, fetched_at=fetched_at, source=source, keywords=keywords, content_type=content_type
    ).article


def extract_with_details(
    html: str | bytes,
    url: str,
    portal: str | None = None,
    *,
    fetched_at: str | None = None,
    source: str = "live",
    keywords: Keywords | None = None,
    content_type: str | None = None,
) -> Extraction:
    """Like :func:`extract_article`, also returning the parsed fields and cleanup rules."""
    site = get_portal(portal) if portal else portal_for_url(url)
    canonical = site.canonicalize(url)
    key = site.article_key(canonical)
    if key is None:
        raise ExtractionError("not_article_url", f"{url} is not an article URL of {site.id}")
    text = decode_html(html, content_type)
    if "<" not in text[:4096] or not text.strip():
        raise ExtractionError("not_html", f"{url}: the page is empty or not HTML")
    page = Selector(text=text)
    parser = site.parser_for(page)(page, canonical)
    parsed = parser.parse()
    canonical = _declared_canonical(site, parser.canonical_url(), key) or canonical
    article = _build_record(site, canonical, key, parsed, type(parser).NAME, type(parser).VERSION)
    article.fetched_at = fetched_at or datetime.now(UTC).isoformat(timespec="seconds")
    article.source = source
    annotate(article, keywords or default_keywords())
    return Extraction(article, parsed)


def _declared_canonical(site: Portal, declared: str | None, key: str) -> str | None:
    """The page's own canonical URL when it names the same article on the portal.

    An event subdomain page (``daihoidang.baohatinh.vn/…-post295512.html``) declares
    ``baohatinh.vn/…-post295512.html``; a mirror or a stale canonical to another
    article is ignored.
    """
    if not declared or not site.owns_host(urlsplit(declared).hostname or ""):
        return None
    candidate = site.canonicalize(declared)
    return candidate if site.article_key(candidate) == key else None


def _build_record(site: Portal, url: str, key: str, parsed: ParsedPage, name: str, version: str) -> Article:
    return Article(
        id=f"{site.id}:{key}",
        portal=site.id,
        province=site.province,
        former_province=site.former_province_of(
            " ".join(filter(None, (parsed.title, parsed.lead, *parsed.paragraphs))), parsed.published
        ),
        site=urlsplit(url).hostname or "",
        url=url,
        title=normalize_line(parsed.title or ""),
        lead=normalize_line(parsed.lead) if parsed.lead else None,
        text=PARAGRAPH_SEPARATOR.join(parsed.paragraphs),
        published_at=parsed.published.isoformat() if parsed.published else None,
        published_at_precision=parsed.published.precision if parsed.published else None,
        updated_at=parsed.updated.isoformat() if parsed.updated else None,
        authors=parsed.authors,
        section=parsed.section,
        tags=parsed.tags,
        images=parsed.images,
        attachments=parsed.attachments,
        view_count=parsed.view_count,
        parser=f"{name}/{version}",
    )


def annotate(article: Article, keywords: Keywords) -> Article:
    """Fill the derived fields: hash, word count, language and campaign relevance."""
    article.content_hash = content_hash(article.text)
    article.word_count = len(article.text.split())
    if article.language is None:
        article.language, article.language_confidence = detect_language(
            "\n".join(filter(None, (article.title, article.lead, article.text)))
        )
    article.matched_keywords = keywords.matches(" ".join(filter(None, (article.title, article.lead, article.text))))
    article.relevant = bool(article.matched_keywords)
    return article
