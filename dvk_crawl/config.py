"""Every ``DVK_*`` setting: its type, default and meaning, in one place.

Components read their settings through :func:`setting`, so a default lives here
only. :func:`validate_settings` rejects unknown ``DVK_`` names and values of the
wrong type before a crawl starts, so a typo is an error instead of silence.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from dvk_crawl.storeurl import store_kind

PROJECT_DIR = Path(__file__).resolve().parent.parent

SeedsPath = Path | zipfile.Path
"""A seeds folder or file: on disk, or inside the zipped egg Scrapyd runs."""


@dataclass(frozen=True)
class SettingSpec:
    default: Any
    kind: str  # "str", "int", "float", "bool", "list"
    help: str
    check: Callable[[str, Any], str | None] | None = None
    """Beyond the type: what is wrong with the converted value of setting ``name``, or None."""


def _at_least(minimum: int) -> Callable[[str, Any], str | None]:
    return lambda name, value: None if value >= minimum else f"setting {name}={value} must be at least {minimum}"


def _flush_wait(name: str, value: float) -> str | None:
    # The last batch of a crawl waits this long (its items hold the engine busy), so the crawl
    # cannot end sooner than that after its work is done: keep it to minutes, not hours.
    return (
        None
        if 0 <= value <= MAX_FLUSH_SECONDS
        else f"setting {name}={value} must be 0 to {MAX_FLUSH_SECONDS:g} seconds"
    )


MAX_FLUSH_SECONDS = 300.0


def _similarity(name: str, value: float) -> str | None:
    return None if 0 < value <= 1 else f"setting {name}={value} must be a similarity above 0 and at most 1"


def _languages(name: str, codes: list[str]) -> str | None:
    unknown = [code for code in codes if code not in language_codes()]
    if not unknown:
        return None
    return f"setting {name}: unknown language code(s) {', '.join(unknown)}; use langdetect codes such as vi, en"


def _store_url(name: str, url: str) -> str | None:
    try:
        store_kind(url)  # its message names the setting
    except ValueError as error:
        return str(error)
    return None


def _folder_or_nothing(name: str, path: str) -> str | None:
    there = Path(path)
    return f"setting {name}={path!r} is a file, not a folder" if there.exists() and not there.is_dir() else None


def _scheme_and_host(name: str, url: str) -> str | None:
    if re.match(r"^https?://[^/\s]+/?$", url):
        return None
    return f"setting {name}={url!r} must be a scheme and host, e.g. https://web.archive.org"


SETTINGS: dict[str, SettingSpec] = {
    "DVK_STORE_URL": SettingSpec(
        "sqlite:///data/dvk.sqlite",
        "str",
        "Where articles are stored: sqlite:///<path> or postgresql://host/database.",
        check=_store_url,
    ),
    "DVK_STORE_BATCH_SIZE": SettingSpec(20, "int", "Articles written per store transaction."),
    "DVK_STORE_FLUSH_SECONDS": SettingSpec(
        0.0,
        "float",
        "Seconds an article waits for its batch to fill before the batch is written anyway (0 to 300:"
        " the crawl's last batch waits this long before the crawl ends).",
        check=_flush_wait,
    ),
    "DVK_RETRY_AFTER_MAX": SettingSpec(60.0, "float", "Seconds a retry of a 503/429 waits for Retry-After, at most."),
    "DVK_SEEDS_DIR": SettingSpec(
        "",
        "str",
        "Folder with keywords.txt and <portal>.toml start points"
        " (default: the checkout's seeds/, or the copy installed with the package).",
    ),
    "DVK_KEYWORDS_FILE": SettingSpec("", "str", "Campaign keywords, one per line (default: <seeds>/keywords.txt)."),
    "DVK_LANGUAGES": SettingSpec(
        ["vi"], "list", "Languages kept (langdetect codes); empty keeps all.", check=_languages
    ),
    "DVK_STORE_IRRELEVANT": SettingSpec(
        False, "bool", "Store articles that match no campaign keyword too (with relevant=false)."
    ),
    "DVK_MIN_BODY_CHARS": SettingSpec(200, "int", "Bodies shorter than this are dropped as too short."),
    "DVK_VISIT_CONFIRM_HOURS": SettingSpec(
        0.0,
        "float",
        "Hours after its first sighting from which a later run's same finding makes a dropped page final"
        " (not fetched again).",
    ),
    "DVK_MAX_LISTING_PAGES": SettingSpec(50, "int", "Pages followed per listing or search before paging stops."),
    "DVK_SKIPPED_LINKS_LISTED": SettingSpec(
        5000,
        "int",
        "Article links left out by targeted discovery listed in the run file, per source (rss, sitemap, listing);"
        " all are counted.",
    ),
    "DVK_SITEMAP_MAX_DEPTH": SettingSpec(
        3, "int", "Sitemap indexes followed below a start point's sitemap; a deeper index is skipped."
    ),
    "DVK_SITEMAP_MAX_ENTRIES": SettingSpec(
        50_000, "int", "Entries read per sitemap or sitemap index (the sitemaps.org limit); the rest are skipped."
    ),
    "DVK_NEARDUP_THRESHOLD": SettingSpec(
        0.8,
        "float",
        "Estimated Jaccard similarity (5-syllable shingles) from which an article is a near duplicate.",
        check=_similarity,
    ),
    # The default is the default store's: dvk_crawl.storefiles sets the runs folder beside any other store.
    "DVK_RUNS_DIR": SettingSpec(
        "data/runs",
        "str",
        "Run files go to <dir>/<spider>/<UTC timestamp>.json (default: runs/ beside the store).",
        check=_folder_or_nothing,
    ),
    "DVK_PROGRESS_INTERVAL": SettingSpec(
        10.0, "float", "Seconds between progress lines (items/s, stored, dropped) during a crawl; 0 turns them off."
    ),
    "DVK_ARCHIVE_BASE_URL": SettingSpec(
        "https://web.archive.org",
        "str",
        "The web archive (CDX API and replay) that -a source=archive reads.",
        check=_scheme_and_host,
    ),
    "DVK_ARCHIVE_CONCURRENCY": SettingSpec(
        2, "int", "Requests at once to one budget of a web archive, at most.", check=_at_least(1)
    ),
    "DVK_ARCHIVE_DELAY": SettingSpec(
        0.0, "float", "Seconds between two requests of one archive budget, at least, whatever its per-minute rate."
    ),
    # The Wayback Machine (2026): 30 CDX requests a minute per address, shared with timemaps;
    # its staff ask for 80 % of that. Replays have their own, larger budget (about 600 a minute).
    "DVK_WAYBACK_CDX_PER_MINUTE": SettingSpec(
        24.0, "float", "Wayback Machine CDX requests a minute, at most (0: no limit, for a local fake)."
    ),
    "DVK_WAYBACK_CAPTURES_PER_MINUTE": SettingSpec(
        120.0, "float", "Wayback Machine capture replays a minute, at most (0: no limit, for a local fake)."
    ),
    "DVK_COMMONCRAWL_INDEX_URL": SettingSpec(
        "https://index.commoncrawl.org",
        "str",
        "Common Crawl's index server (collinfo.json and one CDX API per crawl).",
        check=_scheme_and_host,
    ),
    "DVK_COMMONCRAWL_DATA_URL": SettingSpec(
        "https://data.commoncrawl.org",
        "str",
        "Where Common Crawl's WARC files are fetched by byte range.",
        check=_scheme_and_host,
    ),
    # The index server blocks clients after a few hundred fast requests (cdx_toolkit's notes).
    "DVK_COMMONCRAWL_INDEX_PER_MINUTE": SettingSpec(
        20.0, "float", "Common Crawl index requests a minute, at most (0: no limit, for a local fake)."
    ),
    "DVK_COMMONCRAWL_DATA_PER_MINUTE": SettingSpec(
        60.0, "float", "Common Crawl WARC record fetches a minute, at most (0: no limit, for a local fake)."
    ),
    "DVK_COMMONCRAWL_MAX_CRAWLS": SettingSpec(
        6,
        "int",
        "Common Crawl crawls (CC-MAIN-YYYY-WW) asked per run, the newest in the since/until window first.",
        check=_at_least(1),
    ),
    "DVK_ARCHIVE_BACKOFF_SECONDS": SettingSpec(
        60.0,
        "float",
        "Seconds an archive budget pauses after a 429 or 503 without Retry-After (doubling while they go on).",
    ),
    "DVK_ARCHIVE_MAX_BACKOFFS": SettingSpec(
        3,
        "int",
        "Consecutive 429/503 answers in one budget after which that archive is stopped for the run.",
        check=_at_least(1),
    ),
    "DVK_ARCHIVE_PAGE_SIZE": SettingSpec(
        1000, "int", "Captures per CDX request (the listing is paged).", check=_at_least(1)
    ),
    "DVK_WARC_ENABLED": SettingSpec(
        True, "bool", "Keep every response the crawl receives in WARC files under <store data folder>/warc/<spider>/."
    ),
    "DVK_WARC_MAX_SIZE": SettingSpec(
        1_000_000_000,
        "int",
        "Bytes a WARC file grows to before the next one starts (<run>-NNNNN.warc.gz).",
        check=_at_least(1),
    ),
    "DVK_DISTRIBUTED": SettingSpec(
        False, "bool", "Share one crawl among several processes through Redis (REDIS_URL) and a PostgreSQL store."
    ),
    "DVK_REDIS_KEY_PREFIX": SettingSpec(
        "dvk", "str", "Prefix of a distributed crawl's Redis keys (<prefix>:<spider>:requests, …)."
    ),
}


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{value!r} is not a boolean (use 1/0, true/false)")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": _as_bool,
    "list": _as_list,
}


def setting(settings: BaseSettings, name: str) -> Any:
    """The value of a ``DVK_`` setting, converted to its type, or its default."""
    spec = SETTINGS[name]
    raw = settings.get(name, spec.default)
    return _CONVERTERS[spec.kind](raw)


def default_seeds_dir() -> SeedsPath:
    """The seeds used when ``DVK_SEEDS_DIR`` is not set.

    An installed wheel or a Scrapyd egg carries a copy of ``seeds/`` as
    ``dvk_crawl/seed_data/`` (made by setup.py at build time); a checkout has none and
    reads its own ``seeds/``, the folder users edit. Inside an egg the copy is in a zip
    file, read through importlib.resources, not as a path on disk.
    """
    packaged = files("dvk_crawl") / "seed_data"
    if isinstance(packaged, Path | zipfile.Path) and packaged.is_dir():
        return packaged
    return PROJECT_DIR / "seeds"


def seeds_dir(settings: BaseSettings) -> SeedsPath:
    """The folder of keywords.txt and the <portal>.toml start points (``DVK_SEEDS_DIR``)."""
    configured = setting(settings, "DVK_SEEDS_DIR")
    return Path(configured) if configured else default_seeds_dir()


def language_codes() -> frozenset[str]:
    """The codes langdetect has a profile for (``vi``, ``en``, ``zh-cn`` …): what DVK_LANGUAGES may name."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    return frozenset(path.name for path in Path(PROFILES_DIRECTORY).iterdir())


def validate_settings(settings: BaseSettings) -> None:
    """Raise ``ValueError`` naming the first unknown or malformed ``DVK_`` setting.

    ``scrapy crawl`` runs it before the crawl starts (one line, exit 2); the add-on
    :class:`SettingsCheck` runs it for every other way of starting a crawler."""
    for name in sorted(key for key in settings.attributes if key.startswith("DVK_")):
        if name not in SETTINGS:
            known = ", ".join(sorted(SETTINGS))
            raise ValueError(f"unknown setting {name}; known DVK_ settings: {known}")
        spec = SETTINGS[name]
        try:
            value = setting(settings, name)
        except (TypeError, ValueError) as error:
            raise ValueError(f"setting {name}: {error}") from None
        if spec.kind == "float" and not math.isfinite(value):  # inf seconds: a crawl that never ends
            raise ValueError(f"setting {name}={value} must be a finite number")
        if spec.kind in ("int", "float") and value < 0:
            raise ValueError(f"setting {name}={value} must not be negative")
        problem = spec.check(name, value) if spec.check else None
        if problem:
            raise ValueError(problem)


class SettingsCheck:
    """Add-on: every crawler checks its ``DVK_`` settings before it starts, also one started
    with ``CrawlerProcess`` or ``CrawlerRunner`` (Scrapyd, scripts, tests), not only by
    ``scrapy crawl``. First in ``ADDONS`` so that no other add-on reads a bad value."""

    def update_settings(self, settings: BaseSettings) -> None:
        validate_settings(settings)
