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
  ``[sites]`` (sub-site name → base URL, chosen with ``-a sites=``);
- sub-sites (:mod:`dvk_crawl.sites`): ``site_url`` (the base URL of a name the
  table lacks, a template with ``{site}``) and ``default_sites`` (the names a crawl
  without ``sites=`` takes); a start point or archive prefix with ``{site}`` is used once
  per selected site;
- ``sources``: how the portal is reached, ``["live", "archive"]`` by default; ``["archive"]``
  for retired sites (the spider's default ``source`` is then ``archive``, ``live`` is refused).

The folder is ``DVK_SEEDS_DIR`` (default: the bundled ``seeds/``); its ``portals/*.toml``
are the whole set of portals. A malformed file is reported with the file and line, and so
is a file the crawl could not use: an id that is not ``^[a-z][a-z0-9_]*$``, a host another
file of the folder also declares (one exact host, one portal: a sub-domain of another file's
host is allowed, the closest host wins), a start point or sub-site off the portal's hosts
(Scrapy's offsite filter would drop it), or a portal reached live without any start point.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dvk_crawl.config import SeedsPath
from dvk_crawl.families import FAMILIES, Family, get_family
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.sites import SITE_PLACEHOLDER, SiteTable

PORTALS_FOLDER = "portals"
_LIST_KEYS = ("rss", "sitemaps", "listings", "evidence_listings", "archive")
_TEXT_KEYS = ("id", "name", "province", "former_province", "family", "language")
_REQUIRED_KEYS = ("id", "name", "province", "home", "hosts", "family")
_TABLE_KEYS = ("family_options", "former_province_markers", "sites")
_SITE_KEYS = ("site_url", "default_sites")
REACHED_THROUGH = ("live", "archive")
"""What a portal file's ``sources`` may name: the live sites, the web archive."""
_KNOWN_KEYS = {*_LIST_KEYS, *_TEXT_KEYS, *_REQUIRED_KEYS, *_TABLE_KEYS, *_SITE_KEYS, "search", "sources"}
_URL = re.compile(r"^https?://[^/\s?#]+[^\s]*$")
_START_POINT_KEYS = ("rss", "sitemaps", "listings", "evidence_listings", "search")
PORTAL_ID = re.compile(r"^[a-z][a-z0-9_]*$")
"""A portal id: the spider's name and the first part of every article id ``<id>:<key>``."""
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
    site_table: SiteTable = field(default_factory=SiteTable)
    """The sub-sites ``-a sites=`` chooses from: ``[sites]``, ``site_url``, ``default_sites``."""
    sources: tuple[str, ...] = REACHED_THROUGH
    """How the portal can be reached: ``("archive",)`` for retired sites (``-a source=live`` is refused)."""


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


def check_seeds_folder(seeds_dir: SeedsPath) -> list[str]:
    """The portal ids of a seeds folder that has some; else ``SeedFileError`` naming the folder
    and what it lacks (a folder that does not exist, one without ``portals/``: the easy mistake
    of naming ``…/seeds/portals`` itself, a ``portals/`` without portal files)."""
    folder = portals_dir(seeds_dir)
    named = f"setting DVK_SEEDS_DIR={seeds_dir}"
    if not seeds_dir.exists():
        raise SeedFileError(f"{named}: no such folder")
    if not folder.is_dir():
        hint = (
            f"; is {seeds_dir.parent} the seeds folder?"
            if seeds_dir.name == PORTALS_FOLDER
            else "; a seeds folder holds keywords.txt and portals/<id>.toml"
        )
        raise SeedFileError(f"{named}: the folder has no {PORTALS_FOLDER}/ folder of portal files (<id>.toml){hint}")
    ids = portal_ids(seeds_dir)
    if not ids:
        raise SeedFileError(f"{named}: {folder} holds no portal file (<id>.toml)")
    return ids


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
    if not PORTAL_ID.match(portal_id):  # "ninh:binh" would break the article id <portal>:<key>
        raise SeedFileError(
            f"{path}:1: portal id {portal_id!r} (the file's name) must match {PORTAL_ID.pattern}: lower-case"
            " letters, digits and _, as it names the spider and starts every article id <id>:<key>"
        )
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
    table = _site_table(path, text, data)
    _check_start_hosts(path, text, data)
    _check_live_start(path, data, table)
    _check_hosts_unshared(seeds_dir, path, text, data["hosts"])
    seeds = PortalSeeds(
        **{key: tuple(data.get(key, ())) for key in _LIST_KEYS},
        search=data.get("search"),
        sites=dict(table.sites),
        site_table=table,
        sources=tuple(data.get("sources", REACHED_THROUGH)),
    )
    return PortalFile(path, data, family, seeds)


def _site_table(path: SeedsPath, text: str, data: dict[str, Any]) -> SiteTable:
    """The file's sub-sites; a ``default_sites`` name the table lacks, or a ``{site}`` template
    without any sub-site, is an error naming the line."""
    sites = dict(data.get("sites", {}))
    default = data.get("default_sites")
    unknown = [name for name in default or () if name not in sites]
    if unknown:
        line = _line_of(text, "default_sites")
        raise SeedFileError(f"{path}:{line}: default_sites names {', '.join(unknown)}, which [sites] lacks")
    table = SiteTable(
        sites=sites,
        url_template=data.get("site_url"),
        default=tuple(default) if default is not None else None,
        foreign_hosts=tuple(data.get("family_options", {}).get("other_platforms", ())),
    )
    templated = [key for key in _LIST_KEYS if any(SITE_PLACEHOLDER in url for url in data.get(key, ()))]
    if templated and not table:
        line = _line_of(text, templated[0])
        raise SeedFileError(f"{path}:{line}: {templated[0]} uses {SITE_PLACEHOLDER} but the file declares no sites")
    return table


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
    elif key == "site_url":
        if not _is_url(value) or SITE_PLACEHOLDER not in str(value):
            raise SeedFileError(f"{path}:{line}: site_url must be a URL template containing {SITE_PLACEHOLDER}")
    elif key == "sources":
        if not isinstance(value, list) or not value or not set(value) <= set(REACHED_THROUGH):
            raise SeedFileError(f"{path}:{line}: sources must be a list of {' and '.join(REACHED_THROUGH)}")
    elif key == "default_sites":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SeedFileError(f"{path}:{line}: default_sites must be a list of site names")
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


def _check_start_hosts(path: SeedsPath, text: str, data: dict[str, Any]) -> None:
    """Every start point and sub-site is on the portal's hosts (or a sub-domain of one): Scrapy's
    offsite filter drops any other request, and the run would end incomplete for a reason
    that names no file. ``{site}`` stands for any sub-site label."""
    hosts: list[str] = data["hosts"]
    named: list[tuple[str, str, str]] = [  # (what, URL, key of its line)
        *((key, url, key) for key in (*_LIST_KEYS, "search") if key != "archive" for url in _urls(data.get(key))),
        *((f"sites {name}", url, name) for name, url in data.get("sites", {}).items()),
        *(("site_url", url, "site_url") for url in _urls(data.get("site_url"))),
    ]
    for what, url, key in named:
        host = (urlsplit(url.replace(SITE_PLACEHOLDER, "site").replace("{keyword}", "k")).hostname or "").lower()
        if not any(host == owned or host.endswith(f".{owned}") for owned in hosts):
            raise SeedFileError(
                f"{path}:{_line_of(text, key)}: {what} {url} is on {host}, not on the portal's hosts"
                f" ({', '.join(hosts)}): Scrapy's offsite filter would drop it. Add the host to hosts,"
                " or move the start point to the file of the portal that owns it"
            )


def _urls(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _check_live_start(path: SeedsPath, data: dict[str, Any], table: SiteTable) -> None:
    """A portal reached live starts somewhere: a start point, or a sub-site (its ``/sitemap.xml``)."""
    if "live" not in data.get("sources", REACHED_THROUGH) or table.sites or table.url_template:
        return
    if not any(data.get(key) for key in _START_POINT_KEYS):
        raise SeedFileError(
            f"{path}:1: no start point: a portal reached live needs rss, sitemaps, listings,"
            ' evidence_listings, search or [sites]; one reached only through the web archive says sources = ["archive"]'
        )


def _check_hosts_unshared(seeds_dir: SeedsPath, path: SeedsPath, text: str, hosts: list[str]) -> None:
    """One exact host, one portal file: two files owning a host would store its articles under two
    ids, the second marking the first's records as its copies. A sub-domain of another file's
    host is allowed (``ubmttqvn.quangtri.gov.vn`` inside ``quangtri.gov.vn``: the closest wins).
    A sibling file that does not read is left to its own load, which names it."""
    for other_id in portal_ids(seeds_dir):
        other = portals_dir(seeds_dir) / f"{other_id}.toml"
        if other.name == path.name:
            continue
        try:
            other_text = other.read_text(encoding="utf-8")
            other_hosts = tomllib.loads(other_text).get("hosts")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        shared = [host for host in hosts if isinstance(other_hosts, list) and host in other_hosts]
        if shared:
            raise SeedFileError(
                f"{path}:{_line_of(text, 'hosts')}: host {shared[0]} is also a host of"
                f" {other}:{_line_of(other_text, 'hosts')}; a host belongs to one portal file"
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
