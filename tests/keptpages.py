"""A store whose article pages are kept in WARC files, built without a crawl.

The pages (fixture cases, generated pages) are written by the crawl's own WARC
writer (:class:`dvk_crawl.warc.WarcFiles`) with the ``WARC-Dvk-*`` fields a crawl gives
an article page, under ``<data dir>/warc/<portal>/``; the records are what the
crawl's parser and pipelines make of them, stored with their page pointer and
appended to the store's feed, as a crawl does. The reparse tests read them back.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dvk_crawl.archive.capture import Capture, replay_url
from dvk_crawl.cli.reparse import crawl_settings
from dvk_crawl.extract import extract_article
from dvk_crawl.identity import identify
from dvk_crawl.outcomes import Dropped
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.reparse.pipelines import OfflinePipelines
from dvk_crawl.store import open_store
from dvk_crawl.warc import Exchange, PagePointer, WarcFiles
from dvk_crawl.warc.writer import DVK_HEADER
from tests.conftest import FixtureCase

RUN = "test"
HTML = [("Content-Type", "text/html; charset=utf-8")]


@dataclass(frozen=True)
class ArticlePage:
    """A page to keep: the portal's URL of it and what the crawl fetched."""

    portal: str
    url: str
    body: bytes
    fetched_at: str
    fetched_url: str | None = None
    """The URL fetched, when not ``url`` (a replica's)."""
    kind: str = "article"
    captured: str | None = None
    """For a web-archive capture: its timestamp (``20231015021500``); fetched from the archive."""


ARCHIVE = "https://web.archive.org"


def write_warc(data_dir: Path, pages: list[ArticlePage]) -> list[PagePointer]:
    """The pages as a crawl of their portal keeps them, in ``warc/<portal>/test-00000.warc.gz``."""
    pointers: dict[int, PagePointer] = {}
    for portal in dict.fromkeys(page.portal for page in pages):
        files = WarcFiles(data_dir, data_dir / "warc" / portal, RUN, 1 << 30, {"software": "tests/keptpages.py"})
        files.open()
        try:
            for number, page in enumerate(pages):
                if page.portal == portal:
                    pointers[number] = files.write(exchange(page), datetime.fromisoformat(page.fetched_at))
        finally:
            files.close()
    return [pointers[number] for number in range(len(pages))]


def exchange(page: ArticlePage) -> Exchange:
    """The page's answer with the fields the crawl's WARC middleware adds (dvk_fields)."""
    identity = identify(get_portal(page.portal), page.url)
    fields = {"Portal": page.portal, "Kind": page.kind}
    url = page.fetched_url or page.url
    if page.captured is None:
        fields["Canonical-URI"] = page.url
    else:  # an archive capture request carries no canonical URL; the writer names the capture
        capture = Capture(page.captured, page.url)
        url = replay_url(ARCHIVE, capture)
        fields |= {"Original-URI": page.url, "Archived-At": capture.archived_at}
    if identity is not None:
        fields["Key"] = identity.key
    return Exchange(
        url=url,
        method="GET",
        request_headers=[],
        status=200,
        response_headers=HTML,
        body=page.body,
        extra={DVK_HEADER + name: value for name, value in fields.items()},
    )


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
    pointers = write_warc(data_dir, pages)
    pipelines = OfflinePipelines(crawl_settings(url, list(settings)), data_dir / "articles.jsonl")
    pipelines.open()
    try:
        for page, pointer in zip(pages, pointers, strict=True):
            record = extract_article(page.body, page.url, page.portal, fetched_at=pointer["fetched_at"])
            record.page = dict(pointer)
            item = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
            with contextlib.suppress(Dropped):  # not kept by the crawl's policy: in the WARC file only
                pipelines.write(pipelines.derive(item))
    finally:
        pipelines.close()
    return KeptStore(url, data_dir, data_dir / "warc" / pages[0].portal / f"{RUN}-00000.warc.gz")
