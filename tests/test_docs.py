"""The docs stay true to the code: every setting and record field is documented."""

from __future__ import annotations

import re

from dvk_crawl.config import PROJECT_DIR, SETTINGS
from dvk_crawl.record import ARTICLE_FIELDS, article_schema

DOCS = PROJECT_DIR / "docs"


def test_every_dvk_setting_is_documented_and_no_stale_one() -> None:
    documented = set(re.findall(r"`(DVK_[A-Z_]+)`", (DOCS / "settings.md").read_text(encoding="utf-8")))
    assert documented == set(SETTINGS)


def test_every_record_field_is_in_the_schema_and_its_doc() -> None:
    doc = (DOCS / "schema.md").read_text(encoding="utf-8")
    assert set(article_schema()["properties"]) == set(ARTICLE_FIELDS)
    assert [f for f in ARTICLE_FIELDS if f"`{f}`" not in doc] == []


def test_readme_gives_the_two_setup_commands() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
