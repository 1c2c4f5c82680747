"""``dvk_crawl.extract_article``: the public function, without Scrapy."""

from __future__ import annotations

import pytest

from dvk_crawl import ExtractionError, extract_article
from dvk_crawl.derived import derive_fields
from dvk_crawl.keywords import Keywords
from dvk_crawl.portals import UnknownPortalError
from tests.conftest import load_fixture_cases

SEED_000 = next(c for c in load_fixture_cases() if c.name == "cam-xuyen-1440-seed000")


def test_bytes_and_str_give_the_same_record() -> None:
    url = SEED_000.meta["url"]
    a = extract_article(SEED_000.html, url, fetched_at="2026-01-01T00:00:00+00:00")
    b = extract_article(SEED_000.html.decode("utf-8"), url, fetched_at="2026-01-01T00:00:00+00:00")
    assert a == b and a.id == "baohatinh:259960"


def test_portal_argument_serves_pages_from_elsewhere() -> None:
    record = extract_article(SEED_000.html, "https://baohatinh.vn/x-post259960.html", portal="baohatinh")
    assert record.portal == "baohatinh" and derive_fields(record).relevant


def test_parsing_leaves_the_derived_fields_to_the_pipelines() -> None:
    record = extract_article(SEED_000.html, SEED_000.meta["url"])
    assert (record.content_hash, record.word_count, record.language, record.matched_keywords) == ("", 0, None, [])
    derived = derive_fields(record, Keywords(("Cẩm Xuyên", "no such phrase here")))
    assert derived.language == "vi" and derived.word_count == len(record.text.split()) and derived.content_hash
    assert derived.matched_keywords == ["Cẩm Xuyên"] and derived.relevant


def test_old_and_new_urls_share_one_key() -> None:
    old = extract_article(SEED_000.html, "https://www.baohatinh.vn/chinh-tri/cam-xuyen/259960.htm")
    assert old.id == "baohatinh:259960"


@pytest.mark.parametrize(
    "url",
    ["https://baohatinh.vn/tv/lan-toa-18342.html", "https://baohatinh.vn/dan-van-kheo-tag4017.html"],
)
def test_non_article_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ExtractionError) as error:
        extract_article(SEED_000.html, url)
    assert error.value.reason == "not_article_url"


def test_mirror_hosts_are_not_the_portal() -> None:
    with pytest.raises(UnknownPortalError, match=r"hatinh24h\.com\.vn"):
        extract_article(SEED_000.html, "https://hatinh24h.com.vn/cam-xuyen-post259960.html")


@pytest.mark.parametrize("html", [b"", b"%PDF-1.4 binary", "   "])
def test_empty_or_non_html_is_refused_with_a_reason(html: bytes | str) -> None:
    with pytest.raises(ExtractionError) as error:
        extract_article(html, "https://baohatinh.vn/x-post1.html")
    assert error.value.reason == "not_html"
