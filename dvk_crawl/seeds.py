"""Portal files: one ``seeds/portals/<id>.toml`` per portal (data a user edits).

A portal file declares the portal and its start points. Keys:

- ``id`` (the file's name), ``name``, ``province``, ``former_province`` (a whole portal
  of a merged province: baoyenbai), ``home`` (URL), ``hosts`` (domains; sub-domains
  belong to the portal too), ``family`` (a CMS family of :mod:`dvk_crawl.families`),
  ``language`` (default ``vi``);
- start points, by kind: ``rss``, ``sitemaps``, ``listings``, ``evidence_listings`` (lists
  of URLs on the live portal), ``search`` (a URL template with ``{keyword}``) and
  ``archive`` (sites or URL prefixes to look up in the web archive with ``-a source=archive``).
  ``search`` and ``evidence_listings`` (campaign tag, topic or category pages) are
  *evidence*: every article they list is about the campaign. ``rss``, ``sitemaps`` and
  ``listings`` (whole news categories) are *coverage*: targeted discovery fetches what
  they list only with a keyword in the slug or the text beside the link (docs/discovery.md);
- tables: ``[family_options]`` (the family's parameters, e.g. liferay_3cms's
  ``domain``), ``[former_province_markers]`` (former province → place names) and
  ``[sites]`` (sub-site name → base URL, chosen with ``-a sites=``).

The folder is ``DVK_SEEDS_DIR`` (default: the bundled ``seeds/``); its ``portals/*.toml``
are the whole set of portals. A malformed file is reported with the file and line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from dvk_crawl.config import SeedsPath
from dvk_crawl.families import FAMILIES, Family, get_family
from dvk_crawl.keywords import SeedFileError

PORTALS_FOLDER = "portals"
_LIST_KEYS = ("rss", "sitemaps", "listings", "evidence_listings", "archive")
_TEXT_KEYS = ("id", "name", "province", "former_province", "family", "language")
_REQUIRED_KEYS = ("id", "name", "province", "home", "hosts", "family")
_TABLE_KEYS = ("family_options", "former_province_markers", "sites")
_KNOWN_KEYS = {*_LIST_KEYS, *_TEXT_KEYS, *_REQUIRED_KEYS, *_TABLE_KEYS, "search"}
_URL = re.compile(r"^https?://[^/\s?#]+[^\s]*$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


@dataclass(frozen=True)
class PortalSeeds:
    rss: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    """Coverage listings: whole news categories."""
    evidence_listings: tuple[str, ...] = ()
    """Campaign tag, topic or category listings: every article on them is about the campaign."""
    search: str | None = None
    sites: dict[str, str] = field(default_factory=dict)
    archive: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortalFile:
    """A checked portal file: what :mod:`dvk_crawl.portals.registry` makes a ``Portal`` of."""

    path: SeedsPath
    data: dict[str, Any]
    family: Family
    seeds: PortalSeeds


def portals_dir(seeds_dir: SeedsPath) -> SeedsPath:
    if seeds_dir.exists() and not seeds_dir.is_dir():
        raise SeedFileError(f"{seeds_dir}: not a folder (setting DVK_SEEDS_DIR)")
    return seeds_dir / PORTALS_FOLDER


def portal_ids(seeds_dir: SeedsPath) -> list[str]:
    """The ids of the portal files in the folder, without reading them (none for an unusable folder)."""
    try:
        folder = portals_dir(seeds_dir)
        names = [path.name for path in folder.iterdir()] if folder.is_dir() else []
    except (SeedFileError, OSError):
        return []
    return sorted(name.removesuffix(".toml") for name in names if name.endswith(".toml") and not name.startswith("."))


def load_portal_file(seeds_dir: SeedsPath, portal_id: str) -> PortalFile:
    path = portals_dir(seeds_dir) / f"{portal_id}.toml"
    text, data = _read(path)
    for key, value in data.items():
        line = _line_of(text, key)
        if key not in _KNOWN_KEYS:
            raise SeedFileError(f"{path}:{line}: unknown key {key!r}; known: {', '.join(sorted(_KNOWN_KEYS))}")
        _check_value(path, line, key, value)
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        raise SeedFileError(f"{path}:1: missing key(s) {', '.join(missing)}")
    if data["id"] != portal_id:
        raise SeedFileError(f"{path}:{_line_of(text, 'id')}: id {data['id']!r} is not the file's name {portal_id!r}")
    _check_kinds_apart(path, text, data)
    family = get_family(data["family"])
    _check_family_options(path, text, family, data.get("family_options", {}))
    try:  # an option the family rejects (generic's article_url that is no regular expression)
        family.url_rule_for(data.get("family_options", {}))
    except ValueError as error:
        raise SeedFileError(f"{path}:{_line_of(text, 'family_options')}: {error}") from None
    seeds = PortalSeeds(
        **{key: tuple(data.get(key, ())) for key in _LIST_KEYS},
        search=data.get("search"),
        sites=dict(data.get("sites", {})),
    )
    return PortalFile(path, data, family, seeds)


def load_seeds(seeds_dir: SeedsPath, portal_id: str) -> PortalSeeds:
    """The start points of a portal file (the whole file is checked)."""
    return load_portal_file(seeds_dir, portal_id).seeds


def _read(path: SeedsPath) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError:
        raise SeedFileError(f"{path}: portal file not found (setting DVK_SEEDS_DIR)") from None
    except UnicodeDecodeError as error:
        raise SeedFileError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:  # a folder where the file should be, no permission
        raise SeedFileError(f"{path}: cannot read the portal file: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib says "(at line 2, column 5)" or "(at end of document)": keep its words.
        raise SeedFileError(f"{path}: not valid TOML: {error}") from None


def _is_url(value: object) -> bool:
    return isinstance(value, str) and bool(_URL.match(value))


def _is_texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _check_value(path: SeedsPath, line: int, key: str, value: object) -> None:
    if key in _LIST_KEYS:
        if not isinstance(value, list) or not all(_is_url(v) for v in value):
            raise SeedFileError(f"{path}:{line}: {key} must be a list of http(s) URLs")
    elif key == "search":
        if not _is_url(value) or "{keyword}" not in str(value):
            raise SeedFileError(f"{path}:{line}: search must be a URL template containing {{keyword}}")
    elif key in _TEXT_KEYS:
        if not isinstance(value, str) or not value.strip():
            raise SeedFileError(f"{path}:{line}: {key} must be a non-empty text")
        if key == "family" and value not in FAMILIES:
            raise SeedFileError(f"{path}:{line}: unknown family {value!r}; known: {', '.join(sorted(FAMILIES))}")
    elif key == "home":
        if not _is_url(value):
            raise SeedFileError(f"{path}:{line}: home must be an http(s) URL")
    elif key == "hosts":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and _HOST.match(v) for v in value):
            raise SeedFileError(f"{path}:{line}: hosts must be a list of lower-case host names (baohatinh.vn)")
    elif key == "sites":
        if not (isinstance(value, dict) and all(_is_url(v) for v in value.values())):
            raise SeedFileError(f"{path}:{line}: sites must map names to http(s) URLs")
    elif key == "former_province_markers":
        if not (isinstance(value, dict) and all(_is_texts(v) and v for v in value.values())):
            raise SeedFileError(f"{path}:{line}: former_province_markers must map provinces to lists of place names")
    elif key == "family_options" and not isinstance(value, dict):
        raise SeedFileError(f"{path}:{line}: family_options must be a table")


def _check_kinds_apart(path: SeedsPath, text: str, data: dict[str, Any]) -> None:
    """A listing is evidence or coverage, not both: which one would targeted discovery trust?"""
    both = sorted(set(data.get("listings", ())) & set(data.get("evidence_listings", ())))
    if both:
        raise SeedFileError(
            f"{path}:{_line_of(text, 'evidence_listings')}: {both[0]} is in both listings (coverage)"
            " and evidence_listings; keep it in one"
        )


def _check_family_options(path: SeedsPath, text: str, family: Family, options: dict[str, Any]) -> None:
    accepted = family.options()
    for name, value in options.items():
        line = _line_of(text, name)
        if name not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise SeedFileError(f"{path}:{line}: family {family.name} takes no option {name!r}; it takes: {known}")
        if not (isinstance(value, str) and value.strip()) and not (isinstance(value, list) and _is_texts(value)):
            raise SeedFileError(f"{path}:{line}: family option {name} must be a text or a list of texts")
    missing = [name for name, required in accepted.items() if required and name not in options]
    if missing:
        line = _line_of(text, "family_options") if options else _line_of(text, "family")
        raise SeedFileError(f"{path}:{line}: family {family.name} needs [family_options] {', '.join(missing)}")


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith((f"{key} ", f"{key}=", f"[{key}]", f'"{key}" ', f'"{key}"=')):
            return number
    return 1
