"""Sub-sites of a multi-site portal, chosen with ``-a sites=``: which names mean which base URLs.

A portal file may declare its sub-sites (Quảng Trị's 3CMS sites, Quảng Ngãi's member
portals)::

    site_url = "https://{site}.quangtri.gov.vn"     # any other name: tried under this template
    default_sites = ["www", "trieuphong"]           # what a crawl without sites= takes
    [sites]
    www = "https://www.quangtri.gov.vn"
    hailang = "https://hailang.quangtri.gov.vn"     # inferred

``sites=`` takes names of the table, ``all`` (every one of them: the province's own site
is an entry of the table, ``www``, like any other), or a name the table lacks: with
``site_url``, a well-formed sub-domain label (RFC 1123: letters, digits and inner hyphens,
at most 63) is tried under the template and the log says so; a malformed one is an error.
Every name is checked, beside ``all`` too. Without ``sites=``, ``default_sites`` (when the
file has it) or the whole table; an empty ``default_sites`` selects no sub-site: the file's
start points are used as they stand (Quảng Ngãi's province and member portal listings).

A selected site's start points carry its name (``meta["dvk_site"]``): a site whose every
start point failed is named in the run's outcome (:mod:`dvk_crawl.extensions.runreport`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ALL = "all"
SITE_PLACEHOLDER = "{site}"
# RFC 1123 host label: 1–63 letters, digits and hyphens, no hyphen at either end.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class SiteSelectionError(ValueError):
    """A ``sites=`` value naming no usable site; the message names it."""


@dataclass(frozen=True)
class SiteTable:
    """A portal file's sub-sites: the ``[sites]`` table, ``site_url`` and ``default_sites``."""

    sites: dict[str, str] = field(default_factory=dict)
    url_template: str | None = None
    """``https://{site}.quangtri.gov.vn``: the base URL of a name the table lacks; None: such a name is an error."""
    default: tuple[str, ...] | None = None
    """The names a crawl without ``sites=`` takes; None: all of the table."""
    foreign_hosts: tuple[str, ...] = ()
    """Hosts under the portal's domain on another platform (``ubmttqvn.quangtri.gov.vn``): never a site."""

    def __bool__(self) -> bool:
        return bool(self.sites or self.url_template)


@dataclass(frozen=True)
class SiteSelection:
    """The sites a crawl takes (name → base URL) and the names tried under the template."""

    sites: dict[str, str]
    guessed: tuple[str, ...] = ()


def select_sites(table: SiteTable, requested: str | None, portal_id: str = "<portal>") -> SiteSelection:
    """The sites named in ``requested`` (comma-separated; ``all``; empty: the default)."""
    names = [name.strip().lower() for name in (requested or "").split(",") if name.strip()]
    if not names:
        default = table.default if table.default is not None else tuple(table.sites)
        return SiteSelection({name: table.sites[name] for name in default})
    # ``all`` is every listed site; the other names are checked all the same.
    chosen: dict[str, str] = dict(table.sites) if ALL in names else {}
    guessed: list[str] = []
    for name in dict.fromkeys(names):
        if name == ALL:
            continue
        if name in table.sites:
            chosen[name] = table.sites[name]
            continue
        chosen[name] = guess_site(table, name, requested or "", portal_id)
        guessed.append(name)
    return SiteSelection(chosen, tuple(guessed))


def guess_site(table: SiteTable, name: str, requested: str, portal_id: str) -> str:
    """The base URL of a name the table lacks, or ``SiteSelectionError`` saying why there is none."""
    known = ", ".join(table.sites) or f"none (add a [sites] table to seeds/portals/{portal_id}.toml)"
    if table.url_template is None:
        raise SiteSelectionError(f"sites={requested}: unknown site(s) {name}; known sites: {known}")
    if not _LABEL.match(name):
        raise SiteSelectionError(
            f"sites={requested}: {name!r} is no sub-domain name (letters, digits and inner hyphens,"
            f" at most 63); known sites: {known}, or all"
        )
    base = table.url_template.replace(SITE_PLACEHOLDER, name)
    if urlsplit(base).hostname in table.foreign_hosts:
        raise SiteSelectionError(
            f"sites={requested}: {urlsplit(base).hostname} runs another platform and is no site of"
            f" seeds/portals/{portal_id}.toml"
        )
    return base


def without_templates(urls: tuple[str, ...]) -> tuple[str, ...]:
    """The URLs that name no ``{site}``: the start points of a crawl without a site selection."""
    return tuple(url for url in urls if SITE_PLACEHOLDER not in url)


def site_urls(urls: tuple[str, ...], site: dict[str, str]) -> list[str]:
    """One site's (``{name: base}``) URLs among ``urls``: those on its host and those written with ``{site}``.

    A site whose host is not named after it (the province's own site in ``[sites]``:
    ``www = "https://quangngai.gov.vn"``) takes a ``{site}`` URL on its own host
    (``https://{site}.quangngai.gov.vn/tin-tuc`` → ``https://quangngai.gov.vn/tin-tuc``), and no
    URL that puts the name in the path (``/web/{site}/``: its Liferay name is another)."""
    ((name, base),) = site.items()
    host = urlsplit(base).hostname or ""
    plain = [url for url in urls if SITE_PLACEHOLDER not in url and urlsplit(url).hostname == host]
    templated = [_site_url(url, name, base) for url in urls if SITE_PLACEHOLDER in url]
    return list(dict.fromkeys([*plain, *filter(None, templated)]))


def _site_url(url: str, name: str, base: str) -> str | None:
    """``url`` (with ``{site}``) for the site ``name`` at ``base``; None when it does not apply."""
    expanded = url.replace(SITE_PLACEHOLDER, name)
    base_parts = urlsplit(base)
    if (base_parts.hostname or "").split(".")[0] == name:
        return expanded
    if SITE_PLACEHOLDER in urlsplit(url).path or SITE_PLACEHOLDER in urlsplit(url).query:
        return None
    return urlsplit(expanded)._replace(scheme=base_parts.scheme, netloc=base_parts.netloc).geturl()


def site_search(search: str | None, site: dict[str, str]) -> str | None:
    """The portal's site search (``…?q={keyword}``) when it is on this site's host, else None:
    a crawl of the province's own site (``sites=www``, ``all``) needs it as much as one without
    ``sites=`` (what only the search finds is otherwise missed)."""
    ((_, base),) = site.items()
    if search and urlsplit(search).hostname == urlsplit(base).hostname:
        return search
    return None
