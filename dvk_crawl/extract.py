"""``extract_article``: one page in, one clean article record out, no Scrapy needed.

Spiders call the same code (:func:`extract_decoded`, on a page they checked and
decoded), so what a user sees with ``extract_article`` on a saved page is what a
crawl hands its pipelines. Parsing is pure: no keywords file, no settings. The
fields derived from the text (hash, word count, language, relevance) are the
pipelines' (:mod:`dvk_crawl.derived`; ``derive_fields`` for a page read offline).
"""

from __future__ import annotations

import codecs
import logging
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from parsel import Selector
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

from dvk_crawl.families import get_family
from dvk_crawl.families.base import ParsedPage
from dvk_crawl.identity import Identity, identify
from dvk_crawl.portals.portal import Portal
from dvk_crawl.portals.registry import get_portal, portal_for_url
from dvk_crawl.record import Article
from dvk_crawl.sanitise import cap_fields, drop_unsafe_links, flatten_deep_nesting, strip_control_chars
from dvk_crawl.text import PARAGRAPH_SEPARATOR, normalize_line

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
    decode_fallback: str | None = None
    """See :attr:`DecodedPage.fallback`."""
    cleaned: dict[str, int] = field(default_factory=dict)
    """What :mod:`dvk_crawl.sanitise` removed (``unsafe_links``, ``cut_<field>``,
    ``deep_nesting``: tags), counted
    by the crawl as ``dvk/clean/<name>``."""


@dataclass(frozen=True)
class DecodedPage:
    text: str
    """NFC text of the page."""
    encoding: str
    fallback: str | None = None
    """What the decoder did beyond the page's own declaration, for the crawl's stats
    (``dvk/decode/<fallback>``): ``cp1258_declared_utf8``, ``cp1258_undeclared``,
    ``cp1258_segments`` (UTF-8 with Windows-1258 segments) or ``undeclared_utf8``;
    None when the declared charset held."""
    control_chars: int = 0
    """C0 control characters (and U+FFFE/U+FFFF) removed: counted ``dvk/clean/control_chars``."""


# Legacy Vietnamese sites wrote Windows-1258 and often declared UTF-8 (the CMS template)
# or nothing at all; that is the fallback when the bytes are not UTF-8.
LEGACY_ENCODING = "cp1258"


def decode_page(body: bytes, content_type: str | None = None) -> DecodedPage:
    """Bytes to NFC text: BOM, HTTP charset, ``<meta charset>``, else UTF-8; and where
    UTF-8 was declared or assumed but the bytes are mostly not UTF-8, Windows-1258.

    Windows-1258 writes tone marks as combining characters ("ệ" is "ê" + U+0323), so
    the text is normalised to NFC: keyword matching and hashing see one form.
    """
    declared = read_bom(body)[0] or http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    if declared:
        encoding, text = html_to_unicode(content_type, body)
        fallback = None
    else:
        # Not w3lib's answer: since 2.6 it guesses an undeclared page's encoding, so the
        # result (and the counted fallback) would depend on the installed version.
        encoding, text, fallback = "utf-8", body.decode("utf-8", errors="replace"), "undeclared_utf8"
    if codecs.lookup(encoding).name == "utf-8" and not _is_utf8(body):
        if _mostly_not_utf8(body):
            encoding, text = LEGACY_ENCODING, body.decode(LEGACY_ENCODING, errors="replace")
            fallback = "cp1258_declared_utf8" if declared else "cp1258_undeclared"
        else:
            # A UTF-8 template around text pasted from a Windows-1258 editor: each
            # segment that is not UTF-8 is read as Windows-1258, the rest stays UTF-8.
            text, fallback = body.decode("utf-8", errors=_SEGMENT_FALLBACK), "cp1258_segments"
    clean, removed = strip_control_chars(unicodedata.normalize("NFC", text))
    return DecodedPage(clean, encoding, fallback, removed)


def _decode_segment_as_legacy(error: UnicodeError) -> tuple[str, int]:
    """A codecs error handler: the bytes UTF-8 could not decode, as Windows-1258."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode(LEGACY_ENCODING, errors="replace"), error.end


_SEGMENT_FALLBACK = "dvk-cp1258-segments"
codecs.register_error(_SEGMENT_FALLBACK, _decode_segment_as_legacy)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_not_utf8(body: bytes) -> bool:
    """More broken UTF-8 sequences than good non-ASCII characters: another encoding.

    Fewer (a UTF-8 page with a paragraph pasted in Windows-1258) are decoded per segment.
    """
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    return broken > sum(1 for char in text if char > "\x7f") - broken


def decode_html(html: str | bytes, content_type: str | None = None) -> str:
    """The page's text (see :func:`decode_page`), NFC."""
    if isinstance(html, str):
        return strip_control_chars(unicodedata.normalize("NFC", html))[0]
    return decode_page(html, content_type).text


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_UNDECLARED_TYPES = frozenset({"", "application/octet-stream"})
# PDF, ZIP (docx, xlsx, odt), JPEG, PNG, GIF, OLE (doc, xls): what portals link as attachments.
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"\xd0\xcf\x11\xe0")


def is_html(page: str | bytes, content_type: str | None = None) -> bool:
    """An HTML page: declared as HTML (or undeclared) and not a PDF, office file or image.

    Portals serve attachments under article-like URLs too, and Scrapy makes an
    ``HtmlResponse`` of anything whose URL ends in ``.html``.
    """
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared not in HTML_TYPES | _UNDECLARED_TYPES:
        return False
    head = page[:4096]
    raw = head if isinstance(head, bytes) else head.encode("utf-8", "replace")
    return b"<" in raw and not raw.lstrip().startswith(_BINARY_MAGIC)


def extract_article(
    html: str | bytes,
    url: str,
    portal: str | None = None,
    *,
    fetched_at: str | None = None,
    source: str = "live",
    content_type: str | None = None,
    family: str | None = None,
) -> Article:
    """The article record of one page.

    ``url`` is the page's canonical (live) URL; ``portal`` names the portal when the
    URL's host does not (a replica, a file); ``family`` parses the page with that CMS
    family's parser instead of the portal's own (``"generic"``: any portal, see
    :mod:`dvk_crawl.families.generic`). Raises :class:`ExtractionError` when the page is
    not an article of the portal or not HTML at all.
    """
    details = extract_with_details(
        html, url, portal, fetched_at=fetched_at, source=source, content_type=content_type, family=family
    )
    return details.article


def extract_with_details(
    html: str | bytes,
    url: str,
    portal: str | None = None,
    *,
    fetched_at: str | None = None,
    source: str = "live",
    content_type: str | None = None,
    family: str | None = None,
) -> Extraction:
    """Like :func:`extract_article`, also returning the parsed fields and cleanup rules."""
    site = get_portal(portal) if portal else portal_for_url(url)
    if family is not None:
        site = replace(site, parsers=get_family(family).parsers)
    identity = identify(site, url)
    if identity is None:
        raise ExtractionError("not_article_url", f"{url} is not an article URL of {site.id}")
    return extract_identified(html, site, identity, content_type=content_type, fetched_at=fetched_at, source=source)


def extract_identified(
    html: str | bytes,
    site: Portal,
    identity: Identity,
    *,
    content_type: str | None = None,
    fetched_at: str | None = None,
    source: str = "live",
) -> Extraction:
    """The record of a page whose identity the caller found: the HTML check, decoding, parsing."""
    if not is_html(html, content_type):
        raise ExtractionError(
            "not_html", f"{identity.url}: the page is empty or not HTML ({content_type or 'no type'})"
        )
    decoded = decode_page(html, content_type) if isinstance(html, bytes) else DecodedPage(decode_html(html), "str")
    return extract_decoded(decoded, site, identity, fetched_at=fetched_at, source=source)


def extract_decoded(
    decoded: DecodedPage, site: Portal, identity: Identity, *, fetched_at: str | None = None, source: str = "live"
) -> Extraction:
    """The record of a page already checked (:func:`is_html`) and decoded (:func:`decode_page`),
    whose identity the caller found (:func:`dvk_crawl.identity.identify`): what a spider calls."""
    text, flattened = flatten_deep_nesting(decoded.text)
    page = Selector(text=text)
    parser = site.parser_for(page)(page, identity.url)
    parsed = parser.parse()
    canonical = _declared_canonical(site, parser.canonical_url(), identity.key) or identity.url
    article = _build_record(site, canonical, identity, parsed, type(parser).NAME, type(parser).VERSION)
    cleaned = _sanitise(article) | ({"deep_nesting": flattened} if flattened else {})
    article.fetched_at = fetched_at or datetime.now(UTC).isoformat(timespec="seconds")
    article.source = source
    return Extraction(article, parsed, decoded.fallback, cleaned)


def _sanitise(article: Article) -> dict[str, int]:
    """Script URLs out, oversized fields cut (before the hash is taken): what was done."""
    cleaned = {f"cut_{name}": n for name, n in cap_fields(article).items()}
    unsafe = drop_unsafe_links(article)
    return cleaned | ({"unsafe_links": unsafe} if unsafe else {})


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


def _build_record(site: Portal, url: str, identity: Identity, parsed: ParsedPage, name: str, version: str) -> Article:
    return Article(
        id=identity.id,
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
