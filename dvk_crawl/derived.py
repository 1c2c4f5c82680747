"""The fields a record derives from its own text: content hash, word count, language, relevance.

A page holds none of them, so :func:`dvk_crawl.extract.extract_article` leaves them
unset. In a crawl each is computed once, by its pipeline stage, through these
functions (normalise: hash and word count; language; relevance, with the crawl's
keywords). :func:`derive_fields` runs them all for a page read without a crawl
(``dvk inspect``, ``dvk record``, the benchmarks, the fixture tests).
"""

from __future__ import annotations

from dvk_crawl.keywords import Keywords, default_keywords
from dvk_crawl.language import detect_language
from dvk_crawl.record import Article
from dvk_crawl.text import content_hash


def count_words(text: str) -> int:
    return len(text.split())


def detect_article_language(title: str | None, lead: str | None, text: str | None) -> tuple[str | None, float | None]:
    """``(code, probability)`` of the title, lead and body read together."""
    return detect_language("\n".join(filter(None, (title, lead, text))))


def match_keywords(keywords: Keywords, title: str | None, lead: str | None, text: str | None) -> list[str]:
    """The campaign keywords in the title, lead or body, in the keywords file's order."""
    return keywords.matches(" ".join(filter(None, (title, lead, text))))


def derive_fields(article: Article, keywords: Keywords | None = None) -> Article:
    """Fill what the pipelines would: hash, word count, language (unless set) and relevance.

    ``keywords`` default to the packaged ``seeds/keywords.txt``.
    """
    article.content_hash = content_hash(article.text)
    article.word_count = count_words(article.text)
    if article.language is None:
        article.language, article.language_confidence = detect_article_language(
            article.title, article.lead, article.text
        )
    article.matched_keywords = match_keywords(keywords or default_keywords(), article.title, article.lead, article.text)
    article.relevant = bool(article.matched_keywords)
    return article
