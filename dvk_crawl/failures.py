"""Why a download failed, as the name a crawl counts it under (``dvk/dropped/<reason>``).

Scrapy reports a failed download as an exception in the request's errback: an HTTP
error answer, one of its download exceptions (2.13+ wraps Twisted's), or
``IgnoreRequest`` from a downloader middleware, which only its message tells apart.
Redirect targets that never reach the downloader (the offsite filter, the duplicate
filter on a loop) are dropped without an errback: the spider counts those from
Scrapy's signals (``PortalSpider.request_scheduled``, ``request_dropped``). Every
reason is in ``docs/reliability.md``; which of them are transient, in :mod:`dvk_crawl.outcomes`.
"""

from __future__ import annotations

import zlib
from gzip import BadGzipFile

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

# (exception classes, reason): the first match names the failure.
_EXCEPTION_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TwistedTimeoutError, TCPTimedOutError), "timeout"),
    ((ResponseDataLossError,), "truncated"),
    # Scrapy cancels a download only when its body outgrows DOWNLOAD_MAXSIZE.
    ((DownloadCancelledError,), "too_large"),
    ((DownloadConnectionRefusedError, ConnectError), "connection_refused"),
    ((CannotResolveHostError, DNSLookupError), "dns_error"),
    ((DownloadFailedError, ResponseFailed, ConnectionLost, ConnectionDone), "connection_lost"),
    # HttpCompressionMiddleware on a body that says gzip (deflate, br) and is not.
    ((zlib.error, BadGzipFile, EOFError), "bad_compression"),
)
# IgnoreRequest from Scrapy's own middlewares, by the start of their message.
_IGNORED_REASONS = (
    ("Forbidden by robots.txt", "robots_disallowed"),
    ("max redirections reached", "redirect_loop"),
    ("Filtered offsite request", "offsite_redirect"),
    # dvk_crawl.warc.middleware: the page could not be kept (a full disk); the crawl stops.
    ("WARC record not written", "warc_error"),
)


def failure_reason(failure: Failure) -> str:
    """``http_<status>`` for an HTTP error answer, a named reason for the known download
    failures, else ``download_error_<exception class>``."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    for classes, reason in _EXCEPTION_REASONS:
        if isinstance(error, classes):
            return reason
    if isinstance(error, IgnoreRequest):
        message = str(error)
        if "DOWNLOAD_MAXSIZE" in message:  # a body that outgrew the limit while being decompressed
            return "too_large"
        return next((reason for start, reason in _IGNORED_REASONS if message.startswith(start)), "ignored_request")
    return f"download_error_{type(error).__name__}"
