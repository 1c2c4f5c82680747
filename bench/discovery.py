"""Targeted against exhaustive discovery on a generated baohatinh-sized portal (issue 14).

The portal (``dvk_crawl.replica.generated_portal``: 20,000 articles by default, 1.5 % about
the campaign, each campaign article with a known evidence kind) is served on loopback from
this process. ``scrapy crawl baohatinh`` runs once per mode, as a user runs it, each into a
fresh store, with throttling off and 16 requests per host (the request counts do not depend
on either; they only make the run shorter). Every number comes from the crawl: the ids in
its JSON Lines feed, the request targets the portal served it, its run file's stats.

Reported per mode: recall of the campaign articles (all, with any evidence, per kind),
requests (total, robots.txt, discovery pages by kind, articles), requests per stored
article, wall and CPU time, and the extrapolation to the real portal at the default
politeness (:func:`extrapolate`, the model is documented there and in docs/benchmarks.md).

Goals (issue 14), each printed PASS or FAIL; the exit status is 1 if one fails:
targeted finds >= 95 % of the campaign articles that have any evidence, with at most 1.3
article requests per stored article (discovery pages apart); exhaustive finds 100 %; a
targeted first crawl of a baohatinh-sized portal takes under one hour at the defaults.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import ROOT, THROTTLING_OFF, Crawl, load_average, run_crawl, write_json
from dvk_crawl import settings as defaults
from dvk_crawl.portals.registry import get_portal
from dvk_crawl.replica.generated_portal import (
    EVIDENCE_KINDS,
    KEYWORD,
    SEARCH_PATH,
    TAG_PATH,
    TOPIC_PATH,
    GeneratedPortal,
    PortalServer,
    PortalShape,
    serve_portal,
)
from dvk_crawl.spiders.base import spider_arguments

SPIDER = "baohatinh"
MODES = ("targeted", "exhaustive")
# Only the pace changes: what is requested does not depend on the delay or on concurrency.
BENCH_SETTINGS = (*THROTTLING_OFF, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16")
WITH_EVIDENCE = ("title", "search", "tag")

# The real portal (issue 14, /work/shared/portals.md): article ids reach ~307,000; the
# campaign is "a few hundred" of them. Every id is counted as an article (an upper bound).
REAL_ARTICLES = 307_000
REAL_CAMPAIGN = 500
# Invented: the round-trip time of a baohatinh.vn page from the crawling machine. AutoThrottle
# keeps the delay at latency / AUTOTHROTTLE_TARGET_CONCURRENCY when that exceeds DOWNLOAD_DELAY.
LATENCY_SECONDS = 0.5
SLOW_LATENCY_SECONDS = 2.0

GOAL_RECALL_WITH_EVIDENCE = 0.95
GOAL_ARTICLE_REQUESTS_PER_STORED = 1.3
GOAL_TARGETED_HOURS = 1.0

_ARTICLE_PATH = re.compile(r"^/[a-z0-9-]+-post\d+\.html$")


def targeted_available() -> bool:
    """Whether this code base's spiders take ``-a discovery=`` (issue 14's targeted mode)."""
    return "discovery" in spider_arguments(get_portal(SPIDER))


def classify(target: str) -> str:
    """What a request target served by the generated portal was for."""
    path = urlsplit(target).path
    kinds = {"/robots.txt": "robots", "/rss/home.rss": "feed", "/sitemap.xml": "sitemap_index"}
    kinds |= {TAG_PATH: "tag", TOPIC_PATH: "topic", SEARCH_PATH: "search"}
    if path in kinds:
        return kinds[path]
    if path.startswith("/sitemaps/"):
        return "sitemap"
    return "article" if _ARTICLE_PATH.match(path) else "other"


def crawl_mode(server_url: str, workdir: Path, mode: str, *extra: str, pace: tuple[str, ...] = BENCH_SETTINGS) -> Crawl:
    # Before targeted mode exists, exhaustive is the spider's only behaviour: no argument then.
    mode_args = ("-a", f"discovery={mode}") if targeted_available() else ()
    crawl = run_crawl(SPIDER, server_url, workdir, *pace, *mode_args, *extra)
    if crawl.returncode != 0:
        raise RuntimeError(f"{mode} crawl failed (exit {crawl.returncode}):\n{crawl.output[-3000:]}")
    return crawl


def stored_ids(workdir: Path) -> set[str]:
    feed = workdir / "articles.jsonl"
    if not feed.exists():
        return set()
    return {json.loads(line)["id"] for line in feed.read_text(encoding="utf-8").splitlines() if line.strip()}


def measure(portal: GeneratedPortal, crawl: Crawl, served: list[str], stored: set[str]) -> dict[str, Any]:
    """Recall, requests and their cost for one crawl of ``portal``."""
    truth = portal.campaign_by_kind()
    campaign = {record_id for ids in truth.values() for record_id in ids}
    requests: dict[str, int] = {}
    for target in served:
        requests[classify(target)] = requests.get(classify(target), 0) + 1
    fetched = [portal.by_path[p] for p in (urlsplit(t).path for t in served) if p in portal.by_path]
    articles = requests.get("article", 0)
    discovery = len(served) - articles - requests.get("robots", 0)
    found = {kind: len(stored & set(ids)) for kind, ids in truth.items()}
    with_evidence = sum(len(truth[kind]) for kind in WITH_EVIDENCE)
    return {
        "stored": len(stored),
        "stored_not_campaign": len(stored - campaign),
        "campaign_found": len(stored & campaign),
        "campaign_total": len(campaign),
        "recall": _ratio(len(stored & campaign), len(campaign)),
        "recall_with_evidence": _ratio(sum(found[kind] for kind in WITH_EVIDENCE), with_evidence),
        "recall_by_kind": {
            kind: {"found": found[kind], "of": len(truth[kind]), "recall": _ratio(found[kind], len(truth[kind]))}
            for kind in EVIDENCE_KINDS
        },
        "requests": {
            "total": len(served),
            "discovery": discovery,
            "article": articles,
            "article_campaign": sum(1 for article in fetched if article.record_id in campaign),
            "article_tag_noise": sum(1 for article in fetched if article.role == "tag_noise"),
            "by_kind": dict(sorted(requests.items())),
            "scrapy_request_count": crawl.stats.get("downloader/request_count"),
        },
        "requests_per_stored": _ratio(len(served), len(stored)),
        "article_requests_per_stored": _ratio(articles, len(stored)),
        "wall_seconds": round(crawl.wall_seconds, 1),
        "cpu_seconds": round(crawl.cpu_seconds, 1),
        "load_average_after": load_average(),
        "discovery_stats": {
            key.removeprefix("dvk/discovery/"): value
            for key, value in sorted(crawl.stats.items())
            if key.startswith(("dvk/discovery/evidence/", "dvk/discovery/skipped_no_evidence"))
        },
        "dropped": {k.removeprefix("dvk/dropped/"): v for k, v in crawl.stats.items() if k.startswith("dvk/dropped/")},
    }


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def politeness() -> dict[str, float]:
    """The project's default pace (``dvk_crawl/settings.py``), which the extrapolation assumes."""
    return {
        "DOWNLOAD_DELAY": defaults.DOWNLOAD_DELAY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": defaults.CONCURRENT_REQUESTS_PER_DOMAIN,
        "AUTOTHROTTLE_ENABLED": defaults.AUTOTHROTTLE_ENABLED,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": defaults.AUTOTHROTTLE_TARGET_CONCURRENCY,
        "AUTOTHROTTLE_MAX_DELAY": defaults.AUTOTHROTTLE_MAX_DELAY,
    }


def seconds_per_request(latency: float) -> float:
    """Mean seconds between two requests to one host at the defaults, for a server answering in ``latency``.

    Scrapy's downloader sends one request per ``delay`` from a host's slot whenever the delay
    is not zero, whatever CONCURRENT_REQUESTS_PER_DOMAIN allows (the jitter of
    RANDOMIZE_DOWNLOAD_DELAY averages out). AutoThrottle moves the delay towards
    ``latency / AUTOTHROTTLE_TARGET_CONCURRENCY``, never below DOWNLOAD_DELAY nor above
    AUTOTHROTTLE_MAX_DELAY; its start delay only matters for the first few requests.
    """
    if not defaults.AUTOTHROTTLE_ENABLED:
        return max(defaults.DOWNLOAD_DELAY, latency / defaults.CONCURRENT_REQUESTS_PER_DOMAIN)
    target = latency / defaults.AUTOTHROTTLE_TARGET_CONCURRENCY
    return min(max(defaults.DOWNLOAD_DELAY, target), defaults.AUTOTHROTTLE_MAX_DELAY)


def extrapolate(
    portal: GeneratedPortal, measured: dict[str, Any], real_campaign: int = REAL_CAMPAIGN
) -> dict[str, Any]:
    """The requests and hours of a first crawl of the real portal, scaled from this crawl.

    Each kind of request is scaled by what it grows with: monthly sitemaps with the number
    of articles (a constant publishing rate), tag pages with the campaign, search pages
    with their hits (campaign hits with the campaign, the search's other hits with the
    portal), article requests by what they fetched (campaign articles and the tag's other
    articles with the campaign, the rest with the portal); robots.txt, the feed, the
    sitemap index and the topic page stay one each. Hours are requests times
    :func:`seconds_per_request`.
    """
    articles_scale = REAL_ARTICLES / portal.shape.articles
    campaign_total = measured["campaign_total"] or 1
    campaign_scale = real_campaign / campaign_total
    hits = portal.search(KEYWORD)
    campaign_hits = sum(1 for article in hits if article.about_campaign)
    search_scale = (campaign_hits * campaign_scale + (len(hits) - campaign_hits) * articles_scale) / (len(hits) or 1)
    scale = {"sitemap": articles_scale, "tag": campaign_scale, "search": search_scale}
    kinds = measured["requests"]["by_kind"]
    discovery = sum(n * scale.get(kind, 1.0) for kind, n in kinds.items() if kind != "article")
    # Off-campaign articles on the tag grow with the tag; the others (search noise, articles
    # fetched without evidence) with the portal.
    with_campaign = measured["requests"]["article_campaign"] + measured["requests"]["article_tag_noise"]
    fetches = with_campaign * campaign_scale + (measured["requests"]["article"] - with_campaign) * articles_scale
    stored = measured["campaign_found"] * campaign_scale
    total = discovery + fetches
    return {
        "real_articles": REAL_ARTICLES,
        "real_campaign": real_campaign,
        "requests": round(total),
        "discovery_requests": round(discovery),
        "article_requests": round(fetches),
        "requests_per_stored": round(total / stored, 2) if stored else None,
        "hours": {
            f"latency_{latency}s": round(total * seconds_per_request(latency) / 3600, 2)
            for latency in (LATENCY_SECONDS, SLOW_LATENCY_SECONDS)
        },
    }


def run(articles: int = 20_000, seed: int = 14, *extra: str, check_pace: bool = False) -> dict[str, Any]:
    portal = GeneratedPortal(PortalShape(articles=articles, seed=seed))
    truth = portal.campaign_by_kind()
    result: dict[str, Any] = {
        "articles": articles,
        "seed": seed,
        "campaign_by_kind": {kind: len(ids) for kind, ids in truth.items()},
        "search_hits": len(portal.search(KEYWORD)),
        "tag_listing": len(portal.tagged),
        "monthly_sitemaps": len(portal.months),
        "settings": list(BENCH_SETTINGS) + list(extra),
        "politeness": politeness(),
        "seconds_per_request": {str(lat): seconds_per_request(lat) for lat in (LATENCY_SECONDS, SLOW_LATENCY_SECONDS)},
        "targeted_available": targeted_available(),
        "modes": {},
    }
    with tempfile.TemporaryDirectory(prefix="dvk-bench-discovery-") as tmp, serve_portal(portal) as server:
        for mode in MODES:
            if mode == "targeted" and not result["targeted_available"]:
                continue
            workdir = Path(tmp) / mode
            crawl = crawl_mode(server.base_url, workdir, mode, *extra)
            measured = measure(portal, crawl, server.take_served(), stored_ids(workdir))
            measured["real_portal"] = extrapolate(portal, measured)
            measured["real_portal_at_generated_share"] = extrapolate(
                portal, measured, round(REAL_ARTICLES * portal.shape.campaign_share)
            )
            result["modes"][mode] = measured
        if check_pace and result["targeted_available"]:
            result["pace_check"] = pace_check(server, Path(tmp) / "pace", *extra)
    result["goals"] = goals(result)
    result["goals_failed"] = [name for name, goal in result["goals"].items() if not goal["pass"]]
    return result


def pace_check(server: PortalServer, workdir: Path, *extra: str) -> dict[str, Any]:
    """A targeted crawl at the default pace, against :func:`seconds_per_request`'s prediction.

    On loopback the latency is close to zero, so the model predicts DOWNLOAD_DELAY per request.
    """
    crawl = crawl_mode(server.base_url, workdir, "targeted", *extra, pace=())
    requests = len(server.take_served())
    predicted = requests * seconds_per_request(0.0)
    return {
        "requests": requests,
        "wall_seconds": round(crawl.wall_seconds, 1),
        "predicted_seconds": round(predicted, 1),
        "measured_over_predicted": round(crawl.wall_seconds / predicted, 3) if predicted else None,
        "seconds_per_request": round(crawl.wall_seconds / requests, 3) if requests else None,
    }


def goals(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 14's goals; a mode that did not run fails its goals."""
    targeted = result["modes"].get("targeted", {})
    exhaustive = result["modes"].get("exhaustive", {})
    hours = targeted.get("real_portal", {}).get("hours", {}).get(f"latency_{LATENCY_SECONDS}s")
    checks = {
        "targeted_recall_with_evidence": (
            targeted.get("recall_with_evidence"),
            lambda v: v >= GOAL_RECALL_WITH_EVIDENCE,
            f">= {GOAL_RECALL_WITH_EVIDENCE}",
        ),
        "targeted_article_requests_per_stored": (
            targeted.get("article_requests_per_stored"),
            lambda v: v <= GOAL_ARTICLE_REQUESTS_PER_STORED,
            f"<= {GOAL_ARTICLE_REQUESTS_PER_STORED} (discovery pages apart)",
        ),
        "exhaustive_recall": (exhaustive.get("recall"), lambda v: v == 1.0, "= 1.0"),
        "targeted_first_crawl_hours": (hours, lambda v: v < GOAL_TARGETED_HOURS, f"< {GOAL_TARGETED_HOURS} h"),
    }
    return {
        name: {"value": value, "goal": goal, "pass": value is not None and bool(test(value))}
        for name, (value, test, goal) in checks.items()
    }


def format_table(result: dict[str, Any]) -> str:
    truth = result["campaign_by_kind"]
    rows = [
        f"{result['articles']} articles, campaign {sum(truth.values())} "
        f"({', '.join(f'{k} {n}' for k, n in truth.items())}); search hits {result['search_hits']},"
        f" tag listing {result['tag_listing']}, monthly sitemaps {result['monthly_sitemaps']}",
    ]
    if not result["targeted_available"]:
        rows.append("targeted: not run (this code base's spiders take no -a discovery=)")
    header = f"{'':<34}" + "".join(f"{mode:>14}" for mode in result["modes"])
    rows.append(header)
    for label, get in _ROWS:
        rows.append(f"{label:<34}" + "".join(f"{get(m):>14}" for m in result["modes"].values()))
    if "pace_check" in result:
        check = result["pace_check"]
        rows.append(
            f"pace check, targeted at the default politeness: {check['requests']} requests in"
            f" {check['wall_seconds']} s ({check['seconds_per_request']} s each, start and end included),"
            f" model {check['predicted_seconds']} s"
        )
    for name, goal in result["goals"].items():
        rows.append(f"{'PASS' if goal['pass'] else 'FAIL'}  {name}: {goal['value']} (goal {goal['goal']})")
    return "\n".join(rows)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _hours(key: str, latency: float) -> Any:
    return lambda m: m[key]["hours"][f"latency_{latency}s"]


def _kind_recall(kind: str) -> Any:
    return lambda m: f"{m['recall_by_kind'][kind]['found']}/{m['recall_by_kind'][kind]['of']}"


_ROWS: list[tuple[str, Any]] = [
    ("recall, campaign", lambda m: _pct(m["recall"])),
    ("recall, with any evidence", lambda m: _pct(m["recall_with_evidence"])),
    *[(f"recall, {kind}", _kind_recall(kind)) for kind in EVIDENCE_KINDS],
    ("stored (not campaign)", lambda m: f"{m['stored']} ({m['stored_not_campaign']})"),
    ("requests", lambda m: m["requests"]["total"]),
    ("  discovery pages", lambda m: m["requests"]["discovery"]),
    ("  articles (campaign)", lambda m: f"{m['requests']['article']} ({m['requests']['article_campaign']})"),
    ("requests per stored", lambda m: m["requests_per_stored"]),
    ("article requests per stored", lambda m: m["article_requests_per_stored"]),
    ("skipped, no evidence", lambda m: m["discovery_stats"].get("skipped_no_evidence", "-")),
    ("wall s (CPU s)", lambda m: f"{m['wall_seconds']} ({m['cpu_seconds']})"),
    ("real portal: requests", lambda m: m["real_portal"]["requests"]),
    ("real portal: hours at defaults", _hours("real_portal", LATENCY_SECONDS)),
    (f"  same, {SLOW_LATENCY_SECONDS} s latency", _hours("real_portal", SLOW_LATENCY_SECONDS)),
    ("  same, campaign at generated share", _hours("real_portal_at_generated_share", LATENCY_SECONDS)),
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.discovery", description=__doc__)
    parser.add_argument("--articles", type=int, default=20_000, help="articles of the generated portal (20,000)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", type=Path, help="results file (default bench/results/<UTC date>-discovery.json)")
    parser.add_argument(
        "--check-pace",
        action="store_true",
        help="also crawl in targeted mode at the default politeness and compare its time with the model",
    )
    parser.add_argument("-s", dest="settings", action="append", default=[], help="extra Scrapy setting NAME=VALUE")
    args = parser.parse_args(argv)
    counts = PortalShape(articles=max(args.articles, 1)).campaign_counts()
    if not all(counts.values()):
        parser.error(f"--articles {args.articles}: too few for a campaign article of every evidence kind ({counts})")
    started = datetime.now(UTC)
    extra = (arg for setting in args.settings for arg in ("-s", setting))
    result = run(args.articles, args.seed, *extra, check_pace=args.check_pace)
    result["date"] = started.isoformat(timespec="seconds")
    print(format_table(result))
    output = args.json or ROOT / "bench" / "results" / f"{started:%Y-%m-%d}-discovery.json"
    write_json(output, result)
    print(f"results: {output}")
    return 1 if result["goals_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
