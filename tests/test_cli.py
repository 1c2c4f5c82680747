"""``dvk-crawl``: export, stats, inspect, record, progress and errors, as users meet them.

The store comes from one crawl of the Hà Tĩnh replica (irrelevant articles kept,
so ``--relevant-only`` has something to leave out) plus one near-duplicate copy
added by hand (``duplicate_of`` set), as a later dedup change will store them.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
import subprocess
import sys
import threading
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dvk_crawl import extract_article
from dvk_crawl.cli import fetch
from dvk_crawl.cli.common import Progress
from dvk_crawl.cli.export import COLUMNS
from dvk_crawl.cli.main import main
from dvk_crawl.config import default_seeds_dir
from dvk_crawl.derived import derive_fields
from dvk_crawl.extensions.progress import ProgressLog
from dvk_crawl.extract import extract_with_details
from dvk_crawl.portals.registry import use_seeds_dir
from dvk_crawl.record import ARTICLE_FIELDS, validate_record
from dvk_crawl.store import open_store
from tests.conftest import ROOT, CrawlResult, load_fixture_cases, run_crawl

SEED_000 = next(c for c in load_fixture_cases() if c.name == "cam-xuyen-1440-seed000")
DUPLICATE_ID = "baohatinh:999001"
CONSOLE_SCRIPT = Path(sys.executable).parent / "dvk-crawl"


@pytest.fixture(scope="module")
def crawled(replicas: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    workdir = tmp_path_factory.mktemp("cli")
    result = run_crawl(
        "baohatinh",
        replicas["baohatinh"],
        workdir,
        "-s",
        "DVK_STORE_IRRELEVANT=1",
        "-s",
        "DVK_PROGRESS_INTERVAL=1",
    )
    assert result.returncode == 0, result.output[-4000:]
    records = result.records()
    copy = {**records[0], "id": DUPLICATE_ID, "duplicate_of": records[0]["id"]}
    with open_store(f"sqlite:///{result.store}") as store:
        store.upsert_many([copy])
    return result


@pytest.fixture(scope="module")
def store_url(crawled: CrawlResult) -> str:
    return f"sqlite:///{crawled.store}"


def records_of(crawled: CrawlResult) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in crawled.records()}


def dvk(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "dvk_crawl.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def export(store_url: str, out: Path, *args: str) -> list[dict[str, Any]]:
    assert main(["export", "--store", store_url, "-o", str(out), *args]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


# --- export ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_console_script_is_installed() -> None:
    result = subprocess.run([str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("export", "stats", "inspect", "record", "reparse"):
        assert command in result.stdout


@pytest.mark.slow
def test_export_jsonl_gives_every_record_but_duplicates_in_schema_order(
    crawled: CrawlResult, store_url: str, tmp_path: Path
) -> None:
    exported = export(store_url, tmp_path / "all.jsonl")
    stored = records_of(crawled)
    assert [r["id"] for r in exported] == sorted(i for i, r in stored.items() if r["duplicate_of"] is None)
    for record in exported:
        validate_record(record)
        assert tuple(record) == COLUMNS
        assert record == stored[record["id"]]
    assert not (tmp_path / "all.jsonl.part").exists()


@pytest.mark.slow
def test_export_filters_by_portal_window_relevance_and_duplicates(
    crawled: CrawlResult, store_url: str, tmp_path: Path
) -> None:
    stored = records_of(crawled)
    out = tmp_path / "x.jsonl"
    window = export(store_url, out, "--portal", "baohatinh", "--since", "2023-01-01", "--until", "2024-12-31")
    in_window = sorted(
        i
        for i, r in stored.items()
        if "2023-01-01" <= (r["published_at"] or "")[:10] <= "2024-12-31" and not r["duplicate_of"]
    )
    assert [r["id"] for r in window] == in_window and "baohatinh:259960" in in_window
    # until is inclusive: the whole day, in Vietnam's time.
    assert [r["id"] for r in export(store_url, out, "--since", "2023-08-04", "--until", "2023-08-04")] == [
        "baohatinh:259960"
    ]
    relevant = {r["id"] for r in export(store_url, out, "--relevant-only")}
    irrelevant = {i for i, r in stored.items() if not r["relevant"]}
    assert irrelevant and relevant and not relevant & irrelevant
    everything = {r["id"] for r in export(store_url, out, "--include-duplicates")}
    assert everything == set(stored) and DUPLICATE_ID in everything


@pytest.mark.slow
def test_export_csv_has_a_header_and_flattened_lists(crawled: CrawlResult, store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    assert main(["export", "--format", "csv", "--store", store_url, "-o", str(out), "--include-duplicates"]) == 0
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == COLUMNS
    stored = records_of(crawled)
    assert len(rows) - 1 == len(stored)
    for row in rows[1:]:
        cells = dict(zip(COLUMNS, row, strict=True))
        record = stored[cells["id"]]
        assert cells["title"] == record["title"] and cells["text"] == record["text"]
        assert cells["tags"] == " | ".join(record["tags"])
        assert cells["matched_keywords"] == " | ".join(record["matched_keywords"])
        assert json.loads(cells["images"]) == record["images"]
        assert cells["relevant"] == ("true" if record["relevant"] else "false")
        assert cells["published_at"] == (record["published_at"] or "")
        assert cells["duplicate_of"] == (record["duplicate_of"] or "")


@pytest.mark.slow
def test_export_parquet_is_typed_and_filtered(crawled: CrawlResult, store_url: str, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "articles.parquet"
    assert main(["export", "--format", "parquet", "--store", store_url, "-o", str(out), "--since", "2023-01-01"]) == 0
    table = pq.read_table(out)
    assert tuple(table.schema.names) == COLUMNS
    assert str(table.schema.field("relevant").type) == "bool"
    assert str(table.schema.field("word_count").type) == "int64"
    rows = table.to_pylist()
    stored = records_of(crawled)
    expected = sorted(
        i for i, r in stored.items() if r["published_at"] and r["published_at"] >= "2023" and not r["duplicate_of"]
    )
    assert [r["id"] for r in rows] == expected
    for row in rows:
        assert row == {column: stored[row["id"]][column] for column in COLUMNS}


def test_export_streams_in_constant_memory(tmp_path: Path) -> None:
    """5,000 records of ~3 kB: the export's peak memory stays far below the data's size."""
    url = f"sqlite:///{tmp_path / 'big.sqlite'}"
    template = extract_article(SEED_000.html, SEED_000.meta["url"], fetched_at="2026-01-01T00:00:00+00:00").to_dict()
    template["text"] = template["text"][:1500]
    with open_store(url) as store:
        for batch in range(50):
            store.upsert_many(
                [
                    {**template, "id": f"baohatinh:{batch}{n:02d}", "text": f"{batch}-{n} {template['text']}"}
                    for n in range(100)
                ]
            )
        data_size = store.db.execute("SELECT sum(length(CAST(record AS BLOB))) FROM articles").fetchone()[0]  # type: ignore[attr-defined]
    assert data_size > 10_000_000
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"big.{fmt}"
        tracemalloc.start()
        try:
            assert main(["export", "--format", fmt, "--store", url, "-o", str(out)]) == 0
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert out.stat().st_size > data_size / 2
        assert peak < data_size / 10, f"{fmt}: peak {peak} bytes for {data_size} bytes of records"


def test_export_shows_progress_on_long_runs() -> None:
    clock = iter([0.0, 4.0, 10.5, 12.0, 21.0])
    lines: list[str] = []
    progress = Progress("export", "records", interval=10, clock=lambda: next(clock))
    progress.emit = lines.append  # type: ignore[method-assign]
    for _ in range(4):
        progress.tick(500)
    assert lines == ["export: 1000 records (95 records/s)", "export: 2000 records (95 records/s)"]


# --- stats ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_stats_counts_per_portal_and_the_last_run(
    crawled: CrawlResult, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--store", store_url, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    stored = records_of(crawled)
    dates = sorted(r["published_at"][:10] for r in stored.values() if r["published_at"])
    assert row["portal"] == "baohatinh"
    assert row["articles"] == len(stored)
    assert row["relevant"] == sum(r["relevant"] for r in stored.values())
    duplicates = sum(1 for r in stored.values() if r["duplicate_of"])
    assert row["duplicates"] == duplicates >= 1
    assert row["undated"] == sum(1 for r in stored.values() if not r["published_at"])
    assert (row["first_published"], row["last_published"]) == (dates[0], dates[-1])
    run = crawled.run_file()
    assert row["last_run"]["finish_reason"] == "finished"
    assert row["last_run"]["stored"] == run["summary"]["stored"]
    assert row["last_run"]["dropped_by_reason"] == run["summary"]["dropped"]
    assert row["last_run"]["dropped"] == sum(run["summary"]["dropped"].values())

    assert main(["stats", "--store", store_url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:5] == ["portal", "articles", "relevant", "duplicates", "undated"]
    assert table[1].split()[:7] == [
        "baohatinh",
        str(len(stored)),
        str(row["relevant"]),
        str(duplicates),
        str(row["undated"]),
        dates[0],
        dates[-1],
    ]
    assert "finished" in table[1]


@pytest.mark.slow
def test_stats_html_report_is_self_contained_with_data_in_its_charts(
    crawled: CrawlResult, store_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    assert main(["stats", "--store", store_url, "--html", str(report)]) == 0
    page = report.read_text(encoding="utf-8")
    # Links to the articles (<a href>) are followed only when clicked; nothing else may point out.
    fetched = re.search(r"""<(?!a\s)[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not fetched, "the report must fetch nothing"
    assert re.search(r'<a href="https://', page), "the largest figures link to their articles"
    months = Counter(r["published_at"][:7] for r in records_of(crawled).values() if r["published_at"])
    bars = re.findall(r'<rect class="bar"[^>]*data-portal="(\w+)" data-month="([\d-]+)" data-count="(\d+)"', page)
    assert {(m, int(n)) for _, m, n in bars} == set(months.items())
    drops = re.findall(r'data-spider="(\w+)" data-run="\w+" data-reason="(\w+)" data-count="(\d+)"', page)
    assert {reason: int(n) for _, reason, n in drops} == crawled.run_file()["summary"]["dropped"]


# --- inspect and record -------------------------------------------------------------------


def page_file() -> Path:
    from dvk_crawl.replica.server import SITES_DIR

    return SITES_DIR / SEED_000.portal / SEED_000.meta["page"]


def test_inspect_shows_the_record_and_the_cleanup_rules_that_fired(capsys: pytest.CaptureFixture[str]) -> None:
    expected_rules = Counter(extract_with_details(SEED_000.html, SEED_000.meta["url"]).parsed.cleanup)
    assert expected_rules, "the seed page has noise: some rule must fire"

    assert main(["inspect", str(page_file()), "--json"]) == 0  # URL from the page's rel=canonical
    shown = json.loads(capsys.readouterr().out)
    for name, value in SEED_000.expected.items():
        # inspect stamps fetched_at with the time it reads the page; unchecked is no field
        assert name in ("fetched_at", "unchecked") or shown["record"][name] == value, name
    assert shown["cleanup"] == dict(expected_rules)

    assert main(["inspect", str(page_file()), "--portal", "baohatinh", "--url", SEED_000.meta["url"]]) == 0
    text = capsys.readouterr().out
    assert f'"title": {json.dumps(SEED_000.expected["title"], ensure_ascii=False)}' in text
    assert f"cleanup rules fired ({sum(expected_rules.values())}):" in text
    for rule, count in expected_rules.items():
        assert re.search(rf"^  {re.escape(rule)}\s+{count}$", text, re.MULTILINE), rule


@pytest.fixture
def own_seeds(tmp_path: Path) -> Iterator[Path]:
    """A user's seeds folder with one portal, baonghean (baohatinh's file on another host);
    the bundled portals are the registry again afterwards."""
    folder = tmp_path / "seeds"
    (folder / "portals").mkdir(parents=True)
    shutil.copy(default_seeds_dir() / "keywords.txt", folder / "keywords.txt")
    text = (default_seeds_dir() / "portals" / "baohatinh.toml").read_text(encoding="utf-8")
    (folder / "portals" / "baonghean.toml").write_text(
        text.replace("baohatinh.vn", "baonghean.vn").replace('id = "baohatinh"', 'id = "baonghean"'), encoding="utf-8"
    )
    yield folder
    use_seeds_dir(default_seeds_dir())


def test_inspect_and_record_read_a_users_own_portals(own_seeds: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = SEED_000.meta["url"].replace("baohatinh.vn", "baonghean.vn")
    assert main(["inspect", str(page_file()), "--portal", "baonghean", "--url", url]) == 2
    assert "unknown portal 'baonghean'" in capsys.readouterr().err
    inspect = ["inspect", str(page_file()), "--portal", "baonghean", "--url", url, "--json"]
    assert main([*inspect, "--seeds-dir", str(own_seeds)]) == 0
    assert json.loads(capsys.readouterr().out)["record"]["id"].startswith("baonghean:")
    assert main([*inspect, "--seeds-dir", str(own_seeds / "portals")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"is {own_seeds} the seeds folder?")


def test_inspect_url_fetches_through_the_one_network_function(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str] = []

    def fake_fetch(url: str, timeout: float = 30) -> fetch.FetchedPage:
        asked.append(url)
        return fetch.FetchedPage(url, SEED_000.html, "text/html; charset=utf-8")

    monkeypatch.setattr(fetch, "fetch_page", fake_fetch)
    assert main(["inspect", SEED_000.meta["url"], "--json"]) == 0
    assert asked == [SEED_000.meta["url"]]
    assert json.loads(capsys.readouterr().out)["record"]["id"] == SEED_000.expected["id"]


class _Handler(BaseHTTPRequestHandler):
    agents: ClassVar[list[bytes]] = []

    def do_GET(self) -> None:
        # http.server reads header bytes as Latin-1: back to the bytes that were sent.
        self.agents.append(str(self.headers.get("User-Agent")).encode("latin-1"))
        if self.path == "/old":
            self.send_response(301)
            self.send_header("Location", "/page")
            self.end_headers()
        elif self.path == "/page":
            body = b"<html><body>trang</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


def test_fetch_page_follows_redirects_and_names_http_errors() -> None:
    """The one network function, against a loopback server (no internet)."""
    from dvk_crawl.cli.common import CliError
    from dvk_crawl.settings import USER_AGENT

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = fetch.fetch_page(f"{base}/old", timeout=10)
        assert (page.url, page.body, page.content_type) == (
            f"{base}/page",
            b"<html><body>trang</body></html>",
            "text/html; charset=utf-8",
        )
        assert _Handler.agents[0] == USER_AGENT.encode("utf-8")  # the crawl's user agent, Vietnamese and all
        with pytest.raises(CliError, match=r"answered HTTP 404"):
            fetch.fetch_page(f"{base}/gone", timeout=10)
    finally:
        server.shutdown()
        server.server_close()


def test_record_saves_a_fixture_case_that_the_fixture_test_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = SEED_000.meta["url"]
    monkeypatch.setattr(fetch, "fetch_page", lambda u, timeout=30: fetch.FetchedPage(u, SEED_000.html, "text/html"))
    args = ["record", url, "--portal", "baohatinh", "--fixtures-dir", str(tmp_path)]
    assert main(args) == 0
    case = tmp_path / "baohatinh" / "cam-xuyen-xay-dung-1440-mo-hinh-dan-van-kheo-post259960"
    assert sorted(p.name for p in case.iterdir()) == ["expected.json", "meta.json", "page.html", "snippets.json"]
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    assert meta["url"] == url and meta["portal"] == "baohatinh" and meta["page"] == "page.html"
    assert meta["note"] == "recorded by dvk-crawl record; review expected.json by hand"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", meta["fetched_at"])
    assert (case / "page.html").read_bytes() == SEED_000.html
    assert json.loads((case / "snippets.json").read_text(encoding="utf-8")) == {
        "must_contain": [],
        "must_not_contain": [],
    }
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    # The fixture contract: every record field named, or excused with a reason.
    assert set(expected) - {"unchecked"} | set(expected["unchecked"]) == set(ARTICLE_FIELDS)
    assert all(reason.strip() for reason in expected["unchecked"].values())
    # As tests/test_fixtures.py reads a case: the page, the meta's URL, portal and fetch time.
    page = (case / meta["page"]).read_bytes()
    again = derive_fields(extract_article(page, meta["url"], meta["portal"], fetched_at=meta["fetched_at"]))
    assert {k: again.to_dict()[k] for k in expected if k != "unchecked"} == {
        k: v for k, v in expected.items() if k != "unchecked"
    }
    assert "recorded" in capsys.readouterr().out

    assert main(args) == 2  # never overwrites a case silently
    assert "exists: pass --case NAME or --force" in capsys.readouterr().err
    assert main([*args, "--case", "second-copy"]) == 0
    assert (tmp_path / "baohatinh" / "second-copy" / "expected.json").is_file()


# --- errors ---------------------------------------------------------------------------------


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dvk-crawl: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["export", "-o", "out.jsonl"], ["stats"]])
@pytest.mark.slow
def test_missing_store_is_one_line_and_nothing_is_created(command: list[str], tmp_path: Path) -> None:
    line = one_error_line(dvk(*command, cwd=tmp_path))
    assert line == (
        "dvk-crawl: error: no store at data/dvk.sqlite: run a crawl first or pass --store"
        " (make demo's store is sqlite:///data/demo/dvk.sqlite)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--portal", "nosuch", "-o", "{tmp}/x.jsonl"], "unknown portal 'nosuch'; known portals: baohatinh"),
        (
            ["export", "--since", "2023-13-01", "-o", "{tmp}/x.jsonl"],
            "--since='2023-13-01' is not a date; use YYYY-MM-DD",
        ),
        (
            ["export", "--until", "yesterday", "-o", "{tmp}/x.jsonl"],
            "--until='yesterday' is not a date; use YYYY-MM-DD",
        ),
        (
            ["export", "--since", "2024-02-01", "--until", "2024-01-01", "-o", "{tmp}/x.jsonl"],
            "--since=2024-02-01 is after --until=2024-01-01",
        ),
        (["export", "--format", "xml", "-o", "{tmp}/x.xml"], "argument --format: invalid choice: 'xml'"),
        (["export", "-o", "{tmp}/no/such/dir/x.jsonl"], "no folder"),
        (["stats", "--store", "mysql://db/dvk"], "--store 'mysql://db/dvk': unsupported store"),
        (["inspect", "{tmp}/missing.html"], "no file {tmp}/missing.html: pass a saved page or an http(s) URL"),
        (["inspect", "{page}", "--portal", "nosuch"], "unknown portal 'nosuch'; known portals:"),
        (["record", "https://baohatinh.vn/x-post1.html", "--portal", "nosuch"], "unknown portal 'nosuch'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
@pytest.mark.slow
def test_errors_speak_to_a_person(store_url: str, tmp_path: Path, args: list[str], message: str) -> None:
    filled = [a.format(tmp=tmp_path, page=page_file()) for a in args]
    if filled[0] in {"export", "stats"} and "--store" not in filled:
        filled += ["--store", store_url]
    line = one_error_line(dvk(*filled))
    assert message.format(tmp=tmp_path) in line, line


@pytest.mark.slow
def test_parquet_without_pyarrow_says_how_to_install_it(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = tmp_path / "x.parquet"
    assert main(["export", "--format", "parquet", "--store", store_url, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["dvk-crawl: error: parquet export needs pyarrow: pip install 'dvk_crawl[parquet]'"]
    assert not out.exists()


# --- progress -------------------------------------------------------------------------------


class FakeStats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get_stats(self) -> dict[str, Any]:
        return self.values


def test_progress_extension_logs_items_per_second_stored_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    stats = FakeStats()
    progress = ProgressLog(stats, interval=10, clock=lambda: now[0])  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="dvk_crawl.extensions.progress")
    now[0] = 110.0
    stats.values.update(
        {"item_scraped_count": 30, "item_dropped_count": 10, "dvk/store/stored": 20, "dvk/dropped/http_404": 3}
    )
    stats.values["dvk/dropped/not_relevant"] = 10
    progress.log()
    now[0] = 130.0
    stats.values["item_scraped_count"] = 50
    progress.spider_closed(spider=None, reason="finished")  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "progress: 4.0 items/s, 20 stored, 13 dropped, 0:00:10 elapsed",
        "progress (finished): 2.0 items/s on average, 20 stored, 13 dropped in 0:00:30",
    ]


@pytest.mark.slow
def test_a_crawl_logs_its_progress(crawled: CrawlResult) -> None:
    summary = crawled.run_file()["summary"]
    lines = [line for line in crawled.output.splitlines() if "[dvk_crawl.extensions.progress]" in line]
    assert lines, crawled.output[-3000:]
    assert re.search(
        rf"progress \(finished\): [\d.]+ items/s on average, {summary['stored']} stored,"
        rf" {sum(summary['dropped'].values())} dropped in \d+:\d\d:\d\d$",
        lines[-1],
    ), lines[-1]
    for line in lines[:-1]:
        assert re.search(r"progress: [\d.]+ items/s, \d+ stored, \d+ dropped, \d+:\d\d:\d\d elapsed$", line), line
