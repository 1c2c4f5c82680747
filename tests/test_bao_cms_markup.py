"""The 2025 markup of the bao_cms family (portals.md, seen on baolaocai.vn and a sister site).

The writer is a closing bold block of the body, ``meta name="author"`` names the site, tags
show a leading ``#``, boxes sit inside the body container. Each test builds one page so a
failure names the one habit the parser lost; the replica fixtures show them together.
"""

from __future__ import annotations

import pytest

from dvk_crawl import extract_article

URL = "https://baolaocai.vn/mot-bai-viet-post400001.html"
SENTENCE = "Phong trào thi đua “Dân vận khéo” được triển khai sâu rộng ở tất cả các xã, phường trong tỉnh."


def page(
    body: str, *, meta_author: str = "Báo Lào Cai điện tử", tags: str = "", sapo: str = "(Baolaocai.vn) - Tóm tắt."
) -> bytes:
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Bài viết | Báo Lào Cai</title>
<meta property="og:site_name" content="Báo Lào Cai">
<meta name="author" content="{meta_author}">
</head><body><div class="article">
<h1 class="article__title cms-title">Bài viết về dân vận khéo</h1>
<h2 class="article__sapo cms-desc">{sapo}</h2>
<div class="article__body zce-content-body cms-body">
<div>{SENTENCE}</div>
{body}
</div>
<div class="article__tag">{tags}</div>
</div></body></html>""".encode()


def read(html: bytes) -> tuple[list[str], list[str]]:
    """(authors, paragraphs) of the page."""
    record = extract_article(html, URL, "baolaocai")
    return record.authors, record.text.split("\n\n")


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("<div><strong>Thanh Ba</strong></div>", ["Thanh Ba"]),
        ("<p><b>Thu Hà - Đức Quang</b></p>", ["Thu Hà", "Đức Quang"]),
        ("<p><strong>Bài và ảnh: Minh Anh</strong></p>", ["Minh Anh"]),
    ],
)
def test_the_closing_bold_block_is_the_writer_not_the_sites_name(byline: str, authors: list[str]) -> None:
    found, paragraphs = read(page(byline))
    assert found == authors
    assert paragraphs == [SENTENCE]


def test_a_closing_bold_sentence_is_body_and_no_author() -> None:
    closing = "<p><strong>Năm 2026, tỉnh phấn đấu có thêm 500 mô hình “Dân vận khéo” tiêu biểu.</strong></p>"
    found, paragraphs = read(page(closing))
    assert found == []  # the meta names the site, the bold sentence is no name
    assert paragraphs[-1] == "Năm 2026, tỉnh phấn đấu có thêm 500 mô hình “Dân vận khéo” tiêu biểu."


def test_a_bold_name_followed_by_text_is_body() -> None:
    lead_in = "<div><strong>Ông Giàng A Tông</strong> cho biết mô hình được nhân dân đồng tình.</div>"
    found, paragraphs = read(page(lead_in))
    assert found == []
    assert paragraphs[-1] == "Ông Giàng A Tông cho biết mô hình được nhân dân đồng tình."


def test_bold_and_heading_lines_inside_the_body_are_body() -> None:
    body = "<h3>Lắng nghe dân</h3><div><b>Kết quả nổi bật</b></div><div>Nhiều hộ dân hiến đất làm đường.</div>"
    found, paragraphs = read(page(body + "<div><strong>Thanh Ba</strong></div>"))
    assert paragraphs == [SENTENCE, "Lắng nghe dân", "Kết quả nổi bật", "Nhiều hộ dân hiến đất làm đường."]
    assert found == ["Thanh Ba"]


def test_a_byline_before_the_boxes_inside_the_body_is_still_the_closing_one() -> None:
    boxes = (
        "<div><strong>Thanh Ba</strong></div>"
        '<div class="box-khac"><div>Sự kiện</div><a href="/chu-de/x.html">Đại hội Đảng</a></div>'
        '<div class="article-relate"><h3>Đọc thêm</h3><a href="/y-post1.html">Tin khác</a></div>'
    )
    found, paragraphs = read(page(boxes))
    assert (found, paragraphs) == (["Thanh Ba"], [SENTENCE])


def test_a_writer_in_the_meta_is_kept_when_the_body_names_none() -> None:
    found, _ = read(page("", meta_author="Hoàng Thu"))
    assert found == ["Hoàng Thu"]


@pytest.mark.parametrize("family", ["bao_cms", "generic"])
@pytest.mark.parametrize("site_name", ["Báo Lào Cai điện tử", "Báo Lào Cai", "baolaocai.vn"])
def test_the_sites_own_name_is_never_an_author(site_name: str, family: str) -> None:
    record = extract_article(page("", meta_author=site_name), URL, "baolaocai", family=family)
    assert record.authors == []


def test_tags_lose_their_hash() -> None:
    tags = '<a href="/tu-khoa/a-tag1.html">#Dân vận khéo</a> <a href="/tu-khoa/b-tag2.html"># Mù Cang Chải</a>'
    record = extract_article(page("", tags=tags), URL, "baolaocai")
    assert record.tags == ["Dân vận khéo", "Mù Cang Chải"]


@pytest.mark.parametrize("family", ["bao_cms", "generic"])
@pytest.mark.parametrize(
    "sapo", ["(PLO)- Tóm tắt.", "(Báo Lào Cai) - Tóm tắt.", "(Baolaocai.vn) - Tóm tắt.", "(Baohatinh.vn)Tóm tắt."]
)
def test_any_bracketed_site_name_prefix_leaves_the_lead(sapo: str, family: str) -> None:
    record = extract_article(
        page("", sapo=sapo).replace(b"<title>", f'<meta property="og:description" content="{sapo}"><title>'.encode()),
        URL,
        "baolaocai",
        family=family,
    )
    assert record.lead == "Tóm tắt."
