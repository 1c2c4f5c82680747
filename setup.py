"""Build hook: ship the top-level ``seeds/`` folder inside the package as ``dvk_crawl/seed_data/``.

All other metadata is in pyproject.toml. ``seeds/`` stays at the top of the checkout
because users edit it there; an installed wheel or a Scrapyd egg has no checkout, so the
build copies its files into the package (``dvk_crawl.config.default_seeds_dir`` reads
them). This file also keeps ``scrapyd-deploy`` from writing its own setup.py, whose
settings would be ignored in favour of pyproject.toml anyway.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SEEDS = Path(__file__).resolve().parent / "seeds"


class BuildPyWithSeeds(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads seeds/ in the checkout itself
            return
        target = Path(self.build_lib, "dvk_crawl", "seed_data")
        shutil.rmtree(target, ignore_errors=True)  # a seed file removed since the last build goes too
        target.mkdir(parents=True)
        for path in sorted(SEEDS.rglob("*")):  # keywords.txt and portals/<id>.toml
            if path.is_file():
                copy = target / path.relative_to(SEEDS)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)


setup(cmdclass={"build_py": BuildPyWithSeeds})
