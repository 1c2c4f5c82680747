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


def test_the_figures_stage_fills_the_record_and_counts(tmp_path) -> None:
    from scrapy.utils.test import get_crawler

    from dvk_crawl.pipelines import PIPELINE_ORDER
    from dvk_crawl.pipelines.figures import FiguresPipeline
    from dvk_crawl.record import validate_record
    from tests.test_pipelines import article

    order = list(PIPELINE_ORDER)
    stage = "dvk_crawl.pipelines.figures.FiguresPipeline"
    assert order.index("dvk_crawl.pipelines.relevance.RelevancePipeline") < order.index(stage)
    assert order.index(stage) < order.index("dvk_crawl.pipelines.dedup.DedupPipeline")
    crawler = get_crawler(settings_dict={"DVK_STORE_URL": f"sqlite:///{tmp_path}/t.sqlite"})
    crawler.stats.open_spider()
    item = FiguresPipeline.from_crawler(crawler).process_item(article(published_at="2024-03-04T14:26:47+07:00"))
    (figure,) = item.figures
    place = figure["place"]
    assert (figure["count"], figure["locality"], place["province"], place["province_now"]) == (
        421,
        "huyện Lục Yên",
        "Tỉnh Yên Bái",
        "Tỉnh Lào Cai",
    )
    validate_record(item.to_dict())
    assert crawler.stats.get_value("dvk/figures/figures") == 1
    assert crawler.stats.get_value("dvk/figures/articles_with_figures") == 1
