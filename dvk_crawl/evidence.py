"""Targeted discovery: whether discovery saw that a link is about the campaign before fetching it.

With ``-a discovery=targeted`` (the default) an article is fetched only with *evidence*,
seen on the discovery page that named it (``docs/discovery.md``):

- ``search``: a hit of the portal's site search for a keyword;
- ``campaign_listing``: listed on a campaign tag, topic or category page the portal file
  names under ``evidence_listings``;
- ``slug``: its URL path holds a keyword, diacritics folded (``…-dan-van-kheo-post1.html``);
- ``link_text``: the title or summary shown next to the link (a listing item, an RSS
  item's title and description, a sitemap's ``news:title`` or ``image:caption``) holds one.

The other links are not fetched: :class:`SkippedLinks` counts them
(``dvk/discovery/skipped_no_evidence``) and lists them, per discovery source, in the run
file. ``-a discovery=exhaustive`` fetches every link, as before; there the evidence is
still recorded (``none`` for a link without), so the two modes can be compared.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from dvk_crawl.keywords import Keywords
from dvk_crawl.text import fold_ascii

TARGETED, EXHAUSTIVE = "targeted", "exhaustive"
DISCOVERY_MODES = (TARGETED, EXHAUSTIVE)

SEARCH, CAMPAIGN_LISTING, SLUG, LINK_TEXT, NO_EVIDENCE = "search", "campaign_listing", "slug", "link_text", "none"
EVIDENCE_KINDS = (SEARCH, CAMPAIGN_LISTING, SLUG, LINK_TEXT)
"""What may let a link in; a start point's own kind (search, campaign listing) comes first."""
RECHECK = "recheck"
"""Not evidence of the campaign: a page an earlier run fetched and dropped once, fetched again
to confirm the drop (it was let in then), whether or not discovery reaches it this time."""

# Where a skipped link was seen: the run file lists them per source.
SOURCES = ("rss", "sitemap", "listing")

_TAG = re.compile(r"<[^>]*>")


def feed_text(markup: str) -> str:
    """An RSS description's words without its HTML (``<![CDATA[<a href="…"><img src="…">…]]>``):
    the link's own URL and an image's file name are no text shown beside the link. Its
    character references are read too (``D&acirc;n v&#7853;n``, in a CDATA section or escaped
    once more in plain XML): a keyword written with them is still a keyword."""
    return html.unescape(_TAG.sub(" ", markup))


@dataclass(frozen=True)
class EvidenceRules:
    """The crawl's keywords, folded once, and the tests a link's URL and text are put to."""

    phrases: tuple[str, ...]

    @classmethod
    def from_keywords(cls, keywords: Keywords) -> EvidenceRules:
        return cls(tuple(folded for folded in (fold_ascii(p) for p in keywords.phrases) if folded))

    def in_text(self, text: str | None) -> bool:
        """A keyword, as whole words, in the text (any case, diacritics or Unicode form)."""
        if not text:
            return False
        folded = f" {fold_ascii(text)} "
        return any(f" {phrase} " in folded for phrase in self.phrases)

    def in_slug(self, url: str) -> bool:
        """A keyword in the URL's path (``/dan-van-kheo-o-cam-xuyen-post1.html``, percent-encoded or not)."""
        return self.in_text(unquote(urlsplit(url).path))

    def evidence(self, url: str, given: str | None = None, text: str | None = None) -> str | None:
        """The kind of evidence for a link: ``given`` by its discovery page, else its slug, else its text."""
        if given:
            return given
        if self.in_slug(url):
            return SLUG
        if self.in_text(text):
            return LINK_TEXT
        return None


@dataclass
class SkippedLinks:
    """The article links targeted discovery left out: each key once, while no evidence turned up.

    A link a sitemap named without evidence may show up later on a search page: it is
    fetched then, and leaves the list. ``count`` calls ``counter(+1/-1)`` so the stat
    ``dvk/discovery/skipped_no_evidence`` is always the number of keys left out. The
    URLs listed are bounded (``limit`` per source, ``DVK_SKIPPED_LINKS_LISTED``); the
    counts are not. Links the runs before left out and this run did not see again are
    listed apart (``earlier``, :meth:`carry`; at most ``limit`` per source in all).
    """

    limit: int
    counter: Callable[[int], None] = lambda change: None
    _source_of: dict[str, str] = field(default_factory=dict)
    _listed: dict[str, dict[str, str]] = field(default_factory=lambda: {source: {} for source in SOURCES})
    _earlier: dict[str, str] = field(default_factory=dict)

    def carry(self, earlier: dict[str, str]) -> None:
        """Links (key → URL) the runs before left out: listed again until one is seen, so that a
        run which stopped paging early hands on what the pages it did not read held."""
        self._earlier.update(earlier)

    def add(self, key: str, url: str, source: str) -> None:
        self._earlier.pop(key, None)
        if key in self._source_of:
            return
        self._source_of[key] = source
        listed = self._listed.setdefault(source, {})
        if len(listed) < self.limit:
            listed[key] = url
        self.counter(1)

    def fetched(self, key: str) -> None:
        """The key is fetched after all (evidence found on a later page)."""
        self._earlier.pop(key, None)
        source = self._source_of.pop(key, None)
        if source is not None:
            self._listed[source].pop(key, None)
            self.counter(-1)

    def __len__(self) -> int:
        return len(self._source_of)

    def report(self) -> dict[str, Any]:
        """For the run file: how many were left out, and which (at most ``limit`` URLs per source)."""
        by_source: dict[str, Any] = {}
        for source in SOURCES:
            count = sum(1 for s in self._source_of.values() if s == source)
            urls = sorted(self._listed.get(source, {}).values())
            by_source[source] = {"count": count, "urls": urls, "not_listed": count - len(urls)}
        earlier = sorted(self._earlier.values())
        carried = earlier[: self.limit * len(SOURCES)]
        return {
            "count": len(self),
            "listed_per_source": self.limit,
            "by_source": by_source,
            "earlier": {"count": len(earlier), "urls": carried, "not_listed": len(earlier) - len(carried)},
        }


def skipped_urls(run: dict[str, Any]) -> list[str]:
    """The links an earlier run left out for want of evidence (as listed in its run record), and
    those it carried over from the runs before it."""
    skipped = run.get("discovery", {}).get("skipped_no_evidence") or {}
    listed = [str(url) for source in skipped.get("by_source", {}).values() for url in source.get("urls", [])]
    return listed + [str(url) for url in skipped.get("earlier", {}).get("urls", [])]


def discovery_fingerprint(start_points: dict[str, Any], keywords: Keywords) -> str:
    """What a run's discovery depended on: its start points (the portal file's, the selected
    sub-sites) and its keywords. A later run trusts an earlier one (skips its unchanged
    sitemaps, stops paging where it knew every link) only when the two are the same: a
    keyword or a start point added since makes links the earlier run left out, or never saw,
    worth fetching."""
    what = {"start_points": start_points, "keywords": sorted(keywords.phrases)}
    encoded = json.dumps(what, ensure_ascii=False, sort_keys=True, default=list).encode("utf-8")
    return "sha256:" + hashlib.sha256(encoded).hexdigest()[:32]


def run_mode(run: dict[str, Any]) -> str:
    """The discovery mode of an earlier run; runs recorded before targeted discovery fetched every link."""
    mode = run.get("discovery", {}).get("mode", EXHAUSTIVE)
    return str(mode)
