"""Log lines for dropped items: the reason and the id, not the whole article.

Scrapy's default logs every dropped item's full repr at WARNING; a crawl drops
irrelevant articles by design, so that is neither a warning nor readable.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import logformatter
from scrapy.http import Response
from scrapy.spiders import Spider
from twisted.python.failure import Failure


class DvkLogFormatter(logformatter.LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> logformatter.LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped %(id)s: %(reason)s",
            "args": {"id": ItemAdapter(item).get("id", "?"), "reason": exception},
        }

    def scraped(
        self, item: Any, response: Response | Any, spider: Spider | None = None
    ) -> logformatter.LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(id)s from %(src)s",
            "args": {"id": ItemAdapter(item).get("id", "?"), "src": getattr(response, "url", response)},
        }
