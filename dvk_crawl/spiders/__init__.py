"""One spider per portal; all discovery logic lives in :mod:`dvk_crawl.spiders.base`."""
