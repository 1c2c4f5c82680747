"""Text normalisation shared by the parsers, the pipelines and dedup.

Vietnamese portals mix composed and decomposed Unicode (NFD) and pad text with
non-breaking and zero-width spaces; everything downstream (keyword matching,
hashing, shingling) must see one form.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Runs of spaces, and single space characters other than " ": a lone " " is left alone,
# which gives the same result as replacing every run but skips a substitution per word
# (text is folded about seven times per crawled article: keywords, hashes, shingles;
# docs/benchmarks.md).
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_QUOTES = re.compile(r"[\"'“”„‟‘’‚‛«»‹›`´]")
PARAGRAPH_SEPARATOR = "\n\n"
# "Đ" has no combining form to strip: NFD leaves it whole.
_LETTERS_WITHOUT_MARKS = str.maketrans({"đ": "d", "Đ": "d"})
_NOT_WORD = re.compile(r"[\W_]+")


def normalize_line(text: str) -> str:
    """NFC, invisible characters removed, runs of spaces folded, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a body: separated by blank lines (or single newlines), never empty."""
    lines = (normalize_line(line) for line in re.split(r"\n+", text))
    return [line for line in lines if line]


def normalize_text(text: str) -> str:
    """A body as normalised paragraphs separated by one blank line."""
    return PARAGRAPH_SEPARATOR.join(split_paragraphs(text))


def fold_for_matching(text: str) -> str:
    """Case-folded NFC text without quotes, for keyword and duplicate matching."""
    folded = _QUOTES.sub(" ", normalize_line(text).casefold())
    return _SPACES.sub(" ", folded.replace("\n", " ")).strip()


def fold_ascii(text: str) -> str:
    """Lower-case words without diacritics, one space apart: ``"Dân vận “khéo”"`` → ``"dan van kheo"``.

    Targeted discovery's folding (:mod:`dvk_crawl.evidence`): a URL slug (``dan-van-kheo``) and a
    title written with or without diacritics, in NFC or NFD, fold alike; quotes and punctuation
    do not count. Looser than :func:`fold_for_matching`, which keeps diacritics ("vận" is not
    "vấn"): this only decides whether a link is fetched, and relevance is then decided on the
    article itself. Invisible characters go first, as in :func:`normalize_line`: a soft hyphen
    must not split a word.
    """
    decomposed = unicodedata.normalize("NFD", _INVISIBLE.sub("", text).translate(_LETTERS_WITHOUT_MARKS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub(" ", bare).strip()


def content_hash(text: str) -> str:
    """Stable hash of a body: insensitive to case, quotes, spacing and paragraphing."""
    return "sha256:" + hashlib.sha256(fold_for_matching(text).encode("utf-8")).hexdigest()


# A template variable left in the page: "{title}", "{publish}", "{sapo}".
_PLACEHOLDER = re.compile(r"\{[a-z][a-z_]{1,19}\}")


def unrendered_placeholders(title: str, lead: str, text: str) -> list[str]:
    """The template variables that show the page was served unfilled: any in the title or
    the lead (no headline or summary holds ``{word}``), two different ones in the text."""
    in_heads = _PLACEHOLDER.findall(title) + _PLACEHOLDER.findall(lead)
    in_text = set(_PLACEHOLDER.findall(text))
    return sorted(set(in_heads) | in_text) if in_heads or len(in_text) >= 2 else []
