"""The portal registry: every portal declared once, with its parsers and URL rules.

Each portal module declares ``PORTALS`` (a tuple of :class:`Portal`) and is listed
in ``_PORTAL_MODULES``. Adding a portal also takes a seeds file, a spider, a replica
site and fixtures; ``tests/test_registry.py`` fails until all of them exist.
``FAMILIES`` names every family parser, ``generic`` included, for ``extract_article(family=...)``.
"""

from __future__ import annotations

from types import ModuleType
from urllib.parse import urlsplit

from dvk_crawl.portals import baohatinh, baolaocai, baoyenbai, quangngai, quangtri
from dvk_crawl.portals.base import ArticleParser, Portal
from dvk_crawl.portals.generic import GenericParser

_PORTAL_MODULES: tuple[ModuleType, ...] = (baohatinh, quangngai, baolaocai, baoyenbai, quangtri)

PORTALS: dict[str, Portal] = {portal.id: portal for module in _PORTAL_MODULES for portal in module.PORTALS}

_PARSERS: tuple[type[ArticleParser], ...] = (*(p for portal in PORTALS.values() for p in portal.parsers), GenericParser)
FAMILIES: dict[str, type[ArticleParser]] = {parser.NAME: parser for parser in _PARSERS}
"""Every CMS family parser by its ``NAME`` (``bao_cms``, ``liferay_3cms`` …, ``generic``)."""


class UnknownPortalError(ValueError):
    """No portal of the registry claims the host or name (or no family parser has the name)."""


def get_portal(portal_id: str) -> Portal:
    try:
        return PORTALS[portal_id]
    except KeyError:
        known = ", ".join(sorted(PORTALS))
        raise UnknownPortalError(f"unknown portal {portal_id!r}; known portals: {known}") from None


def get_family(name: str) -> type[ArticleParser]:
    """The parser of a CMS family, by name: ``extract_article(..., family="generic")``."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise UnknownPortalError(f"unknown family {name!r}; known families: {', '.join(sorted(FAMILIES))}") from None


def portal_for_url(url: str) -> Portal:
    """The portal whose domains include the URL's host."""
    host = urlsplit(url).hostname or ""
    for portal in PORTALS.values():
        if portal.owns_host(host):
            return portal
    raise UnknownPortalError(f"no portal serves host {host!r} ({url}); pass portal= to choose one")
