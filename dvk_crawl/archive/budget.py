"""The archives a crawl can read, and the request budget each keeps: one download slot per budget.

A web archive rations its endpoints separately: the Wayback Machine's CDX API allows 30
requests a minute per address (its staff ask for 24), while replaying captures has a
larger budget of its own (about 600 a minute); Common Crawl's index server blocks clients
after a few hundred fast requests, while its WARC files are served by a CDN. So each
budget is a download slot of its own in Scrapy's ``DOWNLOAD_SLOTS`` (a request names its
slot in ``meta["download_slot"]``), paced at ``60 / <per minute>`` seconds between two
requests, with no random jitter (the pace is a ceiling the archive asks for) and left
alone by AutoThrottle. A 429 in one budget pauses that budget only
(:mod:`dvk_crawl.downloadermiddlewares.archive_backoff`).
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from dvk_crawl.config import setting

WAYBACK, COMMONCRAWL = "wayback", "commoncrawl"
ARCHIVES = (WAYBACK, COMMONCRAWL)
DEFAULT_ARCHIVES = (WAYBACK, COMMONCRAWL)
"""``-a archives=`` when not given: both, the Wayback Machine preferred (the archive portals.md names for
these sites' district-era pages), Common Crawl for what it lacks."""


@dataclass(frozen=True)
class Budget:
    slot: str
    archive: str
    rate_setting: str
    """The ``DVK_*_PER_MINUTE`` setting of its pace."""


WAYBACK_CDX = Budget("dvk-wayback-cdx", WAYBACK, "DVK_WAYBACK_CDX_PER_MINUTE")
WAYBACK_CAPTURES = Budget("dvk-wayback-captures", WAYBACK, "DVK_WAYBACK_CAPTURES_PER_MINUTE")
COMMONCRAWL_INDEX = Budget("dvk-commoncrawl-index", COMMONCRAWL, "DVK_COMMONCRAWL_INDEX_PER_MINUTE")
COMMONCRAWL_DATA = Budget("dvk-commoncrawl-data", COMMONCRAWL, "DVK_COMMONCRAWL_DATA_PER_MINUTE")
BUDGETS = {b.slot: b for b in (WAYBACK_CDX, WAYBACK_CAPTURES, COMMONCRAWL_INDEX, COMMONCRAWL_DATA)}


def parse_archives(value: str | None) -> tuple[str, ...]:
    """``-a archives=wayback,commoncrawl``: the archives in order of preference; ValueError names a bad one."""
    if value is None:
        return DEFAULT_ARCHIVES
    names = [name.strip().lower() for name in str(value).split(",") if name.strip()]
    unknown = [name for name in names if name not in ARCHIVES]
    if unknown or not names:
        raise ValueError(
            f"archives={value}: unknown archive(s) {', '.join(unknown) or '(none)'}; use {','.join(ARCHIVES)}"
        )
    return tuple(dict.fromkeys(names))


def budget_delay(settings: BaseSettings, budget: Budget) -> float:
    """Seconds between two requests of the budget: ``60 / per minute`` (0 per minute: no pace),
    at least ``DVK_ARCHIVE_DELAY``."""
    per_minute = float(setting(settings, budget.rate_setting))
    paced = 60.0 / per_minute if per_minute > 0 else 0.0
    return max(paced, float(setting(settings, "DVK_ARCHIVE_DELAY")))


def add_budget_slots(settings: BaseSettings) -> None:
    """Declare every budget's download slot in ``DOWNLOAD_SLOTS`` (an entry the user set wins)."""
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    for budget in BUDGETS.values():
        slots.setdefault(
            budget.slot,
            {
                "concurrency": setting(settings, "DVK_ARCHIVE_CONCURRENCY"),
                "delay": budget_delay(settings, budget),
                "jitter": 0,  # the delay is a ceiling the archive asks for, not a disguise
            },
        )
    priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["spider"])
    settings.set("DOWNLOAD_SLOTS", slots, priority=priority)


def budget_meta(budget: Budget) -> dict[str, object]:
    """The request meta that puts a request in the budget's slot (``dvk_archive``: the archive's name)."""
    return {"download_slot": budget.slot, "autothrottle_dont_adjust_delay": True, "dvk_archive": budget.archive}
