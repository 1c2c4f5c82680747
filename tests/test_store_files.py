"""The feed and the run files belong to their store.

A crawl into a store writes its JSON Lines feed and run files beside that store, never
into the working folder's ``data/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from dvk_crawl.storefiles import StoreFiles, store_data_dir
from tests.conftest import run_crawl

SPIDER = "baoyenbai"  # a small replica


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("sqlite:///data/dvk.sqlite", "data"),
        ("sqlite:////srv/dvk/x.sqlite", "/srv/dvk"),
        ("sqlite:///x.sqlite", "."),
        ("postgresql://dvk@db.example:5433/dvk", "data/postgresql/db.example-5433-dvk"),
        ("postgresql://dvk@db.example/dvk?options=-csearch_path%3Ddvk", "data/postgresql/db.example-5432-dvk"),
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


def test_a_crawl_writes_feed_and_runs_beside_its_store_and_nothing_under_the_cwd(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    cwd, workdir = tmp_path / "cwd", tmp_path / "store"
    cwd.mkdir()
    result = run_crawl(SPIDER, replicas[SPIDER], workdir, cwd=cwd)
    assert result.returncode == 0, result.output[-3000:]
    assert list(cwd.iterdir()) == []  # no data/articles.jsonl, no data/runs/
    fed = [json.loads(line)["id"] for line in result.jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(fed) == sorted(r["id"] for r in result.records())
    (run_file,) = (workdir / "runs" / SPIDER).glob("*.json")
    assert json.loads(run_file.read_text(encoding="utf-8"))["summary"]["stored"] == len(fed)
