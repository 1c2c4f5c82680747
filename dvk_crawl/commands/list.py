"""``scrapy list`` that checks the portal files it lists.

Exit code 2 and one line, listing nothing, when the seeds folder (``DVK_SEEDS_DIR``) is no
folder of portal files (it does not exist, it has no ``portals/``, that holds no
``<id>.toml``) or when a portal file of it does not load: the error names the file and
line, and for a host declared by two files both files (:mod:`dvk_crawl.seeds`). ``scrapy
crawl`` of a portal checks that portal's file the same way before it starts.
"""

from __future__ import annotations

import argparse

from scrapy.commands.list import Command as ScrapyListCommand
from scrapy.exceptions import UsageError

from dvk_crawl.config import seeds_dir
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.portals.registry import load_portals
from dvk_crawl.seeds import check_seeds_folder


class ListCommand(ScrapyListCommand):
    """Scrapy's list, after the check of every portal file (the command is named after its module)."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        folder = seeds_dir(self.settings)
        try:
            check_seeds_folder(folder)
            load_portals(folder)
        except SeedFileError as error:
            raise UsageError(str(error), print_help=False) from None
        super().run(args, opts)
