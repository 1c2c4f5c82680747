"""``dvk-crawl record``: save a live page as a new fixture case, for review.

When a portal changes its layout, record a current article: the page goes to
``tests/fixtures/<portal>/<case>/page.html`` with ``meta.json``, an
``expected.json`` filled from the *current* parser and an empty ``snippets.json``.
Review ``expected.json`` by hand against the page (the fixture rule: expected
values come from the article, not from the parser), fill the snippets, then fix
the parser until ``tests/test_fixtures.py`` passes. Needs internet; never in CI.

Offline, the page can come from what a crawl kept instead: ``--from-store --id ID``
(a stored article's page) or ``--warc FILE --offset N`` (any response record), with
the fetch time the crawl recorded.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dvk_crawl.cli import fetch
from dvk_crawl.cli.common import CliError, add_seeds_option, add_store_option, check_portal, use_seeds_option
from dvk_crawl.cli.inspect import extract_page, rules_fired, stored_page
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.reparse.core import identity_of, live_url
from dvk_crawl.reparse.kept import ORIGINAL_HEADER, UnreadablePageError, read_at
from dvk_crawl.warc import KeptPage

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
        help="save a live page (needs internet) or a kept one (--from-store, --warc) as a new fixture case",
        description=(
            "Fetch a live article (needs internet), or take a page a crawl kept (--from-store --id ID, or"
            " --warc FILE --offset N: offline), and save it as tests/fixtures/<portal>/<case>/ with "
            "expected.json filled from the current parser, for review by hand."
        ),
    )
    parser.add_argument("url", nargs="?", metavar="URL", help="the article's address on the live portal")
    parser.add_argument("--portal", help="the portal the page belongs to (required but with --from-store)")
    parser.add_argument(
        "--from-store", action="store_true", help="take the kept page of the stored article --id (offline)"
    )
    parser.add_argument("--id", dest="article_id", metavar="ID", help="with --from-store: the article, portal:key")
    parser.add_argument("--warc", metavar="FILE", help="take the response record at --offset of this WARC file")
    parser.add_argument("--offset", type=int, metavar="N", help="with --warc: the record's byte offset")
    add_store_option(parser)
    parser.add_argument("--case", help="the case folder's name (default: from the URL's slug)")
    parser.add_argument(
        "--fixtures-dir",
        default=DEFAULT_FIXTURES_DIR,
        metavar="DIR",
        help=f"where fixture cases live (default: {DEFAULT_FIXTURES_DIR}, run from the checkout)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing case of that name")
    add_seeds_option(parser)
    parser.add_argument("--timeout", type=float, default=fetch.DEFAULT_TIMEOUT, help="seconds to wait for the page")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    use_seeds_option(args.seeds_dir)
    source = page_source(args)
    if args.portal is not None:
        check_portal(args.portal)
    elif source != "store":
        raise CliError("pass --portal: the portal the page belongs to")
    if source == "url" and not args.url.startswith(("http://", "https://")):
        raise CliError(f"{args.url!r} is not a URL: record fetches a live page (for a saved file use inspect)")
    fixtures = Path(args.fixtures_dir)
    if not fixtures.is_dir():
        raise CliError(f"no fixtures folder {fixtures}: run from the dvk_crawl checkout or pass --fixtures-dir")
    page = kept_page(args) if source != "url" else None
    portal = page.portal if page is not None else args.portal
    url = page.url if page is not None else args.url
    case = args.case or case_name(url)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", case):
        raise CliError(f"case name {case!r}: use lowercase letters, digits, - and _")
    case_dir = fixtures / portal / case
    if case_dir.exists() and not args.force:
        raise CliError(f"fixture case {case_dir} exists: pass --case NAME or --force")
    if page is None:
        live = fetch.fetch_page(args.url, timeout=args.timeout)
        page = Page(live.url, portal, live.body, live.content_type, datetime.now(UTC).isoformat(timespec="seconds"))
    extraction = extract_page(page.body, page.url, portal, content_type=page.content_type, fetched_at=page.fetched_at)
    write_case(case_dir, page.body, extraction.article.to_dict(), page.fetched_at, page.note)
    rules = rules_fired(extraction)
    print(f"recorded {case_dir}/: {PAGE_NAME}, meta.json, expected.json, snippets.json")
    print(f"  {extraction.article.id}: {extraction.article.title!r}")
    print(f"  cleanup rules fired: {', '.join(f'{r}×{n}' for r, n in rules.items()) or 'none'}")
    print("  next: check expected.json against the page by hand and fill snippets.json (noise to keep out)")
    return 0


def page_source(args: argparse.Namespace) -> str:
    """Where the page comes from: ``url`` (fetched), ``store`` or ``warc`` (kept), exactly one."""
    given = {"url": args.url is not None, "store": args.from_store, "warc": args.warc is not None}
    if sum(given.values()) != 1:
        raise CliError("pass one page: a URL, --from-store --id ID, or --warc FILE --offset N")
    if args.from_store and args.article_id is None:
        raise CliError("--from-store needs --id ID (portal:key) of a stored article")
    if args.warc is not None and args.offset is None:
        raise CliError("--warc needs --offset N, the byte offset of the record (dvk-crawl inspect --id shows it)")
    return next(name for name, present in given.items() if present)


@dataclass(frozen=True)
class Page:
    url: str
    """The page's address on the portal."""
    portal: str
    body: bytes
    content_type: str | None
    fetched_at: str
    note: str = NOTE


def kept_page(args: argparse.Namespace) -> Page:
    """The page a crawl kept: a stored article's, or the record at ``--offset`` of ``--warc``."""
    if args.from_store:
        record, pointer, kept = stored_page(args.store, args.article_id)
        if args.portal is not None and args.portal != record["portal"]:
            raise CliError(f"{args.article_id} is an article of {record['portal']}, not of {args.portal}")
        url, portal, warc_file = record["url"], record["portal"], pointer["warc_file"]
    else:
        kept = read_warc_at(Path(args.warc), args.offset)
        portal, warc_file = args.portal, args.warc
        site = get_portal(portal)
        identity = identity_of(site, kept.url, kept.warc_headers)
        url = identity.url if identity else live_url(site, kept.url, kept.warc_headers.get(ORIGINAL_HEADER))
    note = f"{NOTE}; recorded from the kept page {kept.record_id} ({warc_file})"
    return Page(url, portal, kept.body, kept.content_type, kept.fetched_at, note)


def read_warc_at(path: Path, offset: int) -> KeptPage:
    """The response record at ``--offset`` of ``--warc``, or one line saying what is wrong."""
    if offset < 0:
        raise CliError(f"--offset {offset}: a byte offset is 0 or more")
    if path.is_dir():
        raise CliError(f"--warc {path} is a folder, not a WARC file")
    try:
        return read_at(path, offset)
    except UnreadablePageError as error:
        raise CliError(f"{error} ({error.reason})") from None
    except OSError as error:  # no permission, a device
        raise CliError(f"cannot read --warc {path} at offset {offset}: {error.strerror or error}") from None


def case_name(url: str) -> str:
    """A folder name from the URL's last path segment (the slug), at most 60 characters."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    segment = re.sub(r"\.[a-z]{2,5}$", "", segment.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", segment).strip("-")[:60].strip("-")
    return slug or "recorded"


def expected_from(record: dict[str, Any]) -> dict[str, Any]:
    """Every field of the record, as the fixture contract asks, but those left unchecked."""
    return {UNCHECKED: UNCHECKED_FIELDS} | {k: v for k, v in record.items() if k not in UNCHECKED_FIELDS}


def write_case(case_dir: Path, body: bytes, record: dict[str, Any], fetched_at: str, note: str = NOTE) -> None:
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / PAGE_NAME).write_bytes(body)
    meta = {"url": record["url"], "portal": record["portal"], "page": PAGE_NAME, "fetched_at": fetched_at, "note": note}
    files = {
        "meta.json": meta,
        "expected.json": expected_from(record),
        "snippets.json": {"must_contain": [], "must_not_contain": []},
    }
    for name, content in files.items():
        (case_dir / name).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
