"""The report's campaign figures section in headless Chromium (see test_report_browser.py).

Checks that the chart is drawn with the largest total each locality reports per month
(totals, not sums; breakdowns and copies of a story left out) and that the largest
figures link to their articles.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dvk_crawl.store import open_store
from tests.test_report_browser import Charts, report_in_browser
from tests.test_store_backends import record

pytestmark = pytest.mark.slow  # a headless browser

LUC_YEN = "Toàn huyện Lục Yên đã xây dựng được {} mô hình “Dân vận khéo”. Trong đó có 91 mô hình lĩnh vực kinh tế."
CAM_XUYEN = "Toàn huyện Cẩm Xuyên đã xây dựng 1.440 mô hình “dân vận khéo”, huy động trên 5.045 tỷ đồng."
RECORDS = [
    ("baoyenbai:1", "2024-03-04", LUC_YEN.format("trên 400"), {}),
    ("baoyenbai:2", "2024-03-20", LUC_YEN.format("421"), {}),
    ("baoyenbai:3", "2023-06-01", LUC_YEN.format("380"), {}),
    ("baohatinh:4", "2023-08-05", CAM_XUYEN, {}),
    ("baohatinh:5", "2023-08-06", LUC_YEN.format("9.999"), {"duplicate_of": "baohatinh:4"}),
]


def build_store(tmp_path: Path) -> str:
    from dvk_crawl.figures import extract_record_figures

    url = f"sqlite:///{tmp_path / 'dvk.sqlite'}"
    records = []
    for article_id, day, text, extra in RECORDS:
        values = record(article_id, published_at=f"{day}T08:00:00+07:00", text=text, **extra)
        if article_id != "baoyenbai:3":  # stored before the figures stage: read on the way
            values["figures"] = [f.to_dict() for f in extract_record_figures(values)]
        records.append(values)
    with open_store(url) as store:
        store.upsert_many(records)
    return url


def test_report_draws_models_per_locality_and_links_the_largest(tmp_path: Path) -> None:
    dom = report_in_browser(build_store(tmp_path), tmp_path)
    charts = Charts()
    charts.feed(dom)

    bars = {
        (b["data-locality"], b["data-month"]): int(b["data-count"] or 0) for b in charts.bars["models-per-locality"]
    }
    assert bars == {
        ("huyện Lục Yên", "2024-03"): 421,
        ("huyện Lục Yên", "2023-06"): 380,
        ("huyện Cẩm Xuyên", "2023-08"): 1440,
    }
    assert charts.svgs["models-per-locality"]["data-drawn-bars"] == "3"
    largest = re.search(r'<table id="largest-figures">.*?</table>', dom, re.S)
    assert largest is not None
    links = re.findall(r'<a href="([^"]+)"', largest.group(0))
    assert links[0] == "https://baohatinh.vn/baohatinh:4"
    assert "https://baohatinh.vn/baohatinh:5" not in links
