from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from dvk_crawl.keywords import Keywords, SeedFileError, load_keywords
from dvk_crawl.language import detect_language
from dvk_crawl.seeds import load_seeds
from dvk_crawl.text import content_hash, normalize_text, split_paragraphs


def test_paragraphs_are_nfc_trimmed_and_never_empty() -> None:
    nfd = unicodedata.normalize("NFD", "Dân vận khéo")
    assert split_paragraphs(f"  {nfd}\u00a0 \n\n\n\u200b\n Hai  ba ") == ["Dân vận khéo", "Hai ba"]
    assert normalize_text("a\n\n\nb") == "a\n\nb"


def test_content_hash_ignores_case_quotes_spacing_and_unicode_form() -> None:
    a = "Toàn huyện có 421 mô hình “Dân vận khéo”.\n\nĐoạn hai."
    b = unicodedata.normalize("NFD", 'toàn huyện  có 421 mô hình "dân vận khéo".\nĐoạn hai.')
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(a + " Thêm.")


@pytest.mark.parametrize(
    "text",
    [
        "phong trào “Dân vận khéo”",
        'mô hình "dân vận khéo"',
        "DÂN VẬN KHÉO",
        unicodedata.normalize("NFD", "dân vận khéo"),
    ],
)
def test_keywords_match_with_or_without_quotes_case_and_form(text: str) -> None:
    assert Keywords(("dân vận khéo",)).matches(text) == ["dân vận khéo"]


def test_keywords_do_not_match_other_text() -> None:
    assert Keywords(("dân vận khéo",)).matches("công tác dân vận trong tình hình mới") == []


def test_malformed_keyword_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "keywords.txt"
    path.write_text("# comment\ndân vận khéo\nab\n", encoding="utf-8")
    with pytest.raises(SeedFileError, match=r"keywords.txt:3: keyword 'ab' is too short"):
        load_keywords(path)


def test_malformed_seeds_file_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "portals").mkdir()
    (tmp_path / "portals" / "x.toml").write_text(
        'rss = ["https://a.vn/rss"]\nlistingz = ["https://a.vn/"]\n', encoding="utf-8"
    )
    with pytest.raises(SeedFileError, match=r"x.toml:2: unknown key 'listingz'"):
        load_seeds(tmp_path, "x")
    (tmp_path / "portals" / "y.toml").write_text('search = "https://a.vn/?q="\n', encoding="utf-8")
    with pytest.raises(SeedFileError, match=r"y.toml:1: search must be a URL template"):
        load_seeds(tmp_path, "y")
    (tmp_path / "portals" / "z.toml").write_text('rss = ["https://a.vn/rss"]\nsearch = \n', encoding="utf-8")
    with pytest.raises(SeedFileError, match=r"z.toml: not valid TOML: .*line 2"):
        load_seeds(tmp_path, "z")


def test_language_detection_is_repeatable() -> None:
    text = "Toàn huyện đã xây dựng 1.440 mô hình dân vận khéo trên các lĩnh vực của đời sống xã hội."
    assert detect_language(text) == detect_language(text)
    assert detect_language(text)[0] == "vi"
    assert detect_language("") == (None, None)
