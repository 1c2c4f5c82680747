"""A loopback fake of the Wayback Machine, built from the replica sites: CDX API and raw replay.

The archive's index is what the replica pages link to: every absolute link of a page
of the site (``https://trieuphong.quangtri.gov.vn/vi/chi-tiet-tin/…``) whose path is a
route of the replica is a URL the archive crawled. Each such URL was captured at the
times of :data:`CAPTURE_TIMES`; the CDX status of a capture is the route's (200, 301,
404), and replaying a 200 capture serves the replica page's bytes. The oldest capture
of a URL is listed as ``http://<host>:80/…``, as the archive's early crawls wrote
originals. Digests differ per capture: the pages' visitor counters change every day.

Endpoints (as on web.archive.org):

- ``/cdx/search/cdx?url=<host or prefix>/*&output=json&fl=…&filter=[!]field:regex&collapse=field
  &from=…&to=…&limit=N&showResumeKey=true[&resumeKey=…]``: rows sorted by (urlkey, timestamp);
  with ``showResumeKey`` and more rows left, the JSON ends with ``[]`` and ``[<key>]``.
- ``/web/<timestamp>id_/<original>``: the capture's bytes; a timestamp without a capture
  of that URL redirects (302) to the nearest one, as the archive does; an unknown URL is 404.
- ``/robots.txt``: allows everything.

Faults (:class:`WaybackFaults`; on by default, but ``cdx_refusals`` and ``absent``):

- the first CDX request: 429 with ``Retry-After: 1``; a crawler waits, retries, goes on;
- ``cdx_refusals=N``: the next N CDX requests answer 429 *without* ``Retry-After``, as
  the real archive does (2026) — a crawler pauses the CDX budget, and stops using the
  archive when the 429s go on;
- ``absent``: URLs containing one of these markers were never captured (not listed, not
  replayed): pages only another archive (:mod:`dvk_crawl.replica.commoncrawl`) holds;
- ``1606870961877`` (Triệu Phong b): the newest capture redirects (302) to the older one;
  follow it, ``archived_at`` is the older capture's;
- ``1615864985462`` (Triệu Phong c): the newest capture answers 404; use the older one;
- ``1607589738309`` (province d): the newest capture redirects to a capture of the listing
  ``/tin-trong-tinh``, no article; use the older one.

Other cases come from the replica as it is: the listing, sitemap and menu pages are
captured too (never articles), the deleted articles' captures have empty portlets
(``1608257133725``, Minh Long ``4030877``), the 301 and 404 routes have 301 and 404
captures (``filter=statuscode:200`` leaves them out), and Quảng Ngãi's post-2025
platform (``quangngai.gov.vn/tin-tuc/…``) was only captured in 2026.

Every request target is logged (``WaybackServer.requests``) so a test can tell what a
crawl asked for and what it never asked for. Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import html
import json
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from dvk_crawl.portals.registry import get_portal
from dvk_crawl.replica.server import LOOPBACK, SITES_DIR, Route, load_site, route_key

ARCHIVE_SITES = ("quangtri", "quangngai")
"""The replicas whose district-era pages the fake archive holds (the README's use case)."""

CAPTURE_TIMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The post-2025 platform of Quảng Ngãi exists only after mid-2025.
    ("quangngai.gov.vn/tin-tuc/", ("20260310013000",)),
    ("quangngai.gov.vn/tim-kiem", ("20260310013000",)),
    # Everything else: two captures of the district era, in UTC.
    ("", ("20231015021500", "20250301093000")),
)
_ABSOLUTE_LINK = re.compile(r"""https?://[a-z0-9.-]+\.(?:gov\.vn|vn)(?::\d+)?[^\s"'<>]*""", re.IGNORECASE)
_REPLAY = re.compile(r"^/web/(?P<timestamp>\d{1,14})(?:[a-z]{2}_)?/(?P<original>.+)$")
_ALL_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True)
class WaybackFaults:
    rate_limit_first_cdx: bool = True
    redirect_to_older: tuple[str, ...] = ("1606870961877",)
    missing: tuple[str, ...] = ("1615864985462",)
    redirect_to_listing: tuple[tuple[str, str], ...] = (
        ("1607589738309", "https://www.quangtri.gov.vn/tin-trong-tinh"),
    )
    cdx_refusals: int = 0
    absent: tuple[str, ...] = ()


NO_FAULTS = WaybackFaults(False, (), (), ())


@dataclass(frozen=True)
class FakeCapture:
    urlkey: str
    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str
    body: bytes = field(default=b"", repr=False)
    location: str | None = None
    """Where an archived redirect (3xx) pointed, or where a replay fault redirects."""
    replay_status: int | None = None
    """A replay fault: the status the replay answers instead of the capture."""

    def value(self, name: str) -> str:
        return str(getattr(self, name))


# -- the index ----------------------------------------------------------------------


def surt(url: str) -> str:
    """The archive's sort key: ``vn,gov,quangtri,trieuphong)/vi/chi-tiet-tin/…``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return ",".join(reversed(host.split("."))) + ")" + (path.lower() or "/")


def comparable(url: str) -> str:
    """``host/path?query`` without scheme, ``www.`` and port: what ``url=`` prefixes match."""
    url = re.sub(r"^https?://", "", url.strip(), flags=re.IGNORECASE)
    host, _, rest = url.partition("/")
    return host.lower().split(":")[0].removeprefix("www.") + "/" + rest


def capture_times(url: str) -> tuple[str, ...]:
    where = comparable(url)
    return next(times for prefix, times in CAPTURE_TIMES if where.startswith(prefix))


def linked_urls(site: str, site_dir: Path, routes: dict[str, Route]) -> dict[str, Route]:
    """Every absolute link of the site's pages to the portal that a route serves: ``{live URL: route}``."""
    portal = get_portal(site)
    found: dict[str, Route] = {}
    files = {route.file for route in routes.values() if route.file is not None}
    for path in sorted(files, key=str):
        text = html.unescape(path.read_text(encoding="utf-8", errors="replace"))
        for url in _ABSOLUTE_LINK.findall(text):
            parts = urlsplit(url.rstrip(".,;)"))
            route = routes.get(route_key(parts.path + (f"?{parts.query}" if parts.query else "")))
            if route is not None and portal.owns_host(parts.hostname or "") and not parts.path.endswith("robots.txt"):
                found.setdefault(parts._replace(fragment="").geturl(), route)
    return found


def captures_of(url: str, route: Route) -> list[FakeCapture]:
    body = route.file.read_bytes() if route.file is not None else b""
    captures = []
    for number, timestamp in enumerate(capture_times(url)):
        # The archive's early crawls stored originals as http://host:80/… .
        original = re.sub(r"^https://([^/]+)", r"http://\1:80", url) if number == 0 else url
        digest = base64.b32encode(hashlib.sha1(body + timestamp.encode()).digest()).decode()
        captures.append(
            FakeCapture(
                urlkey=surt(url),
                timestamp=timestamp,
                original=original,
                mimetype=route.content_type.split(";")[0].strip(),
                statuscode=str(route.status),
                digest=digest,
                length=str(len(body)),
                body=body,
                location=route.redirect,
            )
        )
    return captures


def apply_faults(captures: list[FakeCapture], faults: WaybackFaults) -> list[FakeCapture]:
    """The faults of :class:`WaybackFaults` on the newest capture of the URLs they name."""
    newest: dict[str, FakeCapture] = {}
    for capture in captures:
        if capture.urlkey not in newest or capture.timestamp > newest[capture.urlkey].timestamp:
            newest[capture.urlkey] = capture
    result = []
    for capture in captures:
        if newest[capture.urlkey] is capture and capture.statuscode == "200":
            capture = _faulted(capture, captures, faults)
        result.append(capture)
    return result


def _faulted(capture: FakeCapture, captures: list[FakeCapture], faults: WaybackFaults) -> FakeCapture:
    if any(marker in capture.original for marker in faults.missing):
        return replace(capture, replay_status=404)
    if any(marker in capture.original for marker in faults.redirect_to_older):
        older = max(
            (c for c in captures if c.urlkey == capture.urlkey and c.timestamp < capture.timestamp),
            key=lambda c: c.timestamp,
        )
        return replace(capture, replay_status=302, location=f"/web/{older.timestamp}id_/{older.original}")
    for marker, target in faults.redirect_to_listing:
        if marker in capture.original:
            return replace(capture, replay_status=302, location=f"/web/{capture.timestamp}id_/{target}")
    return capture


def build_index(
    sites: tuple[str, ...] = ARCHIVE_SITES, faults: WaybackFaults = WaybackFaults(), sites_dir: Path = SITES_DIR
) -> list[FakeCapture]:
    """The fake archive's captures of the sites, sorted as the CDX API lists them."""
    captures: list[FakeCapture] = []
    for site in sites:
        for url, route in linked_urls(site, sites_dir / site, load_site(site, sites_dir)).items():
            if not any(marker in url for marker in faults.absent):
                captures += captures_of(url, route)
    return sorted(apply_faults(captures, faults), key=lambda c: (c.urlkey, c.timestamp, c.original))


# -- CDX ----------------------------------------------------------------------------


def cdx_rows(index: list[FakeCapture], params: dict[str, list[str]]) -> tuple[list[FakeCapture], str | None]:
    """The captures one CDX request lists, and the resume key when more are left."""
    target = params.get("url", [""])[0]
    prefix = comparable(target[:-1]) if target.endswith("*") else None
    exact = comparable(target)
    start = params.get("from", [""])[0]
    end = params.get("to", [""])[0]
    rows = [
        c
        for c in index
        if (comparable(c.original).startswith(prefix) if prefix is not None else comparable(c.original) == exact)
        and (not start or c.timestamp >= start.ljust(14, "0"))
        and (not end or c.timestamp <= end.ljust(14, "9"))
        and all(_passes(c, spec) for spec in params.get("filter", []))
    ]
    rows = _collapse(rows, params.get("collapse", []))
    resume = params.get("resumeKey", [""])[0]
    if resume:
        after = tuple(unquote(resume).split(" ", 1))
        rows = [c for c in rows if (c.urlkey, c.timestamp) > after]
    limit = int(params.get("limit", ["0"])[0] or 0)
    if limit and len(rows) > limit and params.get("showResumeKey", ["false"])[0] == "true":
        last = rows[limit - 1]
        return rows[:limit], quote(f"{last.urlkey} {last.timestamp}")
    return rows[:limit] if limit else rows, None


def _passes(capture: FakeCapture, spec: str) -> bool:
    negate = spec.startswith("!")
    name, _, pattern = spec.lstrip("!").partition(":")
    matched = re.fullmatch(pattern, capture.value(name)) is not None
    return matched != negate


def _collapse(rows: list[FakeCapture], specs: list[str]) -> list[FakeCapture]:
    """``collapse=digest``: of adjacent rows equal in the field, keep the first."""
    for spec in specs:
        name, _, length = spec.partition(":")
        size = int(length) if length else None
        kept: list[FakeCapture] = []
        for row in rows:
            value = row.value(name)[:size]
            if not kept or kept[-1].value(name)[:size] != value:
                kept.append(row)
        rows = kept
    return rows


def cdx_json(rows: list[FakeCapture], fields: list[str], resume_key: str | None) -> bytes:
    if not rows and resume_key is None:
        return b"[]"
    table: list[list[str]] = [fields, *([c.value(name) for name in fields] for c in rows)]
    if resume_key is not None:
        table += [[], [resume_key]]
    return json.dumps(table).encode()


# -- the server ---------------------------------------------------------------------


class FakeArchiveHandler(BaseHTTPRequestHandler):
    """What the fake archives' handlers share: the request log and plain answers."""

    requests: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def _send(self, status: int, body: bytes, content_type: str, extra: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra or []:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: tests read ``requests``."""


class WaybackHandler(FakeArchiveHandler):
    index: ClassVar[list[FakeCapture]] = []
    faults: ClassVar[WaybackFaults] = WaybackFaults()
    server_version = "dvk-wayback/1"

    def do_GET(self) -> None:
        with self.lock:
            self.requests.append(self.path)
            cdx_number = sum(p.startswith("/cdx/") for p in self.requests)
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path.startswith("/cdx/search/cdx"):
            self._cdx(cdx_number)
        elif match := _REPLAY.match(self.path):
            self._replay(match["timestamp"], re.sub(r"^(https?):/+", r"\1://", match["original"]))
        else:
            self._send(404, b"<html><body>Not found</body></html>", "text/html")

    def _cdx(self, number: int) -> None:
        """The ``number``-th CDX request (from 1)."""
        if number == 1 and self.faults.rate_limit_first_cdx:
            self._send(429, b"Too Many Requests", "text/plain", [("Retry-After", "1")])
            return
        refused_before = int(self.faults.rate_limit_first_cdx)
        if refused_before < number <= refused_before + self.faults.cdx_refusals:
            self._send(429, b"Too Many Requests", "text/plain")  # the real archive names no wait (2026)
            return
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(urlsplit(self.path).query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        rows, resume_key = cdx_rows(self.index, params)
        fields = [f for f in params.get("fl", [",".join(_ALL_FIELDS)])[0].split(",") if f] or list(_ALL_FIELDS)
        self._send(200, cdx_json(rows, fields, resume_key), "application/json")

    def _replay(self, timestamp: str, original: str) -> None:
        same_url = [c for c in self.index if comparable(c.original) == comparable(original)]
        capture = next((c for c in same_url if c.timestamp == timestamp), None)
        if capture is None and same_url:
            nearest = min(same_url, key=lambda c: abs(int(c.timestamp) - int(timestamp.ljust(14, "0"))))
            self._send(302, b"", "text/html", [("Location", f"/web/{nearest.timestamp}id_/{nearest.original}")])
        elif capture is None:
            self._send(404, b"<html><body>Wayback Machine has not archived that URL.</body></html>", "text/html")
        elif capture.replay_status == 404 or capture.statuscode == "404":
            self._send(404, b"<html><body>Not found in the archive.</body></html>", "text/html")
        elif capture.location is not None:
            location = capture.location
            if not location.startswith("/web/"):  # an archived redirect: the target at the same time
                target = urlsplit(original)._replace(path=location, query="").geturl()
                location = f"/web/{timestamp}id_/{target}"
            self._send(302, b"", "text/html", [("Location", location)])
        else:
            memento = [("Memento-Datetime", capture.timestamp)]
            self._send(200, capture.body, f"{capture.mimetype}; charset=utf-8", memento)


class FakeArchiveServer:
    """A fake archive's handler on a loopback port (0 picks a free one), with its own request log."""

    def __init__(self, handler: type[FakeArchiveHandler], attributes: dict[str, Any], port: int = 0) -> None:
        attributes = {**attributes, "requests": [], "lock": threading.Lock()}
        self.handler: type[FakeArchiveHandler] = type(f"Fake{handler.__name__}", (handler,), attributes)
        self._httpd = ThreadingHTTPServer((LOOPBACK, port), self.handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}"

    @property
    def requests(self) -> list[str]:
        """Request targets in arrival order."""
        with self.handler.lock:
            return list(self.handler.requests)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class WaybackServer(FakeArchiveServer):
    """The fake Wayback Machine on a loopback port (0 picks a free one)."""

    def __init__(
        self, sites: tuple[str, ...] = ARCHIVE_SITES, faults: WaybackFaults = WaybackFaults(), port: int = 0
    ) -> None:
        super().__init__(WaybackHandler, {"index": build_index(sites, faults), "faults": faults}, port)

    @property
    def index(self) -> list[FakeCapture]:
        assert issubclass(self.handler, WaybackHandler)
        return self.handler.index


def serve_from_command_line(
    name: str, argv: list[str] | None, no_faults: str, server: Callable[[bool], FakeArchiveServer]
) -> int:
    """A fake's command line (``python -m dvk_crawl.replica.<name> [--no-faults]``): print
    ``<name> <base URL>`` and ``ready``, then serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog=f"python -m dvk_crawl.replica.{name}", description=f"serve the fake {name}")
    parser.add_argument("--no-faults", action="store_true", help=no_faults)
    args = parser.parse_args(argv)
    with server(args.no_faults) as running:
        print(name, running.base_url, flush=True)
        print("ready", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


def serve_wayback(sites: tuple[str, ...] = ARCHIVE_SITES, faults: WaybackFaults = WaybackFaults()) -> WaybackServer:
    """The fake Wayback Machine, to use as ``with serve_wayback() as wayback:`` (started, then stopped)."""
    return WaybackServer(sites, faults)


def main(argv: list[str] | None = None) -> int:
    """``python -m dvk_crawl.replica.wayback``: serve the fake archive until interrupted."""
    return serve_from_command_line(
        "wayback",
        argv,
        "no 429, no broken captures",
        lambda calm: serve_wayback(faults=NO_FAULTS if calm else WaybackFaults()),
    )


if __name__ == "__main__":
    sys.exit(main())
