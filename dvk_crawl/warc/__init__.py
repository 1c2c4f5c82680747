"""Every page a crawl fetched, kept in WARC files (ISO 28500) beside the store.

:mod:`~dvk_crawl.warc.writer` writes the files, :mod:`~dvk_crawl.warc.middleware`
feeds it every response of a crawl and carries the pointer to the article,
:mod:`~dvk_crawl.warc.reader` reads a page back (``read_page``) or walks a file
(``scan_file``; a store's files: ``warc_paths``). The layout and the headers are in
docs/provenance.md.
"""

from dvk_crawl.warc.reader import FileScan, KeptPage, KeptPageError, read_page, scan_file, warc_paths
from dvk_crawl.warc.writer import Exchange, PagePointer, WarcFiles

__all__ = [
    "Exchange",
    "FileScan",
    "KeptPage",
    "KeptPageError",
    "PagePointer",
    "WarcFiles",
    "read_page",
    "scan_file",
    "warc_paths",
]
