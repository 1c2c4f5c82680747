"""The downloader middleware that keeps every response of a crawl in WARC files.

It sits nearest the downloader (950, after HttpCacheMiddleware's 900), so its
``process_response`` sees each answer first, as the downloader returned it: before
HttpCompressionMiddleware (590) decodes the body, before RedirectMiddleware (600)
follows a 3xx and RetryMiddleware (550) retries a 5xx. Article pages, discovery pages,
robots.txt, redirects, error answers, retried answers and archive captures are all
written, each as a response and a request record (:mod:`dvk_crawl.warc.writer`).

The pointer to the response record goes into ``request.meta["dvk_page"]``; a
redirected or retried request is a copy of the request with its meta, so the pointer
is removed before each write and set again only once the record is in the file: a
response carries the pointer of its own record or none. The spider copies it into
the article's ``page`` field (:func:`page_pointer`).

When a record cannot be written (a full disk), the response goes no further
(``IgnoreRequest``: its article is not stored, the next run fetches it) and the crawl
stops with finish reason ``warc_error`` (exit code 1, one ERROR line).

Reads ``DVK_WARC_ENABLED`` (off: the middleware is not installed),
``DVK_WARC_MAX_SIZE`` and ``DVK_STORE_URL`` (the files go to its data folder).
"""

from __future__ import annotations

import logging
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import scrapy
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.utils.defer import deferred_from_coro

from dvk_crawl import __version__
from dvk_crawl.archive.capture import capture_of, original_url
from dvk_crawl.config import setting
from dvk_crawl.extensions.runreport import RUN_NAME_FORMAT, RunReport
from dvk_crawl.storefiles import store_data_dir, store_warc_dir
from dvk_crawl.warc.writer import DVK_HEADER, Exchange, PagePointer, WarcFiles

logger = logging.getLogger(__name__)

PAGE_META = "dvk_page"
WARC_ERROR = "warc_error"
NOT_WRITTEN = "WARC record not written"
"""The start of the ``IgnoreRequest`` message: :mod:`dvk_crawl.failures` names it ``warc_error``."""


def page_pointer(response: Response) -> PagePointer | None:
    """The pointer to the response record of this very response, or None (WARC off, or not written)."""
    request = response.request
    return request.meta.get(PAGE_META) if request is not None else None


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) pairs, one per value, bytes read as Latin-1 (lossless)."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


def dvk_fields(request: Request, spider: Spider | None) -> dict[str, str]:
    """The ``WARC-Dvk-*`` fields of a response record: what the crawl fetched it as."""
    fields = {
        "Portal": getattr(spider, "portal_id", None),
        "Kind": request.meta.get("dvk_kind"),
        "Key": request.meta.get("dvk_key"),
        "Canonical-URI": request.cb_kwargs.get("canonical_url"),
    }
    capture = capture_of(request.url) if request.meta.get("dvk_archive") else None
    if capture is not None:  # the replay URL is the target; the page it shows, and when the archive took it
        fields["Original-URI"] = original_url(capture.original)
        fields["Archived-At"] = capture.archived_at
    return {DVK_HEADER + name: str(value) for name, value in fields.items() if value is not None}


def exchange_of(request: Request, response: Response, spider: Spider | None) -> Exchange:
    return Exchange(
        url=response.url,
        method=request.method,
        request_headers=header_pairs(request.headers),
        request_body=request.body,
        status=response.status,
        response_headers=header_pairs(response.headers),
        body=response.body,
        protocol=response.protocol or "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address is not None else None,
        extra=dvk_fields(request, spider),
    )


def run_name(crawler: Crawler) -> str:
    """The run's name, as its run file and the store's run history have it."""
    report = crawler.get_extension(RunReport)
    return report.run_name if report is not None else datetime.now(UTC).strftime(RUN_NAME_FORMAT)


def warcinfo(crawler: Crawler, spider: str, run: str) -> dict[str, str]:
    """The fields of each file's ``warcinfo`` record."""
    return {
        "software": f"dvk_crawl/{__version__} (Scrapy/{scrapy.__version__}; warcio/{version('warcio')})",
        "format": "WARC File Format 1.0",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/",
        "isPartOf": f"{spider}/{run}",
        "dvk-spider": spider,
        "dvk-run": run,
        "http-header-user-agent": crawler.settings.get("USER_AGENT", ""),
        "robots": "obey" if crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "python": platform.python_version(),
    }


class WarcMiddleware:
    """Writes every response, with its request, to the run's WARC files (module docstring)."""

    def __init__(self, crawler: Crawler, files: WarcFiles) -> None:
        self.crawler = crawler
        self.files = files
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        settings = crawler.settings
        if not setting(settings, "DVK_WARC_ENABLED"):
            raise NotConfigured("DVK_WARC_ENABLED is off")
        assert crawler.spidercls is not None
        url, spider = setting(settings, "DVK_STORE_URL"), crawler.spidercls.name
        run = run_name(crawler)
        folder, max_size = store_warc_dir(url) / spider, setting(settings, "DVK_WARC_MAX_SIZE")
        files = WarcFiles(store_data_dir(url), folder, run, max_size, warcinfo(crawler, spider, run))
        middleware = cls(crawler, files)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        try:
            self.files.open()
        except OSError as error:
            self.stop(error)

    def spider_closed(self, spider: Spider) -> None:
        self.files.close()

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta.pop(PAGE_META, None)
        if self.failed:
            raise IgnoreRequest(f"{NOT_WRITTEN}: the crawl is stopping")
        try:
            pointer = self.files.write(exchange_of(request, response, self.crawler.spider))
        except OSError as error:
            self.stop(error)
            raise IgnoreRequest(f"{NOT_WRITTEN}: {error.strerror or error}") from None
        request.meta[PAGE_META] = pointer
        self.count("dvk/warc/records", 2)
        self.count("dvk/warc/response_bytes", pointer["warc_length"])
        return response

    def count(self, name: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(name, n)

    def stop(self, error: OSError) -> None:
        """One ERROR line and the crawl closes with ``warc_error``; what is stored points to written records."""
        self.failed = True
        self.count("dvk/warc/write_errors")
        logger.error(
            "WARC file %s could not be written, the crawl stops (finish reason %s): %s. Every stored article"
            " points to a record in the files; the next run fetches the rest (DVK_WARC_ENABLED=0 keeps no pages)",
            self.files.path or self.files.folder,
            WARC_ERROR,
            error.strerror or error,
        )
        crawler: Any = self.crawler
        if crawler.crawling and crawler.engine is not None and crawler.engine.spider is not None:
            deferred_from_coro(crawler.engine.close_spider_async(reason=WARC_ERROR))
