"""The one place where ``dvk-crawl`` touches the network (``inspect URL``, ``record``).

Kept to a single function so tests replace it and exercise everything else
offline. Uses the crawl's ``USER_AGENT`` and its size limit.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from dvk_crawl.cli.common import CliError

DEFAULT_TIMEOUT = 30.0
MAX_BYTES = 16 * 1024 * 1024  # DOWNLOAD_MAXSIZE of the crawl


@dataclass
class FetchedPage:
    url: str
    """The address after redirects: what the article's key is read from."""
    body: bytes
    content_type: str | None


def fetch_page(url: str, timeout: float = DEFAULT_TIMEOUT) -> FetchedPage:
    """GET one page (needs internet); any failure is a :class:`CliError` saying what."""
    from dvk_crawl.settings import USER_AGENT

    # The user agent names the campaign in Vietnamese: send its UTF-8 bytes, as Scrapy
    # does (http.client writes header strings as Latin-1).
    agent = USER_AGENT.encode("utf-8").decode("latin-1")
    request = urllib.request.Request(
        url, headers={"User-Agent": agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise CliError(f"{url} is larger than {MAX_BYTES // (1024 * 1024)} MiB: not an article page")
            return FetchedPage(response.geturl(), body, response.headers.get("Content-Type"))
    except urllib.error.HTTPError as error:
        raise CliError(f"{url} answered HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise CliError(
            f"cannot fetch {url}: {reason} (this needs internet; or save the page and pass the file)"
        ) from None
