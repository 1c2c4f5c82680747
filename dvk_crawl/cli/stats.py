"""``dvk-crawl stats``: what the store holds per portal, and how the last run ended.

Per portal: articles, relevant ones, duplicates (``duplicate_of`` set), undated
ones, the first and last publication day, and the outcome of the newest run file
of its spider in ``DVK_RUNS_DIR`` (finish reason, stored, dropped). ``--html``
also writes the self-contained report of :mod:`dvk_crawl.cli.report`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_crawl.cli.common import DEFAULT_RUNS_DIR, CliError, add_store_option, open_existing_store
from dvk_crawl.store.base import ArticleStore, PortalStats

if TYPE_CHECKING:
    from dvk_crawl.cli.figures_report import ReportedFigure


@dataclass
class RunInfo:
    """One run file, reduced to what ``stats`` and the report show."""

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
    parser.add_argument(
        "--runs-dir",
        default=DEFAULT_RUNS_DIR,
        metavar="DIR",
        help=f"where crawls write their run files (default: {DEFAULT_RUNS_DIR})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with charts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.html and not Path(args.html).resolve().parent.is_dir():
        raise CliError(f"no folder {Path(args.html).parent} for --html {args.html}: create it first")
    store = open_existing_store(args.store)
    try:
        portals = store.portal_stats()
        figures = read_figures(store) if args.html else None
    finally:
        store.close()
    runs = read_runs(Path(args.runs_dir))
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


def read_runs(runs_dir: Path) -> dict[str, list[RunInfo]]:
    """Every run file per spider, oldest first (file names are UTC timestamps)."""
    runs: dict[str, list[RunInfo]] = {}
    if not runs_dir.is_dir():
        return runs
    for spider_dir in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        for path in sorted(spider_dir.glob("*.json")):
            info = _run_info(spider_dir.name, path)
            if info is not None:
                runs.setdefault(spider_dir.name, []).append(info)
    return runs


def _run_info(spider: str, path: Path) -> RunInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        summary = data.get("summary") or {}
        return RunInfo(
            spider=str(data.get("spider") or spider),
            portal=str(data.get("portal") or spider),
            name=path.stem,
            started_at=str(data.get("started_at") or ""),
            finished_at=str(data.get("finished_at") or ""),
            finish_reason=str(data.get("finish_reason") or "unknown"),
            stored=int(summary.get("stored", 0)),
            dropped={str(k): int(v) for k, v in (summary.get("dropped") or {}).items()},
        )
    except (OSError, ValueError, TypeError, AttributeError) as error:
        # A half-written or foreign file must not hide the other runs.
        print(f"dvk-crawl: warning: skipped run file {path}: {error}", file=sys.stderr)
        return None


def stats_rows(portals: list[PortalStats], runs: dict[str, list[RunInfo]]) -> list[dict[str, Any]]:
    """One row per portal in the store or in the run files."""
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
        return "the store has no articles and there are no run files yet"
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
