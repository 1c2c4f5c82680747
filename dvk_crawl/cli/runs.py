"""The store's run history as ``dvk-crawl stats`` and its HTML report show it."""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from dvk_crawl.store.base import ArticleStore, PortalStats


@dataclass
class RunInfo:
    """One run of the store's history, reduced to what ``stats`` and the report show."""

    spider: str
    portal: str
    name: str
    started_at: str
    finished_at: str
    finish_reason: str
    stored: int
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


def read_runs(store: ArticleStore) -> dict[str, list[RunInfo]]:
    """Every run in the store's history per spider, oldest first."""
    runs: dict[str, list[RunInfo]] = {}
    for row in store.dump_rows("runs"):
        info = _run_info(row["spider"], row["run"])
        if info is not None:
            runs.setdefault(info.spider, []).append(info)
    return runs


def _run_info(spider: str, run: dict[str, Any]) -> RunInfo | None:
    try:
        summary = run.get("summary") or {}
        started_at = str(run.get("started_at") or "")
        return RunInfo(
            spider=str(run.get("spider") or spider),
            portal=str(run.get("portal") or spider),
            # Runs recorded before they carried their run file's name: the start, in its form.
            name=str(run.get("name") or re.sub(r"\W", "", started_at)),
            started_at=started_at,
            finished_at=str(run.get("finished_at") or ""),
            finish_reason=str(run.get("finish_reason") or "unknown"),
            stored=int(summary.get("stored", 0)),
            dropped={str(k): int(v) for k, v in (summary.get("dropped") or {}).items()},
        )
    except (ValueError, TypeError, AttributeError) as error:
        # A run from an older or foreign writer must not hide the other runs.
        print(f"dvk-crawl: warning: skipped a {spider} run in the store: {error}", file=sys.stderr)
        return None


def stats_rows(portals: list[PortalStats], runs: dict[str, list[RunInfo]]) -> list[dict[str, Any]]:
    """One row per portal with articles or runs in the store."""
    last_runs: dict[str, RunInfo] = {}
    for spider_runs in runs.values():
        latest = spider_runs[-1]
        if latest.portal not in last_runs or latest.finished_at > last_runs[latest.portal].finished_at:
            last_runs[latest.portal] = latest
    by_portal = {p.portal: p for p in portals}
    rows = []
    for portal in sorted({*by_portal, *last_runs}):
        stats = by_portal.get(portal) or PortalStats(portal, 0, 0, 0, 0, None, None)
        run = last_runs.get(portal)
        rows.append(
            {
                "portal": portal,
                "articles": stats.articles,
                "relevant": stats.relevant,
                "duplicates": stats.duplicates,
                "undated": stats.undated,
                "first_published": _day(stats.first_published),
                "last_published": _day(stats.last_published),
                "last_run": None
                if run is None
                else {
                    **{k: v for k, v in asdict(run).items() if k not in {"dropped", "portal"}},
                    "dropped": run.dropped_total,
                    "dropped_by_reason": run.dropped,
                },
            }
        )
    return rows


def _day(value: str | None) -> str | None:
    return value[:10] if value else None
