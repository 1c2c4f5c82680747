"""At the end of a crawl: the per-portal summary and the run file.

Reads ``DVK_RUNS_DIR`` (by default ``runs/`` beside the store, see
:mod:`dvk_crawl.storefiles`). The summary (discovered, fetched, stored, dropped by
reason) is logged; the final stats and the summary are written as JSON to
``<DVK_RUNS_DIR>/<spider>/<UTC timestamp>.json``, for monitoring, and the run
(without the stats) is added to the store's run history, which alerts, incremental
crawls, ``make demo`` and ``dvk-crawl stats`` read.

Each run records whether it was complete (finished, its start points requested by
itself, every discovery page answered): only complete runs let later runs skip
unchanged sitemaps or stop paging (``PortalSpider.load_crawl_state``). A run that did
not do its work (every start point failed, interrupted, the store or the feed failed, the run
file not written) leaves its one-line reason in the stat ``dvk/run/failure``, which
``scrapy crawl`` prints before exiting with code 1.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from dvk_crawl.config import setting
from dvk_crawl.outcomes import is_network_failure
from dvk_crawl.store import StoreError, crawler_store
from dvk_crawl.storefiles import check_folder_writable, store_runs_dir

logger = logging.getLogger(__name__)

RUN_NAME_FORMAT = "%Y%m%dT%H%M%S%fZ"
"""A run's name: its start, UTC (the run file's name; the WARC files' names start with it too)."""


def summarize(stats: dict[str, Any]) -> dict[str, Any]:
    """The summary of one run from its stats."""
    dropped = {
        key.removeprefix("dvk/dropped/"): value for key, value in stats.items() if key.startswith("dvk/dropped/")
    }
    return {
        "discovered": stats.get("dvk/discovery/articles", 0),
        "fetched": stats.get("dvk/fetch/articles", 0),
        "stored": stats.get("dvk/store/stored", 0),
        "copies": stats.get("dvk/dedup/duplicate_content", 0) + stats.get("dvk/dedup/near_duplicate", 0),
        "dropped": dict(sorted(dropped.items())),
        "requests": stats.get("downloader/request_count", 0),
    }


EMPTY_SHARE_ALERT = 0.25  # at least this share of fetched pages empty …
EMPTY_SHARE_RISE = 2.0  # … and this many times the share of earlier runs


def discovery_outcome(stats: dict[str, Any]) -> dict[str, Any]:
    """How the run's discovery went: start points tried and failed by reason, pages answered and failed."""
    prefix = "dvk/discovery/start_points_failed/"
    failed = {key.removeprefix(prefix): value for key, value in stats.items() if key.startswith(prefix)}
    return {
        "start_points": stats.get("dvk/discovery/start_points", 0),
        "start_points_failed": dict(sorted(failed.items())),
        # Fetched by an earlier part of the same JOBDIR: this run did not see them answer.
        "start_points_already_seen": stats.get("dvk/discovery/start_points_already_seen", 0),
        "start_points_answered": stats.get("dvk/discovery/start_points_answered", 0),
        "pages_answered": stats.get("dvk/discovery/pages_answered", 0),
        "pages_failed": stats.get("dvk/discovery/pages_failed", 0),
    }


def _failure_hint(reasons: dict[str, int]) -> str:
    """What a user should check, from why the start points failed."""
    if all(is_network_failure(reason) for reason in reasons):
        return "is the network up?"
    if all(reason.startswith("http_5") or reason == "http_429" for reason in reasons):
        return "is the portal down?"
    return "did the portal move its pages (seeds/portals/<portal>.toml)?"


def start_points_failure(outcome: dict[str, Any]) -> str | None:
    """``5 of 5 start points failed (dns_error): is the network up?`` when none answered, else None."""
    tried, failed = outcome["start_points"], outcome["start_points_failed"]
    if not tried or sum(failed.values()) < tried:
        return None
    reasons = ", ".join(failed)
    return f"{tried} of {tried} start points failed ({reasons}): {_failure_hint(failed)}"


def incomplete_because(reason: str, outcome: dict[str, Any]) -> str | None:
    """Why the run does not count as complete for later runs (lastmod skipping, paging stop), or None."""
    if reason != "finished":
        return f"finish reason {reason}"
    if not outcome["start_points"]:
        return "no start point was requested"
    if outcome["pages_failed"]:
        return f"{outcome['pages_failed']} discovery pages failed"
    # Dropped as already requested: by an earlier part of the same JOBDIR, or by another
    # worker of a distributed crawl. This run did not see them answer.
    unanswered = outcome["start_points"] - outcome["start_points_answered"]
    if unanswered:
        return f"{unanswered} start points were not fetched by this run (a resumed JOBDIR, another worker)"
    return None


def run_failure(reason: str, outcome: dict[str, Any]) -> str | None:
    """The one line a crawl that did not do its work ends with (exit code 1), or None."""
    if reason == "shutdown":
        return "interrupted (finish reason shutdown); run the same command again to go on"
    if reason == "store_error":
        return "the store failed (finish reason store_error); see the ERROR line above"
    if reason == "feed_error":
        return "the feed could not be written (finish reason feed_error); see the ERROR line above"
    if reason == "warc_error":
        return "the WARC files could not be written (finish reason warc_error); see the ERROR line above"
    return start_points_failure(outcome)


def find_alerts(stats: dict[str, Any], summary: dict[str, Any], previous: list[dict[str, Any]]) -> list[str]:
    """Signs that a portal failed or changed its layout: start points that all failed, no article
    links on pages that answered, or far more empty pages."""
    alerts = []
    failure = start_points_failure(discovery_outcome(stats))
    if failure:
        alerts.append(f"start_points_failed: {failure}")
    # A layout alert only when discovery pages were fetched: an offline portal has no layout to blame.
    if stats.get("dvk/discovery/article_links", 0) == 0 and stats.get("dvk/discovery/pages_answered", 0):
        alerts.append("no_articles: discovery found no article link at all; did the portal change its pages or URLs?")
    fetched = summary["fetched"]
    share = summary["dropped"].get("empty", 0) / fetched if fetched else 0.0
    earlier = [
        r["summary"]["dropped"].get("empty", 0) / r["summary"]["fetched"] for r in previous if r["summary"]["fetched"]
    ]
    baseline = sum(earlier) / len(earlier) if earlier else 0.0
    if share >= EMPTY_SHARE_ALERT and share > EMPTY_SHARE_RISE * baseline:
        alerts.append(
            f"empty_pages_rose: {share:.0%} of fetched article pages had no body (earlier runs: {baseline:.0%});"
            " the parser may no longer fit the portal's layout"
        )
    return alerts


def previous_runs(crawler: Crawler, spider: str, limit: int = 10) -> list[dict[str, Any]]:
    """The spider's earlier runs in the crawl's store, newest first: the store's history, not
    the run files, which another store's crawls may share a folder with."""
    try:
        return crawler_store(crawler).last_runs(spider, limit)
    except StoreError as error:
        logger.error("earlier runs not read from the store: %s", error)
        return []


def format_summary(rows: dict[str, dict[str, Any]]) -> str:
    """A plain-text table: one line per portal, drops spelled out by reason."""
    lines = [f"{'portal':<12} {'discovered':>10} {'fetched':>8} {'stored':>7} {'copies':>7}  dropped by reason"]
    for portal, row in rows.items():
        dropped = ", ".join(f"{reason}={n}" for reason, n in row["dropped"].items()) or "-"
        stored, copies = row["stored"], row.get("copies", 0)
        lines.append(f"{portal:<12} {row['discovered']:>10} {row['fetched']:>8} {stored:>7} {copies:>7}  {dropped}")
        lines.extend(f"{'':<12} ALERT {alert}" for alert in row.get("alerts", []))
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def runs_dir(settings: BaseSettings) -> Path:
    """Where the run files go: ``DVK_RUNS_DIR``, else beside the store.

    A crawler's settings have it from the :class:`~dvk_crawl.storefiles.StoreFiles`
    add-on; the ``scrapy crawl`` command checks the folder before any crawler (and so
    any add-on) exists, and finds the same folder here.
    """
    if settings.getpriority("DVK_RUNS_DIR") is None:
        return store_runs_dir(setting(settings, "DVK_STORE_URL"))
    return Path(setting(settings, "DVK_RUNS_DIR"))


def check_runs_dir(settings: BaseSettings, spider: str) -> None:
    """Make the spider's run folder and write a file in it, before the crawl: raise ``OSError`` if it cannot."""
    check_folder_writable(runs_dir(settings) / spider)


class RunReport:
    """Logs the summary and writes the run file when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runs_dir = runs_dir(crawler.settings)
        self.started = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = {k: _jsonable(v) for k, v in self.crawler.stats.get_stats().items()}
        summary = summarize(stats)
        summary["alerts"] = find_alerts(stats, summary, previous_runs(self.crawler, spider.name))
        for alert in summary["alerts"]:
            logger.warning("dvk alert for %s: %s", spider.name, alert)
        logger.info("dvk summary (%s)\n%s", reason, format_summary({spider.name: summary}))
        outcome = discovery_outcome(stats)
        run = {
            "spider": spider.name,
            "portal": getattr(spider, "portal_id", spider.name),
            # A distributed crawl's workers report the shared crawl's start (dvk_crawl.distributed).
            "started_at": stats.get("dvk/crawl_started_at") or self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "finish_reason": reason,
            "discovery": outcome,
            "arguments": {k: str(v) for k, v in getattr(spider, "arguments", {}).items()},
            "job": getattr(spider, "_job", None),  # Scrapyd's job id, when Scrapyd started the crawl
            "summary": summary,
            "stats": stats,
        }
        failure = run_failure(reason, outcome)
        because = incomplete_because(reason, outcome) or failure
        run.update(complete=because is None, incomplete_because=because)
        try:
            self.write_run_file(spider.name, run)
        except OSError as error:
            failure = failure or f"run file not written: {error} (setting DVK_RUNS_DIR)"
            run.update(complete=False, incomplete_because=failure)
        if failure:
            self.crawler.stats.set_value("dvk/run/failure", failure)
        # The run's name in the store's history is its run file's (dvk-crawl stats shows it).
        self.record_in_store({"name": self.run_name, **{k: v for k, v in run.items() if k != "stats"}})

    @property
    def run_name(self) -> str:
        return self.started.strftime(RUN_NAME_FORMAT)

    def write_run_file(self, spider: str, run: dict[str, Any]) -> None:
        path = self.runs_dir / spider / f"{self.run_name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        try:
            tmp.write_text(json.dumps(run, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
            tmp.replace(path)  # readers never see half a run file
        except OSError:
            tmp.unlink(missing_ok=True)  # a disk that filled leaves no half file behind
            raise
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("dvk/run_file", str(path))

    def record_in_store(self, run: dict[str, Any]) -> None:
        """The store keeps the run history incremental crawls read (the run files may be elsewhere)."""
        try:
            crawler_store(self.crawler).add_run(run)
        except StoreError as error:
            logger.error("run not recorded in the store: %s", error)
