"""A store that fails stops the crawl with one clear error, never drops articles quietly,
and leaves what it already holds intact: a read-only database file or folder, a full
disk midway, a PostgreSQL connection lost midway.

Read-only files and full disks need no privileges where the tests run as a normal user
(``chmod``); as root, permissions do not bind, so the tests mount a read-only bind mount
or a tiny tmpfs instead, and where mounting is not allowed they say so and skip (the full
disk then falls back to an injected ``database or disk is full``).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.replica.faults import FaultServer
from tests.conftest import ROOT, CrawlResult, crawl_command, run_crawl

pytestmark = pytest.mark.slow  # every test starts a crawl or the full-disk shim

ROOT_USER = os.geteuid() == 0
SLOW = ("-s", "DVK_STORE_BATCH_SIZE=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def can_mount() -> bool:
    return ROOT_USER and shutil.which("mount") is not None


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` (a file or a folder) cannot be written while inside."""
    if not ROOT_USER:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    try:
        mount("--bind", str(path), str(path))
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"running as root and cannot bind-mount {path} read-only: {error}")
    try:
        mount("-o", "remount,ro,bind", str(path), str(path))
        yield
    finally:
        subprocess.run(["umount", str(path)], check=False)


def rows(store: Path) -> dict[str, tuple[str, str]]:
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {i: (at, record) for i, at, record in db.execute("SELECT id, stored_at, record FROM articles")}


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " ERROR: " in line or "error:" in line]


# -- a store that cannot be opened or written: one line before the crawl starts ----------------


def test_read_only_database_file_stops_before_crawling(replicas: dict[str, str], tmp_path: Path) -> None:
    first = run_crawl("baohatinh", replicas["baohatinh"], tmp_path)
    assert first.returncode == 0, first.output[-3000:]
    before = rows(first.store)
    with read_only(first.store):
        again = run_crawl("baohatinh", replicas["baohatinh"], tmp_path, "-a", "refresh=1")
    assert again.returncode == 2
    [line] = error_lines(again.output)
    assert f"cannot write to store {first.store}" in line and "readonly database" in line
    assert "Traceback" not in again.output
    assert rows(first.store) == before


@pytest.mark.parametrize("make", ["read-only folder", "folder is a file"])
def test_store_folder_that_cannot_hold_the_store_is_one_line(
    make: str, replicas: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "store"
    if make == "folder is a file":
        folder.write_text("not a folder")
        result = crawl_into(folder / "dvk.sqlite", replicas["baohatinh"], tmp_path)
    else:
        folder.mkdir()
        with read_only(folder):
            result = crawl_into(folder / "dvk.sqlite", replicas["baohatinh"], tmp_path)
    assert result.returncode == 2
    [line] = error_lines(result.output)
    assert str(folder / "dvk.sqlite") in line and "DVK_STORE_URL" in line
    assert "Traceback" not in result.output


def crawl_into(store: Path, base_url: str, workdir: Path) -> CrawlResult:
    return run_crawl("baohatinh", base_url, workdir, "-s", f"DVK_STORE_URL=sqlite:///{store}")


# -- a store that fails midway: the crawl stops with store_error, exit code 1 ------------------


@contextmanager
def slow_crawl(command: list[str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (workdir / "crawl.log").open("w")
    crawl = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield crawl
        crawl.wait(timeout=120)
    finally:
        if crawl.poll() is None:
            crawl.send_signal(signal.SIGKILL)
            crawl.wait()
        log.close()


def wait_for(condition: Callable[[], bool], crawl: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert crawl.poll() is None, "the crawl ended before the store could fail under it"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def sqlite_count(store: Path) -> int:
    try:
        with closing(sqlite3.connect(store, timeout=5)) as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def assert_stopped_for_the_store(workdir: Path, returncode: int, *causes: str) -> dict[str, Any]:
    """Exit code 1, one ERROR line naming the store and one of ``causes``, no traceback, a run file."""
    output = (workdir / "crawl.log").read_text(encoding="utf-8")
    assert returncode == 1, output[-4000:]
    store_errors = [line for line in error_lines(output) if "store failed, the crawl stops" in line]
    assert len(store_errors) == 1 and any(cause in store_errors[0] for cause in causes), output[-4000:]
    assert "Traceback" not in output
    run = json.loads(max((workdir / "runs").glob("*/*.json")).read_text(encoding="utf-8"))
    assert run["finish_reason"] == "store_error"
    return run


def fill(folder: Path) -> None:
    """Write zeros into ``folder`` until its file system is full.

    The crawl writing into the same small file system may fill it first, even before
    the filler file can be created: "no space left" at any step is the state wanted.
    """
    try:
        with (folder / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise


def test_full_disk_midway_stops_the_crawl_and_keeps_what_was_stored(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    injected = not can_mount()
    if not injected:
        try:
            mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
        except subprocess.CalledProcessError:
            injected = True
    store = disk / "dvk.sqlite"
    server = FaultServer("baohatinh", delay=0.3).start()
    try:
        # The WARC files beside the store share its disk: which of the two meets the full disk
        # first would be a race. Their own full disk: tests/test_warc.py.
        no_warc = ("-s", "DVK_WARC_ENABLED=0")
        command = crawl_command(
            "baohatinh", server.base_url, tmp_path, *SLOW, *no_warc, "-s", f"DVK_STORE_URL=sqlite:///{store}"
        )
        if injected:
            command[1:3] = [str(Path(__file__).with_name("full_disk_shim.py"))]
        with slow_crawl(command, tmp_path) as crawl:
            wait_for(lambda: sqlite_count(store) >= 1, crawl)
            if not injected:
                fill(disk)
            before = rows(store)
        run = assert_stopped_for_the_store(tmp_path, crawl.returncode, "database or disk is full")
        (disk / "filler").unlink(missing_ok=True)
        after = rows(store)
        assert {i: after[i] for i in before} == before  # nothing stored before is lost or changed
        assert run["summary"]["stored"] == len(after)
    finally:
        server.stop()
        if not injected:
            subprocess.run(["umount", str(disk)], check=False)


def test_lost_postgresql_connection_stops_the_crawl(postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    server = FaultServer("baohatinh", delay=0.3).start()
    try:
        command = crawl_command("baohatinh", server.base_url, tmp_path, *SLOW, "-s", f"DVK_STORE_URL={postgres_url}")
        with slow_crawl(command, tmp_path) as crawl, psycopg.connect(postgres_url, autocommit=True) as db:
            wait_for(lambda: postgres_count(db) >= 1, crawl)
            assert terminate_backends_of(db, crawl.pid) >= 1
            before = postgres_rows(db)
        # psycopg says one of these, depending on whether the crawl was reading, between queries or
        # starting the next one when its session ended.
        causes = ("terminating connection", "consuming input failed", "connection is closed")
        assert_stopped_for_the_store(tmp_path, crawl.returncode, *causes)
        with psycopg.connect(postgres_url, autocommit=True) as db:
            assert postgres_rows(db) == before
    finally:
        server.stop()


def postgres_count(db: Any) -> int:
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except Exception:  # the crawl has not created the tables yet
        return 0


def postgres_rows(db: Any) -> dict[str, tuple[str, Any]]:
    return {i: (at, record) for i, at, record in db.execute("SELECT id, stored_at, record FROM articles")}


def terminate_backends_of(db: Any, pid: int) -> int:
    """End the PostgreSQL sessions a process holds, never the test's own session ``db``.

    A session is found by the local port of one of the process's sockets to the server's
    port: a local port alone is not enough, since the crawl's HTTP sockets may share a
    local port number with the test's own session (ports are unique per remote address).
    """
    ports = local_ports_to(pid, db.info.port)
    killed = db.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
        (sorted(ports),),
    ).fetchone()
    return int(killed[0])


def local_ports_to(pid: int, remote_port: int) -> set[int]:
    """The local ports of the process's TCP sockets connected to ``remote_port``."""
    if not Path(f"/proc/{pid}/fd").is_dir():
        pytest.skip("finding a process's PostgreSQL sessions needs /proc (Linux)")
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()  # sl, local_address, rem_address, st, ..., inode (10th)
            if fields[9] in inodes and port_of(fields[2]) == remote_port:
                ports.add(port_of(fields[1]))
    return ports


def port_of(address: str) -> int:
    """The port of a /proc/net/tcp address, ``0100007F:1538`` (hex)."""
    return int(address.rsplit(":", 1)[1], 16)


def test_shim_is_a_python_script() -> None:
    """The non-root fallback of the full-disk test starts Scrapy itself."""
    shim = Path(__file__).with_name("full_disk_shim.py")
    completed = subprocess.run([sys.executable, str(shim), "version"], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0 and "Scrapy" in completed.stdout
