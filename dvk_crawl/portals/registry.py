"""The portal registry: every portal declared once, as data, in ``seeds/portals/<id>.toml``.

A portal file names its CMS family (:mod:`dvk_crawl.families`); the family gives the
parsers, the URL rule (from the file's ``[family_options]``), the listing markup and the
listing date. :data:`PORTALS` holds the portals of the active seeds folder: the bundled
``seeds/`` at import, a user's ``DVK_SEEDS_DIR`` once a crawl's spider loader (or
:func:`use_seeds_dir`) has read it. A user's folder is the whole set: it replaces the
bundled portals, it does not add to them. ``tests/test_registry.py`` checks that every
bundled portal also has a replica site and fixtures.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from dvk_crawl.config import SeedsPath, default_seeds_dir
from dvk_crawl.keywords import SeedFileError
from dvk_crawl.portals.portal import Portal
from dvk_crawl.seeds import load_portal_file, portal_ids


class UnknownPortalError(ValueError):
    """No portal of the registry claims the host or name."""


def load_portal(seeds_dir: SeedsPath, portal_id: str) -> Portal:
    """The portal of ``<seeds_dir>/portals/<portal_id>.toml``; ``SeedFileError`` names file and line."""
    declared = load_portal_file(seeds_dir, portal_id)
    data, family = declared.data, declared.family
    rule = family.url_rule_for(data.get("family_options", {}))
    return Portal(
        id=data["id"],
        name=data["name"],
        province=data["province"],
        home=data["home"].rstrip("/"),
        domains=tuple(data["hosts"]),
        parsers=family.parsers,
        article_key=rule.article_key,
        canonicalize=rule.canonicalize,
        former_province=data.get("former_province"),
        former_province_markers=tuple(
            (province, tuple(places)) for province, places in data.get("former_province_markers", {}).items()
        ),
        language=data.get("language", "vi"),
        family=family.name,
        seeds=declared.seeds,
        listing_markup=family.listing_markup,
        listing_date=family.listing_date,
    )


def load_portals(seeds_dir: SeedsPath, *, skip_broken: bool = False) -> dict[str, Portal]:
    """Every portal file of the folder; with ``skip_broken`` a file that does not load is left
    out (the crawl of that portal reports it, with file and line, before it starts)."""
    portals = {}
    for portal_id in portal_ids(seeds_dir):
        try:
            portals[portal_id] = load_portal(seeds_dir, portal_id)
        except SeedFileError:
            if not skip_broken:
                raise
    return portals


@functools.cache
def _bundled() -> dict[str, Portal]:
    return load_portals(default_seeds_dir())


PORTALS: dict[str, Portal] = dict(_bundled())
"""The portals of the active seeds folder, by id (the same dict object for the whole process)."""


def use_seeds_dir(seeds_dir: SeedsPath) -> dict[str, Portal]:
    """Make the folder's portal files the registry (broken files left out); return them."""
    portals = _bundled() if seeds_dir == default_seeds_dir() else load_portals(seeds_dir, skip_broken=True)
    if portals != PORTALS:
        PORTALS.clear()
        PORTALS.update(portals)
    return PORTALS


def get_portal(portal_id: str) -> Portal:
    try:
        return PORTALS[portal_id]
    except KeyError:
        known = ", ".join(sorted(PORTALS))
        raise UnknownPortalError(f"unknown portal {portal_id!r}; known portals: {known}") from None


def portal_for_url(url: str) -> Portal:
    """The portal whose domains include the URL's host; of several, the one naming the host
    most closely: ``ubmttqvn.quangtri.gov.vn`` (NukeViet) is its own portal inside the
    domain ``quangtri.gov.vn`` of the 3CMS portal."""
    host = (urlsplit(url).hostname or "").lower()
    owners = [portal for portal in PORTALS.values() if portal.owns_host(host)]
    if not owners:
        raise UnknownPortalError(f"no portal serves host {host!r} ({url}); pass portal= to choose one")
    return max(owners, key=lambda portal: _closest_domain_length(portal, host))


def _closest_domain_length(portal: Portal, host: str) -> int:
    return max(len(d) for d in portal.domains if host == d or host.endswith("." + d))
