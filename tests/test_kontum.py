"""The retired Kon Tum district portals (``*.kontum.gov.vn``, DNN): archive only, on the generic family."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.utils.test import get_crawler

from dvk_crawl.portals import get_portal
from dvk_crawl.record import validate_record
from dvk_crawl.replica.wayback import WaybackServer, serve_wayback
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import PortalSpider, SpiderArgumentError
from tests.conftest import ROOT, run_crawl

KontumSpider = spider_class("kontum")
PORTAL = get_portal("kontum")
A = "https://huyendakglei.kontum.gov.vn/thong-tin-tuyen-truyen/Dak-Glei-nhan-rong-mo-hinh-Dan-van-kheo-trong-xay-dung-nong-thon-moi-1523"
C = "https://huyenngochoi.kontum.gov.vn/thong-tin-tuyen-truyen/Ngoc-Hoi-bieu-duong-dien-hinh-Dan-van-kheo-nam-2022-1523"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (A, "huyendakglei/1523"),
        (C, "huyenngochoi/1523"),  # the same id on another district site: another article
        ("http://HuyenDakGlei.kontum.gov.vn:80/thong-tin-tuyen-truyen/Dak-Glei-1523?TabId=61#x", "huyendakglei/1523"),
        ("https://huyendakglei.kontum.gov.vn/thong-tin-tuyen-truyen", None),
        ("https://huyendakglei.kontum.gov.vn/Portals/0/logo-1523", None),
    ],
)
def test_the_key_is_the_site_and_its_article_id(url: str, key: str | None) -> None:
    assert PORTAL.article_key(PORTAL.canonicalize(url)) == key


def make_spider(tmp_path: Path, **arguments: str) -> PortalSpider:
    crawler = get_crawler(KontumSpider, {"DVK_STORE_URL": f"sqlite:///{tmp_path / 'dvk.sqlite'}"})
    spider = KontumSpider.from_crawler(crawler, **arguments)
    assert isinstance(spider, PortalSpider)
    return spider


def test_the_archive_is_the_default_source_and_live_is_refused(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    assert spider.source == "archive"
    assert spider.archive.targets() == ["https://huyendakglei.kontum.gov.vn"]
    assert make_spider(tmp_path, capture="oldest").capture == "oldest"  # needs no source=archive here
    for source in ("live", "both"):
        with pytest.raises(SpiderArgumentError, match=rf"source={source}: kontum is reached through the web archive"):
            make_spider(tmp_path, source=source)
    assert (PORTAL.province, PORTAL.former_province, PORTAL.family) == ("Quảng Ngãi", "Kon Tum", "generic")


@pytest.mark.slow
def test_a_live_crawl_is_a_one_line_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "kontum", "-a", "source=live"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(errors) == 1 and "use source=archive" in errors[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def wayback() -> Iterator[WaybackServer]:
    """The fake Wayback Machine holding the Kon Tum replica's pages, its first CDX request a 429."""
    with serve_wayback(("kontum",)) as server:
        yield server


@pytest.mark.slow
def test_district_articles_come_back_from_the_fake_archive(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(
        "kontum", replicas["kontum"], tmp_path,
        "-a", "sites=huyendakglei,huyenngochoi",
        # The fake Wayback Machine only: the default archives include the real Common Crawl.
        "-a", "archives=wayback", "-s", "DVK_WAYBACK_CDX_PER_MINUTE=0", "-s", "DVK_WAYBACK_CAPTURES_PER_MINUTE=0",
        "-s", f"DVK_ARCHIVE_BASE_URL={wayback.base_url}", "-s", "DVK_ARCHIVE_DELAY=0",
    )  # fmt: skip
    assert result.returncode == 0, result.output[-4000:]
    records = {r["id"]: r for r in result.records()}
    assert sorted(records) == ["kontum:huyendakglei/1523", "kontum:huyenngochoi/1523"]
    for record in records.values():
        validate_record(record)
        assert (record["source"], record["province"], record["former_province"]) == ("archive", "Quảng Ngãi", "Kon Tum")
        assert record["archive_url"].startswith(f"{wayback.base_url}/web/") and record["url"].startswith("https://")
    assert records["kontum:huyendakglei/1523"]["url"] == A
    run = result.run_file()
    assert run["summary"]["dropped"] == {"not_relevant": 1}
    assert run["stats"]["dvk/archive/retry_after"] == 1  # the fake's 429 on the first CDX request
    cdx = [parse_qs(urlsplit(p).query) for p in wayback.requests if p.startswith("/cdx/")]
    assert {p["url"][0] for p in cdx} == {"huyendakglei.kontum.gov.vn/*", "huyenngochoi.kontum.gov.vn/*"}
    # nothing was asked of the live hosts: only the archive's robots.txt, CDX and captures
    replays = [p for p in wayback.requests if p.startswith("/web/")]
    assert not [p for p in replays if "thong-tin-tuyen-truyen?" in p or p.endswith("/tin-tuc")]
    assert run["stats"].get("dvk/fetch/articles") == 3  # a, b, c: the listings and the 404 are never fetched
