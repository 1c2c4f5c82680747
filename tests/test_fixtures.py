"""Every parser fixture: the page through ``extract_article``, compared field by field.

Expected values were written by hand from the seed texts, never from the parser's
output; snippets say which article sentences must survive and which noise must go.

The contract: a case's ``expected.json`` names every field of the record, or lists it
under ``"unchecked"`` with the reason it is left out (a field another stage derives, such
as ``content_hash``). One test per case and field, so a failure names the field; a field
a case neither names nor excuses fails too, so a new record field needs a value in every case.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from dvk_crawl import extract_article
from dvk_crawl.cli.record import UNCHECKED
from dvk_crawl.derived import derive_fields
from dvk_crawl.record import ARTICLE_FIELDS, validate_record
from tests.conftest import FixtureCase, load_fixture_cases

CASES = load_fixture_cases()
IDS = [f"{c.portal}/{c.name}" for c in CASES]
BY_ID = dict(zip(IDS, CASES, strict=True))


@pytest.fixture(params=CASES, ids=IDS)
def case(request: pytest.FixtureRequest) -> FixtureCase:
    return request.param


@cache
def extracted(case_id: str) -> dict[str, Any]:
    """The record as a crawl hands it on: the page's fields and those the pipelines derive."""
    case = BY_ID[case_id]
    article = extract_article(case.html, case.meta["url"], case.meta["portal"], fetched_at=case.meta["fetched_at"])
    return derive_fields(article).to_dict()


def extract(case: FixtureCase) -> dict[str, Any]:
    return extracted(f"{case.portal}/{case.name}")


def unchecked(case: FixtureCase) -> dict[str, str]:
    reasons: dict[str, str] = case.expected.get(UNCHECKED, {})
    return reasons


@pytest.mark.parametrize(
    ("case_id", "field"),
    [(i, f) for i in IDS for f in ARTICLE_FIELDS],
    ids=[f"{i}:{f}" for i in IDS for f in ARTICLE_FIELDS],
)
def test_field_matches_the_page(case_id: str, field: str) -> None:
    case = BY_ID[case_id]
    if field in unchecked(case):
        assert field not in case.expected, f"{field} is both expected and unchecked"
        assert unchecked(case)[field].strip(), f"{field} is unchecked without a reason"
        return
    assert field in case.expected, f'expected.json neither names {field} nor lists it under "{UNCHECKED}"'
    assert extract(case)[field] == case.expected[field]


def test_expected_names_only_record_fields(case: FixtureCase) -> None:
    named = set(case.expected) - {UNCHECKED}
    assert named <= set(ARTICLE_FIELDS), named - set(ARTICLE_FIELDS)
    assert set(unchecked(case)) <= set(ARTICLE_FIELDS), set(unchecked(case)) - set(ARTICLE_FIELDS)


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
