"""The JSON Lines feed on a full disk (issue 18): the crawl stops, no line is left cut.

It used to end with exit 0, "stored 300" and the feed's last line cut. Now a line that
does not fit is taken back off the file and the crawl stops (finish reason
``feed_error``, exit code 1, one ERROR line); a feed whose last line was cut anyway is
repaired when the next crawl opens it, and that crawl goes on with it.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from dvk_crawl.extensions.runreport import RunReport
from dvk_crawl.feeds import LineFileFeedStorage, WholeLineFile, remove_cut_line
from dvk_crawl.spiders import spider_class
from tests.conftest import CrawlResult, run_crawl
from tests.test_store_failures import can_mount, error_lines, fill, mount

BaohatinhSpider = spider_class("baohatinh")

LINES = b'{"id": "a:1"}\n{"id": "a:2"}\n'


def whole_lines(feed: Path) -> list[dict[str, Any]]:
    """The feed's records; fails on a line that is not whole JSON or a file not ending in a newline."""
    content = feed.read_bytes()
    assert not content or content.endswith(b"\n"), content[-200:]
    return [json.loads(line) for line in content.splitlines()]


def test_a_cut_last_line_is_removed_when_the_feed_opens(tmp_path: Path) -> None:
    feed = tmp_path / "articles.jsonl"
    feed.write_bytes(LINES + b'{"id": "a:3", "tit')
    crawler = get_crawler(BaohatinhSpider)
    crawler.stats.open_spider()
    storage = LineFileFeedStorage.from_crawler(crawler, str(feed), feed_options={"overwrite": False})
    file = storage.open(BaohatinhSpider())
    file.write(b'{"id": "a:4"}\n')
    file.close()
    assert [r["id"] for r in whole_lines(feed)] == ["a:1", "a:2", "a:4"]
    assert crawler.stats.get_value("dvk/feed/cut_lines_removed") == 1


def test_only_a_cut_last_line_is_removed(tmp_path: Path) -> None:
    feed, cut = tmp_path / "articles.jsonl", b'{"id": "a:9", "never ended'
    feed.write_bytes(LINES)
    assert remove_cut_line(feed) == 0 and feed.read_bytes() == LINES
    feed.write_bytes(cut)  # no whole line at all
    assert remove_cut_line(feed) == len(cut) and feed.read_bytes() == b""
    feed.write_bytes(LINES * 5000 + cut * 3000)  # the last newline far from the end: read back in chunks
    assert remove_cut_line(feed) == len(cut) * 3000 and feed.read_bytes() == LINES * 5000


def test_a_line_written_in_part_is_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk takes 5 bytes of the line, then is full (ENOSPC): the file is as before."""
    feed = tmp_path / "articles.jsonl"
    feed.write_bytes(LINES)
    errors: list[OSError] = []
    file = WholeLineFile(feed, errors.append)
    real_write, taken = os.write, []

    def full_after_five_bytes(fd: int, data: Any) -> int:
        if taken:
            raise OSError(errno.ENOSPC, "No space left on device")
        taken.append(real_write(fd, bytes(data[:5])))
        return 5

    monkeypatch.setattr(os, "write", full_after_five_bytes)
    assert file.write(b'{"id": "a:3"}\n') == 0
    assert file.write(b'{"id": "a:4"}\n') == 0  # nothing after a gap
    monkeypatch.undo()
    file.close()
    assert feed.read_bytes() == LINES and [e.errno for e in errors] == [errno.ENOSPC]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs when this machine lets the tests mount one, else ``/dev/full``'s folder."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not can_mount():
        yield Path("/dev")
        return
    mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk))
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def crawl_with_feed(feed: Path, base_url: str, workdir: Path) -> CrawlResult:
    feeds = {str(feed): {"format": "jsonlines", "encoding": "utf8", "overwrite": False}}
    return run_crawl("baohatinh", base_url, workdir, "-s", "FEEDS=" + json.dumps(feeds))


@pytest.mark.slow
def test_a_full_disk_under_the_feed_stops_the_crawl_and_the_next_run_goes_on(
    replicas: dict[str, str], tmp_path: Path, small_disk: Path
) -> None:
    feed = small_disk / ("full" if small_disk == Path("/dev") else "articles.jsonl")
    if feed.name != "full":
        (small_disk / "reserve").write_bytes(b"\0" * 6000)  # room for a line or so, once freed
        fill(small_disk)
        (small_disk / "reserve").unlink()
    result = crawl_with_feed(feed, replicas["baohatinh"], tmp_path)
    assert result.returncode == 1, result.output[-3000:]
    [error] = [line for line in error_lines(result.output) if "feed" in line]
    assert "finish reason feed_error" in error and "No space left on device" in error
    assert result.output.rstrip().splitlines()[-1] == (
        "baohatinh: the feed could not be written (finish reason feed_error); see the ERROR line above"
    )
    assert "Traceback" not in result.output
    assert result.run_file()["finish_reason"] == "feed_error"
    if feed.name == "full":
        return
    stored = {r["id"] for r in result.records()}
    assert {r["id"] for r in whole_lines(feed)} <= stored
    (small_disk / "filler").unlink()
    again = crawl_with_feed(feed, replicas["baohatinh"], tmp_path)
    assert again.returncode == 0, again.output[-3000:]
    ids = [r["id"] for r in whole_lines(feed)]
    assert len(ids) == len(set(ids)) and set(ids) <= {r["id"] for r in again.records()}


# -- the run-file folder full ----------------------------------------------------------------


@pytest.mark.slow
def test_a_full_run_file_folder_stops_the_crawl_before_it_starts(
    replicas: dict[str, str], tmp_path: Path, small_disk: Path
) -> None:
    """It used to pass the check (an empty file fits on a full disk), crawl, and write no run file."""
    if small_disk == Path("/dev"):
        pytest.skip("no small file system to fill: mounting is not allowed here")
    fill(small_disk)
    result = run_crawl("baohatinh", replicas["baohatinh"], tmp_path, "-s", f"DVK_RUNS_DIR={small_disk / 'runs'}")
    assert result.returncode == 2, result.output[-3000:]
    [line] = error_lines(result.output)
    assert "cannot write run files to" in line and "No space left on device" in line
    assert "Traceback" not in result.output and not list((small_disk / "runs").rglob("*.json*"))


def test_a_run_file_that_does_not_fit_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crawler = get_crawler(BaohatinhSpider, settings_dict={"DVK_RUNS_DIR": str(tmp_path / "runs")})
    crawler.stats.open_spider()
    report = RunReport(crawler)

    def disk_full_midway(self: Path, text: str, **kwargs: Any) -> int:
        with self.open("w", encoding="utf-8") as half:
            half.write(text[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full_midway)
    with pytest.raises(OSError, match="No space left"):
        report.write_run_file("baohatinh", {"spider": "baohatinh"})
    monkeypatch.undo()
    assert list((tmp_path / "runs").rglob("*")) == [tmp_path / "runs" / "baohatinh"]
