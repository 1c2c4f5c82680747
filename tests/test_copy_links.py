"""Copy links in real crawls of the replicas: a refresh changes no link, the earliest-published
copy is the original, and the store keeps no signature or band row without its article.

Each test checks the store invariants after every crawl: no article is a copy of itself,
every ``duplicate_of`` names a stored original (``duplicate_of`` NULL) published no later
than the copy (ties: the lower id), and no band row or signature lacks its owner.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.cli.main import main
from dvk_crawl.neardup import publication_rank
from dvk_crawl.record import ARTICLE_FIELDS
from tests.conftest import CrawlResult, run_crawl

pytestmark = pytest.mark.slow  # every test runs scrapy crawl


def crawl(replicas: dict[str, str], spider: str, workdir: Path, *args: str) -> CrawlResult:
    result = run_crawl(spider, replicas[spider], workdir, *args)
    assert result.returncode == 0, result.output[-3000:]
    check_copy_links(result)
    return result


def check_copy_links(result: CrawlResult) -> None:
    records = {r["id"]: r for r in result.records()}
    for article_id, record in records.items():
        original = record["duplicate_of"]
        if original is None:
            continue
        assert original != article_id, f"{article_id} is a copy of itself"
        assert original in records, f"{article_id} is a copy of {original}, which is not stored"
        assert records[original]["duplicate_of"] is None, f"{article_id} → {original} is a chain"
        assert publication_rank(records[original]["published_at"], original) < publication_rank(
            record["published_at"], article_id
        ), f"{article_id} is a copy of the later {original}"
    with sqlite3.connect(result.store) as db:
        orphans = db.execute(
            "SELECT (SELECT count(*) FROM signature_bands WHERE seq NOT IN (SELECT seq FROM signatures)),"
            " (SELECT count(*) FROM signatures WHERE id NOT IN (SELECT id FROM articles))"
        ).fetchone()
        columns = dict(db.execute("SELECT id, duplicate_of FROM articles"))
    assert orphans == (0, 0), "band rows without a signature, signatures without an article"
    assert columns == {i: r["duplicate_of"] for i, r in records.items()}


def exported(result: CrawlResult, out: Path) -> list[str]:
    assert main(["export", "--store", f"sqlite:///{result.store}", "-o", str(out)]) == 0
    return [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_refresh_crawl_changes_no_copy_link_and_loses_no_original(replicas: dict[str, str], tmp_path: Path) -> None:
    first = crawl(replicas, "baohatinh", tmp_path)
    links = {r["id"]: r["duplicate_of"] for r in first.records()}
    assert any(links.values()), "the replica has copy pairs"
    export_before = exported(first, tmp_path / "before.jsonl")
    again = crawl(replicas, "baohatinh", tmp_path, "-a", "refresh=1")
    assert {r["id"]: r["duplicate_of"] for r in again.records()} == links
    assert exported(again, tmp_path / "after.jsonl") == export_before


def test_the_earliest_published_copy_is_the_original(replicas: dict[str, str], tmp_path: Path) -> None:
    """315372 (4 March) is listed first, its copy 315301 (2 March) only on listing page 2."""
    result = crawl(replicas, "baoyenbai", tmp_path)
    records = {r["id"]: r for r in result.records()}
    assert records["baoyenbai:315301"]["duplicate_of"] is None
    assert records["baoyenbai:315372"]["duplicate_of"] == "baoyenbai:315301"
    # The feed is the store's log, with no internal field (signature, band keys). When 315372
    # was committed before 315301 came, it went out as an original, then again as a copy once
    # 315301 re-rooted it (in one batch, once, as a copy): the last lines are the store.
    fed: list[dict[str, Any]] = [json.loads(line) for line in result.jsonl.read_text("utf-8").splitlines()]
    assert all(list(line) == list(ARTICLE_FIELDS) for line in fed)
    links_fed = [line["duplicate_of"] for line in fed if line["id"] == "baoyenbai:315372"]
    assert links_fed in ([None, "baoyenbai:315301"], ["baoyenbai:315301"])
    last = {line["id"]: line for line in fed}
    assert last == records
