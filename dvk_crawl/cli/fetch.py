"""The one place where ``dvk-crawl`` touches the network (``inspect URL``, ``record``).

Kept to a single function so tests replace it and exercise everything else
offline. Uses the crawl's ``USER_AGENT`` and its limits: size, time, redirects, http(s) only.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dvk_crawl.cli.common import CliError

DEFAULT_TIMEOUT = 30.0
MAX_BYTES = 16 * 1024 * 1024  # DOWNLOAD_MAXSIZE of the crawl
MAX_REDIRECTS = 5  # REDIRECT_MAX_TIMES of the crawl


@dataclass
class FetchedPage:
    url: str
    """The address after redirects: what the article's key is read from."""
    body: bytes
    content_type: str | None


def fetch_page(url: str, timeout: float = DEFAULT_TIMEOUT) -> FetchedPage:
    """GET one page (needs internet); any failure is a :class:`CliError` saying what.

    ``timeout`` bounds the whole fetch, as ``DOWNLOAD_TIMEOUT`` does in the crawl: urllib's
    own timeout is per socket read, and a server that sends a byte every few seconds
    (slowloris) would hold it for ever. The fetch runs in a daemon thread the command
    stops waiting for.
    """
    check_scheme(url)
    outcome: list[FetchedPage | CliError] = []
    worker = threading.Thread(target=lambda: outcome.append(_fetch_or_error(url, timeout)), daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise CliError(f"{url} did not answer completely within {timeout:g} s (--timeout)")
    if isinstance(outcome[0], CliError):
        raise outcome[0]
    return outcome[0]


def check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise CliError(f"{url}: only http and https URLs are fetched, as in the crawl")


class _CrawlRedirects(urllib.request.HTTPRedirectHandler):
    """At most the crawl's ``REDIRECT_MAX_TIMES``, and only to http(s) (urllib would follow
    a redirect to ``ftp://``)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        try:
            check_scheme(newurl)
        except CliError:
            fp.close()  # urllib closes the redirect answer only when it follows it
            raise
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch_or_error(url: str, timeout: float) -> FetchedPage | CliError:
    try:
        return _fetch(url, timeout)
    except CliError as error:
        return error


def _fetch(url: str, timeout: float) -> FetchedPage:
    from dvk_crawl.settings import USER_AGENT

    # The user agent names the campaign in Vietnamese: send its UTF-8 bytes, as Scrapy
    # does (http.client writes header strings as Latin-1).
    agent = USER_AGENT.encode("utf-8").decode("latin-1")
    request = urllib.request.Request(
        url, headers={"User-Agent": agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
    )
    opener = urllib.request.build_opener(_CrawlRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise CliError(f"{url} is larger than {MAX_BYTES // (1024 * 1024)} MiB: not an article page")
            return FetchedPage(response.geturl(), body, response.headers.get("Content-Type"))
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:
            raise CliError(f"{url} redirects more than {MAX_REDIRECTS} times (REDIRECT_MAX_TIMES)") from None
        raise CliError(f"{url} answered HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise CliError(
            f"cannot fetch {url}: {reason} (this needs internet; or save the page and pass the file)"
        ) from None
