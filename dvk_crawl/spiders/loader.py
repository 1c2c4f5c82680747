"""The project's ``SPIDER_LOADER_CLASS``: Scrapy's loader, with one spider per portal file.

The portal spiders are those of the seeds folder the settings name (``DVK_SEEDS_DIR``,
default the bundled ``seeds/``): ``scrapy list`` shows every ``portals/*.toml`` of it,
and a user's folder is the whole set (the bundled portals it lacks are not listed).
``scrapy list`` checks every file of the folder first and stops at one that does not load
(:mod:`dvk_crawl.commands.list`); ``scrapy crawl`` of a broken file says what is wrong,
with file and line, before it starts, while the folder's other portals still crawl. Other
spiders of ``SPIDER_MODULES`` stay.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from dvk_crawl.config import seeds_dir
from dvk_crawl.portals.registry import use_seeds_dir
from dvk_crawl.seeds import portal_ids
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import PortalSpider


class PortalSpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        folder = seeds_dir(settings)
        use_seeds_dir(folder)
        for name, spidercls in list(self._spiders.items()):
            if issubclass(spidercls, PortalSpider):
                del self._spiders[name]
        for portal_id in portal_ids(folder):
            self._spiders[portal_id] = spider_class(portal_id)
