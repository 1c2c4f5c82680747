"""Bad input from the user stops ``scrapy crawl`` before anything starts: one line naming
the argument, setting, file and line; exit code 2; no traceback. (More cases:
``tests/test_cli_errors.py``, ``tests/test_text_and_keywords.py``.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.spiders import Spider
from scrapy.utils.project import get_project_settings

from dvk_crawl.config import PROJECT_DIR, SETTINGS, SettingsCheck, validate_settings
from dvk_crawl.keywords import SeedFileError, load_keywords
from dvk_crawl.spiders import spider_class
from dvk_crawl.spiders.base import PortalSpider, SpiderArgumentError, parse_spider_arguments
from tests.conftest import ROOT

BaohatinhSpider = spider_class("baohatinh")

SEEDS = PROJECT_DIR / "seeds"


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and all(part in errors[0] for part in parts), result.stderr[-2000:]
    assert "Traceback" not in result.stderr


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A copy of seeds/ to break."""
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["-s", "DVK_LANGUAGES=vi,xx"], ["setting DVK_LANGUAGES: unknown language code(s) xx"]),
        (["-s", "DVK_STORE_URL=mysql://localhost/dvk"], ["DVK_STORE_URL='mysql://localhost/dvk': unsupported store"]),
    ],
)
@pytest.mark.slow
def test_bad_setting_stops_the_crawl_with_one_line(args: list[str], parts: list[str]) -> None:
    assert_one_line(crawl("baohatinh", *args), *parts)


@pytest.mark.slow
def test_malformed_seeds_file_stops_the_crawl_with_file_and_line(seeds: Path) -> None:
    (seeds / "portals" / "baohatinh.toml").write_text(
        'rss = []\n\nlistingz = ["https://baohatinh.vn/"]\n', encoding="utf-8"
    )
    assert_one_line(
        crawl("baohatinh", "-s", f"DVK_SEEDS_DIR={seeds}"), "portals/baohatinh.toml:3: unknown key 'listingz'"
    )


@pytest.mark.slow
def test_a_script_sees_a_bad_setting_through_the_deferred_of_crawl(tmp_path: Path) -> None:
    """docs/settings.md: Scrapy only logs the failure; the documented script collects it."""
    script = ROOT / "docs" / "examples" / "crawl_script.py"
    settings = ["-s", "DVK_STORE_BATCH_SIZE=abc", "-s", f"DVK_STORE_URL=sqlite:///{tmp_path}/dvk.sqlite"]
    result = subprocess.run(
        [sys.executable, str(script), "baohatinh", *settings], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1] == (
        "error: setting DVK_STORE_BATCH_SIZE: invalid literal for int() with base 10: 'abc'"
    )
    assert "Crawled" not in result.stderr


# The same checks, in process: what the crawl command runs before it starts anything.


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"DVK_STORE_FLUSH_SECONDS": "-1"}, "setting DVK_STORE_FLUSH_SECONDS=-1.0 must not be negative"),
        # The crawl's last batch waits this long: an hour kept a finished crawl open for an hour.
        ({"DVK_STORE_FLUSH_SECONDS": "3600"}, "setting DVK_STORE_FLUSH_SECONDS=3600.0 must be 0 to 300 seconds"),
        ({"DVK_RETRY_AFTER_MAX": "soon"}, "setting DVK_RETRY_AFTER_MAX: could not convert"),
        ({"DVK_RUNS_DIR": str(PROJECT_DIR / "README.md")}, "setting DVK_RUNS_DIR=.* is a file, not a folder"),
        ({"DVK_LANGUAGES": "vi,english"}, r"unknown language code\(s\) english"),
        ({"DVK_STORE_URL": "sqlite:///"}, "DVK_STORE_URL='sqlite:///' names no file"),
        ({"DVK_STOER_URL": "sqlite:///x"}, "unknown setting DVK_STOER_URL"),
    ],
)
def test_bad_setting_is_named(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_settings(Settings(settings))


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999"])
def test_every_number_setting_must_be_finite(value: str) -> None:
    """DVK_STORE_FLUSH_SECONDS=inf was accepted, and the crawl never ended, not even on SIGTERM."""
    for name in (name for name, spec in SETTINGS.items() if spec.kind == "float"):
        with pytest.raises(ValueError, match=rf"setting {name}=.* must be a finite number"):
            validate_settings(Settings({name: value}))


def test_languages_may_be_empty_or_any_langdetect_code() -> None:
    validate_settings(Settings({"DVK_LANGUAGES": ""}))
    validate_settings(Settings({"DVK_LANGUAGES": "vi,en,zh-cn"}))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"refresh": "maybe"}, "refresh='maybe' must be 1 or 0"),
        ({"since": "2024-02-30"}, "since='2024-02-30' is not a date"),
        ({"base_url": "ftp://127.0.0.1"}, "base_url='ftp://127.0.0.1' must be a scheme and host"),
        ({"sinse": "2024-01-01"}, "unknown spider argument 'sinse'"),
    ],
)
def test_bad_spider_argument_is_named(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        parse_spider_arguments(PortalSpider.ARGUMENTS, arguments)


PORTAL_FILE = "portals/baohatinh.toml"
DECLARED = (
    'id = "baohatinh"\nname = "B"\nprovince = "Hà Tĩnh"\nhome = "https://baohatinh.vn"\n'
    'hosts = ["baohatinh.vn"]\nfamily = "bao_cms"\n'
)


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (PORTAL_FILE, 'rss = ["https://baohatinh.vn/rss/home.rss"\nsitemaps = []\n', r"baohatinh.toml: .*line 2"),
        (PORTAL_FILE, 'rss = []\nsearch = "https://baohatinh.vn/tim-kiem/"\n', "baohatinh.toml:2: search"),
        (PORTAL_FILE, 'rss = ["/rss/home.rss"]\n', "baohatinh.toml:1: rss must be a list of http"),
        ("keywords.txt", "dân vận khéo\nab\n", "keywords.txt:2: keyword 'ab' is too short"),
        (PORTAL_FILE, DECLARED.replace('"bao_cms"', '"joomla"'), "baohatinh.toml:6: unknown family 'joomla'"),
        (PORTAL_FILE, DECLARED.replace('"https://baohatinh.vn"', '"baohatinh.vn"'), "baohatinh.toml:4: home must be"),
        (PORTAL_FILE, DECLARED.replace('name = "B"\n', ""), r"baohatinh.toml:1: missing key\(s\) name"),
        (PORTAL_FILE, DECLARED.replace('id = "baohatinh"', 'id = "bht"'), "baohatinh.toml:1: id 'bht' is not the file"),
        (PORTAL_FILE, DECLARED + '[family_options]\ndomain = "x.vn"\n', "baohatinh.toml:8: family bao_cms takes no"),
    ],
)
def test_malformed_seed_file_is_named_with_its_line(seeds: Path, file: str, text: str, message: str) -> None:
    (seeds / file).write_text(text, encoding="utf-8")
    load_keywords.cache_clear()
    with pytest.raises(SeedFileError, match=message):
        BaohatinhSpider.check_seeds(Settings({"DVK_SEEDS_DIR": str(seeds)}))


def test_every_dvk_setting_rejects_a_value_of_the_wrong_type() -> None:
    """Each numeric or boolean setting, given words, fails with its own name in the message."""
    for name, spec in SETTINGS.items():
        if spec.kind not in ("int", "float", "bool"):
            continue
        with pytest.raises(ValueError, match=rf"setting {name}"):
            validate_settings(Settings({name: "not-a-value"}))


# -- CrawlerProcess users get the same checks as scrapy crawl -----------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"DVK_LANGUAGES": "vi,xx"}, r"setting DVK_LANGUAGES: unknown language code\(s\) xx"),
        ({"DVK_ARCHIVE_CONCURRENCY": "0"}, "setting DVK_ARCHIVE_CONCURRENCY=0 must be at least 1"),
        ({"DVK_STORE_URL": "mysql://h/db"}, "DVK_STORE_URL='mysql://h/db': unsupported store"),
        ({"DVK_SINCE": "2024-01-01"}, "unknown setting DVK_SINCE"),
    ],
)
def test_a_crawler_started_without_scrapy_crawl_checks_its_settings(bad: dict[str, str], message: str) -> None:
    """The add-on runs the checks when the crawler applies its settings, before anything is fetched."""
    settings = get_project_settings()
    settings.setdict(bad, priority="cmdline")
    crawler = Crawler(Spider, settings)
    with pytest.raises(ValueError, match=message):
        crawler._apply_settings()


def test_a_crawler_with_good_settings_starts_past_the_check() -> None:
    settings = get_project_settings()
    settings.setdict({"DVK_LANGUAGES": "vi,en"}, priority="cmdline")
    crawler = Crawler(Spider, settings)
    crawler.addons.load_settings(crawler.settings)
    assert any(isinstance(addon, SettingsCheck) for addon in crawler.addons.addons)
