"""Replica sites of any size: N generated articles in the Hà Tĩnh CMS family's markup.

For tests and benchmarks that need more pages than the bundled replicas hold
(distributed crawls, throughput, memory)::

    site = build_site(tmp_path, articles=200)            # portal="baohatinh"
    with serve(site.name, sites_dir=site.sites_dir) as urls:
        ...  # scrapy crawl baohatinh -a base_url=urls[site.name]

The site answers at the portal's start points (``seeds/portals/<portal>.toml``): the
sitemap index with one sitemap per month, the listings paged 20 articles a page
with ``rel=next``, an RSS feed of the newest articles, and an empty search. Article
pages carry the family's noise (menus, a "Đọc thêm" list, footer counters).

Bodies are drawn from seed-like Vietnamese sentences with varied places, numbers,
people and actions, seeded by the article's number, so a site is the same on every
build and no two articles are near duplicates. ``near_copies`` articles have a
syndicated copy under another id (same body plus a source line, another lead);
``aliases`` articles are also linked under their old URL (``/xa-hoi/<slug>/<id>.htm``),
which the site serves too: two URLs, one article key.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dvk_crawl.config import default_seeds_dir
from dvk_crawl.dates import VIETNAM
from dvk_crawl.families import bao_cms
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.seeds import load_seeds

FIRST_POST_ID = 300_000
PAGE_SIZE = 20
FEED_SIZE = 10
_FIRST_DAY = datetime(2023, 1, 3, 7, 30, tzinfo=VIETNAM)

_PLACES = [
    "xã Cẩm Bình", "xã Thạch Hà", "phường Thành Sen", "xã Hương Sơn", "xã Kỳ Anh", "xã Đức Thọ",
    "xã Can Lộc", "xã Nghi Xuân", "xã Vũ Quang", "xã Lộc Hà", "phường Sông Trí", "xã Thiên Cầm",
    "xã Sơn Tây", "xã Tứ Mỹ", "xã Đồng Lộc", "xã Xuân Lĩnh", "xã Hồng Lộc", "xã Trung Sơn",
]  # fmt: skip
_PEOPLE = [
    "Bí thư Chi bộ Trần Văn Lợi", "Trưởng thôn Nguyễn Thị Hoa", "Chủ tịch Mặt trận Lê Văn Hùng",
    "bà Phan Thị Lan", "ông Đặng Quốc Việt", "Phó Chủ tịch xã Hồ Minh Tuấn", "đoàn viên Võ Thị Mai",
    "cựu chiến binh Bùi Xuân Trường", "hội viên nông dân Dương Văn Sáng", "già làng Hà Văn Thịnh",
]  # fmt: skip
_WORKS = [
    "mở rộng đường giao thông", "kiên cố hóa kênh mương nội đồng", "xây dựng nhà văn hóa thôn",
    "trồng cây xanh ven đường", "làm sân thể thao cho thiếu nhi", "lắp đèn chiếu sáng đường quê",
    "dồn điền đổi thửa", "thu gom rác thải sinh hoạt", "sửa chữa trường mầm non", "làm cầu qua khe suối",
    "xây nhà tình nghĩa", "chỉnh trang nghĩa trang liệt sĩ",
]  # fmt: skip
_GIFTS = ["hiến đất", "góp ngày công", "ủng hộ tiền mặt", "tháo dỡ tường rào", "góp cây giống", "cho mượn máy móc"]
_SENTENCES = [
    "Từ đầu năm {year}, {place} đã vận động {n} hộ dân {gift} để {work}.",
    "{person} chia sẻ: “Muốn dân làm theo thì cán bộ phải đi trước, nói đi đôi với làm”.",
    "Nhờ cách làm khéo léo, công trình {work} hoàn thành sớm {k} tháng so với kế hoạch.",
    "Tổng giá trị người dân đóng góp ước đạt {money} triệu đồng và {days} ngày công lao động.",
    "Ở {place2}, {person} cùng các đoàn thể đến từng nhà giải thích để bà con đồng thuận {gift}.",
    "Các buổi họp thôn được tổ chức vào buổi tối, mọi ý kiến về việc {work} đều được ghi nhận công khai.",
    "Năm {year}, toàn xã có {k} mô hình tiêu biểu được huyện biểu dương trong phong trào thi đua.",
    "Sau {k} tuần, {n} hộ dân ở {place2} đã tự nguyện {gift} mà không yêu cầu đền bù.",
    "Ban công tác Mặt trận phân công {k} đảng viên phụ trách mỗi nhóm hộ để theo dõi tiến độ {work}.",
    "Con đường mới rộng {width} m giúp xe chở nông sản đi lại thuận tiện, giá bán tăng thêm {pct} phần trăm.",
    "{person} cho biết kinh phí nhà nước hỗ trợ chỉ chiếm {pct} phần trăm, phần còn lại do nhân dân góp.",
    "Trong quý {quarter}, {place} tổ chức {k} cuộc đối thoại trực tiếp giữa cán bộ và người dân.",
    "Gia đình {person} là hộ đầu tiên {gift}, tạo sức lan tỏa tới {n} hộ khác trong thôn.",
    "Hội Liên hiệp phụ nữ {place2} duy trì {k} tổ tự quản bảo vệ môi trường sau khi {work}.",
    "Đến nay, {place} có {n} gia đình đạt danh hiệu văn hóa, tăng {k} gia đình so với năm {year}.",
    "Những kết quả đó cho thấy sức mạnh của khối đại đoàn kết khi việc {work} xuất phát từ lòng dân.",
]  # fmt: skip
_LEADS = [
    "Nhờ cách làm “dân vận khéo”, {place} đã hoàn thành {work} với sự đồng thuận của {n} hộ dân.",
    "Phong trào thi đua “dân vận khéo” ở {place} tạo chuyển biến rõ nét trong việc {work}.",
]
_NAV = ["Chính trị", "Kinh tế", "Xã hội", "Văn hóa - Giải trí", "Thể thao", "Pháp luật", "Quốc tế", "Bạn đọc"]


@dataclass(frozen=True)
class SyntheticArticle:
    post_id: int
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    published: datetime
    author: str
    copy_of: int | None = None


@dataclass(frozen=True)
class SyntheticSite:
    """What ``build_site`` wrote: serve ``name`` from ``sites_dir``."""

    sites_dir: Path
    name: str
    portal: str
    ids: list[str]
    """Record ids (``<portal>:<post id>``) of every article page: what a complete crawl stores."""
    copies: dict[str, str] = field(default_factory=dict)
    """Id of each syndicated copy → id of its original (its ``duplicate_of`` once stored)."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Path of each old-form URL → the id it also names."""


def build_site(
    directory: Path, articles: int = 200, portal: str = "baohatinh", *, near_copies: int = 5, aliases: int = 10
) -> SyntheticSite:
    """Write a replica of ``articles`` article pages for ``portal`` into ``directory/<portal>/``."""
    site_portal = get_portal(portal)
    if bao_cms.BaoCmsParser not in site_portal.parsers:
        raise ValueError(f"synthetic sites are in the Hà Tĩnh CMS family's markup; {portal!r} is not on that CMS")
    if articles < 1 or not 0 <= near_copies <= articles // 2 or not 0 <= aliases <= articles:
        raise ValueError(f"cannot build {articles} articles with {near_copies} near copies and {aliases} aliases")
    originals = [_article(FIRST_POST_ID + n, n) for n in range(articles - near_copies)]
    copies = [_near_copy(originals[n * 2], FIRST_POST_ID + len(originals) + n) for n in range(near_copies)]
    writer = _SiteWriter(directory / portal, site_portal.home)
    alias_paths = writer.write(originals + copies, aliases)
    return SyntheticSite(
        sites_dir=directory,
        name=portal,
        portal=portal,
        ids=[f"{portal}:{a.post_id}" for a in originals + copies],
        copies={f"{portal}:{c.post_id}": f"{portal}:{c.copy_of}" for c in copies},
        aliases={path: f"{portal}:{post_id}" for path, post_id in alias_paths.items()},
    )


def _article(post_id: int, n: int) -> SyntheticArticle:
    rng = random.Random(f"dvk-synthetic-{n}")
    place = rng.choice(_PLACES)
    work = rng.choice(_WORKS)
    slots = {"place": place, "work": work, "n": rng.randint(12, 480)}
    sentences = [_fill(template, rng, place, work) for template in rng.sample(_SENTENCES, 11)]
    return SyntheticArticle(
        post_id=post_id,
        title=f"{place[0].upper()}{place[1:]}: “dân vận khéo” trong việc {work} ({rng.randint(2, 99)} hộ tiên phong)",
        lead=rng.choice(_LEADS).format(**slots),
        paragraphs=tuple(" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)),
        published=_FIRST_DAY + timedelta(days=n * 4, minutes=rng.randint(0, 600)),
        author=rng.choice(["Phan Trâm", "Thu Hà", "Minh Đức", "Hoài Nam", "Ngọc Loan"]),
    )


def _fill(template: str, rng: random.Random, place: str, work: str) -> str:
    return template.format(
        place=place,
        place2=rng.choice(_PLACES),
        work=work,
        person=rng.choice(_PEOPLE),
        gift=rng.choice(_GIFTS),
        year=rng.randint(2015, 2024),
        n=rng.randint(12, 480),
        k=rng.randint(2, 40),
        days=rng.randint(100, 9000),
        money=rng.randint(50, 4000),
        width=rng.randint(4, 9),
        pct=rng.randint(5, 60),
        quarter=rng.choice(["I", "II", "III", "IV"]),
    )


def _near_copy(original: SyntheticArticle, post_id: int) -> SyntheticArticle:
    """A syndicated copy: the same story a day later, another lead, a source line at the end."""
    return SyntheticArticle(
        post_id=post_id,
        title=original.title,
        lead=f"Bài viết của phóng viên {original.author} gửi từ cơ sở. {original.lead}",
        paragraphs=(*original.paragraphs, f"Theo Báo Hà Tĩnh, {original.author}."),
        published=original.published + timedelta(days=1),
        author=original.author,
        copy_of=original.post_id,
    )


class _SiteWriter:
    """Files and ``routes.json`` of one site, at the paths of the portal's start points."""

    def __init__(self, site_dir: Path, home: str) -> None:
        self.site_dir = site_dir
        self.home = home
        self.host = urlsplit(home).hostname or ""
        self.routes: dict[str, dict[str, Any]] = {}

    def write(self, articles: list[SyntheticArticle], aliases: int) -> dict[str, int]:
        self.site_dir.mkdir(parents=True, exist_ok=True)
        newest_first = sorted(articles, key=lambda a: a.published, reverse=True)
        self.add("/robots.txt", "robots.txt", "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        for article in articles:
            self.add(self.path(article), f"pages/{article.post_id}.html", _article_page(article, self.home))
        alias_paths = {f"/xa-hoi/{_slug(a)}/{a.post_id}.htm": a.post_id for a in articles[1 : aliases * 3 : 3]}
        for path, post_id in alias_paths.items():
            self.routes[path] = {"file": f"pages/{post_id}.html"}
        seeds = load_seeds(default_seeds_dir(), self.portal_id)
        for url in seeds.sitemaps:
            self.write_sitemaps(_path(url), articles)
        for url in (*seeds.listings, *seeds.evidence_listings):
            self.write_listing(_path(url), newest_first, alias_paths)
        for url in seeds.rss:
            self.add(_path(url), "rss.xml", _feed(newest_first[:FEED_SIZE], self), "application/rss+xml; charset=utf-8")
        if seeds.search:
            search_path = _path(seeds.search.split("?", 1)[0])
            self.add(f"{search_path}?*", "search.html", _page("Tìm kiếm", "<p>Không tìm thấy kết quả.</p>", self.home))
        (self.site_dir / "routes.json").write_text(json.dumps(self.routes, ensure_ascii=False, indent=1), "utf-8")
        return alias_paths

    @property
    def portal_id(self) -> str:
        return self.site_dir.name

    def path(self, article: SyntheticArticle) -> str:
        return f"/{_slug(article)}-post{article.post_id}.html"

    def url(self, article: SyntheticArticle) -> str:
        return self.home + self.path(article)

    def add(self, route: str, file: str, content: str, content_type: str | None = None) -> None:
        target = self.site_dir / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        self.routes[route] = {"file": file, **({"content_type": content_type} if content_type else {})}

    def write_sitemaps(
        self, index_path: str, articles: list[SyntheticArticle], arrived: Mapping[int, datetime] | None = None
    ) -> None:
        """Monthly sitemaps; an entry's ``lastmod`` is when it ``arrived`` (by post id), else its publication."""
        arrived = arrived or {}
        months: dict[tuple[int, int], list[SyntheticArticle]] = {}
        for article in articles:
            months.setdefault((article.published.year, article.published.month), []).append(article)
        entries = []
        for (year, month), members in sorted(months.items(), reverse=True):
            path = f"/sitemaps/news-{year}-{month}.xml"
            lastmods = {a.post_id: arrived.get(a.post_id, a.published).isoformat() for a in members}
            urls = "".join(
                f"<url><loc>{escape(self.url(a))}</loc><lastmod>{lastmods[a.post_id]}</lastmod></url>\n"
                for a in members
            )
            self.add(path, f"sitemaps/news-{year}-{month}.xml", _urlset(urls), _XML)
            lastmod = max(arrived.get(a.post_id, a.published) for a in members).isoformat()
            entries.append(f"<sitemap><loc>{self.home}{path}</loc><lastmod>{lastmod}</lastmod></sitemap>\n")
        index = f'{_XML_HEAD}<sitemapindex xmlns="{_SITEMAP_NS}">\n{"".join(entries)}</sitemapindex>\n'
        self.add(index_path, "sitemap.xml", index, _XML)

    def write_listing(self, path: str, articles: list[SyntheticArticle], alias_paths: dict[str, int]) -> None:
        alias_of = {post_id: alias for alias, post_id in alias_paths.items()}
        pages = [articles[i : i + PAGE_SIZE] for i in range(0, len(articles), PAGE_SIZE)]
        name = path.strip("/").replace("/", "-") or "home"
        for number, members in enumerate(pages, start=1):
            items = "".join(_listing_item(a, self.home + alias_of.get(a.post_id, self.path(a))) for a in members)
            pager = (
                f'<a rel="next" href="{self.home}{path}?page={number + 1}">Xem thêm</a>' if number < len(pages) else ""
            )
            body = f'<div class="box-category">{items}</div><div class="pagination">{pager}</div>'
            html = _page(f"Dân vận khéo - trang {number}", body, self.home)
            self.add(f"{path}?page={number}", f"listings/{name}-{number}.html", html)
            if number == 1:
                self.routes[path] = self.routes[f"{path}?page=1"]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _slug(article: SyntheticArticle) -> str:
    return f"dan-van-kheo-bai-{article.post_id}"


def _vn_time(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


def _listing_item(article: SyntheticArticle, url: str) -> str:
    return (
        f'<article class="story"><h3 class="story__heading"><a class="cms-link" href="{escape(url)}">'
        f"{escape(article.title)}</a></h3>"
        f'<time class="time" datetime="{article.published.isoformat()}">{_vn_time(article.published)}</time>'
        f'<div class="story__summary">{escape(article.lead)}</div></article>\n'
    )


def _feed(articles: list[SyntheticArticle], writer: _SiteWriter) -> str:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{escape(writer.url(a))}</link>"
        f"<pubDate>{format_datetime(a.published)}</pubDate></item>\n"
        for a in articles
    )
    return f'{_XML_HEAD}<rss version="2.0"><channel><title>{writer.host}</title>\n{items}</channel></rss>\n'


def _urlset(urls: str) -> str:
    return f'{_XML_HEAD}<urlset xmlns="{_SITEMAP_NS}">\n{urls}</urlset>\n'


def _page(title: str, main: str, home: str) -> str:
    """The family's page shell: menus before, counters and copyright after."""
    menu = "".join(
        f'<li class="menu-item"><a href="{home}/{i}/">{escape(name)}</a></li>' for i, name in enumerate(_NAV)
    )
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n"
        f'<header class="site-header"><nav class="main-menu"><ul class="menu-wrap">{menu}</ul></nav></header>\n'
        f'<main class="main"><div class="container"><div class="main-col">\n{main}\n</div></div></main>\n'
        '<footer class="site-footer"><div class="footer__counter">Đang truy cập: <span class="online">1.208</span>'
        "</div><p>© Bản quyền thuộc về cơ quan báo chí của tỉnh.</p></footer>\n</body>\n</html>\n"
    )


def _article_page(article: SyntheticArticle, home: str) -> str:
    host = urlsplit(home).hostname or ""
    url = f"{home}/{_slug(article)}-post{article.post_id}.html"
    paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in article.paragraphs)
    main = (
        f'<div class="article" data-id="{article.post_id}">\n'
        f'<div class="article__header"><h1 class="article__title cms-title">{escape(article.title)}</h1>\n'
        f'<div class="article__meta"><time class="time" datetime="{article.published.isoformat()}">'
        f"{_vn_time(article.published)}</time></div></div>\n"
        f'<h2 class="article__sapo cms-desc">({host.capitalize()}) - {escape(article.lead)}</h2>\n'
        f'<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n{paragraphs}</div>\n'
        f'<div class="article__author"><span class="name cms-author">{escape(article.author)}</span></div>\n'
        f'<div class="article__tag"><span class="label">Từ khóa:</span> '
        f'<a href="{home}/dan-van-kheo-tag4017.html">Dân vận khéo</a></div>\n'
        '<div class="article-relate"><div class="box-heading"><h3 class="title">Đọc thêm</h3></div>'
        f'<div class="box-content"><article class="story"><h3 class="story__heading"><a href="{home}/">'
        "Lan tỏa phong trào thi đua ở cơ sở</a></h3></article></div></div>\n</div>"
    )
    page = _page(f"{article.title} | {host}", main, home)
    head = (
        f'<link rel="canonical" href="{escape(url)}">\n'
        f'<meta property="article:published_time" content="{article.published.isoformat()}">\n'
        '<meta property="article:section" content="Xã hội">\n'
    )
    return page.replace("</head>", head + "</head>", 1)


_XML = "application/xml; charset=utf-8"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
