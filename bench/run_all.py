"""``make bench``: every benchmark, one JSON results file, one table per benchmark.

Writes ``bench/results/<UTC date>.json`` with the machine (cores, memory, CPU
model, load), the Python and library versions, the command and every number;
``docs/benchmarks.md`` is written from it. ``--full`` adds dedup at 100,000
articles (about ten more minutes); ``--quick`` runs tiny sizes only (a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import crawl, dedup, discovery, extraction, figures, generic_score, recrawl, reparse, store
from bench.common import ROOT, load_average, write_json

LIBRARIES = (
    "scrapy",
    "twisted",
    "trafilatura",
    "lxml",
    "parsel",
    "langdetect",
    "datasketch",
    "numpy",
    "psycopg",
    "vietnam-number",
    "vietnamadminunits",
)


def machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), "?"
    )
    memory = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), "?"
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain")),
    }


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _version(name: str) -> str | None:
    try:
        return version(name)
    except Exception:  # not installed: reported as such
        return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def plan(quick: bool, full: bool) -> list[tuple[str, Callable[[], dict[str, Any]], Callable[[dict[str, Any]], str]]]:
    if quick:
        return [
            ("extraction", lambda: extraction.run(pages=10, repeats=1), extraction.format_table),
            ("crawl", lambda: crawl.run(articles=20, repeats=1), crawl.format_table),
            ("recrawl", lambda: recrawl.run(["baoyenbai"]), recrawl.format_table),
            ("dedup", lambda: dedup.run((50, 100)), dedup.format_table),
            ("store", lambda: store.run(count=100, repeats=1), store.format_table),
            ("figures", lambda: figures.run(pages=10), figures.format_table),
            ("generic_score", generic_score.run, generic_score.format_table),
            ("discovery", lambda: discovery.run(articles=600), discovery.format_table),
            ("reparse", lambda: reparse.run(pages=20, repeat=1, workers=1), reparse.format_table),
        ]
    return [
        ("extraction", extraction.run, extraction.format_table),
        ("crawl", crawl.run, crawl.format_table),
        ("recrawl", recrawl.run, recrawl.format_table),
        ("dedup", lambda: dedup.run((10_000, 100_000) if full else (10_000,)), dedup.format_table),
        ("store", store.run, store.format_table),
        ("figures", figures.run, figures.format_table),
        # The fixtures through the generic family and their own: a few seconds, no sizes to shrink.
        ("generic_score", generic_score.run, generic_score.format_table),
        # Targeted against exhaustive discovery on a 20,000-article portal: the longest (~10 min).
        ("discovery", discovery.run, discovery.format_table),
        ("reparse", reparse.run, reparse.format_table),
    ]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--full", action="store_true", help="also dedup at 100,000 articles")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that every benchmark runs")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--output", type=Path, help="results file (default bench/results/<date>.json)")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run_all", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "load_average_before": load_average(),
    }
    for name, run, table in plan(args.quick, args.full):
        if args.only and name not in args.only:
            continue
        print(f"\n== {name}", flush=True)
        began = time.perf_counter()
        results[name] = run()
        results[name]["bench_seconds"] = round(time.perf_counter() - began, 1)
        results[name]["load_average_after"] = load_average()
        print(table(results[name]), flush=True)
    output = args.output or ROOT / "bench" / "results" / f"{started:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    write_json(output, results)
    print(f"\nresults: {output}")
    if "discovery" in results and not args.quick and not args.output:
        write_json(output.with_name(f"{started:%Y-%m-%d}-discovery.json"), results["discovery"])
    return output


def failed_goals(results_file: Path) -> list[str]:
    """Goals a benchmark holds as pass/fail (the discovery benchmark's) that failed."""
    results = json.loads(results_file.read_text(encoding="utf-8"))
    return [
        f"{name}: {goal}"
        for name, part in results.items()
        if isinstance(part, dict)
        for goal in part.get("goals_failed", [])
    ]


if __name__ == "__main__":
    failed = failed_goals(main())
    for line in failed:
        print(f"FAIL {line}")
    sys.exit(1 if failed else 0)
