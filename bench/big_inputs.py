"""Big and endless discovery input (issue 18): bounded in time and memory, or not held.

``python -m bench.big_inputs`` (``make soak-big``) serves each case from a loopback
server in the shape of baohatinh.vn's start points and crawls it with ``scrapy crawl
baohatinh`` under a ``JOBDIR`` (Scrapy's disk queues), stopping after
``CLOSESPIDER_PAGECOUNT`` answers: the discovery is what is measured, not fetching
300,000 articles. Each case is held when the crawl ends on its own without a
traceback, its peak RSS (the kernel's, by ``wait4``) stays under the 300 MB goal, and
its own bound holds (the index depth, the entries read). It prints one line per case
and the totals: faults tried, held, RSS peak; exit code 1 if one was not held.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import THROTTLING_OFF, Crawl, run_crawl

RSS_GOAL_MB = 300
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def article_path(n: int) -> str:
    # Short: 250,000 of them must fit in DOWNLOAD_MAXSIZE (16 MiB), as a real sitemap's do.
    return f"/a-post{n}.html"


def urlset(count: int) -> bytes:
    urls = "".join(f"<url><loc>https://baohatinh.vn{article_path(n)}</loc></url>" for n in range(1, count + 1))
    return f'<urlset xmlns="{SITEMAP_NS}">{urls}</urlset>'.encode()


def sitemap_index(locs: Iterator[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>https://baohatinh.vn{loc}</loc></sitemap>" for loc in locs)
    return f'<sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>'.encode()


def listing(count: int) -> bytes:
    items = "".join(f'<li><a href="{article_path(n)}">{n}</a></li>' for n in range(1, count + 1))
    return f"<html><body><ul>{items}</ul></body></html>".encode()


@dataclass
class Case:
    name: str
    pages: Callable[[str], bytes | None]
    """The body served at a path (None: 404)."""
    held: Callable[[Crawl], str | None]
    """Why the case was not held, or None."""


def chain_page(path: str) -> bytes | None:
    """``/sitemap.xml`` lists ``/sitemap-1.xml``, which lists ``/sitemap-2.xml``, … without end."""
    if path == "/sitemap.xml" or path.startswith("/sitemap-"):
        hop = int(path.removeprefix("/sitemap-").removesuffix(".xml")) if path != "/sitemap.xml" else 0
        return sitemap_index(iter([f"/sitemap-{hop + 1}.xml"]))
    return None


def sitemap_requests(crawl: Crawl) -> int:
    return sum(1 for r in crawl.requests if "/sitemap" in r)


def make_cases(sitemap_urls: int, listing_links: int, index_entries: int) -> list[Case]:
    big_sitemap = urlset(sitemap_urls)
    big_listing = listing(listing_links)
    wide_index = sitemap_index(f"/sm-{n}.xml" for n in range(index_entries))
    return [
        Case(
            "endless sitemap index chain",
            chain_page,
            lambda c: None if sitemap_requests(c) <= 4 else f"{sitemap_requests(c)} sitemap hops",
        ),
        Case(
            f"sitemap index of {index_entries:,} entries",
            lambda p: wide_index if p == "/sitemap.xml" else None,
            lambda c: (
                None
                if c.stats.get("dvk/discovery/sitemap_entries_cut", 0) == max(0, index_entries - 50_000)
                else f"entries cut: {c.stats.get('dvk/discovery/sitemap_entries_cut', 0)}"
            ),
        ),
        Case(
            f"sitemap of {sitemap_urls:,} URLs",
            lambda p: big_sitemap if p == "/sitemap.xml" else None,
            lambda c: None,
        ),
        Case(
            f"listing of {listing_links:,} links",
            lambda p: big_listing if p == "/dan-van-kheo-tag4017.html" else None,
            lambda c: None,
        ),
    ]


@contextmanager
def serve(pages: Callable[[str], bytes | None]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/xml" if self.path.endswith(".xml") else "text/html")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            with suppress(ConnectionError):  # the crawl stopped (CLOSESPIDER_PAGECOUNT) while reading
                self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def probe(case: Case, workdir: Path, page_count: int) -> tuple[Crawl, str | None]:
    with serve(case.pages) as base_url:
        crawl = run_crawl(
            # Exhaustive: its links carry no keyword, and the probe is of the request queue too.
            "baohatinh", base_url, workdir, "-a", "discovery=exhaustive", *THROTTLING_OFF,
            "-s", f"JOBDIR={workdir / 'job'}", "-s", f"CLOSESPIDER_PAGECOUNT={page_count}",
            "-s", "DVK_MAX_LISTING_PAGES=1", "-s", "ROBOTSTXT_OBEY=0", "-s", "LOG_LEVEL=DEBUG",
        )  # fmt: skip
    why = None
    if crawl.returncode != 0 or "Traceback" in crawl.output:
        why = f"exit code {crawl.returncode}" + (", a traceback" if "Traceback" in crawl.output else "")
    elif crawl.peak_rss_mb >= RSS_GOAL_MB:
        why = f"RSS {crawl.peak_rss_mb:.0f} MB"
    return crawl, why or case.held(crawl)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sitemap-urls", type=int, default=250_000)
    parser.add_argument("--listing-links", type=int, default=300_000)
    parser.add_argument("--index-entries", type=int, default=100_001)
    parser.add_argument("--pages", type=int, default=300, help="CLOSESPIDER_PAGECOUNT of each crawl")
    parser.add_argument("--case", default="", help="only the cases whose name holds this")
    args = parser.parse_args(argv)
    held, peak = 0, 0.0
    cases = [c for c in make_cases(args.sitemap_urls, args.listing_links, args.index_entries) if args.case in c.name]
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="dvk-big-") as folder:
            crawl, why = probe(case, Path(folder), args.pages)
        held += why is None
        peak = max(peak, crawl.peak_rss_mb)
        verdict = "held" if why is None else f"NOT HELD: {why}"
        print(f"{case.name}: {verdict}; RSS peak {crawl.peak_rss_mb:.0f} MB, {crawl.wall_seconds:.0f} s", flush=True)
    print(f"big inputs: {len(cases)} faults tried, {held} held, RSS peak {peak:.0f} MB (goal < {RSS_GOAL_MB} MB)")
    return 0 if held == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
