"""Each pipeline stage alone, with a real crawler's settings and stats."""

from __future__ import annotations

import asyncio
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from dvk_crawl.pipelines.dedup import DedupPipeline
from dvk_crawl.pipelines.language import LanguagePipeline
from dvk_crawl.pipelines.normalise import NormalisePipeline
from dvk_crawl.pipelines.relevance import RelevancePipeline
from dvk_crawl.pipelines.store import StorePipeline
from dvk_crawl.pipelines.validate import ValidatePipeline
from dvk_crawl.record import Article
from dvk_crawl.store import StoreError, crawler_store, open_store
from dvk_crawl.text import content_hash
from tests.conftest import load_fixture_cases

BODY = (
    "Đến nay, toàn huyện Lục Yên đã đăng ký duy trì và xây dựng được 421 mô hình “Dân vận khéo”. "
    "Các mô hình đã tác động tích cực, tạo sức lan tỏa, góp phần quan trọng vào sự phát triển kinh tế - xã hội, "
    "xây dựng đảng, hệ thống chính trị, đảm bảo quốc phòng, an ninh trên địa bàn huyện."
)


def article(**overrides: Any) -> Article:
    values: dict[str, Any] = {
        "id": "baoyenbai:1",
        "portal": "baoyenbai",
        "province": "Lào Cai",
        "url": "https://baoyenbai.com.vn/11/1/x.aspx",
        "title": "Lục Yên có trên 400 mô hình “Dân vận khéo”",
        "text": BODY,
        "fetched_at": "2026-11-21T00:00:00+00:00",
        "language": "vi",
        "language_confidence": 1.0,
        "content_hash": content_hash(BODY),
    }
    values.update(overrides)
    return Article(**values)


@pytest.fixture
def crawler(tmp_path: Path):
    crawler = get_crawler(settings_dict={"DVK_STORE_URL": f"sqlite:///{tmp_path}/t.sqlite"})
    crawler.stats.open_spider()
    return crawler


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_crawler(request: pytest.FixtureRequest, tmp_path: Path):
    """A crawler on each store: copy links must behave the same on both."""
    url = f"sqlite:///{tmp_path}/t.sqlite" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    crawler = get_crawler(settings_dict={"DVK_STORE_URL": url})
    crawler.stats.open_spider()
    yield crawler
    crawler_store(crawler).close()


def stat(crawler, name: str) -> int:
    return crawler.stats.get_value(name, 0)


def test_normalise_makes_nfc_and_drops_empty_paragraphs(crawler) -> None:
    item = article(text=unicodedata.normalize("NFD", BODY) + "\n\n \n\n Hai ", title=" Tiêu  đề ")
    NormalisePipeline(crawler).process_item(item)
    assert item.text == BODY + "\n\nHai"
    assert item.title == "Tiêu đề"
    assert item.content_hash == content_hash(BODY + "\n\nHai")
    assert stat(crawler, "dvk/normalise/ok") == 1


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"title": ""}, "missing_title"),
        ({"title": "{title}"}, "unrendered_template"),
        ({"lead": "{sapo}"}, "unrendered_template"),
        ({"text": BODY + " {publish} {content}"}, "unrendered_template"),
        ({"text": ""}, "empty"),
        ({"text": "Quá ngắn."}, "short_body"),
    ],
)
def test_validate_drops_with_a_counted_reason(crawler, overrides: dict, reason: str) -> None:
    with pytest.raises(DropItem, match=reason):
        ValidatePipeline(crawler).process_item(article(**overrides))
    assert stat(crawler, f"dvk/dropped/{reason}") == 1
    assert stat(crawler, f"dvk/validate/{reason}") == 1


def test_validate_passes_a_real_article(crawler) -> None:
    assert ValidatePipeline(crawler).process_item(article()) is not None


def test_one_brace_word_in_the_text_is_no_unfilled_template(crawler) -> None:
    """Text may quote a formula or code once; only two different placeholders say the template was not filled."""
    assert ValidatePipeline(crawler).process_item(article(text=BODY + " Biểu mẫu ghi {noidung} ở ô này.")) is not None


def test_language_keeps_vietnamese_and_drops_others(crawler) -> None:
    stage = LanguagePipeline(crawler)
    stage.process_item(article())
    english = "The district has built more than four hundred models of skilful mass mobilisation in recent years."
    with pytest.raises(DropItem, match="wrong_language"):
        stage.process_item(article(text=english, language=None))


def test_language_setting_can_keep_all(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"DVK_LANGUAGES": ""})
    crawler.stats.open_spider()
    assert LanguagePipeline(crawler).process_item(article(language="en")) is not None


def test_relevance_drops_articles_without_a_keyword(crawler) -> None:
    stage = RelevancePipeline(crawler)
    kept = stage.process_item(article())
    assert kept.relevant and kept.matched_keywords == ["dân vận khéo"]
    with pytest.raises(DropItem, match="not_relevant"):
        stage.process_item(article(title="Thu hoạch lúa", text="Nông dân thu hoạch lúa hè thu."))


def test_relevance_can_store_irrelevant_articles_with_the_flag(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"DVK_STORE_IRRELEVANT": "1"})
    crawler.stats.open_spider()
    kept = RelevancePipeline(crawler).process_item(article(title="Lúa", text="Nông dân thu hoạch lúa."))
    assert kept.relevant is False


def dedup(crawler) -> DedupPipeline:
    stage = DedupPipeline(crawler)
    stage.open_spider()
    return stage


def test_dedup_drops_an_id_seen_before_in_this_run_or_stored(crawler) -> None:
    stage = dedup(crawler)
    stage.process_item(article())
    with pytest.raises(DropItem, match="duplicate_id"):
        stage.process_item(article())
    stage.store.upsert_many([article(id="baoyenbai:9").to_dict()])
    with pytest.raises(DropItem, match="duplicate_id"):
        dedup(crawler).process_item(article(id="baoyenbai:9"))


def test_a_refresh_never_puts_an_older_archive_capture_over_a_page_fetched_live(crawler) -> None:
    crawler.spider = SimpleNamespace(refresh=True)
    live = article(fetched_at="2026-03-01T08:00:00+00:00", source="live")
    dedup(crawler).store.upsert_many([live.to_dict()])
    older = article(source="archive", archived_at="2023-10-15T02:15:00+00:00", title="Bản cũ")
    with pytest.raises(DropItem, match="older_than_stored"):
        dedup(crawler).process_item(older)
    assert crawler.stats.get_value("dvk/dropped/older_than_stored") == 1
    newer = article(source="archive", archived_at="2026-06-01T00:00:00+00:00", title="Bản mới")
    assert dedup(crawler).process_item(newer) is newer  # the archive saw the page after we did
    assert dedup(crawler).process_item(article(fetched_at="2026-12-01T00:00:00+00:00")).source == "live"


def stored(crawler, *items: Article) -> list[Article]:
    """Items through the dedup and store stages as one run commits them: one batch."""
    dedup_stage, store_stage = dedup(crawler), StorePipeline(crawler)
    store_stage.open_spider()

    async def run() -> list[Article]:
        return list(await asyncio.gather(*(store_stage.process_item(dedup_stage.process_item(i)) for i in items)))

    return asyncio.run(run())


def links(crawler) -> dict[str, str | None]:
    """``duplicate_of`` of every stored article, as its row, its record and its signature agree it is."""
    store = crawler_store(crawler)
    rows = {r["id"]: r["duplicate_of"] for r in store.dump_rows("articles")}
    assert {r["id"]: r["duplicate_of"] for r in store.iter_records()} == rows
    assert {s["id"]: s["duplicate_of"] for s in store.dump_rows("signatures")} == rows
    return rows


def refreshing(crawler) -> None:
    crawler.spider = type("Spider", (), {"refresh": True})()


def test_refresh_lets_a_stored_article_through_to_be_updated(crawler) -> None:
    stage = dedup(crawler)
    stage.store.upsert_many([article().to_dict()])
    refreshing(crawler)
    assert dedup(crawler).process_item(article()) is not None


def test_the_same_body_under_another_id_is_stored_as_a_duplicate(crawler) -> None:
    original, copy = stored(crawler, article(), article(id="baoyenbai:2"))
    assert (original.duplicate_of, copy.duplicate_of) == (None, "baoyenbai:1")
    assert stat(crawler, "dvk/dedup/duplicate_content") == 1


def test_a_refresh_never_makes_an_article_a_copy_of_itself(any_store_crawler) -> None:
    """Its own stored row has its hash and its signature: neither is another article."""
    crawler = any_store_crawler
    stored(crawler, article(), article(id="baoyenbai:2"))
    refreshing(crawler)
    stored(crawler, article(), article(id="baoyenbai:2"))
    stored(crawler, article())
    assert links(crawler) == {"baoyenbai:1": None, "baoyenbai:2": "baoyenbai:1"}
    lone = article(id="baoyenbai:3", text=body_of(SEED_000), content_hash=content_hash(body_of(SEED_000)))
    stored(crawler, lone)
    stored(crawler, lone)
    assert links(crawler)["baoyenbai:3"] is None


def test_an_earlier_published_copy_arriving_later_becomes_the_original(any_store_crawler) -> None:
    """baoyenbai:315301 (2 March) is listed after 315372 (4 March): the group is re-rooted."""
    crawler = any_store_crawler
    march_4, march_2, march_6 = (f"2024-03-0{d}T14:26:47+07:00" for d in (4, 2, 6))
    stored(crawler, article(id="baoyenbai:315372", published_at=march_4))
    stored(crawler, article(id="baoyenbai:315400", published_at=march_6))
    (newcomer,) = stored(crawler, article(id="baoyenbai:315301", published_at=march_2))
    assert newcomer.duplicate_of is None
    assert links(crawler) == {
        "baoyenbai:315301": None,
        "baoyenbai:315372": "baoyenbai:315301",  # no chain through the former root
        "baoyenbai:315400": "baoyenbai:315301",
    }
    assert stat(crawler, "dvk/dedup/duplicate_content") == 1  # 315400; 315301 is stored as the original


def test_a_re_root_sends_the_relinked_records_to_the_feed_again(any_store_crawler) -> None:
    """The feed is the store's log: the last line of an id must be its stored record."""
    from scrapy import signals

    crawler = any_store_crawler
    fed: list[dict[str, Any]] = []
    crawler.signals.connect(lambda item, **_: fed.append(dict(item)), signal=signals.item_scraped, weak=False)
    stored(crawler, article(id="baoyenbai:315372", published_at="2024-03-04T14:26:47+07:00"))
    stored(crawler, article(id="baoyenbai:315400", published_at="2024-03-06T14:26:47+07:00"))
    assert fed == []  # items of a batch reach the feed through the engine, not from here
    stored(crawler, article(id="baoyenbai:315301", published_at="2024-03-02T14:26:47+07:00"))
    assert {r["id"]: r["duplicate_of"] for r in fed} == {
        "baoyenbai:315372": "baoyenbai:315301",
        "baoyenbai:315400": "baoyenbai:315301",
    }
    assert stat(crawler, "dvk/store/relinked") == 2
    stored(crawler, article(id="baoyenbai:315500", published_at="2024-03-08T14:26:47+07:00"))
    assert len(fed) == 2  # a copy joining a group re-roots nothing: no other line changes


def test_ties_go_to_the_lower_id_and_undated_articles_rank_last(any_store_crawler) -> None:
    crawler = any_store_crawler
    stored(crawler, article(id="x:2", published_at="2024-03-02T08:00:00+07:00"), article(id="x:0"))
    stored(crawler, article(id="x:1", published_at="2024-03-02T01:00:00+00:00"))  # the same instant
    assert links(crawler) == {"x:0": "x:1", "x:1": None, "x:2": "x:1"}


def test_a_batch_that_fails_leaves_no_signature_for_a_later_copy(any_store_crawler, monkeypatch) -> None:
    crawler = any_store_crawler
    store = crawler_store(crawler)
    write = store.upsert_many

    def full_disk(records):
        write(records)
        raise StoreError("database or disk is full")

    monkeypatch.setattr(store, "upsert_many", full_disk)
    with pytest.raises(DropItem, match="store_error"):
        stored(crawler, article(id="baoyenbai:1"))
    monkeypatch.setattr(store, "upsert_many", write)
    assert store.count() == 0 and list(store.dump_rows("signatures")) == []
    (copy,) = stored(crawler, article(id="baoyenbai:2"))
    assert copy.duplicate_of is None  # not a copy of the article that was never stored


SEED_000 = next(c for c in load_fixture_cases() if c.portal == "baohatinh" and c.name == "cam-xuyen-1440-seed000")
SEED_001 = next(c for c in load_fixture_cases() if c.name == "cam-xuyen-nhan-rong-seed001")


def body_of(case) -> str:
    return case.expected["text"]


def syndicated(text: str) -> str:
    """How another portal republishes a story: its own first line and tail."""
    return "YBĐT – Theo Báo Hà Tĩnh.\n\n" + text + "\n\nNguồn: baohatinh.vn. Bình luận (0)"


def test_a_syndicated_copy_on_another_portal_links_to_the_original(crawler) -> None:
    text = syndicated(body_of(SEED_000))
    original, copy = stored(
        crawler,
        article(id="baohatinh:259960", text=body_of(SEED_000), content_hash=content_hash(body_of(SEED_000))),
        article(id="baoyenbai:77", text=text, content_hash=content_hash(text)),
    )
    assert (original.duplicate_of, copy.duplicate_of) == (None, "baohatinh:259960")
    assert stat(crawler, "dvk/dedup/near_duplicate") == 1


def test_near_duplicates_are_found_across_runs_and_copies_of_copies_point_to_the_first(crawler) -> None:
    original = body_of(SEED_000)
    stored(crawler, article(id="baohatinh:1", text=original, content_hash=content_hash(original)))
    first_copy = syndicated(original)
    copy_of_copy = first_copy + "\n\nĐăng lại."
    stored(
        crawler,
        article(id="baoyenbai:2", text=first_copy, content_hash=content_hash(first_copy)),
        article(id="baolaocai:3", text=copy_of_copy, content_hash=content_hash(copy_of_copy)),
    )
    assert links(crawler) == {"baohatinh:1": None, "baoyenbai:2": "baohatinh:1", "baolaocai:3": "baohatinh:1"}


def test_two_reports_of_one_event_in_other_words_are_not_linked(crawler) -> None:
    a, b = body_of(SEED_000), body_of(SEED_001)
    stored(crawler, article(id="baohatinh:1", text=a, content_hash=content_hash(a)))
    (other,) = stored(crawler, article(id="baohatinh:2", text=b, content_hash=content_hash(b)))
    assert other.duplicate_of is None


def test_a_shared_boilerplate_paragraph_does_not_make_a_duplicate(crawler) -> None:
    boilerplate = (
        "Phong trào thi đua “Dân vận khéo” được phát động nhằm phát huy sức mạnh khối đại đoàn kết toàn dân tộc, "
        "thực hiện thắng lợi các mục tiêu phát triển kinh tế - xã hội, bảo đảm quốc phòng - an ninh."
    )
    a = body_of(SEED_000).split("\n\n")[0] + "\n\n" + boilerplate
    b = body_of(SEED_001).split("\n\n")[0] + "\n\n" + boilerplate
    stored(
        crawler,
        article(id="x:1", text=a, content_hash=content_hash(a)),
        article(id="x:2", text=b, content_hash=content_hash(b)),
    )
    assert links(crawler) == {"x:1": None, "x:2": None}


def test_store_writes_in_batches_and_lets_an_item_go_on_once_committed(crawler, tmp_path: Path) -> None:
    crawler.settings.frozen = False
    crawler.settings.set("DVK_STORE_BATCH_SIZE", 2)
    stage = StorePipeline(crawler)
    stage.open_spider()
    batches: list[int] = []
    upsert_many = stage.store.upsert_many
    stage.store.upsert_many = lambda records: batches.append(len(records)) or upsert_many(records)

    async def one(n: int) -> bool:
        item = await stage.process_item(article(id=f"baoyenbai:{n}"))
        return stage.store.has_id(item.id)  # in the store before the item goes on (to the feed)

    async def three() -> list[bool]:
        return list(await asyncio.gather(*(one(n) for n in range(3))))

    assert asyncio.run(three()) == [True, True, True]
    assert batches == [2, 1]  # a full batch at once, the rest at the next turn of the loop
    assert stat(crawler, "dvk/store/stored") == 3


def test_store_flushes_what_is_pending_at_close(crawler, tmp_path: Path) -> None:
    crawler.settings.frozen = False
    crawler.settings.set("DVK_STORE_FLUSH_SECONDS", 60)
    stage = StorePipeline(crawler)
    stage.open_spider()

    async def add_and_close() -> bool:
        committed = stage.add(article().to_dict())
        stage.close_spider()
        return committed.called

    assert asyncio.run(add_and_close()) and stage.store.count() == 1


def test_store_failure_raises_and_keeps_what_was_stored(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/s.sqlite")
    store.open()
    store.upsert_many([article().to_dict()])
    with pytest.raises(StoreError):
        store.upsert_many([{"id": "broken"}, article(id="baoyenbai:2").to_dict()])
    assert [r["id"] for r in store.iter_records()] == ["baoyenbai:1"]
    store.close()
