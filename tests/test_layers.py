"""The data path goes one way (issue 13): parsing is pure, one module records a drop,
nothing outside the pipelines imports them, one module writes visits."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "dvk_crawl"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any level (function-level imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def modules_importing(prefix: str) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if any(name == prefix or name.startswith(f"{prefix}.") for name in imported_modules(path))
    }


def calls_of(name: str) -> set[str]:
    """The files that call a function called ``name``."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    found.add(str(path.relative_to(ROOT)))
    return found


def test_only_the_pipelines_and_the_settings_import_the_pipelines() -> None:
    """And the one offline driver of the same stage classes, for ``dvk-crawl reparse`` (issue 16)."""
    outside = {p for p in modules_importing("dvk_crawl.pipelines") if not p.startswith("dvk_crawl/pipelines/")}
    assert outside == {"dvk_crawl/settings.py", "dvk_crawl/reparse/pipelines.py"}


def test_parsing_reads_no_keywords_and_no_settings() -> None:
    imported = imported_modules(PACKAGE / "extract.py")
    assert not {"dvk_crawl.keywords", "dvk_crawl.config", "dvk_crawl.language", "scrapy"} & imported


def test_drops_are_counted_in_one_place() -> None:
    counting = {
        str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py") if "dropped/{" in path.read_text(encoding="utf-8")
    }
    assert counting == {"dvk_crawl/outcomes.py"}


def test_visits_are_written_through_the_outcomes_only() -> None:
    assert calls_of("add_visit") == {"dvk_crawl/extensions/crawlstore.py"}
    assert calls_of("record_visit") == {"dvk_crawl/outcomes.py"}
