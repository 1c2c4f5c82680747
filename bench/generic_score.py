"""How well the ``generic`` family reads the project's fixtures, beside each portal's own parser.

Every case of ``tests/fixtures/<portal>/<case>/`` (the page, ``expected.json``,
``snippets.json``) goes through ``extract_article`` twice: with the portal's own family
parser and with ``family="generic"``. Reported per portal and in total, for each side:

* recall: share of the must-survive sentences (``must_contain``) found in the text;
* leaks: share of the noise lines (``must_not_contain``) found in the text;
* per field of the record (title, lead, published_at …): share of the cases whose
  ``expected.json`` names the field and whose record has exactly that value.

Offline and a few seconds: ``python -m bench.generic_score [--markdown FILE] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, write_json
from dvk_crawl.extract import extract_article
from dvk_crawl.replica.server import SITES_DIR

FIXTURES = ROOT / "tests" / "fixtures"
SIDES = ("family", "generic")
# The parser's own fields, in the table's column order. What the portal declaration sets
# (id, province, site), what later stages derive (language, relevance) and the parser's
# name (which differs by design) are not scored.
FIELD_ORDER = (
    "title",
    "lead",
    "text",
    "published_at",
    "published_at_precision",
    "updated_at",
    "authors",
    "tags",
    "section",
    "images",
    "attachments",
    "view_count",
)


@dataclass(frozen=True)
class Case:
    portal: str
    name: str
    html: bytes
    url: str
    fetched_at: str
    expected: dict[str, Any]
    snippets: dict[str, list[str]]


def load_cases(fixtures: Path = FIXTURES) -> list[Case]:
    """The fixture cases, read the way ``tests/conftest.py`` reads them (pages may live in the replicas)."""
    cases = []
    for case_dir in sorted(fixtures.glob("*/*/")):
        if not (case_dir / "meta.json").is_file():
            continue
        meta = _read(case_dir / "meta.json")
        snippets = _read(case_dir / "snippets.json") if (case_dir / "snippets.json").is_file() else {}
        page = SITES_DIR / case_dir.parent.name / meta["page"]
        if not page.is_file():
            page = case_dir / meta["page"]
        expected = _read(case_dir / "expected.json")
        cases.append(
            Case(
                case_dir.parent.name,
                case_dir.name,
                page.read_bytes(),
                meta["url"],
                meta["fetched_at"],
                expected,
                snippets,
            )
        )
    return cases


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def score_case(case: Case, family: str | None) -> dict[str, Any]:
    """Kept sentences, leaked noise lines and matching fields of one case on one side."""
    record = extract_article(case.html, case.url, case.portal, fetched_at=case.fetched_at, family=family).to_dict()
    text = record["text"]
    must, noise = case.snippets.get("must_contain", []), case.snippets.get("must_not_contain", [])
    fields = {name: record.get(name) == value for name, value in case.expected.items() if name in FIELD_ORDER}
    return {
        "kept": sum(s in text for s in must),
        "sentences": len(must),
        "leaked": sum(s in text for s in noise),
        "noise": len(noise),
        "fields": fields,
        "parser": record["parser"],
    }


def summarise(scores: Iterable[dict[str, Any]]) -> dict[str, Any]:
    scores = list(scores)
    sentences, noise = sum(s["sentences"] for s in scores), sum(s["noise"] for s in scores)
    fields: dict[str, list[bool]] = {}
    for score in scores:
        for name, ok in score["fields"].items():
            fields.setdefault(name, []).append(ok)
    return {
        "cases": len(scores),
        "recall": sum(s["kept"] for s in scores) / sentences if sentences else None,
        "leaks": sum(s["leaked"] for s in scores) / noise if noise else None,
        "fields": {name: sum(oks) / len(oks) for name, oks in sorted(fields.items())},
    }


def run(fixtures: Path = FIXTURES) -> dict[str, Any]:
    cases = load_cases(fixtures)
    per_case = {
        f"{c.portal}/{c.name}": {side: score_case(c, None if side == "family" else side) for side in SIDES}
        for c in cases
    }
    portals = sorted({c.portal for c in cases})
    groups = {p: [k for k in per_case if k.startswith(f"{p}/")] for p in portals} | {"total": list(per_case)}
    return {
        "cases": per_case,
        "summary": {
            group: {side: summarise(per_case[k][side] for k in keys) for side in SIDES}
            for group, keys in groups.items()
        },
    }


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def format_table(result: dict[str, Any]) -> str:
    """One row per portal and the total; each measure as ``family / generic``."""
    summary = result["summary"]
    found = {name for group in summary.values() for side in group.values() for name in side["fields"]}
    names = [n for n in FIELD_ORDER if n in found]
    header = ["portal", "cases", "recall", "leaks", *names]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group, sides in summary.items():
        family, generic = sides["family"], sides["generic"]
        cells = [
            f"**{group}**" if group == "total" else group,
            str(family["cases"]),
            f"{_share(family['recall'])} / {_share(generic['recall'])}",
            f"{_share(family['leaks'])} / {_share(generic['leaks'])}",
            *(f"{_share(family['fields'].get(n))} / {_share(generic['fields'].get(n))}" for n in names),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.generic_score", description=__doc__)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--json", type=Path, help="also write every case's scores to this file")
    args = parser.parse_args(argv)
    result = run()
    table = format_table(result)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
