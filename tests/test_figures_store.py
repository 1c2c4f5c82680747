"""Figures in the store: ``set_figures`` on both stores, and the backfill that uses it."""

from __future__ import annotations

from typing import Any

import pytest

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


LUC_YEN = (
    "Đến nay, toàn huyện Lục Yên đã đăng ký duy trì và xây dựng được 421 mô hình “Dân vận khéo”. "
    "Trong đó có 91 mô hình lĩnh vực kinh tế; 232 mô hình lĩnh vực văn hóa - xã hội."
)
CAM_XUYEN = "Toàn huyện Cẩm Xuyên đã xây dựng 1.440 mô hình “dân vận khéo”, huy động trên 5.045 tỷ đồng."


def filled_store(tmp_path, url: str | None = None) -> str:
    from dvk_crawl.store import open_store

    url = url or f"sqlite:///{tmp_path}/dvk.sqlite"
    old = {"province": "Lào Cai", "former_province": "Yên Bái", "text": LUC_YEN}
    with open_store(url) as opened:
        opened.upsert_many(
            [
                record("baoyenbai:1", **old),  # stored before the figures stage: no "figures"
                record("baohatinh:2", province="Hà Tĩnh", text=CAM_XUYEN, figures=[]),
                record("baohatinh:3", province="Hà Tĩnh", text=CAM_XUYEN, duplicate_of="baohatinh:2"),
            ]
        )
    return url


def run_cli(*argv: str) -> int:
    from dvk_crawl.cli.main import main

    return main(list(argv))


@pytest.mark.slow
def test_figures_rows_in_every_format_with_filters(tmp_path, capsys) -> None:
    import csv
    import json

    import pyarrow.parquet as pq

    url = filled_store(tmp_path)
    assert run_cli("figures", "--store", url, "--format", "csv", "-o", str(tmp_path / "f.csv")) == 0
    rows = list(csv.DictReader((tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()))
    # baohatinh:2 was stored with no figures, its copy is left out, baoyenbai:1 is read from its text.
    assert [(r["article_id"], r["count"], r["locality"]) for r in rows] == [
        ("baoyenbai:1", "421", "huyện Lục Yên"),
        ("baoyenbai:1", "91", "huyện Lục Yên"),
        ("baoyenbai:1", "232", "huyện Lục Yên"),
    ]
    assert (rows[0]["locality_province"], rows[0]["locality_province_now"]) == ("Tỉnh Yên Bái", "Tỉnh Lào Cai")
    assert rows[1]["what"] == 'mô hình "Dân vận khéo" lĩnh vực kinh tế'
    out = tmp_path / "f.jsonl"
    assert run_cli("figures", "--store", url, "--format", "jsonl", "--locality", "lục yên", "-o", str(out)) == 0
    assert [json.loads(line)["count"] for line in out.read_text(encoding="utf-8").splitlines()] == [421, 91, 232]
    assert run_cli("figures", "--store", url, "--locality", "Cẩm Xuyên", "--include-duplicates", "-o", "-") == 0
    # baohatinh:2's stored (empty) list is used as stored; its copy is read from its text.
    (row,) = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert (row["article_id"], row["count"]) == ("baohatinh:3", "1440")
    assert run_cli("figures", "--store", url, "--format", "parquet", "-o", str(tmp_path / "f.parquet")) == 0
    table = pq.read_table(tmp_path / "f.parquet")
    assert table.column("count").to_pylist() == [421, 91, 232]


@pytest.mark.slow
def test_backfill_fills_the_store_on_both_backends(tmp_path, capsys, store_url: str) -> None:  # noqa: F811
    from dvk_crawl.store import open_store

    url = filled_store(tmp_path, store_url)
    assert run_cli("figures", "--store", url, "--backfill") == 0
    assert "filled the figures of 3 records (5 figures)" in capsys.readouterr().err
    with open_store(url) as opened:
        stored = {r["id"]: [f["count"] for f in r["figures"]] for r in opened.iter_records()}
    assert stored == {"baohatinh:2": [1440], "baohatinh:3": [1440], "baoyenbai:1": [421, 91, 232]}


@pytest.mark.slow
def test_figures_needs_one_of_output_or_backfill(tmp_path, capsys) -> None:
    url = filled_store(tmp_path)
    assert run_cli("figures", "--store", url) == 2
    assert run_cli("figures", "--store", url, "--backfill", "-o", "x.csv") == 2
    lines = capsys.readouterr().err.splitlines()
    assert (
        lines
        == ["dvk-crawl: error: pass either -o FILE (the figures as rows) or --backfill (fill them in the store)"] * 2
    )
    assert run_cli("figures", "--store", url, "--backfill", "--locality", "Lục Yên") == 2
    assert capsys.readouterr().err.startswith("dvk-crawl: error: --locality picks rows to write;")


@pytest.mark.slow
def test_a_crawl_stores_the_figures_and_the_command_lists_them(replicas, tmp_path, capsys) -> None:
    import csv

    from tests.conftest import run_crawl

    result = run_crawl("baoyenbai", replicas["baoyenbai"], tmp_path)
    assert result.returncode == 0, result.output[-3000:]
    luc_yen = next(r for r in result.records() if r["id"] == "baoyenbai:315372")
    assert [f["count"] for f in luc_yen["figures"]] == [400, 421, 91, 232, 47, 18, 33]
    assert result.run_file()["stats"]["dvk/figures/figures"] >= 7
    assert run_cli("figures", "--store", f"sqlite:///{result.store}", "--locality", "Lục Yên", "-o", "-") == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    # Copies are left out: 315372 (4 March) is a copy of 315301, published on 2 March.
    assert {r["article_id"] for r in rows} >= {"baoyenbai:315301"}
    assert "baoyenbai:315372" not in {r["article_id"] for r in rows}
    assert {r["locality_province_now"] for r in rows} == {"Tỉnh Lào Cai"}
