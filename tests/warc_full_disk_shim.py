"""``scrapy`` whose WARC files sit on a disk that fills up after ``DVK_TEST_WARC_BUDGET`` bytes.

``python tests/warc_full_disk_shim.py crawl …`` runs ``scrapy crawl …``; once a WARC
append would take its file past the budget, the OS takes half of it and then answers
``ENOSPC``, as a full disk does. The writer's own code (``append_whole``) meets the error.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

from scrapy.cmdline import execute

from dvk_crawl.warc.writer import WarcFiles

BUDGET = int(os.environ.get("DVK_TEST_WARC_BUDGET", "20000"))
_append = WarcFiles.append


def append(self: WarcFiles, data: bytes) -> int:
    if self.size + len(data) <= BUDGET:
        return _append(self, data)
    real_write, calls = os.write, []

    def half_then_full(fd: int, chunk: Any) -> int:
        if calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        calls.append(fd)
        return real_write(fd, bytes(chunk[: len(chunk) // 2]))

    os.write = half_then_full
    try:
        return _append(self, data)
    finally:
        os.write = real_write


if __name__ == "__main__":
    WarcFiles.append = append  # type: ignore[method-assign]
    execute(["scrapy", *sys.argv[1:]])
