"""Targeted discovery (issue 14): a link is fetched only with evidence seen before download.

Each kind of evidence, the links left out (counted, listed, fetched once evidence turns up),
exhaustive mode, paging of search and coverage listings, and the conditional requests that
make an unchanged feed cost a 304.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import unquote
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet import error as twisted_error

from dvk_crawl.downloadermiddlewares.httpcache import DiscoveryCacheMiddleware
from dvk_crawl.evidence import EvidenceRules, SkippedLinks, feed_text, skipped_urls
from dvk_crawl.httpcache import DiscoveryRevalidationPolicy
from dvk_crawl.keywords import Keywords, SeedFileError
from dvk_crawl.replica import serve
from dvk_crawl.seeds import load_portal_file
from dvk_crawl.spiders.base import SpiderArgumentError
from dvk_crawl.store import crawler_store, open_store
from dvk_crawl.text import fold_ascii
from tests.conftest import run_crawl
from tests.test_spider_discovery import make_spider, stat
from tests.test_store_backends import record

RULES = EvidenceRules.from_keywords(Keywords(("dân vận khéo",)))
BASE = "https://baohatinh.vn"
PLAIN = f"{BASE}/hoi-nghi-tong-ket-post1.html"  # no keyword in the slug


def requests_of(results: Any) -> dict[str, Request]:
    return {r.url: r for r in results if isinstance(r, Request)}


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=Request(url))


@pytest.mark.parametrize(
    "text",
    [
        "Lan tỏa phong trào “Dân vận khéo”",
        unicodedata.normalize("NFD", "DÂN VẬN KHÉO ở Cẩm Xuyên"),
        "dan van kheo",
        "/cam-xuyen-nhan-rong-mo-hinh-dan-van-kheo-post1.html",
    ],
)
def test_a_keyword_is_found_whatever_its_case_quotes_unicode_form_or_diacritics(text: str) -> None:
    assert RULES.in_text(text)


def test_only_whole_words_count() -> None:
    assert not RULES.in_text("dân vận khéoléo") and not RULES.in_text("công tác dân vận")
    assert fold_ascii("Đảng “Dân vận”") == "dang dan van"


def test_an_invisible_character_inside_a_word_does_not_split_it() -> None:
    # A soft hyphen or zero-width joiner pasted into a title ("khé\u00ado") is no word break.
    assert fold_ascii("Dân vận khé\u00ado") == fold_ascii("Dân v\u200dận khéo") == "dan van kheo"
    assert RULES.in_text("Mô hình Dân vận khé\u00ado ở Cẩm Xuyên")


def test_a_slug_counts_percent_encoded_and_the_host_or_query_never() -> None:
    assert RULES.in_slug(f"{BASE}/d%C3%A2n-v%E1%BA%ADn-kh%C3%A9o-post1.html")
    assert not RULES.in_slug("https://dan-van-kheo.example/a-post1.html?q=dan-van-kheo")


def test_rss_items_are_fetched_for_a_keyword_in_their_title_or_description_only() -> None:
    spider = make_spider()
    feed = f"""<rss><channel>
      <item><title>Hội nghị tổng kết</title><link>{PLAIN}</link>
            <description>Mô hình “dân vận khéo” ở Cẩm Xuyên</description></item>
      <item><title>Nông dân thu hoạch lúa</title><link>{BASE}/lua-post2.html</link>
            <description><![CDATA[<img src="/dan-van-kheo.jpg"/>Lúa hè thu]]></description></item>
    </channel></rss>"""
    requested = requests_of(spider.parse_rss(XmlResponse(url=f"{BASE}/rss/home.rss", body=feed.encode())))
    assert list(requested) == [PLAIN] and requested[PLAIN].meta["dvk_evidence"] == "link_text"
    assert stat(spider, "discovery/skipped_no_evidence") == 1
    assert spider.skipped.report()["by_source"]["rss"]["urls"] == [f"{BASE}/lua-post2.html"]


def test_a_keyword_written_with_character_references_in_a_feed_is_still_evidence() -> None:
    spider = make_spider()
    feed = f"""<rss><channel>
      <item><title>Tin 1</title><link>{PLAIN}</link>
            <description><![CDATA[<p>Phong tr&agrave;o &ldquo;D&acirc;n v&#7853;n kh&eacute;o&rdquo;</p>]]>
            </description></item>
      <item><title>Tin 2</title><link>{BASE}/tin-hai-post2.html</link>
            <description>D&amp;acirc;n v&amp;#7853;n kh&amp;eacute;o</description></item>
    </channel></rss>"""
    requested = requests_of(spider.parse_rss(XmlResponse(url=f"{BASE}/rss/home.rss", body=feed.encode())))
    assert set(requested) == {PLAIN, f"{BASE}/tin-hai-post2.html"}
    assert feed_text("<b>D&acirc;n</b> v&#7853;n") == " Dân  vận"


def test_sitemap_entries_are_fetched_for_a_slug_a_news_title_or_an_image_caption() -> None:
    spider = make_spider()
    sitemap = f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
      <url><loc>{BASE}/nhan-rong-dan-van-kheo-post1.html</loc></url>
      <url><loc>{BASE}/a-post2.html</loc><news:news><news:title>Dân vận khéo ở xã</news:title></news:news></url>
      <url><loc>{BASE}/b-post3.html</loc><image:image><image:caption>“DÂN VẬN KHÉO”</image:caption></image:image></url>
      <url><loc>{BASE}/c-post4.html</loc><news:news><news:title>Thu hoạch lúa</news:title></news:news></url>
    </urlset>"""
    requested = requests_of(spider.parse_sitemap(XmlResponse(url=f"{BASE}/s.xml", body=sitemap.encode())))
    assert {url.rsplit("/", 1)[1]: r.meta["dvk_evidence"] for url, r in requested.items()} == {
        "nhan-rong-dan-van-kheo-post1.html": "slug",
        "a-post2.html": "link_text",
        "b-post3.html": "link_text",
    }
    assert stat(spider, "discovery/evidence/link_text") == 2 and stat(spider, "discovery/evidence/slug") == 1
    assert spider.skipped.report()["by_source"]["sitemap"]["urls"] == [f"{BASE}/c-post4.html"]


LISTING = f"""<html><body>
  <nav><a href="{BASE}/menu-post9.html">Tin mới</a></nav>
  <article><a href="{PLAIN}">Hội nghị</a><p>Nhân rộng mô hình dân vận khéo</p></article>
  <article><a href="{BASE}/lua-post2.html">Thu hoạch lúa</a></article>
  <a href="{BASE}/tin-khac-post3.html">Phong trào “Dân vận khéo” lan tỏa</a>
</body></html>"""


def test_a_coverage_listing_fetches_items_whose_text_names_a_keyword() -> None:
    spider = make_spider()
    requested = requests_of(spider.parse_listing(html(f"{BASE}/thoi-su", LISTING), page=1))
    assert set(requested) == {PLAIN, f"{BASE}/tin-khac-post3.html"}  # an item's text, a lone link's own
    assert stat(spider, "discovery/skipped_no_evidence") == 2


@pytest.mark.parametrize("kind", ["search", "campaign_listing"])
def test_every_link_of_a_search_or_campaign_listing_is_evidence(kind: str) -> None:
    spider = make_spider()
    requested = requests_of(spider.parse_listing(html(f"{BASE}/tim-kiem/?q=x", LISTING), page=1, evidence=kind))
    assert len(requested) == 4 and {r.meta["dvk_evidence"] for r in requested.values()} == {kind}
    assert stat(spider, f"discovery/evidence/{kind}") == 4 and stat(spider, "discovery/skipped_no_evidence") == 0


def test_evidence_listings_and_search_start_with_their_kind_and_coverage_without() -> None:
    spider = make_spider()
    kinds = {unquote(r.url): r.cb_kwargs.get("evidence") for r in spider.start_points()}
    assert kinds[f"{BASE}/dan-van-kheo-tag4017.html"] == "campaign_listing"
    assert kinds[f"{BASE}/tim-kiem/?q=dân vận khéo"] == "search"
    assert kinds[f"{BASE}/rss/home.rss"] is None and kinds[f"{BASE}/sitemap.xml"] is None


def test_a_link_skipped_first_is_fetched_once_evidence_turns_up() -> None:
    spider = make_spider()
    assert spider.article_request(PLAIN) is None and stat(spider, "discovery/skipped_no_evidence") == 1
    requested = requests_of(spider.parse_listing(html(f"{BASE}/tim-kiem/?q=x", LISTING), page=1, evidence="search"))
    assert PLAIN in requested
    assert stat(spider, "discovery/skipped_no_evidence") == 0 and spider.skipped.report()["count"] == 0


def test_exhaustive_fetches_every_link_and_counts_those_without_evidence() -> None:
    spider = make_spider(discovery="exhaustive")
    requested = requests_of(spider.parse_listing(html(f"{BASE}/thoi-su", LISTING), page=1))
    assert len(requested) == 4 and stat(spider, "discovery/evidence/none") == 2
    assert stat(spider, "discovery/skipped_no_evidence") == 0


def test_a_wrong_discovery_mode_is_one_clear_error() -> None:
    with pytest.raises(SpiderArgumentError, match="discovery='all' must be one of: targeted, exhaustive"):
        make_spider(discovery="all")


def test_the_skipped_list_is_bounded_and_the_count_is_not() -> None:
    changes: list[int] = []
    skipped = SkippedLinks(2, changes.append)
    for n in range(3):
        skipped.add(str(n), f"{BASE}/a-post{n}.html", "sitemap")
    skipped.add("0", f"{BASE}/a-post0.html", "listing")  # once per key
    report = skipped.report()
    assert report["count"] == 3 == sum(changes)
    assert report["by_source"]["sitemap"] == {
        "count": 3,
        "urls": [f"{BASE}/a-post0.html", f"{BASE}/a-post1.html"],
        "not_listed": 1,
    }


def test_search_pages_are_followed_to_their_end_on_a_first_run_and_stop_when_nothing_is_new() -> None:
    page = LISTING.replace("</body>", f'<a rel="next" href="{BASE}/tim-kiem/?q=x&page=2">2</a></body>')
    first = make_spider()
    next_page = f"{BASE}/tim-kiem/?q=x&page=2"
    assert next_page in requests_of(first.parse_listing(html(f"{BASE}/tim-kiem/?q=x", page), page=1, evidence="search"))
    later = make_spider()
    later.known_to_complete_run = {
        identity.id
        for identity in later.identities_of(
            [PLAIN, *(f"{BASE}/{p}" for p in ("lua-post2.html", "menu-post9.html", "tin-khac-post3.html"))]
        )
    }
    assert next_page not in requests_of(
        later.parse_listing(html(f"{BASE}/tim-kiem/?q=x", page), page=1, evidence="search")
    )
    assert stat(later, "discovery/paging_stopped_nothing_new") == 1


FINGERPRINT = make_spider().discovery_fingerprint


def run_of(mode: str | None, skipped: list[str] | None = None, fingerprint: str = FINGERPRINT) -> dict[str, Any]:
    discovery: dict[str, Any] = {"fingerprint": fingerprint}
    if mode:
        discovery["mode"] = mode
    if skipped:
        discovery["skipped_no_evidence"] = {
            "by_source": {"rss": {"urls": skipped[:1]}, "listing": {"urls": skipped[1:]}}
        }
    return {"complete": True, "arguments": {}, "discovery": discovery}


@pytest.mark.parametrize(
    ("earlier", "now", "covers"),
    [
        ("targeted", "targeted", True),
        ("exhaustive", "targeted", True),
        ("targeted", "exhaustive", False),
        (None, "exhaustive", True),
    ],
)
def test_a_targeted_run_never_lets_an_exhaustive_one_skip_unchanged_sitemaps(earlier, now, covers) -> None:
    assert make_spider(discovery=now).covers_this_crawl(run_of(earlier)) is covers


def test_a_keyword_or_start_point_added_since_makes_an_earlier_run_untrusted(tmp_path: Path) -> None:
    """Its sitemaps unchanged, the links it left out may now have evidence (or a new start point
    leads to links it never saw): the next run walks discovery whole once."""
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("dân vận khéo\nchuyển đổi số\n", encoding="utf-8")
    with_keyword = make_spider({"DVK_KEYWORDS_FILE": str(keywords)})
    assert with_keyword.discovery_fingerprint != FINGERPRINT
    assert not with_keyword.covers_this_crawl(run_of("targeted"))
    assert not make_spider().covers_this_crawl(run_of("targeted", fingerprint="sha256:an-older-portal-file"))
    assert not make_spider().covers_this_crawl({**run_of("targeted"), "discovery": {"mode": "targeted"}})


def test_links_an_earlier_run_skipped_count_as_known_for_paging_and_are_handed_on(tmp_path: Path) -> None:
    spider = make_spider({"DVK_STORE_URL": f"sqlite:///{tmp_path}/dvk.sqlite"})
    run = {**run_of("targeted", [PLAIN, f"{BASE}/a-post2.html"]), "spider": "baohatinh"}
    run["started_at"] = "2026-01-01T00:00:00+00:00"
    run.update(finished_at="2026-01-01T01:00:00+00:00", finish_reason="finished")
    crawler_store(spider.crawler).add_run(run)
    spider.load_crawl_state(crawler_store(spider.crawler))
    assert spider.known_to_complete_run == {"baohatinh:1", "baohatinh:2"}
    # This run stops paging before the pages that hold them: its run file still names them.
    spider.skipped.add("1", PLAIN, "listing")  # seen again: listed as this run's own
    report = spider.skipped.report()
    assert report["by_source"]["listing"]["urls"] == [PLAIN]
    assert report["earlier"] == {"count": 1, "urls": [f"{BASE}/a-post2.html"], "not_listed": 0}
    assert sorted(skipped_urls({"discovery": {"skipped_no_evidence": report}})) == sorted(
        [PLAIN, f"{BASE}/a-post2.html"]
    )


def portal_file_with(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A seeds folder whose baolaocai.toml has ``old`` replaced; the line ``new`` starts on."""
    text = Path("seeds/portals/baolaocai.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "portals").mkdir()
    (tmp_path / "portals" / "baolaocai.toml").write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path, text[: text.index(old)].count("\n") + 1


TAG = '"https://baolaocai.vn/tu-khoa/dan-van-kheo-tag5126.html"'


def test_a_listing_both_evidence_and_coverage_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    folder, line = portal_file_with(
        tmp_path, f"evidence_listings = [{TAG}]", f"evidence_listings = [{TAG}]\nlistings = [{TAG}]"
    )
    with pytest.raises(
        SeedFileError, match=rf"baolaocai.toml:{line}: .* is in both listings \(coverage\) and evidence_listings"
    ):
        load_portal_file(folder, "baolaocai")


def test_evidence_listings_must_be_urls(tmp_path: Path) -> None:
    folder, line = portal_file_with(tmp_path, f"evidence_listings = [{TAG}]", 'evidence_listings = ["tag page"]')
    with pytest.raises(SeedFileError, match=f"baolaocai.toml:{line}: evidence_listings must be a list of http"):
        load_portal_file(folder, "baolaocai")


@pytest.mark.slow
def test_re_runs_fetch_only_first_pages_and_an_unchanged_feed_costs_a_304(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    """Targeted runs of baohatinh into one store: the first follows search and tag pages to
    their end; once a run confirmed the drops, a run with nothing new fetches only the first
    page of each start point, and the feed and sitemaps it asks for come back 304."""
    runs = []
    for _ in range(3):
        result = run_crawl("baohatinh", replicas["baohatinh"], tmp_path, "-s", "LOG_LEVEL=DEBUG")
        assert result.returncode == 0, result.output[-3000:]
        runs.append(result)
    crawled = [set(re.findall(r"Crawled \((\d+)\) <GET ([^>]+)>", r.output)) for r in runs]
    assert any("tim-kiem" in url and "page=2" in url for _, url in crawled[0])
    assert not any("page=2" in url for _, url in crawled[2])
    stats = runs[2].run_file()["stats"]
    # The policy takes a kept page back only on a 304 (the cache middleware turns it into the kept 200).
    assert stats["httpcache/revalidate"] >= 1 and not stats.get("httpcache/invalidate")
    assert re.search(r"Crawled \(200\) <GET [^>]+/rss/home\.rss> .*\['cached'", runs[2].output)
    assert stats.get("dvk/fetch/articles", 0) == 0
    assert runs[2].run_file()["summary"]["stored"] == 0


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    try:
        with urlopen(UrlRequest(url, headers=headers)) as answer:
            return answer.status, dict(answer.headers)
    except HTTPError as error:
        return error.code, dict(error.headers)


def test_the_replica_answers_304_when_a_validator_matches() -> None:
    with serve("baohatinh") as urls:
        feed = f"{urls['baohatinh']}/rss/home.rss"
        status, headers = fetch(feed)
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        assert fetch(feed, **{"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(feed, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(feed, **{"If-None-Match": '"other"', "If-Modified-Since": headers["Last-Modified"]})[0] == 200


def test_the_cache_policy_keeps_discovery_pages_only_and_always_asks_again() -> None:
    policy = DiscoveryRevalidationPolicy(Settings())
    page, article = (
        Request(f"{BASE}/rss/home.rss", meta={"dvk_kind": "discovery"}),
        Request(PLAIN, meta={"dvk_kind": "article"}),
    )
    assert policy.should_cache_request(page) and not policy.should_cache_request(article)
    kept = HtmlResponse(url=page.url, headers={"ETag": '"a"', "Cache-Control": "max-age=86400"}, body=b"x")
    assert policy.should_cache_response(kept, page)
    assert not policy.should_cache_response(HtmlResponse(url=page.url, body=b"x"), page)  # no validator
    assert not policy.is_cached_response_fresh(kept, page) and page.headers[b"If-None-Match"] == b'"a"'
    assert not policy.is_cached_response_valid(kept, HtmlResponse(url=page.url, status=503), page)


def test_a_failed_download_is_not_answered_by_the_kept_page(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_ENABLED": True})
    middleware = DiscoveryCacheMiddleware.from_crawler(crawler)
    kept = XmlResponse(url=f"{BASE}/rss/home.rss", body=b"<rss/>")
    request = Request(kept.url, meta={"dvk_kind": "discovery", "cached_response": kept})
    assert middleware.process_exception(request, twisted_error.ConnectionRefusedError()) is None
    assert "cached_response" not in request.meta


@pytest.mark.slow
def test_a_coverage_listing_with_links_left_out_stops_at_its_first_page_when_nothing_is_new(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    """Báo Yên Bái's category listing holds an article targeted runs never fetch (nothing beside
    it names the campaign): the last complete run's list of it lets a run with nothing new stop at
    page 1."""
    runs = []
    for _ in range(3):
        result = run_crawl("baoyenbai", replicas["baoyenbai"], tmp_path, "-s", "LOG_LEVEL=DEBUG")
        assert result.returncode == 0, result.output[-3000:]
        runs.append(result)
    assert "/11/page/2/" in runs[0].output and runs[0].run_file()["discovery"]["skipped_no_evidence"]["count"] == 1
    stats = runs[2].run_file()["stats"]
    assert "/11/page/2/" not in runs[2].output and stats.get("dvk/fetch/articles", 0) == 0
    assert stats["dvk/discovery/paging_stopped_nothing_new"] == 1


def test_an_exhaustive_window_run_skips_what_is_stored_and_fetches_what_targeted_left_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/dvk.sqlite"
    with open_store(url) as store:
        store.upsert_many([record("baohatinh:1")])
    spider = make_spider({"DVK_STORE_URL": url}, discovery="exhaustive", since="2024-01-01", until="2024-12-31")
    assert spider.article_request(PLAIN) is None and stat(spider, "discovery/already_seen") == 1
    assert spider.article_request(f"{BASE}/lua-post2.html") is not None
