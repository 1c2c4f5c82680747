"""Portals: parsers per CMS family and the registry that declares each portal."""

from dvk_crawl.portals.base import ArticleParser, ParsedPage, Portal
from dvk_crawl.portals.registry import PORTALS, UnknownPortalError, get_portal, portal_for_url

__all__ = [
    "PORTALS",
    "ArticleParser",
    "ParsedPage",
    "Portal",
    "UnknownPortalError",
    "get_portal",
    "portal_for_url",
]
