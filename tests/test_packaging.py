"""The package works installed from its wheel, away from the checkout.

The wheel is built from a copy of the tracked files (``pip wheel --no-build-isolation``,
offline) and installed without dependencies into a fresh virtual environment that borrows
this environment's packages. From an empty folder, ``extract_article`` must find the
default keywords and ``scrapy list`` / ``scrapy crawl`` the default portal seeds: both ship
in the wheel as ``dvk_crawl/seed_data/``, copied from ``seeds/`` when the wheel is built.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy.settings import Settings

from dvk_crawl.config import default_seeds_dir, seeds_dir
from dvk_crawl.portals import PORTALS
from dvk_crawl.replica.server import SITES_DIR
from tests.checkout import copy_checkout
from tests.conftest import ROOT, crawl_command, load_fixture_cases


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    outside: Path
    """An empty folder away from the checkout to run commands in."""


def run(command: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    env["SCRAPY_SETTINGS_MODULE"] = "dvk_crawl.settings"  # what the README tells users outside a checkout
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"{command}:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
    return completed


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("packaging")
    source = copy_checkout(work / "checkout")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", work / "dist", source])
    [wheel] = (work / "dist").glob("dvk_crawl-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    run([*pip, "--python", python, "install", "-q", "--no-deps", wheel])
    # The dependencies come from this environment: a folder named in a .pth file joins sys.path
    # after the venv's own site-packages, and the .pth files inside it (this checkout's
    # editable install among them) are not run.
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    outside = work / "elsewhere"
    outside.mkdir()
    return Installed(wheel, python, outside)


def test_a_checkout_reads_its_own_seeds_unless_told_otherwise(tmp_path: Path) -> None:
    assert default_seeds_dir() == ROOT / "seeds" == seeds_dir(Settings())
    assert seeds_dir(Settings({"DVK_SEEDS_DIR": str(tmp_path)})) == tmp_path


@pytest.mark.slow
def test_wheel_carries_the_default_keywords_and_seeds(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = {name.removeprefix("dvk_crawl/seed_data/"): wheel.read(name) for name in wheel.namelist()
                   if name.startswith("dvk_crawl/seed_data/")}  # fmt: skip
    seeds = ROOT / "seeds"
    checkout = {path.relative_to(seeds).as_posix(): path.read_bytes() for path in seeds.rglob("*") if path.is_file()}
    assert shipped == checkout
    assert {f"portals/{portal}.toml" for portal in PORTALS} | {"keywords.txt"} <= set(shipped)


@pytest.mark.slow
def test_extract_article_works_outside_the_checkout(installed: Installed) -> None:
    # A "dân vận khéo" article: relevant only if the default keywords were found.
    case = next(c for c in load_fixture_cases() if c.name == "cam-xuyen-1440-seed000")
    page = installed.outside / "page.html"
    page.write_bytes(case.html)
    script = (
        "import json, sys, dvk_crawl\n"
        "from dvk_crawl import extract_article\n"
        "from dvk_crawl.derived import derive_fields\n"
        "record = derive_fields(extract_article(open(sys.argv[1], 'rb').read(), sys.argv[2]))\n"
        "print(json.dumps({'package': dvk_crawl.__file__, 'record': record.to_dict()}))\n"
    )
    answer = json.loads(run([installed.python, "-c", script, page, case.meta["url"]], installed.outside).stdout)
    assert Path(answer["package"]).is_relative_to(installed.python.parent.parent)  # the wheel, not the checkout
    record = answer["record"]
    assert (record["id"], record["text"]) == (case.expected["id"], case.expected["text"])
    assert record["relevant"] is True


@pytest.mark.slow
def test_scrapy_list_and_crawl_work_outside_the_checkout(installed: Installed, replicas: dict[str, str]) -> None:
    spiders = run([installed.python, "-m", "scrapy", "list"], installed.outside).stdout.split()
    assert sorted(spiders) == sorted(PORTALS)
    command = crawl_command("baohatinh", replicas["baohatinh"], installed.outside)
    run([installed.python, *command[1:]], installed.outside)
    with closing(sqlite3.connect(installed.outside / "dvk.sqlite")) as db:
        stored = sorted(row[0] for row in db.execute("SELECT id FROM articles"))
    expected = json.loads((SITES_DIR / "baohatinh" / "expected.json").read_text(encoding="utf-8"))
    assert stored == sorted(expected["stored_ids"])
