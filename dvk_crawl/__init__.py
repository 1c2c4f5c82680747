"""dvk_crawl: collect and clean "Dân vận khéo" campaign articles from Vietnamese portals.

``extract_article(html, url, portal=None)`` turns one saved page into the article
record without Scrapy; ``scrapy crawl <portal>`` crawls a portal with the same
parsers and stores the records.
"""

from dvk_crawl.extract import ExtractionError, extract_article
from dvk_crawl.record import Article

__version__ = "0.1.0"
__all__ = ["Article", "ExtractionError", "__version__", "extract_article"]
