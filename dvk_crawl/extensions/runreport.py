"""At the end of a crawl: the per-portal summary and the run file.

Reads ``DVK_RUNS_DIR``. The summary (discovered, fetched, stored, dropped by
reason) is logged; the final stats and the summary are written as JSON to
``<DVK_RUNS_DIR>/<spider>/<UTC timestamp>.json``, which ``make demo`` and
monitoring read.
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
        "dropped": dict(sorted(dropped.items())),
        "requests": stats.get("downloader/request_count", 0),
    }


def format_summary(rows: dict[str, dict[str, Any]]) -> str:
    """A plain-text table: one line per portal, drops spelled out by reason."""
    lines = [f"{'portal':<12} {'discovered':>10} {'fetched':>8} {'stored':>7}  dropped by reason"]
    for portal, row in rows.items():
        dropped = ", ".join(f"{reason}={n}" for reason, n in row["dropped"].items()) or "-"
        lines.append(f"{portal:<12} {row['discovered']:>10} {row['fetched']:>8} {row['stored']:>7}  {dropped}")
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
        logger.info("dvk summary (%s)\n%s", reason, format_summary({spider.name: summary}))
        run = {
            "spider": spider.name,
            "portal": getattr(spider, "portal_id", spider.name),
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "finish_reason": reason,
            "arguments": {k: str(v) for k, v in getattr(spider, "arguments", {}).items()},
            "summary": summary,
            "stats": stats,
        }
        path = self.runs_dir / spider.name / f"{self.started.strftime('%Y%m%dT%H%M%S%fZ')}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(run, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)  # readers never see half a run file
        self.crawler.stats.set_value("dvk/run_file", str(path))
