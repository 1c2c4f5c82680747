"""Random sequences of ordinary operations against a replica whose served articles are known.

The proof of issue 12: whatever a user does in whatever order — crawl, ``refresh=1``,
crawl with the portal unreachable, SIGKILL midway, JOBDIR stop/resume/re-run,
``since``/``until`` windows, a copy of an article appearing later on another portal and
published earlier, migrating the store to PostgreSQL — no article is lost, stored
twice, invented or rooted on the wrong original. Shared by
``tests/test_operation_sequences.py`` (about 20 sequences in ``make test``) and
``make soak`` (hundreds, ``DVK_SOAK_SEQUENCES``).

:class:`SequenceReplica` is a small two-portal site (``baohatinh`` and ``baolaocai``, one
CMS family) built from :mod:`dvk_crawl.replica.synthetic` articles: relevant and
off-topic articles, near copies within a portal and across the two, some listed only in
the sitemaps, and two "late" copies the replica serves from a step of the sequence on.
Listings and RSS are in order of arrival, newest first, and a sitemap entry's
``lastmod`` is when the article arrived, as on the live portals.

:class:`SequenceRun` plays one sequence of :class:`Step` and returns the invariants it
broke (:class:`Violation`), each naming the sequence, so a failure prints a readable
reproduction.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from html import escape
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dvk_crawl.cli.main import main as dvk_crawl_cli
from dvk_crawl.config import default_seeds_dir
from dvk_crawl.dates import VIETNAM
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.replica.server import serve
from dvk_crawl.replica.synthetic import (  # the generator's article text and page markup, reused as they are
    _XML_HEAD,
    _article,
    _article_page,
    _listing_item,
    _near_copy,
    _page,
    _SiteWriter,
)
from dvk_crawl.seeds import load_seeds
from dvk_crawl.store import open_store
from tests.conftest import ROOT, crawl_command, run_crawl

PORTALS = ("baohatinh", "baolaocai")
LISTING_PAGE = 4
"""Articles per listing page: small, so that paging and "nothing new" stops matter."""
FEED_SIZE = 6
LATE_COPIES = 2
STEP_TIMEOUT = 240


@dataclass(frozen=True)
class ServedArticle:
    """One article page of the replica and what the crawl must make of it."""

    portal: str
    article: Any  # synthetic.SyntheticArticle
    relevant: bool = True
    listed: bool = True
    """Linked from the listings and RSS; False: only in the sitemaps (baohatinh has them)."""
    group: str | None = None
    """Id of the first article of its copy group (any member names the group)."""
    arrived: datetime | None = None
    """When the replica began to serve it (None: before the sequence, at publication)."""

    @property
    def id(self) -> str:
        return f"{self.portal}:{self.article.post_id}"

    @property
    def published(self) -> datetime:
        published: datetime = self.article.published
        return published

    @property
    def listed_at(self) -> datetime:
        return self.arrived or self.published


def _off_topic(article: Any) -> Any:
    """The same page without the campaign keyword in title or lead: not relevant."""
    return replace(article, title=f"Tin địa phương số {article.post_id}", lead="Tin tức đời sống ở cơ sở.")


def _catalogue() -> tuple[list[ServedArticle], list[ServedArticle]]:
    """The articles served from the start, and the late copies served from a step on."""
    hatinh = [_article(300_000 + n, n) for n in range(14)]
    laocai = [_article(400_000 + n, 40 + n) for n in range(5)]
    first = [
        *(ServedArticle("baohatinh", a, listed=n not in (3, 9)) for n, a in enumerate(hatinh) if n not in (5, 11)),
        ServedArticle("baohatinh", _off_topic(hatinh[5]), relevant=False, listed=False),
        ServedArticle("baohatinh", _off_topic(hatinh[11]), relevant=False, listed=False),
        *(ServedArticle("baolaocai", a) for a in laocai),
        # A syndicated copy in the same portal, a day later, and one across portals.
        ServedArticle("baohatinh", _near_copy(hatinh[2], 300_050), group="baohatinh:300002"),
        ServedArticle("baolaocai", _near_copy(hatinh[6], 400_050), group="baohatinh:300006"),
    ]
    late = [
        # Published a day BEFORE the original it copies: it becomes the group's original.
        _earlier_copy("baolaocai", hatinh[2], 400_060, group="baohatinh:300002"),
        _earlier_copy("baohatinh", laocai[1], 300_060, group="baolaocai:400001"),
    ]
    # The originals of the late copies' groups too: a late copy joins a group that may
    # have had no copy before it (400001).
    first = [_in_group(a, first + late) for a in first]
    return first, late


def _earlier_copy(portal: str, original: Any, post_id: int, group: str) -> ServedArticle:
    copy = replace(_near_copy(original, post_id), published=original.published - timedelta(days=1))
    return ServedArticle(portal, copy, group=group)


def _in_group(article: ServedArticle, articles: list[ServedArticle]) -> ServedArticle:
    """Originals of a copy group carry the group too."""
    if any(other.group == article.id for other in articles):
        return replace(article, group=article.id)
    return article


class SequenceReplica:
    """The two portals' replica sites; :meth:`publish` makes a late copy appear."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.articles, self.late = _catalogue()

    def publish(self, number: int) -> None:
        """Serve late copy ``number`` from now on (again: no change)."""
        copy = self.late[number]
        if all(a.id != copy.id for a in self.articles):
            self.articles.append(replace(copy, arrived=datetime.now(VIETNAM)))

    @property
    def relevant_ids(self) -> set[str]:
        return {a.id for a in self.articles if a.relevant}

    @property
    def all_ids(self) -> set[str]:
        return {a.id for a in self.articles}

    def by_id(self, article_id: str) -> ServedArticle | None:
        return next((a for a in self.articles if a.id == article_id), None)

    def days(self) -> list[date]:
        """Publication days of the served articles, oldest first: where windows start and end."""
        return sorted({a.published.date() for a in self.articles})

    @contextmanager
    def serve(self) -> Iterator[dict[str, str]]:
        """Write both sites as they are now and serve them: ``{portal: base_url}``."""
        shutil.rmtree(self.directory, ignore_errors=True)
        for portal in PORTALS:
            _write_site(self.directory / portal, portal, [a for a in self.articles if a.portal == portal])
        with serve(*PORTALS, sites_dir=self.directory) as urls:
            yield urls


def _write_site(site_dir: Path, portal: str, articles: list[ServedArticle]) -> None:
    writer = _SiteWriter(site_dir, get_portal(portal).home)
    site_dir.mkdir(parents=True, exist_ok=True)
    writer.add("/robots.txt", "robots.txt", "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
    for served in articles:
        page = _article_page(served.article, writer.home)
        writer.add(writer.path(served.article), f"pages/{served.article.post_id}.html", page)
    newest = sorted((a for a in articles if a.listed), key=lambda a: a.listed_at, reverse=True)
    seeds = load_seeds(default_seeds_dir(), portal)
    arrived = {a.article.post_id: a.listed_at for a in articles}
    for url in seeds.sitemaps:
        writer.write_sitemaps(urlsplit(url).path, [a.article for a in articles], arrived)
    for url in (*seeds.listings, *seeds.evidence_listings):
        _write_listing(writer, urlsplit(url).path, newest)
    for url in seeds.rss:
        rss = _rss(writer, newest[:FEED_SIZE])
        writer.add(urlsplit(url).path, "rss.xml", rss, "application/rss+xml; charset=utf-8")
    if seeds.search:
        search = urlsplit(seeds.search).path
        writer.add(f"{search}?*", "search.html", _page("Tìm kiếm", "<p>Không tìm thấy kết quả.</p>", writer.home))
    (site_dir / "routes.json").write_text(json.dumps(writer.routes, ensure_ascii=False), "utf-8")


def _write_listing(writer: _SiteWriter, path: str, newest: list[ServedArticle]) -> None:
    """The listing in order of arrival, newest first, ``LISTING_PAGE`` a page, ``rel=next`` paging."""
    pages = [newest[i : i + LISTING_PAGE] for i in range(0, len(newest), LISTING_PAGE)] or [[]]
    name = path.strip("/").replace("/", "-")
    for number, members in enumerate(pages, start=1):
        items = "".join(_listing_item(a.article, writer.url(a.article)) for a in members)
        next_url = f"{writer.home}{path}?page={number + 1}"
        pager = f'<a rel="next" href="{next_url}">Xem thêm</a>' if number < len(pages) else ""
        body = f'<div class="box-category">{items}</div><div class="pagination">{pager}</div>'
        html = _page(f"Dân vận khéo - {number}", body, writer.home)
        writer.add(f"{path}?page={number}", f"listings/{name}-{number}.html", html)
    writer.routes[path] = writer.routes[f"{path}?page=1"]


def _rss(writer: _SiteWriter, newest: list[ServedArticle]) -> str:
    items = "".join(
        f"<item><title>{escape(a.article.title)}</title><link>{escape(writer.url(a.article))}</link>"
        f"<pubDate>{format_datetime(a.listed_at)}</pubDate></item>\n"
        for a in newest
    )
    return f'{_XML_HEAD}<rss version="2.0"><channel><title>{writer.host}</title>\n{items}</channel></rss>\n'


# -- steps ------------------------------------------------------------------------------------

OPERATIONS = ("crawl", "refresh", "unreachable", "kill", "jobdir", "window", "publish", "migrate")


@dataclass(frozen=True)
class Step:
    """One ordinary operation; ``a`` and ``b`` are its drawn numbers (see :meth:`__str__`)."""

    op: str
    portal: str = "baohatinh"
    a: int = 0
    b: int = 0

    def __str__(self) -> str:
        if self.op in ("kill", "jobdir"):
            signal_name = "SIGKILL" if self.op == "kill" else "SIGINT, resume, re-run"
            return f"{self.op} {self.portal} ({signal_name} after {self.a} log lines)"
        if self.op == "window":
            return f"window {self.portal} (days [{self.a}] to [{self.b}] of the served publication days)"
        if self.op == "publish":
            return f"publish late copy {self.a % LATE_COPIES}"
        if self.op == "migrate":
            return "migrate the store to PostgreSQL"
        return f"{self.op} {self.portal}"


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str


@dataclass
class Outcome:
    """What one sequence did and broke."""

    steps: list[Step]
    operations: int = 0
    violations: list[Violation] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    misrooted: int = 0

    def report(self, number: int) -> str:
        lines = [f"sequence {number}: {len(self.steps)} steps"]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.steps, start=1)]
        lines.append("  then: crawl baohatinh, crawl baolaocai (final ordinary crawls)")
        lines += [f"  BROKEN {v.invariant}: {v.detail}" for v in self.violations]
        return "\n".join(lines)


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def stored_records(store_url: str) -> dict[str, dict[str, Any]]:
    if store_url.startswith("sqlite:///") and not Path(store_url.removeprefix("sqlite:///")).exists():
        return {}
    with open_store(store_url) as store:
        return {record["id"]: record for record in store.iter_records()}


class SequenceRun:
    """Plays one sequence into a fresh store under ``workdir`` and checks the invariants."""

    def __init__(self, workdir: Path, postgres_url: str | None) -> None:
        self.workdir = workdir
        self.replica = SequenceReplica(workdir / "sites")
        self.store_url = f"sqlite:///{workdir / 'dvk.sqlite'}"
        self.postgres_url = postgres_url
        self.migrated = False
        self.refreshed = False
        self.killed_ids: set[str] = set()
        """Ids committed by a killed run: the feed may lack them (the kill can fall between commit and feed)."""
        self.ever_stored: set[str] = set()
        self.jobs = 0
        self.kills_landed = 0
        """SIGKILLs that interrupted a crawl (a crawl can finish before its kill moment)."""
        self.outcome = Outcome([])

    def play(self, steps: list[Step]) -> Outcome:
        self.outcome = Outcome(list(steps))
        for number, step in enumerate(steps, start=1):
            getattr(self, f"do_{step.op}")(step)
            self.outcome.operations += 1
            self.check_growth(f"after step {number} ({step})")
        for portal in PORTALS:
            self.crawl(portal, "final crawl", expect_success=True)
        self.check_growth("after the final crawls")
        records = stored_records(self.store_url)
        self.check_store(records, "SQLite store")
        self.check_export(records)
        self.check_feed(records)
        if self.migrated:
            self.do_migrate(Step("migrate"))
            self.check_migrated(records)
        return self.outcome

    def fail(self, invariant: str, detail: str) -> None:
        self.outcome.violations.append(Violation(invariant, detail))

    # -- operations ----------------------------------------------------------------------

    def crawl(self, portal: str, what: str, *args: str, base_url: str | None = None, expect_success: bool) -> None:
        with self.replica.serve() as urls:
            result = run_crawl(portal, base_url or urls[portal], self.workdir, *args, timeout=STEP_TIMEOUT)
        if (result.returncode == 0) != expect_success:
            wanted = "0" if expect_success else "non-zero"
            last = (result.output.strip().splitlines() or [""])[-1]
            self.fail("exit code", f"{what} {portal}: exit {result.returncode}, want {wanted} (last line: {last})")

    def do_crawl(self, step: Step) -> None:
        self.crawl(step.portal, "crawl", expect_success=True)

    def do_refresh(self, step: Step) -> None:
        self.refreshed = True
        self.crawl(step.portal, "refresh", "-a", "refresh=1", expect_success=True)

    def do_unreachable(self, step: Step) -> None:
        url = f"http://127.0.0.1:{closed_port()}"
        self.crawl(step.portal, "unreachable", base_url=url, expect_success=False)

    def do_window(self, step: Step) -> None:
        days = self.replica.days()
        first, last = sorted((days[step.a % len(days)], days[step.b % len(days)]))
        args = ("-a", f"since={first.isoformat()}", "-a", f"until={last.isoformat()}")
        self.crawl(step.portal, f"window {first}..{last}", *args, expect_success=True)

    def do_publish(self, step: Step) -> None:
        self.replica.publish(step.a % LATE_COPIES)

    def do_kill(self, step: Step) -> None:
        interrupted = self.interrupt(step, signal.SIGKILL, [])
        if interrupted:
            self.kills_landed += 1
            self.killed_ids |= set(stored_records(self.store_url))

    def do_jobdir(self, step: Step) -> None:
        self.jobs += 1  # a job of its own: a finished job may rightly refuse to start again
        jobdir = ("-s", f"JOBDIR={self.workdir / f'job{self.jobs}'}")
        if self.interrupt(step, signal.SIGINT, list(jobdir)):
            self.crawl(step.portal, "JOBDIR resume", *jobdir, expect_success=True)
        # A finished job run again (the crawl may have ended before the signal was sent: a
        # small crawl's whole log fits in the pipe) either runs anew (0) or stops with one
        # line (non-zero): both are allowed, so only what it does to the store is checked.
        with self.replica.serve() as urls:
            run_crawl(step.portal, urls[step.portal], self.workdir, *jobdir, timeout=STEP_TIMEOUT)

    def interrupt(self, step: Step, signum: signal.Signals, args: list[str]) -> bool:
        """Start a crawl, send ``signum`` after ``step.a`` log lines; True if it interrupted the crawl.

        The moment is chosen by the crawl's own progress (its DEBUG log lines), never by a
        clock. A crawl that ended first (it neither died by the signal nor logged receiving
        it) was not interrupted and must exit 0.
        """
        with self.replica.serve() as urls:
            command = crawl_command(step.portal, urls[step.portal], self.workdir, "-s", "LOG_LEVEL=DEBUG", *args)
            after: list[str] = []
            with subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ) as crawl:
                assert crawl.stdout is not None
                for count, line in enumerate(crawl.stdout, start=1):
                    if after:
                        after.append(line)
                    elif count == step.a and crawl.poll() is None:
                        crawl.send_signal(signum)
                        after.append(line)
                returncode = crawl.wait(timeout=STEP_TIMEOUT)
        # Died by the signal (SIGKILL; a SIGINT before Scrapy installed its handler, which
        # Python's default handler turns into an exit by SIGINT), or Scrapy caught it.
        interrupted = returncode == -signum or any("Received SIGINT" in line for line in after)
        if (returncode == 0) == interrupted:
            want, how = ("non-zero", "interrupted") if interrupted else ("0", "finished first")
            self.fail("exit code", f"{step}: exit {returncode}, want {want} ({how})")
        return interrupted

    def do_migrate(self, step: Step) -> None:
        if self.postgres_url is None or not stored_records(self.store_url):
            return  # nothing crawled yet: migrate-store rightly refuses a missing store
        self.migrated = True
        code, _out, err = run_cli("migrate-store", "--from", self.store_url, "--to", self.postgres_url)
        if code != 0:
            self.fail("migrate-store", f"exit {code}: {err.strip()[-300:]}")

    # -- invariants ----------------------------------------------------------------------

    def check_growth(self, when: str) -> None:
        now = set(stored_records(self.store_url))
        gone = self.ever_stored - now
        if gone:
            self.fail("stored ids never shrink", f"{when}: {sorted(gone)} no longer stored")
        self.ever_stored |= now

    def check_store(self, records: dict[str, dict[str, Any]], name: str) -> None:
        expected, served = self.replica.relevant_ids, self.replica.all_ids
        lost = sorted(expected - set(records))
        if lost:
            self.outcome.lost += len(lost)
            self.fail("no served relevant article lost", f"{name}: {lost} not stored")
        invented = sorted(set(records) - expected)
        if invented:
            kind = "off-topic" if set(invented) <= served else "never served"
            self.fail("only served relevant articles stored", f"{name}: {invented} stored ({kind})")
        self.check_roots(records, name)

    def check_roots(self, records: dict[str, dict[str, Any]], name: str) -> None:
        """Each copy group: one original (the earliest published, ties the lower id), the rest point at it."""
        groups: dict[str | None, list[ServedArticle]] = {}
        for article_id in records:
            served = self.replica.by_id(article_id)
            if served is not None:
                groups.setdefault(served.group, []).append(served)
        for group, members in groups.items():
            for served in members:
                root = None if group is None else min(members, key=lambda a: (a.published, a.id)).id
                want = None if served.id == root else root
                got = records[served.id].get("duplicate_of")
                if got == want:
                    continue
                if got is None and want is not None:
                    self.outcome.duplicated += 1
                    self.fail("none stored twice", f"{name}: {served.id} is a copy of {want}, stored as an original")
                else:
                    self.outcome.misrooted += 1
                    self.fail("copies point at the earliest original", f"{name}: {served.id} → {got}, want {want}")

    def check_export(self, records: dict[str, dict[str, Any]]) -> None:
        target = self.workdir / "export.jsonl"
        code, _out, err = run_cli("export", "--include-duplicates", "--store", self.store_url, "-o", str(target))
        if code != 0:
            self.fail("export = store", f"export exit {code}: {err.strip()[-300:]}")
            return
        exported = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        if exported != list(records.values()):
            missing = sorted(set(records) - {r["id"] for r in exported})
            self.fail("export = store", f"{len(exported)} exported, {len(records)} stored; missing {missing}")

    def check_feed(self, records: dict[str, dict[str, Any]]) -> None:
        feed_file = self.workdir / "articles.jsonl"
        lines = feed_file.read_text(encoding="utf-8").splitlines() if feed_file.exists() else []
        fed = [json.loads(line) for line in lines]
        feed = [record["id"] for record in fed]
        foreign = sorted(set(feed) - set(records))
        if foreign:
            self.fail("feed = store", f"in the feed, not stored: {foreign}")
        missing = sorted(set(records) - set(feed) - self.killed_ids)
        if missing:
            self.fail("feed = store", f"stored, not in the feed: {missing}")
        # The feed is the store's log: an id's last line is its stored record (a re-root
        # appends the records whose copy link it changed).
        last = {record["id"]: record for record in fed}
        stale = sorted(i for i in last if i in records and last[i]["duplicate_of"] != records[i]["duplicate_of"])
        if stale:
            self.fail("feed = store", f"the last feed line has another duplicate_of than the store: {stale}")
        relinked = {record["id"] for record in fed if feed.count(record["id"]) > 1 and record["duplicate_of"]}
        twice = sorted({i for i in feed if feed.count(i) > 1} - relinked)
        if twice and not self.refreshed:
            self.fail("no id twice in the feed", f"{twice} (no refresh ran, no re-root)")

    def check_migrated(self, records: dict[str, dict[str, Any]]) -> None:
        assert self.postgres_url is not None
        migrated = stored_records(self.postgres_url)
        if sorted(migrated) != sorted(records):
            self.fail("migrated store = SQLite store", f"ids differ: {sorted(set(records) ^ set(migrated))}")
        self.check_store(migrated, "PostgreSQL store")


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``dvk-crawl ARGV`` in this process: exit code, stdout, stderr."""
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = dvk_crawl_cli(list(argv))
    return code, out.getvalue(), err.getvalue()


def fresh_schema_url(server: str) -> tuple[str, str]:
    """A PostgreSQL store URL in a schema of its own, and the schema's name (drop it afterwards)."""
    from tests.services import schema_url

    schema = f"dvk_seq_{uuid.uuid4().hex[:12]}"
    assert server  # the session's PostgreSQL; schema_url builds on DVK_TEST_POSTGRES
    return schema_url(schema), schema
