"""The feed, the run files and the run history belong to their store; the demo keeps apart.

A crawl into a store writes its JSON Lines feed and run files beside that store (never
into the working folder's ``data/``), records its run in that store, and reads its
earlier runs from there; ``dvk-crawl stats --store X`` shows X's runs; ``make demo``
keeps everything in ``data/demo/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from dvk_crawl.cli.main import main
from dvk_crawl.extensions.runreport import previous_runs
from dvk_crawl.store import open_store
from dvk_crawl.storefiles import StoreFiles, store_data_dir
from tests.conftest import feed_ids, run_crawl

SPIDER = "baoyenbai"  # a small replica


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("sqlite:///data/dvk.sqlite", "data"),
        ("sqlite:////srv/dvk/x.sqlite", "/srv/dvk"),
        ("sqlite:///x.sqlite", "."),
        ("postgresql://dvk@db.example:5433/dvk", "data/postgresql/db.example-5433-dvk"),
        # A schema of its own: two stores in two schemas of one database never share files.
        ("postgresql://dvk@db.example/dvk?options=-csearch_path%3Ddvk", "data/postgresql/db.example-5432-dvk-dvk"),
        (
            "postgresql://dvk@db.example/dvk?options=-c%20search_path%3Dtwo%2Cpublic",
            "data/postgresql/db.example-5432-dvk-two",
        ),
        ("postgres:///dvk", "data/postgresql/localhost-5432-dvk"),
    ],
)
def test_a_store_has_a_data_folder(url: str, folder: str) -> None:
    assert store_data_dir(url) == Path(folder)


def settings_after_addon(**given: Any) -> Settings:
    settings = Settings()
    settings.setdict(given, priority="cmdline")
    StoreFiles().update_settings(settings)
    return settings


def test_feed_and_run_files_follow_the_store_unless_given() -> None:
    derived = settings_after_addon(DVK_STORE_URL="sqlite:////srv/x/dvk.sqlite")
    assert list(derived.getdict("FEEDS")) == ["/srv/x/articles.jsonl"]
    assert derived["DVK_RUNS_DIR"] == "/srv/x/runs"

    feeds = {"/tmp/mine.jsonl": {"format": "jsonlines"}}
    given = settings_after_addon(DVK_STORE_URL="sqlite:////srv/x/dvk.sqlite", FEEDS=feeds, DVK_RUNS_DIR="/tmp/r")
    assert given.getdict("FEEDS") == feeds
    assert given["DVK_RUNS_DIR"] == "/tmp/r"


@pytest.mark.slow
def test_a_crawl_writes_feed_and_runs_beside_its_store_and_nothing_under_the_cwd(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    cwd, workdir = tmp_path / "cwd", tmp_path / "store"
    cwd.mkdir()
    result = run_crawl(SPIDER, replicas[SPIDER], workdir, cwd=cwd)
    assert result.returncode == 0, result.output[-3000:]
    assert list(cwd.iterdir()) == []  # no data/articles.jsonl, no data/runs/
    fed = feed_ids(result.jsonl)
    assert sorted(fed) == sorted(r["id"] for r in result.records())
    (run_file,) = (workdir / "runs" / SPIDER).glob("*.json")
    with open_store(f"sqlite:///{result.store}") as store:
        (run,) = store.last_runs(SPIDER)
    assert run["name"] == run_file.stem
    assert run["summary"] == json.loads(run_file.read_text(encoding="utf-8"))["summary"]


def add_run(url: str, spider: str, started_at: str, stored: int) -> None:
    with open_store(url) as store:
        summary = {"stored": stored, "fetched": stored, "dropped": {"http_404": 1}}
        store.add_run(
            {
                "spider": spider,
                "portal": spider,
                "name": started_at.replace("-", "").replace(":", ""),
                "started_at": started_at,
                "finished_at": started_at,
                "finish_reason": "finished",
                "summary": summary,
            }
        )


def test_stats_shows_the_runs_of_the_store_it_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = f"sqlite:///{tmp_path / 'a' / 'dvk.sqlite'}", f"sqlite:///{tmp_path / 'b' / 'dvk.sqlite'}"
    add_run(first, SPIDER, "2026-01-01T00:00:00+00:00", 5)
    add_run(second, SPIDER, "2026-01-01T00:00:00+00:00", 7)
    add_run(second, SPIDER, "2026-02-01T00:00:00+00:00", 0)  # the newest run of all, in the other store
    assert main(["stats", "--store", first, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["portal"], row["last_run"]["stored"], row["last_run"]["started_at"]) == (
        SPIDER,
        5,
        "2026-01-01T00:00:00+00:00",
    )
    assert main(["stats", "--store", second, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["last_run"]["stored"], row["last_run"]["name"]) == (0, "20260201T000000+0000")


def test_alerts_compare_with_the_earlier_runs_of_the_crawl_s_own_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dvk.sqlite'}"
    add_run(url, SPIDER, "2026-01-01T00:00:00+00:00", 3)
    add_run(url, SPIDER, "2026-01-02T00:00:00+00:00", 4)
    add_run(url, "other", "2026-01-03T00:00:00+00:00", 9)
    crawler = get_crawler(Spider, {"DVK_STORE_URL": url})
    assert [run["summary"]["stored"] for run in previous_runs(crawler, SPIDER)] == [4, 3]


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvk_crawl.demo", SPIDER],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings"},
    )


@pytest.mark.slow
def test_the_demo_keeps_its_store_feed_and_runs_in_data_demo_and_stores_nothing_twice(tmp_path: Path) -> None:
    demo = tmp_path / "data" / "demo"
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    feed = (demo / "articles.jsonl").read_text(encoding="utf-8")
    with open_store(f"sqlite:///{demo / 'dvk.sqlite'}") as store:
        count = store.count()
    assert count >= 1 and len(feed_ids(demo / "articles.jsonl")) == count
    assert len(list((demo / "runs" / SPIDER).glob("*.json"))) == 1

    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    with open_store(f"sqlite:///{demo / 'dvk.sqlite'}") as store:
        assert store.count() == count
        assert store.last_runs(SPIDER, limit=1)[0]["summary"]["stored"] == 0
    assert (demo / "articles.jsonl").read_text(encoding="utf-8") == feed
    assert len(list((demo / "runs" / SPIDER).glob("*.json"))) == 2
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["demo"]  # no data/dvk.sqlite, feed or runs
