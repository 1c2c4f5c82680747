"""Distributed crawls: workers sharing one crawl through Redis and one PostgreSQL store.

Needs the real services (see ``tests/services.py``): skipped with the reason where
they are unreachable, failed instead under ``DVK_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from dvk_crawl.distributed import ArticleClaims, CrawlRegister, DistributedCrawl, check_settings
from dvk_crawl.pipelines.dedup import DedupPipeline
from dvk_crawl.pipelines.store import StorePipeline
from dvk_crawl.record import Article
from dvk_crawl.replica import serve
from dvk_crawl.replica.synthetic import build_site
from dvk_crawl.store import crawler_store, open_store
from dvk_crawl.text import content_hash
from tests.conftest import ROOT, feed_ids
from tests.services import REDIS

SPIDER = "baohatinh"


def worker_command(base_url: str, store_url: str, prefix: str, workdir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "scrapy", "crawl", SPIDER,
        "-a", f"base_url={base_url}",
        "-s", "DVK_DISTRIBUTED=1",
        "-s", f"REDIS_URL={REDIS}",
        "-s", f"DVK_REDIS_KEY_PREFIX={prefix}",
        "-s", f"DVK_STORE_URL={store_url}",
        "-s", f"DVK_RUNS_DIR={workdir / 'runs'}",
        "-s", "FEEDS=" + json.dumps({str(workdir / "articles.jsonl"): {"format": "jsonlines", "encoding": "utf8"}}),
        "-s", "AUTOTHROTTLE_ENABLED=0",
        "-s", "DVK_PROGRESS_INTERVAL=0",
        *extra,
    ]  # fmt: skip


def run_file(workdir: Path) -> dict[str, Any]:
    (path,) = (workdir / "runs" / SPIDER).glob("*.json")
    return dict(json.loads(path.read_text(encoding="utf-8")))


# -- two workers, one crawl ---------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_share_one_crawl_and_store_each_article_once(
    tmp_path: Path, postgres_url: str, redis_prefix: str
) -> None:
    site = build_site(tmp_path / "sites", articles=220)
    # Small concurrency and a short delay spread the work; nothing below depends on timing.
    pace = ("-s", "CONCURRENT_REQUESTS=2", "-s", "DOWNLOAD_DELAY=0.05")
    workdirs = [tmp_path / f"worker{n}" for n in range(2)]
    with serve(site.name, sites_dir=site.sites_dir) as urls:
        commands = [worker_command(urls[site.name], postgres_url, redis_prefix, w, *pace) for w in workdirs]
        workers = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for c in commands]
        outputs = [worker.communicate(timeout=400)[0].decode("utf-8", "replace") for worker in workers]
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-3000:]
        assert "Traceback" not in output and " ERROR: " not in output and "Warning:" not in output, output[-3000:]
    runs = [run_file(w) for w in workdirs]

    with open_store(postgres_url) as store:
        records = list(store.iter_records())
        signatures = list(store.dump_rows("signatures"))
    ids = [r["id"] for r in records]
    assert ids == sorted(site.ids)  # the replica's articles, each once
    assert sorted(s["id"] for s in signatures) == ids
    # Each article went through the store once, in one worker or the other, and into one feed.
    assert sum(run["summary"]["stored"] for run in runs) == len(site.ids)
    fed = [i for w in workdirs for i in feed_ids(w / "articles.jsonl")]
    assert sorted(fed) == ids
    # Both did work: each fetched article pages from the shared queue, none twice over.
    fetched = [run["summary"]["fetched"] for run in runs]
    assert all(n > 0 for n in fetched), fetched
    assert sum(fetched) <= len(site.ids) + len(site.aliases)
    # Near copies found across workers: of each pair exactly one points to the other.
    linked = {r["id"]: r["duplicate_of"] for r in records if r["duplicate_of"]}
    assert len(linked) == len(site.copies)
    for copy, original in site.copies.items():
        assert linked.get(copy) == original or linked.get(original) == copy
    # Both report the shared crawl's start; the last one out removed the crawl's keys.
    assert runs[0]["started_at"] == runs[1]["started_at"]
    assert all(run["finish_reason"] == "finished" for run in runs)
    assert list(redis.Redis.from_url(REDIS).scan_iter(f"{redis_prefix}:*")) == []


# -- the races between workers ---------------------------------------------------------------

BODY = "\n\n".join(
    [
        "Từ đầu năm 2024, xã Cẩm Bình đã vận động 146 hộ dân hiến đất để mở rộng đường giao thông liên thôn.",
        "Bí thư Chi bộ Trần Văn Lợi chia sẻ rằng muốn dân làm theo thì cán bộ phải đi trước, nói đi đôi với làm.",
        "Nhờ cách làm khéo léo, công trình kiên cố hóa kênh mương hoàn thành sớm ba tháng so với kế hoạch.",
        "Tổng giá trị người dân đóng góp ước đạt 1.250 triệu đồng cùng hơn 4.000 ngày công lao động.",
        "Các buổi họp thôn được tổ chức vào buổi tối để mọi ý kiến của bà con đều được lắng nghe công khai.",
        "Con đường mới rộng 6 m giúp xe chở nông sản đi lại thuận tiện, giá bán vải thiều tăng thêm đáng kể.",
    ]
)


def article(article_id: str, text: str = BODY) -> Article:
    return Article(
        id=article_id,
        portal="baohatinh",
        province="Hà Tĩnh",
        url=f"https://baohatinh.vn/x-post{article_id.split(':')[1]}.html",
        title="Cẩm Bình lan tỏa “dân vận khéo”",
        text=text,
        fetched_at="2026-11-21T00:00:00+00:00",
        language="vi",
        language_confidence=1.0,
        content_hash=content_hash(text),
    )


@pytest.fixture
def worker_pipelines(postgres_url: str, redis_prefix: str) -> Iterator[Any]:
    """Build dedup stages as separate workers of one distributed crawl would have them."""
    crawlers: list[Any] = []

    def make(distributed: bool = True) -> DedupPipeline:
        settings = {"DVK_STORE_URL": postgres_url, "DVK_REDIS_KEY_PREFIX": redis_prefix}
        if distributed:
            settings |= {"DVK_DISTRIBUTED": "1", "REDIS_URL": REDIS}
        crawler = get_crawler(settings_dict=settings)
        crawler.stats.open_spider()
        crawler.spider = type("Spider", (), {"name": SPIDER, "refresh": False})()
        crawlers.append(crawler)
        stage = DedupPipeline(crawler)
        stage.open_spider()
        return stage

    yield make
    for crawler in crawlers:
        crawler_store(crawler).close()


def test_two_workers_with_one_article_let_it_through_once(worker_pipelines: Any) -> None:
    """Both pass the store's ``has_id`` before either writes its batch: the claim decides."""
    first, second = worker_pipelines(), worker_pipelines()
    assert first.process_item(article("baohatinh:1")) is not None
    with pytest.raises(DropItem, match="duplicate_id"):
        second.process_item(article("baohatinh:1"))
    # What the claim prevents: processes that do not share a crawl both let it through.
    alone, other = worker_pipelines(distributed=False), worker_pipelines(distributed=False)
    assert alone.process_item(article("baohatinh:2")) is not None
    assert other.process_item(article("baohatinh:2")) is not None


def test_near_copies_in_two_workers_at_once_are_linked(worker_pipelines: Any, postgres_url: str) -> None:
    """Worker A is writing its batch (article, signature, links) and has not committed; worker
    B writes a near copy right then. B's batch must wait for A's commit and link to it."""
    a, b = worker_pipelines(), worker_pipelines()
    decided, b_waited = threading.Event(), []
    relink = a.store.relink_copies

    def relink_then_wait_for_b(*args: Any) -> None:
        relink(*args)
        decided.set()
        b_waited.append(_eventually(lambda: _someone_waits_for_an_advisory_lock(postgres_url), timeout=10))

    a.store.relink_copies = relink_then_wait_for_b  # type: ignore[method-assign]
    original, copy = article("baohatinh:10"), article("baohatinh:11", BODY + "\n\nTheo Báo Hà Tĩnh.")
    stored: dict[str, dict[str, Any]] = {}
    thread_a = threading.Thread(target=lambda: stored.update(a=store_one(a, original)))
    thread_a.start()
    assert decided.wait(timeout=30)
    thread_b = threading.Thread(target=lambda: stored.update(b=store_one(b, copy)))
    thread_b.start()
    thread_a.join(timeout=60)
    thread_b.join(timeout=60)
    assert b_waited == [True], "B's batch did not wait for A's"
    assert stored["a"]["duplicate_of"] is None
    assert stored["b"]["duplicate_of"] == "baohatinh:10"


def store_one(worker: DedupPipeline, item: Article) -> dict[str, Any]:
    """The item through the worker's dedup stage and one batch of its store stage."""
    worker.process_item(item)
    record = ItemAdapter(item).asdict()
    assert worker.store is not None
    StorePipeline(worker.crawler).commit(worker.store, [record])
    return record


def _someone_waits_for_an_advisory_lock(postgres_url: str) -> bool:
    import psycopg

    with psycopg.connect(postgres_url) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return bool(row and row[0])


# -- the register of workers ------------------------------------------------------------------


@pytest.fixture
def register_keys(redis_prefix: str) -> list[str]:
    names = ("workers", "idle", "requests", "dupefilter", "claims", "started")
    return [f"{redis_prefix}:{SPIDER}:{name}" for name in names]


def test_the_first_worker_starts_afresh_unless_work_was_left(register_keys: list[str]) -> None:
    server = redis.Redis.from_url(REDIS)
    workers, _, queue, dupefilter, claims, _ = register_keys
    server.sadd(dupefilter, "fingerprint of a finished crawl")
    server.sadd(claims, "baohatinh:1")
    first = CrawlRegister(server, register_keys, "a")
    started = first.join()
    assert not server.exists(dupefilter) and not server.exists(claims)
    server.sadd(dupefilter, "fingerprint")
    assert CrawlRegister(server, register_keys, "b").join() == started  # joins the same crawl
    assert server.exists(dupefilter)
    # A crawl whose workers all died with requests queued is resumed, fingerprints and all.
    server.delete(workers)
    server.zadd(queue, {"a request": 0})
    CrawlRegister(server, register_keys, "c").join()
    assert server.exists(dupefilter) and server.zcard(queue) == 1
    server.close()


def test_workers_close_together_when_all_are_idle_and_the_queue_is_empty(register_keys: list[str]) -> None:
    server = redis.Redis.from_url(REDIS)
    queue = register_keys[2]
    a, b = CrawlRegister(server, register_keys, "a"), CrawlRegister(server, register_keys, "b")
    a.join()
    b.join()
    assert not a.crawl_done()  # b is still busy
    server.zadd(queue, {"a request": 0})
    assert not b.crawl_done()  # work is queued
    server.delete(queue)
    assert b.crawl_done() and a.crawl_done()
    a.busy()  # a takes a request again: b must wait for it
    assert not b.crawl_done()
    assert a.crawl_done()
    assert not a.leave()  # b is still in the crawl
    assert b.leave()  # the last one out of a finished crawl clears its keys
    assert [key for key in register_keys if server.exists(key)] == []
    server.close()


def test_a_silent_worker_is_not_waited_for_and_work_left_is_kept(register_keys: list[str]) -> None:
    server = redis.Redis.from_url(REDIS)
    workers, _, queue, dupefilter = register_keys[:4]
    alive = CrawlRegister(server, register_keys, "alive", timeout=60)
    alive.join()
    server.zadd(workers, {"killed": 0})  # its last heartbeat: long ago
    assert alive.crawl_done()
    server.zadd(queue, {"a request left behind": 0})
    server.sadd(dupefilter, "fingerprint")
    assert not alive.leave()  # the last live worker leaves unfinished work for the next one
    assert server.zcard(workers) == 0
    assert server.exists(queue) and server.exists(dupefilter)
    server.close()


# -- settings and the command ---------------------------------------------------------------


def test_the_addon_moves_scheduling_to_redis_only_when_asked() -> None:
    settings = Settings({"DVK_REDIS_KEY_PREFIX": "crawls"})
    DistributedCrawl().update_settings(settings)
    assert settings["SCHEDULER"] == "dvk_crawl.distributed.SharedCrawlScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["SCHEDULER_QUEUE_KEY"] % {"spider": SPIDER} == "crawls:baohatinh:requests"
    crawler = get_crawler(settings_dict={})
    assert "SharedCrawlScheduler" not in str(crawler.settings["SCHEDULER"])
    claims = ArticleClaims.from_crawler(crawler)
    assert claims.claim("a:1") and claims.claim("a:1")  # one process: the dedup stage's own set decides


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"DVK_DISTRIBUTED": "1"}, "needs REDIS_URL"),
        ({"DVK_DISTRIBUTED": "1", "REDIS_URL": "redis://127.0.0.1:6379/0"}, "needs a store every worker reaches"),
        (
            {"DVK_DISTRIBUTED": "1", "REDIS_URL": "redis://127.0.0.1:1/0", "DVK_STORE_URL": "postgresql://h/db"},
            "cannot reach Redis at REDIS_URL=redis://127.0.0.1:1/0",
        ),
    ],
)
def test_distributed_mode_says_what_it_lacks(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_settings(Settings(settings))
    check_settings(Settings({"REDIS_URL": "redis://127.0.0.1:1/0"}))  # off: nothing is checked


@pytest.mark.slow
def test_a_worker_does_not_start_beside_a_single_machine_crawl(
    tmp_path: Path, postgres_url: str, redis_prefix: str
) -> None:
    lock = open_store(postgres_url).crawl_lock(SPIDER)
    lock.acquire()
    try:
        command = worker_command("http://127.0.0.1:9", postgres_url, redis_prefix, tmp_path)
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        lock.release()
    assert result.returncode == 2, result.stderr[-2000:]
    assert "another single-machine baohatinh crawl or a dvk-crawl reparse is running" in result.stderr
    assert "Traceback" not in result.stderr


def _eventually(check: Any, timeout: float) -> bool:
    """Poll ``check`` until it is true or ``timeout`` passes (it waits for another thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
