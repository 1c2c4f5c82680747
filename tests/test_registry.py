"""The registry: every portal is complete (spider, seeds, replica, fixtures per layout)."""

from __future__ import annotations

from collections import Counter

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from dvk_crawl.config import PROJECT_DIR
from dvk_crawl.portals import PORTALS, UnknownPortalError, get_portal, portal_for_url
from dvk_crawl.replica.server import SITES_DIR
from tests.conftest import load_fixture_cases

CASES = load_fixture_cases()


@pytest.mark.parametrize("portal_id", sorted(PORTALS))
def test_portal_has_spider_seeds_and_replica(portal_id: str) -> None:
    spiders = SpiderLoader.from_settings(get_project_settings()).list()
    assert portal_id in spiders
    assert (PROJECT_DIR / "seeds" / f"{portal_id}.toml").is_file()
    assert (SITES_DIR / portal_id / "routes.json").is_file()
    assert (SITES_DIR / portal_id / "expected.json").is_file()


@pytest.mark.parametrize(
    ("portal_id", "parser"),
    [(p.id, parser) for p in PORTALS.values() for parser in p.parsers],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_every_layout_of_every_portal_has_a_fixture(portal_id: str, parser: type) -> None:
    portal = get_portal(portal_id)
    layouts = Counter()
    for case in (c for c in CASES if c.portal == portal_id):
        from parsel import Selector

        layouts[portal.parser_for(Selector(text=case.html.decode("utf-8", "replace"))).__name__] += 1
    assert layouts[parser.__name__] >= 1, f"{portal_id} has no fixture for {parser.__name__}/{parser.VERSION}"


def test_fixtures_only_name_registered_portals() -> None:
    assert {c.portal for c in CASES} <= set(PORTALS)


def test_hosts_resolve_to_their_portal() -> None:
    for portal in PORTALS.values():
        assert portal_for_url(portal.home + "/x").id == portal.id


def test_unknown_host_and_name_say_what_is_wrong() -> None:
    with pytest.raises(UnknownPortalError, match=r"hatinh24h\.com\.vn"):
        portal_for_url("https://hatinh24h.com.vn/some-post1.html")
    with pytest.raises(UnknownPortalError, match="known portals"):
        get_portal("nope")
