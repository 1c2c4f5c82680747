"""Feed storage for the JSON Lines file of stored articles.

Scrapy's ``FileFeedStorage`` writes through an 8 KiB buffer: a crawl killed with
SIGKILL loses the lines still in it, although their articles are in the store, and
the next run does not fetch those articles again. Written unbuffered, every exported
line reaches the file when the exporter writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from scrapy import Spider
from scrapy.extensions.feedexport import FileFeedStorage


class LineFileFeedStorage(FileFeedStorage):
    """``FileFeedStorage`` with the file opened unbuffered."""

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open(self.write_mode, buffering=0)
