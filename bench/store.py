"""Store: sustained insert rate, articles per second, into SQLite and PostgreSQL.

Full article records (extracted from generated replica pages, so the ``record``
JSON is the size a crawl writes) are upserted in batches of
``DVK_STORE_BATCH_SIZE`` (20), one transaction each, as ``StorePipeline`` does,
into a fresh store. PostgreSQL is measured when it answers at
``DVK_BENCH_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``), in
a schema of its own that is dropped afterwards; otherwise it is reported as skipped.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import spread, write_json
from bench.pages import generate
from dvk_crawl.derived import derive_fields
from dvk_crawl.extract import extract_article
from dvk_crawl.keywords import default_keywords
from dvk_crawl.store import open_store

POSTGRES = os.environ.get("DVK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BATCH = 20


def records(count: int) -> list[dict[str, Any]]:
    keywords = default_keywords()
    pages = generate(min(count, 200))
    base = [derive_fields(extract_article(p.html, p.url, p.portal), keywords).to_dict() for p in pages]
    return [{**base[n % len(base)], "id": f"bench:{n}", "url": f"https://bench.invalid/{n}"} for n in range(count)]


def insert_rate(url: str, rows: list[dict[str, Any]]) -> float:
    """Articles per second, upserting ``rows`` in batches into the empty store at ``url``."""
    store = open_store(url)
    store.open()
    try:
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            store.upsert_many(rows[start : start + BATCH])
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    return len(rows) / elapsed


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="dvk-bench-store-") as tmp:
        yield f"sqlite:///{tmp}/dvk.sqlite"


@contextmanager
def postgres_url() -> Iterator[str]:
    import psycopg

    schema = f"dvk_bench_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in POSTGRES else "?"
    try:
        yield f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as db:
            db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except Exception as error:  # ImportError or any connection failure: the bench says which
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return None


def run(count: int = 5000, repeats: int = 3) -> dict[str, Any]:
    rows = records(count)
    size = sum(len(str(r)) for r in rows[:200]) / min(200, len(rows))
    result: dict[str, Any] = {"articles": count, "batch": BATCH, "repeats": repeats, "record_chars": round(size)}
    stores: dict[str, Any] = {}
    stores["sqlite"] = _measure(sqlite_url, rows, repeats)
    missing = postgres_available()
    stores["postgresql"] = {"skipped": missing} if missing else _measure(postgres_url, rows, repeats)
    result["stores"] = stores
    return result


def _measure(make_url: Any, rows: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    rates = []
    for _ in range(repeats):
        with make_url() as url:
            rates.append(insert_rate(url, rows))
    return {"articles_per_second": spread(rates)}


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{result['articles']} records (~{result['record_chars']} chars each), batches of {result['batch']}"]
    for name, row in result["stores"].items():
        if "skipped" in row:
            lines.append(f"{name:<11} skipped: {row['skipped']}")
            continue
        rate = row["articles_per_second"]
        lines.append(f"{name:<11} {rate['median']:>8.0f} articles/s [{rate['min']:.0f}-{rate['max']:.0f}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.articles, args.repeats)
    print(format_table(result))
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
