"""Re-crawl cost: the requests a second run issues when nothing changed, per portal.

Each bundled replica is crawled twice into a fresh store with the default settings
(throttling off: the request count does not depend on it). The second run should
fetch discovery pages only — goal: at most 5 per portal (robots.txt, which Scrapy
fetches once per host and run, is counted apart).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bench.common import THROTTLING_OFF, run_crawl, write_json
from dvk_crawl.portals.registry import PORTALS
from dvk_crawl.replica import serve
from dvk_crawl.replica.server import available_sites

GOAL_REQUESTS = 5


def classify(url: str) -> str:
    """What a request was for, from its path: robots, feed, sitemap, search, listing or article."""
    parts = urlsplit(url)
    path, query = unquote(parts.path).lower(), unquote(parts.query).lower()
    if path.endswith("robots.txt"):
        return "robots"
    if path.endswith((".rss", "/rss", ".atom")) or "/rss/" in path:
        return "feed"
    if "sitemap" in path:
        return "sitemap"
    if "tim-kiem" in path or "search" in path or "q=" in query:
        return "search"
    page = next((v for k, v in _query_pairs(query) if k in {"page", "trang"} or k.endswith("_cur")), None)
    return f"listing p{page}" if page else "listing"


def _query_pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(pair.split("=", 1)) for pair in query.split("&") if "=" in pair]  # type: ignore[misc]


def measure_portal(spider: str, base_url: str, workdir: Path) -> dict[str, Any]:
    args = (*THROTTLING_OFF, "-s", "LOG_LEVEL=DEBUG")
    first = run_crawl(spider, base_url, workdir, *args)
    second = run_crawl(spider, base_url, workdir, *args)
    for crawl in (first, second):
        if crawl.returncode != 0:
            raise RuntimeError(f"{spider} crawl failed:\n{crawl.output[-2000:]}")
    requests = [(line.split(" ", 1)[1], line.split(" ", 1)[0]) for line in second.requests]
    count = second.stats.get("downloader/request_count", 0)
    # robots.txt is Scrapy's (ROBOTSTXT_OBEY), once per host and run: not a discovery page.
    discovery = count - second.stats.get("robotstxt/request_count", 0)
    return {
        "first_run_requests": first.stats.get("downloader/request_count", 0),
        "second_run_requests": count,
        "second_run_discovery_requests": discovery,
        "second_run_articles_fetched": second.stats.get("dvk/fetch/articles", 0),
        "requests": [{"kind": classify(url), "status": int(status), "path": _path(url)} for url, status in requests],
        "goal_met": discovery <= GOAL_REQUESTS and not second.stats.get("dvk/fetch/articles", 0),
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path + (f"?{parts.query}" if parts.query else ""))


def run(portals: list[str] | None = None) -> dict[str, Any]:
    portals = portals or sorted(set(available_sites()) & set(PORTALS))  # other sites are test fixtures
    results: dict[str, Any] = {}
    with serve(*portals) as urls, tempfile.TemporaryDirectory(prefix="dvk-bench-recrawl-") as tmp:
        for portal in portals:
            results[portal] = measure_portal(portal, urls[portal], Path(tmp) / portal)
    return {"goal_max_requests": GOAL_REQUESTS, "portals": results}


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{'portal':<11} {'run 1':>6} {'run 2':>6} {'discovery':>9}  second run's requests"]
    for portal, row in result["portals"].items():
        kinds: dict[str, int] = {}
        for request in row["requests"]:
            kinds[request["kind"]] = kinds.get(request["kind"], 0) + 1
        detail = ", ".join(f"{k}×{n}" if n > 1 else k for k, n in kinds.items())
        mark = "" if row["goal_met"] else "  (goal missed)"
        lines.append(
            f"{portal:<11} {row['first_run_requests']:>6} {row['second_run_requests']:>6}"
            f" {row['second_run_discovery_requests']:>9}  {detail}{mark}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.recrawl", description=__doc__)
    parser.add_argument("portals", nargs="*")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    result = run(args.portals)
    print(format_table(result))
    for portal, row in result["portals"].items():
        print(f"\n{portal}:")
        for request in row["requests"]:
            print(f"  {request['status']} {request['kind']:<11} {request['path']}")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
