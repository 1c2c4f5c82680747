"""Scheduled crawls through Scrapyd, following the README's own steps.

From a copy of the checkout (its tracked files, pyproject.toml and setup.py included), as
the README says: start ``scrapyd`` in it, ``scrapyd-deploy local``, schedule a crawl with
``schedule.json`` and follow it with ``listjobs.json``. The copy's ``scrapy.cfg`` only gets
a free port instead of 6800. The job is given no ``DVK_SEEDS_DIR``: the egg must carry the
seeds. Afterwards git must see nothing new in the copy that .gitignore does not cover.
"""

from __future__ import annotations

import configparser
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.replica.server import SITES_DIR
from tests.checkout import copy_checkout
from tests.conftest import feed_ids

pytestmark = pytest.mark.slow  # starts scrapyd and deploys to it

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Scrapyd:
    url: str
    checkout: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(base: str, endpoint: str, form: list[tuple[str, str]] | None = None) -> Any:
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    with urllib.request.urlopen(urllib.request.Request(f"{base}/{endpoint}", data=body), timeout=30) as answer:
        return json.loads(answer.read())


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=checkout, check=True, capture_output=True, text=True).stdout


def use_port(checkout: Path, port: int) -> None:
    """Point the ``local`` deploy target and the Scrapyd of ``scrapy.cfg`` at ``port``."""
    config = configparser.ConfigParser()
    config.read(checkout / "scrapy.cfg", encoding="utf-8")
    config["deploy:local"]["url"] = f"http://127.0.0.1:{port}/"
    if not config.has_section("scrapyd"):
        config.add_section("scrapyd")
    config["scrapyd"].update({"bind_address": "127.0.0.1", "http_port": str(port), "poll_interval": "0.5"})
    with (checkout / "scrapy.cfg").open("w", encoding="utf-8") as file:
        config.write(file)


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            call(base, "daemonstatus.json")
            return
        except OSError:
            assert server.poll() is None, "scrapyd exited at start"
            assert time.monotonic() < deadline, "scrapyd did not answer within 60 s"
            time.sleep(0.2)


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    checkout = copy_checkout(tmp_path / "checkout")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    port = free_port()
    use_port(checkout, port)
    server = subprocess.Popen([BIN / "scrapyd"], cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        yield Scrapyd(base, checkout)
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_finished(base: str, job: str, seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs = call(base, "listjobs.json?project=dvk_crawl")
        if any(j["id"] == job for j in jobs["finished"]):
            return
        time.sleep(0.5)
    raise AssertionError(f"job {job} did not finish in {seconds}s: {jobs}")


def deploy(checkout: Path) -> dict[str, Any]:
    """``scrapyd-deploy local``; it exits 0 even when the server refuses the egg: read its answer."""
    completed = subprocess.run([BIN / "scrapyd-deploy", "local"], cwd=checkout, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-3000:]
    answer: dict[str, Any] = json.loads(completed.stdout)
    return answer


def test_readme_scrapyd_steps_deploy_schedule_store_and_leave_nothing_untracked(
    scrapyd: Scrapyd, replicas: dict[str, str], tmp_path: Path
) -> None:
    answer = deploy(scrapyd.checkout)
    assert answer["status"] == "ok", answer
    assert "baohatinh" in call(scrapyd.url, "listspiders.json?project=dvk_crawl")["spiders"]
    store = tmp_path / "dvk.sqlite"
    form = [("project", "dvk_crawl"), ("spider", "baohatinh"), ("base_url", replicas["baohatinh"])]
    form += [("setting", f"DVK_STORE_URL=sqlite:///{store}")]
    form += [("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=0")]
    job = call(scrapyd.url, "schedule.json", form)["jobid"]
    wait_until_finished(scrapyd.url, job)
    [log] = scrapyd.checkout.glob(f"data/scrapyd/logs/dvk_crawl/baohatinh/{job}.log")
    assert "Spider closed (finished)" in log.read_text(encoding="utf-8")
    expected = json.loads((SITES_DIR / "baohatinh" / "expected.json").read_text(encoding="utf-8"))
    with closing(sqlite3.connect(store)) as db:
        stored = sorted(row[0] for row in db.execute("SELECT id FROM articles"))
    assert stored == sorted(expected["stored_ids"])
    # Feed and run file beside the absolute store, not in the Scrapyd job's working folder.
    run = json.loads(next((tmp_path / "runs" / "baohatinh").glob("*.json")).read_text(encoding="utf-8"))
    assert run["finish_reason"] == "finished" and run["job"] == job
    fed = feed_ids(tmp_path / "articles.jsonl")
    assert sorted(fed) == stored
    status = git(scrapyd.checkout, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert [line for line in status if line.startswith("??")] == []  # Scrapyd still running: its pid file too
