"""Inline SVG charts for the insight report: no script, no font or file from anywhere else.

A suppressed figure (``None``: fewer than ``min_count`` conversations) is drawn as a gap in a line,
a hatched bar or cell, and its label says "fewer than N".
"""

from __future__ import annotations

import html
from collections.abc import Sequence

PALETTE = ("#3b6ea8", "#c0504d", "#4f9a5a", "#8064a2", "#d68a1f", "#2f9aa7", "#7f7f7f", "#b5487f")
HATCH = (
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern></defs>'
)


def _esc(text: object) -> str:
    return html.escape(str(text))


def fewer(min_count: int) -> str:
    return f"fewer than {min_count}"


def bars(rows: Sequence[tuple[str, int | None]], min_count: int, width: int = 360) -> str:
    """Horizontal bars, one per row (label, value); a suppressed value is a short hatched bar."""
    if not rows:
        return "<p><em>Nothing to show.</em></p>"
    top = max((v for _, v in rows if v), default=1) or 1
    height = 22 * len(rows) + 10
    parts = [f'<svg role="img" width="{width + 330}" height="{height}">{HATCH}']
    for i, (label, value) in enumerate(rows):
        y = 5 + 22 * i
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{_esc(label[:40])}</text>')
        if value is None:
            parts.append(f'<rect x="260" y="{y}" width="24" height="16" fill="url(#hatch)"/>')
            parts.append(f'<text x="290" y="{y + 13}" font-size="11">{fewer(min_count)}</text>')
            continue
        length = max(1.0, value / top * width)
        parts.append(f'<rect x="260" y="{y}" width="{length:.0f}" height="16" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{265 + length:.0f}" y="{y + 13}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def lines(
    weeks: Sequence[str], series: dict[str, list[int | None]], labels: dict[str, str], min_count: int
) -> str:
    """Trend lines week by week, one per need; a suppressed week breaks the line."""
    if not weeks or not series:
        return "<p><em>No weeks to show yet.</em></p>"
    width, height, left, bottom = 700, 240, 40, 30
    top = max((v for values in series.values() for v in values if v), default=1) or 1
    step = (width - left - 10) / max(1, len(weeks) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: int) -> float:
        return height - bottom - v / top * (height - bottom - 10)

    parts = [f'<svg role="img" width="{width + 260}" height="{height}">']
    parts.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>'
    )
    parts.append(
        f'<text x="0" y="15" font-size="11">{top}</text><text x="0" y="{height - bottom}" font-size="11">0</text>'
    )
    for i in sorted({0, len(weeks) // 2, len(weeks) - 1}):
        parts.append(f'<text x="{x(i) - 30:.0f}" y="{height - 8}" font-size="11">{_esc(weeks[i])}</text>')
    for k, (need, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        run: list[str] = []
        for i, v in enumerate([*values, None]):
            if v is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
                    )
                elif run:
                    cx, cy = run[0].split(",")
                    parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{colour}"/>')
                run = []
            else:
                run.append(f"{x(i):.1f},{y(v):.1f}")
        parts.append(f'<rect x="{width + 10}" y="{10 + 18 * k}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{width + 28}" y="{21 + 18 * k}" font-size="12">{_esc(labels.get(need, need)[:32])}</text>'
        )
    parts.append(
        f'<text x="{width + 10}" y="{30 + 18 * len(series)}" font-size="11">gaps: {fewer(min_count)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def heat_map(
    rows: Sequence[str], columns: Sequence[str], cells: dict[tuple[str, str], int | None], labels: dict[str, str],
    min_count: int,
) -> str:  # fmt: skip
    """Places down, needs across; darker is more conversations; hatched is fewer than min_count."""
    if not rows or not columns:
        return "<p><em>Nothing to show yet.</em></p>"
    cell, left, head = 34, 240, 150
    top = max((v for v in cells.values() if v), default=1) or 1
    width, height = (
        left + cell * len(columns) + 130,
        head + cell * len(rows) + 10,
    )  # room for the slanted labels
    parts = [f'<svg role="img" width="{width}" height="{height}">{HATCH}']
    for j, need in enumerate(columns):
        cx = left + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({cx + 4:.0f},{head - 6}) rotate(-55)" font-size="11">'
            f"{_esc(labels.get(need, need)[:24])}</text>"
        )
    for i, place in enumerate(rows):
        y = head + i * cell
        parts.append(f'<text x="0" y="{y + cell / 2 + 4:.0f}" font-size="12">{_esc(place[:36])}</text>')
        for j, need in enumerate(columns):
            x = left + j * cell
            value = cells.get((place, need), 0)
            if value is None:
                fill, text = "url(#hatch)", "&lt;" + str(min_count)
            else:
                shade = int(235 - 180 * (value / top))
                fill, text = f"rgb({shade},{shade + 10 if shade < 245 else 245},255)", str(value)
            parts.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}"/>')
            colour = "#fff" if value and value / top > 0.6 else "#222"
            parts.append(
                f'<text x="{x + 3}" y="{y + cell / 2 + 4:.0f}" font-size="10" fill="{colour}">{text}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
