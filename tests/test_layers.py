"""The data path goes one way (issue 13): parsing is pure, one module records a drop,
nothing outside the pipelines imports them, one module writes visits."""

from __future__ import annotations

import ast
import re
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


# -- rooms that say what they hold: no import cycles, psycopg only for PostgreSQL ---------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports_of(path: Path, module_level_only: bool) -> set[str]:
    """What a module imports: ``from a import b`` names both ``a`` and ``a.b`` (one of them a module).

    ``if TYPE_CHECKING:`` blocks import nothing at run time and are left out; with
    ``module_level_only`` so are imports inside functions (they run only when called).
    """
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if module_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join([*package[: len(package) - child.level + 1], *([base] if base else [])])
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py") if "replica/sites" not in path.as_posix()}


def import_cycles() -> list[list[str]]:
    """Groups of the package's modules that import each other, directly or not (Tarjan)."""
    modules = package_modules()
    graph = {
        name: {m for m in _imports_of(path, False) if m in modules and m != name} for name, path in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = [stack.pop()]
            while group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_no_module_of_the_package_imports_itself_back() -> None:
    """Function-level imports count: they hide a cycle, they do not remove it."""
    assert import_cycles() == []


def test_a_sqlite_crawl_does_not_import_psycopg() -> None:
    """Every module the settings name (pipelines, extensions, middlewares, the spider loader) and
    what they import when loaded: psycopg is only for those who store in PostgreSQL."""
    modules = package_modules()
    references = {
        ref
        for name in ("settings.py", "pipelines/__init__.py")
        for ref in re.findall(r'"(dvk_crawl\.[\w.]+)"', (PACKAGE / name).read_text(encoding="utf-8"))
    }
    named = {ref if ref in modules else ref.rsplit(".", 1)[0] for ref in references}
    todo = [m for m in {*named, "dvk_crawl.settings"} if m in modules]
    loaded: set[str] = set()
    while todo:
        name = todo.pop()
        if name in loaded:
            continue
        loaded.add(name)
        imported = _imports_of(modules[name], module_level_only=True)
        assert not any(m == "psycopg" or m.startswith("psycopg.") for m in imported), name
        todo.extend(m for m in imported if m in modules)
    assert "dvk_crawl.pipelines.store" in loaded and "dvk_crawl.store.postgres" not in loaded


def test_no_two_classes_of_the_package_share_a_name() -> None:
    """A class name in settings, logs and tracebacks names one class."""
    where: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert {name: places for name, places in where.items() if len(places) > 1} == {}
