"""Reparse speed: stored articles re-extracted from their kept WARC pages, against 60 pages/s.

Generated replica-like pages of every portal family (``bench.pages``) are kept in WARC
files and stored as a crawl stores them (``DVK_STORE_IRRELEVANT=1``: every page an
article), then ``dvk-crawl reparse`` runs three ways in this process:

- ``unchanged``: today's code again, nothing to write (the common case after a small fix);
- ``dry_run``: every record stored by an "older parser" (another ``parser`` field), reported only;
- ``changed``: the same, written: dedup, store and feed for every record.

Pages per second are wall time over the pages read (this machine, 2 cores shared: the
median of ``--repeat`` runs is reported with its spread, and the load average), plus
the CPU time per page of this process (with ``--workers 1``: the whole cost, which the
machine's other load does not inflate; with worker processes, only the writing side).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import load_average, spread, write_json
from bench.pages import Page, generate, with_article_id
from dvk_crawl.cli.main import main
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.store import open_store
from tests.keptpages import ArticlePage, keep_pages

GOAL_PAGES_PER_SECOND = 60.0
FETCHED_AT = "2026-12-01T00:00:00+00:00"


def unique_page(page: Page, number: int) -> ArticlePage:
    """The generated page under an article key of its own (bench.pages reuses its templates' URLs)."""
    site = get_portal(page.portal)
    old = site.article_key(site.canonicalize(page.url)) or ""
    digits = re.findall(r"\d{4,}", old)
    part = digits[-1] if digits else old.rsplit("/", 1)[-1]
    new = str(10 ** (len(part) - 1) + number) if digits else f"{part}-so-{number}"
    url = page.url.replace(part, new)
    html = with_article_id(page.html, part, new).encode("utf-8")
    return ArticlePage(page.portal, url, html, FETCHED_AT, f"http://127.0.0.1:8123/{url.split('/', 3)[3]}")


def build(workdir: Path, pages: int) -> tuple[str, int]:
    generated = [unique_page(page, number) for number, page in enumerate(generate(pages))]
    kept = keep_pages(workdir, generated, "DVK_STORE_IRRELEVANT=1")
    with open_store(kept.url) as store:
        return kept.url, store.count()


def age_records(store_url: str) -> None:
    """Make every stored record what an older parser gave: another ``parser`` field."""
    with open_store(store_url) as store:
        records = list(store.iter_records())
        store.upsert_many({**r, "parser": r["parser"] + "-old"} for r in records)


def timed_reparse(store_url: str, workers: int, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        code = main(["reparse", "--store", store_url, "-s", "DVK_STORE_IRRELEVANT=1", "--workers", str(workers), *args])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    first = out.getvalue().splitlines()[0]
    pages = int(first.split()[1])
    return {"exit": code, "pages": pages, "wall_seconds": wall, "cpu_seconds": cpu, "summary": first}


def run(pages: int = 1000, repeat: int = 2, workers: int = 2) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-reparse-") as tmp:
        store_url, stored = build(Path(tmp), pages)
        warc_bytes = sum(p.stat().st_size for p in Path(tmp, "warc").rglob("*.warc.gz"))
        modes: dict[str, list[dict[str, Any]]] = {"unchanged": [], "dry_run": [], "changed": []}
        for _ in range(repeat):
            modes["unchanged"].append(timed_reparse(store_url, workers))
            age_records(store_url)
            modes["dry_run"].append(timed_reparse(store_url, workers, "--dry-run"))
            modes["changed"].append(timed_reparse(store_url, workers))
    result: dict[str, Any] = {
        "pages_generated": pages,
        "records_stored": stored,
        "warc_bytes_per_page": round(warc_bytes / max(1, pages)),
        "goal_pages_per_second": GOAL_PAGES_PER_SECOND,
        "workers": workers,
        "load_average": load_average(),
    }
    for mode, runs in modes.items():
        rates = [r["pages"] / r["wall_seconds"] for r in runs]
        result[mode] = {
            "pages": runs[0]["pages"],
            "pages_per_second": spread(rates),
            "cpu_ms_per_page": spread([1000 * r["cpu_seconds"] / r["pages"] for r in runs]),
            "summary": runs[-1]["summary"],
            "exit_codes": sorted({r["exit"] for r in runs}),
        }
    result["meets_goal"] = all(result[m]["pages_per_second"]["median"] >= GOAL_PAGES_PER_SECOND for m in modes)
    return result


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"reparse of {result['records_stored']} stored articles ({result['warc_bytes_per_page']} WARC bytes per page),"
        f" {result['workers']} workers, goal {result['goal_pages_per_second']:.0f} pages/s"
        f" (load average {result['load_average']:.1f})",
        "| mode | pages | pages/s (median, min–max) | CPU ms/page (median) |",
        "|---|---|---|---|",
    ]
    for mode in ("unchanged", "dry_run", "changed"):
        m = result[mode]
        rate = m["pages_per_second"]
        lines.append(
            f"| {mode} | {m['pages']} | {rate['median']:.0f} ({rate['min']:.0f}–{rate['max']:.0f})"
            f" | {m['cpu_ms_per_page']['median']:.1f} |"
        )
    return "\n".join(lines)


def main_bench(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reparse", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="generated pages to keep and store (default 1000)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each mode (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="reparse --workers (default 2: this machine's cores)")
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    args = parser.parse_args(argv)
    result = run(args.pages, args.repeat, args.workers)
    print(format_table(result))
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main_bench()
