"""A store whose article pages are kept in WARC files, built without a crawl.

The pages are fixture cases, written as WARC response records with the headers a
crawl's WARC writer gives article pages (``WARC-Dvk-Page-Kind: article``, gzip per
record, under ``<data dir>/warc/<spider>/``); the records are what the crawl's
parser and pipelines make of them, stored with their page pointer and appended to
the store's feed. The reparse tests read them back.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dvk_crawl.cli.reparse import crawl_settings
from dvk_crawl.extract import extract_article
from dvk_crawl.outcomes import Dropped
from dvk_crawl.reparse.kept import ARTICLE_KIND, PAGE_KIND_HEADER, PagePointer
from dvk_crawl.reparse.pipelines import OfflinePipelines
from dvk_crawl.store import open_store
from tests.conftest import FixtureCase


@dataclass(frozen=True)
class Page:
    url: str
    """The URL fetched (WARC-Target-URI)."""
    body: bytes
    fetched_at: str
    status: int = 200
    kind: str = ARTICLE_KIND


def write_warc(path: Path, pages: Iterable[Page]) -> list[PagePointer]:
    """The pages as response records, one gzip member each; where each one starts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pointers = []
    with path.open("ab") as stream:
        writer = WARCWriter(stream, gzip=True)
        for page in pages:
            http = StatusAndHeaders(
                f"{page.status} OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                page.url,
                "response",
                payload=io.BytesIO(page.body),
                length=len(page.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": page.fetched_at.replace("+00:00", "Z"), PAGE_KIND_HEADER: page.kind},
            )
            offset = stream.tell()
            writer.write_record(record)
            pointers.append(
                PagePointer(
                    "",
                    offset,
                    record.rec_headers.get_header("WARC-Record-ID"),
                    page.fetched_at,
                )
            )
    return pointers


@dataclass
class KeptStore:
    url: str
    data_dir: Path
    warc: Path

    @property
    def feed(self) -> Path:
        return self.data_dir / "articles.jsonl"

    def records(self) -> dict[str, dict[str, Any]]:
        with open_store(self.url) as store:
            return {r["id"]: r for r in store.iter_records()}

    def update(self, *records: dict[str, Any]) -> None:
        with open_store(self.url) as store:
            store.upsert_many(records)


def replica_url(url: str) -> str:
    """The same page on a loopback replica, as a crawl with ``-a base_url`` fetches it."""
    return "http://127.0.0.1:8123/" + url.split("/", 3)[3]


@dataclass(frozen=True)
class ArticlePage:
    """A page to keep: the portal's URL of it and what the crawl fetched."""

    portal: str
    url: str
    body: bytes
    fetched_at: str
    fetched_url: str | None = None
    """The URL fetched, when not ``url`` (a replica's)."""


def kept_store(data_dir: Path, cases: list[FixtureCase], *settings: str) -> KeptStore:
    """Crawl the fixture cases offline (see :func:`keep_pages`); the first is fetched from a replica."""
    pages = [
        ArticlePage(
            case.portal,
            case.meta["url"],
            case.html,
            case.meta["fetched_at"],
            replica_url(case.meta["url"]) if i == 0 else None,
        )
        for i, case in enumerate(cases)
    ]
    return keep_pages(data_dir, pages, *settings)


def keep_pages(data_dir: Path, pages: list[ArticlePage], *settings: str) -> KeptStore:
    """Pages to ``warc/<portal>/test-00000.warc.gz``, what the pipelines keep of them to
    ``dvk.sqlite`` and its feed. ``settings``: ``NAME=VALUE`` for the pipelines."""
    url = f"sqlite:///{data_dir / 'dvk.sqlite'}"
    open_store(url).open()
    kept: list[tuple[ArticlePage, PagePointer]] = []
    for portal in dict.fromkeys(page.portal for page in pages):
        mine = [page for page in pages if page.portal == portal]
        warc = data_dir / "warc" / portal / "test-00000.warc.gz"
        pointers = write_warc(warc, [Page(p.fetched_url or p.url, p.body, p.fetched_at) for p in mine])
        kept += [
            (p, replace(ptr, warc_file=str(warc.relative_to(data_dir)))) for p, ptr in zip(mine, pointers, strict=True)
        ]
    pipelines = OfflinePipelines(crawl_settings(url, list(settings)), data_dir / "articles.jsonl")
    pipelines.open()
    try:
        for page, pointer in kept:
            record = extract_article(page.body, page.url, page.portal, fetched_at=page.fetched_at)
            item = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
            item["page"] = pointer.to_dict()
            with contextlib.suppress(Dropped):  # not kept by the crawl's policy: in the WARC file only
                pipelines.write(pipelines.derive(item))
    finally:
        pipelines.close()
    return KeptStore(url, data_dir, data_dir / "warc" / pages[0].portal / "test-00000.warc.gz")
