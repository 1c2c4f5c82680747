"""``dvk-crawl reparse``: stored articles re-extracted from their kept pages, offline.

The store is built as a crawl builds it (tests/keptpages.py): fixture pages kept in a
WARC file, the records the parser and pipelines make of them stored with a pointer to
their page. A parser change is played by storing what an older parser gave.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from dvk_crawl.cli import reparse as reparse_cli
from dvk_crawl.cli.main import main
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.store import open_store
from dvk_crawl.warc import read_page
from tests.conftest import FixtureCase, load_fixture_cases, run_crawl
from tests.keptpages import ArticlePage, KeptStore, keep_pages, kept_store, replica_url

CASES = [c for c in load_fixture_cases() if c.portal == "baohatinh"]


@pytest.fixture
def kept(tmp_path: Path) -> KeptStore:
    return kept_store(tmp_path, CASES)


def feed_lines(kept: KeptStore) -> list[dict[str, Any]]:
    return [json.loads(line) for line in kept.feed.read_text(encoding="utf-8").splitlines()]


def reparse(kept: KeptStore, *args: str) -> int:
    return main(["reparse", "--store", kept.url, *args])


def test_reparse_with_unchanged_code_changes_nothing(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    before, feed_before = kept.records(), kept.feed.read_bytes()
    assert len(before) >= 3, "the fixture pages should give several stored articles"
    assert reparse(kept) == 0
    out = capsys.readouterr().out
    assert f"reparsed {len(before)} pages" in out
    assert f": 0 records changed, {len(before)} unchanged" in out
    assert kept.records() == before
    assert kept.feed.read_bytes() == feed_before


def counts(out: str, title: str) -> dict[str, int]:
    """The ``name n, name n`` counts of the summary line that starts with ``title``."""
    line = next(line for line in out.splitlines() if line.strip().startswith(title + ":"))
    pairs = (item.rsplit(" ", 1) for item in line.split(":", 1)[1].split(", "))
    return {name.strip(): int(n) for name, n in pairs}


def test_every_portal_fetched_from_a_replica_reparses_to_the_same_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page's identity is found again from a replica's URL, sub-sites' hosts included."""
    cases = load_fixture_cases()
    pages = [
        ArticlePage(c.portal, c.meta["url"], c.html, c.meta["fetched_at"], replica_url(c.meta["url"])) for c in cases
    ]
    kept = keep_pages(tmp_path, pages, "DVK_STORE_IRRELEVANT=1")
    before = kept.records()
    assert {r["portal"] for r in before.values()} == {c.portal for c in cases}
    assert any(urlsplit(r["url"]).hostname != urlsplit(get_portal(r["portal"]).home).hostname for r in before.values())
    assert reparse(kept, "-s", "DVK_STORE_IRRELEVANT=1") == 0
    assert f": 0 records changed, {len(before)} unchanged" in capsys.readouterr().out
    assert kept.records() == before


def older_parser(record: dict[str, Any]) -> dict[str, Any]:
    """What an older parser stored: another title, no tags, its own name."""
    return {**record, "title": "Tiêu đề cũ", "tags": [], "parser": "bao_cms/v0"}


def test_dry_run_reports_changes_per_field_and_portal_and_writes_nothing(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    records = kept.records()
    old = [older_parser(r) for r in list(records.values())[:2]]
    kept.update(*old)
    before, feed_before = kept.records(), kept.feed.read_bytes()
    assert reparse(kept, "--dry-run") == 0
    out = capsys.readouterr().out
    assert ": 2 records would change" in out
    tagged = sum(1 for r in old if records[r["id"]]["tags"])
    assert counts(out, "records would change per field") == {"title": 2, "parser": 2} | (
        {"tags": tagged} if tagged else {}
    )
    assert counts(out, "records would change or added per portal") == {"baohatinh": 2}
    assert f"{old[0]['id']} title: Tiêu đề cũ → {records[old[0]['id']]['title'][:20]}" in out
    assert kept.records() == before
    assert kept.feed.read_bytes() == feed_before


def test_real_run_updates_the_store_and_appends_the_changed_records_to_the_feed(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    records = kept.records()
    changed = list(records)[:2]
    kept.update(*(older_parser(records[i]) for i in changed))
    lines_before = len(feed_lines(kept))
    assert reparse(kept) == 0
    assert ": 2 records changed" in capsys.readouterr().out
    after = kept.records()
    for article_id in changed:
        assert after[article_id]["title"] == records[article_id]["title"]
        assert after[article_id]["parser"] == records[article_id]["parser"]
        assert after[article_id]["page"] == records[article_id]["page"], "the pointer stays"
        assert after[article_id]["fetched_at"] == records[article_id]["fetched_at"], "the fetch time stays"
    feed = feed_lines(kept)
    assert [line["id"] for line in feed[lines_before:]] == changed
    last = {line["id"]: line for line in feed}
    for article_id, record in after.items():  # the feed's last line of an id is its stored record
        assert {k: v for k, v in record.items() if k != "page"} == {
            k: v for k, v in last[article_id].items() if k != "page"
        }
    assert reparse(kept) == 0
    assert ": 0 records changed" in capsys.readouterr().out


def test_worker_processes_give_the_same_report_and_store(
    kept: KeptStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(reparse_cli, "MIN_RECORDS_PER_POOL", 0)
    records = kept.records()
    kept.update(*(older_parser(r) for r in list(records.values())[:3]))
    record = next(iter(records.values()))
    kept.update({k: v for k, v in record.items() if k != "page"})  # and one without a pointer
    assert reparse(kept, "--dry-run", "--workers", "1") == 0
    alone = capsys.readouterr().out.splitlines()
    assert reparse(kept, "--dry-run", "--workers", "2") == 0
    pooled = capsys.readouterr().out.splitlines()
    assert pooled[1:] == alone[1:] and ": 2 records would change" in pooled[0]  # the first line has the times
    assert reparse(kept, "--workers", "2") == 0
    assert ": 2 records changed" in capsys.readouterr().out
    after = kept.records()
    assert {i: r for i, r in after.items() if i != record["id"]} == {
        i: r for i, r in records.items() if i != record["id"]
    }


def test_portal_and_window_select_the_records(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    records = kept.records()
    dated = sorted((r for r in records.values() if r["published_at"]), key=lambda r: r["published_at"])
    day = dated[-1]["published_at"][:10]
    assert reparse(kept, "--portal", "baohatinh", "--since", day, "--dry-run") == 0
    selected = sum(1 for r in dated if r["published_at"][:10] >= day)
    assert f"reparsed {selected} pages" in capsys.readouterr().out
    assert selected < len(records)


def test_a_new_keyword_stores_a_page_dropped_before_without_a_recrawl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    narrow = tmp_path / "narrow.txt"
    narrow.write_text("Cẩm Xuyên\n", encoding="utf-8")  # the campaign's name is missing
    kept = kept_store(tmp_path, CASES, f"DVK_KEYWORDS_FILE={narrow}")
    stored = kept.records()
    missed = [c for c in CASES if _id(c) not in stored and c.expected.get("language", "vi") == "vi"]
    assert missed, "the narrow keyword list should miss an article"
    assert reparse(kept, "--all-pages", "-s", f"DVK_KEYWORDS_FILE={narrow}") == 0
    assert kept.records() == stored, "the same keywords keep the same articles"
    capsys.readouterr()
    assert reparse(kept, "--all-pages") == 0  # the project's keywords: "dân vận khéo"
    out = capsys.readouterr().out
    after = kept.records()
    new = [c for c in missed if _id(c) in after]
    assert new, out
    assert f"pages of unstored articles: {len(new)} stored" in out
    # The articles stored before match other keywords now: updated, not added again.
    assert counts(out, "records changed per field") == {"matched_keywords": len(stored)}
    assert all(r["matched_keywords"] == ["dân vận khéo"] for r in after.values())
    for case in new:
        record = after[_id(case)]
        assert record["relevant"] and record["matched_keywords"]
        assert record["page"]["warc_file"] == str(kept.warc.relative_to(kept.data_dir))
        assert record["fetched_at"] == case.meta["fetched_at"]
    assert {line["id"] for line in feed_lines(kept)} == set(after)


def test_all_pages_stores_an_archive_capture_as_the_archive_spider_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nothing = tmp_path / "nothing.txt"
    nothing.write_text("không có từ khóa này\n", encoding="utf-8")
    case = CASES[0]
    page = ArticlePage(case.portal, case.meta["url"], case.html, "2026-12-01T03:04:05+00:00", captured="20231015021500")
    kept = keep_pages(tmp_path, [page], f"DVK_KEYWORDS_FILE={nothing}")
    assert kept.records() == {}
    assert reparse(kept, "--all-pages") == 0
    assert "pages of unstored articles: 1 stored" in capsys.readouterr().out
    record = kept.records()[_id(case)]
    assert record["url"] == case.meta["url"]
    assert record["source"] == "archive"
    assert record["archive_url"] == f"https://web.archive.org/web/20231015021500/{case.meta['url']}"
    assert record["archived_at"] == "2023-10-15T02:15:00+00:00"
    assert record["fetched_at"] == record["page"]["fetched_at"] == "2026-12-01T03:04:05+00:00"
    assert {k: record[k] for k in ("title", "text")} == {k: case.expected[k] for k in ("title", "text")}
    assert record["archive"] == "wayback"
    # Reparsed again: the archive fields are the crawl's to tell, not the page's.
    assert reparse(kept) == 0
    assert ": 0 records changed, 1 unchanged" in capsys.readouterr().out
    assert kept.records()[_id(case)] == record


def test_a_stored_article_no_keyword_matches_now_is_marked_irrelevant_not_left_or_deleted(
    kept: KeptStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = kept.records()
    other = tmp_path / "other.txt"
    other.write_text("Cẩm Xuyên\n", encoding="utf-8")
    assert reparse(kept, "-s", f"DVK_KEYWORDS_FILE={other}") == 0
    out = capsys.readouterr().out
    after = kept.records()
    assert set(after) == set(before)
    lost = [i for i, r in after.items() if not r["relevant"]]
    kept_relevant = [i for i, r in after.items() if r["relevant"]]
    assert lost and kept_relevant, out
    assert all(after[i]["matched_keywords"] == [] for i in lost)
    assert all(after[i]["matched_keywords"] == ["Cẩm Xuyên"] for i in kept_relevant)
    assert counts(out, "records changed per field")["relevant"] == len(lost)
    assert "now drop" not in out


def _id(case: FixtureCase) -> str:
    return str(case.expected["id"])


# -- damaged or missing pages ----------------------------------------------------------


def test_a_record_without_pointer_is_counted_and_skipped(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    records = kept.records()
    record = next(iter(records.values()))
    kept.update({k: v for k, v in record.items() if k != "page"})
    assert reparse(kept) == 0
    out = capsys.readouterr().out
    assert counts(out, "skipped") == {"no_pointer": 1}
    assert "no selected record has a kept page" not in out
    kept.update(*({**r, "page": None} for r in records.values()))  # stored while pages were not kept
    assert reparse(kept) == 0
    out = capsys.readouterr().out
    assert "no selected record has a kept page: stored before pages were kept, or with DVK_WARC_ENABLED=0" in out
    # Their pages are in the WARC files all the same (kept by a later crawl): --all-pages finds them.
    assert reparse(kept, "--all-pages") == 0
    out = capsys.readouterr().out
    assert f"{len(records)} records changed" in out and counts(out, "records changed per field") == {
        "page": len(records)
    }
    assert kept.records() == records


def test_a_record_without_pointer_never_gets_a_page_older_than_its_fetch(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Crawled again with DVK_WARC_ENABLED=0 after a crawl that kept the pages: the kept
    page is older than the record's text, which must not be replaced by older content."""
    records = kept.records()
    newer = {
        i: {**r, "page": None, "fetched_at": "2030-01-01T00:00:00+00:00", "title": "Bài đã sửa sau"}
        for i, r in records.items()
    }
    kept.update(*newer.values())
    assert reparse(kept, "--all-pages") == 0  # nothing is damaged: the records stay as they are
    out = capsys.readouterr().out
    assert counts(out, "skipped") == {"older_kept_page": len(records)}
    assert kept.records() == newer


def test_a_page_as_new_as_a_pointerless_record_is_attached_with_its_own_fetch_time_and_source(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """The record's fetched_at and source then describe the page its text now comes from."""
    records = kept.records()
    r = next(iter(records.values()))
    older = {
        **r,
        "page": None,
        "fetched_at": "2020-01-01T00:00:00+00:00",
        "source": "archive",
        "archive": "wayback",
        "archive_url": f"https://web.archive.org/web/20191231000000/{r['url']}",
        "archived_at": "2019-12-31T00:00:00+00:00",
    }
    kept.update(older)
    assert reparse(kept, "--all-pages") == 0
    out = capsys.readouterr().out
    assert "skipped" not in out
    assert kept.records() == records  # fetched_at, source, archive fields and pointer: the page's


def test_a_missing_warc_file_is_counted_and_the_exit_code_says_so(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    before = kept.records()
    kept.warc.unlink()
    assert reparse(kept) == 1
    captured = capsys.readouterr()
    assert counts(captured.out, "skipped") == {"missing_warc": len(before)}
    assert f"{len(before)} kept pages could not be read" in captured.err
    assert kept.records() == before


def test_a_truncated_record_is_detected(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    records = kept.records()
    last = max(records.values(), key=lambda r: r["page"]["warc_offset"])
    kept.warc.write_bytes(kept.warc.read_bytes()[: last["page"]["warc_offset"] + 2000])
    assert reparse(kept) == 1
    assert counts(capsys.readouterr().out, "skipped") == {"truncated_record": 1}
    assert kept.records() == records


def test_a_file_cut_by_a_crash_is_counted_and_its_whole_records_are_read(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crawl killed while writing leaves a cut last record: expected, no stored record points at it."""
    whole = kept.warc.read_bytes()
    with kept.warc.open("ab") as warc:
        warc.write(whole[-3000:-1000])  # part of a record: a write the crash cut
    before = kept.records()
    assert reparse(kept, "--dry-run", "--all-pages") == 0  # the check docs/provenance.md offers
    assert counts(capsys.readouterr().out, "skipped") == {"cut_file_end": 1}
    assert reparse(kept, "--all-pages") == 0
    out = capsys.readouterr().out
    assert counts(out, "skipped") == {"cut_file_end": 1}
    assert f": 0 records changed, {len(before)} unchanged" in out


def test_a_pointer_to_another_record_is_detected(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    first, second, third = list(kept.records().values())[:3]
    where = {k: second["page"][k] for k in ("warc_offset", "warc_length")}
    kept.update({**first, "page": {**first["page"], **where}})  # a whole record, another one
    kept.update({**third, "page": {**third["page"], "warc_offset": third["page"]["warc_offset"] + 10}})
    assert reparse(kept) == 1
    assert counts(capsys.readouterr().out, "skipped") == {"record_id_mismatch": 1, "unreadable_record": 1}


def test_a_running_crawl_of_a_portal_keeps_a_reparse_off(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    """A crawl and a reparse of one portal would each overwrite what the other stored."""
    records = kept.records()
    kept.update(*(older_parser(r) for r in records.values()))
    with open_store(kept.url) as store:
        lock = store.crawl_lock("baohatinh")
        lock.acquire()
        try:
            assert reparse(kept) == 2
            assert reparse(kept, "--dry-run") == 0, "a dry run writes nothing: no lock needed"
        finally:
            lock.release()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("dvk-crawl: error: a baohatinh crawl or another reparse is running on"), err
    assert reparse(kept) == 0
    assert kept.records() == records


def test_a_reparse_where_no_page_could_be_read_says_so(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    records = kept.records()
    kept.warc.unlink()
    assert reparse(kept) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"reparsed 0 of {len(records)} pages in "), out
    assert counts(out, "skipped") == {"missing_warc": len(records)}


def test_an_interrupted_reparse_closes_its_records_before_the_store(
    kept: KeptStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Else the store's record generator is finalised later, on a closed database
    ("Exception ignored in <generator SqliteStore.iter_records>")."""
    import gc
    import sys

    from dvk_crawl.reparse.core import Reparser

    def interrupted(self: Reparser, records: Any, on_record: Any = None) -> Any:
        next(iter(records))
        raise KeyboardInterrupt

    unraisable: list[Any] = []
    monkeypatch.setattr(Reparser, "run", interrupted)
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    assert reparse(kept, "--workers", "1") == 130
    gc.collect()
    assert unraisable == []
    assert capsys.readouterr().err == "dvk-crawl: interrupted\n"


def test_a_feed_that_cannot_be_written_stops_the_reparse_with_one_line(
    kept: KeptStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = kept.records()
    kept.update(*(older_parser(r) for r in records.values()))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert reparse(kept, "--feed", str(folder)) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"dvk-crawl: error: feed {folder} could not be written"), err
    assert "dvk-crawl export --format jsonl rebuilds the feed" in err[0]
    assert kept.records() == records, "the batch was committed before its feed lines"


def test_bad_options_are_one_line(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert reparse(kept, "--portal", "nowhere") == 2
    assert reparse(kept, "-s", "DVK_NO_SUCH=1") == 2
    assert reparse(kept, "--since", "2024-02-01", "--until", "2024-01-01") == 2
    assert main(["reparse", "--store", f"sqlite:///{kept.data_dir / 'none.sqlite'}"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 4 and all(line.startswith("dvk-crawl: error: ") for line in errors), errors


def test_bad_settings_are_one_line_before_any_lock(
    kept: KeptStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As scrapy crawl says them, and before a portal's crawl lock is taken."""
    short = tmp_path / "kw.txt"
    short.write_text("của\nvà\n", encoding="utf-8")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    expected = {
        "DVK_KEYWORDS_FILE=/nonexistent.txt": "/nonexistent.txt: keywords file not found (setting DVK_KEYWORDS_FILE)",
        f"DVK_KEYWORDS_FILE={short}": f"{short}:2: keyword 'và' is too short to match reliably",
        f"DVK_KEYWORDS_FILE={tmp_path}": f"{tmp_path}: a folder, not a keywords file (setting DVK_KEYWORDS_FILE)",
        f"DVK_SEEDS_DIR={not_a_folder}": f"{not_a_folder}: not a folder (setting DVK_SEEDS_DIR)",
        f"DVK_SEEDS_DIR={tmp_path / 'none'}": f"{tmp_path / 'none'}: no such folder (setting DVK_SEEDS_DIR)",
        "DVK_MIN_BODY_CHARS=abc": "setting DVK_MIN_BODY_CHARS: invalid literal for int() with base 10: 'abc'",
    }
    for setting, message in expected.items():
        for dry_run in (["--dry-run"], []):
            assert reparse(kept, *dry_run, "-s", setting) == 2, setting
            captured = capsys.readouterr()
            assert captured.err == f"dvk-crawl: error: {message}\n"
    assert not list(kept.data_dir.glob("*.lock"))


# -- inspect --id and record from a kept page ---------------------------------------------


def test_inspect_id_shows_the_stored_record_and_its_kept_page(
    kept: KeptStore, capsys: pytest.CaptureFixture[str]
) -> None:
    record = kept.records()["baohatinh:259960"]
    assert main(["inspect", "--id", "baohatinh:259960", "--store", kept.url]) == 0
    out = capsys.readouterr().out
    shown = json.loads(out.split("\n\nkept page:")[0])
    assert shown == record
    page = dict(line.strip().split(None, 1) for line in out.split("kept page:\n")[1].splitlines())
    assert page["url"] == CASES[0].meta["url"].replace("https://baohatinh.vn", "http://127.0.0.1:8123")
    assert page["fetched_at"] == record["fetched_at"]
    assert page["warc_record_id"] == record["page"]["warc_record_id"]
    assert page["status"] == "200"
    assert page["text"].rstrip("…") == " ".join(record["text"].split())[: len(page["text"].rstrip("…"))]

    assert main(["inspect", "--id", "baohatinh:259960", "--store", kept.url, "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["record"] == record and as_json["page"]["text"] == record["text"]


def test_inspect_id_errors_are_one_line(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    record = kept.records()["baohatinh:259960"]
    assert main(["inspect", "--id", "baohatinh:1", "--store", kept.url]) == 2
    assert main(["inspect", "page.html", "--id", "baohatinh:259960", "--store", kept.url]) == 2
    kept.update({k: v for k, v in record.items() if k != "page"})
    assert main(["inspect", "--id", "baohatinh:259960", "--store", kept.url]) == 2
    kept.update(record)
    kept.warc.write_bytes(kept.warc.read_bytes()[: record["page"]["warc_offset"] + 500])
    assert main(["inspect", "--id", "baohatinh:259960", "--store", kept.url]) == 2
    errors = capsys.readouterr().err.splitlines()
    prefixes = [
        "no article baohatinh:1 in store",
        "pass a page (URL or FILE) or --id",
        "baohatinh:259960 has no kept page (stored before pages were kept, or crawled with DVK_WARC_ENABLED=0)",
        f"{kept.warc} ends at {record['page']['warc_offset'] + 500} bytes, inside the record",
    ]
    assert len(errors) == len(prefixes)
    for line, prefix in zip(errors, prefixes, strict=True):
        assert line.startswith(f"dvk-crawl: error: {prefix}"), line
    assert errors[3].endswith("(truncated_record)")


@pytest.mark.parametrize("source", ["store", "warc"])
def test_record_makes_a_fixture_from_a_kept_page_offline(
    kept: KeptStore, tmp_path: Path, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record = kept.records()["baohatinh:259960"]
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    where = (
        ["--from-store", "--id", record["id"], "--store", kept.url]
        if source == "store"
        else ["--warc", str(kept.warc), "--offset", str(record["page"]["warc_offset"]), "--portal", "baohatinh"]
    )
    assert main(["record", *where, "--fixtures-dir", str(fixtures), "--case", "kept"]) == 0
    case = fixtures / "baohatinh" / "kept"
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    assert meta["url"] == record["url"] and meta["fetched_at"] == record["fetched_at"]
    assert record["page"]["warc_record_id"] in meta["note"]
    assert (case / "page.html").read_bytes() == CASES[0].html
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert expected["title"] == record["title"] and expected["text"] == record["text"]
    assert "recorded" in capsys.readouterr().out


def test_record_from_a_kept_page_errors_are_one_line(kept: KeptStore, capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = ["--fixtures-dir", str(kept.data_dir)]
    assert main(["record", "--from-store", "--store", kept.url, *fixtures]) == 2
    assert main(["record", "--warc", str(kept.warc), "--portal", "baohatinh", *fixtures]) == 2
    assert (
        main(
            [
                "record",
                "--warc",
                str(kept.data_dir / "none.warc.gz"),
                "--offset",
                "0",
                "--portal",
                "baohatinh",
                *fixtures,
            ]
        )
        == 2
    )
    assert main(["record", "--from-store", "--id", "baohatinh:1", "--store", kept.url, *fixtures]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 4 and all(line.startswith("dvk-crawl: error: ") for line in errors), errors
    assert "missing" in errors[2] and "no article baohatinh:1" in errors[3]


@pytest.mark.parametrize(
    ("where", "offset", "message"),
    [
        ("file", "-5", "--offset -5: a byte offset is 0 or more"),
        ("folder", "0", "--warc {path} is a folder, not a WARC file"),
    ],
)
def test_record_names_a_bad_warc_file_or_offset(
    kept: KeptStore, capsys: pytest.CaptureFixture[str], where: str, offset: str, message: str
) -> None:
    path = kept.warc if where == "file" else kept.warc.parent
    fixtures = ["--fixtures-dir", str(kept.data_dir)]
    assert main(["record", "--warc", str(path), "--offset", offset, "--portal", "baohatinh", *fixtures]) == 2
    assert capsys.readouterr().err == f"dvk-crawl: error: {message.format(path=path)}\n"


# -- a real crawl of a replica ---------------------------------------------------------------


@pytest.mark.slow
def test_after_a_crawl_reparse_changes_nothing_and_a_new_keyword_needs_no_recrawl(
    replicas: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    narrow = tmp_path / "narrow.txt"
    narrow.write_text("Cẩm Xuyên\n", encoding="utf-8")  # misses the articles that only name the campaign
    crawl = run_crawl("baohatinh", replicas["baohatinh"], tmp_path, "-s", f"DVK_KEYWORDS_FILE={narrow}")
    assert crawl.returncode == 0, crawl.output[-3000:]
    kept = KeptStore(f"sqlite:///{crawl.store}", tmp_path, tmp_path)
    stored, feed = kept.records(), kept.feed.read_bytes()
    assert stored and all(r["page"] for r in stored.values()), "a crawl keeps every stored article's page"

    assert reparse(kept, "-s", f"DVK_KEYWORDS_FILE={narrow}") == 0
    assert f": 0 records changed, {len(stored)} unchanged" in capsys.readouterr().out
    assert kept.records() == stored and kept.feed.read_bytes() == feed

    assert reparse(kept, "--all-pages") == 0  # the project's keywords: "dân vận khéo"
    out = capsys.readouterr().out
    after = kept.records()
    new = set(after) - set(stored)
    assert new, out
    assert f"pages of unstored articles: {len(new)} stored" in out
    for article_id in new:
        assert after[article_id]["relevant"] and after[article_id]["page"]["warc_record_id"]
        assert after[article_id]["fetched_at"] == after[article_id]["page"]["fetched_at"]
    last = {line["id"]: line for line in feed_lines(kept)}
    assert all(last[i] == record for i, record in after.items()), "the feed's last line of an id is its record"

    article_id = sorted(new)[0]
    assert main(["inspect", "--id", article_id, "--store", kept.url]) == 0
    assert after[article_id]["page"]["warc_record_id"] in capsys.readouterr().out
    assert reparse(kept, "--all-pages") == 0
    assert ": 0 records changed" in capsys.readouterr().out


@pytest.mark.slow
def test_all_pages_after_a_crawl_with_redirects_and_sub_sites_finds_each_page_its_crawled_article(
    replicas: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Quảng Trị's replica redirects sub-site articles (301 to /vi/…): the page a redirect
    ended on is the stored article's, found as the spider found it, not a new one."""
    crawl = run_crawl("quangtri", replicas["quangtri"], tmp_path, "-s", "DVK_STORE_IRRELEVANT=1")
    assert crawl.returncode == 0, crawl.output[-3000:]
    kept = KeptStore(f"sqlite:///{crawl.store}", tmp_path, tmp_path)
    stored = kept.records()
    redirected = [r for r in stored.values() if "/vi/" in read_page_url(kept, r)]
    assert redirected, "the replica should redirect some article"
    assert reparse(kept, "--all-pages", "-s", "DVK_STORE_IRRELEVANT=1") == 0
    out = capsys.readouterr().out
    assert f": 0 records changed, {len(stored)} unchanged" in out
    assert "pages of unstored articles: 0 stored" in out or "pages of unstored articles" not in out
    assert kept.records() == stored


def read_page_url(kept: KeptStore, record: dict[str, Any]) -> str:
    return read_page(kept.data_dir, record["page"]).url
