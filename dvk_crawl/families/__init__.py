"""CMS families: the parsers, URL rule and listing markup that portals on one platform share.

A portal's file (``seeds/portals/<id>.toml``) names its family (``family = "bao_cms"``)
and the family's parameters (a ``[family_options]`` table); the family gives the portal
everything that is code. A family registers itself by declaring a :class:`Family` in its
module and listing that module in :func:`_register_bundled` below (a family in another
package calls :func:`register_family` when imported). Its URL rule is a function whose
keyword parameters are the family's options: those without a default are required in
every portal file of the family, any other key is an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from parsel import Selector

from dvk_crawl.dates import PublicationTime
from dvk_crawl.families.base import ArticleParser
from dvk_crawl.listing_pages import ListingMarkup


class UrlRule(Protocol):
    """An article URL rule: the article key of a canonical URL (None: no article), and the canonical URL."""

    def article_key(self, url: str) -> str | None: ...

    def canonicalize(self, url: str) -> str: ...


@dataclass(frozen=True)
class FixedUrlRule:
    """A URL rule without parameters: two module-level functions."""

    key_of: Callable[[str], str | None]
    canonical_of: Callable[[str], str]

    def article_key(self, url: str) -> str | None:
        return self.key_of(url)

    def canonicalize(self, url: str) -> str:
        return self.canonical_of(url)


@dataclass(frozen=True)
class Family:
    """What a CMS family gives each of its portals."""

    name: str
    parsers: tuple[type[ArticleParser], ...]
    """Layout parsers, tried in order (the first whose ``matches`` accepts the page)."""
    url_rule: Callable[..., UrlRule]
    """Called with the portal's ``[family_options]`` as keyword arguments."""
    listing_markup: ListingMarkup = field(default_factory=ListingMarkup)
    listing_date: Callable[[Selector], PublicationTime | None] | None = None
    """How a listing item shows its date; None: the spider's generic reading."""

    def options(self) -> dict[str, bool]:
        """The family's option names, each with whether a portal file must give it."""
        parameters = inspect.signature(self.url_rule).parameters.values()
        return {p.name: p.default is inspect.Parameter.empty for p in parameters}

    def url_rule_for(self, options: dict[str, Any]) -> UrlRule:
        return self.url_rule(**options)


FAMILIES: dict[str, Family] = {}


class UnknownFamilyError(ValueError):
    """A portal file names a family nobody registered."""


def register_family(family: Family) -> Family:
    if family.name in FAMILIES and FAMILIES[family.name] is not family:
        raise ValueError(f"family {family.name!r} is registered twice")
    FAMILIES[family.name] = family
    return family


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise UnknownFamilyError(f"unknown family {name!r}; known: {', '.join(sorted(FAMILIES))}") from None


def _register_bundled() -> None:
    from dvk_crawl.families import bao_cms, baoyenbai, generic, liferay_3cms, provincial_paper, quangngai_gov

    for module in (bao_cms, liferay_3cms, quangngai_gov, baoyenbai, provincial_paper, generic):
        register_family(module.FAMILY)


_register_bundled()

__all__ = ["FAMILIES", "Family", "FixedUrlRule", "UnknownFamilyError", "UrlRule", "get_family", "register_family"]
