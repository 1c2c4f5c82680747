"""Scrapy settings of dvk_crawl. The project's own ``DVK_*`` settings, with their
defaults and meaning, are in :mod:`dvk_crawl.config` and ``docs/settings.md``.
"""

from dvk_crawl.pipelines import PIPELINE_ORDER

BOT_NAME = "dvk_crawl"
SPIDER_MODULES = ["dvk_crawl.spiders"]
# One spider per portal file of the seeds folder (DVK_SEEDS_DIR): no spider modules.
SPIDER_LOADER_CLASS = "dvk_crawl.spiders.loader.PortalSpiderLoader"
NEWSPIDER_MODULE = "dvk_crawl.spiders"
COMMANDS_MODULE = "dvk_crawl.commands"

# A research crawler on public-sector sites: identify, obey robots.txt, be gentle.
USER_AGENT = "dvk_crawl/0.1 (+research crawler for 'Dân vận khéo' articles)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

ITEM_PIPELINES = PIPELINE_ORDER
# Every crawler checks its DVK_ settings first, however it was started (dvk_crawl.config).
# -s DVK_DISTRIBUTED=1: the request queue and dupefilter move to Redis (scrapy-redis),
# shared by every worker of a crawl; off, this add-on changes nothing.
# The feed and the run files go beside the store (dvk_crawl.storefiles): FEEDS is set
# there, from DVK_STORE_URL, unless given on the command line.
ADDONS = {
    "dvk_crawl.config.SettingsCheck": 0,
    "dvk_crawl.distributed.DistributedCrawl": 100,
    "dvk_crawl.storefiles.StoreFiles": 110,
}
# Before RetryMiddleware (550) in the response chain: a 429/503 from the web archive
# makes its download slot wait what Retry-After asks before the retry.
DOWNLOADER_MIDDLEWARES = {
    # Beside OffsiteMiddleware (50): in replica mode only base_url's port is the portal.
    "dvk_crawl.downloadermiddlewares.replica_port.ReplicaPortMiddleware": 55,
    "dvk_crawl.downloadermiddlewares.archive_backoff.ArchiveBackoffMiddleware": 560,
    # Also before RetryMiddleware: a portal's 503/429 is retried after what Retry-After asks.
    "dvk_crawl.downloadermiddlewares.retry_after.PortalRetryAfterMiddleware": 570,
    # Before RedirectMiddleware (600) sees a redirect answer: links redirecting to another key.
    "dvk_crawl.downloadermiddlewares.redirects.RedirectedKeyMiddleware": 650,
    # Scrapy's HTTP cache without its error recovery: a portal that did not answer is not
    # answered by the kept copy of its feed (dvk_crawl.downloadermiddlewares.httpcache).
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "dvk_crawl.downloadermiddlewares.httpcache.DiscoveryCacheMiddleware": 900,
    # Nearest the downloader (after the HTTP cache, 900): every answer is written to WARC as
    # received, before decompression (590), redirects (600) and retries (550) act on it.
    "dvk_crawl.warc.middleware.WarcMiddleware": 950,
}
# Conditional requests for discovery pages (feeds, sitemaps, listings, search): a page kept
# with its Last-Modified/ETag is asked for again with If-Modified-Since/If-None-Match, and an
# unchanged one costs a 304 (dvk_crawl.httpcache). Article pages are never kept. The cache
# folder, <store's data folder>/httpcache, comes from the StoreFiles add-on.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "dvk_crawl.httpcache.DiscoveryRevalidationPolicy"
HTTPCACHE_GZIP = True
EXTENSIONS = {
    "dvk_crawl.extensions.runreport.RunReport": 500,
    "dvk_crawl.extensions.visits.VisitLog": 505,
    # A progress line every DVK_PROGRESS_INTERVAL seconds: items/s, stored, dropped.
    "dvk_crawl.extensions.progress.ProgressLog": 510,
}

# Every stored article is also appended to a JSON Lines file through Scrapy's feed
# exports; items dropped by a pipeline never reach it. Its FEEDS entry, the store's
# <data folder>/articles.jsonl, comes from the StoreFiles add-on above.
FEED_EXPORT_ENCODING = "utf-8"
# Local feed files are written unbuffered: a line exported is in the file even if the
# crawl is killed right after (an article reaches the feed once the store committed it).
FEED_STORAGES = {"": "dvk_crawl.feeds.LineFileFeedStorage", "file": "dvk_crawl.feeds.LineFileFeedStorage"}
FEED_STORE_EMPTY = False

LOG_LEVEL = "INFO"
LOG_FORMATTER = "dvk_crawl.logformatter.DvkLogFormatter"
