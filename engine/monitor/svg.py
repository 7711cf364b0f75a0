"""Inline SVG charts that read without colour: every bar carries its label and number in text,
and the two series of a paired chart differ by pattern (hatched T0, solid T1) and legend."""
from __future__ import annotations

import itertools

from markupsafe import Markup, escape

WIDTH = 480
LABEL_H, BAR_H, GAP = 20, 18, 10
_ids = itertools.count(1)


MAX_LABEL = 50  # characters that fit the chart's width at its font size; the table beside it has the full label


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def bar_chart(title: str, rows: list[tuple[str, float | None, str]], maximum: float) -> Markup:
    """Horizontal bars: each row its label on a line, then the bar with its value in text.
    `rows`: (label, value or None when suppressed, the value as text)."""
    uid = f"c{next(_ids)}"
    height = len(rows) * (LABEL_H + BAR_H + GAP) + 4
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{uid}t" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="{uid}t">{escape(title)}</title>']
    y = 0
    span = WIDTH - 130
    for label, value, text in rows:
        parts.append(f'<text x="0" y="{y + 16}" class="lbl">{escape(_label(label))}</text>')
        top = y + LABEL_H
        if value is None:
            parts.append(f'<rect x="0" y="{top}" width="{span}" height="{BAR_H}" class="hidden-bar"/>'
                         f'<text x="6" y="{top + 14}" class="val">{escape(text)}</text>')
        else:
            w = 0 if maximum <= 0 else max(1.0, span * value / maximum) if value else 0
            parts.append(f'<rect x="0" y="{top}" width="{w:.1f}" height="{BAR_H}" class="bar"/>'
                         f'<text x="{w + 6:.1f}" y="{top + 14}" class="val">{escape(text)}</text>')
        y = top + BAR_H + GAP
    parts.append("</svg>")
    return Markup("".join(parts))


def paired_chart(title: str, rows: list[tuple[str, float | None, float | None, str]], maximum: float,
                 first: str = "T0", second: str = "T1") -> Markup:
    """Two bars per row (hatched `first`, solid `second`), each with its value in text."""
    uid = f"c{next(_ids)}"
    row_h = LABEL_H + 2 * BAR_H + 2 + GAP
    legend_h = 26
    height = legend_h + len(rows) * row_h + 4
    span = WIDTH - 130
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{uid}t" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="{uid}t">{escape(title)}</title>'
             f'<defs><pattern id="{uid}h" width="6" height="6" patternUnits="userSpaceOnUse" '
             f'patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
             f'<line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>'
             f'<rect x="0" y="4" width="22" height="14" fill="url(#{uid}h)" class="edge"/>'
             f'<text x="28" y="16" class="lbl">{escape(first)} (gearceerd)</text>'
             f'<rect x="170" y="4" width="22" height="14" class="bar"/>'
             f'<text x="198" y="16" class="lbl">{escape(second)} (vol)</text>']
    y = legend_h
    for label, a, b, hidden_text in rows:
        parts.append(f'<text x="0" y="{y + 16}" class="lbl">{escape(_label(label))}</text>')
        top = y + LABEL_H
        if a is None or b is None:
            parts.append(f'<rect x="0" y="{top}" width="{span}" height="{2 * BAR_H + 2}" class="hidden-bar"/>'
                         f'<text x="6" y="{top + 22}" class="val">{escape(hidden_text)}</text>')
        else:
            for offset, value, fill, name in ((0, a, f'fill="url(#{uid}h)" class="edge"', first),
                                              (BAR_H + 2, b, 'class="bar"', second)):
                w = max(1.0, span * value / maximum)
                parts.append(f'<rect x="0" y="{top + offset}" width="{w:.1f}" height="{BAR_H}" {fill}/>'
                             f'<text x="{w + 6:.1f}" y="{top + offset + 14}" class="val">{escape(name)} '
                             f'{_fmt(value, 1)}</text>')
        y += row_h
    parts.append("</svg>")
    return Markup("".join(parts))
