"""One store interface, two stores: every test runs on SQLite and on PostgreSQL.

The PostgreSQL runs use a schema of their own in the ``test`` database (see
``tests/services.py``); they skip, saying why, where no PostgreSQL is reachable,
unless ``DVK_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dvk_crawl.outcomes import GONE_REASONS
from dvk_crawl.store import ArticleStore, StoreError, open_store
from dvk_crawl.store.base import TABLES
from dvk_crawl.store.lock import CrawlLockedError
from tests.conftest import ROOT

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/dvk.sqlite"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[ArticleStore]:
    with open_store(store_url) as opened:
        yield opened


def record(article_id: str, **fields: Any) -> dict[str, Any]:
    portal = article_id.split(":")[0]
    values = {
        "id": article_id,
        "portal": portal,
        "url": f"https://{portal}.vn/{article_id}",
        "content_hash": f"hash-{article_id}",
        "published_at": "2024-03-05T08:00:00+07:00",
        "relevant": True,
        "duplicate_of": None,
        "fetched_at": "2024-03-06T00:00:00+00:00",
        "title": f"Bài {article_id} “dân vận khéo”",
        "text": "Nội dung tiếng Việt có dấu.",
    }
    values.update(fields)
    return values


# -- articles --------------------------------------------------------------------------


def test_upsert_inserts_then_replaces_by_id(store: ArticleStore) -> None:
    assert store.upsert_many([record("a:1"), record("a:2"), record("b:1")]) == 3
    assert store.upsert_many([record("a:1", title="Tiêu đề mới")]) == 1
    assert store.count() == 3 and store.count("a") == 2 and store.count("c") == 0
    assert store.has_id("a:1") and not store.has_id("a:3")
    assert [r["title"] for r in store.iter_records("a")] == ["Tiêu đề mới", "Bài a:2 “dân vận khéo”"]
    assert store.upsert_many([]) == 0


def test_a_batch_is_all_or_nothing(store: ArticleStore) -> None:
    broken = record("a:2")
    del broken["content_hash"]
    with pytest.raises(StoreError, match="content_hash"):
        store.upsert_many([record("a:1"), broken])
    assert store.count() == 0


def test_id_for_hash_names_the_first_stored(store: ArticleStore) -> None:
    store.upsert_many([record("a:1", content_hash="h")])
    store.upsert_many([record("a:2", content_hash="h")])
    assert store.id_for_hash("h") == "a:1"
    assert store.id_for_hash("other") is None
    # A refreshed article is no copy of its own stored row.
    assert store.id_for_hash("h", other_than="a:1") == "a:2"
    assert store.id_for_hash("hash-b:1", other_than="b:1") is None


def test_iter_records_filters_and_orders_by_id_bytewise(store: ArticleStore) -> None:
    store.upsert_many(
        [
            record("a:10", published_at="2024-01-01T00:30:00+07:00"),
            record("a:9", published_at="2024-01-31T23:59:00+07:00", relevant=False),
            record("a:B", published_at=None),
            record("a:a", published_at="2024-02-01T00:00:00+07:00", duplicate_of="a:10"),
            record("b:1", published_at="2023-12-31T23:00:00+07:00"),
        ]
    )
    ids = lambda **kw: [r["id"] for r in store.iter_records(**kw)]  # noqa: E731
    assert ids() == ["a:10", "a:9", "a:B", "a:a", "b:1"]  # byte order, as SQLite sorts text
    assert ids(portal="a") == ["a:10", "a:9", "a:B", "a:a"]
    assert ids(since=date(2024, 1, 1), until=date(2024, 1, 31)) == ["a:10", "a:9"]
    assert ids(since=date(2024, 2, 1)) == ["a:a"]
    assert ids(until=date(2023, 12, 31)) == ["b:1"]
    assert ids(relevant_only=True, include_duplicates=False) == ["a:10", "a:B", "b:1"]


def test_iter_records_streams_more_than_a_batch(store: ArticleStore) -> None:
    store.upsert_many([record(f"a:{n:04d}") for n in range(150)])
    stream = store.iter_records()
    assert next(stream)["id"] == "a:0000"
    # Reading further while the stream is open, and dropping it half-way, are both fine.
    assert store.count() == 150
    assert sum(1 for _ in stream) == 149
    assert len(list(zip(range(3), store.iter_records(), strict=False))) == 3
    assert store.count("a") == 150


def test_portal_stats(store: ArticleStore) -> None:
    store.upsert_many(
        [
            record("a:1", published_at="2024-01-02T00:00:00+07:00"),
            record("a:2", published_at="2024-03-02T00:00:00+07:00", relevant=False, duplicate_of="a:1"),
            record("a:3", published_at=None),
            record("b:1", published_at="2022-05-06T00:00:00+07:00"),
        ]
    )
    a, b = store.portal_stats()
    assert (a.portal, a.articles, a.relevant, a.duplicates, a.undated) == ("a", 3, 2, 1, 1)
    assert (a.first_published, a.last_published) == ("2024-01-02T00:00:00+07:00", "2024-03-02T00:00:00+07:00")
    assert a.months == {"2024-01": 1, "2024-03": 1}
    assert (b.portal, b.articles, b.months) == ("b", 1, {"2022-05": 1})


# -- signatures, visits, runs ------------------------------------------------------------


def test_signature_candidates_share_a_band_first_added_first(store: ArticleStore) -> None:
    store.add_signature("a:1", b"\x01" * 8, [1, 2, -(2**62)], None)
    store.add_signature("a:2", b"\x02" * 8, [2, 3], "a:1")
    store.add_signature("a:3", b"\x03" * 8, [4], None)
    assert [c.id for c in store.signature_candidates([2, 3])] == ["a:1", "a:2"]
    assert [c.id for c in store.signature_candidates([-(2**62)])] == ["a:1"]
    assert store.signature_candidates([99]) == []
    assert store.signature_candidates([3])[0].signature == b"\x02" * 8
    # Signing an article again replaces its signature and bands (it becomes the newest).
    store.add_signature("a:1", b"\x04" * 8, [3], None)
    assert [c.id for c in store.signature_candidates([1, 2, 3])] == ["a:2", "a:1"]


def orphaned_bands(store: ArticleStore) -> int:
    row = store.db.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM signature_bands WHERE seq NOT IN (SELECT seq FROM signatures)"
    ).fetchone()
    return int(row[0])


def test_a_replaced_signature_leaves_no_band_rows_behind(store: ArticleStore) -> None:
    """ON DELETE CASCADE fires in both stores (SQLite needs foreign_keys on every connection)."""
    store.add_signature("a:1", b"\x01" * 8, [1, 2, 3], None)
    store.add_signature("a:1", b"\x02" * 8, [4], None)
    assert orphaned_bands(store) == 0
    assert store.signature_candidates([1, 2, 3]) == []


def test_relinking_makes_one_root_in_row_record_and_signature(store: ArticleStore) -> None:
    store.upsert_many([record("a:1"), record("a:2", duplicate_of="a:1"), record("a:3", duplicate_of="a:1")])
    for n in (1, 2, 3):
        store.add_signature(f"a:{n}", bytes([n]) * 8, [n], None if n == 1 else "a:1")
    assert sorted(store.copy_group("a:1")) == [(f"a:{n}", "2024-03-05T08:00:00+07:00") for n in (1, 2, 3)]
    assert store.copy_group("a:9") == []
    store.relink_copies(["a:1", "a:2", "a:3"], "a:3")
    links = {r["id"]: r["duplicate_of"] for r in store.iter_records()}
    assert links == {"a:1": "a:3", "a:2": "a:3", "a:3": None}
    assert {r["id"]: r["duplicate_of"] for r in store.dump_rows("articles")} == links
    assert {s["id"]: s["duplicate_of"] for s in store.dump_rows("signatures")} == links
    assert store.original_of("a:1") == "a:3" and store.original_of("a:3") is None
    assert sorted(i for i, _ in store.copy_group("a:3")) == ["a:1", "a:2", "a:3"]


def drop_visit_confirmation(db: Any) -> None:
    """Take the visits table back to before its confirmation columns (SQLite schema 5, PostgreSQL 3)."""
    for column in ("first_visited_at", "final_at"):
        db.execute(f"ALTER TABLE visits DROP COLUMN {column}")


def test_opening_an_older_store_repairs_its_copy_links(store_url: str) -> None:
    """Self-copies (refresh), groups rooted by arrival, signatures of lost batches and their
    band rows are repaired once."""
    with open_store(store_url) as store:
        store.upsert_many([record("a:1", duplicate_of="a:1"), record("a:2", duplicate_of="a:9"), record("a:3")])
        store.relink_copies(["a:3"], "a:1")
        # Linked by arrival: a:5 came first, a:4 (published before it) and a:6 (undated) after.
        store.upsert_many([record("a:5"), record("a:4", published_at="2024-03-01T08:00:00+07:00")])
        store.upsert_many([record("a:6", published_at=None)])
        store.relink_copies(["a:4", "a:5", "a:6"], "a:5")
        store.add_signature("a:1", b"\x01" * 8, [1], "a:1")
        store.add_signature("a:9", b"\x09" * 8, [9], None)  # its batch was never committed
        db: Any = store.db  # type: ignore[attr-defined]
        if store_url.startswith("sqlite"):
            db.execute("PRAGMA foreign_keys=OFF")  # as schema 3 ran: replaced signatures left their bands
            db.execute("DELETE FROM signatures WHERE id = 'a:1'")
            db.execute("INSERT INTO signatures (id, signature, duplicate_of) VALUES ('a:1', x'01', 'a:1')")
            db.execute("DROP INDEX articles_duplicate_of")
            db.execute("PRAGMA user_version = 3")
        else:
            db.execute("DROP INDEX articles_duplicate_of")
            db.execute("DELETE FROM dvk_schema WHERE version >= 2")
        drop_visit_confirmation(db)
    with open_store(store_url) as store:
        links = {r["id"]: r["duplicate_of"] for r in store.iter_records()}
        assert links == {"a:1": None, "a:2": None, "a:3": "a:1", "a:4": None, "a:5": "a:4", "a:6": "a:4"}
        assert {r["id"]: r["duplicate_of"] for r in store.dump_rows("articles")} == links
        assert {s["id"]: s["duplicate_of"] for s in store.dump_rows("signatures")} == {"a:1": None}
        assert orphaned_bands(store) == 0


def test_what_a_section_wrote_is_gone_when_it_fails(store: ArticleStore) -> None:
    """A batch and its signatures commit together: a lost batch leaves no signature to point at."""
    with pytest.raises(StoreError), store.dedup_section():
        store.upsert_many([record("a:1")])
        store.add_signature("a:1", b"\x01" * 8, [1], None)
        store.upsert_many([{"id": "broken"}])
    assert store.count() == 0 and list(store.dump_rows("signatures")) == []
    assert orphaned_bands(store) == 0


def test_visits_are_kept_once_and_count_as_seen_once_confirmed(store: ArticleStore) -> None:
    store.upsert_many([record("a:1")])
    store.add_visit("a:2", "a", "not_relevant", "https://a.vn/2")
    assert store.seen_ids("a") == {"a:1"}  # one sighting is not final
    store.add_visit("a:2", "a", "short_body", "https://a.vn/2?x", confirms_before="2999-01-01T00:00:00+00:00")
    store.add_visit("b:9", "b", "http_404", "https://b.vn/9")
    assert store.seen_ids("a") == {"a:1", "a:2"}
    visits = list(store.dump_rows("visits"))
    assert [(v["id"], v["outcome"]) for v in visits] == [("a:2", "short_body"), ("b:9", "http_404")]


def test_gone_ids_are_pages_found_gone_and_not_stored(store: ArticleStore) -> None:
    store.upsert_many([record("a:1")])
    store.add_visit("a:1", "a", "http_404", "https://a.vn/1")  # stored since: not gone
    store.add_visit("a:2", "a", "http_410", "https://a.vn/2")
    store.add_visit("a:3", "a", "empty", "https://a.vn/3")
    store.add_visit("a:4", "a", "not_relevant", "https://a.vn/4")
    store.add_visit("a:6", "a", "unrendered_template", "https://a.vn/6")
    store.add_visit("b:5", "b", "http_404", "https://b.vn/5")
    assert store.gone_ids("a", GONE_REASONS) == {"a:2", "a:3", "a:6"}


def test_gone_ids_are_the_visits_with_the_outcomes_asked_for(store: ArticleStore) -> None:
    for number, reason in enumerate(["http_404", "unrendered_template", "not_relevant"]):
        store.add_visit(f"a:{number}", "a", reason, f"https://a.vn/{number}")
    assert store.gone_ids("a", ["unrendered_template", "not_relevant"]) == {"a:1", "a:2"}
    assert store.gone_ids("a", []) == set()


def test_unconfirmed_visits_are_first_visits_of_ids_not_stored(store: ArticleStore) -> None:
    store.add_visit("a:1", "a", "http_404", "https://a.vn/1")
    store.add_visit("a:2", "a", "not_relevant", "https://a.vn/2", final=True)  # final: confirmed
    store.add_visit("a:3", "a", "empty", "https://a.vn/3")
    store.upsert_many([record("a:3")])  # stored since
    store.add_visit("b:4", "b", "http_404", "https://b.vn/4")
    assert store.unconfirmed_visits("a") == {"a:1": "https://a.vn/1"}
    store.add_visit("a:1", "a", "http_404", "https://a.vn/1", confirms_before="2999-01-01T00:00:00+00:00")
    assert store.unconfirmed_visits("a") == {}  # a later run found the same: final


def test_runs_newest_first(store: ArticleStore) -> None:
    for n in range(4):
        store.add_run(
            {"spider": "a", "started_at": f"2024-01-0{n + 1}", "finished_at": "x", "finish_reason": "finished", "n": n}
        )
    store.add_run({"spider": "b", "started_at": "2024", "finished_at": "x", "finish_reason": "shutdown"})
    assert [run["n"] for run in store.last_runs("a", limit=3)] == [3, 2, 1]
    assert [run["finish_reason"] for run in store.last_runs("b")] == ["shutdown"]
    assert store.last_runs("c") == []


# -- schema and errors -------------------------------------------------------------------


def test_reopening_keeps_everything(store_url: str) -> None:
    with open_store(store_url) as first:
        first.upsert_many([record("a:1")])
    with open_store(store_url) as again:
        assert again.count() == 1


def test_a_store_newer_than_the_code_is_refused(store_url: str) -> None:
    with open_store(store_url) as store:
        if store_url.startswith("sqlite"):
            store.db.execute("PRAGMA user_version = 99")  # type: ignore[attr-defined]
        else:
            store.db.execute("INSERT INTO dvk_schema (version) VALUES (99)")  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="newer than this dvk_crawl"):
        open_store(store_url).open()


def test_check_writable_passes_on_a_writable_store_and_fails_on_a_read_only_one(store_url: str) -> None:
    with open_store(store_url) as store:
        store.check_writable()
        if store_url.startswith("sqlite"):
            store.db.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]
        else:
            store.db.execute("SET default_transaction_read_only = on")  # type: ignore[attr-defined]
        with pytest.raises(StoreError, match="cannot write"):
            store.check_writable()


def test_unreachable_postgresql_is_a_store_error() -> None:
    store = open_store("postgresql://nobody:secret@127.0.0.1:1/test")
    with pytest.raises(StoreError, match="cannot open store") as raised:
        store.open()
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://127.0.0.1:5432", "names no database"),
        ("mysql://127.0.0.1/test", "unsupported store"),
        ("sqlite:///", "names no file"),
    ],
)
def test_bad_store_urls_say_what_to_use(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_store(url)


# -- several processes on one store ------------------------------------------------------


def test_crawl_lock_is_exclusive_and_shared_among_workers(store_url: str) -> None:
    store = open_store(store_url)
    first, second = store.crawl_lock("baohatinh"), store.crawl_lock("baohatinh")
    first.acquire()
    try:
        with pytest.raises(CrawlLockedError, match="pid"):
            second.acquire()
        with pytest.raises(CrawlLockedError):
            store.crawl_lock("baohatinh", shared=True).acquire()
        other_spider = store.crawl_lock("baolaocai")
        other_spider.acquire()  # another portal is not locked out
        other_spider.release()
    finally:
        first.release()
    workers = [store.crawl_lock("baohatinh", shared=True) for _ in range(2)]
    for worker in workers:
        worker.acquire()
    with pytest.raises(CrawlLockedError, match="worker"):
        second.acquire()  # a single-machine crawl waits for the distributed one
    for worker in workers:
        worker.release()
    second.acquire()
    second.release()


def test_a_released_crawl_lock_is_free_at_once(store_url: str) -> None:
    """A crawl that starts the moment the previous one ended (cron, a shell loop) finds the store
    free: the release does not leave the lock to the server to drop later."""
    store = open_store(store_url)
    for _ in range(25):
        crawl = store.crawl_lock("baohatinh")
        crawl.acquire()
        crawl.release()
        worker = store.crawl_lock("baohatinh", shared=True)
        worker.acquire()
        worker.release()


_HOLD_LOCK = """
import sys
from dvk_crawl.store import open_store
lock = open_store(sys.argv[1]).crawl_lock("baohatinh")
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.mark.slow
def test_a_killed_crawl_frees_its_lock(store_url: str) -> None:
    command = [sys.executable, "-c", _HOLD_LOCK, store_url]
    with subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            lock = open_store(store_url).crawl_lock("baohatinh")
            with pytest.raises(CrawlLockedError):
                lock.acquire()
            holder.kill()
            holder.wait(timeout=30)
            assert _eventually(lambda: _try(lock.acquire))  # PostgreSQL ends the session a moment after the kill
            lock.release()
        finally:
            holder.kill()


def test_dedup_section_keeps_other_processes_out(store_url: str) -> None:
    """While one store holds the section, another store's section waits for it."""
    with open_store(store_url) as first:
        order: list[str] = []
        seen: list[str] = []

        def other() -> None:  # its own connection, in its own thread, as another worker would
            with open_store(store_url) as second, second.dedup_section():
                order.append("second")
                seen.extend(c.id for c in second.signature_candidates([7]))

        with first.dedup_section():
            first.add_signature("a:1", b"\x01" * 8, [7], None)
            thread = threading.Thread(target=other)
            thread.start()
            waiting = _eventually(lambda: _waits_for_section(store_url, first), timeout=10)
            order.append("first")
        thread.join(timeout=30)
        assert waiting, "the second section did not wait for the first"
        assert order == ["first", "second"]
        assert seen == ["a:1"]  # what the first added in its section


def _waits_for_section(store_url: str, holder: ArticleStore) -> bool:
    """True once another connection waits for the section ``holder`` holds."""
    if store_url.startswith("sqlite"):
        # SQLite's writer lock: a third connection cannot begin a write transaction either.
        import sqlite3

        probe = sqlite3.connect(holder.path, timeout=0)  # type: ignore[attr-defined]
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True  # held; the other thread is in SQLite's busy wait behind it
        finally:
            probe.close()
        return False
    rows = holder.db.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return bool(rows[0])


# -- moving a store -------------------------------------------------------------------------


def fill(store: ArticleStore) -> None:
    store.upsert_many([record("a:1"), record("a:2", duplicate_of="a:1", relevant=False), record("b:1")])
    store.add_signature("a:1", b"\x01" * 16, [1, 2], None)
    store.add_signature("a:2", b"\x02" * 16, [2, 3], "a:1")
    store.add_visit("a:3", "a", "not_relevant", "https://a.vn/3")
    store.add_visit("a:3", "a", "not_relevant", "https://a.vn/3", confirms_before="2999-01-01T00:00:00+00:00")
    store.add_run({"spider": "a", "started_at": "s", "finished_at": "f", "finish_reason": "finished", "x": [1]})
    store.add_run({"spider": "a", "started_at": "s2", "finished_at": "f2", "finish_reason": "finished"})


def dump(store: ArticleStore) -> dict[str, list[dict[str, Any]]]:
    return {table: list(store.dump_rows(table)) for table in TABLES}


@pytest.mark.parametrize("target_backend", BACKENDS)
def test_rows_move_between_stores_once(store: ArticleStore, target_backend: str, request, tmp_path: Path) -> None:
    target_url = (
        f"sqlite:///{tmp_path}/target.sqlite" if target_backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    fill(store)
    source_rows = dump(store)
    assert {table: len(rows) for table, rows in source_rows.items()} == {
        "articles": 3,
        "signatures": 2,
        "visits": 1,
        "runs": 2,
    }
    assert all(set(row) == set(TABLES[table]) for table, rows in source_rows.items() for row in rows)
    with open_store(target_url) as target:
        for _ in range(2):  # the second load changes nothing
            for table, rows in source_rows.items():
                assert target.load_rows(table, rows) == len(rows)
        assert dump(target) == source_rows
        assert [c.id for c in target.signature_candidates([2])] == ["a:1", "a:2"]
        assert target.last_runs("a")[0]["started_at"] == "s2"
        assert target.seen_ids("a") == {"a:1", "a:2", "a:3"}


def test_a_bad_row_loads_nothing_of_its_batch(store: ArticleStore) -> None:
    good = dict.fromkeys(TABLES["visits"], "x")
    with pytest.raises(StoreError, match="visits"):
        store.load_rows("visits", [good, {"id": "y"}])
    assert list(store.dump_rows("visits")) == []
    with pytest.raises(ValueError, match="no table"):
        store.load_rows("nope", [])


def _try(action: Any) -> bool:
    try:
        action()
    except CrawlLockedError:
        return False
    return True


def _eventually(check: Any, timeout: float = 30) -> bool:
    """Poll ``check`` until it is true or ``timeout`` passes (what it waits for is another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
