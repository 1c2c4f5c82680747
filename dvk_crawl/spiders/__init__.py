"""One spider per declared portal, generated from the registry: there are no spider modules.

All discovery logic lives in :mod:`dvk_crawl.spiders.base`; a portal's spider is
``PortalSpider`` with its ``name`` and ``portal_id`` set (:func:`spider_class`). The
spider loader :class:`dvk_crawl.spiders.loader.PortalSpiderLoader` (the project's
``SPIDER_LOADER_CLASS``) lists one spider per portal file of the seeds folder, a user's
``DVK_SEEDS_DIR`` included; the bundled portals' classes are also attributes of this
module (``BaohatinhSpider``), for Scrapy's default loader.
"""

from __future__ import annotations

import functools

from dvk_crawl.config import default_seeds_dir
from dvk_crawl.seeds import portal_ids
from dvk_crawl.spiders.base import PortalSpider


@functools.cache
def spider_class(portal_id: str) -> type[PortalSpider]:
    """The spider class of a portal (``spider_class("baohatinh").name == "baohatinh"``), one per process."""
    class_name = "".join(part.capitalize() for part in portal_id.replace("-", "_").split("_")) + "Spider"
    namespace = {
        "name": portal_id,
        "portal_id": portal_id,
        "__module__": __name__,
        "__qualname__": class_name,
        "__doc__": f"Discovery for the portal {portal_id} (seeds/portals/{portal_id}.toml).",
    }
    return type(class_name, (PortalSpider,), namespace)


for _portal_id in portal_ids(default_seeds_dir()):
    globals()[spider_class(_portal_id).__name__] = spider_class(_portal_id)

__all__ = ["spider_class"]
