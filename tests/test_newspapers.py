"""The provincial newspapers as portals: Báo Quảng Trị and Báo Quảng Ngãi (family
``provincial_paper``), Báo Quảng Bình (``generic``, read from the web archive only).

Their live crawls are the replica crawls of ``tests/test_crawl_e2e.py`` (their
``expected.json``); this file holds their URL rules, the family's conventions one by one,
the drop of a page served with its template unfilled, and the archive crawl of Báo Quảng Bình.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from dvk_crawl import extract_article
from dvk_crawl.pipelines.validate import ValidatePipeline
from dvk_crawl.portals import get_portal
from dvk_crawl.record import validate_record
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.replica.wayback import WaybackServer, serve_wayback
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import SpiderArgumentError
from tests.conftest import ROOT, run_crawl

NEWSPAPERS = ("baoquangtri", "baoquangngai", "baoquangbinh")
QT, QN, QB = "https://baoquangtri.vn", "https://baoquangngai.vn", "https://baoquangbinh.vn"


@pytest.mark.parametrize(
    ("portal", "url", "key"),
    [
        ("baoquangtri", f"{QT}/dong-ha-nhan-rong-mo-hinh-dan-van-kheo-o-khu-pho-186231.htm", "186231"),
        ("baoquangtri", "http://www.baoquangtri.vn/dong-ha-186231.htm?utm_source=zalo#top", "186231"),
        ("baoquangtri", f"{QT}/chinh-tri/", None),
        ("baoquangtri", f"{QT}/dong-ha-186231.html", None),
        ("baoquangngai", f"{QN}/minh-long-lan-toa-phong-trao-thi-dua-dan-van-kheo-66215.htm", "66215"),
        ("baoquangngai", f"{QN}/chinh-tri/?page=2", None),
        ("baoquangbinh", f"{QB}/chinh-tri/202405/dong-hoi-nhan-rong-mo-hinh-dan-van-kheo-2218771/", "2218771"),
        ("baoquangbinh", f"{QB}/chinh-tri/202405/dong-hoi-2218771", "2218771"),
        ("baoquangbinh", f"{QB}/chinh-tri/", None),
        ("baoquangbinh", "http://www.baoquangbinh.vn/chinh-tri/202405/dong-hoi-2218771/", "2218771"),
        # anchored on the paper's host and article path: no other host, sub-domain or upload
        ("baoquangbinh", "https://evil.com/chinh-tri/202405/x-123/", None),
        ("baoquangbinh", "https://en.baoquangbinh.vn/chinh-tri/202405/x-123/", None),
        ("baoquangbinh", "https://cdn.baoquangbinh.vn/chinh-tri/202405/x-123/", None),
        ("baoquangbinh", f"{QB}/wp-content/uploads/202405/x-123/", None),
        ("baoquangbinh", f"{QB}/202405/x-123/", None),
    ],
)
def test_the_article_id_is_the_key(portal: str, url: str, key: str | None) -> None:
    rule = get_portal(portal)
    assert rule.article_key(rule.canonicalize(url)) == key


def test_the_papers_sit_in_the_provinces_of_2026() -> None:
    places = {p: (get_portal(p).province, get_portal(p).former_province) for p in NEWSPAPERS}
    assert places == {
        "baoquangtri": ("Quảng Trị", None),
        "baoquangngai": ("Quảng Ngãi", None),
        "baoquangbinh": ("Quảng Trị", "Quảng Bình"),
    }


@pytest.mark.slow
def test_scrapy_list_shows_the_newspapers() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(NEWSPAPERS) <= set(listed)


# -- the provincial_paper family, one convention at a time ------------------------------


def paper(body: str, *, sapo: str, tail: str = "") -> bytes:
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<meta property="og:title" content="Tiêu đề bài viết"><meta property="og:description" content="{sapo}">
</head><body><article>
<h1>Tiêu đề bài viết</h1><div class="date">Thứ Tư, 04/03/2026-08:48</div>
<p>Câu thứ nhất của bài viết nói về phong trào thi đua dân vận khéo ở cơ sở.</p>
{body}
{tail}
</article></body></html>""".encode()


URL = f"{QN}/tieu-de-bai-viet-1.htm"


@pytest.mark.parametrize(
    "sapo", ["(Báo Quảng Ngãi)- Tóm tắt bài.", "(Báo Quảng Ngãi) - Tóm tắt bài.", "QTO - Tóm tắt bài.", "Tóm tắt bài."]
)
def test_the_papers_datelines_leave_the_lead(sapo: str) -> None:
    assert extract_article(paper("", sapo=sapo), URL).lead == "Tóm tắt bài."


def test_the_date_line_gives_the_time_in_vietnam() -> None:
    record = extract_article(paper("", sapo="x"), URL)
    assert (record.published_at, record.published_at_precision) == ("2026-03-04T08:48:00+07:00", "minute")


def test_every_headed_tail_box_goes_and_the_byline_before_them_is_the_author() -> None:
    tail = (
        "<p><strong>Bài, ảnh: NGUYỄN TRANG</strong></p>"
        "<div><h3>Bình luận (2)</h3><p>Ý kiến hay, cần nhân rộng.</p></div>"
        "<div><h3>Cùng chuyên mục</h3><ul><li><a href='/a-2.htm'>Tin khác một</a></li></ul></div>"
        "<div><h3>Đọc tiếp</h3><a href='/b-3.htm'>Tin khác hai</a><p>Tóm tắt tin khác.</p></div>"
    )
    record = extract_article(paper("", sapo="x", tail=tail), URL)
    assert record.text == "Câu thứ nhất của bài viết nói về phong trào thi đua dân vận khéo ở cơ sở."
    assert record.authors == ["Nguyễn Trang"]


@pytest.mark.parametrize(
    "closing",
    [
        "Bài học rút ra: cán bộ phải gần dân, hiểu dân và có trách nhiệm với dân.",
        "Bài: Cán bộ phải gần dân và hiểu dân hơn nữa.",
        "Ảnh: tư liệu của Ban Dân vận Tỉnh ủy năm 2025.",
    ],
)
def test_a_closing_sentence_after_a_byline_word_stays_body(closing: str) -> None:
    record = extract_article(paper(f"<p>{closing}</p>", sapo="x"), URL)
    assert record.text.split("\n\n")[-1] == closing
    assert record.authors == []


def test_two_writers_in_one_capitalised_byline() -> None:
    record = extract_article(paper("<p>Bài, ảnh: THANH HÀ - MINH THU</p>", sapo="x"), URL)
    assert record.authors == ["Thanh Hà", "Minh Thu"]


def test_a_page_served_with_its_template_unfilled_is_dropped_by_name() -> None:
    """Case C of the Quảng Trị replica: ``{title}``, ``{publish}``, and a campaign body."""
    page = SITES_DIR / "baoquangtri" / "pages" / "gio-linh-phat-huy-vai-tro-nguoi-uy-tin-trong-dan-van-kheo-186077.html"
    url = f"{QT}/gio-linh-phat-huy-vai-tro-nguoi-uy-tin-trong-dan-van-kheo-186077.htm"
    record = extract_article(page.read_bytes(), url)
    assert "dân vận khéo" in record.text.casefold() and record.published_at is None
    crawler = get_crawler()
    crawler.stats.open_spider()  # type: ignore[union-attr]
    with pytest.raises(DropItem, match=r"unrendered_template: .* shows \{title\}"):
        ValidatePipeline(crawler).process_item(record)


# -- Báo Quảng Bình: the archive only ----------------------------------------------------


@pytest.fixture
def wayback() -> Iterator[WaybackServer]:
    with serve_wayback(sites=("baoquangbinh",)) as server:
        yield server


@pytest.mark.slow
def test_bao_quang_binh_comes_back_from_the_archive(
    replicas: dict[str, str], wayback: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(
        "baoquangbinh", replicas["baoquangbinh"], tmp_path,
        "-a", "source=archive",
        # The fake Wayback Machine only: the default archives include the real Common Crawl.
        "-a", "archives=wayback", "-s", "DVK_WAYBACK_CDX_PER_MINUTE=0", "-s", "DVK_WAYBACK_CAPTURES_PER_MINUTE=0",
        "-s", f"DVK_ARCHIVE_BASE_URL={wayback.base_url}",
        "-s", "DVK_ARCHIVE_DELAY=0",
    )  # fmt: skip
    assert result.returncode == 0, result.output[-4000:]
    records = {r["id"]: r for r in result.records()}
    assert sorted(records) == ["baoquangbinh:2197340", "baoquangbinh:2218771"]
    for record in records.values():
        validate_record(record)
        where = (record["source"], record["province"], record["former_province"])
        assert where == ("archive", "Quảng Trị", "Quảng Bình")
        assert record["archive_url"].startswith(f"{wayback.base_url}/web/")
    summary = result.run_file()["summary"]
    assert summary["dropped"] == {"not_relevant": 1}  # the rice harvest; the 404 was never captured as a 200
    assert not [p for p in wayback.requests if "2205518" in p and p.startswith("/web/")]


def test_the_archive_only_paper_is_read_from_the_archive_and_a_live_crawl_is_refused_with_one_line() -> None:
    """Its portal file says ``sources = ["archive"]``: the archive by default, live never (a live
    crawl would end at once, "finished" with nothing, which reads like a paper without campaign news)."""
    spider = spider_class("baoquangbinh")
    settings = get_project_settings()
    spider.check_arguments({}, settings)
    spider.check_arguments({"source": "archive"}, settings)
    for source in ("live", "both"):
        with pytest.raises(SpiderArgumentError, match=rf"^source={source}: baoquangbinh is reached through the web"):
            spider.check_arguments({"source": source}, settings)
    spider_class("baoquangtri").check_arguments({}, settings)
