"""How a request ends: as an article, or as a named outcome (a drop).

This module owns the names and their kinds: final (fetching the page again will not
change it: an incremental crawl remembers the visit), transient (a later run may get
the page), gone (the archive may undo it). :func:`record_drop` is the one way a drop
is recorded, by the spider, the pipelines and the middlewares alike: it counts
``dvk/<stage>/<reason>`` and ``dvk/dropped/<reason>``, writes the visit a final reason
earns and logs. A visit is final only when earned (docs/reliability.md): the store
confirms a final reason once a later run finds the same, and a link that redirects to
another article key is done once that key is stored (:func:`record_redirect`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from dvk_crawl.extensions.crawlstore import record_visit

# Outcomes that will not change by fetching the page again: an incremental crawl
# remembers them and skips the URL next time (``-a refresh=1`` retries). Download
# errors, server errors, parser errors and the date window are not among them.
FINAL_REASONS = frozenset(
    {
        "http_404",
        "http_410",
        "not_html",
        "not_article_url",
        "missing_title",
        "unrendered_template",
        "empty",
        "short_body",
        "wrong_language",
        "not_relevant",
        "no_usable_capture",
    }
)

TRANSIENT_REASONS = frozenset(
    {
        "timeout",
        "truncated",
        "connection_refused",
        "dns_error",
        "connection_lost",
        "bad_compression",
        "http_408",
        "archive_stopped",
        "warc_error",
    }
)
"""Download failures a later run may not meet (with ``http_5xx``, ``http_429``, ``download_error_*``)."""

SETTLED_REASONS = frozenset({"duplicate_id", "outside_window", "older_than_stored", "offsite_redirect", "store_error"})
"""Drops that leave nothing to fetch again: the article is stored (or another worker has it), it
is outside the run's window, the store keeps a newer copy, it moved to another host, or the
store failed (the run fails on that)."""

NETWORK_REASONS = frozenset({"timeout", "connection_refused", "dns_error", "connection_lost"})
"""Failures that say the host was not reached at all: the network (or the host) is down."""

GONE_REASONS = frozenset({"http_404", "http_410", "empty", "unrendered_template"})
"""Live outcomes the archive may undo: the page is gone (or Liferay serves it empty, or its
template unfilled)."""


class Dropped(DropItem):
    """A drop with its reason, for the summary and the visit record (see ``FINAL_REASONS``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def is_final(reason: str) -> bool:
    return reason in FINAL_REASONS


def is_network_failure(reason: str) -> bool:
    return reason in NETWORK_REASONS


def is_unsettled(reason: str) -> bool:
    """Whether a page dropped for this reason may be lost unless a later run looks for it: no
    visit remembers it (not final) and it is no settled outcome: a timeout, a 5xx, a 403, a
    parser error, a page too large, a sitemap that did not parse."""
    return reason not in FINAL_REASONS and reason not in SETTLED_REASONS


def is_transient(reason: str) -> bool:
    """Whether a later run may get the page: server errors, rate limits, network failures."""
    return reason in TRANSIENT_REASONS or reason.startswith(("download_error_", "http_5")) or reason == "http_429"


def record_drop(
    crawler: Crawler,
    reason: str,
    detail: str,
    *,
    stage: str,
    portal: str | None = None,
    article_ids: Iterable[str] = (),
    url: str | None = None,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
) -> Dropped:
    """Count a drop, record the visit it earns and log it; the ``Dropped`` to raise, for a pipeline.

    ``article_ids`` are the ids the request stood for (none when it was no article
    request); the visit is recorded under each at ``url`` (default ``detail``).
    """
    assert crawler.stats is not None
    crawler.stats.inc_value(f"dvk/{stage}/{reason}")
    crawler.stats.inc_value(f"dvk/dropped/{reason}")
    if portal is not None:
        record_outcome(crawler, reason, portal, url or detail, article_ids)
    if logger is not None:
        logger.info("dropped %s: %s", reason, detail)
    return Dropped(reason, detail)


def record_outcome(crawler: Crawler, reason: str, portal: str, url: str, article_ids: Iterable[str]) -> None:
    """The visit of a request that ended in ``reason``: recorded only for a final reason."""
    if is_final(reason):
        for article_id in article_ids:
            record_visit(crawler, article_id, portal, reason, url)


def record_redirect(crawler: Crawler, old_id: str, portal: str, target_id: str, url: str) -> None:
    """A link to ``old_id`` redirects to ``target_id``, stored: the old key is done, for good."""
    record_visit(crawler, old_id, portal, f"redirected to {target_id}", url, True)
