"""``dvk-crawl inspect``: the record one page gives, and which cleanup rules fired on it.

The quickest way to see what a portal's layout change broke: run it on a page
and look at the fields and at the rules (``drop:<selector>``, ``tail_cut``,
``caption_in_text``, …) — a rule that no longer fires, or an empty field, points at
the markup that moved. ``inspect FILE`` works offline; ``inspect URL`` fetches the
page and needs internet. ``inspect --id ID`` shows a stored record and the page it
was made from, as the crawl kept it (WARC), offline.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from dvk_crawl.cli import fetch
from dvk_crawl.cli.common import (
    CliError,
    add_seeds_option,
    add_store_option,
    check_portal,
    known_portals,
    open_existing_store,
    use_seeds_option,
)
from dvk_crawl.derived import derive_fields
from dvk_crawl.extract import Extraction, ExtractionError, decode_html, extract_identified, extract_with_details
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.reparse.core import kept_identity
from dvk_crawl.reparse.kept import CANONICAL_HEADER, ORIGINAL_HEADER, UnreadablePageError, pointer_of, read_kept
from dvk_crawl.storefiles import store_data_dir
from dvk_crawl.warc import KeptPage

EXCERPT_CHARS = 300


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show the record of one page (file or URL) and the cleanup rules that fired; or a stored one (--id)",
        description=(
            "Extract one page as a crawl would and show the record and the cleanup rules that fired. "
            "A FILE is read offline; a URL is fetched (needs internet). --id ID shows a stored record and its"
            " kept page (URL, fetch time, WARC record id, status, text), offline."
        ),
    )
    parser.add_argument("target", nargs="?", metavar="URL|FILE", help="an article URL (fetched) or a saved page")
    parser.add_argument(
        "--id", dest="article_id", metavar="ID", help="instead, a stored article (portal:key) and its kept page"
    )
    add_store_option(parser)
    parser.add_argument("--portal", help="the portal whose parser to use (default: from the URL's host)")
    parser.add_argument(
        "--url",
        help="for a FILE: the page's address on the portal (default: its rel=canonical or og:url)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object: record, cleanup, parser")
    add_seeds_option(parser)
    parser.add_argument("--timeout", type=float, default=fetch.DEFAULT_TIMEOUT, help="seconds to wait for a URL")
    parser.set_defaults(run=run)


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def run(args: argparse.Namespace) -> int:
    use_seeds_option(args.seeds_dir)
    if (args.target is None) == (args.article_id is None):
        raise CliError("pass a page (URL or FILE) or --id ID of a stored article, not both")
    if args.article_id is not None:
        return show_stored(args.store, args.article_id, as_json=args.json)
    if args.portal is not None:
        check_portal(args.portal)
    if is_url(args.target):
        page = fetch.fetch_page(args.target, timeout=args.timeout)
        body, url, content_type = page.body, page.url, page.content_type
    else:
        path = Path(args.target)
        if not path.is_file():
            raise CliError(f"no file {args.target}: pass a saved page or an http(s) URL")
        body, content_type = path.read_bytes(), None
        declared = args.url or declared_url(body)
        if not declared:
            raise CliError(f"{args.target} names no canonical URL: pass --url with the page's address on the portal")
        url = declared
    extraction = extract_page(body, url, args.portal, content_type=content_type)
    print(json.dumps(as_json(extraction), ensure_ascii=False, indent=2) if args.json else describe(extraction))
    return 0


def stored_page(store_url: str, article_id: str) -> tuple[dict[str, Any], dict[str, Any], KeptPage]:
    """A stored record, its page pointer and its kept page, or one line saying why not."""
    store = open_existing_store(store_url)
    try:
        found = store.records_by_id([article_id])
    finally:
        store.close()
    if not found:
        raise CliError(f"no article {article_id} in store {store_url} (ids are portal:key, e.g. baohatinh:259960)")
    record = found[0]
    try:
        pointer = pointer_of(record)
        return record, pointer, read_kept(store_data_dir(store_url), pointer)
    except UnreadablePageError as error:
        raise CliError(f"{error} ({error.reason})") from None


def show_stored(store_url: str, article_id: str, *, as_json: bool) -> int:
    record, pointer, page = stored_page(store_url, article_id)
    text = page_text(page, record)
    facts = page_facts(pointer, page)
    if as_json:
        print(json.dumps({"record": record, "page": facts | {"text": text}}, ensure_ascii=False, indent=2))
        return 0
    width = max(len(name) for name in facts)
    lines = [json.dumps(record, ensure_ascii=False, indent=2), "", "kept page:"]
    lines += [f"  {name:<{width}}  {value}" for name, value in facts.items() if value is not None]
    excerpt = " ".join(text.split())[:EXCERPT_CHARS] if text else "(today's parser reads no article text from it)"
    lines += [f"  {'text':<{width}}  {excerpt}{'…' if len(text) > EXCERPT_CHARS else ''}"]
    print("\n".join(lines))
    return 0


def page_facts(pointer: dict[str, Any], page: KeptPage) -> dict[str, Any]:
    """What identifies the page as collected: how a citation names it."""
    return {
        "url": page.url,
        "original_url": page.warc_headers.get(ORIGINAL_HEADER),
        "canonical_url": page.warc_headers.get(CANONICAL_HEADER),
        "fetched_at": page.fetched_at,
        "warc_record_id": page.record_id,
        "warc_file": pointer["warc_file"],
        "warc_offset": pointer["warc_offset"],
        "status": page.status,
        "content_type": page.content_type,
        "payload_digest": page.warc_headers.get("WARC-Payload-Digest"),
        "bytes": len(page.body),
    }


def page_text(page: KeptPage, record: dict[str, Any]) -> str:
    """The article text today's parser reads from the kept page ("" if it reads none)."""
    try:
        site = get_portal(record["portal"])
        extraction = extract_identified(
            page.body, site, kept_identity(site, page, record), content_type=page.content_type
        )
    except Exception:  # the page is shown whatever the parser makes of it
        return ""
    return extraction.article.text


def declared_url(body: bytes) -> str | None:
    """The page's own address: ``rel=canonical``, else ``og:url``."""
    page = Selector(text=decode_html(body))
    for query in ('link[rel="canonical"]::attr(href)', 'meta[property="og:url"]::attr(content)'):
        value = page.css(query).get()
        if value and is_url(value.strip()):
            return value.strip()
    return None


def extract_page(
    body: bytes, url: str, portal: str | None, *, content_type: str | None = None, fetched_at: str | None = None
) -> Extraction:
    """``extract_with_details`` with its failures as one-line errors."""
    from dvk_crawl.portals.registry import UnknownPortalError

    try:
        extraction = extract_with_details(body, url, portal, content_type=content_type, fetched_at=fetched_at)
    except UnknownPortalError:
        host = urlsplit(url).hostname or url
        raise CliError(
            f"no portal serves {host}: pass --portal (known portals: {', '.join(known_portals())})"
        ) from None
    except ExtractionError as error:
        raise CliError(f"{error} ({error.reason})") from None
    derive_fields(extraction.article)  # what the pipelines add: language, relevance, hash
    return extraction


def rules_fired(extraction: Extraction) -> dict[str, int]:
    """How often each cleanup rule removed something, in the order they first fired."""
    return dict(Counter(extraction.parsed.cleanup))


def as_json(extraction: Extraction) -> dict[str, Any]:
    return {
        "record": extraction.article.to_dict(),
        "cleanup": rules_fired(extraction),
        "parser": extraction.article.parser,
    }


def describe(extraction: Extraction) -> str:
    """The record as pretty JSON, then what a person checks first."""
    article = extraction.article
    rules = rules_fired(extraction)
    paragraphs = [p for p in article.text.split("\n\n") if p]
    language = article.language or "unknown"
    if article.language_confidence is not None:
        language += f" ({article.language_confidence:.2f})"
    relevant = f"yes ({', '.join(article.matched_keywords)})" if article.relevant else "no"
    lines = [
        json.dumps(article.to_dict(), ensure_ascii=False, indent=2),
        "",
        f"parser: {article.parser}",
        f"body: {len(paragraphs)} paragraphs, {len(article.text)} characters; language {language}; relevant {relevant}",
        f"empty fields: {', '.join(_empty_fields(article.to_dict())) or 'none'}",
        f"cleanup rules fired ({sum(rules.values())}):" if rules else "cleanup rules fired: none",
    ]
    width = max((len(rule) for rule in rules), default=0)
    lines += [f"  {rule:<{width}}  {count}" for rule, count in rules.items()]
    return "\n".join(lines)


_WATCHED = ("title", "lead", "text", "published_at", "authors", "section", "tags", "images")


def _empty_fields(record: dict[str, Any]) -> list[str]:
    """Fields a parser usually fills: an empty one after a redesign is the first clue."""
    return [name for name in _WATCHED if not record.get(name)]
