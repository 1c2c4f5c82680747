"""The family of quangngai.gov.vn and its member portals: Liferay 6.2, then the post-2025 platform.

Two platforms, one portal, chosen per page by markup (``Portal.parsers`` order):

* 2012 – mid-2025, Liferay 6.2 (:mod:`dvk_crawl.families.liferay_asset`), the
  province site and a member portal per district, e.g.
  ``https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/<url-title>?4029104``.
* Since mid-2025, the new platform (:class:`QuangNgaiPortalParser`):
  ``https://quangngai.gov.vn/tin-tuc/[<category>/…]<slug>.html``, uploads under
  ``/upload/<siteId>/<yyyymmdd>/``, sub-sites for the new communes
  (``mangden.quangngai.gov.vn``). Old Liferay URLs may redirect there; the record
  then takes the new URL's key.

Listings: Liferay's asset-publisher lists (``div.asset-abstract``) and the new
platform's ``div.news-item`` (:data:`LISTING_MARKUP`, :func:`listing_date`).

Article keys:

* Liferay: ``<site>/<id>`` (``minhlong/4029104``). The ``?<id>`` query is the
  identity (the page renders nothing without it), the url-title is not. The site
  comes from the ``/web/<site>/`` path, which Liferay serves on any host (the same
  member page answers on ``quangngai.gov.vn/web/minhlong/…`` and
  ``minhlong.quangngai.gov.vn/web/minhlong/…``); only a virtual-host URL without
  ``/web/`` takes it from the sub-domain (``portal-qni`` on the main host). Ids may
  be per site, so the site stays in the key.
* New platform: no numeric id is known, so the slug is the key:
  ``tin-tuc/<slug>`` on the main host, ``<sub>/tin-tuc/<slug>`` on a sub-site. The
  category segments are dropped: the same article is linked as
  ``/tin-tuc/<slug>.html`` and ``/tin-tuc/<category>/<slug>.html``. Category
  listings are the same paths without ``.html`` and are never articles.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from dvk_crawl.dates import PublicationTime, parse_vietnamese_datetime
from dvk_crawl.families.base import ArticleParser, image_source, split_authors, unique
from dvk_crawl.families.family import Family, FixedUrlRule
from dvk_crawl.families.liferay_asset import LiferayAssetParser
from dvk_crawl.listing_pages import ListingMarkup
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

DOMAIN = "quangngai.gov.vn"
PROVINCE_SITE = "portal-qni"
_LIFERAY_ARTICLE = re.compile(
    r"^(?:/web/(?P<site>[^/]+))?(?:/[^/]+)*?/-/asset_publisher/(?:[A-Za-z0-9_]+/)?[Cc]ontent/[^/]+/?$"
)
_NEW_ARTICLE = re.compile(r"^/tin-tuc/(?:[\w-]+/)*(?P<slug>[\w-]+)\.html$")
_NUMERIC = re.compile(r"^\d+$")


def article_key(url: str) -> str | None:
    """``minhlong/4029104``, ``tin-tuc/<slug>`` or ``<sub>/tin-tuc/<slug>``; None otherwise.

    ``…/asset_publisher/Content/<title>?4029104`` and ``…/asset_publisher//Content/<title>?4029104``
    are one key; an asset-publisher URL without its ``?<id>`` is no article (Liferay
    renders an empty portlet for it).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = re.sub(r"/{2,}", "/", parts.path)
    liferay = _LIFERAY_ARTICLE.match(path)
    if liferay:
        article_id = liferay_id(parts.query)
        site = liferay["site"] or sub_site(host) or PROVINCE_SITE
        return f"{site.lower()}/{article_id}" if article_id else None
    new = _NEW_ARTICLE.match(path)
    if new:
        sub = sub_site(host)
        return f"{sub}/tin-tuc/{new['slug']}" if sub else f"tin-tuc/{new['slug']}"
    return None


def canonicalize(url: str) -> str:
    """https, lower-case host without ``www.``, one slash between segments.

    Liferay article URLs keep their ``?<id>`` (and nothing else of the query);
    every other URL loses query and fragment.
    """
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = re.sub(r"/{2,}", "/", parts.path)
    query = ""
    if _LIFERAY_ARTICLE.match(path):
        query = liferay_id(parts.query) or ""
    return urlunsplit(("https", host, path, query, ""))


def liferay_id(query: str) -> str | None:
    """The bare numeric token of an asset-publisher query (``4029104`` in ``?4029104``)."""
    return next((token for token in query.split("&") if _NUMERIC.match(token)), None)


def sub_site(host: str) -> str | None:
    """``minhlong`` for ``minhlong.quangngai.gov.vn``; None for the main host."""
    host = host.lower().split(":")[0].removeprefix("www.")
    if host.endswith("." + DOMAIN):
        return host.removesuffix("." + DOMAIN)
    return None


class QuangNgaiPortalParser(ArticleParser):
    """Article pages of the platform Quảng Ngãi moved to in mid-2025 (``/tin-tuc/…html``).

    Markup inferred (no stored copy of an article page): title ``h1.post-title``,
    date line ``Thứ Tư, 04/03/2026 08:48`` in ``.post-date``, views "Lượt xem: 1.204",
    lead ``.post-summary``, body ``.post-content`` with ``figure``/``figcaption``,
    author ``.post-author``, tags ``.post-tags a``, related list "Tin cùng chuyên mục".
    Open Graph tags are the fallback for title and lead.
    """

    NAME = "quangngai_portal"
    VERSION = "v1"
    TITLE = ("article.post-detail h1", "h1.post-title", ".post-detail .title", "main h1")
    LEAD = (".post-summary", ".post-detail .sapo", ".post-detail .summary")
    DATE = (".post-date", ".post-detail time", ".post-meta")
    VIEWS = (".post-view", ".post-meta .views")
    AUTHOR = (".post-author", ".post-detail .author")
    SECTION = (".breadcrumb li:last-child", ".breadcrumb a:last-child")
    TAGS = (".post-tags a", ".tags a")
    BODY = (".post-content", ".post-detail .content", '[itemprop="articleBody"]')
    BODY_NOISE = (*ArticleParser.BODY_NOISE, "figure", "figcaption", ".post-related", ".post-share", ".post-tags")
    TAIL_MARKERS = (re.compile(r"^Tin (?:cùng chuyên mục|liên quan|khác)\s*:?$", re.IGNORECASE),)
    LINE_NOISE = (re.compile(r"^(?:Chia sẻ|In bài viết|Lượt xem)\b.{0,30}$", re.IGNORECASE),)

    @classmethod
    def matches(cls, page: Selector) -> bool:
        return any(page.css(selector) for selector in (*cls.BODY, "article.post-detail"))

    def title(self) -> str | None:
        return self.first_text(*self.TITLE) or super().title()

    def lead(self) -> str | None:
        return self.first_text(*self.LEAD) or super().lead()

    def published_at(self) -> PublicationTime | None:
        return self.first_time(
            self.meta("article:published_time"),
            *self.page.css(".post-detail time::attr(datetime)").getall(),
            self.first_text(*self.DATE),
            self.json_ld_value("datePublished"),
        )

    def view_count(self) -> int | None:
        digits = re.sub(r"\D", "", self.first_text(*self.VIEWS) or "")
        return int(digits) if digits else None

    def authors(self) -> list[str]:
        author = self.first_text(*self.AUTHOR)
        return split_authors(author) if author else super().authors()

    def section(self) -> str | None:
        return self.meta("article:section") or self.first_text(*self.SECTION)

    def tags(self) -> list[str]:
        return unique(self.all_texts(self.TAGS[0]) or self.all_texts(self.TAGS[1])) or super().tags()

    def images(self) -> list[Image]:
        container = self.body_container()
        if container is None:
            return []
        images = []
        for figure in container.css("figure"):
            img = figure.css("img")
            src = image_source(img[0].root) if img else None
            if src:
                caption = normalize_line(" ".join(figure.css("figcaption ::text").getall()))
                images.append(Image(self.absolute(src), caption or None))
        return images


def url_rule() -> FixedUrlRule:
    return FixedUrlRule(article_key, canonicalize)


# Liferay lists articles as ``div.asset-abstract`` (its date in ``.asset-metadata``);
# the new platform as ``div.news-item``. The base rule (article/li/*item*) misses the first.
LISTING_MARKUP = ListingMarkup(item_classes=("asset-abstract", "item"))
# The item's own date element first: its summary often starts "Sáng ngày 25/9/2023",
# which read together with the time of the date line makes a wrong date.
ITEM_DATE = ".metadata-publish-date, .asset-metadata, .news-date"


def listing_date(item: Selector) -> PublicationTime | None:
    dated = item.css(ITEM_DATE) or item
    return parse_vietnamese_datetime(" ".join(dated.css("::text").getall()))


FAMILY = Family(
    name="quangngai_gov",
    parsers=(LiferayAssetParser, QuangNgaiPortalParser),
    url_rule=url_rule,
    listing_markup=LISTING_MARKUP,
    listing_date=listing_date,
)
