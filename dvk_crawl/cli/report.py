"""The HTML report of ``dvk-crawl stats --html``: one self-contained page.

Charts are inline SVG drawn here in Python: no CDN, no script, nothing fetched,
so the file opens anywhere (mail it, archive it). Every bar is an SVG ``rect``
carrying its data (``data-portal``/``data-month``/``data-count``,
``data-spider``/``data-run``/``data-reason``/``data-count``), which is also how the
browser test checks that the charts rendered with the store's numbers.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from html import escape

from dvk_crawl.cli.figures_report import ReportedFigure, figures_section
from dvk_crawl.cli.runs import RunInfo, stats_rows
from dvk_crawl.cli.svg import PALETTE, axis, legend, rotated_label, value_grid
from dvk_crawl.dates import FIRST_YEAR, LAST_YEAR
from dvk_crawl.store.base import PortalStats

_MONTH = re.compile(r"(?P<year>\d{4})-(?:0[1-9]|1[0-2])")
RUNS_PER_SPIDER = 20  # the runs chart shows each spider's newest runs

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; } th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
.legend span { display: inline-block; margin-right: 1.2em; }
.legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: -.05em; }
rect.bar:hover { opacity: .75; }
.empty { color: #777; font-style: italic; }
"""

# The only script: after layout, each chart records how many of its bars the
# browser actually drew with a size (data-drawn-bars). Charts do not need it.
_MEASURE = (
    "for(const s of document.querySelectorAll('svg.chart')){s.dataset.drawnBars=[...s.querySelectorAll('rect.bar')]"
    ".filter(r=>{const b=r.getBoundingClientRect();return b.width>0&&b.height>0}).length}"
)


def render_report(
    portals: list[PortalStats],
    runs: dict[str, list[RunInfo]],
    generated_at: str | None = None,
    figures: list[ReportedFigure] | None = None,
) -> str:
    """The page; ``figures`` (``figures_report.collect_figures``) adds the campaign figures section."""
    generated = generated_at or datetime.now(UTC).isoformat(timespec="seconds")
    rows = stats_rows(portals, runs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>dvk_crawl report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>dvk_crawl: what the store holds</h1>",
        f"<p>Generated {escape(generated)} by <code>dvk-crawl stats --html</code>.</p>",
        _table(rows),
        "<h2>Articles per month, by portal</h2>",
        f"<p>By publication month; articles without a date (or dated outside {FIRST_YEAR}–{LAST_YEAR})"
        " are not in the chart.</p>",
        months_chart(portals),
        "<h2>Dropped pages by reason, per run</h2>",
        f"<p>Each spider's newest {RUNS_PER_SPIDER} runs, from the store's run history.</p>",
        runs_chart(runs),
        figures_section(figures) if figures is not None else "",
        f"<script>{_MEASURE}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _table(rows: list[dict[str, object]]) -> str:
    head = (
        "<tr><th>portal</th><th>articles</th><th>relevant</th><th>duplicates</th><th>undated</th>"
        "<th>first published</th><th>last published</th><th>last run</th></tr>"
    )
    body = []
    for row in rows:
        run = row["last_run"]
        outcome = (
            "-"
            if not isinstance(run, dict)
            else f"{run['finish_reason']} {_when(str(run['finished_at']))}:"
            f" stored {run['stored']}, dropped {run['dropped']}"
        )
        cells = [f"<td>{escape(str(row['portal']))}</td>"]
        cells += [f'<td class="n">{row[k]}</td>' for k in ("articles", "relevant", "duplicates", "undated")]
        cells += [f"<td>{escape(str(row[k] or '-'))}</td>" for k in ("first_published", "last_published")]
        cells.append(f"<td>{escape(outcome)}</td>")
        body.append(f'<tr data-portal="{escape(str(row["portal"]))}">{"".join(cells)}</tr>')
    if not body:
        body.append('<tr><td colspan="8" class="empty">no articles and no runs yet</td></tr>')
    return f'<table id="portals">{head}{"".join(body)}</table>'


def _when(iso: str) -> str:
    """``2026-02-01T00:10:00+00:00`` as ``2026-02-01 00:10 UTC`` (run files are in UTC)."""
    return f"{iso[:16].replace('T', ' ')} UTC" if iso else "?"


def chartable_month(month: str) -> bool:
    """A ``YYYY-MM`` of a plausible publication year.

    A tampered or foreign store may hold ``published_at`` values such as ``abcd-ef`` or
    ``9999-12-31``: charting them would loop forever or draw a 96,000-month axis.
    """
    match = _MONTH.fullmatch(month)
    return match is not None and FIRST_YEAR <= int(match["year"]) <= LAST_YEAR


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, gaps included (a gap is news too)."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def months_chart(portals: list[PortalStats]) -> str:
    """Stacked bars: one per month, one segment per portal."""
    counts = {(p.portal, month): n for p in portals for month, n in p.months.items() if chartable_month(month)}
    if not counts:
        return '<p class="empty" id="articles-per-month-empty">No dated articles in the store.</p>'
    months = month_range(min(m for _, m in counts), max(m for _, m in counts))
    names = list(dict.fromkeys(portal for portal, _ in counts))
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    totals = {month: sum(counts.get((name, month), 0) for name in names) for month in months}
    top, step = axis(max(totals.values()))
    left, right, upper, lower, plot_h = 44, 16, 12, 58, 220
    bar_w = max(6.0, min(36.0, 880 / len(months)))
    width = left + right + bar_w * len(months)
    height = upper + plot_h + lower
    scale = plot_h / top
    out = [
        f'<svg id="articles-per-month" class="chart" width="{width:.0f}"'
        f' height="{height}" viewBox="0 0 {width:.0f} {height}" role="img" data-total="{sum(totals.values())}">',
        "<title>Articles per month, by portal</title>",
    ]
    out += value_grid(left, width - right, upper + plot_h, top, step, scale)
    label_every = max(1, math.ceil(len(months) / 24))
    for i, month in enumerate(months):
        x = left + i * bar_w
        y: float = upper + plot_h
        for name in names:
            n = counts.get((name, month), 0)
            if not n:
                continue
            h = n * scale
            y -= h
            out.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}"'
                f' fill="{colors[name]}" data-portal="{escape(name)}" data-month="{month}" data-count="{n}">'
                f"<title>{escape(name)} {month}: {n}</title></rect>"
            )
        if i % label_every == 0:
            out.append(rotated_label(x + bar_w / 2, upper + plot_h + 8, month))
    out.append(
        f'<line x1="{left}" x2="{width - right:.0f}" y1="{upper + plot_h}" y2="{upper + plot_h}" stroke="#888"/>'
    )
    out.append("</svg>")
    return legend([(name, colors[name]) for name in names]) + "\n" + "\n".join(out)


def runs_chart(runs: dict[str, list[RunInfo]]) -> str:
    """Horizontal stacked bars: one per run, one segment per drop reason."""
    shown = [run for spider in sorted(runs) for run in runs[spider][-RUNS_PER_SPIDER:]]
    if not shown:
        return '<p class="empty" id="dropped-per-run-empty">No runs in this store yet: run a crawl (make demo).</p>'
    reasons = sorted({reason for run in shown for reason in run.dropped})
    colors = {reason: PALETTE[i % len(PALETTE)] for i, reason in enumerate(reasons)}
    top, step = axis(max(run.dropped_total for run in shown))
    left, right, upper, lower, row_h, plot_w = 250, 40, 10, 28, 22, 560
    width, height = left + plot_w + right, upper + row_h * len(shown) + lower
    scale = plot_w / top
    out = [
        f'<svg id="dropped-per-run" class="chart" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" role="img" data-runs="{len(shown)}">',
        "<title>Dropped pages by reason, per run</title>",
    ]
    for value in range(0, top + 1, step):
        x = left + value * scale
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{upper}" y2="{height - lower}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{x:.1f}" y="{height - lower + 14}" text-anchor="middle">{value}</text>')
    for i, run in enumerate(shown):
        y = upper + i * row_h
        label = f"{run.spider} {run.started_at[:16].replace('T', ' ') or run.name} ({run.finish_reason})"
        out.append(f'<text x="{left - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        x = float(left)
        for reason in reasons:
            n = run.dropped.get(reason, 0)
            if not n:
                continue
            w = n * scale
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}"'
                f' fill="{colors[reason]}" data-spider="{escape(run.spider)}" data-run="{escape(run.name)}"'
                f' data-reason="{escape(reason)}" data-count="{n}">'
                f"<title>{escape(run.spider)} {escape(run.name)}: {escape(reason)} {n}</title></rect>"
            )
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + row_h / 2 + 4:.1f}">{run.dropped_total}</text>')
    out.append("</svg>")
    return legend([(reason, colors[reason]) for reason in reasons]) + "\n" + "\n".join(out)
