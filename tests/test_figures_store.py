"""Figures in the store: ``set_figures`` on both stores, and the backfill that uses it."""

from __future__ import annotations

from typing import Any

from dvk_crawl.store import ArticleStore
from tests.test_store_backends import record, store, store_url  # noqa: F401  (fixtures)

FIGURE: dict[str, Any] = {"count": 421, "unit": "mô hình", "what": 'mô hình "Dân vận khéo"'}


def stored_at(opened: ArticleStore) -> dict[str, Any]:
    return {row["id"]: row["stored_at"] for row in opened.dump_rows("articles")}


def test_set_figures_changes_only_the_figures(store: ArticleStore) -> None:  # noqa: F811
    store.upsert_many([record("a:1"), record("a:2")])
    before = stored_at(store)
    assert store.set_figures({"a:1": [FIGURE], "a:404": [FIGURE]}) == 1
    first, second = store.iter_records("a")
    assert first["figures"] == [FIGURE] and "figures" not in second
    assert first["title"] == record("a:1")["title"]
    assert stored_at(store) == before
    assert store.set_figures({}) == 0
