"""What every benchmark shares: timing summaries, RSS, crawls as subprocesses."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THROTTLING_OFF = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
_CRAWLED = re.compile(r"Crawled \((?P<status>\d+)\) <GET (?P<url>\S+)>")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1), nearest-rank, of a non-empty sequence."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of repeated measurements (the variance the doc reports)."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def rss_mb() -> float:
    """This process's resident set size now, in MB (from /proc, no psutil needed)."""
    return process_rss_mb(os.getpid()) or 0.0


def process_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def load_average() -> float:
    return os.getloadavg()[0]


@dataclass
class Crawl:
    """One ``scrapy crawl`` subprocess, as a user runs it, with what it cost."""

    returncode: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stats: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    server_cpu_seconds: float = 0.0
    """CPU of this (the benchmark's) process meanwhile: the replica server's threads, the sampling."""
    rss_samples: list[tuple[float, float, int]] = field(default_factory=list)
    """``(seconds since start, RSS MB, articles in the store)``, sampled while it ran."""
    output: str = ""


def crawl_command(spider: str, base_url: str, workdir: Path, *args: str) -> list[str]:
    store, runs, jsonl = workdir / "dvk.sqlite", workdir / "runs", workdir / "articles.jsonl"
    return [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-a", f"base_url={base_url}",
        "-s", f"DVK_STORE_URL=sqlite:///{store}",
        "-s", f"DVK_RUNS_DIR={runs}",
        "-s", "FEEDS=" + json.dumps({str(jsonl): {"format": "jsonlines", "encoding": "utf8"}}),
        "-s", "DVK_PROGRESS_INTERVAL=0",
        *args,
    ]  # fmt: skip


def run_crawl(spider: str, base_url: str, workdir: Path, *args: str, sample_every: float = 0.0) -> Crawl:
    """Run a crawl to its end; CPU and peak RSS come from the kernel (``wait4``) for this child only."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"crawl-{time.time_ns()}.log"
    started, own_cpu = time.perf_counter(), time.process_time()
    with log.open("w") as out:
        process = subprocess.Popen(crawl_command(spider, base_url, workdir, *args), cwd=ROOT, stdout=out, stderr=out)
        status, usage, samples = _wait(process.pid, workdir / "dvk.sqlite", started, sample_every)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: keep Popen from waiting again
    wall = time.perf_counter() - started
    output = log.read_text(encoding="utf-8", errors="replace")
    return Crawl(
        returncode=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        stats=_last_run_stats(workdir / "runs" / spider),
        requests=[f"{m['status']} {m['url']}" for m in _CRAWLED.finditer(output)],
        server_cpu_seconds=time.process_time() - own_cpu,
        rss_samples=samples,
        output=output,
    )


def _wait(pid: int, store: Path, started: float, every: float) -> tuple[int, Any, list[tuple[float, float, int]]]:
    """Wait for the child with ``wait4`` (its own CPU time and peak RSS), sampling RSS meanwhile."""
    samples: list[tuple[float, float, int]] = []
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG if every else 0)
        if done:
            return status, usage, samples
        rss = process_rss_mb(pid)
        if rss is not None:
            samples.append((round(time.perf_counter() - started, 2), round(rss, 1), _stored(store)))
        time.sleep(every)


def _stored(store: Path) -> int:
    import sqlite3

    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def _last_run_stats(runs_dir: Path) -> dict[str, Any]:
    runs = sorted(runs_dir.glob("*.json"))
    if not runs:
        return {}
    return json.loads(runs[-1].read_text(encoding="utf-8")).get("stats", {})


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
