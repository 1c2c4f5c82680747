"""A portal file the crawl could not use is refused when it is loaded, with file and line.

Each case here was accepted once and went wrong later: two files owning one host stored the
same articles under two ids, an ``article_url`` without its ``key`` group gave ids such as
``ninhbinh:-103.html``, a start point off the portal's hosts was dropped by Scrapy's offsite
filter, a file without start points crawled nothing and exited 0, a portal id with a colon
broke the ``<portal>:<key>`` article id, and a seeds folder without ``portals/`` listed no
spider at all.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dvk_crawl.config import default_seeds_dir
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.portals import load_portal, load_portals
from dvk_crawl.seeds import check_seeds_folder
from tests.conftest import ROOT

HEAD = 'name = "Ninh Bình"\nprovince = "Ninh Bình"\nhome = "https://ninhbinh.gov.vn"\nfamily = "generic"\n'
RULE = "[family_options]\narticle_url = '-(?P<key>\\d+)\\.html$'\n"


def write(folder: Path, portal_id: str, body: str, hosts: str = '"ninhbinh.gov.vn"') -> Path:
    """A portal file ``<folder>/portals/<portal_id>.toml``: the head, ``hosts`` on line 6, then ``body``."""
    (folder / "portals").mkdir(parents=True, exist_ok=True)
    path = folder / "portals" / f"{portal_id}.toml"
    path.write_text(f'id = "{portal_id}"\n{HEAD}hosts = [{hosts}]\n{body}', encoding="utf-8")
    return path


LISTING = 'listings = ["https://ninhbinh.gov.vn/tin-tuc"]\n'


# -- one host, one portal file ----------------------------------------------------------


def test_a_host_in_two_portal_files_names_both_files_and_lines(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", LISTING + RULE)
    write(tmp_path, "ninhbinh2", LISTING + RULE, hosts='"tinhuy.ninhbinh.gov.vn", "ninhbinh.gov.vn"')
    message = (
        rf"{tmp_path}/portals/ninhbinh.toml:6: host ninhbinh.gov.vn is also a host of"
        rf" {tmp_path}/portals/ninhbinh2.toml:6; a host belongs to one portal file"
    )
    with pytest.raises(SeedFileError, match=message):
        load_portals(tmp_path)
    with pytest.raises(
        SeedFileError, match=r"ninhbinh2\.toml:6: host ninhbinh\.gov\.vn is also a host of .*/ninhbinh\.toml:6"
    ):
        load_portal(tmp_path, "ninhbinh2")  # what scrapy crawl ninhbinh2 checks first


def test_a_sub_domain_of_another_files_host_is_its_own_portal(tmp_path: Path) -> None:
    """As ubmttqvn.quangtri.gov.vn (NukeViet) inside quangtri.gov.vn (3CMS): the closest host wins."""
    write(tmp_path, "ninhbinh", LISTING + RULE)
    write(tmp_path, "tinhuy", 'rss = ["https://tinhuy.ninhbinh.gov.vn/rss"]\n' + RULE, hosts='"tinhuy.ninhbinh.gov.vn"')
    assert sorted(load_portals(tmp_path)) == ["ninhbinh", "tinhuy"]


def test_the_bundled_portals_share_no_host() -> None:
    portals = load_portals(default_seeds_dir())
    hosts = [host for portal in portals.values() for host in portal.domains]
    assert len(hosts) == len(set(hosts)) and len(portals) >= 14


# -- the article URL rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (r"-\d+\.html$", "ninhbinh.toml:8: article_url " + re.escape(repr(r"-\d+\.html$")) + " has no group named key"),
        (r"-(?P<id>\d+)\.html$", r"has no group named key \(its groups: id\)"),
        (r"-(?P<key>\d*)\.html$", r"its group key can match an empty text"),
        (r"/(?P<key>[a-z]*|\d+)\.html$", r"its group key can match an empty text"),
    ],
)
def test_an_article_url_rule_must_name_a_key_that_is_never_empty(tmp_path: Path, rule: str, message: str) -> None:
    write(tmp_path, "ninhbinh", f"{LISTING}[family_options]\narticle_url = '{rule}'\n")
    with pytest.raises(SeedFileError, match=message):
        load_portal(tmp_path, "ninhbinh")


def test_a_key_group_with_brackets_and_escapes_is_read_whole(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", f"{LISTING}[family_options]\narticle_url = '-(?P<key>[)(]?\\(\\d+\\))\\.html$'\n")
    portal = load_portal(tmp_path, "ninhbinh")
    assert portal.article_key("https://ninhbinh.gov.vn/tin-tuc/a-(103).html") == "(103)"


# -- start points --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'rss = ["https://ninhbinh.gov.vn/rss"]\nsitemaps = ["https://www.hanam.gov.vn/sitemap.xml"]\n',
            r"ninhbinh.toml:8: sitemaps https://www.hanam.gov.vn/sitemap.xml is on www.hanam.gov.vn, not on the"
            r" portal's hosts \(ninhbinh.gov.vn\)",
        ),
        ('search = "https://timkiem.vn/?q={keyword}"\n', r"ninhbinh.toml:7: search .* is on timkiem.vn"),
        ('listings = ["https://{site}.hanam.gov.vn/tin"]\n[sites]\na = "https://a.ninhbinh.gov.vn"\n', "listings"),
        (LISTING + '[sites]\nhanam = "https://hanam.gov.vn"\n', r"ninhbinh.toml:11: sites hanam https://hanam.gov.vn"),
    ],
)
def test_a_start_point_off_the_portals_hosts_is_refused(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path, "ninhbinh", body.replace("[sites]", RULE + "[sites]") if "[sites]" in body else body + RULE)
    with pytest.raises(SeedFileError, match=message):
        load_portal(tmp_path, "ninhbinh")


def test_start_points_on_sub_domains_and_site_templates_are_the_portals(tmp_path: Path) -> None:
    body = (
        'listings = ["https://{site}.ninhbinh.gov.vn/tin", "https://www.ninhbinh.gov.vn/tin-tuc"]\n'
        'search = "https://ninhbinh.gov.vn/tim-kiem?q={keyword}"\n'
        'site_url = "https://{site}.ninhbinh.gov.vn"\n' + RULE + '[sites]\nhoalu = "https://hoalu.ninhbinh.gov.vn"\n'
    )
    write(tmp_path, "ninhbinh", body)
    assert load_portal(tmp_path, "ninhbinh").seeds.site_table.sites == {"hoalu": "https://hoalu.ninhbinh.gov.vn"}


def test_a_live_portal_without_start_points_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", 'archive = ["https://ninhbinh.gov.vn/"]\n' + RULE)
    with pytest.raises(SeedFileError, match=r"ninhbinh.toml:1: no start point: .*sources = \[\"archive\"\]"):
        load_portal(tmp_path, "ninhbinh")


def test_an_archive_only_portal_needs_no_live_start_point(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", 'sources = ["archive"]\narchive = ["https://ninhbinh.gov.vn/"]\n' + RULE)
    assert load_portal(tmp_path, "ninhbinh").seeds.sources == ("archive",)


def test_sub_sites_are_start_points(tmp_path: Path) -> None:
    """A selected sub-site is crawled from its ``/sitemap.xml`` when the file names none."""
    write(tmp_path, "ninhbinh", RULE + '[sites]\nhoalu = "https://hoalu.ninhbinh.gov.vn"\n')
    assert load_portal(tmp_path, "ninhbinh").seeds.sites


# -- portal ids ----------------------------------------------------------------------------


@pytest.mark.parametrize("portal_id", ["NinhBinh", "ninh binh", "ninh:binh", "ninh.binh", "1ninhbinh", "ninh-binh"])
def test_a_portal_id_is_lower_case_letters_digits_and_underscores(tmp_path: Path, portal_id: str) -> None:
    write(tmp_path, portal_id, LISTING + RULE)
    with pytest.raises(
        SeedFileError, match=rf"{portal_id}\.toml:1: portal id {portal_id!r} .* \^\[a-z\]\[a-z0-9_\]\*\$"
    ):
        load_portal(tmp_path, portal_id)
    with pytest.raises(SeedFileError, match=rf"{portal_id}\.toml"):
        load_portals(tmp_path)


def test_every_bundled_portal_id_is_well_formed() -> None:
    assert all(portal_id.replace("_", "").isalnum() for portal_id in load_portals(default_seeds_dir()))


# -- the seeds folder ----------------------------------------------------------------------


def test_a_seeds_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with pytest.raises(SeedFileError, match=rf"setting DVK_SEEDS_DIR={tmp_path}/none: no such folder"):
        check_seeds_folder(tmp_path / "none")


def test_a_seeds_folder_without_portals_says_what_is_missing(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", LISTING + RULE)
    message = (
        rf"setting DVK_SEEDS_DIR={tmp_path}/portals: the folder has no portals/ folder of portal files"
        rf" \(<id>.toml\); is {tmp_path} the seeds folder\?"
    )
    with pytest.raises(SeedFileError, match=message):
        check_seeds_folder(tmp_path / "portals")
    (tmp_path / "portals" / "ninhbinh.toml").unlink()
    with pytest.raises(SeedFileError, match=rf"setting DVK_SEEDS_DIR={tmp_path}: {tmp_path}/portals holds no"):
        check_seeds_folder(tmp_path)


def test_a_good_seeds_folder_passes(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", LISTING + RULE)
    assert sorted(check_seeds_folder(tmp_path)) == ["ninhbinh"]


# -- what scrapy list and scrapy crawl do with it ---------------------------------------------


def scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings"}
    command = [sys.executable, "-m", "scrapy", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def assert_one_line(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1 and all(part in lines[0] for part in parts), result.stderr[-2000:]
    assert not result.stdout.strip()


@pytest.mark.slow
def test_scrapy_list_and_crawl_stop_on_a_shared_host_and_a_folder_without_portals(tmp_path: Path) -> None:
    write(tmp_path, "ninhbinh", LISTING + RULE)
    write(tmp_path, "ninhbinh2", LISTING + RULE)
    (tmp_path / "keywords.txt").write_text("dân vận khéo\n", encoding="utf-8")
    shared = ("host ninhbinh.gov.vn is also a host of", "/ninhbinh.toml:6", "/ninhbinh2.toml:6")
    assert_one_line(scrapy("list", "-s", f"DVK_SEEDS_DIR={tmp_path}"), *shared)
    store = f"DVK_STORE_URL=sqlite:///{tmp_path / 'dvk.sqlite'}"
    crawl = scrapy("crawl", "ninhbinh2", "-s", f"DVK_SEEDS_DIR={tmp_path}", "-s", store)
    assert_one_line(crawl, *shared)
    assert not (tmp_path / "dvk.sqlite").exists()
    missing = scrapy("list", "-s", f"DVK_SEEDS_DIR={tmp_path / 'portals'}")
    assert_one_line(missing, f"DVK_SEEDS_DIR={tmp_path / 'portals'}: the folder has no portals/ folder")
    unknown = scrapy("crawl", "x", "-s", f"DVK_SEEDS_DIR={tmp_path / 'none'}")
    assert_one_line(unknown, f"DVK_SEEDS_DIR={tmp_path / 'none'}: no such folder")
