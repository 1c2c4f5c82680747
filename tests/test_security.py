"""Security properties of the crawler, checked on the code and its settings.

What a crawl does against a hostile site (a redirect to a foreign host, robots.txt,
scripts in pages, oversized and endless answers) is proven end to end in
``tests/test_faults.py``; see ``docs/reliability.md``.
"""

from __future__ import annotations

import ast
import tomllib
from datetime import date
from pathlib import Path

import pytest
from scrapy.settings import Settings

from dvk_crawl import settings as project_settings
from dvk_crawl.cli import fetch
from dvk_crawl.cli.record import case_name
from dvk_crawl.config import PROJECT_DIR
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.replica import replica_server
from dvk_crawl.replica.server import LOOPBACK, available_sites
from dvk_crawl.spiders.base import PortalSpider
from dvk_crawl.store.base import record_filter_sql

PACKAGE = PROJECT_DIR / "dvk_crawl"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "sites" not in p.parts)


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# -- limits on every download ------------------------------------------------------------


def test_every_download_has_a_size_and_time_limit() -> None:
    assert 0 < project_settings.DOWNLOAD_MAXSIZE <= 16 * 1024 * 1024
    assert 0 < project_settings.DOWNLOAD_WARNSIZE < project_settings.DOWNLOAD_MAXSIZE
    assert 0 < project_settings.DOWNLOAD_TIMEOUT <= 60
    assert 0 < project_settings.REDIRECT_MAX_TIMES <= 10
    assert 0 <= project_settings.RETRY_TIMES <= 5
    # dvk-crawl's own fetch (inspect URL, record) keeps the crawl's limits.
    assert fetch.MAX_BYTES == project_settings.DOWNLOAD_MAXSIZE
    assert fetch.MAX_REDIRECTS == project_settings.REDIRECT_MAX_TIMES
    assert 0 < fetch.DEFAULT_TIMEOUT <= project_settings.DOWNLOAD_TIMEOUT


def test_no_component_lifts_the_limits_or_the_host_filter() -> None:
    settings = Settings()
    settings.setmodule(project_settings)
    for name in ("DOWNLOAD_MAXSIZE", "DOWNLOAD_TIMEOUT"):
        assert settings.getint(name) > 0
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    for builtin in ("offsite.OffsiteMiddleware", "robotstxt.RobotsTxtMiddleware", "downloadtimeout."):
        assert not any(builtin in path and value is None for path, value in middlewares.items())
    assert settings.getbool("ROBOTSTXT_OBEY")
    # No spider sets its own download_maxsize / download_timeout / custom_settings.
    for path in (PACKAGE / "spiders").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "download_maxsize" not in text and "download_timeout" not in text and "custom_settings" not in text


# -- requests stay on the portal's hosts ---------------------------------------------------


@pytest.mark.parametrize("spider_name", ["baohatinh", "baolaocai", "baoyenbai", "quangngai", "quangtri"])
def test_spiders_allow_only_their_portal_and_the_replica(spider_name: str) -> None:
    from scrapy.spiderloader import SpiderLoader

    settings = Settings()
    settings.setmodule(project_settings)
    spider_cls = SpiderLoader.from_settings(settings).load(spider_name)
    assert issubclass(spider_cls, PortalSpider)
    spider = spider_cls(base_url="http://127.0.0.1:8000")
    assert set(spider.allowed_domains) == {*get_portal(spider_cls.portal_id).domains, "127.0.0.1"}


# -- no page script is ever run ---------------------------------------------------------------

JS_RUNTIMES = {
    "playwright", "scrapy_playwright", "selenium", "scrapy_selenium", "undetected_chromedriver", "pyppeteer",
    "scrapy_splash", "splash", "js2py", "dukpy", "quickjs", "execjs", "py_mini_racer", "pyv8", "requests_html",
}  # fmt: skip


def imported_modules(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_javascript_engine_or_browser_is_used() -> None:
    for path in SOURCES:
        assert not imported_modules(parsed(path)) & JS_RUNTIMES, path
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {}).values()
    requirements = [*project["dependencies"], *(r for extra in extras for r in extra)]
    assert not [r for r in requirements if any(js.replace("_", "-") in r.replace("_", "-") for js in JS_RUNTIMES)]
    assert not [h for h in getattr(project_settings, "DOWNLOAD_HANDLERS", {}).values() if "playwright" in str(h)]


# -- SQL takes values as parameters ---------------------------------------------------------------

SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "PRAGMA ", "CREATE ", "DROP ", " WHERE ")
EXECUTE = ("execute", "executemany", "executescript")
SAFE_CALLS = {"int", "len", "range", "filter", "sorted", "list", "tuple"}
# Builders whose SQL text holds placeholders only, whatever their arguments: each is
# proven by a behaviour test (test_record_filters_keep_values_out_of_the_sql_text).
TRUSTED_SQL_BUILDERS = {"record_filter_sql"}
SAFE_METHODS = {"join", "split", "strip"}


def is_sql(text: str) -> bool:
    return any(word in text.upper() for word in SQL_WORDS)


def is_append(node: ast.AST) -> bool:
    """``name.append(...)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "append"
        and isinstance(node.func.value, ast.Name)
    )


def call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def sql_sinks(tree: ast.Module) -> dict[str, int]:
    """Helpers that pass a parameter on as the SQL of ``execute`` (``_rows(query, params)``):
    their callers' argument at that position is SQL too."""
    sinks = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        params = [a.arg for a in function.args.args if a.arg != "self"]
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and call_name(node) in EXECUTE and node.args:
                sql = node.args[0]
                if isinstance(sql, ast.Name) and sql.id in params:
                    sinks[function.name] = params.index(sql.id)
    return sinks


class SqlBuilding(ast.NodeVisitor):
    """Finds SQL text built from anything but constants, placeholder lists and constant names.

    Allowed inside an f-string, ``+`` or ``.join`` that builds SQL: string constants,
    module constants (UPPER_CASE names: table and column lists), ``int(...)``/``len(...)``,
    ``"?" * n`` and joins of such, loop variables over ``range()`` or constants, local
    names bound only to such values (a ``clauses`` list appended only with constants),
    and psycopg's ``sql.SQL(...).format(sql.Identifier(...))``.
    """

    def __init__(self, sinks: dict[str, int]) -> None:
        self.sinks = sinks
        self.problems: list[str] = []
        self.safe: set[str] = set()
        self.params: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, outer_params = self.safe, self.params
        for _ in range(3):  # names built from names: a few rounds reach the fixpoint
            self.safe = outer | self.safe_names(node)
        self.params = {a.arg for a in node.args.args} if node.name in self.sinks else set()
        self.generic_visit(node)
        self.safe, self.params = outer, outer_params

    def safe_names(self, function: ast.FunctionDef) -> set[str]:
        safe, appended = set(), {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if self.is_safe(node.value):
                    names = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
                    safe |= {n.id for n in names if isinstance(n, ast.Name)}
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and self.is_safe(node.iter):
                safe.add(node.target.id)
            elif is_append(node):
                name = node.func.value.id  # type: ignore[attr-defined]
                appended[name] = appended.get(name, True) and all(self.is_safe(a) for a in node.args)
        return safe | {name for name, ok in appended.items() if ok}

    def is_safe(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str | int | type(None))
        if isinstance(node, ast.Name):
            return node.id in self.safe or node.id.lstrip("_").isupper()
        if isinstance(node, ast.Attribute):
            return isinstance(node.value, ast.Name) and node.value.id == "str"  # str.strip as a function
        if isinstance(node, ast.Subscript):
            return self.is_safe(node.value)
        if isinstance(node, ast.JoinedStr):
            return all(self.is_safe(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
            return self.is_safe(node.left) and self.is_safe(node.right)
        if isinstance(node, ast.IfExp):
            return self.is_safe(node.body) and self.is_safe(node.orelse)
        if isinstance(node, ast.List | ast.Tuple):
            return all(self.is_safe(e) for e in node.elts)
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            return all(self.is_safe(g.iter) for g in node.generators) and self.is_safe(node.elt)
        if isinstance(node, ast.Call):
            return self.is_safe_call(node)
        return False

    def is_safe_call(self, node: ast.Call) -> bool:
        func = node.func
        if isinstance(func, ast.Name) and func.id in TRUSTED_SQL_BUILDERS:
            return True
        if isinstance(func, ast.Name) and func.id in SAFE_CALLS:
            return func.id in ("int", "len", "range") or all(self.is_safe(a) for a in node.args)
        if isinstance(func, ast.Attribute) and func.attr in SAFE_METHODS:
            return self.is_safe(func.value) and all(self.is_safe(a) for a in node.args)
        if isinstance(func, ast.Attribute) and func.attr == "format" and isinstance(func.value, ast.Call):
            composed = ast.unparse(func.value.func) == "sql.SQL" and self.is_safe(func.value.args[0])
            quoted = all(isinstance(a, ast.Call) and ast.unparse(a.func) == "sql.Identifier" for a in node.args)
            return composed and quoted
        return False

    def check(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name) and node.id in self.params:
            return  # a helper passing its caller's SQL on: checked at the call (sql_sinks)
        if not self.is_safe(node):
            self.problems.append(f"line {node.lineno}: {ast.unparse(node)[:100]}")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if is_sql(text):
            self.check(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        sides = (node.left, node.right)
        if any(isinstance(s, ast.Constant) and isinstance(s.value, str) and is_sql(s.value) for s in sides):
            if isinstance(node.op, ast.Mod):
                self.problems.append(f"line {node.lineno}: %-formatted SQL")
            else:
                self.check(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func, name = node.func, call_name(node)
        on_text = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant)
        if name == "format" and on_text and is_sql(str(func.value.value)):  # type: ignore[attr-defined]
            self.problems.append(f"line {node.lineno}: str.format() on SQL")
        if name in EXECUTE and node.args:
            self.check(node.args[0])
        if name in self.sinks and len(node.args) > self.sinks[name]:
            self.check(node.args[self.sinks[name]])
        self.generic_visit(node)


def sql_problems(source: str) -> list[str]:
    tree = ast.parse(source)
    visitor = SqlBuilding(sql_sinks(tree))
    visitor.visit(tree)
    return visitor.problems


def test_sql_statements_take_values_as_parameters() -> None:
    for path in sorted((PACKAGE / "store").glob("*.py")):
        assert sql_problems(path.read_text(encoding="utf-8")) == [], path


@pytest.mark.parametrize(
    "source",
    [
        "def f(db, name):\n    db.execute(f\"SELECT * FROM articles WHERE id = '{name}'\")",
        'def f(db, name):\n    db.execute("SELECT * FROM articles WHERE id = " + name)',
        'def f(db, name):\n    db.execute("DELETE FROM articles WHERE id = %s" % name)',
        'def f(db, name):\n    db.execute("SELECT * FROM articles WHERE id = {}".format(name))',
        'def f(db, name):\n    where = f"WHERE id = {name}"\n    db.execute("SELECT id FROM articles " + where)',
    ],
)
def test_the_sql_check_catches_values_in_sql_text(source: str) -> None:
    assert sql_problems(source)


def test_record_filters_keep_values_out_of_the_sql_text() -> None:
    """``record_filter_sql`` is trusted by the check above (SAFE_CALLS): this proves why."""
    hostile = "x' OR 1=1; DROP TABLE articles; --"
    for placeholder in ("?", "%s"):
        where, params = record_filter_sql(
            placeholder, hostile, date(2024, 1, 2), date(2024, 1, 3), relevant_only=True, include_duplicates=False
        )
        assert hostile not in where and "2024" not in where
        assert where.count(placeholder) == len(params) == 3 and params[0] == hostile


def test_the_sql_check_allows_placeholders_and_constant_names() -> None:
    source = (
        "def f(db, keys, since):\n"
        "    clauses = []\n"
        "    if since:\n"
        '        clauses.append("published_at >= ?")\n'
        '    where = f" WHERE {\' AND \'.join(clauses)}" if clauses else ""\n'
        '    marks = ",".join("?" * len(keys))\n'
        "    db.execute(f\"SELECT {', '.join(COLUMNS)} FROM articles{where} AND id IN ({marks})\", keys)\n"
    )
    assert sql_problems(source) == []


# -- file names from URLs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://baohatinh.vn/../../etc/passwd",
        "https://baohatinh.vn/a/%2e%2e%2f%2e%2e%2fetc%2fcron.d",
        "https://baohatinh.vn/x%00y-post1.html",
        "https://baohatinh.vn/" + "dân-vận-khéo-" * 40 + "post1.html",
        "https://baohatinh.vn/",
        "https://baohatinh.vn/.htaccess",
    ],
)
def test_fixture_folder_names_from_urls_are_sanitised(url: str) -> None:
    name = case_name(url)
    assert name and len(name) <= 60
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    assert not name.startswith(("-", "."))


# -- local servers listen on loopback only ----------------------------------------------------------


def test_replica_servers_bind_to_loopback_only() -> None:
    servers = [replica_server(site) for site in available_sites()]
    try:
        assert {server._httpd.server_address[0] for server in servers} == {LOOPBACK} == {"127.0.0.1"}
    finally:
        for server in servers:
            server._httpd.server_close()


def test_every_http_server_in_the_package_binds_loopback() -> None:
    for path in SOURCES:
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("HTTPServer"):
                address = node.args[0]
                assert isinstance(address, ast.Tuple), path
                host = address.elts[0]
                assert (isinstance(host, ast.Name) and host.id == "LOOPBACK") or (
                    isinstance(host, ast.Constant) and host.value == "127.0.0.1"
                ), f"{path}:{node.lineno}"
