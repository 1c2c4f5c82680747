"""Feed storage for the JSON Lines file of stored articles: whole lines, or a stopped crawl.

Scrapy's ``FileFeedStorage`` writes through an 8 KiB buffer: a crawl killed with
SIGKILL loses the lines still in it, although their articles are in the store, and
the next run does not fetch those articles again. Written unbuffered, every exported
line reaches the file when the exporter writes it.

A full disk cut the last line and the crawl went on, exit 0 (Scrapy logs and forgets
an exception in a signal handler, where the feed is written). Here a line that cannot
be written whole is taken back off the file, and the crawl stops with finish reason
``feed_error`` (exit code 1, one ERROR line). A feed whose last line was cut anyway
(a crash mid-write, a disk filled by another process) is truncated back to its last
whole line when the next crawl opens it, counted as ``dvk/feed/cut_lines_removed``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import IO, Any, cast

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)


def remove_cut_line(path: Path) -> int:
    """Truncate ``path`` after its last newline; the number of bytes removed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    with path.open("r+b") as feed:
        end = last_line_end(feed, size)
        if end < size:
            feed.truncate(end)
    return size - end


def last_line_end(feed: IO[bytes], size: int, chunk: int = 65536) -> int:
    """The offset just past the last ``\\n`` of the file (0 if none), read from the end."""
    at = size
    while at > 0:
        start = max(0, at - chunk)
        feed.seek(start)
        newline = feed.read(at - start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        at = start
    return 0


def append_whole(fd: int, data: bytes) -> int:
    """Append ``data`` to the file open at ``fd``, whole or not at all; the offset it starts at.

    An OS write may take only part of the bytes (a full disk); the rest is retried, and
    on an error what was written is truncated away before the ``OSError`` goes on. The
    WARC files (:mod:`dvk_crawl.warc.writer`) append their records this way too.
    """
    start, view = os.lseek(fd, 0, os.SEEK_END), memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        if len(view) < len(data):  # part of it is in the file: take it back
            os.ftruncate(fd, start)
        raise
    return start


class WholeLineFile:
    """An unbuffered append-only file that writes each line whole or not at all
    (:func:`append_whole`); a line that fails goes to ``on_error``."""

    def __init__(self, path: Path, on_error: Any) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        self.on_error = on_error
        self.failed = False
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.failed:  # the crawl is stopping; no line after a gap
            return 0
        try:
            append_whole(self.fd, data)
        except OSError as error:
            self.failed = True
            self.on_error(error)
            return 0
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)


class LineFileFeedStorage(FileFeedStorage):
    """``FileFeedStorage`` writing whole lines unbuffered; repairs a cut last line on open."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Any:
        storage = cls(uri, feed_options=feed_options)
        storage.crawler = crawler
        return storage

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "wb":
            path.write_bytes(b"")
        removed = remove_cut_line(path)
        if removed:
            logger.warning("feed %s ended in a cut line: %d bytes removed, the feed goes on after it", path, removed)
            self.count("dvk/feed/cut_lines_removed")
        return cast(IO[bytes], WholeLineFile(path, self.stop_for_feed_error))

    def count(self, name: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(name)

    def stop_for_feed_error(self, error: OSError) -> None:
        """One ERROR line and the crawl closes with ``feed_error``; the store keeps the articles."""
        logger.error(
            "feed %s failed, the crawl stops (finish reason feed_error): %s. The articles are in the store;"
            " the next run goes on with the feed (dvk-crawl export --format jsonl rebuilds it from the store)",
            self.path,
            error.strerror or error,
        )
        self.count("dvk/feed/write_errors")
        crawler = self.crawler
        if crawler is not None and crawler.crawling and crawler.engine.spider is not None:
            deferred_from_coro(crawler.engine.close_spider_async(reason="feed_error"))
