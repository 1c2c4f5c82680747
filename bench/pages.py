"""Replica-like article pages in any number, for every portal family.

Each bundled replica's article pages are the templates: a generated page keeps the
template's whole markup (navigation, sidebars, scripts, metadata) and gets another
body, made of paragraphs taken from the replica pages themselves (the seed texts),
shuffled and cut to another length, plus one generated sentence that makes each
body unique. Nothing outside the repository is read.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from lxml import etree
from lxml import html as lxml_html
from parsel import Selector

from dvk_crawl.extract import ExtractionError, extract_with_details
from dvk_crawl.portals.registry import PORTALS, get_portal
from dvk_crawl.replica.server import available_sites, load_site

MIN_PARAGRAPH = 60  # shorter lines are captions, author lines, headings


@dataclass(frozen=True)
class Template:
    portal: str
    url: str
    html: str
    parser: str


@dataclass(frozen=True)
class Page:
    portal: str
    url: str
    html: str


@cache
def templates() -> tuple[Template, ...]:
    """Every replica page that extracts to an article with a body, in a stable order."""
    found = []
    for portal in sorted(set(available_sites()) & set(PORTALS)):
        seen_files = set()
        for path, route in sorted(load_site(portal).items()):
            if route.file is None or route.status != 200 or route.file in seen_files:
                continue
            if "html" not in route.content_type:
                continue
            seen_files.add(route.file)
            template = _template(portal, path, route.file.read_text(encoding="utf-8"))
            if template is not None:
                found.append(template)
    return tuple(found)


def _template(portal: str, path: str, html: str) -> Template | None:
    site = get_portal(portal)
    page = Selector(text=html)
    declared = page.css('link[rel="canonical"]::attr(href), meta[property="og:url"]::attr(content)').getall()
    candidates = [*declared, site.home.rstrip("/") + path]
    url = next((u for u in candidates if u.startswith("http") and site.article_key(site.canonicalize(u))), None)
    if url is None:
        return None
    try:
        extraction = extract_with_details(html, url, portal)
    except ExtractionError:
        return None
    if not extraction.article.text or _body(html, portal) is None:
        return None
    return Template(portal, url, html, extraction.article.parser or "")


def _body(html: str, portal: str) -> str | None:
    """The CSS selector of the template's body container (the parser's own)."""
    page = Selector(text=html)
    for selector in get_portal(portal).parser_for(page).BODY:
        if page.css(selector):
            return selector
    return None


@cache
def paragraph_pool() -> tuple[str, ...]:
    """Body paragraphs of every template: Vietnamese campaign prose from the seed texts."""
    pool: dict[str, None] = {}
    for template in templates():
        text = extract_with_details(template.html, template.url, template.portal).article.text
        for paragraph in text.split("\n\n"):
            if len(paragraph) >= MIN_PARAGRAPH:
                pool[paragraph] = None
    return tuple(pool)


_PLACES = ("Cẩm Xuyên", "Hương Sơn", "Bát Xát", "Mù Cang Chải", "Lục Yên", "Minh Long", "Triệu Phong", "Sa Pa")
_WORKS = ("đường giao thông nông thôn", "nhà văn hóa thôn", "vườn mẫu", "kênh mương nội đồng", "điện chiếu sáng")


def unique_sentence(rng: random.Random, number: int) -> str:
    """One sentence no other generated page has: it keeps bodies apart and relevant."""
    return (
        f"Năm {rng.randint(2015, 2025)}, xã {rng.choice(_PLACES)} số {number} có {rng.randint(3, 400)} mô hình"
        f" “dân vận khéo”, nhân dân hiến {rng.randint(100, 9000)} m² đất, góp {rng.randint(2, 900)} triệu đồng"
        f" làm {rng.randint(1, 30)} km {rng.choice(_WORKS)}."
    )


def vary(template: Template, rng: random.Random, number: int, paragraphs: int | None = None) -> str:
    """The template with another body of ``paragraphs`` paragraphs (random when None)."""
    selector = _body(template.html, template.portal)
    assert selector is not None
    root = lxml_html.document_fromstring(template.html)
    container = root.cssselect(selector)[0]
    slots = [
        p for p in container.iter("p") if len(p.text_content().strip()) >= MIN_PARAGRAPH and not p.findall(".//img")
    ]
    if not slots:
        slots = [etree.SubElement(container, "p")]
    count = paragraphs or rng.randint(3, 12)
    texts = [unique_sentence(rng, number), *rng.sample(paragraph_pool(), min(count, len(paragraph_pool())) - 1)]
    while len(slots) < len(texts):
        clone = copy.deepcopy(slots[-1])
        clone.tail = "\n"
        slots[-1].addnext(clone)
        slots.append(clone)
    for slot, text in zip(slots, texts, strict=False):
        _set_text(slot, text)
    for extra in slots[len(texts) :]:
        extra.drop_tree()
    return etree.tostring(root.getroottree(), encoding="unicode", method="html", doctype="<!DOCTYPE html>")


def _set_text(element: lxml_html.HtmlElement, text: str) -> None:
    for child in list(element):
        element.remove(child)
    element.text = text


def generate(count: int, seed: int = 8) -> Iterator[Page]:
    """``count`` pages, round-robin over portals (every family in every batch), reproducible."""
    rng = random.Random(seed)
    by_portal: dict[str, list[Template]] = {}
    for template in templates():
        by_portal.setdefault(template.portal, []).append(template)
    portals = sorted(by_portal)
    for number in range(count):
        portal = portals[number % len(portals)]
        template = by_portal[portal][(number // len(portals)) % len(by_portal[portal])]
        yield Page(portal, template.url, vary(template, rng, number))


def with_article_id(html: str, old: str, new: str) -> str:
    """The page with every occurrence of an article id (links, canonical, JSON-LD) replaced."""
    return re.sub(rf"(?<!\d){re.escape(old)}(?!\d)", new, html)
