"""A crawl started from a script, whose exit code tells whether the crawl could start.

    python docs/examples/crawl_script.py baohatinh [-s NAME=VALUE ...]

Scrapy hands a failure before the crawl starts (a bad setting, a broken portal file) to the
Deferred that ``crawl()`` returns and only logs it; this script collects it and exits 1.
(It says nothing of how the crawl itself went: ``scrapy crawl`` and the run file do.)
"""

from __future__ import annotations

import sys

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings


def main(argv: list[str]) -> int:
    spider, *rest = argv
    settings = get_project_settings()
    for name, value in (option.split("=", 1) for flag, option in zip(rest[::2], rest[1::2], strict=True)):
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    failures: list[object] = []
    process.crawl(spider).addErrback(failures.append)
    process.start()
    for failure in failures:
        print(f"error: {failure.getErrorMessage()}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
