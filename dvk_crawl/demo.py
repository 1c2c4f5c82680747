"""``make demo``: crawl every bundled replica as a user would and print one summary.

Starts the replicas on loopback ports, runs ``scrapy crawl <spider> -a base_url=…``
for each (throttling off: the server is local), and prints the per-portal table
from the store's run history. The replicas' articles are invented pages under the
live URLs and ids, so they are kept apart from research data: the demo's store, feed
and run files are ``data/demo/dvk.sqlite``, ``data/demo/articles.jsonl`` and
``data/demo/runs/``, its pages ``data/demo/warc/``; ``data/dvk.sqlite`` (the live crawls' store) is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from dvk_crawl.extensions.runreport import format_summary
from dvk_crawl.replica.server import SITES_DIR, serve
from dvk_crawl.store import open_store
from dvk_crawl.storefiles import store_data_dir, store_feed_path

DEMO_STORE_URL = "sqlite:///data/demo/dvk.sqlite"


def replica_sites() -> dict[str, dict[str, object]]:
    """Sites with an ``expected.json``: those name their spider and its arguments."""
    return {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SITES_DIR.glob("*/expected.json"))
    }


def crawl_site(spider: str, base_url: str, arguments: dict[str, str]) -> dict[str, object]:
    """One ``scrapy crawl`` into the demo store; its run's summary from the store."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}"]
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    # The feed and the run files follow the store into data/demo/ (dvk_crawl.storefiles).
    command += ["-s", f"DVK_STORE_URL={DEMO_STORE_URL}"]
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]
    # The project's settings also from a folder without scrapy.cfg.
    env = {"SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings", **os.environ}
    completed = subprocess.run(command, check=False, env=env)
    if completed.returncode != 0:
        raise SystemExit(f"demo: scrapy crawl {spider} failed with exit code {completed.returncode}")
    with open_store(DEMO_STORE_URL) as store:
        (latest,) = store.last_runs(spider, limit=1)
    summary: dict[str, object] = latest["summary"]
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
            rows[site] = crawl_site(str(spec["spider"]), urls[site], arguments)
    print("\n" + format_summary(rows))
    print("(stored counts every article written this run; copies are those stored with duplicate_of set)")
    with open_store(DEMO_STORE_URL) as store:
        count = store.count()
    folder = store_data_dir(DEMO_STORE_URL)
    print(f"\nIn the demo store {folder}/dvk.sqlite: {count} articles, also in {store_feed_path(DEMO_STORE_URL)};")
    print(f"run files in {folder}/runs/, the pages fetched (WARC) in {folder}/warc/.")
    print("The live crawls' store data/dvk.sqlite is left alone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
