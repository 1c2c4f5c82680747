"""``scrapy crawl`` that checks spider arguments and ``DVK_`` settings first.

A bad argument or setting ends the command at once with a one-line error naming
it (exit code 2), before any crawler, reactor or store starts.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from dvk_crawl.config import validate_settings
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.spiders.base import PortalSpider, parse_spider_arguments


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            self.check(args[0], opts)
        super().run(args, opts)

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
                parse_spider_arguments(spider_cls.ARGUMENTS, dict(opts.spargs))
                spider_cls.check_seeds(self.settings)
        except (ValueError, SeedFileError) as error:
            raise UsageError(str(error), print_help=False) from None
