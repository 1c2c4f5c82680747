"""``dvk-crawl migrate-store``: a crawled SQLite store moves into PostgreSQL whole, once.

Needs PostgreSQL (see ``tests/services.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.cli.main import main
from dvk_crawl.store import ArticleStore, open_store
from dvk_crawl.store.base import TABLES
from tests.conftest import run_crawl

SPIDER = "baohatinh"


def contents(store: ArticleStore) -> dict[str, list[dict[str, Any]]]:
    """Every table; articles and visits by id (their order is the stores' own)."""
    rows = {table: list(store.dump_rows(table)) for table in TABLES}
    for table in ("articles", "visits"):
        rows[table].sort(key=lambda row: row["id"])
    return rows


@pytest.mark.slow
def test_a_crawled_store_moves_to_postgresql_once_and_the_next_crawl_goes_on_from_it(
    replicas: dict[str, str], tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # the second confirms the pages the first dropped
        crawl = run_crawl(SPIDER, replicas[SPIDER], tmp_path)
        assert crawl.returncode == 0, crawl.output[-3000:]
    source = f"sqlite:///{crawl.store}"
    with open_store(source) as store:
        before = contents(store)
    assert all(before[table] for table in TABLES), {t: len(r) for t, r in before.items()}  # every table has rows

    for _ in range(2):  # the second run adds nothing
        assert main(["migrate-store", "--from", source, "--to", postgres_url, "--batch", "2"]) == 0
        with open_store(postgres_url) as target:
            assert contents(target) == before
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith(f"copied {len(before['articles'])} articles, {len(before['signatures'])} signatures")
    assert summary.endswith(f"holds {len(before['articles'])} articles")

    # The migrated store carries the crawl state: an incremental crawl on it fetches no article again.
    again = run_crawl(SPIDER, replicas[SPIDER], tmp_path / "pg", "-s", f"DVK_STORE_URL={postgres_url}")
    assert again.returncode == 0, again.output[-3000:]
    assert again.run_file()["stats"].get("dvk/fetch/articles", 0) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "sqlite:///no/such.sqlite", "--to", "sqlite:///x.sqlite"], "no store at no/such.sqlite"),
        (["--from", "sqlite:///a.sqlite", "--to", "sqlite:///a.sqlite"], "name the same store"),
        (["--from", "sqlite:///a.sqlite", "--to", "mysql://h/db", "--batch", "0"], "--batch 0 must be at least 1"),
    ],
)
def test_migrate_store_mistakes_are_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["migrate-store", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_migrate_store_into_an_unknown_kind_of_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = f"sqlite:///{tmp_path}/dvk.sqlite"
    with open_store(source):
        pass
    assert main(["migrate-store", "--from", source, "--to", "mysql://h/db"]) == 2
    assert "--to 'mysql://h/db': unsupported store" in capsys.readouterr().err
