"""CMS families: the parsers, URL rule and listing markup that portals on one platform share.

A portal's file (``seeds/portals/<id>.toml``) names its family (``family = "bao_cms"``)
and the family's parameters (a ``[family_options]`` table); the family gives the portal
everything that is code. A family registers itself by declaring a :class:`Family` in its
module (see :mod:`dvk_crawl.families.family`) and listing that module in ``BUNDLED`` below (a family in another
package calls :func:`register_family` when imported). Its URL rule is a function whose
keyword parameters are the family's options: those without a default are required in
every portal file of the family, any other key is an error.
"""

from __future__ import annotations

from dvk_crawl.families import bao_cms, baoyenbai, generic, liferay_3cms, nukeviet, provincial_paper, quangngai_gov
from dvk_crawl.families.family import (
    FAMILIES,
    Family,
    FixedUrlRule,
    UnknownFamilyError,
    UrlRule,
    get_family,
    register_family,
)

BUNDLED = (bao_cms, liferay_3cms, quangngai_gov, baoyenbai, nukeviet, provincial_paper, generic)

for _module in BUNDLED:
    register_family(_module.FAMILY)

__all__ = ["FAMILIES", "Family", "FixedUrlRule", "UnknownFamilyError", "UrlRule", "get_family", "register_family"]
