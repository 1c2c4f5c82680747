"""A loopback replica of a baohatinh-family portal with any number of articles.

The bundled replica has a handful of articles; a throughput benchmark needs
thousands. This writes a replica site folder (``routes.json`` and its files, served
by ``dvk_crawl.replica.server``) with the live portal's discovery structure: robots,
an RSS feed of the newest 20, a sitemap index of monthly sitemaps, the campaign's
tag listing paged 20 a page, its topic page, and an empty site search. Article
pages are the replica's own baohatinh pages with other bodies (``bench.pages``).
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from bench.pages import Template, templates, vary, with_article_id
from dvk_crawl.derived import derive_fields
from dvk_crawl.extract import extract_article
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.replica.server import route_key

HOME = "https://baohatinh.vn"
FIRST_ID = 400000
PER_PAGE = 20
_TAG = "/dan-van-kheo-tag4017.html"


def _article_templates(portal: str) -> list[Template]:
    """Vietnamese article templates of the portal (the English case would be dropped)."""
    site = get_portal(portal)
    return [
        t
        for t in templates()
        if t.portal == portal
        and derive_fields(extract_article(t.html, t.url, portal)).language == "vi"
        and site.owns_host(t.url.split("/")[2])
    ]


def build_site(directory: Path, articles: int, portal: str = "baohatinh", seed: int = 6) -> Path:
    """Write the site to ``directory/<portal>`` and return that folder."""
    site_dir = directory / portal
    if site_dir.exists():
        shutil.rmtree(site_dir)
    (site_dir / "pages").mkdir(parents=True)
    rng = random.Random(seed)
    pool = _article_templates(portal)
    routes: dict[str, dict[str, Any]] = {}
    entries = []
    newest = datetime(2025, 9, 30, 18, 0)
    for number in range(articles):
        article_id = FIRST_ID + number
        template = pool[number % len(pool)]
        old_id = get_portal(portal).article_key(get_portal(portal).canonicalize(template.url)) or ""
        path = f"/dan-van-kheo-so-{number}-post{article_id}.html"
        html = with_article_id(vary(template, rng, number), old_id, str(article_id))
        html = html.replace(template.url.removeprefix(HOME), path)
        file = f"pages/{article_id}.html"
        (site_dir / file).write_text(html, encoding="utf-8")
        routes[path] = {"file": file}
        entries.append((path, f"Dân vận khéo số {number}", newest - timedelta(hours=8 * number)))
    _write_discovery(site_dir, routes, entries)
    (site_dir / "routes.json").write_text(json.dumps(routes, ensure_ascii=False, indent=1), encoding="utf-8")
    return site_dir


def _write_discovery(
    site_dir: Path, routes: dict[str, dict[str, Any]], entries: list[tuple[str, str, datetime]]
) -> None:
    def add(path: str, name: str, body: str, content_type: str) -> None:
        (site_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / name).write_text(body, encoding="utf-8")
        routes[path] = {"file": name, "content_type": content_type}

    add("/robots.txt", "robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {HOME}/sitemap.xml\n", "text/plain")
    add("/rss/home.rss", "rss/home.rss", _rss(entries[:PER_PAGE]), "application/rss+xml; charset=utf-8")
    months: dict[tuple[int, int], list[tuple[str, str, datetime]]] = {}
    for entry in entries:
        months.setdefault((entry[2].year, entry[2].month), []).append(entry)
    index = []
    for (year, month), items in months.items():
        name = f"sitemaps/news-{year}-{month}.xml"
        add(f"/{name}", name, _urlset(items), "application/xml; charset=utf-8")
        index.append(f"<sitemap><loc>{HOME}/{name}</loc><lastmod>{_iso(items[0][2])}</lastmod></sitemap>")
    add("/sitemap.xml", "sitemap.xml", _xml("sitemapindex", index), "application/xml; charset=utf-8")
    pages = [entries[i : i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)]
    for number, items in enumerate(pages, start=1):
        next_url = f"{HOME}{_TAG}?page={number + 1}" if number < len(pages) else None
        add(f"{_TAG}?page={number}", f"pages/tag/{number}.html", _listing(items, next_url), "text/html; charset=utf-8")
    routes[route_key(_TAG)] = routes[f"{_TAG}?page=1"]
    add("/chu-de/dan-van-kheo.html", "pages/topic.html", _listing(entries[:PER_PAGE], None), "text/html; charset=utf-8")
    empty = '<!DOCTYPE html>\n<html lang="vi"><body><main><p>Không tìm thấy kết quả nào.</p></main></body></html>\n'
    add("/tim-kiem/?*", "pages/search-empty.html", empty, "text/html; charset=utf-8")


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "+07:00"


def _xml(root: str, children: list[str]) -> str:
    body = "\n  ".join(children)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"  {body}\n</{root}>\n"
    )


def _urlset(items: list[tuple[str, str, datetime]]) -> str:
    return _xml(
        "urlset", [f"<url><loc>{HOME}{path}</loc><lastmod>{_iso(when)}</lastmod></url>" for path, _, when in items]
    )


def _rss(items: list[tuple[str, str, datetime]]) -> str:
    rows = "".join(
        f"<item><title>{escape(title)}</title><link>{HOME}{path}</link>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S')} +0700</pubDate></item>\n"
        for path, title, when in items
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Báo Hà Tĩnh</title>\n'
    return f"{head}{rows}</channel></rss>\n"


def _listing(items: list[tuple[str, str, datetime]], next_url: str | None) -> str:
    stories = "".join(
        f'<article class="story"><h3 class="story__heading"><a class="cms-link" href="{HOME}{path}">{escape(title)}</a>'
        f'</h3><div class="story__meta"><time class="time">{when.strftime("%d/%m/%Y %H:%M")}</time></div></article>\n'
        for path, title, when in items
    )
    pager = f'<div class="pagination"><a class="next" href="{next_url}">Xem thêm</a></div>' if next_url else ""
    head = '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>Dân vận khéo</title></head>\n'
    return f"{head}<body><main>{stories}{pager}</main></body></html>\n"
