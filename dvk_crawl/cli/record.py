"""``dvk-crawl record``: save a live page as a new fixture case, for review.

When a portal changes its layout, record a current article: the page goes to
``tests/fixtures/<portal>/<case>/page.html`` with ``meta.json``, an
``expected.json`` filled from the *current* parser and an empty ``snippets.json``.
Review ``expected.json`` by hand against the page (the fixture rule: expected
values come from the article, not from the parser), fill the snippets, then fix
the parser until ``tests/test_fixtures.py`` passes. Needs internet; never in CI.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dvk_crawl.cli import fetch
from dvk_crawl.cli.common import CliError, check_portal
from dvk_crawl.cli.inspect import extract_page, rules_fired

DEFAULT_FIXTURES_DIR = "tests/fixtures"
PAGE_NAME = "page.html"
NOTE = "recorded by dvk-crawl record; review expected.json by hand"
# The fixture contract (tests/test_fixtures.py): expected.json names every record field, or
# lists it here with the reason it is left unchecked. These are not what the page states:
# later stages compute them, from the keywords file or the store.
UNCHECKED = "unchecked"
UNCHECKED_FIELDS = {
    "word_count": "the words of text, which is checked; counted by the pipelines (tests/test_pipelines.py)",
    "content_hash": "a hash of text, which is checked; tests/test_text_and_keywords.py checks the hash",
    "language_confidence": "langdetect's probability, not something the page states",
    "relevant": "depends on seeds/keywords.txt, not on the page alone; the relevance stage's tests check it",
    "matched_keywords": "depends on seeds/keywords.txt, not on the page alone; the relevance stage's tests check it",
    "figures": "filled by the figures stage, not by the parser (tests/test_figures.py)",
    "duplicate_of": "set by the dedup stage against the store, never by the parser (tests/test_pipelines.py)",
    "page": "where a crawl kept the page (its WARC record), set by the crawl, not the parser (tests/test_warc.py)",
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "record",
        help="save a live page as a new fixture case (needs internet)",
        description=(
            "Fetch a live article (needs internet) and save it as tests/fixtures/<portal>/<case>/ with "
            "expected.json filled from the current parser, for review by hand."
        ),
    )
    parser.add_argument("url", metavar="URL", help="the article's address on the live portal")
    parser.add_argument("--portal", required=True, help="the portal the page belongs to")
    parser.add_argument("--case", help="the case folder's name (default: from the URL's slug)")
    parser.add_argument(
        "--fixtures-dir",
        default=DEFAULT_FIXTURES_DIR,
        metavar="DIR",
        help=f"where fixture cases live (default: {DEFAULT_FIXTURES_DIR}, run from the checkout)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing case of that name")
    parser.add_argument("--timeout", type=float, default=fetch.DEFAULT_TIMEOUT, help="seconds to wait for the page")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_portal(args.portal)
    if not args.url.startswith(("http://", "https://")):
        raise CliError(f"{args.url!r} is not a URL: record fetches a live page (for a saved file use inspect)")
    fixtures = Path(args.fixtures_dir)
    if not fixtures.is_dir():
        raise CliError(f"no fixtures folder {fixtures}: run from the dvk_crawl checkout or pass --fixtures-dir")
    case = args.case or case_name(args.url)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", case):
        raise CliError(f"case name {case!r}: use lowercase letters, digits, - and _")
    case_dir = fixtures / args.portal / case
    if case_dir.exists() and not args.force:
        raise CliError(f"fixture case {case_dir} exists: pass --case NAME or --force")
    page = fetch.fetch_page(args.url, timeout=args.timeout)
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    extraction = extract_page(page.body, page.url, args.portal, content_type=page.content_type, fetched_at=fetched_at)
    write_case(case_dir, page.body, extraction.article.to_dict(), fetched_at)
    rules = rules_fired(extraction)
    print(f"recorded {case_dir}/: {PAGE_NAME}, meta.json, expected.json, snippets.json")
    print(f"  {extraction.article.id}: {extraction.article.title!r}")
    print(f"  cleanup rules fired: {', '.join(f'{r}×{n}' for r, n in rules.items()) or 'none'}")
    print("  next: check expected.json against the page by hand and fill snippets.json (noise to keep out)")
    return 0


def case_name(url: str) -> str:
    """A folder name from the URL's last path segment (the slug), at most 60 characters."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    segment = re.sub(r"\.[a-z]{2,5}$", "", segment.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", segment).strip("-")[:60].strip("-")
    return slug or "recorded"


def expected_from(record: dict[str, Any]) -> dict[str, Any]:
    """Every field of the record, as the fixture contract asks, but those left unchecked."""
    return {UNCHECKED: UNCHECKED_FIELDS} | {k: v for k, v in record.items() if k not in UNCHECKED_FIELDS}


def write_case(case_dir: Path, body: bytes, record: dict[str, Any], fetched_at: str) -> None:
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / PAGE_NAME).write_bytes(body)
    meta = {"url": record["url"], "portal": record["portal"], "page": PAGE_NAME, "fetched_at": fetched_at, "note": NOTE}
    files = {
        "meta.json": meta,
        "expected.json": expected_from(record),
        "snippets.json": {"must_contain": [], "must_not_contain": []},
    }
    for name, content in files.items():
        (case_dir / name).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
