"""The generated portal of the discovery benchmark (issue 14) tells the truth about itself,
and ``bench/discovery.py`` computes its numbers from the crawl. Small sizes, no timing."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from parsel import Selector

from bench import discovery
from dvk_crawl.derived import match_keywords
from dvk_crawl.extract import extract_article
from dvk_crawl.keywords import default_keywords
from dvk_crawl.replica.generated_portal import (
    EVIDENCE_KINDS,
    FEED_SIZE,
    PAGE_SIZE,
    GeneratedPortal,
    PortalShape,
    serve_portal,
    slugify,
)

SIZE = 2_000
"""Enough for two pages of search hits; the benchmark's own crawl runs at CRAWL_SIZE."""
CRAWL_SIZE = 600


@pytest.fixture(scope="module")
def portal() -> GeneratedPortal:
    return GeneratedPortal(PortalShape(articles=SIZE))


def paged_links(portal: GeneratedPortal, first: str) -> tuple[list[list[str]], list[str]]:
    """Article paths of every page of a listing, following its "next" link, and the page targets."""
    pages, targets, target = [], [], first
    while target:
        status, _, html = portal.respond(target)
        assert status == 200, target
        page = Selector(text=html)
        pages.append(
            [href.removeprefix("https://baohatinh.vn") for href in page.css(".story__heading a::attr(href)").getall()]
        )
        targets.append(target)
        target = page.css(".pagination a.next::attr(href)").get("").removeprefix("https://baohatinh.vn")
    return pages, targets


def test_every_evidence_kind_has_the_articles_the_shape_asks_for(portal: GeneratedPortal) -> None:
    counts = {kind: len(ids) for kind, ids in portal.campaign_by_kind().items()}
    assert counts == portal.shape.campaign_counts()
    assert all(counts[kind] > 0 for kind in EVIDENCE_KINDS)
    assert 0.01 <= sum(counts.values()) / SIZE <= 0.02
    # Twice the same: the seed decides everything.
    assert GeneratedPortal(PortalShape(articles=SIZE)).campaign_by_kind() == portal.campaign_by_kind()


def test_the_kinds_are_what_discovery_can_see_on_the_served_pages(portal: GeneratedPortal) -> None:
    search_pages, _ = paged_links(portal, "/tim-kiem/?q=d%C3%A2n%20v%E1%BA%ADn%20kh%C3%A9o")
    tag_pages, _ = paged_links(portal, "/dan-van-kheo-tag4017.html")
    in_search = {path for page in search_pages for path in page}
    on_tag = {path for page in tag_pages for path in page}
    by_id = {a.record_id: a for a in portal.articles}
    for kind, ids in portal.campaign_by_kind().items():
        for article in (by_id[record_id] for record_id in ids):
            slug_has_it = "dan-van-kheo" in article.path
            assert (kind == "title") == slug_has_it, article.path
            if kind == "search":
                assert article.path in in_search
            if kind in ("tag", "none"):
                assert article.path not in in_search
                assert (article.path in on_tag) == (kind == "tag")
    # The search also answers articles with the words but not the phrase; the tag lists a few too.
    campaign = {by_id[i].path for ids in portal.campaign_by_kind().values() for i in ids}
    assert in_search - campaign and on_tag - campaign


def test_search_and_tag_are_paged_twenty_a_page_to_their_end(portal: GeneratedPortal) -> None:
    hits = portal.search("dân vận khéo")
    pages, targets = paged_links(portal, "/tim-kiem/?q=d%C3%A2n+v%E1%BA%ADn+kh%C3%A9o")
    assert [len(p) for p in pages[:-1]] == [PAGE_SIZE] * (len(pages) - 1) and 0 < len(pages[-1]) <= PAGE_SIZE
    assert [p for page in pages for p in page] == [a.path for a in hits]
    assert targets[1].endswith("&page=2")
    dates = [a.published for a in hits]
    assert dates == sorted(dates, reverse=True)
    beyond = portal.respond(f"/tim-kiem/?q=d%C3%A2n+v%E1%BA%ADn+kh%C3%A9o&page={len(pages) + 1}")[2]
    assert not Selector(text=beyond).css(".story__heading a")
    tag_pages, _ = paged_links(portal, "/dan-van-kheo-tag4017.html")
    assert [p for page in tag_pages for p in page] == [a.path for a in portal.tagged]


def test_every_article_is_in_a_monthly_sitemap_of_the_index_and_the_feed_has_the_newest(
    portal: GeneratedPortal,
) -> None:
    index = Selector(text=portal.respond("/sitemap.xml")[2], type="xml")
    index.remove_namespaces()
    listed: list[str] = []
    for loc, lastmod in zip(
        index.xpath("//sitemap/loc/text()").getall(), index.xpath("//sitemap/lastmod/text()").getall(), strict=True
    ):
        assert re.search(r"/sitemaps/news-\d{4}-\d{1,2}\.xml$", loc) and lastmod
        urlset = Selector(text=portal.respond(loc.removeprefix("https://baohatinh.vn"))[2], type="xml")
        urlset.remove_namespaces()
        assert len(urlset.xpath("//url/lastmod")) == len(urlset.xpath("//url/loc"))
        listed += urlset.xpath("//url/loc/text()").getall()
    assert sorted(listed) == sorted(a.url for a in portal.articles)
    feed = Selector(text=portal.respond("/rss/home.rss")[2], type="xml")
    assert feed.xpath("//item/link/text()").getall() == [a.url for a in portal.articles[:FEED_SIZE]]


def test_article_pages_extract_to_the_generated_article_and_only_campaign_ones_are_relevant(
    portal: GeneratedPortal,
) -> None:
    campaign = {i for ids in portal.campaign_by_kind().values() for i in ids}
    sample = [a for a in portal.articles if a.record_id in campaign or a.role != "other"] + portal.articles[:20]
    for article in sample:
        status, _, html = portal.respond(article.path)
        record = extract_article(html, article.url, "baohatinh")
        assert status == 200 and record.id == article.record_id and record.title == article.title
        assert record.published_at == article.published.isoformat()
        relevant = bool(match_keywords(default_keywords(), record.title, record.lead, record.text))
        assert relevant == (article.record_id in campaign), article.path
    assert slugify("Đường “dân vận khéo” ở Cẩm Xuyên") == "duong-dan-van-kheo-o-cam-xuyen"


def test_the_server_answers_the_pages_and_notes_every_target(portal: GeneratedPortal) -> None:
    with serve_portal(portal) as server:
        article = portal.articles[3]
        with urllib.request.urlopen(server.base_url + article.path) as answer:
            assert article.title in answer.read().decode("utf-8")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(server.base_url + "/no-such-post1.html")
        assert missing.value.code == 404
        missing.value.close()
        assert server.take_served() == [article.path, "/no-such-post1.html"]
        assert server.take_served() == []


def test_requests_are_classified_by_what_they_were_for() -> None:
    assert discovery.classify("/robots.txt") == "robots"
    assert discovery.classify("/sitemaps/news-2025-9.xml") == "sitemap"
    assert discovery.classify("/tim-kiem/?q=d%C3%A2n&page=3") == "search"
    assert discovery.classify("/dan-van-kheo-tag4017.html?page=2") == "tag"
    assert discovery.classify("/xa-ky-anh-post306656.html") == "article"


def test_the_extrapolation_follows_the_default_politeness() -> None:
    # settings.py: DOWNLOAD_DELAY 0.5, AutoThrottle on with target concurrency 2.0.
    assert discovery.seconds_per_request(0.5) == 0.5
    assert discovery.seconds_per_request(2.0) == 1.0
    assert discovery.seconds_per_request(1000.0) == 30.0


def test_a_goal_fails_when_its_mode_did_not_run() -> None:
    result = {"modes": {"exhaustive": {"recall": 1.0}}}
    checked = discovery.goals(result)
    assert checked["exhaustive_recall"]["pass"] and not checked["targeted_recall_with_evidence"]["pass"]


@pytest.mark.slow
def test_the_benchmark_measures_recall_and_requests_from_the_crawl(tmp_path: Path) -> None:
    """Both modes (exhaustive only until targeted mode exists) crawl a small portal."""
    output = tmp_path / "discovery.json"
    code = discovery.main(["--articles", str(CRAWL_SIZE), "--json", str(output)])
    result = __import__("json").loads(output.read_text(encoding="utf-8"))
    assert code == (1 if result["goals_failed"] else 0)
    exhaustive = result["modes"]["exhaustive"]
    campaign = sum(result["campaign_by_kind"].values())
    assert exhaustive["recall"] == 1.0 and exhaustive["stored"] == campaign
    requests = exhaustive["requests"]
    assert requests["article"] == CRAWL_SIZE and requests["article_campaign"] == campaign
    assert requests["total"] == requests["scrapy_request_count"]
    assert requests["by_kind"]["sitemap"] == result["monthly_sitemaps"]
    assert exhaustive["real_portal"]["requests"] > discovery.REAL_ARTICLES * 0.95
    if result["targeted_available"]:
        targeted = result["modes"]["targeted"]
        assert targeted["requests"]["article"] < requests["article"]
        assert targeted["discovery_stats"]["skipped_no_evidence"] > 0
        assert targeted["recall_by_kind"]["none"]["found"] == 0
