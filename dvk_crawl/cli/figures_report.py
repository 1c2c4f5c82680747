"""The campaign figures section of the HTML report: reported models per locality over time.

A locality's total is what its articles report ("toàn huyện đã xây dựng 421 mô hình"),
not a sum: two articles of one month reporting 400 and 421 mean 421. Per locality and
month the report shows the largest total reported (the breakdowns per field and the
new models are not totals), as a chart and a table, and the largest figures of any
kind with links to their articles. Bars carry ``data-locality``/``data-month``/
``data-count`` like the report's other charts, for the browser test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from dvk_crawl.cli.figures import figures_of
from dvk_crawl.cli.svg import PALETTE, axis, legend, rotated_label, value_grid

LOCALITIES_SHOWN = 8  # the chart's series: the localities with the largest totals
LARGEST_SHOWN = 10


@dataclass(frozen=True)
class ReportedFigure:
    article_id: str
    url: str
    title: str
    published_at: str | None
    locality: str | None
    count: int
    qualifier: str
    unit: str
    what: str

    @property
    def month(self) -> str:
        return (self.published_at or "")[:7]

    @property
    def is_total(self) -> bool:
        """A count of all the locality's models, not of one field's or of the new ones."""
        return self.unit == "mô hình" and "lĩnh vực" not in self.what and not self.what.endswith("mới")


def collect_figures(records: Iterable[dict[str, Any]]) -> list[ReportedFigure]:
    """Every figure with a count, with its article."""
    return [
        ReportedFigure(
            record["id"],
            record["url"],
            record.get("title") or "",
            record.get("published_at"),
            figure.get("locality"),
            figure["count"],
            figure["qualifier"],
            figure["unit"],
            figure["what"],
        )
        for record in records
        for figure in figures_of(record)
        if figure.get("count") is not None
    ]


def locality_totals(figures: list[ReportedFigure]) -> dict[tuple[str, str], ReportedFigure]:
    """(locality, month) → the largest total of models its articles of that month report."""
    totals: dict[tuple[str, str], ReportedFigure] = {}
    for figure in figures:
        if figure.is_total and figure.locality and figure.month:
            key = (figure.locality, figure.month)
            if key not in totals or figure.count > totals[key].count:
                totals[key] = figure
    return totals


def figures_section(figures: list[ReportedFigure]) -> str:
    totals = locality_totals(figures)
    return "\n".join(
        [
            "<h2>Campaign figures: reported models per locality</h2>",
            "<p>The largest total of models (mô hình) each locality's articles report in a month,"
            " read from the stored text (<code>dvk-crawl figures</code>, docs/figures.md)."
            " Totals as reported, not sums.</p>",
            totals_chart(totals),
            totals_table(totals),
            "<h2>Largest figures</h2>",
            largest_table(figures),
        ]
    )


def totals_chart(totals: dict[tuple[str, str], ReportedFigure]) -> str:
    """Grouped bars: one group per month, one bar per locality reporting that month."""
    if not totals:
        return '<p class="empty" id="models-per-locality-empty">No figures of models in the store.</p>'
    localities = _largest_localities(totals)
    shown = {key: figure for key, figure in totals.items() if key[0] in localities}
    months = sorted({month for _, month in shown})
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(localities)}
    top, step = axis(max(f.count for f in shown.values()))
    left, upper, lower, plot_h, bar_w = 52, 12, 58, 220, 14.0
    group_w = bar_w * max(len({loc for loc, m in shown if m == month}) for month in months) + 10
    width, height = left + 16 + group_w * len(months), upper + plot_h + lower
    scale = plot_h / top
    out = [
        f'<svg id="models-per-locality" class="chart" width="{width:.0f}" height="{height}"'
        f' viewBox="0 0 {width:.0f} {height}" role="img" data-series="{len(localities)}">',
        "<title>Reported models per locality and month</title>",
    ]
    out += value_grid(left, width - 16, upper + plot_h, top, step, scale)
    for i, month in enumerate(months):
        x = left + i * group_w + 5
        for name in (loc for loc in localities if (loc, month) in shown):
            out.append(_bar(shown[(name, month)], x, upper + plot_h, bar_w, scale, colors[name]))
            x += bar_w
        out.append(rotated_label(left + i * group_w + group_w / 2, upper + plot_h + 8, month))
    out.append("</svg>")
    return legend([(name, colors[name]) for name in localities]) + "\n" + "\n".join(out)


def _largest_localities(totals: dict[tuple[str, str], ReportedFigure]) -> list[str]:
    largest: dict[str, int] = {}
    for (locality, _), figure in totals.items():
        largest[locality] = max(largest.get(locality, 0), figure.count)
    return sorted(largest, key=lambda name: (-largest[name], name))[:LOCALITIES_SHOWN]


def _bar(figure: ReportedFigure, x: float, base: float, bar_w: float, scale: float, color: str) -> str:
    h = figure.count * scale
    locality = escape(figure.locality or "")
    return (
        f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{color}"'
        f' data-locality="{locality}" data-month="{figure.month}" data-count="{figure.count}">'
        f"<title>{locality} {figure.month}: {figure.count} ({figure.qualifier})</title></rect>"
    )


def totals_table(totals: dict[tuple[str, str], ReportedFigure]) -> str:
    head = "<tr><th>locality</th><th>month</th><th>models</th><th>qualifier</th><th>article</th></tr>"
    rows = [
        f'<tr data-locality="{escape(locality)}" data-month="{month}"><td>{escape(locality)}</td><td>{month}</td>'
        f'<td class="n">{figure.count}</td><td>{figure.qualifier}</td><td>{_link(figure)}</td></tr>'
        for (locality, month), figure in sorted(totals.items())
    ]
    return f'<table id="models-per-locality-table">{head}{"".join(rows)}</table>' if rows else ""


def largest_table(figures: list[ReportedFigure]) -> str:
    if not figures:
        return '<p class="empty">No figures in the store.</p>'
    largest = sorted(figures, key=lambda f: (-f.count, f.article_id))[:LARGEST_SHOWN]
    head = "<tr><th>count</th><th>what</th><th>locality</th><th>published</th><th>article</th></tr>"
    rows = [
        f'<tr><td class="n">{f.count}</td><td>{escape(f.what)}</td><td>{escape(f.locality or "-")}</td>'
        f"<td>{escape((f.published_at or '-')[:10])}</td><td>{_link(f)}</td></tr>"
        for f in largest
    ]
    return f'<table id="largest-figures">{head}{"".join(rows)}</table>'


def _link(figure: ReportedFigure) -> str:
    return f'<a href="{escape(figure.url)}">{escape(figure.title or figure.article_id)}</a>'
