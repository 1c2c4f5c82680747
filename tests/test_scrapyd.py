"""Scheduled crawls through Scrapyd: deploy the project, schedule a crawl, read the store.

Uses the real scrapyd and scrapyd-client (dev dependencies) on a loopback port:
the egg is built by ``scrapyd-deploy --build-egg``, uploaded with ``addversion.json``,
the crawl started with ``schedule.json`` and followed with ``listjobs.json``.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(base: str, endpoint: str, data: dict[str, str] | bytes | None = None, headers: dict | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
    request = urllib.request.Request(f"{base}/{endpoint}", data=body, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def build_egg(workdir: Path) -> Path:
    """scrapyd-deploy writes a setup.py where it builds: build in a copy, not in the repo."""
    project = workdir / "project"
    shutil.copytree(ROOT / "dvk_crawl", project / "dvk_crawl", ignore=shutil.ignore_patterns("__pycache__", "sites"))
    shutil.copy(ROOT / "scrapy.cfg", project)
    egg = workdir / "dvk_crawl.egg"
    subprocess.run([BIN / "scrapyd-deploy", "--build-egg", str(egg)], cwd=project, check=True, capture_output=True)
    return egg


def upload(base: str, egg: Path) -> dict[str, Any]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\ndvk_crawl\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\nr1\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="dvk_crawl.egg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + egg.read_bytes()
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return call(base, "addversion.json", b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.fixture
def scrapyd(tmp_path: Path):
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {tmp_path}/eggs\nlogs_dir = {tmp_path}/logs\ndbs_dir = {tmp_path}/dbs\n"
        "items_dir =\nmax_proc = 1\npoll_interval = 0.5\n",
        encoding="utf-8",
    )
    server = subprocess.Popen([BIN / "scrapyd"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(base, "daemonstatus.json")
                break
            except OSError:
                time.sleep(0.2)
        yield base
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


def test_scrapyd_deploys_schedules_and_stores(scrapyd: str, replicas: dict[str, str], tmp_path: Path) -> None:
    assert upload(scrapyd, build_egg(tmp_path))["status"] == "ok"
    assert "baohatinh" in call(scrapyd, "listspiders.json?project=dvk_crawl")["spiders"]
    store = tmp_path / "dvk.sqlite"
    settings = {
        "DVK_STORE_URL": f"sqlite:///{store}",
        "DVK_SEEDS_DIR": str(ROOT / "seeds"),
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "0",
    }
    form = [("project", "dvk_crawl"), ("spider", "baohatinh"), ("base_url", replicas["baohatinh"])]
    form += [("setting", f"{k}={v}") for k, v in settings.items()]
    request = urllib.request.Request(f"{scrapyd}/schedule.json", data=urllib.parse.urlencode(form).encode())
    with urllib.request.urlopen(request, timeout=30) as answer:
        job = json.loads(answer.read())["jobid"]
    wait_until_finished(scrapyd, job)
    expected = json.loads((ROOT / "dvk_crawl/replica/sites/baohatinh/expected.json").read_text(encoding="utf-8"))
    import sqlite3

    with sqlite3.connect(store) as db:
        stored = sorted(row[0] for row in db.execute("SELECT id FROM articles"))
    assert stored == sorted(expected["stored_ids"])
    # Feed and run file beside the absolute store, not in the Scrapyd job's working folder.
    run = json.loads(next((tmp_path / "runs" / "baohatinh").glob("*.json")).read_text(encoding="utf-8"))
    assert run["finish_reason"] == "finished" and run["job"] == job
    fed = [json.loads(line)["id"] for line in (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(fed) == stored
