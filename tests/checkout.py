"""A copy of the checkout as git tracks it, for tests that build or deploy the project.

Building the wheel or a Scrapyd egg writes into the project folder (``build/``, egg-info),
and a copy of only the tracked files also proves that nothing untracked is needed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True)
    return [name for name in listed.stdout.split("\0") if name]


def copy_checkout(destination: Path) -> Path:
    """Copy the tracked files as they are in the working tree (uncommitted edits included)."""
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination
