"""``python -m dvk_crawl.replica [SITE ...]``: serve replicas until interrupted.

Prints one line per site, ``<site> <base_url>``, then ``ready``, so a script can
read the ports before it starts crawling.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from dvk_crawl.replica import serve
from dvk_crawl.replica.server import available_sites


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvk_crawl.replica", description=__doc__)
    parser.add_argument("sites", nargs="*", help=f"sites to serve (default: all of {available_sites()})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sites) - set(available_sites()))
    if unknown:
        parser.error(f"unknown replica site(s): {', '.join(unknown)}; known: {', '.join(available_sites())}")
    with serve(*args.sites) as urls:
        for site, url in urls.items():
            print(site, url, flush=True)
        print("ready", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
