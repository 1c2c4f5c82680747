"""Drawing helpers shared by the HTML report's charts: inline SVG, no script, nothing fetched."""

from __future__ import annotations

import math
from html import escape

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def axis(value: int, ticks: int = 4) -> tuple[int, int]:
    """A round axis top at or above ``value`` and a whole-number step (1, 2, 5 × 10^k)."""
    rough = max(1.0, value / ticks)
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(int(m * magnitude) for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return max(step, math.ceil(value / step) * step), step


def legend(entries: list[tuple[str, str]]) -> str:
    items = "".join(f'<span><i style="background:{color}"></i>{escape(name)}</span>' for name, color in entries)
    return f'<p class="legend">{items}</p>'


def rotated_label(x: float, y: float, text: str) -> str:
    """An axis label under a bar, turned so that long labels do not overlap."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" transform="rotate(-60 {x:.1f} {y:.1f})">{escape(text)}</text>'
    )


def value_grid(left: float, right_edge: float, base: float, top: int, step: int, scale: float) -> list[str]:
    """The horizontal lines and labels of a vertical value axis, from ``base`` up to ``top``."""
    out = []
    for value in range(0, top + 1, step):
        y = base - value * scale
        out.append(f'<line x1="{left}" x2="{right_edge:.0f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    return out
