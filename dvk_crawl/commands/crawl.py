"""``scrapy crawl`` that checks spider arguments and ``DVK_`` settings first.

A bad argument or setting ends the command at once with a one-line error naming
it (exit code 2), before any crawler, reactor or store starts.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from dvk_crawl.config import setting, validate_settings
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.spiders.base import PortalSpider
from dvk_crawl.store import open_store
from dvk_crawl.store.lock import CrawlLock, CrawlLockedError


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            self.check(args[0], opts)
            lock = self.lock(args[0])
            try:
                super().run(args, opts)
            finally:
                lock.release()
        else:
            super().run(args, opts)

    def lock(self, spider_name: str) -> CrawlLock:
        """Hold the store's lock for this spider for the whole crawl, or stop at once."""
        assert self.settings is not None
        url = setting(self.settings, "DVK_STORE_URL")
        lock = open_store(url).crawl_lock(spider_name)
        try:
            lock.acquire()
        except CrawlLockedError as holder:
            raise UsageError(
                f"another {spider_name} crawl is running on {url} ({holder}); this one stops."
                " Let it finish, or give this crawl its own DVK_STORE_URL",
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
            if issubclass(spider_cls, PortalSpider):
                spider_cls.check_arguments(dict(opts.spargs), self.settings)
                spider_cls.check_seeds(self.settings)
        except (ValueError, SeedFileError) as error:
            raise UsageError(str(error), print_help=False) from None
