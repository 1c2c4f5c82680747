"""Sub-sites of a multi-site portal by name (``-a sites=``): the table, ``all``, names the file
lacks, malformed names, per-site start points and archive prefixes, and a site that fails whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from scrapy.utils.test import get_crawler

from dvk_crawl.config import default_seeds_dir
from dvk_crawl.extensions.runreport import discovery_outcome, incomplete_because, run_failure
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.portals import get_portal
from dvk_crawl.replica.server import ReplicaServer
from dvk_crawl.replica.wayback import serve_wayback
from dvk_crawl.seeds import load_portal_file
from dvk_crawl.sites import SiteSelectionError, SiteTable, select_sites, site_search
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import PortalSpider, SpiderArgumentError
from tests.conftest import ROOT, run_crawl
from tests.test_archive import MINH_LONG, archive_crawl, cdx_params

QUANGTRI = get_portal("quangtri").seeds.site_table
QUANGNGAI = get_portal("quangngai").seeds.site_table


def make_spider(portal: str, **arguments: str) -> PortalSpider:
    spidercls = spider_class(portal)
    spider = spidercls.from_crawler(get_crawler(spidercls), **arguments)
    assert isinstance(spider, PortalSpider)
    return spider


# -- which sites a sites= value means -------------------------------------------------


def test_without_sites_the_default_list_is_crawled_and_all_means_every_listed_site() -> None:
    assert list(select_sites(QUANGTRI, None).sites) == ["www", "trieuphong", "trieuco", "snnmt"]
    every = select_sites(QUANGTRI, "all").sites
    assert {"hailang", "giolinh", "conco", "www"} <= set(every) and every == QUANGTRI.sites
    # an empty default_sites picks no sub-site: the file's plain start points stand
    assert select_sites(QUANGNGAI, None).sites == {}
    assert set(select_sites(QUANGNGAI, "all").sites) >= {"minhlong", "binhson", "lyson"}


def test_all_takes_the_province_s_own_site_of_every_multi_site_portal() -> None:
    # The province site is a [sites] entry wherever the portal has one: `all` and `www` take it.
    assert select_sites(QUANGNGAI, "all").sites["www"] == "https://quangngai.gov.vn"
    assert select_sites(QUANGNGAI, "www").sites == {"www": "https://quangngai.gov.vn"}
    assert select_sites(QUANGNGAI, "www").guessed == ()
    assert select_sites(QUANGTRI, "all").sites["www"] == "https://www.quangtri.gov.vn"
    assert get_portal("quangbinh").seeds.site_table.sites["www"] == "https://www.quangbinh.gov.vn"


@pytest.mark.parametrize("requested", ["all,Bad_Name!!,ubmttqvn", "Bad_Name!!,all", "all,ubmttqvn"])
def test_all_does_not_excuse_the_other_names(requested: str) -> None:
    with pytest.raises(SiteSelectionError):
        select_sites(QUANGTRI, requested, "quangtri")
    with pytest.raises(SpiderArgumentError):
        spider_class("quangtri").check_arguments({"sites": requested}, get_crawler().settings)


def test_all_with_an_unlisted_name_takes_every_listed_site_and_tries_that_one() -> None:
    selection = select_sites(QUANGTRI, "all,xa-cam-hieu")
    assert selection.sites == {**QUANGTRI.sites, "xa-cam-hieu": "https://xa-cam-hieu.quangtri.gov.vn"}
    assert selection.guessed == ("xa-cam-hieu",)


def test_listed_names_map_to_their_base_urls() -> None:
    selection = select_sites(QUANGTRI, "hailang, GioLinh,hailang")
    assert selection.sites == {
        "hailang": "https://hailang.quangtri.gov.vn",
        "giolinh": "https://giolinh.quangtri.gov.vn",
    }
    assert selection.guessed == ()


def test_a_well_formed_name_the_file_lacks_is_tried_under_the_template() -> None:
    selection = select_sites(QUANGTRI, "hailang,xa-cam-hieu")
    assert selection.sites["xa-cam-hieu"] == "https://xa-cam-hieu.quangtri.gov.vn"
    assert selection.guessed == ("xa-cam-hieu",)
    assert select_sites(QUANGNGAI, "mangden").sites == {"mangden": "https://mangden.quangngai.gov.vn"}


@pytest.mark.parametrize("name", ["no_where", "-lead", "trail-", "a.b", "x" * 64, "hải-lăng"])
def test_a_name_that_is_no_sub_domain_label_is_an_error_naming_it(name: str) -> None:
    with pytest.raises(SiteSelectionError, match="is no sub-domain name") as error:
        select_sites(QUANGTRI, f"hailang,{name}", "quangtri")
    assert repr(name.lower()) in str(error.value)


def test_a_host_on_another_platform_is_no_site() -> None:
    with pytest.raises(SiteSelectionError, match=r"ubmttqvn.quangtri.gov.vn runs another platform"):
        select_sites(QUANGTRI, "ubmttqvn", "quangtri")


def test_without_a_template_an_unlisted_name_stays_an_error() -> None:
    table = SiteTable({"www": "https://www.example.gov.vn"})
    with pytest.raises(SiteSelectionError, match=r"unknown site\(s\) foo; known sites: www"):
        select_sites(table, "foo")


def test_the_spider_logs_a_name_it_tries(caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider("quangtri", sites="xa-cam-hieu")
    assert spider.sites == {"xa-cam-hieu": "https://xa-cam-hieu.quangtri.gov.vn"}
    assert (
        "site 'xa-cam-hieu' is not in seeds/portals/quangtri.toml; trying https://xa-cam-hieu.quangtri.gov.vn"
        in caplog.text
    )
    with pytest.raises(SpiderArgumentError, match="is no sub-domain name"):
        spider_class("quangtri").check_arguments({"sites": "bad name"}, get_crawler().settings)


# -- start points and archive prefixes per site ---------------------------------------


def test_an_unlisted_quangtri_site_gets_its_sitemap_and_the_requests_carry_its_name() -> None:
    requests = list(make_spider("quangtri", sites="hailang,trieuphong").start_points())
    assert [(r.url, r.meta["dvk_site"]) for r in requests] == [
        ("https://hailang.quangtri.gov.vn/sitemap.xml", "hailang"),
        ("https://trieuphong.quangtri.gov.vn/sitemap.xml", "trieuphong"),
        ("https://trieuphong.quangtri.gov.vn/vi/tin-tuc-su-kien", "trieuphong"),
    ]


def test_on_a_replica_sub_sites_sharing_a_start_point_url_request_it_once() -> None:
    """All sub-sites are one host on a replica: the second site's /sitemap.xml would be dropped
    by Scrapy's duplicate filter and counted unanswered, so the run could never be complete."""
    spider = make_spider("quangtri", sites="hailang,giolinh", base_url="http://127.0.0.1:8000")
    spider.crawler.stats.open_spider()
    urls = [request.url for request in spider.start_points()]
    assert urls == ["http://127.0.0.1:8000/sitemap.xml"]
    assert spider.crawler.stats.get_value("dvk/discovery/start_points_same_url") == 1
    live = [r.url for r in make_spider("quangtri", sites="hailang,giolinh").start_points()]
    assert live == ["https://hailang.quangtri.gov.vn/sitemap.xml", "https://giolinh.quangtri.gov.vn/sitemap.xml"]


def test_quangngai_member_sites_live_on_the_new_platform_and_in_the_archive_on_liferay() -> None:
    live = make_spider("quangngai", sites="minhlong,binhson")
    assert [r.url for r in live.start_points()] == [
        "https://minhlong.quangngai.gov.vn/sitemap.xml",
        "https://minhlong.quangngai.gov.vn/web/minhlong/tin-tuc",
        "https://minhlong.quangngai.gov.vn/tin-tuc",
        "https://binhson.quangngai.gov.vn/sitemap.xml",
        "https://binhson.quangngai.gov.vn/tin-tuc",
    ]
    archive = make_spider("quangngai", sites="binhson", source="archive")
    assert archive.archive.targets() == ["https://binhson.quangngai.gov.vn/", "https://quangngai.gov.vn/web/binhson/"]


def test_the_quangngai_province_site_takes_its_own_start_points_and_its_whole_host_in_the_archive() -> None:
    live = make_spider("quangngai", sites="www")
    assert [r.url for r in live.start_points()] == [
        "https://quangngai.gov.vn/sitemap.xml",
        "https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong",
        "https://quangngai.gov.vn/tin-tuc",  # https://{site}.quangngai.gov.vn/tin-tuc on its own host
        # the site search is on its host: once per keyword, as without sites=
        *(f"https://quangngai.gov.vn/tim-kiem?q={quote(k)}" for k in live.keywords.phrases),
    ]
    assert [r.cb_kwargs.get("evidence") for r in live.start_points()][-1] == "search"
    assert not any("tim-kiem" in r.url for r in make_spider("quangngai", sites="binhson").start_points())
    # /web/{site}/ names a member portal's Liferay site: not the province's (portal-qni)
    archive = make_spider("quangngai", sites="www", source="archive")
    assert archive.archive.targets() == ["https://quangngai.gov.vn/"]


def test_the_site_search_belongs_to_the_site_on_its_host() -> None:
    search = get_portal("quangngai").seeds.search
    assert site_search(search, {"www": "https://quangngai.gov.vn"}) == search
    assert site_search(search, {"minhlong": "https://minhlong.quangngai.gov.vn"}) is None
    assert site_search(None, {"www": "https://quangngai.gov.vn"}) is None


@pytest.mark.slow
def test_sites_all_stores_what_the_default_crawl_stores(replicas: dict[str, str], tmp_path: Path) -> None:
    """Exhaustive: the province's own site (``www``) brings its listing back into ``all``."""
    expected = json.loads((ROOT / "dvk_crawl/replica/sites/quangngai/expected.json").read_text(encoding="utf-8"))
    args = ("-a", "sites=all", "-a", "discovery=exhaustive")
    result = run_crawl("quangngai", replicas["quangngai"], tmp_path, *args)
    assert result.returncode == 0, result.output[-3000:]
    assert {r["id"] for r in result.records()} >= set(expected["stored_ids"])


@pytest.mark.slow
def test_targeted_sites_all_stores_what_the_default_crawl_stores(replicas: dict[str, str], tmp_path: Path) -> None:
    default = run_crawl("quangngai", replicas["quangngai"], tmp_path / "default")
    every = run_crawl("quangngai", replicas["quangngai"], tmp_path / "all", "-a", "sites=all")
    assert default.returncode == every.returncode == 0, every.output[-3000:]
    assert {r["id"] for r in every.records()} >= {r["id"] for r in default.records()}


def test_quangngai_without_sites_keeps_its_plain_start_points() -> None:
    spider = make_spider("quangngai")
    urls = [r.url for r in spider.start_points()]
    assert "https://minhlong.quangngai.gov.vn/web/minhlong/tin-tuc" in urls
    assert "https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong" in urls
    assert not any("{site}" in url for url in urls)
    archive = make_spider("quangngai", source="archive")
    assert archive.archive.targets() == ["https://minhlong.quangngai.gov.vn/", "https://quangngai.gov.vn/web/minhlong/"]


# -- the portal file ------------------------------------------------------------------


def write_portal(folder: Path, extra: str, hosts: str = '"example.gov.vn"') -> Path:
    (folder / "portals").mkdir(parents=True, exist_ok=True)
    (folder / "portals" / "multi.toml").write_text(
        'id = "multi"\nname = "Multi"\nprovince = "Quảng Trị"\nhome = "https://www.example.gov.vn"\n'
        f'hosts = [{hosts}]\nfamily = "generic"\n' + extra,
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('default_sites = ["b"]\n[family_options]\narticle_url = "(?P<key>\\\\d+)"\n[sites]\na = "https://a.example.gov.vn"\n',
         r"multi.toml:7: default_sites names b, which \[sites\] lacks"),
        ('listings = ["https://{site}.example.gov.vn/tin"]\n[family_options]\narticle_url = "(?P<key>\\\\d+)"\n',
         r"multi.toml:7: listings uses \{site\} but the file declares no sites"),
        ('site_url = "https://example.gov.vn"\n[family_options]\narticle_url = "(?P<key>\\\\d+)"\n',
         r"multi.toml:7: site_url must be a URL template containing \{site\}"),
    ],
)  # fmt: skip
def test_a_bad_site_declaration_names_file_and_line(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(SeedFileError, match=message):
        load_portal_file(write_portal(tmp_path, extra), "multi")


# -- a site that fails whole ----------------------------------------------------------


def test_a_site_none_of_whose_start_points_answered_is_named_and_fails_the_run() -> None:
    stats = {
        "dvk/discovery/start_points": 3,
        "dvk/discovery/start_points_answered": 2,
        "dvk/discovery/pages_failed": 1,
        "dvk/discovery/start_points_failed/dns_error": 1,
        "dvk/discovery/sites/hailang/start_points": 2,
        "dvk/discovery/sites/xyz/start_points": 1,
        "dvk/discovery/sites/xyz/failed/dns_error": 1,
    }
    outcome = discovery_outcome(stats)
    assert outcome["sites_failed"] == {"xyz": ["dns_error"]}
    line = "site(s) xyz (dns_error) failed: none of their start points answered; the other sites were crawled"
    assert incomplete_because("finished", outcome) == line
    assert run_failure("finished", outcome) == line


def test_when_every_site_failed_the_run_line_names_them_too() -> None:
    stats = {
        "dvk/discovery/start_points": 2,
        "dvk/discovery/pages_failed": 2,
        "dvk/discovery/start_points_failed/dns_error": 2,
        "dvk/discovery/sites/hailagn/start_points": 1,
        "dvk/discovery/sites/hailagn/failed/dns_error": 1,
        "dvk/discovery/sites/xyz/start_points": 1,
        "dvk/discovery/sites/xyz/failed/dns_error": 1,
    }
    line = "2 of 2 start points failed (dns_error): is the network up? (site(s) hailagn, xyz)"
    assert run_failure("finished", discovery_outcome(stats)) == line


def test_a_site_with_one_answered_start_point_has_not_failed() -> None:
    stats = {
        "dvk/discovery/start_points": 2,
        "dvk/discovery/start_points_answered": 1,
        "dvk/discovery/pages_failed": 1,
        "dvk/discovery/start_points_failed/http_404": 1,
        "dvk/discovery/sites/minhlong/start_points": 2,
        "dvk/discovery/sites/minhlong/failed/http_404": 1,
    }
    outcome = discovery_outcome(stats)
    assert outcome["sites_failed"] == {}
    assert run_failure("finished", outcome) is None
    assert incomplete_because("finished", outcome) == "1 discovery pages failed"


@pytest.mark.slow
def test_an_unresolvable_site_fails_alone_with_a_line_naming_it(tmp_path: Path) -> None:
    """One site answers (a replica on loopback), the other's host does not resolve (``.invalid``,
    RFC 2606): the crawl goes on, exits 1 naming the site, and its run is recorded incomplete."""
    server = ReplicaServer("quangtri").start()
    try:
        seeds = tmp_path / "seeds"
        site_url = 'site_url = "http://{site}.dvk-test.invalid"\n'
        rule = '[family_options]\narticle_url = "-(?P<key>\\\\d+)\\\\.html$"\n'
        write_portal(seeds, f'{site_url}{rule}[sites]\nok = "{server.base_url}"\n', '"127.0.0.1", "dvk-test.invalid"')
        (seeds / "keywords.txt").write_bytes((default_seeds_dir() / "keywords.txt").read_bytes())
        command = [
            sys.executable, "-m", "scrapy", "crawl", "multi", "-a", "sites=ok,nowhere",
            "-s", f"DVK_SEEDS_DIR={seeds}", "-s", f"DVK_STORE_URL=sqlite:///{tmp_path / 'dvk.sqlite'}",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_TIMES=0",
        ]  # fmt: skip
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "dvk_crawl.settings"}
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    finally:
        server.stop()
    output = result.stdout + result.stderr
    assert "site 'nowhere' is not in seeds/portals/multi.toml; trying http://nowhere.dvk-test.invalid" in output
    assert result.returncode == 1, output[-3000:]
    line = "site(s) nowhere (dns_error) failed: none of their start points answered; the other sites were crawled"
    assert result.stderr.strip().splitlines()[-1] == f"multi: {line}"
    (run_file,) = (tmp_path / "runs" / "multi").glob("*.json")
    run = json.loads(run_file.read_text(encoding="utf-8"))
    assert run["complete"] is False and "nowhere" in run["incomplete_because"]
    assert run["discovery"]["sites_failed"] == {"nowhere": ["dns_error"]}
    assert run["stats"]["dvk/discovery/sites/ok/start_points"] == run["discovery"]["start_points_answered"] == 1


@pytest.mark.slow
def test_a_guessed_site_the_archive_has_no_capture_of_is_named_and_fails_the_run(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    """``sites=foo,trieuphong`` with ``source=archive``: foo is not in the file and the archive
    holds nothing under it, as live would find no host: one line names it, exit code 1; the
    other site is crawled. A listed site without captures (binhson, below) is no failure."""
    with serve_wayback() as wayback:
        result = run_crawl(
            "quangtri", replicas["quangtri"], tmp_path,
            "-a", "source=archive", "-a", "archives=wayback", "-a", "sites=foo,trieuphong",
            "-s", f"DVK_ARCHIVE_BASE_URL={wayback.base_url}", "-s", "DVK_WAYBACK_CDX_PER_MINUTE=0",
            "-s", "DVK_WAYBACK_CAPTURES_PER_MINUTE=0", "-s", "DVK_ARCHIVE_BACKOFF_SECONDS=0",
        )  # fmt: skip
    assert result.returncode == 1, result.output[-3000:]
    line = "WARNING: site foo (https://foo.quangtri.gov.vn, not in seeds/portals/quangtri.toml): the archive holds no"
    assert line in result.output
    run = result.run_file()
    assert run["discovery"]["sites_failed"] == {"foo": ["no_captures"]}
    assert run["complete"] is False and "foo (no_captures)" in run["incomplete_because"]
    assert result.records()  # trieuphong's articles


@pytest.mark.slow
def test_member_portals_by_name_come_back_from_the_archive_under_both_their_prefixes(
    replicas: dict[str, str], tmp_path: Path
) -> None:
    """``sites=minhlong,binhson`` with ``source=archive``: each member portal's old Liferay site is
    listed under its own host and under the province's ``/web/<name>/``; binhson has no capture."""
    with serve_wayback() as wayback:
        args = ("-a", "sites=minhlong,binhson", "-a", "until=2025-06-30")
        result = archive_crawl("quangngai", replicas["quangngai"], wayback, tmp_path, *args)
        targets = {p["url"][0] for p in cdx_params(wayback)}
    assert sorted(r["id"] for r in result.records()) == MINH_LONG
    assert targets == {
        "minhlong.quangngai.gov.vn/*",
        "quangngai.gov.vn/web/minhlong/*",
        "binhson.quangngai.gov.vn/*",
        "quangngai.gov.vn/web/binhson/*",
    }
