"""Re-extract stored articles from their kept pages with today's parsers and pipelines.

For each stored record (``--portal``, ``--since``/``--until`` as ``export`` filters) the
page it points at is read back from its WARC file, extracted as the crawl did
(:func:`dvk_crawl.extract.extract_identified`, with the identity the crawl gave it) and
run through the crawl's stages (:class:`~dvk_crawl.reparse.pipelines.OfflinePipelines`).
What the page cannot tell again is carried over from the stored record: when and how
it was fetched (``fetched_at``, ``source``, ``archive``, ``archive_url``, ``archived_at``) and where
it is kept. The result is compared field by field with the stored record; only a
record that differs is written (dedup, store, feed), so a reparse with unchanged code
writes nothing. ``duplicate_of`` is the store stage's to set and is not compared.

With ``all_pages`` every article page in the WARC files is read too: a page whose
article is not stored (dropped as not relevant before a keyword was added, say) goes
through every stage like a newly crawled page and is stored if they keep it, and a
stored record without a pointer gets its article's newest kept page, with that page's
fetch time and source, unless the page is older than the record (``older_kept_page``):
text from one fetch is never dated by another, nor replaced by older text.

A stored record that matches no keyword now (one was taken off the list) is updated
with ``relevant: false``; one the other stages now drop (a parser change empties its
body) stays in the store as it is, counted by reason: a reparse never deletes.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy.settings import Settings

from dvk_crawl.archive.capture import capture_of, playback_url
from dvk_crawl.config import seeds_dir
from dvk_crawl.extract import ExtractionError, extract_identified
from dvk_crawl.identity import Identity, identify
from dvk_crawl.outcomes import Dropped
from dvk_crawl.portals.portal import Portal
from dvk_crawl.portals.registry import PORTALS, use_seeds_dir
from dvk_crawl.record import ARTICLE_FIELDS
from dvk_crawl.reparse.kept import (
    CANONICAL_HEADER,
    KEY_HEADER,
    NO_POINTER,
    ORIGINAL_HEADER,
    POINTER_FIELD,
    PORTAL_HEADER,
    PageEntry,
    UnreadablePageError,
    iter_article_pages,
    pointer_of,
    read_kept,
)
from dvk_crawl.reparse.pipelines import OfflinePipelines
from dvk_crawl.warc import KeptPage

# What the page cannot tell again: how and when the crawl got it, and where it is kept.
CARRIED_FIELDS = ("fetched_at", "source", "archive", "archive_url", "archived_at", POINTER_FIELD)
# Where and when an archive took a page: none for a live page.
ARCHIVE_FIELDS = ("archive", "archive_url", "archived_at")
# Set by the store stage when the record is written, from the store's copy groups.
NOT_COMPARED = frozenset({"duplicate_of"})
# A kept page that cannot be read back: the store points at something that is not there.
DAMAGE_REASONS = frozenset(
    {"missing_warc", "truncated_record", "unreadable_record", "record_id_mismatch", "bad_pointer"}
)
# A record without a pointer whose article's newest kept page is older than the record's
# own fetch (a later crawl with DVK_WARC_ENABLED=0): that page would put older text back.
OLDER_KEPT_PAGE = "older_kept_page"
# What language detection reads (dvk_crawl.derived.detect_article_language).
LANGUAGE_INPUTS = ("title", "lead", "text")
EXAMPLES = 5
EXCERPT_CHARS = 80


@dataclass(frozen=True)
class Change:
    article_id: str
    field: str
    before: Any
    after: Any


@dataclass
class Summary:
    """What a reparse found and did, for the closing report."""

    dry_run: bool
    examined: int = 0
    read: int = 0
    """Pages read back and extracted (``examined`` less those skipped)."""
    unchanged: int = 0
    changed: int = 0
    new: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    """Changed records per field that changed."""
    portals: Counter[str] = field(default_factory=Counter)
    """Changed (or new) records per portal."""
    examples: list[Change] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """Records or pages not re-read, by reason (``no_pointer``, ``missing_warc``, ``parser_error``, …)."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Stored records the pipelines now drop (kept as they are), by reason."""
    new_dropped: Counter[str] = field(default_factory=Counter)
    """Unstored pages (``all_pages``) the pipelines drop, by reason."""
    pages_scanned: int = 0
    feed_lines: int = 0

    @property
    def damaged(self) -> int:
        return sum(n for reason, n in self.skipped.items() if reason in DAMAGE_REASONS)


@dataclass(frozen=True)
class ReparseOptions:
    portal: str | None = None
    since: date | None = None
    until: date | None = None
    dry_run: bool = False
    all_pages: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a stored record's kept page gives today: the record and how it differs, or why none."""

    record: dict[str, Any] | None = None
    changes: tuple[Change, ...] = ()
    skipped: str | None = None
    """A reason the page was not read or extracted (``missing_warc``, ``parser_error``, …)."""
    dropped: str | None = None
    """A reason the deriving stages drop the record."""


class PageReader:
    """A stored record → what today's parser and the deriving stages make of its kept page.

    Holds no store: it runs in the reparse's process or in its worker processes.
    """

    def __init__(self, derive: Callable[[dict[str, Any]], dict[str, Any]], data_dir: Path) -> None:
        self.derive = derive
        self.data_dir = data_dir

    def reread(self, stored: dict[str, Any], fallback: dict[str, Any] | None = None) -> Outcome:
        """``fallback``: a pointer found by a scan, for a record stored before pointers were."""
        try:
            pointer = pointer_of(stored)
        except UnreadablePageError as error:
            if fallback is None:
                return Outcome(skipped=error.reason)
            pointer = fallback
        site = PORTALS.get(stored["portal"])
        if site is None:
            return Outcome(skipped="unknown_portal")
        try:
            page = read_kept(self.data_dir, pointer)
        except UnreadablePageError as error:
            return Outcome(skipped=error.reason)
        found = pointer is fallback  # a page the scan found, not the one the record was made from
        if found and fetched_before(page.fetched_at, stored.get("fetched_at")):
            return Outcome(skipped=OLDER_KEPT_PAGE)
        identity = kept_identity(site, page, stored)
        fetched_at = page.fetched_at if found else stored.get("fetched_at") or page.fetched_at
        fresh, reason = extract_record(page, site, identity, fetched_at)
        if fresh is None:
            return Outcome(skipped=reason)
        if found:  # the record now points at its page, and says when and how that page was fetched
            fresh.update(archive_fields(page))
            fresh[POINTER_FIELD] = pointer
        else:
            for name in CARRIED_FIELDS:
                if name in stored:
                    fresh[name] = stored[name]
        reuse_language(stored, fresh)
        try:
            fresh = self.derive(fresh)
        except Dropped as drop:
            return Outcome(dropped=drop.reason)
        return Outcome(fresh, tuple(differences(stored, fresh)))


def fetched_before(page_fetched_at: str, record_fetched_at: str | None) -> bool:
    """The page was fetched before the record's own fetch (compared to the second: WARC-Date
    has whole seconds); a record without a fetch time has nothing a page could be older than."""
    if not record_fetched_at:
        return False
    record_time = datetime.fromisoformat(record_fetched_at).replace(microsecond=0)
    return datetime.fromisoformat(page_fetched_at) < record_time


def extract_record(
    page: KeptPage, site: Portal, identity: Identity, fetched_at: str
) -> tuple[dict[str, Any] | None, str]:
    """The record the crawl's extraction gives the page, or None and the reason it gives none."""
    try:
        extraction = extract_identified(
            page.body, site, identity, content_type=page.content_type, fetched_at=fetched_at
        )
    except ExtractionError as error:
        return None, error.reason
    except Exception:  # a parser bug on one page must not hide the rest, as in a crawl
        return None, "parser_error"
    return as_stored(extraction.article.to_dict()), ""


# A worker process's reader, made once by the pool's initializer.
_WORKER_READER: PageReader | None = None


def _start_worker(settings: Settings, data_dir: Path) -> None:
    global _WORKER_READER
    use_seeds_dir(seeds_dir(settings))  # the portals of the crawl's seeds folder, as in the main process
    _WORKER_READER = PageReader(OfflinePipelines(settings, None).derive_stored, data_dir)


def _reread_in_worker(task: tuple[dict[str, Any], dict[str, Any] | None]) -> Outcome:
    assert _WORKER_READER is not None
    return _WORKER_READER.reread(*task)


class Reparser:
    """One reparse of a store whose pages are kept under ``data_dir``.

    With ``workers`` > 1 the pages are read, extracted and derived in that many
    processes (each with the same stages and settings); comparing happens there too,
    and this process writes, in the records' order.
    """

    BATCH = 64

    def __init__(self, pipelines: OfflinePipelines, data_dir: Path, options: ReparseOptions, workers: int = 1) -> None:
        self.pipelines = pipelines
        self.data_dir = data_dir
        self.options = options
        self.workers = workers
        self.reader = PageReader(pipelines.derive_stored, data_dir)
        self.summary = Summary(dry_run=options.dry_run)
        self.done: set[str] = set()

    def run(self, records: Iterable[dict[str, Any]], on_record: Callable[[], None] | None = None) -> Summary:
        """Reparse ``records`` (the stored ones selected); with ``all_pages``, then the
        article pages of unstored articles. ``on_record`` is called once per page read."""
        scanned = self.scan_pages() if self.options.all_pages else {}
        for stored, outcome in self.reread_all(records, scanned):
            self.done.add(stored["id"])
            self.apply(stored, outcome)
            if on_record is not None:
                on_record()
        for article_id, entry in scanned.items():
            if article_id in self.done or self.pipelines.store.has_id(article_id):
                continue  # stored, outside the selection: not this reparse's
            self.read_new(entry)
            if on_record is not None:
                on_record()
        if not self.options.dry_run:
            self.pipelines.flush()
        self.summary.feed_lines = int(self.pipelines.stats.get_value("dvk/reparse/feed_lines", 0))
        return self.summary

    def reread_all(
        self, records: Iterable[dict[str, Any]], scanned: dict[str, tuple[PageEntry, Identity]]
    ) -> Iterator[tuple[dict[str, Any], Outcome]]:
        def fallback(record: dict[str, Any]) -> dict[str, Any] | None:
            found = scanned.get(record["id"])
            return found[0].pointer if found is not None else None

        if self.workers <= 1:
            for record in records:
                yield record, self.reader.reread(record, fallback(record))
            return
        # The store's cursor is read here, in batches: a pool's feeder thread may not use it.
        # Forkserver, not fork: this process holds store connections and may run threads.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # the parsers and stages, imported once for all workers
        with context.Pool(self.workers, _start_worker, (self.pipelines.crawler.settings, self.data_dir)) as pool:
            iterator = iter(records)

            def submit() -> tuple[list[dict[str, Any]], Any] | None:
                batch = list(islice(iterator, self.BATCH))
                tasks = [(record, fallback(record)) for record in batch]
                return (batch, pool.map_async(_reread_in_worker, tasks, chunksize=8)) if batch else None

            # The workers read the next batch while this process writes the one before.
            pending = submit()
            while pending is not None:
                batch, outcomes = pending
                pending = submit()
                yield from zip(batch, outcomes.get(), strict=True)

    def apply(self, stored: dict[str, Any], outcome: Outcome) -> None:
        """Count what a stored record's page gave; write the record if it changed."""
        self.summary.examined += 1
        if outcome.skipped is not None:
            self.summary.skipped[outcome.skipped] += 1
            return
        self.summary.read += 1
        if outcome.dropped is not None:
            self.summary.dropped[outcome.dropped] += 1
        elif not outcome.changes:
            self.summary.unchanged += 1
        else:
            assert outcome.record is not None
            self.summary.changed += 1
            self.count_changes(stored["portal"], outcome.changes)
            self.write(outcome.record)

    def write(self, record: dict[str, Any]) -> None:
        if self.options.dry_run:
            return
        try:
            self.pipelines.write(record)
        except Dropped as drop:  # duplicate_id: the same id twice in one reparse
            self.summary.skipped[drop.reason] += 1

    def count_changes(self, portal: str, changes: Iterable[Change]) -> None:
        self.summary.portals[portal] += 1
        for change in changes:
            self.summary.fields[change.field] += 1
            if len(self.summary.examples) < EXAMPLES:
                self.summary.examples.append(change)

    # -- unstored article pages (--all-pages) ---------------------------------------

    def scan_pages(self) -> dict[str, tuple[PageEntry, Identity]]:
        """Every article page of the WARC files by article id, the newest fetch of each."""
        errors: list[UnreadablePageError] = []
        newest: dict[str, tuple[PageEntry, Identity]] = {}
        for entry in iter_article_pages(self.data_dir, errors):
            self.summary.pages_scanned += 1
            if not 200 <= entry.status < 300:
                continue  # a redirect or an error answer: the crawl extracted nothing from it
            site = PORTALS.get(entry.fields.get(PORTAL_HEADER) or entry.spider)
            if site is None or (self.options.portal is not None and site.id != self.options.portal):
                continue
            identity = identity_of(site, entry.url, entry.fields)
            if identity is None:
                continue
            known = newest.get(identity.id)
            if known is None or entry.pointer["fetched_at"] >= known[0].pointer["fetched_at"]:
                newest[identity.id] = (entry, identity)
        for error in errors:
            self.summary.skipped[error.reason] += 1
        return newest

    def read_new(self, scanned: tuple[PageEntry, Identity]) -> None:
        entry, identity = scanned
        site = PORTALS[identity.portal]
        self.summary.examined += 1
        try:
            page = read_kept(self.data_dir, entry.pointer)
        except UnreadablePageError as error:
            self.summary.skipped[error.reason] += 1
            return
        record, reason = extract_record(page, site, identity, page.fetched_at)
        if record is None:
            self.summary.skipped[reason] += 1
            return
        self.summary.read += 1
        record.update(archive_fields(page))
        record[POINTER_FIELD] = entry.pointer
        if not self.in_window(record.get("published_at")):
            self.summary.new_dropped["outside_window"] += 1
            return
        try:
            record = self.pipelines.derive(record)
        except Dropped as drop:
            self.summary.new_dropped[drop.reason] += 1
            return
        self.summary.new += 1
        self.summary.portals[identity.portal] += 1
        self.done.add(identity.id)
        self.write(record)

    def in_window(self, published_at: str | None) -> bool:
        """Undated pages are in the window, as in a crawl; days are Vietnam's (+07:00)."""
        if published_at is None:
            return True
        day = datetime.fromisoformat(published_at)
        since, until = self.options.since, self.options.until
        vietnam = day.astimezone(_VIETNAM) if day.tzinfo else day
        return (since is None or vietnam.date() >= since) and (until is None or vietnam.date() <= until)


_VIETNAM = datetime.fromisoformat("2000-01-01T00:00:00+07:00").tzinfo


def reuse_language(stored: dict[str, Any], fresh: dict[str, Any]) -> None:
    """The stored language when the words it was detected on are the same.

    Detection (seeded, so it repeats) is a function of title, lead and text alone and
    was half a reparse's time; the language stage keeps a language an item arrives with.
    """
    if stored.get("language") is not None and all(fresh.get(n) == stored.get(n) for n in LANGUAGE_INPUTS):
        fresh["language"], fresh["language_confidence"] = stored["language"], stored.get("language_confidence")


def as_stored(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the store gives it back (JSON), so comparing it is comparing values."""
    parsed: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False))
    return parsed


def differences(stored: dict[str, Any], fresh: dict[str, Any]) -> list[Change]:
    """The fields whose value differs, in record order (``duplicate_of`` not compared)."""
    fresh = as_stored(fresh)
    names = [*ARTICLE_FIELDS, *sorted((set(stored) | set(fresh)) - set(ARTICLE_FIELDS))]
    return [
        Change(stored["id"], name, stored.get(name), fresh.get(name))
        for name in names
        if name not in NOT_COMPARED and stored.get(name) != fresh.get(name)
    ]


def live_url(site: Portal, target_uri: str, original_url: str | None, like: str | None = None) -> str:
    """The portal URL a kept page stands for: itself, the archive capture's original, or for
    a replica the same path and query on the host of ``like`` (the URL the request was made
    for, a sub-site's maybe: ``PortalAddresses.canonical_after_redirect``), else on the home host."""
    if original_url:
        return original_url
    parts = urlsplit(target_uri)
    if site.owns_host(parts.hostname or ""):
        return target_uri
    capture = capture_of(target_uri)
    if capture is not None:
        return capture.original
    host = urlsplit(like) if like else urlsplit(site.home)
    return urlunsplit((host.scheme, host.netloc, parts.path or "/", parts.query, ""))


def identity_of(site: Portal, url: str, fields: dict[str, str], like: str | None = None) -> Identity | None:
    """The identity the crawl gave a kept page: the canonical URL and key its request
    carried (``WARC-Dvk-*`` fields) when it was not redirected, else found again from
    the URL it ended on (or the archive capture's original), as the spider does."""
    canonical, key = fields.get(CANONICAL_HEADER), fields.get(KEY_HEADER)
    if canonical and key and same_target(url, canonical):
        return Identity(site.id, canonical, key)
    return identify(site, live_url(site, url, fields.get(ORIGINAL_HEADER), canonical or like))


def same_target(fetched: str, canonical: str) -> bool:
    """The page was fetched at the canonical URL's path and query (on the portal or a replica)."""
    a, b = urlsplit(fetched), urlsplit(canonical)
    return (a.path, a.query) == (b.path, b.query)


def kept_identity(site: Portal, page: KeptPage, stored: dict[str, Any]) -> Identity:
    """The identity the crawl gave a stored article's kept page; the stored URL and key
    when the page's own fields lead to another article (never expected)."""
    found = identity_of(site, page.url, page.warc_headers, stored["url"])
    return found if found is not None and found.id == stored["id"] else stored_identity(site, stored)


def stored_identity(site: Portal, stored: dict[str, Any]) -> Identity:
    """The stored record's own URL and key: for a page a redirect brought from elsewhere."""
    return Identity(site.id, stored["url"], str(stored["id"]).split(":", 1)[1])


def archive_fields(page: KeptPage) -> dict[str, Any]:
    """When the page was fetched, its ``source`` and, for an archive capture, which archive
    holds it, where people view it and when it was taken (docs/provenance.md)."""
    capture = capture_of(page.url)
    if capture is None:
        return {"fetched_at": page.fetched_at, "source": "live"} | dict.fromkeys(ARCHIVE_FIELDS)
    parts = urlsplit(page.url)
    return {
        "fetched_at": page.fetched_at,
        "source": "archive",
        "archive": capture.archive,
        "archive_url": playback_url(f"{parts.scheme}://{parts.netloc}", capture),
        "archived_at": capture.archived_at,
    }


def excerpt(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def describe(summary: Summary, elapsed: float) -> Iterator[str]:
    """The closing report: counts, what changed per field and portal, examples, skips."""
    pages = summary.examined
    rate = f", {pages / elapsed:.0f} pages/s" if elapsed > 0 and pages else ""
    verb = "would change" if summary.dry_run else "changed"
    counts = f"{summary.changed} records {verb}, {summary.unchanged} unchanged"
    read = f"{pages}" if summary.read == pages else f"{summary.read} of {pages}"
    yield f"reparsed {read} pages in {elapsed:.1f}s{rate}: {counts}"
    if summary.pages_scanned:
        yield f"  article pages in the WARC files: {summary.pages_scanned}"
    if summary.new or summary.new_dropped:
        stored = "would be stored" if summary.dry_run else "stored"
        yield f"  pages of unstored articles: {summary.new} {stored}, {sum(summary.new_dropped.values())} dropped"
        yield from _counts("    dropped", summary.new_dropped)
    yield from _counts(f"  records {verb} per field", summary.fields)
    yield from _counts(f"  records {verb} or added per portal", summary.portals)
    if summary.examples:
        yield "  examples:"
        for change in summary.examples:
            yield f"    {change.article_id} {change.field}: {excerpt(change.before)} → {excerpt(change.after)}"
    yield from _counts("  stored records the pipelines now drop (kept unchanged)", summary.dropped)
    yield from _counts("  skipped", summary.skipped)
    if summary.examined and summary.skipped[NO_POINTER] == summary.examined:
        yield "  no selected record has a kept page: stored before pages were kept, or with DVK_WARC_ENABLED=0"
    if not summary.dry_run and summary.feed_lines:
        yield f"  feed: {summary.feed_lines} lines appended"


def _counts(title: str, counts: Counter[str]) -> Iterator[str]:
    if counts:
        yield f"{title}: " + ", ".join(f"{name} {n}" for name, n in counts.most_common())
