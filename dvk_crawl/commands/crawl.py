"""``scrapy crawl`` that checks spider arguments and ``DVK_`` settings first.

A bad argument or setting ends the command at once with a one-line error naming
it (exit code 2), before any crawler, reactor or store starts; so does a store that
cannot be opened or written (a read-only file or folder, a full disk). A crawl that
the store stops midway (finish reason ``store_error``) exits with code 1.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy import Spider, signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from dvk_crawl.config import setting, validate_settings
from dvk_crawl.distributed import check_settings as check_distributed_settings
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.spiders.base import PortalSpider
from dvk_crawl.store import StoreError, open_store
from dvk_crawl.store.lock import CrawlLock, CrawlLockedError
from dvk_crawl.store.postgres import display_url

# Finish reasons after which the crawl did not do its job: the command exits with 1.
FAILED_FINISH_REASONS = frozenset({"store_error"})


class Command(ScrapyCrawlCommand):
    failed_reason: str | None = None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            self.check(args[0], opts)
            lock = self.lock(args[0])
            try:
                self.check_store()
                super().run(args, opts)
            finally:
                lock.release()
            if self.failed_reason is not None:
                self.exitcode = 1
        else:
            super().run(args, opts)

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        # Scrapy's crawl command sets exit code 1 only when the crawler fails to start.
        crawler = super()._create_crawler(spidercls)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        return crawler

    def spider_closed(self, spider: Spider, reason: str, **kwargs: Any) -> None:
        if reason in FAILED_FINISH_REASONS:
            self.failed_reason = reason

    def check_store(self) -> None:
        """Open the store and try a write before crawling: a store the crawl cannot use is one line, not a traceback."""
        assert self.settings is not None
        store = open_store(setting(self.settings, "DVK_STORE_URL"))
        try:
            store.open()
            store.check_writable()
        except StoreError as error:
            raise UsageError(f"{error} (setting DVK_STORE_URL)", print_help=False) from None
        finally:
            store.close()

    def lock(self, spider_name: str) -> CrawlLock:
        """Hold the store's lock for this spider for the whole crawl, or stop at once.

        The workers of a distributed crawl share one crawl by design: they hold the
        lock shared, so a separate single-machine crawl of the spider cannot start
        beside them, nor they beside it.
        """
        assert self.settings is not None
        url = setting(self.settings, "DVK_STORE_URL")
        distributed = setting(self.settings, "DVK_DISTRIBUTED")
        lock = open_store(url).crawl_lock(spider_name, shared=distributed)
        try:
            lock.acquire()
        except CrawlLockedError as holder:
            kind = "single-machine " if distributed else ""
            raise UsageError(
                f"another {kind}{spider_name} crawl is running on {display_url(url)} ({holder}); this one stops."
                " Let it finish, or give this crawl its own DVK_STORE_URL",
                print_help=False,
            ) from None
        except StoreError as error:
            raise UsageError(str(error), print_help=False) from None
        except OSError as error:  # the lock file cannot be made: a read-only or missing folder
            raise UsageError(
                f"cannot lock the store {display_url(url)} for this crawl: {error} (setting DVK_STORE_URL)",
                print_help=False,
            ) from None
        return lock

    def check(self, spider_name: str, opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self.settings is not None
        try:
            spider_cls = self.crawler_process.spider_loader.load(spider_name)
        except KeyError:
            known = ", ".join(self.crawler_process.spider_loader.list())
            raise UsageError(f"unknown spider {spider_name!r}; known spiders: {known}", print_help=False) from None
        try:
            validate_settings(self.settings)
            check_distributed_settings(self.settings)
            if issubclass(spider_cls, PortalSpider):
                spider_cls.check_arguments(dict(opts.spargs), self.settings)
                spider_cls.check_seeds(self.settings)
        except (ValueError, SeedFileError) as error:
            raise UsageError(str(error), print_help=False) from None
