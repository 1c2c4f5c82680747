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
import sys
from pathlib import Path
from typing import Any

from dvk_crawl.cli.common import CliError, add_store_option, open_existing_store
from dvk_crawl.cli.figures_report import ReportedFigure, collect_figures
from dvk_crawl.cli.report import render_report
from dvk_crawl.cli.runs import read_runs, stats_rows
from dvk_crawl.store.base import ArticleStore


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
        Path(args.html).write_text(render_report(portals, runs, figures=figures), encoding="utf-8")
        print(f"wrote the report to {args.html}", file=sys.stderr)
    return 0


def read_figures(store: ArticleStore) -> list[ReportedFigure]:
    """The figures of the report's campaign section; copies of a story would count twice."""
    records = store.iter_records(include_duplicates=False)
    try:
        return collect_figures(records)
    finally:
        getattr(records, "close", lambda: None)()


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
