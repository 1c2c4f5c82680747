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
not do its work (every start point failed, or all of one selected sub-site's,
interrupted, the store or the feed failed, the run file not written) leaves its one-line
reason in the stat ``dvk/run/failure``, which ``scrapy crawl`` prints before exiting with code 1.
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
from dvk_crawl.outcomes import is_network_failure, is_unsettled
from dvk_crawl.store import StoreError, crawler_store
from dvk_crawl.storefiles import check_folder_writable, store_runs_dir

logger = logging.getLogger(__name__)

RUN_NAME_FORMAT = "%Y%m%dT%H%M%S%fZ"
"""A run's name: its start, UTC (the run file's name; the WARC files' names start with it too)."""


def summarize(stats: dict[str, Any]) -> dict[str, Any]:
    """The summary of one run from its stats.

    ``requests_per_stored``: every request the run made (discovery pages, robots.txt,
    articles) per article it stored, what the run cost the portal; None when it stored none."""
    dropped = {
        key.removeprefix("dvk/dropped/"): value for key, value in stats.items() if key.startswith("dvk/dropped/")
    }
    requests, stored = stats.get("downloader/request_count", 0), stats.get("dvk/store/stored", 0)
    return {
        "discovered": stats.get("dvk/discovery/articles", 0),
        "fetched": stats.get("dvk/fetch/articles", 0),
        "stored": stats.get("dvk/store/stored", 0),
        "copies": stats.get("dvk/dedup/duplicate_content", 0) + stats.get("dvk/dedup/near_duplicate", 0),
        "dropped": dict(sorted(dropped.items())),
        "requests": requests,
        "requests_per_stored": round(requests / stored, 2) if stored else None,
        "skipped_no_evidence": stats.get("dvk/discovery/skipped_no_evidence", 0),
        # -a source=archive|both: the articles each web archive gave (stored or linked as copies).
        "archives": {
            key.removeprefix(_ARCHIVE_ARTICLES): value
            for key, value in sorted(stats.items())
            if key.startswith(_ARCHIVE_ARTICLES)
        },
    }


_ARCHIVE_ARTICLES = "dvk/archive/articles/"
_ARCHIVE_STOPPED = "dvk/archive/stopped/"


def stopped_archives(stats: dict[str, Any]) -> dict[str, str]:
    """The web archives this run stopped using (they kept refusing), with why."""
    return {
        k.removeprefix(_ARCHIVE_STOPPED): str(v) for k, v in sorted(stats.items()) if k.startswith(_ARCHIVE_STOPPED)
    }


EMPTY_SHARE_ALERT = 0.25  # at least this share of fetched pages empty …
EMPTY_SHARE_RISE = 2.0  # … and this many times the share of earlier runs
EMPTY_ALERT_MIN_EMPTY = 2  # … and at least this many: one odd page of four is no layout change


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
        "sites_failed": sites_failed(stats),
        "articles_failed": articles_failed(stats),
    }


def articles_failed(stats: dict[str, Any]) -> dict[str, int]:
    """Pages dropped for a reason no visit remembers (:func:`~dvk_crawl.outcomes.is_unsettled`:
    a timeout, a 503 or 403, a parser error, a sitemap that did not parse), by reason. Only
    discovery would find such a page again: the run is not complete, so the next one walks
    discovery whole."""
    prefix = "dvk/dropped/"
    failed = {key.removeprefix(prefix): n for key, n in stats.items() if key.startswith(prefix)}
    return {reason: n for reason, n in sorted(failed.items()) if n and is_unsettled(reason)}


def sites_failed(stats: dict[str, Any]) -> dict[str, list[str]]:
    """Sub-sites (``-a sites=``) none of whose start points answered, each with why:
    ``{"xyz": ["dns_error"]}``. A start point the duplicate filter dropped is not a failure."""
    tried: dict[str, int] = {}
    failed: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if not key.startswith("dvk/discovery/sites/"):
            continue
        site, _, what = key.removeprefix("dvk/discovery/sites/").partition("/")
        if what == "start_points":
            tried[site] = value
        elif what.startswith("failed/"):
            failed.setdefault(site, {})[what.removeprefix("failed/")] = value
    return {
        site: sorted(reasons) for site, reasons in sorted(failed.items()) if sum(reasons.values()) >= tried.get(site, 0)
    }


def sites_failure(outcome: dict[str, Any]) -> str | None:
    """``site(s) xyz (dns_error) failed: none of their start points answered`` when some did, else None."""
    failed = outcome.get("sites_failed") or {}
    if not failed:
        return None
    named = ", ".join(f"{site} ({', '.join(reasons)})" for site, reasons in failed.items())
    return f"site(s) {named} failed: none of their start points answered; the other sites were crawled"


def targeting(spider: Spider, stats: dict[str, Any]) -> dict[str, Any]:
    """The discovery mode, the links fetched per kind of evidence, and those left out for want of any
    (:mod:`dvk_crawl.evidence`); empty for a spider without discovery modes."""
    mode = getattr(spider, "discovery_mode", None)
    if mode is None:
        return {}
    prefix = "dvk/discovery/evidence/"
    evidence = {key.removeprefix(prefix): value for key, value in stats.items() if key.startswith(prefix)}
    skipped = getattr(spider, "skipped", None)
    return {
        "mode": mode,
        "fingerprint": getattr(spider, "discovery_fingerprint", None),
        "evidence": dict(sorted(evidence.items())),
        "skipped_no_evidence": skipped.report() if skipped is not None else None,
    }


def _failure_hint(reasons: dict[str, int], portal: str | None) -> str:
    """What a user should check, from why the start points failed."""
    if all(is_network_failure(reason) for reason in reasons):
        return "is the network up?"
    if all(reason.startswith("http_5") or reason == "http_429" for reason in reasons):
        return "is the portal down?"
    where = f"seeds/portals/{portal}.toml" if portal else "its file in seeds/portals/"
    return f"did the portal move its pages ({where})?"


def start_points_failure(outcome: dict[str, Any]) -> str | None:
    """``5 of 5 start points failed (dns_error): is the network up?`` when none answered, else None."""
    tried, failed = outcome["start_points"], outcome["start_points_failed"]
    if not tried or sum(failed.values()) < tried:
        return None
    reasons = ", ".join(failed)
    return f"{tried} of {tried} start points failed ({reasons}): {_failure_hint(failed, outcome.get('portal'))}"


def incomplete_because(reason: str, outcome: dict[str, Any]) -> str | None:
    """Why the run does not count as complete for later runs (lastmod skipping, paging stop), or None."""
    if reason != "finished":
        return f"finish reason {reason}"
    if outcome.get("archives_stopped"):
        return "; ".join(f"archive {name} stopped ({why})" for name, why in outcome["archives_stopped"].items())
    if not outcome["start_points"]:
        return "no start point was requested"
    failed_sites = sites_failure(outcome)
    if failed_sites:
        return failed_sites
    if outcome["pages_failed"]:
        return f"{outcome['pages_failed']} discovery pages failed"
    failed = outcome.get("articles_failed") or {}
    if failed:
        reasons = ", ".join(f"{reason}={n}" for reason, n in failed.items())
        return f"{sum(failed.values())} pages failed ({reasons}); the next run looks for them again"
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
    chosen, stopped = outcome.get("archives", []), outcome.get("archives_stopped", {})
    if chosen and all(name in stopped for name in chosen):
        return "every archive stopped: " + "; ".join(f"{name} after {why}" for name, why in stopped.items())
    # Every start point failed: one line for the run, naming the sub-sites chosen (a misspelt
    # name is as likely as a network down); else the sub-sites that failed whole.
    everything = start_points_failure(outcome)
    if everything and outcome.get("sites_failed"):
        return f"{everything} (site(s) {', '.join(outcome['sites_failed'])})"
    return everything or sites_failure(outcome)


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
    empty = summary["dropped"].get("empty", 0)
    if empty >= EMPTY_ALERT_MIN_EMPTY and share >= EMPTY_SHARE_ALERT and share > EMPTY_SHARE_RISE * baseline:
        before = f"{baseline:.0%}" if earlier else "no earlier run"
        alerts.append(
            f"empty_pages_rose: {share:.0%} of fetched article pages had no body (earlier runs: {before});"
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
    """A plain-text table: one line per portal, drops spelled out by reason.

    ``skipped``: links a targeted crawl left out for want of evidence (listed in the run
    file); ``req/stored``: every request of the run per stored article, what the portal's
    host paid for each."""
    width = max([12, *(len(portal) for portal in rows)])  # "ubmttqvn_quangtri" is longer than most ids
    columns = (("discovered", 10), ("skipped", 7), ("fetched", 7), ("stored", 6), ("copies", 6), ("requests", 8))
    header = " ".join(f"{name:>{size}}" for name, size in (*columns, ("req/stored", 10)))
    lines = [f"{'portal':<{width}} {header}  dropped by reason"]
    for portal, row in rows.items():
        dropped = ", ".join(f"{reason}={n}" for reason, n in row["dropped"].items()) or "-"
        per_stored = row.get("requests_per_stored")
        counts = (
            f"{row['discovered']:>10} {row.get('skipped_no_evidence', 0):>7} {row['fetched']:>7}"
            f" {row['stored']:>6} {row.get('copies', 0):>6} {row.get('requests', 0):>8}"
            f" {'-' if per_stored is None else f'{per_stored:.2f}':>10}"
        )
        lines.append(f"{portal:<{width}} {counts}  {dropped}")
        lines.extend(f"{'':<{width}} ALERT {alert}" for alert in row.get("alerts", []))
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
        if summary["skipped_no_evidence"]:
            logger.info(
                "dvk %s: skipped %d links without evidence (listed in the run file, discovery.skipped_no_evidence)",
                spider.name,
                summary["skipped_no_evidence"],
            )
        if summary["archives"]:
            given = ", ".join(f"{name}={n}" for name, n in summary["archives"].items())
            logger.info("dvk articles per archive (%s): %s", spider.name, given)
        portal = getattr(spider, "portal_id", spider.name)
        outcome = {"portal": portal, **discovery_outcome(stats), **targeting(spider, stats)}
        outcome["archives"] = [name for name in str(stats.get("dvk/archive/archives", "")).split(",") if name]
        outcome["archives_stopped"] = stopped_archives(stats)
        run = {
            "spider": spider.name,
            "portal": portal,
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
        elif because:
            # Exit code 0 (the run did its work), but the next run will not trust it to skip anything.
            logger.warning("dvk %s: run not complete, the next run walks discovery whole: %s", spider.name, because)
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
