"""Distributed crawls: several ``scrapy crawl`` processes share one crawl of a portal.

``-s DVK_DISTRIBUTED=1 -s REDIS_URL=redis://host:6379/0`` (with a PostgreSQL
``DVK_STORE_URL``) turns on, through the :class:`DistributedCrawl` add-on:

- scrapy-redis's scheduler and dupefilter: the request queue and the request
  fingerprints live in Redis under ``<DVK_REDIS_KEY_PREFIX>:<spider>:…``, so every
  worker of a spider, on any machine, takes requests from one queue and a URL is
  fetched once per crawl. Every worker yields the start points; the shared
  dupefilter drops all but the first copy of each, so that is harmless;
- :class:`SharedCrawlScheduler`, which keeps a register of the crawl's workers
  (heartbeats, Redis server time) and ends the crawl: an idle worker stays open
  while the queue holds requests or another live worker is busy, and closes once
  all are idle with the queue empty. The last worker to leave an empty queue
  deletes the crawl's keys, so the next crawl starts fresh; one that leaves work
  behind (stopped, killed) leaves the keys, and the next worker resumes the queue;
- :class:`ArticleClaims` for the dedup stage: an article id passes once per crawl
  across all workers (``SADD``), even when two workers found it under two URLs.

Near duplicates stay right across workers because the store stage writes each
batch with its signatures and copy links inside the store's ``dedup_section``.

A worker killed outright loses the requests it had taken from the queue (Redis
hands each out once); its heartbeat stops and after ``WORKER_TIMEOUT`` seconds the
others no longer wait for it. The articles it would have stored are picked up by
the next incremental crawl: they are neither stored nor visited.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import load_object
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from dvk_crawl.config import setting
from dvk_crawl.storeurl import display_url

logger = logging.getLogger(__name__)

HEARTBEAT = 10.0  # seconds between a worker's "still here" in the register
WORKER_TIMEOUT = 60  # a worker silent this long is gone (killed, or its machine is)

# Shared Lua: the register lives in <crawl>:workers (sorted set: worker -> last
# heartbeat, Redis server time so machines' clocks do not matter) and <crawl>:idle.
_LUA_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))) do
    redis.call('ZREM', KEYS[1], gone)
    redis.call('SREM', KEYS[2], gone)
end
local function pending(key)
    local kind = redis.call('TYPE', key)['ok']
    if kind == 'zset' then return redis.call('ZCARD', key) end
    if kind == 'list' then return redis.call('LLEN', key) end
    return 0
end
"""
# KEYS: workers, idle, queue, dupefilter, claims, started. Returns the crawl's start.
_JOIN = (
    _LUA_COMMON
    + """
if redis.call('ZCARD', KEYS[1]) == 0 then
    -- The first worker: claims of an earlier crawl mean nothing now. An empty queue
    -- is a new crawl (forget the old fingerprints); a full one is resumed.
    redis.call('DEL', KEYS[2], KEYS[5])
    if pending(KEYS[3]) == 0 then
        redis.call('DEL', KEYS[4], KEYS[6])
    end
end
redis.call('SET', KEYS[6], ARGV[3], 'NX')
redis.call('ZADD', KEYS[1], now, ARGV[1])
return redis.call('GET', KEYS[6])
"""
)
# KEYS: workers, idle, queue. Marks the worker idle; 1 when the whole crawl is done.
_IDLE = (
    _LUA_COMMON
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
if pending(KEYS[3]) > 0 then return 0 end
for _, worker in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if redis.call('SISMEMBER', KEYS[2], worker) == 0 then return 0 end
end
return 1
"""
)
# KEYS: workers, idle, queue, dupefilter, claims, started. Returns 1 when the crawl's keys went.
_LEAVE = (
    _LUA_COMMON
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 and pending(KEYS[3]) == 0 then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
    return 1
end
return 0
"""
)
_HEARTBEAT = (
    _LUA_COMMON
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1
"""
)


def crawl_key(settings: BaseSettings, spider_name: str, part: str) -> str:
    """``<DVK_REDIS_KEY_PREFIX>:<spider>:<part>``: one crawl of one spider."""
    return f"{setting(settings, 'DVK_REDIS_KEY_PREFIX')}:{spider_name}:{part}"


def check_settings(settings: BaseSettings) -> None:
    """Raise ``ValueError`` with one line when distributed mode cannot work as set."""
    if not setting(settings, "DVK_DISTRIBUTED"):
        return
    if not settings.get("REDIS_URL"):
        raise ValueError("DVK_DISTRIBUTED=1 needs REDIS_URL (e.g. -s REDIS_URL=redis://127.0.0.1:6379/0)")
    store = setting(settings, "DVK_STORE_URL")
    if not store.startswith(("postgresql:", "postgres:")):
        raise ValueError(
            f"DVK_DISTRIBUTED=1 needs a store every worker reaches: DVK_STORE_URL=postgresql://…, not {store!r}"
        )
    server = get_redis_from_settings(settings)
    try:
        server.ping()
    except Exception as error:  # redis raises its own ConnectionError, TimeoutError, AuthenticationError …
        raise ValueError(f"cannot reach Redis at REDIS_URL={display_url(settings.get('REDIS_URL'))}: {error}") from None
    finally:
        server.close()


class DistributedCrawl:
    """Add-on: with ``DVK_DISTRIBUTED=1``, requests are scheduled and deduplicated in Redis.

    Reads ``DVK_DISTRIBUTED``, ``DVK_REDIS_KEY_PREFIX`` and scrapy-redis's ``REDIS_URL``.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedCrawl:
        if not setting(crawler.settings, "DVK_DISTRIBUTED"):
            raise NotConfigured
        return cls()

    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("SCHEDULER", f"{__name__}.SharedCrawlScheduler", priority="addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="addon")
        prefix = setting(settings, "DVK_REDIS_KEY_PREFIX")
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests", priority="addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:dupefilter", priority="addon")
        # The register, not SCHEDULER_PERSIST, decides when the shared keys go.
        settings.set("SCHEDULER_PERSIST", True, priority="addon")


class CrawlRegister:
    """The workers of one crawl in Redis: who is in, who is idle, when the crawl is done.

    ``keys``: workers, idle, queue, dupefilter, claims, started (see ``_JOIN``). Every
    step is one Lua script, so two workers never see the register half-changed.
    """

    def __init__(self, server: Any, keys: list[str], worker: str, timeout: int = WORKER_TIMEOUT) -> None:
        self.server = server
        self.keys = keys
        self.worker = worker
        self.timeout = timeout
        self.idle = False

    def _script(self, lua: str, keys: list[str], *args: Any) -> Any:
        return self.server.eval(lua, len(keys), *keys, self.worker, self.timeout, *args)

    def join(self) -> str:
        """Enter the crawl (a new one, or resume a queue left behind); return when it started."""
        return _text(self._script(_JOIN, self.keys, datetime.now(UTC).isoformat(timespec="seconds")))

    def heartbeat(self) -> None:
        self._script(_HEARTBEAT, self.keys[:2])

    def busy(self) -> None:
        if self.idle:
            self.server.srem(self.keys[1], self.worker)
            self.idle = False

    def crawl_done(self) -> bool:
        """Mark this worker idle; true when every live worker is idle and the queue is empty."""
        self.idle = True
        return bool(self._script(_IDLE, self.keys[:3]))

    def leave(self) -> bool:
        """Leave the crawl; true when this was the last worker and the crawl's keys are gone."""
        return bool(self._script(_LEAVE, self.keys))


class SharedCrawlScheduler(RedisScheduler):  # type: ignore[misc]  # scrapy-redis ships no types
    """scrapy-redis's scheduler, plus the register of the crawl's workers (see the module)."""

    crawler: Crawler
    register: CrawlRegister
    beat: Any
    df: Any

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedCrawlScheduler:
        scheduler: SharedCrawlScheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        # scrapy-redis counts with the deprecated spider= argument: count here instead.
        scheduler.stats = None
        scheduler.beat = None
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's open() without its deprecated spider.log() and flush-on-start
        # (the register decides what to keep): the shared queue and dupefilter.
        self.spider = spider
        queue_cls = load_object(self.queue_cls)
        self.queue = queue_cls(self.server, spider, self.queue_key % {"spider": spider.name}, self.serializer)
        if self.df is None:  # only built here: RFPDupeFilter keys its set by spider name
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        key = self.crawler.settings, spider.name
        keys = [crawl_key(*key, "workers"), crawl_key(*key, "idle"), self.queue.key, self.df.key]
        keys += [crawl_key(*key, "claims"), crawl_key(*key, "started")]
        worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.register = CrawlRegister(self.server, keys, worker)
        started = self.register.join()
        assert self.crawler.stats is not None
        # Every worker's run reports the crawl's start: the next incremental crawl
        # trusts sitemaps unchanged since then, and the first worker read them then.
        self.crawler.stats.set_value("dvk/crawl_started_at", started)
        pending = len(self.queue)
        logger.info(
            "worker %s joined the crawl of %s (started %s, %d requests queued)", worker, spider.name, started, pending
        )
        self.beat = create_looping_call(self.heartbeat)
        self.beat.start(HEARTBEAT, now=False)

    def heartbeat(self) -> None:
        try:
            self.register.heartbeat()
        except Exception:  # a lost heartbeat is retried at the next beat; the crawl goes on
            logger.warning("heartbeat to Redis failed", exc_info=True)

    def enqueue_request(self, request: Any) -> bool:
        queued = bool(super().enqueue_request(request))
        if queued:
            self._count("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Any:
        # Busy again *before* taking a request: no worker may look idle while it
        # holds one, or the others could end the crawl under it.
        self.register.busy()
        request = super().next_request()
        if request is not None:
            self._count("scheduler/dequeued/redis")
        return request

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def spider_idle(self, spider: Spider) -> None:
        """Close only when the whole crawl is done, not when this worker ran dry."""
        if not self.register.crawl_done():
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        if self.register.leave():
            logger.info("the last worker left an empty queue: the crawl's Redis keys are deleted")
        else:
            logger.info("worker %s left the crawl (%s)", self.register.worker, reason)


class ArticleClaims:
    """Ids the dedup stage let through in this crawl, in every worker (``DVK_DISTRIBUTED``).

    ``claim`` is true for the first worker to ask about an id, atomically (``SADD``):
    two workers that both found an id not yet in the store, each before the other's
    batch was written, do not both store it. Without distributed mode every id
    passes here: the dedup stage's own set covers a single process.
    """

    def __init__(self, server: Any = None, key: str = "") -> None:
        self.server = server
        self.key = key

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleClaims:
        if not setting(crawler.settings, "DVK_DISTRIBUTED") or crawler.spider is None:
            return cls()
        return cls(
            get_redis_from_settings(crawler.settings), crawl_key(crawler.settings, crawler.spider.name, "claims")
        )

    def claim(self, article_id: str) -> bool:
        if self.server is None:
            return True
        return bool(self.server.sadd(self.key, article_id))


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
