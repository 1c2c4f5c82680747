"""Loopback HTTP replicas of the portals, for tests and ``make demo``.

A replica site is a folder ``sites/<name>/`` holding ``routes.json`` and the files
it names. ``routes.json`` maps a request target (path, optionally with a query) to
what the server answers::

    {"/rss/home.rss": {"file": "rss/home.rss", "content_type": "application/rss+xml"},
     "/old/slug/229797.htm": {"redirect": "/slug-post229797.html", "status": 301},
     "/gone-post1.html": {"status": 404}}

Pages keep the live portal's absolute links (``https://baohatinh.vn/...``): spiders
started with ``-a base_url=`` map the portal's hosts onto the replica, so the URL rules
are the same whether a spider crawls the replica or the live site.

Query strings are compared after decoding and sorting their parameters, so
``/tim-kiem/?page=2&q=d%C3%A2n`` and ``/tim-kiem/?q=dân&page=2`` are one route.
A page served from a file (status 200) carries ``Last-Modified`` (the file's time) and an
``ETag`` (a hash of its bytes), and a request whose ``If-None-Match`` or
``If-Modified-Since`` matches is answered ``304 Not Modified`` without a body, as a static
file server does: what the spiders' conditional requests of discovery pages need
(:mod:`dvk_crawl.httpcache`). Whether each live portal sends these validators is not
known. The server binds to 127.0.0.1 only. Route keys this module does not read (``fault``,
``body_encoding``, …) go to ``Route.options``: a site with such keys is served in the
fault mode of :mod:`dvk_crawl.replica.faults`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

SITES_DIR = Path(__file__).parent / "sites"
LOOPBACK = "127.0.0.1"


def route_key(target: str) -> str:
    """Canonical form of a request target: decoded path, sorted decoded query.

    A target ending in ``?*`` (any query on that path) is kept as it is.
    """
    if target.endswith("?*"):
        return unquote(target[:-2]) + "?*"
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return f"{path}?{urlencode(query)}" if query else path


@dataclass(frozen=True)
class Route:
    status: int = 200
    file: Path | None = None
    content_type: str = "text/html; charset=utf-8"
    redirect: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The spec's other keys: what the fault mode (``dvk_crawl.replica.faults``) does with the route."""


_ROUTE_KEYS = {"status", "file", "content_type", "redirect", "headers"}


def load_site(name: str, sites_dir: Path = SITES_DIR) -> dict[str, Route]:
    """Read ``sites/<name>/routes.json`` into routes keyed by :func:`route_key`."""
    site_dir = sites_dir / name
    routes_file = site_dir / "routes.json"
    if not routes_file.is_file():
        raise FileNotFoundError(f"replica site {name!r} has no routes.json in {site_dir}")
    raw: dict[str, dict[str, Any]] = json.loads(routes_file.read_text(encoding="utf-8"))
    return {route_key(target): _make_route(site_dir, spec) for target, spec in raw.items()}


def _make_route(site_dir: Path, spec: dict[str, Any]) -> Route:
    redirect = spec.get("redirect")
    file_name = spec.get("file")
    return Route(
        status=int(spec.get("status", 301 if redirect else 200)),
        file=site_dir / file_name if file_name else None,
        content_type=spec.get("content_type", Route.content_type),
        redirect=redirect,
        headers=tuple((str(k), str(v)) for k, v in spec.get("headers", {}).items()),
        options={k: v for k, v in spec.items() if k not in _ROUTE_KEYS},
    )


def available_sites(sites_dir: Path = SITES_DIR) -> list[str]:
    return sorted(p.parent.name for p in sites_dir.glob("*/routes.json"))


class ReplicaHandler(BaseHTTPRequestHandler):
    """Answers from the routes of one site; anything unknown is a 404."""

    routes: ClassVar[dict[str, Route]] = {}
    server_version = "dvk-replica/1"

    def do_GET(self) -> None:
        route = self._lookup()
        if route is None:
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
            return
        headers = list(route.headers)
        if route.redirect:
            headers.append(("Location", route.redirect))
        body = route.file.read_bytes() if route.file else b""
        if route.file is not None and route.status == 200:
            validators = self._validators(route.file, body)
            headers.extend(validators)
            if self._not_modified(dict(validators)):
                self._send(304, b"", route.content_type, headers)
                return
        self._send(route.status, body, route.content_type, headers)

    @staticmethod
    def _validators(path: Path, body: bytes) -> list[tuple[str, str]]:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        return [("Last-Modified", formatdate(int(path.stat().st_mtime), usegmt=True)), ("ETag", etag)]

    def _not_modified(self, validators: dict[str, str]) -> bool:
        """RFC 9110: ``If-None-Match`` decides when present, else ``If-Modified-Since``."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return validators["ETag"] in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return parsedate_to_datetime(validators["Last-Modified"]) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def do_HEAD(self) -> None:
        self.do_GET()

    def _lookup(self) -> Route | None:
        key = route_key(self.path)
        return self.routes.get(key) or self.routes.get(key.split("?", 1)[0] + "?*")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if status != 304:  # a 304 has no body: its Content-Length would be the cached page's
            self.send_header("Content-Length", str(len(body)))
        for name, value in extra or []:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet by default: tests and the demo read the crawl's log, not the server's."""


class ReplicaServer:
    """One replica site on a loopback port (0 picks a free one)."""

    def __init__(self, site: str, port: int = 0, sites_dir: Path = SITES_DIR) -> None:
        routes = load_site(site, sites_dir)
        handler = type(f"{site}Handler", (_handler_base(routes),), {"routes": routes})
        self.handler: type[ReplicaHandler] = handler
        self.site = site
        self._httpd = ThreadingHTTPServer((LOOPBACK, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        port = self._httpd.server_address[1]
        return f"http://{LOOPBACK}:{port}"

    def start(self) -> ReplicaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_base(routes: dict[str, Route]) -> type[ReplicaHandler]:
    if not any(route.options for route in routes.values()):
        return ReplicaHandler
    from dvk_crawl.replica.faults import FaultHandler  # faults builds on this module

    return FaultHandler


@contextmanager
def serve(*sites: str, sites_dir: Path = SITES_DIR) -> Iterator[dict[str, str]]:
    """Serve the named sites (all when none are named); yield ``{site: base_url}``."""
    servers = [ReplicaServer(s, sites_dir=sites_dir).start() for s in sites or available_sites(sites_dir)]
    try:
        yield {s.site: s.base_url for s in servers}
    finally:
        for server in servers:
            server.stop()
