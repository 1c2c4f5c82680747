"""Portals: each declared once as data (``seeds/portals/<id>.toml``) on a CMS family of :mod:`dvk_crawl.families`."""

from dvk_crawl.portals.portal import Portal
from dvk_crawl.portals.registry import (
    PORTALS,
    UnknownPortalError,
    get_portal,
    load_portal,
    load_portals,
    portal_for_url,
    use_seeds_dir,
)

__all__ = [
    "PORTALS",
    "Portal",
    "UnknownPortalError",
    "get_portal",
    "load_portal",
    "load_portals",
    "portal_for_url",
    "use_seeds_dir",
]
