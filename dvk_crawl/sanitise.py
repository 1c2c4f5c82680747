"""What a hostile or broken page may not put into a record: invisible control characters,
script URLs, fields of unbounded size.

Each function returns what it removed, so the crawl can count it
(``dvk/clean/<name>``, see ``docs/reliability.md``) instead of changing a record silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from urllib.parse import urlsplit

from dvk_crawl.record import Article

# C0 controls other than tab, newline and carriage return, and the non-characters
# U+FFFE/U+FFFF. Text pasted from Word carries them, and one of them makes lxml (and so
# trafilatura) return nothing: the whole article would be lost for one invisible byte.
_CONTROL_CHARS = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]")

LINK_SCHEMES = frozenset({"http", "https"})
"""The only schemes an image or attachment URL may have: ``javascript:``, ``vbscript:``
and ``data:`` URLs would run or embed content wherever a user opens the record."""

FIELD_LIMITS = {
    "title": 1_000,
    "lead": 5_000,
    "text": 1_000_000,
    "section": 500,
    "author": 200,
    "tag": 200,
    "caption": 1_000,
}
"""Characters kept per field (per entry for authors and tags): a real article stays far
below; a broken template that pours the whole page (a 1M-character title) is cut."""
LIST_LIMIT = 500
"""Entries kept in ``authors``, ``tags``, ``images`` and ``attachments``."""


def strip_control_chars(text: str) -> tuple[str, int]:
    """The text without the characters no HTML parser keeps, and how many there were."""
    return _CONTROL_CHARS.subn("", text)


def is_safe_link(url: str) -> bool:
    """An absolute ``http(s)`` URL with a host."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc)


def drop_unsafe_links(article: Article) -> int:
    """Remove images and attachments whose URL is not ``http(s)``; how many went."""
    images = [image for image in article.images if is_safe_link(image.url)]
    attachments = [url for url in article.attachments if is_safe_link(url)]
    removed = len(article.images) - len(images) + len(article.attachments) - len(attachments)
    article.images, article.attachments = images, attachments
    return removed


def cap_fields(article: Article) -> Counter[str]:
    """Cut every field to :data:`FIELD_LIMITS` and :data:`LIST_LIMIT`; the fields cut."""
    cut: Counter[str] = Counter()
    for name in ("title", "lead", "text", "section"):
        value = getattr(article, name)
        if value is not None and len(value) > FIELD_LIMITS[name]:
            setattr(article, name, value[: FIELD_LIMITS[name]])
            cut[name] += 1
    for name, entry in (("authors", "author"), ("tags", "tag")):
        values = getattr(article, name)
        capped = [value[: FIELD_LIMITS[entry]] for value in values[:LIST_LIMIT]]
        if capped != values:
            setattr(article, name, capped)
            cut[name] += 1
    for name in ("images", "attachments"):
        values = getattr(article, name)
        if len(values) > LIST_LIMIT:
            setattr(article, name, values[:LIST_LIMIT])
            cut[name] += 1
    limit = FIELD_LIMITS["caption"]
    if any(image.caption and len(image.caption) > limit for image in article.images):
        article.images = [
            replace(image, caption=image.caption[:limit] if image.caption else image.caption)
            for image in article.images
        ]
        cut["captions"] += 1
    return cut


NESTING_LIMIT = 1_000
"""Open elements kept one inside the other. libxml2 (under lxml, parsel and trafilatura)
stops parsing past 2,048 levels, and a legacy page that never closes its ``<font>`` or
``<div>`` tags gets there: everything after that depth, the article included, is lost."""
_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)(?:\s[^>]*)?(/?)>")
# Void elements never nest; these close themselves when a sibling opens (<p>, <li>, <td>).
_NOT_NESTING = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    | {"p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody", "tfoot"}
)


def flatten_deep_nesting(html: str) -> tuple[str, int]:
    """The page without the start tags that would open an element deeper than
    :data:`NESTING_LIMIT` (their text kept), and how many were removed; unchanged when
    nothing is that deep.

    Made for tags left open (the way such pages get that deep): an end tag closes the
    innermost element still open, as a browser does, so the page's own end tags keep
    closing its own containers and the article's container stays where it was.
    """
    removed = 0
    depth = 0
    pieces: list[str] = []
    last = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match[1], match[2].lower(), match[3]
        if name in _NOT_NESTING or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        elif depth < NESTING_LIMIT:
            depth += 1
        else:
            pieces.append(html[last : match.start()])
            last = match.end()
            removed += 1
    if not removed:
        return html, 0
    pieces.append(html[last:])
    return "".join(pieces), removed
