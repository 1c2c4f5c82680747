"""Every parser fixture: the page through ``extract_article``, compared field by field.

Expected values were written by hand from the seed texts, never from the parser's
output; snippets say which article sentences must survive and which noise must go.
"""

from __future__ import annotations

import pytest

from dvk_crawl import extract_article
from dvk_crawl.derived import derive_fields
from dvk_crawl.record import validate_record
from tests.conftest import FixtureCase, load_fixture_cases

CASES = load_fixture_cases()
IDS = [f"{c.portal}/{c.name}" for c in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def case(request: pytest.FixtureRequest) -> FixtureCase:
    return request.param


def extract(case: FixtureCase) -> dict:
    """The record as a crawl hands it on: the page's fields and those the pipelines derive."""
    article = extract_article(case.html, case.meta["url"], case.meta["portal"], fetched_at=case.meta["fetched_at"])
    return derive_fields(article).to_dict()


def test_every_expected_field_matches(case: FixtureCase) -> None:
    record = extract(case)
    mismatches = {
        name: {"expected": expected, "got": record.get(name)}
        for name, expected in case.expected.items()
        if record.get(name) != expected
    }
    assert not mismatches, mismatches


def test_article_sentences_survive(case: FixtureCase) -> None:
    text = extract(case)["text"]
    missing = [s for s in case.snippets.get("must_contain", []) if s not in text]
    assert not missing


def test_noise_is_removed(case: FixtureCase) -> None:
    text = extract(case)["text"]
    present = [s for s in case.snippets.get("must_not_contain", []) if s in text]
    assert not present


def test_record_follows_the_schema(case: FixtureCase) -> None:
    validate_record(extract(case))
