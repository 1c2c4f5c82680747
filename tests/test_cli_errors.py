"""Bad input from the user stops ``scrapy crawl`` at once, with one line naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["baohatinh", "-a", "bogus=1"],
            "unknown spider argument 'bogus'; this spider takes: base_url, capture, refresh, since, source, until",
        ),
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
