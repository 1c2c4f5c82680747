"""``scrapy crawl`` that checks its input first and whose exit code tells how the run went.

Exit code 2, one line, before any crawler, reactor or store starts: a bad argument or
setting, a seeds or keywords file that cannot be used, a store that cannot be opened
or written, a ``DVK_RUNS_DIR`` that cannot take the run file, a WARC folder that cannot
take the pages (``DVK_WARC_ENABLED``), another crawl of the
spider on the store, a ``JOBDIR`` whose job already finished.

Exit code 1, with one line at the end (``baohatinh: 5 of 5 start points failed
(dns_error): is the network up?``): a run that did not do its work: every start point
failed, interrupted (Ctrl-C, SIGTERM: finish reason ``shutdown``; or stopped before the
spider closed), the store failed (``store_error``), the feed could not be written
(``feed_error``), the WARC files could not be written (``warc_error``), the run file
could not be written.
Exit code 0: the run finished (a ``CLOSESPIDER_*`` limit the user set included).
The docs list them all: ``docs/reliability.md``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from dvk_crawl.config import seeds_dir, setting, validate_settings
from dvk_crawl.distributed import check_settings as check_distributed_settings
from dvk_crawl.extensions.runreport import check_runs_dir, runs_dir
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.seeds import check_seeds_folder
from dvk_crawl.spiders.base import PortalSpider
from dvk_crawl.store import StoreError, open_store
from dvk_crawl.store.lock import CrawlLock, CrawlLockedError
from dvk_crawl.storefiles import check_folder_writable, store_warc_dir
from dvk_crawl.storeurl import display_url


class Command(ScrapyCrawlCommand):
    def __init__(self) -> None:
        super().__init__()
        self.crawlers: list[Crawler] = []
        self.finish_reason: str | None = None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            self.check(args[0], opts)
            lock = self.lock(args[0])
            try:
                self.check_store()
                self.check_runs_dir(args[0])
                self.check_warc_dir(args[0])
                self.check_job()
                super().run(args, opts)
            finally:
                lock.release()
            self.report_failure(args[0])
        else:
            super().run(args, opts)

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        # Scrapy's crawl command sets exit code 1 only when the crawler fails to start.
        crawler = super()._create_crawler(spidercls)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        self.crawlers.append(crawler)
        return crawler

    def spider_closed(self, spider: Spider, reason: str, **kwargs: Any) -> None:
        self.finish_reason = reason
        jobdir = spider.crawler.settings.get("JOBDIR")
        if jobdir and reason == "finished":
            mark_job_finished(Path(jobdir))

    def report_failure(self, spider_name: str) -> None:
        """Exit code 1 and one line when the run did not do its work (``RunReport`` names why)."""
        if self.exitcode:  # Scrapy's own: the crawler did not start, and said why
            return
        failure = next(
            (c.stats.get_value("dvk/run/failure") for c in self.crawlers if c.stats is not None),
            None,
        )
        if failure is None and self.finish_reason is None and self.crawlers:
            # Ctrl-C while the crawl starts, or a second one, stops it before the spider closes: no run file.
            failure = "interrupted before the spider closed (no run file); run the same command again to go on"
        if failure:
            print(f"{spider_name}: {failure}", file=sys.stderr, flush=True)
            self.exitcode = 1

    def check_runs_dir(self, spider_name: str) -> None:
        """A run file that cannot be written is found now, not after the whole crawl."""
        assert self.settings is not None
        try:
            check_runs_dir(self.settings, spider_name)
        except OSError as error:
            folder = runs_dir(self.settings)
            message = f"cannot write run files to {folder}: {error.strerror or error} (setting DVK_RUNS_DIR)"
            raise UsageError(message, print_help=False) from None

    def check_warc_dir(self, spider_name: str) -> None:
        """Pages that cannot be kept are found now, not at the first response."""
        assert self.settings is not None
        if not setting(self.settings, "DVK_WARC_ENABLED"):
            return
        folder = store_warc_dir(setting(self.settings, "DVK_STORE_URL")) / spider_name
        try:
            check_folder_writable(folder)
        except OSError as error:
            message = (
                f"cannot write WARC files to {folder}: {error.strerror or error} (DVK_WARC_ENABLED=0 keeps no pages)"
            )
            raise UsageError(message, print_help=False) from None

    def check_job(self) -> None:
        """Stop at once on a ``JOBDIR`` whose job finished: Scrapy would request nothing again."""
        assert self.settings is not None
        jobdir = self.settings.get("JOBDIR")
        if jobdir and job_finished(Path(jobdir)):
            raise UsageError(
                f"the job in JOBDIR={jobdir} has finished: its requests are all done and a re-run would fetch"
                f" nothing. To start a new run, give a new JOBDIR or remove {jobdir}",
                print_help=False,
            )

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
                f"another {kind}{spider_name} crawl or a dvk-crawl reparse is running on {display_url(url)} ({holder});"
                " this one stops."
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
            try:  # no spiders at all when DVK_SEEDS_DIR is no folder of portal files: say that
                check_seeds_folder(seeds_dir(self.settings))
            except SeedFileError as error:
                raise UsageError(str(error), print_help=False) from None
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


JOB_FINISHED = "dvk-job-finished"
"""The file in a ``JOBDIR`` that says its job finished (Scrapy's files cannot tell: a job
interrupted before it queued anything looks drained too)."""


def mark_job_finished(jobdir: Path) -> None:
    (jobdir / JOB_FINISHED).write_text(datetime.now(UTC).isoformat(timespec="seconds") + "\n", encoding="utf-8")


def job_finished(jobdir: Path) -> bool:
    """Whether a job directory holds a finished job: a run of it closed with finish reason
    ``finished``. A job stopped midway (Ctrl-C, SIGTERM, a ``CLOSESPIDER_*`` limit, a kill)
    resumes, whatever its queue holds."""
    return (jobdir / JOB_FINISHED).is_file()
