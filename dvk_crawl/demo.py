"""``make demo``: crawl every bundled replica as a user would and print one summary.

Starts the replicas on loopback ports, runs ``scrapy crawl <spider> -a base_url=…``
for each (throttling off: the server is local), and prints the per-portal table
from the run files. Articles land in ``data/dvk.sqlite`` and ``data/articles.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from dvk_crawl.extensions.runreport import format_summary
from dvk_crawl.replica.server import SITES_DIR, serve
from dvk_crawl.store import open_store


def replica_sites() -> dict[str, dict[str, object]]:
    """Sites with an ``expected.json``: those name their spider and its arguments."""
    return {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SITES_DIR.glob("*/expected.json"))
    }


def crawl_site(spider: str, base_url: str, arguments: dict[str, str], runs_dir: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}"]
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"demo: scrapy crawl {spider} failed with exit code {completed.returncode}")
    latest = max((runs_dir / spider).glob("*.json"))
    summary: dict[str, object] = json.loads(latest.read_text(encoding="utf-8"))["summary"]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvk_crawl.demo", description=__doc__)
    parser.add_argument("sites", nargs="*", help="replica sites to crawl (default: all)")
    args = parser.parse_args(argv)
    sites = replica_sites()
    chosen = args.sites or list(sites)
    unknown = sorted(set(chosen) - set(sites))
    if unknown:
        parser.error(f"unknown replica site(s): {', '.join(unknown)}; known: {', '.join(sites)}")
    rows = {}
    with serve(*chosen) as urls:
        for site in chosen:
            spec = sites[site]
            arguments = {str(k): str(v) for k, v in dict(spec.get("arguments") or {}).items()}  # type: ignore[call-overload]
            print(f"crawling the {site} replica at {urls[site]} ...", flush=True)
            rows[site] = crawl_site(str(spec["spider"]), urls[site], arguments, Path("data/runs"))
    print("\n" + format_summary(rows))
    print("(stored counts every article written this run; copies are those stored with duplicate_of set)")
    with open_store("sqlite:///data/dvk.sqlite") as store:
        print(f"\nIn data/dvk.sqlite: {store.count()} articles; the newest run's are in data/articles.jsonl too.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
