"""The crawl's publication window: ``-a until`` counts its whole day, in Vietnam's time."""

from __future__ import annotations

from datetime import datetime

import pytest

from dvk_crawl.dates import VIETNAM, PublicationTime
from dvk_crawl.spiders.window import CrawlWindow, parse_lastmod

MARCH = CrawlWindow.of_days(datetime(2024, 3, 1, tzinfo=VIETNAM), datetime(2024, 3, 31, tzinfo=VIETNAM))


def at(*parts: int) -> PublicationTime:
    return PublicationTime(datetime(*parts, tzinfo=VIETNAM), "minute")  # type: ignore[misc]


def test_the_window_holds_its_first_and_last_day_whole_and_unknown_dates() -> None:
    assert MARCH.holds(at(2024, 3, 1, 0, 0)) and MARCH.holds(at(2024, 3, 31, 23, 59))
    assert not MARCH.holds(at(2024, 2, 29, 23, 59)) and not MARCH.holds(at(2024, 4, 1, 0, 0))
    assert MARCH.holds(None)  # the article page may still tell
    assert CrawlWindow().holds(at(1999, 1, 1, 0, 0))


@pytest.mark.parametrize(
    ("loc", "held"),
    [
        ("https://baohatinh.vn/sitemaps/news-2024-3.xml", True),
        ("https://baohatinh.vn/sitemaps/news-2024-2.xml", False),
        ("https://baohatinh.vn/sitemaps/news-2024-4.xml", False),
        ("https://baohatinh.vn/sitemaps/news-2024-12.xml", False),
        ("https://baohatinh.vn/sitemaps/categories.xml", True),  # no month in it: lastmod decides
    ],
)
def test_a_monthly_sitemap_outside_the_window_is_skipped(loc: str, held: bool) -> None:
    assert MARCH.sitemap_may_hold(loc, None) is held


def test_lastmod_before_since_is_outside_and_a_naive_one_is_vietnam_time() -> None:
    assert not MARCH.lastmod_may_be_inside("2024-02-29T23:00:00+07:00")
    assert MARCH.lastmod_may_be_inside("2024-02-29T17:30:00Z")  # 00:30 on 1 March in Vietnam
    assert not MARCH.lastmod_may_be_inside("2024-02-29T23:59:00")
    assert MARCH.lastmod_may_be_inside("not a date") and MARCH.lastmod_may_be_inside(None)
    assert parse_lastmod("2024-03-01T00:00:00") == datetime(2024, 3, 1, tzinfo=VIETNAM)
    assert parse_lastmod("yesterday") is None
