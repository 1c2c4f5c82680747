"""Figures cost: ``extract_record_figures`` per article, against the goal of 10 ms.

Runs on the stored records of the generated replica pages (``bench.pages``) and of the
labelled set (``tests/figures/labelled.json``). The locality lookups are cached per
unit, so two numbers: every article with the cache emptied before it (the worst case,
each unit looked up afresh) and a crawl's steady state (the cache warm from the
articles before). Loading vietnamadminunits' maps is paid once per process and
reported apart. Times are this process's CPU time per article.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, write_json
from bench.pages import generate
from dvk_crawl import figures
from dvk_crawl.extract import extract_article

GOAL_MS = 10.0


def sample_records(pages: int) -> list[dict[str, Any]]:
    from tests.test_figures import labelled_documents

    generated = [extract_article(p.html, p.url, p.portal).to_dict() for p in generate(pages)]
    return generated + [record for record, _ in labelled_documents()]


def _clear_cache() -> None:
    figures._place_legacy.cache_clear()
    figures._place_new.cache_clear()


def time_records(records: list[dict[str, Any]], *, cold: bool) -> tuple[list[float], int]:
    timings, found = [], 0
    for record in records:
        if cold:
            _clear_cache()
        # CPU time of this process: the machine may be shared, wall time would measure the others.
        started = time.process_time()
        found += len(figures.extract_record_figures(record))
        timings.append((time.process_time() - started) * 1000)
    return timings, found


def summary(timings: list[float]) -> dict[str, float]:
    return {"median": statistics.median(timings), "p95": percentile(timings, 0.95), "max": max(timings)}


def run(pages: int = 240) -> dict[str, Any]:
    records = sample_records(pages)
    started = time.perf_counter()
    figures.place_locality("huyện Lục Yên", {"former_province": "Yên Bái"})  # loads the library's maps
    load_ms = (time.perf_counter() - started) * 1000
    cold, found = time_records(records, cold=True)
    _clear_cache()
    warm, _ = time_records(records, cold=False)
    return {
        "articles": len(records),
        "figures": found,
        "library_load_ms": load_ms,
        "cold_ms": summary(cold),
        "steady_ms": summary(warm),
        "goal_ms": GOAL_MS,
        "goal_met": summary(cold)["median"] <= GOAL_MS and summary(warm)["p95"] <= GOAL_MS,
    }


def format_table(result: dict[str, Any]) -> str:
    rows = [
        f"{result['articles']} articles, {result['figures']} figures;"
        f" vietnamadminunits loads once in {result['library_load_ms']:.0f} ms",
        f"{'ms per article':<28} {'median':>8} {'p95':>8} {'max':>8}",
    ]
    for label, key in (("lookups not cached", "cold_ms"), ("steady state (cache warm)", "steady_ms")):
        row = result[key]
        rows.append(f"{label:<28} {row['median']:>8.2f} {row['p95']:>8.2f} {row['max']:>8.2f}")
    rows.append(f"goal <= {result['goal_ms']} ms per article: {'met' if result['goal_met'] else 'missed'}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.figures", description=__doc__)
    parser.add_argument("--pages", type=int, default=240)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.pages)
    print(format_table(result))
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
