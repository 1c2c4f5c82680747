"""Recovering articles from a web archive (the Wayback Machine): ``-a source=archive|both``.

:mod:`~dvk_crawl.archive.cdx` builds the CDX queries and reads their answers,
:mod:`~dvk_crawl.archive.capture` maps captures to original URLs and picks the capture
to use, :mod:`~dvk_crawl.archive.spider` is the spiders' archive discovery and
:mod:`~dvk_crawl.downloadermiddlewares.archive_backoff` keeps the archive's ``Retry-After``. See
``docs/archive.md``.
"""
