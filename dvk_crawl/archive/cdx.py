"""The Wayback Machine's CDX API: query URLs per portal site, and its JSON answers.

One query lists the captures of every URL under a prefix (``url=<host>/*``), only those
archived with status 200 (``filter=statuscode:200``), identical consecutive captures of a
URL collapsed (``collapse=digest``), between ``from`` and ``to`` (14-digit UTC
timestamps). A long answer comes in pages: with ``limit`` and ``showResumeKey=true`` the
JSON ends with an empty row and ``[<resume key>]``; the next page is the same query with
``resumeKey=<key>``::

    [["timestamp", "original", ...], ["20231015021500", "https://…", ...], ..., [], ["<key>"]]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

FIELDS = ("timestamp", "original", "mimetype", "statuscode", "digest")
"""The CDX fields asked for (``fl=``), in answer order."""


class CdxError(ValueError):
    """An answer that is not a CDX JSON listing."""


@dataclass(frozen=True)
class CdxQuery:
    """The captures under one URL prefix, between two moments (``until`` exclusive)."""

    base_url: str
    target: str
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000

    def url(self, resume_key: str | None = None) -> str:
        """The CDX request for the first page, or for the page after ``resume_key``."""
        params = [
            ("url", self.target),
            ("output", "json"),
            ("fl", ",".join(FIELDS)),
            ("filter", "statuscode:200"),
            ("collapse", "digest"),
        ]
        if self.since is not None:
            params.append(("from", wayback_timestamp(self.since)))
        if self.until is not None:
            # ``to`` is inclusive to the second; ``until`` is the first moment outside.
            params.append(("to", wayback_timestamp(self.until - timedelta(seconds=1))))
        params += [("limit", str(self.limit)), ("showResumeKey", "true")]
        if resume_key:
            params.append(("resumeKey", resume_key))
        return f"{self.base_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def cdx_target(url: str) -> str:
    """The CDX ``url`` parameter for a site or prefix: ``https://trieuphong.quangtri.gov.vn`` →
    ``trieuphong.quangtri.gov.vn/*``; ``https://quangngai.gov.vn/web/minhlong/`` →
    ``quangngai.gov.vn/web/minhlong/*``."""
    parts = urlsplit(url.strip())
    return f"{parts.netloc.lower()}{parts.path or '/'}*"


def wayback_timestamp(moment: datetime) -> str:
    """``YYYYMMDDhhmmss`` in UTC, as the archive stamps its captures."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class CdxPage:
    rows: list[dict[str, str]]
    resume_key: str | None


def parse_cdx_page(body: bytes | str) -> CdxPage:
    """Rows of a JSON CDX answer as ``{field: value}``, and its resume key if more follow.

    An empty listing is ``[]`` (or an empty body); the first row names the fields.
    """
    if not body.strip():  # the archive answers some empty listings with nothing at all
        return CdxPage([], None)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise CdxError(f"not JSON: {error}") from None
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise CdxError("not a CDX listing (a JSON list of rows)")
    if not data:
        return CdxPage([], None)
    header, rows = [str(name) for name in data[0]], data[1:]
    resume_key = None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume_key, rows = str(rows[-1][0]), rows[:-2]
    if any(len(row) != len(header) for row in rows):
        raise CdxError(f"a row does not have the {len(header)} fields {header}")
    return CdxPage([dict(zip(header, map(str, row), strict=True)) for row in rows], resume_key)
