"""``dvk-crawl stats``: what the store holds per portal, and how the last run ended.

Per portal: articles, relevant ones, duplicates (``duplicate_of`` set), undated
ones, the first and last publication day, and the outcome of its spider's newest
run in the store's own run history (finish reason, stored, dropped): the runs that
crawled into this store, whichever folder their run files went to. ``--html`` also
writes the self-contained report of :mod:`dvk_crawl.cli.report`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_crawl.cli.common import CliError, add_store_option, open_existing_store
from dvk_crawl.store.base import ArticleStore, PortalStats

if TYPE_CHECKING:
    from dvk_crawl.cli.figures_report import ReportedFigure


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


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="articles per portal and the last run's outcome",
        description="Per portal: articles, relevant, duplicates, first and last publication day, last run.",
    )
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with charts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.html and not Path(args.html).resolve().parent.is_dir():
        raise CliError(f"no folder {Path(args.html).parent} for --html {args.html}: create it first")
    store = open_existing_store(args.store)
    try:
        portals = store.portal_stats()
        runs = read_runs(store)
        figures = read_figures(store) if args.html else None
    finally:
        store.close()
    rows = stats_rows(portals, runs)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(format_table(rows))
    if args.html:
        from dvk_crawl.cli.report import render_report

        Path(args.html).write_text(render_report(portals, runs, figures=figures), encoding="utf-8")
        print(f"wrote the report to {args.html}", file=sys.stderr)
    return 0


def read_figures(store: ArticleStore) -> list[ReportedFigure]:
    """The figures of the report's campaign section; copies of a story would count twice."""
    from dvk_crawl.cli.figures_report import collect_figures

    records = store.iter_records(include_duplicates=False)
    try:
        return collect_figures(records)
    finally:
        getattr(records, "close", lambda: None)()


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


def format_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "the store has no articles and no runs yet"
    header = (
        f"{'portal':<14} {'articles':>8} {'relevant':>8} {'duplicates':>10} {'undated':>7}"
        f"  {'first':<10}  {'last':<10}  last run"
    )
    lines = [header]
    for row in rows:
        run = row["last_run"]
        outcome = (
            "-"
            if run is None
            else f"{run['finish_reason']} {run['finished_at'][:16].replace('T', ' ')} UTC:"
            f" stored {run['stored']}, dropped {run['dropped']}"
        )
        lines.append(
            f"{row['portal']:<14} {row['articles']:>8} {row['relevant']:>8} {row['duplicates']:>10}"
            f" {row['undated']:>7}  {row['first_published'] or '-':<10}  {row['last_published'] or '-':<10}  {outcome}"
        )
    return "\n".join(lines)
