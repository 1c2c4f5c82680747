"""Start points per portal, read from ``seeds/<portal>.toml`` (data a user edits).

Keys: ``rss``, ``sitemaps``, ``listings`` (lists of URLs on the live portal),
``search`` (a URL template with ``{keyword}``) and ``archive`` (sites or URL prefixes
to look up in the web archive with ``-a source=archive``). A malformed file is reported with
the file and line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from dvk_crawl.config import SeedsPath
from dvk_crawl.keywords import SeedFileError

_LIST_KEYS = ("rss", "sitemaps", "listings", "archive")
_KNOWN_KEYS = {*_LIST_KEYS, "search", "sites"}


@dataclass(frozen=True)
class PortalSeeds:
    rss: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    search: str | None = None
    sites: dict[str, str] = field(default_factory=dict)
    archive: tuple[str, ...] = ()


def load_seeds(seeds_dir: SeedsPath, portal_id: str) -> PortalSeeds:
    path = seeds_dir / f"{portal_id}.toml"
    if seeds_dir.exists() and not seeds_dir.is_dir():
        raise SeedFileError(f"{seeds_dir}: not a folder (setting DVK_SEEDS_DIR)")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise SeedFileError(f"{path}: seeds file not found (setting DVK_SEEDS_DIR)") from None
    except UnicodeDecodeError as error:
        raise SeedFileError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:  # a folder where the file should be, no permission
        raise SeedFileError(f"{path}: cannot read the seeds file: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib says "(at line 2, column 5)" or "(at end of document)": keep its words.
        raise SeedFileError(f"{path}: not valid TOML: {error}") from None
    for key, value in data.items():
        line = _line_of(text, key)
        if key not in _KNOWN_KEYS:
            raise SeedFileError(f"{path}:{line}: unknown key {key!r}; known: {', '.join(sorted(_KNOWN_KEYS))}")
        _check_value(path, line, key, value)
    return PortalSeeds(
        **{key: tuple(data.get(key, ())) for key in _LIST_KEYS},
        search=data.get("search"),
        sites=dict(data.get("sites", {})),
    )


def _check_value(path: SeedsPath, line: int, key: str, value: object) -> None:
    if key in _LIST_KEYS:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.startswith("http") for v in value):
            raise SeedFileError(f"{path}:{line}: {key} must be a list of http(s) URLs")
    elif key == "search":
        if not isinstance(value, str) or "{keyword}" not in value:
            raise SeedFileError(f"{path}:{line}: search must be a URL template containing {{keyword}}")
    elif key == "sites" and not (
        isinstance(value, dict) and all(isinstance(v, str) and v.startswith("http") for v in value.values())
    ):
        raise SeedFileError(f"{path}:{line}: sites must map names to http(s) URLs")


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith((f"{key} ", f"{key}=", f"[{key}]")):
            return number
    return 1
