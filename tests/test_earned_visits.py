"""A visit is final only when earned (issue 18): one bad answer never stops an article.

A 200 with an empty body, a maintenance or captcha page, a body cut short, a one-off
404, a redirect whose target went offsite or answered 503: each used to be remembered
as final on its first sighting, so the article was never fetched again. Now a dropped
page is fetched again by the next run, and final only when that run finds the same
(``DVK_VISIT_CONFIRM_HOURS`` after the first sighting, at least); an old link that
redirects to another key is remembered once its target is stored.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from dvk_crawl.downloadermiddlewares.redirects import RedirectedKeyMiddleware
from dvk_crawl.extensions.visits import VisitLog
from dvk_crawl.outcomes import FINAL_REASONS, Dropped
from dvk_crawl.pipelines.validate import ValidatePipeline
from dvk_crawl.store import ArticleStore, crawler_store, open_store
from tests.conftest import CrawlResult
from tests.test_hostile import HTML, URL
from tests.test_spider_discovery import make_spider, stat
from tests.test_store_backends import drop_visit_confirmation, record, store, store_url  # noqa: F401  (fixtures)

KEY = "259960"
ARTICLE_ID = f"baohatinh:{KEY}"
CAPTCHA = "<html><head><title>Just a moment...</title></head><body><p>Checking your browser.</p></body></html>"
# The portal's own template with the article replaced by a notice, as during maintenance.
MAINTENANCE = HTML[: HTML.index("<h1")] + "<p>Hệ thống đang bảo trì, xin quay lại sau.</p></body></html>"


def run_on(url: str, **settings: Any) -> Any:
    """A spider of a run starting now, on the store at ``url``; exhaustive: whether a page is
    fetched again is the store's say here, not the evidence's."""
    spider = make_spider({"DVK_STORE_URL": url, **settings}, discovery="exhaustive")
    spider.crawler.stats.set_value("start_time", datetime.now(UTC))
    return spider


def age_visits(url: str, hours: float) -> None:
    """Move the recorded visits ``hours`` into the past: the runs that made them were that long ago."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        for visit_id, first, last in db.execute("SELECT id, first_visited_at, visited_at FROM visits").fetchall():
            earlier = [(datetime.fromisoformat(t) - timedelta(hours=hours)).isoformat() for t in (first, last)]
            db.execute("UPDATE visits SET first_visited_at = ?, visited_at = ? WHERE id = ?", (*earlier, visit_id))


def answer(body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> HtmlResponse:
    request = Request(URL, meta={"dvk_key": KEY, "dvk_kind": "article"})
    return HtmlResponse(url=URL, status=status, body=body, headers={"Content-Type": content_type}, request=request)


def fetches_again(spider: Any) -> bool:
    return spider.article_request(URL) is not None


def parse(spider: Any, response: Response) -> list[Any]:
    """The articles the spider makes of the answer and validation keeps; drops recorded as in a crawl."""
    validate, visits = ValidatePipeline.from_crawler(spider.crawler), VisitLog.from_crawler(spider.crawler)
    kept = []
    for article in spider.parse_article(response, canonical_url=URL):
        try:
            kept.append(validate.process_item(article))
        except Dropped as drop:
            visits.item_dropped(article, drop)
    return kept


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/dvk.sqlite"


BAD_ANSWERS = {
    "empty_200": b"",
    "captcha": CAPTCHA.encode(),
    "maintenance": MAINTENANCE.encode(),
    "short_content_length": HTML.encode()[:3000],
}


@pytest.mark.parametrize("case", BAD_ANSWERS)
def test_a_transient_bad_answer_is_fetched_again_and_the_article_then_stored(sqlite_url: str, case: str) -> None:
    first = run_on(sqlite_url)
    assert parse(first, answer(BAD_ANSWERS[case])) == []
    reasons = {name.removeprefix("dvk/dropped/") for name in first.crawler.stats.get_stats() if "dropped/" in name}
    assert reasons and reasons <= FINAL_REASONS  # a reason that used to be remembered for good
    age_visits(sqlite_url, 1)
    second = run_on(sqlite_url)
    assert fetches_again(second)
    assert [a.id for a in parse(second, answer(HTML.encode()))] == [ARTICLE_ID]


def test_a_one_off_404_is_fetched_again(sqlite_url: str) -> None:
    first = run_on(sqlite_url)
    first.article_failed(Failure(HttpError(answer(b"", status=404))))
    assert stat(first, "dropped/http_404") == 1
    age_visits(sqlite_url, 1)
    assert fetches_again(run_on(sqlite_url))


def test_a_later_run_that_finds_the_same_makes_it_final(sqlite_url: str) -> None:
    for _ in range(2):
        parse(run_on(sqlite_url), answer(b""))
        age_visits(sqlite_url, 1)
    assert not fetches_again(run_on(sqlite_url))


def test_two_visits_in_one_run_confirm_nothing(sqlite_url: str) -> None:
    spider = run_on(sqlite_url)
    for _ in range(2):
        parse(spider, answer(b""))
    assert fetches_again(run_on(sqlite_url))


def test_the_confirming_run_must_come_the_set_hours_later(sqlite_url: str) -> None:
    parse(run_on(sqlite_url), answer(b""))
    age_visits(sqlite_url, 1)
    parse(run_on(sqlite_url, DVK_VISIT_CONFIRM_HOURS="6"), answer(b""))  # an hour later: the same outage
    assert fetches_again(run_on(sqlite_url))
    age_visits(sqlite_url, 6)
    parse(run_on(sqlite_url, DVK_VISIT_CONFIRM_HOURS="6"), answer(b""))
    assert not fetches_again(run_on(sqlite_url))


def test_a_store_confirms_only_across_runs(store: ArticleStore) -> None:  # noqa: F811
    store.add_visit("a:1", "a", "empty", "https://a.vn/1")
    store.add_visit("a:1", "a", "empty", "https://a.vn/1", confirms_before="2000-01-01T00:00:00+00:00")
    assert store.seen_ids("a") == set()
    store.add_visit("a:1", "a", "missing_title", "https://a.vn/1", confirms_before="2999-01-01T00:00:00+00:00")
    store.add_visit("a:2", "a", "redirected to a:3", "https://a.vn/3", final=True)
    assert store.seen_ids("a") == {"a:1", "a:2"}
    store.add_visit("a:1", "a", "empty", "https://a.vn/1")  # a final visit stays final
    assert store.seen_ids("a") == {"a:1", "a:2"}


def test_visits_of_an_older_store_are_confirmed_again(store_url: str) -> None:  # noqa: F811
    """Before schema 5 (PostgreSQL 3) one sighting was final: such visits start unconfirmed."""
    with open_store(store_url) as store:  # noqa: F811
        store.add_visit("a:1", "a", "empty", "https://a.vn/1", final=True)
        db: Any = store.db  # type: ignore[attr-defined]
        drop_visit_confirmation(db)
        if store_url.startswith("sqlite"):
            db.execute("PRAGMA user_version = 4")
        else:
            db.execute("DELETE FROM dvk_schema WHERE version >= 3")
    with open_store(store_url) as store:
        assert store.seen_ids("a") == set()
        [visit] = store.dump_rows("visits")
        assert visit["first_visited_at"] == visit["visited_at"] and visit["final_at"] is None


# -- redirects to another key ----------------------------------------------------------------

OLD_URL = "https://baohatinh.vn/old-address-post111.html"


def redirect_answer(target: str) -> Response:
    request = Request(OLD_URL, meta={"dvk_key": "111", "dvk_kind": "article"})
    return Response(OLD_URL, status=301, headers={"Location": target}, request=request)


def test_a_redirect_to_a_target_not_stored_is_not_remembered(sqlite_url: str) -> None:
    spider = run_on(sqlite_url)
    middleware = RedirectedKeyMiddleware.from_crawler(spider.crawler)
    # The target then went offsite or answered 503: nothing stored under its key.
    middleware.process_response(redirect_answer(URL).request, redirect_answer(URL))
    assert stat(spider, "fetch/redirected_to_other_key") == 1
    assert run_on(sqlite_url).article_request(OLD_URL) is not None


def test_a_redirect_is_remembered_once_its_target_is_stored(sqlite_url: str) -> None:
    spider = run_on(sqlite_url)
    article = parse(spider, answer(HTML.encode()))[0]
    redirected = answer(HTML.encode())
    redirected.request.meta["dvk_key"] = "111"  # the key asked for: RedirectMiddleware keeps the meta
    VisitLog.from_crawler(spider.crawler).item_scraped(article, redirected)
    assert run_on(sqlite_url).article_request(OLD_URL) is None


def test_a_redirect_to_an_article_already_stored_is_remembered_at_once(sqlite_url: str) -> None:
    spider = run_on(sqlite_url)
    crawler_store(spider.crawler).upsert_many([record(ARTICLE_ID)])
    RedirectedKeyMiddleware.from_crawler(spider.crawler).process_response(
        redirect_answer(URL).request, redirect_answer(URL)
    )
    assert run_on(sqlite_url).article_request(OLD_URL) is None


def test_an_old_link_to_an_off_topic_article_is_confirmed_like_it(sqlite_url: str) -> None:
    for _ in range(2):
        spider = run_on(sqlite_url)
        article = parse(spider, answer(HTML.encode()))[0]
        redirected = answer(HTML.encode())
        redirected.request.meta["dvk_key"] = "111"
        VisitLog.from_crawler(spider.crawler).item_dropped(article, Dropped("not_relevant", URL), redirected)
        age_visits(sqlite_url, 1)
    later = run_on(sqlite_url)
    assert later.article_request(OLD_URL) is None and not fetches_again(later)


def test_a_redirect_to_an_id_stored_earlier_in_the_run_is_remembered(sqlite_url: str) -> None:
    spider = run_on(sqlite_url)
    article = parse(spider, answer(HTML.encode()))[0]
    redirected = answer(HTML.encode())
    redirected.request.meta["dvk_key"] = "111"
    VisitLog.from_crawler(spider.crawler).item_dropped(article, Dropped("duplicate_id", ARTICLE_ID), redirected)
    assert run_on(sqlite_url).article_request(OLD_URL) is None


def dropped_once(result: CrawlResult) -> int:
    """Pages a crawl dropped on their first sighting: the next run fetches each once more."""
    with sqlite3.connect(result.store) as db:
        return int(db.execute("SELECT count(*) FROM visits WHERE final_at IS NULL").fetchone()[0])
