"""Dedup at scale: the near-duplicate stage over 10,000 (and 100,000) synthetic articles.

Drives the real ``DedupPipeline`` and ``StorePipeline`` (SQLite store, MinHash LSH
band keys in the store) with varied Vietnamese texts: sentences of the replica
pages recombined, a few unique sentences each, and 5% near-duplicates (a copy of
an earlier article with another first and last sentence) plus 1% exact copies.
Measured: dedup time per article (id lookup + signature) at each size, store time
per article (amortised batch: articles, hash and LSH lookups, signatures and copy
links in one transaction), RSS, and the start of a
run on the filled store: open + the first article's dedup (nothing is loaded).
Goals at 100,000: < 5 ms per article, < 500 MB, start-up < 5 s.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from scrapy.utils.test import get_crawler

from bench.common import percentile, rss_mb, write_json
from bench.pages import paragraph_pool, unique_sentence
from dvk_crawl.outcomes import Dropped
from dvk_crawl.pipelines.dedup import DedupPipeline
from dvk_crawl.pipelines.store import StorePipeline
from dvk_crawl.text import content_hash

GOAL_MS = 5.0
GOAL_RSS_MB = 500.0
GOAL_STARTUP_S = 5.0
WINDOW = 1000  # per-article times are reported over the last WINDOW articles before each mark


@cache
def sentences() -> tuple[str, ...]:
    found = {s.strip() for p in paragraph_pool() for s in re.split(r"(?<=[.!?])\s+", p) if len(s.strip()) > 30}
    return tuple(sorted(found))


def corpus(count: int, seed: int = 100) -> Iterator[dict[str, Any]]:
    """``count`` article items; 5% near-duplicates and 1% exact copies of earlier ones."""
    rng = random.Random(seed)
    texts: list[str] = []
    for number in range(count):
        roll = rng.random()
        if texts and roll < 0.01:
            text = rng.choice(texts)
        elif texts and roll < 0.06:
            body = rng.choice(texts).split("\n\n")
            text = "\n\n".join([unique_sentence(rng, number), *body[1:-1], unique_sentence(rng, -number)])
        else:
            picked = rng.sample(sentences(), rng.randint(6, 16))
            text = "\n\n".join([unique_sentence(rng, number), *picked, unique_sentence(rng, -number)])
        if len(texts) < 5000:
            texts.append(text)
        else:
            texts[rng.randrange(len(texts))] = text
        yield _item(number, text)


def _item(number: int, text: str) -> dict[str, Any]:
    return {
        "id": f"baohatinh:{1_000_000 + number}",
        "portal": "baohatinh",
        "url": f"https://baohatinh.vn/bai-{number}-post{1_000_000 + number}.html",
        "title": f"Dân vận khéo {number}",
        "text": text,
        "content_hash": content_hash(text),
        "fetched_at": "2026-01-01T00:00:00+00:00",
        "published_at": "2025-01-01T08:00:00+07:00",
        "relevant": True,
        "duplicate_of": None,
    }


class Stages:
    """The dedup stage of one run and the store's batched writes (what ``StorePipeline`` does)."""

    BATCH = 20  # DVK_STORE_BATCH_SIZE's default

    def __init__(self, store: Path) -> None:
        self.crawler = get_crawler(settings_dict={"DVK_STORE_URL": f"sqlite:///{store}"})
        assert self.crawler.stats is not None
        self.crawler.stats.open_spider()
        self.dedup = DedupPipeline(self.crawler)
        self.dedup.open_spider()
        assert self.dedup.store is not None
        self.store = self.dedup.store
        self.store_stage = StorePipeline(self.crawler)
        self.pending: list[dict[str, Any]] = []

    def process(self, item: dict[str, Any]) -> tuple[float, float, float]:
        """Milliseconds in the dedup stage (wall, CPU) and, amortised over a batch, in the store."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            self.dedup.process_item(item)
        except Dropped:
            return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, 0.0
        middle, cpu_used = time.perf_counter(), time.process_time() - cpu
        self.pending.append(item)
        if len(self.pending) >= self.BATCH:
            self.flush()
        return (middle - started) * 1000, cpu_used * 1000, (time.perf_counter() - middle) * 1000

    def flush(self) -> None:
        if self.pending:  # articles, signatures and copy links in one transaction, as a crawl writes them
            self.store_stage.commit(self.store, self.pending)
        self.pending = []

    def close(self) -> None:
        self.flush()
        self.store.close()

    def outcome(self, name: str) -> int:
        assert self.crawler.stats is not None
        return int(self.crawler.stats.get_value(f"dvk/dedup/{name}", 0))


def run(sizes: tuple[int, ...] = (10_000,)) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dvk-bench-dedup-") as tmp:
        store = Path(tmp) / "dvk.sqlite"
        rss_before = rss_mb()
        stages = Stages(store)
        marks: dict[str, Any] = {}
        outcomes: dict[str, int] = {}
        dedup_ms: list[float] = []
        dedup_cpu_ms: list[float] = []
        store_ms: list[float] = []
        started = time.perf_counter()
        for number, item in enumerate(corpus(max(sizes)), start=1):
            d, c, s = stages.process(item)
            dedup_ms.append(d)
            dedup_cpu_ms.append(c)
            store_ms.append(s)
            if number in sizes:
                stages.flush()  # outcomes are counted when a batch commits
                for name in ("unique", "near_duplicate", "duplicate_content"):
                    outcomes[name] = outcomes.get(name, 0) + stages.outcome(name)
                marks[str(number)] = _mark(dedup_ms, store_ms, rss_before, time.perf_counter() - started)
                marks[str(number)]["dedup_cpu_ms_mean"] = statistics.fmean(dedup_cpu_ms[-WINDOW:])
                marks[str(number)]["outcomes"] = dict(outcomes)
                marks[str(number)]["startup"] = _startup(store, stages, number)
                stages = Stages(store)  # the next stretch continues as a new run would
        stages.close()
    last = marks[str(max(sizes))]
    return {
        "sizes": list(sizes),
        "marks": marks,
        "goals": {
            "ms_per_article": last["dedup_ms"]["mean"] < GOAL_MS,
            "cpu_ms_per_article": last["dedup_cpu_ms_mean"] < GOAL_MS,
            "rss": last["rss_mb"] < GOAL_RSS_MB,
            "startup": last["startup"]["seconds"] < GOAL_STARTUP_S,
        },
        "goals_apply_at": max(sizes),
    }


def _mark(dedup_ms: list[float], store_ms: list[float], rss_before: float, elapsed: float) -> dict[str, Any]:
    window, store_window = dedup_ms[-WINDOW:], store_ms[-WINDOW:]
    return {
        "dedup_ms": {
            "mean": statistics.fmean(window),
            "median": statistics.median(window),
            "p95": percentile(window, 0.95),
        },
        "store_ms_mean": statistics.fmean(store_window),
        "elapsed_seconds": round(elapsed, 1),
        "rss_mb": round(rss_mb(), 1),
        "rss_growth_mb": round(rss_mb() - rss_before, 1),
    }


def _startup(store: Path, stages: Stages, number: int) -> dict[str, Any]:
    """A new run on the filled store: open it and dedup one new article (nothing is loaded)."""
    stages.close()
    probe = _item(10_000_000 + number, "\n\n".join(random.Random(number).sample(sentences(), 10)))
    started = time.perf_counter()
    fresh = Stages(store)
    opened = time.perf_counter()
    fresh.process(probe)
    done = time.perf_counter()
    fresh.close()
    return {
        "seconds": round(done - started, 4),
        "open_seconds": round(opened - started, 4),
        "store_mb": round(sum(p.stat().st_size for p in store.parent.glob("dvk.sqlite*")) / 2**20, 1),
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{'articles':>9} {'dedup ms mean':>14} {'CPU ms':>8} {'median':>7} {'p95':>6} {'store ms':>9} {'RSS MB':>7}"
        f" {'start-up s':>11}"
    ]
    for size, mark in result["marks"].items():
        d = mark["dedup_ms"]
        lines.append(
            f"{int(size):>9} {d['mean']:>14.2f} {mark['dedup_cpu_ms_mean']:>8.2f} {d['median']:>7.2f} {d['p95']:>6.2f}"
            f" {mark['store_ms_mean']:>9.2f}"
            f" {mark['rss_mb']:>7.0f} {mark['startup']['seconds']:>11.3f}   {mark['outcomes']}"
        )
    lines.append(
        f"goals at {result['goals_apply_at']} (< {GOAL_MS} ms, < {GOAL_RSS_MB:.0f} MB, start-up < {GOAL_STARTUP_S} s): "
        + ", ".join(f"{k} {'met' if v else 'missed'}" for k, v in result["goals"].items())
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup", description=__doc__)
    parser.add_argument("--sizes", default="10000", help="comma-separated article counts, e.g. 10000,100000")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(tuple(sorted(int(s) for s in args.sizes.split(","))))
    print(format_table(result))
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
