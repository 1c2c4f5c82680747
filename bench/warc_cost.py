"""What keeping every page (WARC, issue 16) costs: disk per article page, and crawl CPU.

Crawls the ``bench.site`` replica (baohatinh family, the replica's own article pages
with other bodies) once with ``DVK_WARC_ENABLED`` on and once off, and reads the WARC
files back (``dvk_crawl.warc.scan_file``). Reported: the WARC bytes per article page
(its response and request records, gzip per record), the page bodies they hold, the
bytes of the whole crawl's files per stored article (discovery pages, robots.txt and
error answers included), and the crawl's CPU per article with and without WARC.
Goal: <= 70 KB of WARC per article page.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.common import THROTTLING_OFF, run_crawl, write_json
from bench.site import build_site
from dvk_crawl.replica.server import serve
from dvk_crawl.warc import scan_file

GOAL_KB_PER_ARTICLE_PAGE = 70.0
SPIDER = "baohatinh"


def warc_sizes(workdir: Path) -> dict[str, Any]:
    """Sizes of the crawl's records, per kind of page: article pages' exchanges, everything."""
    article_exchanges, bodies, total = [], [], 0
    for path in sorted(workdir.glob("warc/*/*.warc.gz")):
        total += path.stat().st_size
        pending = 0
        for record in scan_file(path):
            if record.page is not None:
                pending = record.length if record.page.warc_headers.get("WARC-Dvk-Kind") == "article" else 0
                if pending:
                    bodies.append(len(record.page.body))
            elif record.record_type == "request" and pending:
                article_exchanges.append(pending + record.length)
                pending = 0
    return {"total_bytes": total, "article_exchange_bytes": article_exchanges, "article_body_bytes": bodies}


def measure(articles: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dvk-bench-warc-") as tmp:
        sites = Path(tmp) / "sites"
        build_site(sites, articles, SPIDER)
        with serve(SPIDER, sites_dir=sites) as urls:
            on = run_crawl(SPIDER, urls[SPIDER], Path(tmp) / "on", *THROTTLING_OFF)
            off = run_crawl(SPIDER, urls[SPIDER], Path(tmp) / "off", *THROTTLING_OFF, "-s", "DVK_WARC_ENABLED=0")
        for crawl in (on, off):
            if crawl.returncode != 0:
                raise RuntimeError(f"crawl failed:\n{crawl.output[-3000:]}")
        sizes = warc_sizes(Path(tmp) / "on")
    stored = on.stats.get("dvk/store/stored", 0)
    exchanges, bodies = sizes["article_exchange_bytes"], sizes["article_body_bytes"]
    kb_per_page = statistics.mean(exchanges) / 1000
    return {
        "articles": articles,
        "stored": stored,
        "article_pages_kept": len(exchanges),
        "kb_per_article_page": {
            "mean": round(kb_per_page, 1),
            "median": round(statistics.median(exchanges) / 1000, 1),
            "max": round(max(exchanges) / 1000, 1),
        },
        "kb_article_body_uncompressed_mean": round(statistics.mean(bodies) / 1000, 1),
        "kb_all_files_per_stored_article": round(sizes["total_bytes"] / stored / 1000, 1) if stored else None,
        "mb_all_files": round(sizes["total_bytes"] / 1e6, 2),
        "cpu_ms_per_article": {
            "warc_on": round(on.cpu_seconds / stored * 1000, 1) if stored else None,
            "warc_off": round(off.cpu_seconds / off.stats.get("dvk/store/stored", 1) * 1000, 1),
        },
        "goal_met": kb_per_page <= GOAL_KB_PER_ARTICLE_PAGE,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.warc_cost", description=__doc__)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.articles)
    for key, value in result.items():
        print(f"{key:36} {value}")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
