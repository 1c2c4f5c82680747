"""At the end of a crawl: the per-portal summary and the run file.

Reads ``DVK_RUNS_DIR`` (by default ``runs/`` beside the store, see
:mod:`dvk_crawl.storefiles`). The summary (discovered, fetched, stored, dropped by
reason) is logged; the final stats and the summary are written as JSON to
``<DVK_RUNS_DIR>/<spider>/<UTC timestamp>.json``, for monitoring, and the run
(without the stats) is added to the store's run history, which alerts, incremental
crawls, ``make demo`` and ``dvk-crawl stats`` read.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from dvk_crawl.config import setting
from dvk_crawl.store import StoreError, crawler_store

logger = logging.getLogger(__name__)


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


def find_alerts(stats: dict[str, Any], summary: dict[str, Any], previous: list[dict[str, Any]]) -> list[str]:
    """Signs that a portal changed its layout: no article links at all, or far more empty pages."""
    alerts = []
    if stats.get("dvk/discovery/article_links", 0) == 0:
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


class RunReport:
    """Logs the summary and writes the run file when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runs_dir = Path(setting(crawler.settings, "DVK_RUNS_DIR"))
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
        run = {
            "spider": spider.name,
            "portal": getattr(spider, "portal_id", spider.name),
            # A distributed crawl's workers report the shared crawl's start (dvk_crawl.distributed).
            "started_at": stats.get("dvk/crawl_started_at") or self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "finish_reason": reason,
            "arguments": {k: str(v) for k, v in getattr(spider, "arguments", {}).items()},
            "job": getattr(spider, "_job", None),  # Scrapyd's job id, when Scrapyd started the crawl
            "summary": summary,
            "stats": stats,
        }
        path = self.runs_dir / spider.name / f"{self.started.strftime('%Y%m%dT%H%M%S%fZ')}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(run, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)  # readers never see half a run file
        self.crawler.stats.set_value("dvk/run_file", str(path))
        # The run's name in the store's history is its run file's (dvk-crawl stats shows it).
        self.record_in_store({"name": path.stem, **{k: v for k, v in run.items() if k != "stats"}})

    def record_in_store(self, run: dict[str, Any]) -> None:
        """The store keeps the run history incremental crawls read (the run files may be elsewhere)."""
        try:
            crawler_store(self.crawler).add_run(run)
        except StoreError as error:
            logger.error("run not recorded in the store: %s", error)
