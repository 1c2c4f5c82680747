"""The fault mode of the replica server: what real portals and networks do to a crawl.

A route of ``routes.json`` may carry these keys besides the plain server's
(``dvk_crawl.replica.server``); the site ``sites/faults/`` uses every one:

- ``"fault"``: ``"http_<status>"`` (answer that status, with ``Retry-After: <retry_after>``
  when given), ``"reset"`` (close the connection with a TCP reset before answering),
  ``"hang"`` (answer nothing for ``"seconds"``, then close), ``"truncate"`` (send half
  the body under the full ``Content-Length``, then close), ``"bad_gzip"`` (a body that
  says ``Content-Encoding: gzip`` and is not gzip), ``"redirect_chain"`` (redirect to
  the same path with ``?n=<n+1>``, for ever).
- ``"times"``: only the first N requests of the route meet the fault, later ones get
  the page. Without it every request does. With ``retry_after``, a request that
  comes back sooner than the header asked gets the fault again and does not count:
  a crawler that ignores ``Retry-After`` never gets the page.
- ``"content_encoding": "gzip"``: the page gzipped, as a portal behind nginx sends it.
- ``"body_encoding": "cp1258"``: the page re-encoded in Windows-1258 (tone marks as
  combining characters, as legacy Vietnamese sites wrote it), whatever the
  ``Content-Type`` declares; ``"unicode_form": "NFD"``: the page decomposed.
- ``"pad_to_bytes"``: the page padded with an HTML comment to at least this size.
- ``"delay"``: seconds to wait before answering.

The handler logs every request target (``FaultHandler.state.requests``), so a test
can tell what a crawl asked for, and what it never asked for. Like the plain server
it binds to 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

from dvk_crawl.replica.server import SITES_DIR, ReplicaHandler, ReplicaServer, Route, route_key

# Vietnamese tone marks: Windows-1258 writes them as combining characters after the
# letter (0xCC U+0300, 0xEC U+0301, 0xDE U+0303, 0xD2 U+0309, 0xF2 U+0323).
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_UNICODE_FORMS: dict[str, Literal["NFC", "NFD", "NFKC", "NFKD"]] = {
    "NFC": "NFC",
    "NFD": "NFD",
    "NFKC": "NFKC",
    "NFKD": "NFKD",
}
EARLY_MARGIN = 0.25
"""Seconds of slack before a ``Retry-After`` counts as ignored (the crawler's clock and ours differ)."""


def to_windows_1258(text: str) -> bytes:
    """Text as a legacy Vietnamese page stored it: base letters with their hat, horn or
    breve precomposed (â, ơ, ư …), tone marks as combining characters after them."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in _TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


@dataclass
class FaultState:
    """What one server saw: every request target, and per route how often it failed."""

    requests: list[str] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    refused_at: dict[str, float] = field(default_factory=dict)
    early_retries: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [urlsplit(target).path for target in self.requests]


class FaultHandler(ReplicaHandler):
    """Answers as :class:`ReplicaHandler`, with the faults its routes ask for."""

    state: ClassVar[FaultState]
    delay: ClassVar[float] = 0.0
    """Seconds every answer waits (a slow portal), on top of a route's own ``delay``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.state = FaultState()  # one per server: ReplicaServer makes a subclass each

    def do_GET(self) -> None:  # noqa: N802 (BaseHTTPRequestHandler's name)
        with self.state.lock:
            self.state.requests.append(self.path)
        route = self._lookup()
        options = route.options if route else {}
        pause = self.delay + float(options.get("delay", 0))
        if pause:
            time.sleep(pause)
        if route is None or not options:
            super().do_GET()
            return
        if options.get("fault") and self._fault_applies(options):
            self._inject(str(options["fault"]), route, options)
            return
        self._send_page(route, options)

    # -- faults -------------------------------------------------------------------

    def _fault_applies(self, options: dict[str, Any] | Any) -> bool:
        """Whether this request meets the fault (and count it if so)."""
        key = self._route_id()
        now = time.monotonic()
        with self.state.lock:
            retry_after = options.get("retry_after")
            refused = self.state.refused_at.get(key)
            if retry_after and refused is not None and now - refused < float(retry_after) - EARLY_MARGIN:
                self.state.early_retries[key] = self.state.early_retries.get(key, 0) + 1
                self.state.refused_at[key] = now
                return True
            failed = self.state.failures.get(key, 0)
            times = options.get("times")
            if times is not None and failed >= int(times):
                return False
            self.state.failures[key] = failed + 1
            self.state.refused_at[key] = now
            return True

    def _route_id(self) -> str:
        """The route a request belongs to: its key, or ``<path>?*`` for a wildcard route."""
        key = route_key(self.path)
        return key if key in self.routes else key.split("?", 1)[0] + "?*"

    def _inject(self, fault: str, route: Route, options: dict[str, Any] | Any) -> None:
        if fault.startswith("http_"):
            headers = [("Retry-After", str(options["retry_after"]))] if options.get("retry_after") else []
            body = b"<html><body><h1>Service unavailable</h1></body></html>"
            self._send(int(fault.removeprefix("http_")), body, "text/html", headers)
        elif fault == "reset":
            self._reset()
        elif fault == "hang":
            time.sleep(float(options.get("seconds", 10)))
            self.close_connection = True
        elif fault == "truncate":
            self._send_truncated(self._page_body(route, options), route.content_type)
        elif fault == "bad_gzip":
            garbage = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"this is not deflate data" * 8
            self._send(200, garbage, route.content_type, [("Content-Encoding", "gzip")])
        elif fault == "redirect_chain":
            step = int(dict(parse_qsl(urlsplit(self.path).query)).get("n", "0")) + 1
            self._send(302, b"", "text/html", [("Location", f"{urlsplit(self.path).path}?n={step}")])
        else:
            raise ValueError(f"unknown fault {fault!r} in routes.json")

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0) before a byte of the answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _send_truncated(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    # -- pages --------------------------------------------------------------------

    def _send_page(self, route: Route, options: dict[str, Any] | Any) -> None:
        body = self._page_body(route, options)
        headers = list(route.headers)
        if route.redirect:
            headers.append(("Location", route.redirect))
        if options.get("content_encoding") == "gzip":
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        self._send(route.status, body, route.content_type, headers)

    @staticmethod
    def _page_body(route: Route, options: dict[str, Any] | Any) -> bytes:
        body = route.file.read_bytes() if route.file else b""
        form = options.get("unicode_form")
        encoding = options.get("body_encoding")
        if form or encoding:
            text = body.decode("utf-8")
            text = unicodedata.normalize(_UNICODE_FORMS[form], text) if form else text
            body = to_windows_1258(text) if encoding == "cp1258" else text.encode(str(encoding or "utf-8"))
        size = int(options.get("pad_to_bytes", 0))
        if len(body) < size:
            body += b"\n<!-- " + b"x" * (size - len(body)) + b" -->\n"
        return body

    def handle_one_request(self) -> None:
        # A reset or hang leaves the socket closed under the handler: nothing to report.
        try:
            super().handle_one_request()
        except OSError:
            self.close_connection = True


class FaultServer(ReplicaServer):
    """Any replica site in fault mode, every answer ``delay`` seconds late (a slow portal)."""

    def __init__(self, site: str, port: int = 0, sites_dir: Path = SITES_DIR, delay: float = 0.0) -> None:
        super().__init__(site, port, sites_dir)
        handler = type(f"{site}FaultHandler", (FaultHandler,), {"routes": self.handler.routes, "delay": delay})
        self._httpd.RequestHandlerClass = handler
        self.handler = handler

    @property
    def state(self) -> FaultState:
        assert issubclass(self.handler, FaultHandler)
        return self.handler.state
