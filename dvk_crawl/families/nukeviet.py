"""The NukeViet 4 family: the news module of the open-source CMS many .gov.vn sites run.

Read from NukeViet's own templates (``themes/default/modules/news/detail.tpl`` and
``viewcat_page.tpl`` of github.com/nukeviet/nukeviet, 4.x; ``mobile_default`` for the
schema.org markup of 4.5), not from one site: nothing here belongs to one portal.

Article URL (``$global_config['rewrite_exturl']`` is ``.html``)::

    https://<host>[/index.php][/<lang>][/<module>]/<cat>/<alias>-<id>.html
    https://<host>/index.php?language=vi&nv=<module>&op=<cat>/<alias>-<id>   (no rewrite)

The module is left out when it is the site's home module (``rewrite_op_mod``): the
Fatherland Front of Quảng Trị links ``/index.php/<cat>/<alias>-<id>.html``. The id is
the key; the category is not part of the identity (an article filed under several
categories is reachable under each). A cloned news module ("virtual module") and each
language have their own tables, so their own id spaces: their key is prefixed
(``<lang>/<module>/<id>``), while the home module's articles in the default language
keep the bare id.

Page (detail.tpl): the article panel ``div.news_column`` (4.5:
``itemtype="http://schema.org/NewsArticle"``) holds ``h1.title``, the date line
``span.h5`` ("Thứ năm - 12/06/2025 09:15"), the lead ``div.hometext`` beside the lead
image ``figure.article``, the body ``#news-bodyhtml.bodytext`` and, *after* the body, the
lines "Tác giả: …" and "Nguồn tin: …" (``p.h5.text-right``). Further panels: keywords
(links to ``/tag/``), rating, comments, and ``div.other-news`` with "Những tin mới hơn" /
"Những tin cũ hơn". Themes rename classes freely, so each field has a fallback (schema.org
``itemprop``, meta tags, the text patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from parsel import Selector

from dvk_crawl.dates import (
    WEEKDAY_DASH_DATE_LINE,
    PublicationTime,
    find_weekday_date_line,
    parse_iso,
    parse_vietnamese_datetime,
)
from dvk_crawl.families.base import (
    ArticleParser,
    compiled_css,
    drop_node,
    first_text_in,
    image_source,
    split_authors,
    unique,
)
from dvk_crawl.families.family import Family
from dvk_crawl.families.liferay_3cms import block_text, find_author_block
from dvk_crawl.listing_pages import ListingMarkup
from dvk_crawl.record import Image
from dvk_crawl.text import normalize_line

# Language codes NukeViet ships; a two-letter path segment that is none of them is a module or category.
_LANGUAGES = ("vi", "en", "fr", "zh", "ko", "ja", "lo", "km", "ru", "de")
_ARTICLE_PATH = re.compile(
    r"^(?:/index\.php)?(?:/(?P<lang>" + "|".join(_LANGUAGES) + r"))?"
    r"(?:/(?P<module>[\w-]+))?/(?P<cat>[\w-]+)/(?:[\w-]*-)?(?P<id>\d+)\.html?$"
)
_ARTICLE_OP = re.compile(r"^(?P<cat>[\w-]+)/(?:[\w-]*-)?(?P<id>\d+)$")
# Operations of the news module whose URLs look like an article's (print/sendmail/savefile
# copies of one, feeds, tags, topics, search), and NukeViet's other bundled modules (a page
# of the "about" module may end in digits: ``/about/lich-su-2020.html``): never articles.
_NOT_ARTICLE_SEGMENTS = frozenset(
    {"print", "sendmail", "savefile", "rss", "tag", "topic", "search", "rating", "groups", "author", "content"}
    | {"about", "page", "contact", "users", "seek", "feeds", "laws", "download", "faq", "voting", "banners"}
    | {"statistics", "siteterms", "comment", "menu", "two-step-verification"}
)


@dataclass(frozen=True)
class NukeVietUrlRules:
    """Article key and canonical URL of one NukeViet site.

    ``home_module`` is the news module the site's URLs leave out (``/index.php/<cat>/…``)
    and ``language`` the site's default language: articles of both have the bare id as key.
    """

    home_module: str = "news"
    language: str = "vi"

    def article_key(self, url: str) -> str | None:
        """``1234`` for ``/index.php/hoat-dong-mttq-cac-cap/trieu-phong-…-1234.html`` (the
        home module), ``en/news/77`` for ``/en/news/events/festival-77.html``; None for
        listings (``/<cat>/page-2/``), feeds, tags and the print/sendmail copies."""
        parts = urlsplit(url.strip())
        found = self._from_path(parts.path) or self._from_query(parts.query)
        if found is None:
            return None
        lang, module, cat, article_id = found
        if {module, cat} & _NOT_ARTICLE_SEGMENTS:
            return None
        prefix = [lang] if lang != self.language else []
        prefix += [module] if module != self.home_module else []
        return "/".join((*prefix, article_id))

    def _from_path(self, path: str) -> tuple[str, str, str, str] | None:
        match = _ARTICLE_PATH.match(path)
        if match is None:
            return None
        return match["lang"] or self.language, match["module"] or self.home_module, match["cat"], match["id"]

    def _from_query(self, query: str) -> tuple[str, str, str, str] | None:
        """Sites without URL rewriting: ``index.php?language=vi&nv=news&op=<cat>/<alias>-<id>``."""
        values = {k: v[0] for k, v in parse_qs(query).items()}
        match = _ARTICLE_OP.match(values.get("op", ""))
        if match is None or "nv" not in values:
            return None
        return values.get("language", self.language), values["nv"], match["cat"], match["id"]

    def canonicalize(self, url: str) -> str:
        """https, lower-case host; an article's rewritten URL loses query and fragment (a
        tracking ``?utm_…``), every other URL keeps its query (``index.php?nv=…``, ``?q=``)."""
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        rewritten_article = _ARTICLE_PATH.match(parts.path) is not None
        return urlunsplit(("https", host, parts.path or "/", "" if rewritten_article else parts.query, ""))


def url_rule(home_module: str = "news", language: str = "vi") -> NukeVietUrlRules:
    """The family's options in a portal file, both optional: ``home_module`` and ``language``."""
    return NukeVietUrlRules(home_module=home_module, language=language)


class NukeVietNewsParser(ArticleParser):
    """The detail page of NukeViet 4's news module (default theme and themes derived from it)."""

    NAME = "nukeviet"
    VERSION = "v1"
    ARTICLE = ('[itemtype$="schema.org/NewsArticle"]', "#news_detail", ".news_column")
    TITLE = ("h1.title", 'h1[itemprop="headline"]', "h1")
    DATE = ("span.h5", "em.time", "span.time", ".publtime")
    LEAD = ("div.hometext", "#hometext", 'div[itemprop="description"]')
    BODY = ("#news-bodyhtml", ".news_column .bodytext", "#news_detail .bodytext", '[itemprop="articleBody"]')
    BODY_NOISE = (*ArticleParser.BODY_NOISE, "figure", "figcaption", ".other-news", ".keywords")
    SECTION = (".breadcrumbs li", "ul.breadcrumb li", '[itemtype$="schema.org/BreadcrumbList"] [itemprop="name"]')
    AUTHOR_LINE = re.compile(r"^Tác giả\s*:\s*(?P<name>.+)$", re.IGNORECASE)
    # Headings of what follows an article: never article text, wherever they stand.
    TAIL_MARKERS = (
        re.compile(r"^Những tin (?:mới|cũ) hơn\s*:?$", re.IGNORECASE),
        re.compile(r"^Đang truy cập\b", re.IGNORECASE),
    )
    # The author, source and keyword lines after the body. Read from the panel they start its
    # tail; inside the body only closing ones go: "Nguồn: Tổng cục Thống kê" under a chart
    # in mid-article must not cut the rest.
    CLOSING_LINE = re.compile(r"^(?:Tác giả|Nguồn tin|Nguồn|Từ khóa|Từ khoá)\s*:", re.IGNORECASE)
    LINE_NOISE = (
        re.compile(rf"^{WEEKDAY_DASH_DATE_LINE.pattern}$", re.IGNORECASE),
        re.compile(r"^(?:Khách viếng thăm|Tổng lượt truy cập)\s*:?\s*[\d.]*$", re.IGNORECASE),
    )
    # What the article panel holds besides the body (dropped when the panel is read as the body).
    PANEL_ONLY = (
        *("h1.title", 'h1[itemprop="headline"]', "span.h5", "div.hometext", "#hometext", 'div[itemprop="description"]'),
        *(".other-news", "ul.related", ".hidden", "ul.list-inline", "form"),
    )
    VIEWS = re.compile(r"Lượt xem\s*:?\s*(\d[\d.,]*)", re.IGNORECASE)
    CATEGORY_FEED = 'link[rel="alternate"][type="application/rss+xml"][href*="/rss/"]::attr(title)'
    # An image with its caption: CKEditor's and 4.5's ``figure``, 4.0's ``div#imghome`` (note in ``p > em``).
    IMAGE_HOLDER = "ancestor::*[self::figure or @id='imghome'][1]"
    OWN_TEXT = ".//text()[not(ancestor::*[self::figure or @id='imghome'])]"
    TAG_LINKS = '.news_column a[href*="/tag/"], .keywords a'
    GENERIC_CRUMBS = frozenset({"trang chủ", "trang nhất", "home", "tin tức"})

    @classmethod
    def matches(cls, page: Selector) -> bool:
        generator = page.css('meta[name="generator"]::attr(content)').get() or ""
        return bool(page.css("#news-bodyhtml")) or (
            generator.startswith("NukeViet") and any(page.css(selector) for selector in cls.BODY)
        )

    @cached_property
    def article(self) -> Selector | None:
        """The article panel: the first wrapper that holds the headline."""
        for selector in self.ARTICLE:
            for node in self.page.css(selector):
                if node.css("h1"):
                    return node
        return None

    @cached_property
    def scope(self) -> Selector | None:
        """Where the article's own fields are: its panel, else its body; never the whole page,
        whose sidebar teasers carry their own dates, leads and names."""
        return self.article if self.article is not None else super().body_container()

    @cached_property
    def scope_text(self) -> str:
        return normalize_line(" ".join(self.scope.css("::text").getall())) if self.scope is not None else ""

    def in_article(self, *selectors: str) -> str | None:
        return first_text_in(self.scope, *selectors) if self.scope is not None else None

    # -- the fields ---------------------------------------------------------------

    def title(self) -> str | None:
        """The panel's h1; else ``og:title``/``<title>`` without the " - <site name>" NukeViet appends."""
        title = self.in_article(*self.TITLE) if self.article is not None else None
        if title:
            return title
        fallback = super().title()
        site_name = self.meta("og:site_name")
        if fallback and site_name and fallback.endswith(f" - {site_name}"):
            return fallback.removesuffix(f" - {site_name}").strip()
        return fallback

    def lead(self) -> str | None:
        """The hometext without the lead image's caption (4.0 puts ``div#imghome`` with its
        ``<p><em>`` note inside ``#hometext``); never ``meta description``, which a theme may
        fill with the site's."""
        if self.scope is None:
            return None
        for selector in self.LEAD:
            for node in self.scope.css(selector):
                text = normalize_line(" ".join(node.xpath(self.OWN_TEXT).getall()))
                if text:
                    return text
        return None

    def published_at(self) -> PublicationTime | None:
        """The date line, the schema.org ``datePublished``, ``article:published_time``, then a
        weekday-dash line anywhere in the panel (a theme that renamed ``span.h5``)."""
        return self.first_time(
            self.in_article(*self.DATE),
            self.page.css('[itemprop="datePublished"]::attr(content), [itemprop="datePublished"]::text').get(),
            self.meta("article:published_time"),
            find_weekday_date_line(self.scope_text),
        )

    def authors(self) -> list[str]:
        """ "Tác giả: …" after the body; else a right-aligned or bold name closing the body
        (editors who leave the author field empty type it there); else the meta tags."""
        lines = self.scope.xpath(".//p | .//div[not(.//p)]") if self.scope is not None else []
        for node in lines:
            match = self.AUTHOR_LINE.match(normalize_line(" ".join(node.css("::text").getall())))
            if match:
                return split_authors(match["name"])
        container = self.body_container()
        block = find_author_block(container.root) if container is not None else None
        if block is not None:
            return split_authors(block_text(block))
        names = split_authors(self.meta("author") or "")
        site_name = self.meta("og:site_name")
        return [n for n in names if n != site_name]

    def section(self) -> str | None:
        """``article:section``, the deepest named breadcrumb, else the category feed NukeViet
        announces on an article page (``<link rel=alternate type=application/rss+xml title=<cat>>``)."""
        crumbs = next((found for selector in self.SECTION if (found := self.all_texts(selector))), [])
        named = [c for c in crumbs if c.casefold() not in self.GENERIC_CRUMBS and c != self.title()]
        feeds = [normalize_line(t) for t in self.page.css(self.CATEGORY_FEED).getall()]
        # The module's own feed ("Tin tức") comes first, the category's last.
        categories = [f for f in feeds if f and f.casefold() not in self.GENERIC_CRUMBS]
        return (
            self.meta("article:section") or (named[-1] if named else None) or (categories[-1] if categories else None)
        )

    def tags(self) -> list[str]:
        """The keyword links of the keywords panel (``/<module>/tag/<alias>``), else the meta tags."""
        links = [normalize_line(" ".join(a.css("::text").getall())) for a in self.page.css(self.TAG_LINKS)]
        return unique(t for t in links if t) or super().tags()

    def images(self) -> list[Image]:
        """The lead image (``figure.article`` by the hometext) and the body's images, each with
        its ``figcaption`` (CKEditor's image2) or the caption block under it."""
        if self.scope is None:
            return []
        title = (self.title() or "").casefold()
        images: list[Image] = []
        for img in self.scope.css("img"):
            if img.xpath("ancestor::*[contains(@class, 'other-news') or contains(@class, 'keywords')]"):
                continue
            holder = img.xpath(self.IMAGE_HOLDER)
            image = self.captioned_image(holder[0], "figcaption ::text, p em ::text", title) if holder else None
            if image is None and image_source(img.root):
                image = Image(self.absolute(image_source(img.root) or ""), None)
            if image is not None and image.url not in {i.url for i in images}:
                images.append(image)
        return images

    # -- body ---------------------------------------------------------------------

    def body_container(self) -> Selector | None:
        """``#news-bodyhtml``; else the article panel (its tail cut by the markers), never the page."""
        content = super().body_container()
        return content if content is not None else self.article

    def clean_paragraphs(self, paragraphs: list[str], title: str | None, images: list[Image]) -> list[str]:
        kept = super().clean_paragraphs(paragraphs, title, images)
        if super().body_container() is None:  # the panel: the first closing line starts the tail
            cut = next((i for i, p in enumerate(kept) if self.CLOSING_LINE.match(p)), len(kept))
            kept, dropped = kept[:cut], kept[cut:]
        else:
            dropped = []
            while kept and self.CLOSING_LINE.match(kept[-1]):
                dropped.insert(0, kept.pop())
        self.cleanup.extend("closing_line" for _ in dropped[:1])
        return kept

    def prune_container(self, root: Any) -> None:
        """Drop a name line closing the body (the author, see :meth:`authors`); without the
        body div the panel is read: drop its headline, date, lead and related lists too."""
        author = find_author_block(root)
        if author is not None:
            drop_node(author)
            self.cleanup.append("author_line")
        for selector in self.PANEL_ONLY:
            for node in compiled_css(selector)(root):
                drop_node(node)
                self.cleanup.append(f"drop:{selector}")

    def view_count(self) -> int | None:
        """ "Lượt xem: 356" where a theme prints it in the panel (the default theme does not)."""
        match = self.VIEWS.search(self.scope_text)
        return int(re.sub(r"\D", "", match[1])) if match else None


def listing_date(item: Selector) -> PublicationTime | None:
    """A listing item's date: viewcat templates print ``d/m/Y h:i:s A`` in an ``em``/``time``/
    ``.text-muted`` beside the title, related lists "(12/06/2025)"."""
    for text in item.css("time::attr(datetime), time ::text, .text-muted ::text, em ::text, span ::text").getall():
        value = normalize_line(text).strip("() ")
        found = parse_iso(value) or parse_vietnamese_datetime(value) if value else None
        if found:
            return found
    return None


# Category pages (viewcat_page, viewcat_grid) wrap each item in ``div.news_column`` → ``div.panel-body``,
# viewcat_list and the related lists in an ``li``. Not ``news_column`` itself: a theme may wrap the
# whole list in one, and a link outside every item must not take the first item's date.
MARKUP = ListingMarkup(item_classes=("panel-body", "item"))

# Portals on this CMS: ubmttqvn_quangtri (seeds/portals/<id>.toml, family = "nukeviet").
FAMILY = Family(
    name="nukeviet", parsers=(NukeVietNewsParser,), url_rule=url_rule, listing_markup=MARKUP, listing_date=listing_date
)

__all__ = ["FAMILY", "NukeVietNewsParser", "NukeVietUrlRules", "listing_date"]
