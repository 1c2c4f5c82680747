"""Shared test helpers: fixtures on disk, replicas on loopback, crawls as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.replica import serve
from dvk_crawl.replica.server import SITES_DIR
from tests.services import postgres_server, postgres_url, redis_prefix, redis_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# No test goes online: every HTTP(S) request a test or its subprocesses make to a host other
# than this machine goes to a proxy on the discard port and is refused there. A crawl started
# without base_url, a check that should have refused before fetching, an archive left at its
# default would otherwise ask the live portals. ``.invalid`` hosts (RFC 2606) are left to
# fail their name lookup, as the tests of unresolvable sites expect.
OFFLINE_PROXY = "http://127.0.0.1:9"
NOT_PROXIED = "127.0.0.1,localhost,::1,.invalid"


def pytest_configure(config: pytest.Config) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        os.environ[name] = OFFLINE_PROXY
    for name in ("no_proxy", "NO_PROXY"):
        os.environ[name] = NOT_PROXIED


@dataclass
class FixtureCase:
    portal: str
    name: str
    meta: dict[str, Any]
    expected: dict[str, Any]
    snippets: dict[str, list[str]]

    @property
    def html(self) -> bytes:
        page = self.meta["page"]
        path = SITES_DIR / self.portal / page
        if not path.is_file():
            path = FIXTURES / self.portal / self.name / page
        return path.read_bytes()


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_fixture_cases() -> list[FixtureCase]:
    cases = []
    for case_dir in sorted(FIXTURES.glob("*/*/")):
        if not (case_dir / "meta.json").is_file():
            continue
        snippets = _read_json(case_dir / "snippets.json") if (case_dir / "snippets.json").is_file() else {}
        meta, expected = _read_json(case_dir / "meta.json"), _read_json(case_dir / "expected.json")
        cases.append(FixtureCase(case_dir.parent.name, case_dir.name, meta, expected, snippets))
    return cases


@dataclass
class CrawlResult:
    returncode: int
    output: str
    store: Path
    runs_dir: Path
    jsonl: Path

    def run_file(self) -> dict[str, Any]:
        runs = sorted(self.runs_dir.glob("*/*.json"))
        assert runs, f"no run file in {self.runs_dir}\n{self.output[-3000:]}"
        return json.loads(runs[-1].read_text(encoding="utf-8"))

    def records(self) -> list[dict[str, Any]]:
        import sqlite3

        with sqlite3.connect(self.store) as db:
            return [json.loads(r) for (r,) in db.execute("SELECT record FROM articles ORDER BY id")]


def feed_ids(feed: Path) -> list[str]:
    """The ids of a JSON Lines feed, once each, in order, after checking that the feed is a
    log of its store: an id comes again only as a re-root's relinked record (a copy now)."""
    lines = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()] if feed.exists() else []
    first: dict[str, dict[str, Any]] = {}
    for line in lines:
        if line["id"] in first:
            assert line["duplicate_of"], f"{line['id']} is in the feed twice, the second time not as a relinked copy"
        first.setdefault(line["id"], line)
    return list(first)


def run_crawl(
    spider: str,
    base_url: str,
    workdir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: int = 180,
    cwd: Path = ROOT,
) -> CrawlResult:
    """``scrapy crawl`` as a user runs it, against a replica, into the store ``workdir/dvk.sqlite``.

    Its feed and run files are in ``workdir`` too (see :func:`crawl_command`).
    From a ``cwd`` other than the checkout, the project is found by ``SCRAPY_SETTINGS_MODULE``.
    """
    store, runs, jsonl = workdir / "dvk.sqlite", workdir / "runs", workdir / "articles.jsonl"
    completed = subprocess.run(
        crawl_command(spider, base_url, workdir, *args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings", **(env or {})},
    )
    return CrawlResult(completed.returncode, completed.stdout + completed.stderr, store, runs, jsonl)


def crawl_command(spider: str, base_url: str, workdir: Path, *args: str) -> list[str]:
    """The command line of :func:`run_crawl`.

    Into ``workdir/dvk.sqlite`` it gives no FEEDS or DVK_RUNS_DIR: the feed and run files
    land beside the store by themselves. When ``args`` name another store, the feed and
    run files are still set to ``workdir`` (explicit settings win), so a PostgreSQL or
    size-limited store under test never writes them into the checkout or onto its disk.
    """
    files: list[str] = []
    if any(arg.startswith("DVK_STORE_URL=") for arg in args):
        files = [
            "-s", f"DVK_RUNS_DIR={workdir / 'runs'}",
            "-s", "FEEDS=" + json.dumps({str(workdir / "articles.jsonl"): {"format": "jsonlines", "encoding": "utf8"}}),
        ]  # fmt: skip
    return [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-a", f"base_url={base_url}",
        "-s", f"DVK_STORE_URL=sqlite:///{workdir / 'dvk.sqlite'}",
        *files,
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "AUTOTHROTTLE_ENABLED=0",
        *args,
    ]  # fmt: skip


@pytest.fixture(scope="session")
def replicas() -> Iterator[dict[str, str]]:
    """Every replica site on its own loopback port, for the whole session."""
    with serve() as urls:
        yield urls


@pytest.fixture(autouse=True)
def _subprocesses_only_in_slow_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that starts a process (a crawl, a service, a browser, a probe) is marked ``slow``:
    ``make test-fast`` leaves those out and must stay fast as tests are added."""
    if request.node.get_closest_marker("slow") is not None:
        return

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{request.node.nodeid} starts {args!r}: mark it @pytest.mark.slow")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
