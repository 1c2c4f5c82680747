"""Bad input from the user stops ``scrapy crawl`` at once, with one line naming it (exit code 2)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test runs scrapy crawl or dvk-crawl


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["baohatinh", "-a", "bogus=1"],
            "unknown spider argument 'bogus'; this spider takes: base_url, capture, discovery, refresh, since, source,"
            " until",
        ),
        (["baohatinh", "-a", "discovery=all"], "discovery='all' must be one of: targeted, exhaustive"),
        (["baohatinh", "-a", "since=2023-13-01"], "since='2023-13-01' is not a date; use YYYY-MM-DD"),
        (["baohatinh", "-a", "since=2024-01-02", "-a", "until=2024-01-01"], "since=2024-01-02 is after until="),
        (["baohatinh", "-a", "base_url=localhost:8000"], "base_url='localhost:8000' must be a scheme and host"),
        (["baohatinh", "-s", "DVK_STORE_URLL=x"], "unknown setting DVK_STORE_URLL; known DVK_ settings:"),
        (["baohatinh", "-s", "DVK_STORE_BATCH_SIZE=many"], "setting DVK_STORE_BATCH_SIZE: invalid literal"),
        (["nosuchportal"], "unknown spider 'nosuchportal'; known spiders: baohatinh"),
    ],
)
def test_bad_input_is_one_line_naming_it(args: list[str], message: str) -> None:
    result = crawl(*args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def seeds_copy(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    return seeds


def runs_dir_under_a_file(tmp_path: Path) -> tuple[list[str], str]:
    (tmp_path / "file").write_text("", encoding="utf-8")
    runs = tmp_path / "file" / "runs"
    store = f"sqlite:///{tmp_path / 'dvk.sqlite'}"
    return ["-s", f"DVK_RUNS_DIR={runs}", "-s", f"DVK_STORE_URL={store}"], f"cannot write run files to {runs}:"


def seeds_dir_that_is_a_file(tmp_path: Path) -> tuple[list[str], str]:
    (tmp_path / "seeds").write_text("", encoding="utf-8")
    return ["-s", f"DVK_SEEDS_DIR={tmp_path / 'seeds'}"], f"{tmp_path / 'seeds'}: not a folder (setting DVK_SEEDS_DIR)"


def keywords_file_that_is_a_folder(tmp_path: Path) -> tuple[list[str], str]:
    seeds = seeds_copy(tmp_path)
    (seeds / "keywords.txt").unlink()
    (seeds / "keywords.txt").mkdir()
    return ["-s", f"DVK_SEEDS_DIR={seeds}"], f"{seeds / 'keywords.txt'}: a folder, not a keywords file"


def binary_seeds_file(tmp_path: Path) -> tuple[list[str], str]:
    seeds = seeds_copy(tmp_path)
    (seeds / "portals" / "baohatinh.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    return [
        "-s",
        f"DVK_SEEDS_DIR={seeds}",
    ], f"{seeds / 'portals' / 'baohatinh.toml'}: not UTF-8 text (invalid start byte"


@pytest.mark.parametrize(
    "make_case", [runs_dir_under_a_file, seeds_dir_that_is_a_file, keywords_file_that_is_a_folder, binary_seeds_file]
)
def test_unusable_files_and_folders_are_one_line_before_the_crawl(tmp_path: Path, make_case) -> None:
    args, message = make_case(tmp_path)
    result = crawl("baohatinh", *args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr and "Spider opened" not in result.stderr
