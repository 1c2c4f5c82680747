"""The registry is data: every portal is one file on a known family, complete with replica and fixtures.

A new portal on a known family is one TOML file in a user's ``DVK_SEEDS_DIR``: it is
listed by ``scrapy list`` and crawled like a bundled one, with no Python written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from dvk_crawl import extract_article
from dvk_crawl.config import PROJECT_DIR, default_seeds_dir
from dvk_crawl.families import FAMILIES, get_family
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.portals import PORTALS, UnknownPortalError, get_portal, load_portals, portal_for_url, use_seeds_dir
from dvk_crawl.replica.server import SITES_DIR
from dvk_crawl.seeds import portal_ids
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import PortalSpider
from dvk_crawl.spiders.loader import PortalSpiderLoader
from tests.conftest import ROOT, load_fixture_cases, run_crawl

CASES = load_fixture_cases()
SEEDS = ROOT / "seeds"
BUNDLED = sorted(PORTALS)


@pytest.fixture(autouse=True)
def bundled_registry() -> Iterator[None]:
    """A spider loader makes its seeds folder the registry of the process: give the bundled one back."""
    yield
    use_seeds_dir(default_seeds_dir())


@pytest.mark.parametrize("portal_id", sorted(PORTALS))
def test_portal_is_one_file_with_a_spider_and_a_replica(portal_id: str) -> None:
    spiders = PortalSpiderLoader.from_settings(get_project_settings()).list()
    assert portal_id in spiders
    assert (PROJECT_DIR / "seeds" / "portals" / f"{portal_id}.toml").is_file()
    assert (SITES_DIR / portal_id / "routes.json").is_file()
    assert (SITES_DIR / portal_id / "expected.json").is_file()


def test_every_portal_is_on_a_registered_family_and_no_spider_module_is_left() -> None:
    assert {portal.family for portal in PORTALS.values()} <= set(FAMILIES)
    for portal in PORTALS.values():
        assert portal.parsers == get_family(portal.family).parsers
    modules = sorted(p.stem for p in (PROJECT_DIR / "dvk_crawl" / "spiders").glob("*.py"))
    # The shared discovery base and its collaborators; no module per portal.
    assert modules == ["__init__", "addresses", "base", "listings", "loader", "window"]
    assert not set(modules) & set(PORTALS)
    assert spider_class("baohatinh") is spider_class("baohatinh")
    assert issubclass(spider_class("quangtri"), PortalSpider) and spider_class("quangtri").name == "quangtri"


@pytest.mark.parametrize(
    ("portal_id", "parser"),
    [(p.id, parser) for p in PORTALS.values() for parser in p.parsers],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_every_layout_of_every_portal_has_a_fixture(portal_id: str, parser: type) -> None:
    portal = get_portal(portal_id)
    layouts: Counter[str] = Counter()
    for case in (c for c in CASES if c.portal == portal_id):
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


# -- a new portal on a known family: one file ---------------------------------------

EXAMPLE = "baoexample"


def example_seeds(tmp_path: Path) -> Path:
    """The bundled seeds plus one portal file: a paper on the bao_cms family, served by the baohatinh replica.
    It takes baohatinh's host, which belongs to one portal file: baohatinh's is left out."""
    seeds = Path(shutil.copytree(SEEDS, tmp_path / "seeds"))
    (seeds / "portals" / "baohatinh.toml").unlink()
    (seeds / "portals" / f"{EXAMPLE}.toml").write_text(
        "\n".join(
            [
                f'id = "{EXAMPLE}"',
                'name = "Báo Ví Dụ"',
                'province = "Hà Tĩnh"',
                'home = "https://baohatinh.vn"',
                'hosts = ["baohatinh.vn"]',
                'family = "bao_cms"',
                'rss = ["https://baohatinh.vn/rss/home.rss"]',
                'sitemaps = ["https://baohatinh.vn/sitemap.xml"]',
                'listings = ["https://baohatinh.vn/dan-van-kheo-tag4017.html", "https://baohatinh.vn/chu-de/dan-van-kheo.html"]',
                'search = "https://baohatinh.vn/tim-kiem/?q={keyword}"',
                "",
            ]
        ),
        encoding="utf-8",
    )
    return seeds


def test_a_user_folder_is_the_whole_set_of_portals(tmp_path: Path) -> None:
    seeds = example_seeds(tmp_path)
    (seeds / "portals" / "quangtri.toml").unlink()
    assert portal_ids(seeds) == sorted({*BUNDLED, EXAMPLE} - {"quangtri", "baohatinh"})
    loaded = load_portals(seeds)
    assert loaded[EXAMPLE].family == "bao_cms" and loaded[EXAMPLE].seeds.search is not None
    spiders = PortalSpiderLoader.from_settings(Settings({"DVK_SEEDS_DIR": str(seeds)})).list()
    assert sorted(spiders) == portal_ids(seeds)
    assert sorted(PORTALS) == portal_ids(seeds)  # the crawl's extraction finds the user's portals


GENERIC = "baogeneric"


def generic_seeds(tmp_path: Path, article_url: str) -> Path:
    """The bundled seeds plus a portal on the generic family with its own article URL rule."""
    seeds = Path(shutil.copytree(SEEDS, tmp_path / "seeds"))
    lines = [
        f'id = "{GENERIC}"',
        'name = "Báo Không Rõ Nền Tảng"',
        'province = "Hà Tĩnh"',
        'home = "https://baogeneric.vn"',
        'hosts = ["baogeneric.vn"]',
        'family = "generic"',
        'rss = ["https://baogeneric.vn/rss/home.rss"]',
        "",
        "[family_options]",
        f"article_url = '{article_url}'",
        "",
    ]
    (seeds / "portals" / f"{GENERIC}.toml").write_text("\n".join(lines), encoding="utf-8")
    return seeds


def test_a_portal_on_the_generic_family_is_one_file_with_its_url_rule(tmp_path: Path) -> None:
    portal = load_portals(generic_seeds(tmp_path, r"-post(?P<key>\d+)\.html$"))[GENERIC]
    assert portal.parsers == get_family("generic").parsers
    page = "https://BaoGeneric.vn/tin-tuc/lan-toa-post259960.html?utm=x#top"
    canonical = portal.canonicalize(page)
    assert canonical == "https://baogeneric.vn/tin-tuc/lan-toa-post259960.html"
    assert portal.article_key(canonical) == "259960"
    assert portal.article_key("https://baogeneric.vn/chu-de/dan-van.html") is None
    use_seeds_dir(tmp_path / "seeds")
    case = next(c for c in load_fixture_cases() if c.name == "cam-xuyen-1440-seed000")
    article = extract_article(case.html, canonical, GENERIC)
    assert article.id == f"{GENERIC}:259960" and article.parser.startswith("generic/")
    assert article.title == case.expected["title"]


def test_a_generic_article_url_that_is_no_regular_expression_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(SeedFileError, match=rf"{GENERIC}\.toml:9: article_url '\(' is not a regular expression"):
        load_portals(generic_seeds(tmp_path, "("))


@pytest.mark.slow
def test_a_new_portal_on_a_known_family_is_listed_and_crawled(tmp_path: Path, replicas: dict[str, str]) -> None:
    seeds = example_seeds(tmp_path)
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list", "-s", f"DVK_SEEDS_DIR={seeds}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings"},
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.split() == sorted({*BUNDLED, EXAMPLE} - {"baohatinh"})

    work = tmp_path / "crawl"
    work.mkdir()
    result = run_crawl(EXAMPLE, replicas["baohatinh"], work, "-s", f"DVK_SEEDS_DIR={seeds}")
    assert result.returncode == 0, result.output[-4000:]
    expected = json.loads((SITES_DIR / "baohatinh" / "expected.json").read_text(encoding="utf-8"))
    stored = sorted(record["id"] for record in result.records())
    assert stored == sorted(i.replace("baohatinh:", f"{EXAMPLE}:") for i in expected["stored_ids"])
    assert {record["portal"] for record in result.records()} == {EXAMPLE}
