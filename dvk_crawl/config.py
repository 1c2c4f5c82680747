"""Every ``DVK_*`` setting: its type, default and meaning, in one place.

Components read their settings through :func:`setting`, so a default lives here
only. :func:`validate_settings` rejects unknown ``DVK_`` names and values of the
wrong type before a crawl starts, so a typo is an error instead of silence.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent

SeedsPath = Path | zipfile.Path
"""A seeds folder or file: on disk, or inside the zipped egg Scrapyd runs."""


@dataclass(frozen=True)
class SettingSpec:
    default: Any
    kind: str  # "str", "int", "float", "bool", "list"
    help: str


SETTINGS: dict[str, SettingSpec] = {
    "DVK_STORE_URL": SettingSpec(
        "sqlite:///data/dvk.sqlite", "str", "Where articles are stored: sqlite:///<path> or postgresql://host/database."
    ),
    "DVK_STORE_BATCH_SIZE": SettingSpec(20, "int", "Articles written per store transaction."),
    "DVK_STORE_FLUSH_SECONDS": SettingSpec(
        0.0, "float", "Seconds an article waits for its batch to fill before the batch is written anyway."
    ),
    "DVK_RETRY_AFTER_MAX": SettingSpec(60.0, "float", "Seconds a retry of a 503/429 waits for Retry-After, at most."),
    "DVK_SEEDS_DIR": SettingSpec(
        "",
        "str",
        "Folder with keywords.txt and <portal>.toml start points"
        " (default: the checkout's seeds/, or the copy installed with the package).",
    ),
    "DVK_KEYWORDS_FILE": SettingSpec("", "str", "Campaign keywords, one per line (default: <seeds>/keywords.txt)."),
    "DVK_LANGUAGES": SettingSpec(["vi"], "list", "Languages kept (langdetect codes); empty keeps all."),
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
    "DVK_SITEMAP_MAX_DEPTH": SettingSpec(
        3, "int", "Sitemap indexes followed below a start point's sitemap; a deeper index is skipped."
    ),
    "DVK_SITEMAP_MAX_ENTRIES": SettingSpec(
        50_000, "int", "Entries read per sitemap or sitemap index (the sitemaps.org limit); the rest are skipped."
    ),
    "DVK_NEARDUP_THRESHOLD": SettingSpec(
        0.8, "float", "Estimated Jaccard similarity (5-syllable shingles) from which an article is a near duplicate."
    ),
    # The default is the default store's: dvk_crawl.storefiles sets the runs folder beside any other store.
    "DVK_RUNS_DIR": SettingSpec(
        "data/runs", "str", "Run files go to <dir>/<spider>/<UTC timestamp>.json (default: runs/ beside the store)."
    ),
    "DVK_PROGRESS_INTERVAL": SettingSpec(
        10.0, "float", "Seconds between progress lines (items/s, stored, dropped) during a crawl; 0 turns them off."
    ),
    "DVK_ARCHIVE_BASE_URL": SettingSpec(
        "https://web.archive.org", "str", "The web archive (CDX API and replay) that -a source=archive reads."
    ),
    "DVK_ARCHIVE_CONCURRENCY": SettingSpec(2, "int", "Requests to the archive at once, at most."),
    "DVK_ARCHIVE_DELAY": SettingSpec(3.0, "float", "Seconds between two requests to the archive, at least."),
    "DVK_ARCHIVE_PAGE_SIZE": SettingSpec(1000, "int", "Captures per CDX request (the listing is paged)."),
    "DVK_WARC_ENABLED": SettingSpec(
        True, "bool", "Keep every response the crawl receives in WARC files under <store data folder>/warc/<spider>/."
    ),
    "DVK_WARC_MAX_SIZE": SettingSpec(
        1_000_000_000, "int", "Bytes a WARC file grows to before the next one starts (<run>-NNNNN.warc.gz)."
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


def _check_value(name: str, value: Any) -> None:
    """Checks of single settings beyond their type."""
    if name == "DVK_LANGUAGES":
        unknown = [code for code in value if code not in language_codes()]
        if unknown:
            raise ValueError(
                f"setting {name}: unknown language code(s) {', '.join(unknown)}; use langdetect codes such as vi, en"
            )
    elif name == "DVK_STORE_URL":
        from dvk_crawl.store import open_store  # the store package reads this module

        open_store(value)  # raises ValueError naming the setting
    elif name == "DVK_RUNS_DIR" and Path(value).exists() and not Path(value).is_dir():
        raise ValueError(f"setting {name}={value!r} is a file, not a folder")


def validate_settings(settings: BaseSettings) -> None:
    """Raise ``ValueError`` naming the first unknown or malformed ``DVK_`` setting."""
    for name in sorted(key for key in settings.attributes if key.startswith("DVK_")):
        if name not in SETTINGS:
            known = ", ".join(sorted(SETTINGS))
            raise ValueError(f"unknown setting {name}; known DVK_ settings: {known}")
        try:
            value = setting(settings, name)
        except (TypeError, ValueError) as error:
            raise ValueError(f"setting {name}: {error}") from None
        if SETTINGS[name].kind in ("int", "float") and value < 0:
            raise ValueError(f"setting {name}={value} must not be negative")
        if name == "DVK_NEARDUP_THRESHOLD" and not 0 < value <= 1:
            raise ValueError(f"setting {name}={value} must be a similarity above 0 and at most 1")
        _check_value(name, value)
        if name in ("DVK_ARCHIVE_CONCURRENCY", "DVK_ARCHIVE_PAGE_SIZE", "DVK_WARC_MAX_SIZE") and value < 1:
            raise ValueError(f"setting {name}={value} must be at least 1")
        if name == "DVK_ARCHIVE_BASE_URL" and not re.match(r"^https?://[^/\s]+/?$", value):
            raise ValueError(f"setting {name}={value!r} must be a scheme and host, e.g. https://web.archive.org")
