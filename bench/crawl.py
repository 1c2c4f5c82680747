"""Crawl throughput: ``scrapy crawl`` of a loopback replica of 2,000 articles.

The replica (``bench.site``: baohatinh family, every article relevant and new) is
served on loopback; the crawl runs as a user runs it, in its own process, with
throttling off and every other setting at its default. Reported: articles stored
per second end to end (process start to exit), CPU seconds per article (the
crawl process only, from ``wait4``), peak RSS, and RSS sampled while the store
fills, to show whether memory grows with the number of articles.
Goals: >= 25 articles/s on the 2-core machine, peak RSS < 300 MB, flat memory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.common import THROTTLING_OFF, Crawl, load_average, run_crawl, spread, write_json
from bench.site import build_site
from dvk_crawl.replica import serve

GOAL_RATE = 25.0
GOAL_RSS_MB = 300.0
SPIDER = "baohatinh"


def rss_at(crawl: Crawl, marks: list[int]) -> dict[int, float | None]:
    """RSS when the store first held at least each mark of articles."""
    return {mark: next((rss for _, rss, stored in crawl.rss_samples if stored >= mark), None) for mark in marks}


def measure_once(base_url: str, workdir: Path, articles: int, *extra: str) -> dict[str, Any]:
    crawl = run_crawl(SPIDER, base_url, workdir, *THROTTLING_OFF, *extra, sample_every=0.25)
    if crawl.returncode != 0:
        raise RuntimeError(f"crawl failed:\n{crawl.output[-3000:]}")
    stored = crawl.stats.get("dvk/store/stored", 0)
    marks = [articles * q // 4 for q in range(1, 5)]
    return {
        "stored": stored,
        "requests": crawl.stats.get("downloader/request_count", 0),
        "wall_seconds": round(crawl.wall_seconds, 2),
        "articles_per_second": stored / crawl.wall_seconds,
        "cpu_seconds": round(crawl.cpu_seconds, 2),
        "cpu_ms_per_article": crawl.cpu_seconds / stored * 1000 if stored else None,
        "server_cpu_ms_per_article": crawl.server_cpu_seconds / stored * 1000 if stored else None,
        "load_average_after": load_average(),
        "peak_rss_mb": round(crawl.peak_rss_mb, 1),
        "rss_mb_at_stored": rss_at(crawl, marks),
        "dropped": {k.removeprefix("dvk/dropped/"): v for k, v in crawl.stats.items() if k.startswith("dvk/dropped/")},
    }


def run(articles: int = 2000, repeats: int = 3, *extra: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dvk-bench-crawl-") as tmp:
        sites = Path(tmp) / "sites"
        build_site(sites, articles, SPIDER)
        with serve(SPIDER, sites_dir=sites) as urls:
            rounds = [measure_once(urls[SPIDER], Path(tmp) / f"run{i}", articles, *extra) for i in range(repeats)]
    median = sorted(rounds, key=lambda r: r["articles_per_second"])[len(rounds) // 2]
    return {
        "articles": articles,
        "repeats": repeats,
        "median_run": median,
        "articles_per_second": spread([r["articles_per_second"] for r in rounds]),
        "cpu_ms_per_article": spread([r["cpu_ms_per_article"] for r in rounds]),
        "peak_rss_mb": spread([r["peak_rss_mb"] for r in rounds]),
        "rounds": rounds,
        "goals": {
            "articles_per_second": statistics.median(r["articles_per_second"] for r in rounds) >= GOAL_RATE,
            "peak_rss": max(r["peak_rss_mb"] for r in rounds) < GOAL_RSS_MB,
        },
    }


def format_table(result: dict[str, Any]) -> str:
    rate, cpu, rss = result["articles_per_second"], result["cpu_ms_per_article"], result["peak_rss_mb"]
    run = result["median_run"]
    marks = ", ".join(f"{k}: {v} MB" for k, v in run["rss_mb_at_stored"].items())
    return "\n".join(
        [
            f"{result['articles']} articles, {result['repeats']} runs (median [min-max])",
            f"articles/s        {rate['median']:.1f} [{rate['min']:.1f}-{rate['max']:.1f}]   goal >= {GOAL_RATE}",
            f"CPU ms/article    {cpu['median']:.1f} [{cpu['min']:.1f}-{cpu['max']:.1f}]"
            f"   (replica server: {run['server_cpu_ms_per_article']:.1f}; one core's ceiling"
            f" {1000 / cpu['median']:.0f} articles/s)",
            f"peak RSS MB       {rss['median']:.0f} [{rss['min']:.0f}-{rss['max']:.0f}]   goal < {GOAL_RSS_MB:.0f}",
            f"RSS by articles stored (median run): {marks}",
            f"stored {run['stored']} of {result['articles']}, {run['requests']} requests,"
            f" dropped {run['dropped'] or '-'}",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("-s", dest="settings", action="append", default=[], help="extra Scrapy setting NAME=VALUE")
    args = parser.parse_args(argv)
    extra = [arg for setting in args.settings for arg in ("-s", setting)]
    result = run(args.articles, args.repeats, *extra)
    print(format_table(result))
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
