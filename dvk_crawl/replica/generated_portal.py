"""A generated baohatinh-family portal of any size, made on the fly and served from loopback.

For the discovery benchmark (``bench/discovery.py``, issue 14) and tests that need a
portal shaped like the real one: tens of thousands of articles of which 1–2 % are about
the campaign, each campaign article with a known *evidence kind*, the kind of trace
discovery can see before downloading it::

    portal = GeneratedPortal(PortalShape(articles=20_000))
    with serve_portal(portal) as server:
        ...  # scrapy crawl baohatinh -a base_url=<server.base_url>; server.take_served()
    portal.campaign_by_kind()   # ground truth: {"title": [...ids], "search": [...], ...}

Nothing is written to disk: pages are made from the article's number and the seed when
they are asked for, so a portal is the same on every build. Article pages have the markup
of the bundled baohatinh replica pages (``sites/baohatinh``: header, navigation and footer
are copied from its case i page; head metadata, JSON-LD, ``h1.article__title``,
``.article__sapo``, ``div.article__body``, ``.article__tag``, "Đọc thêm" box as there).

What the site serves (the live portal's discovery structure, ``/work/shared/portals.md``):
``/robots.txt``; ``/rss/home.rss`` (RSS 2.0, the newest 20); ``/sitemap.xml``, an index of
monthly ``/sitemaps/news-YYYY-M.xml`` with ``<lastmod>`` (every article is in one, no
``news:title``); the campaign tag ``/dan-van-kheo-tag4017.html`` and ``?page=N`` (20 a page,
newest first, "Xem thêm" to the next); the topic page ``/chu-de/dan-van-kheo.html`` (one
page); the site search ``/tim-kiem/?q=<words>&page=N`` (20 a page, "Trang sau" to the next);
article pages ``/<slug>-post<id>.html``. Anything else is a 404.

**Invented** (not in portals.md; chosen so that every evidence kind of issue 14 occurs):

- the publishing rate (40 articles a day, the newest on 2025-09-30), post ids ending at
  307,000 with no gaps, sections, authors and every text (generated Vietnamese sentences);
- the share of campaign articles (``PortalShape.campaign_share``, 1.5 %) and the mix of
  evidence kinds: keyword in the title (and so in the slug) 55 %; only in the body but
  found by the site search 25 %; only in the body, not found by the search, listed on the
  campaign tag 10 %; only in the body and on no search or tag page 10 %;
- how the site search works: every word of the query must occur (in any order) in the
  title, the lead or the first 1,000 characters of the body (``SEARCH_INDEX_CHARS``); a
  body mention later than that is not found. So the search also returns articles that
  have the words but not the phrase (``near_miss_share``: 0.2 % of all articles);
- which articles carry the campaign tag: 60 % of the title kind, 30 % of the search kind,
  the whole tag kind, and 5 % of the tag listing are articles that never say the phrase
  (``tag_noise_share``).
"""

from __future__ import annotations

import random
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import cache, cached_property, lru_cache
from html import escape
from http.server import ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qsl, quote_plus, urlsplit

from dvk_crawl.dates import VIETNAM
from dvk_crawl.replica.server import LOOPBACK, SITES_DIR, ReplicaHandler, ReplicaServer
from dvk_crawl.replica.synthetic import _GIFTS, _LEADS, _PEOPLE, _PLACES, _SENTENCES, _WORKS, _fill
from dvk_crawl.text import fold_for_matching

HOME = "https://baohatinh.vn"
KEYWORD = "dân vận khéo"
NEWEST_POST_ID = 307_000
PAGE_SIZE = 20
FEED_SIZE = 20
ARTICLES_PER_DAY = 40
SEARCH_INDEX_CHARS = 1_000
TAG_PATH = "/dan-van-kheo-tag4017.html"
TOPIC_PATH = "/chu-de/dan-van-kheo.html"
SEARCH_PATH = "/tim-kiem/"
EVIDENCE_KINDS = ("title", "search", "tag", "none")
"""Strongest evidence first: a campaign article's kind is the first it has."""
_NEWEST = datetime(2025, 9, 30, 18, 0, tzinfo=VIETNAM)
_TEMPLATE_PAGE = "pages/huong-son-nhan-rong-mo-hinh-dan-van-kheo-trong-xay-dung-nong-thon-moi-post272318.html"
_WORD = re.compile(r"\w+")

_SECTIONS = ["Chính trị", "Kinh tế", "Xã hội", "Văn hóa - Giải trí", "Thể thao", "Pháp luật", "Bạn đọc"]
_AUTHORS = ["Phan Trâm", "Thu Hà", "Minh Đức", "Hoài Nam", "Ngọc Loan", "Thùy Dương", "Hải Sâm"]
# Off-topic prose: no "khéo", never the campaign phrase (a search for it must not find these).
_HEADLINES = [
    "{Place} thu hoạch {n} ha lúa hè thu", "Khởi công tuyến đường liên xã qua {place}",
    "{Place} tiêm vắc xin cho {n} trẻ em", "Giải bóng đá thiếu niên ở {place} khép lại",
    "Nông dân {place} chuyển đổi {n} ha sang trồng cây ăn quả", "{Place} kiểm tra an toàn thực phẩm dịp lễ",
    "Học sinh {place} bước vào năm học mới", "Xử lý {n} vụ vi phạm giao thông ở {place}",
]  # fmt: skip
_PROSE = [
    "Vụ này, {place} gieo cấy {n} ha lúa, năng suất bình quân ước đạt {k} tạ mỗi héc ta.",
    "Ngành y tế đã bố trí {k} điểm tiêm, phục vụ {n} lượt người trong tuần qua.",
    "Tuyến đường dài {width} km có tổng mức đầu tư {money} tỷ đồng, dự kiến hoàn thành trong năm {year}.",
    "Đoàn kiểm tra đã lấy {k} mẫu thực phẩm tại {n} cơ sở kinh doanh trên địa bàn {place2}.",
    "Giá thu mua ở {place2} dao động từ {k} đến {n} nghìn đồng mỗi ki-lô-gam.",
    "Trong tháng, lực lượng chức năng phát hiện {n} trường hợp vi phạm, phạt {money} triệu đồng.",
    "Toàn huyện có {n} học sinh nhập học lớp một, tăng {k} em so với năm {year}.",
    "Mùa mưa năm nay, {place2} đã gia cố {k} điểm sạt lở và chuẩn bị {n} bao cát.",
    "Theo kế hoạch, đến năm {year} tỷ lệ hộ dùng nước sạch ở {place2} đạt {pct} phần trăm.",
    "Giải đấu quy tụ {k} đội bóng với hơn {n} vận động viên tham gia tranh tài.",
    "Hợp tác xã ở {place2} hiện có {k} thành viên, doanh thu năm {year} đạt {money} triệu đồng.",
    "Bệnh viện đa khoa huyện tiếp nhận {n} lượt khám mỗi ngày, tăng {pct} phần trăm so với cùng kỳ.",
]  # fmt: skip
_CAMPAIGN_TITLES = [
    "{Place}: “dân vận khéo” trong việc {work}", "Lan tỏa mô hình “dân vận khéo” ở {place}",
    "“Dân vận khéo” giúp {place} {work}", "{Place} nhân rộng {n} mô hình “dân vận khéo”",
]  # fmt: skip
_QUIET_TITLES = [
    "{Place} hoàn thành {work}", "Người dân {place} chung sức {work}", "{Place}: {n} hộ {gift} để {work}",
]  # fmt: skip
_QUIET_LEADS = [
    "Sau {k} tháng vận động, {place} đã hoàn thành {work} với sự đồng thuận của {n} hộ dân.",
    "Cán bộ và Nhân dân {place} cùng góp sức {work}, tạo diện mạo mới cho vùng quê.",
]  # fmt: skip
_MENTION = (
    "Kết quả đó góp phần lan tỏa phong trào thi đua “dân vận khéo” trên địa bàn {place}, "
    "được {person} đánh giá là cách làm cần nhân rộng."
)
_NEAR_MISS = "Người dân làng nghề ở {place} khéo léo vận dụng kỹ thuật mới, mỗi năm làm ra {n} sản phẩm."


@dataclass(frozen=True)
class PortalShape:
    """How big the portal is, and how its campaign articles can be found (see the module doc)."""

    articles: int = 20_000
    campaign_share: float = 0.015
    kind_shares: Mapping[str, float] = field(
        default_factory=lambda: {"title": 0.55, "search": 0.25, "tag": 0.10, "none": 0.10}
    )
    near_miss_share: float = 0.002
    tag_noise_share: float = 0.05
    seed: int = 14

    def campaign_counts(self) -> dict[str, int]:
        """Campaign articles of each evidence kind (largest remainder: they add up to the total)."""
        total = round(self.articles * self.campaign_share)
        exact = {kind: total * self.kind_shares[kind] for kind in EVIDENCE_KINDS}
        counts = {kind: int(value) for kind, value in exact.items()}
        for kind in sorted(EVIDENCE_KINDS, key=lambda k: counts[k] - exact[k])[: total - sum(counts.values())]:
            counts[kind] += 1
        return counts


@dataclass(frozen=True)
class GeneratedArticle:
    number: int
    """0 is the newest."""
    post_id: int
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    published: datetime
    author: str
    section: str
    tagged: bool
    role: str
    """``campaign:<kind>`` as generated, ``near_miss``, ``tag_noise`` or ``other``."""

    @property
    def record_id(self) -> str:
        return f"baohatinh:{self.post_id}"

    @property
    def path(self) -> str:
        return f"/{slugify(self.title)}-post{self.post_id}.html"

    @property
    def url(self) -> str:
        return HOME + self.path

    @property
    def about_campaign(self) -> bool:
        folded = fold_for_matching(" ".join((self.title, self.lead, *self.paragraphs)))
        return KEYWORD in folded

    def search_text(self) -> set[str]:
        """The words the site search sees: title, lead and the start of the body."""
        body = "\n".join(self.paragraphs)[:SEARCH_INDEX_CHARS]
        return set(_WORD.findall(unicodedata.normalize("NFC", f"{self.title} {self.lead} {body}").casefold()))


def slugify(title: str) -> str:
    """The CMS's slug: diacritics folded (đ → d), lower case, words joined by hyphens."""
    decomposed = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))


class GeneratedPortal:
    """The articles of one :class:`PortalShape`, its listings, and the pages it serves."""

    def __init__(self, shape: PortalShape | None = None) -> None:
        self.shape = shape or PortalShape()
        if self.shape.articles < 1:
            raise ValueError(f"a generated portal needs at least one article, not {self.shape.articles}")
        roles = self._roles()
        self.articles = [self._article(number, roles.get(number, "other")) for number in range(self.shape.articles)]
        self.by_path = {article.path: article for article in self.articles}
        self.tagged = [article for article in self.articles if article.tagged]

    # -- what the site is made of ---------------------------------------------------

    def _roles(self) -> dict[int, str]:
        """Article number → role, drawn once from the seed (the rest are ``other``)."""
        rng = random.Random(f"dvk-portal-roles-{self.shape.seed}")
        roles: list[str] = [f"campaign:{k}" for k, n in self.shape.campaign_counts().items() for _ in range(n)]
        roles += ["near_miss"] * _at_least_one(self.shape.articles * self.shape.near_miss_share)
        tagged = sum(1 for r in roles if r in ("campaign:tag",)) + round(0.6 * roles.count("campaign:title"))
        tagged += round(0.3 * roles.count("campaign:search"))
        roles += ["tag_noise"] * _at_least_one(tagged * self.shape.tag_noise_share / (1 - self.shape.tag_noise_share))
        if len(roles) > self.shape.articles:
            raise ValueError(f"{self.shape.articles} articles are too few for {len(roles)} special ones")
        return dict(zip(rng.sample(range(self.shape.articles), len(roles)), roles, strict=True))

    def _article(self, number: int, role: str) -> GeneratedArticle:
        rng = random.Random(f"dvk-portal-{self.shape.seed}-{number}")
        place, work = rng.choice(_PLACES), rng.choice(_WORKS)
        slots = {"place": place, "Place": place[0].upper() + place[1:], "work": work, "n": rng.randint(12, 480)}
        slots |= {"gift": rng.choice(_GIFTS), "k": rng.randint(2, 40)}
        kind = role.removeprefix("campaign:") if role.startswith("campaign:") else None
        if kind == "title":
            title, lead = rng.choice(_CAMPAIGN_TITLES).format(**slots), rng.choice(_LEADS).format(**slots)
            paragraphs = _paragraphs([_fill(t, rng, place, work) for t in rng.sample(_SENTENCES, 10)])
        elif kind is not None or role == "tag_noise":
            title, lead = rng.choice(_QUIET_TITLES).format(**slots), rng.choice(_QUIET_LEADS).format(**slots)
            paragraphs = _paragraphs([_prose(rng, place) for _ in range(14)])
            mention = _MENTION.format(place=place, person=rng.choice(_PEOPLE))
            # Early enough for the search index, or after it (SEARCH_INDEX_CHARS).
            if kind == "search":
                paragraphs = (paragraphs[0], mention, *paragraphs[1:])
            elif kind in ("tag", "none"):
                paragraphs = _late(paragraphs, mention)
        else:
            title = rng.choice(_HEADLINES).format(**slots, place2=rng.choice(_PLACES))
            lead = _prose(rng, place)
            paragraphs = _paragraphs([_prose(rng, place) for _ in range(rng.randint(6, 10))])
            if role == "near_miss":
                paragraphs = (_NEAR_MISS.format(place=place, n=rng.randint(100, 9000)), *paragraphs)
        tagged = {"tag": True, "none": False, "title": rng.random() < 0.6, "search": rng.random() < 0.3}.get(
            kind or "", role == "tag_noise"
        )
        minutes = number * 24 * 60 // ARTICLES_PER_DAY + rng.randint(0, 20)
        return GeneratedArticle(
            number=number,
            post_id=NEWEST_POST_ID - number,
            title=title,
            lead=lead,
            paragraphs=paragraphs,
            published=_NEWEST - timedelta(minutes=minutes),
            author=rng.choice(_AUTHORS),
            section="Chính trị" if kind else rng.choice(_SECTIONS),
            tagged=tagged,
            role=role,
        )

    # -- ground truth ---------------------------------------------------------------

    def evidence_kind(self, article: GeneratedArticle) -> str | None:
        """The strongest trace of a campaign article before download; None for other articles.

        Computed from what the site serves (the title, the search's answer, the tag
        listing), not from how the article was generated."""
        if not article.about_campaign:
            return None
        if KEYWORD in fold_for_matching(article.title):
            return "title"
        if article.number in self._hit_numbers(KEYWORD):
            return "search"
        return "tag" if article.tagged else "none"

    def campaign_by_kind(self) -> dict[str, list[str]]:
        """Record ids of the campaign articles, by evidence kind (every kind present, maybe empty)."""
        kinds: dict[str, list[str]] = {kind: [] for kind in EVIDENCE_KINDS}
        for article in self.articles:
            kind = self.evidence_kind(article)
            if kind is not None:
                kinds[kind].append(article.record_id)
        return kinds

    def search(self, query: str) -> list[GeneratedArticle]:
        """The site search's hits, newest first."""
        return [self.articles[n] for n in sorted(self._hit_numbers(query))]

    @lru_cache(maxsize=64)  # noqa: B019 - one portal per benchmark, kept for its whole life
    def _hit_numbers(self, query: str) -> frozenset[int]:
        words = set(_WORD.findall(unicodedata.normalize("NFC", query).casefold()))
        if not words:
            return frozenset()
        # A scan, not a stored index: once per query (cached), and 20,000 word sets would weigh ~200 MB.
        return frozenset(a.number for a in self.articles if words <= a.search_text())

    @cached_property
    def months(self) -> dict[tuple[int, int], list[GeneratedArticle]]:
        """Articles of each month, newest month first (the monthly sitemaps)."""
        months: dict[tuple[int, int], list[GeneratedArticle]] = {}
        for article in self.articles:
            months.setdefault((article.published.year, article.published.month), []).append(article)
        return months

    # -- pages ----------------------------------------------------------------------

    def respond(self, target: str) -> tuple[int, str, str]:
        """``(status, content type, body)`` of a request target (path and query)."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        page = _page_number(query.get("page", "1"))
        if parts.path in self.by_path and not parts.query:
            return 200, _HTML, article_page(self.by_path[parts.path], self)
        if parts.path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", f"User-agent: *\nAllow: /\n\nSitemap: {HOME}/sitemap.xml\n"
        if parts.path == "/rss/home.rss":
            return 200, "application/rss+xml; charset=utf-8", _feed(self.articles[:FEED_SIZE])
        if parts.path == "/sitemap.xml":
            return 200, _XML, _sitemap_index(self.months)
        month = re.fullmatch(r"/sitemaps/news-(\d{4})-(\d{1,2})\.xml", parts.path)
        if month and (key := (int(month[1]), int(month[2]))) in self.months:
            return 200, _XML, _urlset(self.months[key])
        if parts.path == TAG_PATH and page:
            return self._listing("Dân vận khéo", self.tagged, page, f"{HOME}{TAG_PATH}?page={{}}", "Xem thêm")
        if parts.path == TOPIC_PATH and not parts.query:
            return self._listing("Dân vận khéo", self.tagged[:PAGE_SIZE], 1, "", "")
        if parts.path == SEARCH_PATH and page and query.get("q"):
            more = f"{HOME}{SEARCH_PATH}?q={quote_plus(query['q'])}&page={{}}"
            return self._listing("Kết quả tìm kiếm", self.search(query["q"]), page, more, "Trang sau")
        return 404, _HTML, "<html><body><h1>404 Not Found</h1></body></html>"

    def _listing(
        self, heading: str, items: list[GeneratedArticle], page: int, next_url: str, label: str
    ) -> tuple[int, str, str]:
        members = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if not members:
            return 200, _HTML, _shell(heading, "<p>Không tìm thấy kết quả nào.</p>", "listing")
        stories = "".join(_story(article) for article in members)
        pager = ""
        if page * PAGE_SIZE < len(items):
            href = escape(next_url.format(page + 1))
            pager = f'<div class="pagination"><a class="next" href="{href}" title="{label}">{label}</a></div>'
        main = f'<div class="box-category"><h1 class="box-heading">{escape(heading)}</h1>'
        main += f'<div class="box-content">\n{stories}</div>\n{pager}</div>'
        return 200, _HTML, _shell(heading, main, "listing")


def _at_least_one(expected: float) -> int:
    """A count of noise articles: a small portal (a test's) still has one of each kind asked for."""
    return max(1, round(expected)) if expected > 0 else 0


def _paragraphs(sentences: list[str]) -> tuple[str, ...]:
    return tuple(" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2))


def _late(paragraphs: tuple[str, ...], mention: str) -> tuple[str, ...]:
    """The body with ``mention`` as its last paragraph, after the search index's end."""
    if len("\n".join(paragraphs)) <= SEARCH_INDEX_CHARS:
        raise ValueError("a generated body is shorter than the search index: the mention would be found")
    return (*paragraphs, mention)


def _prose(rng: random.Random, place: str) -> str:
    return _fill(rng.choice(_PROSE), rng, place, rng.choice(_WORKS))


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 0


# -- markup (the bundled baohatinh replica's) --------------------------------------------


@cache
def _replica_frame() -> tuple[str, str]:
    """Header (body start to ``<main>``) and footer (bottom menu to the end) of a replica page."""
    html = (SITES_DIR / "baohatinh" / _TEMPLATE_PAGE).read_text(encoding="utf-8")
    header = html[html.index("<body>") : html.index('<main class="main">')]
    footer = html[html.index('<div class="bottom-menu">') :]
    return header, footer


def _shell(title: str, main: str, page_id: str, head: str = "") -> str:
    header, footer = _replica_frame()
    footer = re.sub(r'pageId: "[^"]*"', f'pageId: "{page_id}"', footer)
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} | Báo Hà Tĩnh</title>\n{head}"
        f'<link rel="alternate" type="application/rss+xml" title="Báo Hà Tĩnh" href="{HOME}/rss/home.rss">\n'
        '<meta property="og:site_name" content="Báo Hà Tĩnh">\n</head>\n'
        f'{header}<main class="main">\n<div class="container">\n<div class="main-col">\n{main}\n</div>\n'
        f"</div>\n</main>\n{footer}"
    )


def _story(article: GeneratedArticle, heading: str = "h2") -> str:
    title, url = escape(article.title), escape(article.url)
    return (
        f'<article class="story">\n  <{heading} class="story__heading"><a class="cms-link" href="{url}" '
        f'title="{title}">{title}</a></{heading}>\n'
        f'  <div class="story__meta"><time class="time">{article.published:%d/%m/%Y %H:%M}</time></div>\n'
        f'  <div class="story__summary">{escape(article.lead)}</div>\n</article>\n'
    )


def article_page(article: GeneratedArticle, portal: GeneratedPortal) -> str:
    """The article's page: the replica's head metadata, header, article block, related box, footer."""
    title, lead, url, when = escape(article.title), escape(article.lead), escape(article.url), article.published
    tags = ([("Dân vận khéo", HOME + TAG_PATH)] if article.tagged else []) + [
        (article.section, f"{HOME}/{slugify(article.section)}-tag{100 + _SECTIONS.index(article.section)}.html")
    ]
    head = (
        f'<meta name="description" content="{lead}">\n<link rel="canonical" href="{url}">\n'
        f'<meta property="og:type" content="article">\n<meta property="og:title" content="{title}">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="article:published_time" content="{when.isoformat()}">\n'
        f'<meta property="article:section" content="{escape(article.section)}">\n'
        + "".join(f'<meta property="article:tag" content="{escape(name)}">\n' for name, _ in tags)
    )
    body = "".join(f"      <p>{escape(p)}</p>\n" for p in article.paragraphs)
    neighbours = [portal.articles[n] for n in (article.number - 1, article.number + 1) if 0 <= n < len(portal.articles)]
    main = (
        f'<div class="article" data-id="{article.post_id}">\n  <div class="article__header">\n'
        f'    <h1 class="article__title cms-title">{title}</h1>\n    <div class="article__meta">\n'
        f'      <a class="article__category" href="{HOME}/{slugify(article.section)}/">{escape(article.section)}</a>\n'
        f'      <time class="time" datetime="{when.isoformat()}">{when:%d/%m/%Y %H:%M}</time>\n    </div>\n  </div>\n'
        f'  <h2 class="article__sapo cms-desc">(Baohatinh.vn) - {lead}</h2>\n'
        f'  <div class="article__body zce-content-body cms-body" itemprop="articleBody">\n{body}  </div>\n'
        f'  <div class="article__author"><span class="name cms-author">{escape(article.author)}</span></div>\n'
        '  <div class="article__tag"><span class="label">Từ khóa:</span> '
        + " ".join(f'<a href="{escape(href)}" title="{escape(n)}">{escape(n)}</a>' for n, href in tags)
        + '</div>\n  <div class="article-relate">\n  <div class="box-heading"><h3 class="title">Đọc thêm</h3></div>\n'
        f'  <div class="box-content">\n{"".join(_story(n, "h3") for n in neighbours)}  </div>\n</div>\n</div>'
    )
    return _shell(article.title, main, str(article.post_id), head)


def _feed(articles: list[GeneratedArticle]) -> str:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{escape(a.url)}</link>"
        f"<description>{escape(a.lead)}</description><pubDate>{format_datetime(a.published)}</pubDate></item>\n"
        for a in articles
    )
    return f'{_XML_HEAD}<rss version="2.0"><channel><title>Báo Hà Tĩnh</title>\n{items}</channel></rss>\n'


def _sitemap_index(months: Mapping[tuple[int, int], list[GeneratedArticle]]) -> str:
    entries = "".join(
        f"<sitemap><loc>{HOME}/sitemaps/news-{year}-{month}.xml</loc>"
        f"<lastmod>{members[0].published.isoformat()}</lastmod></sitemap>\n"
        for (year, month), members in months.items()
    )
    return f'{_XML_HEAD}<sitemapindex xmlns="{_SITEMAP_NS}">\n{entries}</sitemapindex>\n'


def _urlset(members: list[GeneratedArticle]) -> str:
    urls = "".join(
        f"<url><loc>{escape(a.url)}</loc><lastmod>{a.published.isoformat()}</lastmod></url>\n" for a in members
    )
    return f'{_XML_HEAD}<urlset xmlns="{_SITEMAP_NS}">\n{urls}</urlset>\n'


# -- serving ---------------------------------------------------------------------------------


class GeneratedPortalHandler(ReplicaHandler):
    """Answers from a :class:`GeneratedPortal`, made page by page; notes every request target."""

    portal: ClassVar[GeneratedPortal]
    served: ClassVar[list[str]]

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.served.append(self.path)  # list.append is atomic: the handler threads share it
        status, content_type, body = self.portal.respond(self.path)
        self._send(status, body.encode("utf-8"), content_type)


class PortalServer(ReplicaServer):
    """A :class:`GeneratedPortal` on a loopback port, with the targets it was asked for."""

    def __init__(self, portal: GeneratedPortal, port: int = 0) -> None:  # a site of no folder: no super()
        self.served: list[str] = []
        handler = type("PortalHandler", (GeneratedPortalHandler,), {"portal": portal, "served": self.served})
        self.handler = handler
        self.site = "baohatinh"
        self._httpd = ThreadingHTTPServer((LOOPBACK, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def take_served(self) -> list[str]:
        """The request targets (path and query) served since the last call, in order."""
        taken = self.served[:]
        del self.served[: len(taken)]
        return taken


@contextmanager
def serve_portal(portal: GeneratedPortal, port: int = 0) -> Iterator[PortalServer]:
    """Serve ``portal`` on loopback (0 picks a free port) while the block runs."""
    server = PortalServer(portal, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
