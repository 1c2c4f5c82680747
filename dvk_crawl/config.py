"""Every ``DVK_*`` setting: its type, default and meaning, in one place.

Components read their settings through :func:`setting`, so a default lives here
only. :func:`validate_settings` rejects unknown ``DVK_`` names and values of the
wrong type before a crawl starts, so a typo is an error instead of silence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SettingSpec:
    default: Any
    kind: str  # "str", "int", "float", "bool", "list"
    help: str


SETTINGS: dict[str, SettingSpec] = {
    "DVK_STORE_URL": SettingSpec("sqlite:///data/dvk.sqlite", "str", "Where articles are stored: sqlite:///<path>."),
    "DVK_STORE_BATCH_SIZE": SettingSpec(20, "int", "Articles written per store transaction."),
    "DVK_SEEDS_DIR": SettingSpec(
        str(PROJECT_DIR / "seeds"), "str", "Folder with keywords.txt and <portal>.toml start points."
    ),
    "DVK_KEYWORDS_FILE": SettingSpec("", "str", "Campaign keywords, one per line (default: <seeds>/keywords.txt)."),
    "DVK_LANGUAGES": SettingSpec(["vi"], "list", "Languages kept (langdetect codes); empty keeps all."),
    "DVK_STORE_IRRELEVANT": SettingSpec(
        False, "bool", "Store articles that match no campaign keyword too (with relevant=false)."
    ),
    "DVK_MIN_BODY_CHARS": SettingSpec(200, "int", "Bodies shorter than this are dropped as too short."),
    "DVK_MAX_LISTING_PAGES": SettingSpec(50, "int", "Pages followed per listing or search before paging stops."),
    "DVK_NEARDUP_THRESHOLD": SettingSpec(
        0.8, "float", "Estimated Jaccard similarity (5-syllable shingles) from which an article is a near duplicate."
    ),
    "DVK_RUNS_DIR": SettingSpec("data/runs", "str", "Run files go to <dir>/<spider>/<UTC timestamp>.json."),
    "DVK_PROGRESS_INTERVAL": SettingSpec(
        10.0, "float", "Seconds between progress lines (items/s, stored, dropped) during a crawl; 0 turns them off."
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
