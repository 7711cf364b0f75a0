"""A radar chart of the nine life domains as inline SVG, drawn on the server (no script)."""
from __future__ import annotations

import math
from html import escape

from ..model import DOMAIN_IDS
from .labels import DOMAINS

WIDTH, HEIGHT = 640, 420  # wide: the labels left and right of the chart need room
CENTRE_X, CENTRE_Y = WIDTH / 2, HEIGHT / 2
RADIUS = 150
LEVELS = 5


def _point(index: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / len(DOMAIN_IDS)
    r = RADIUS * value / LEVELS
    return CENTRE_X + r * math.cos(angle), CENTRE_Y + r * math.sin(angle)


def _points(values: list[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (_point(i, v) for i, v in enumerate(values)))


def radar_svg(self_reliance: dict[str, int], satisfaction: dict[str, int] | None = None) -> str:
    """Self-reliance (solid) and, where given, satisfaction (dashed), 1-5 per domain; unscored domains sit at the centre."""
    satisfaction = {d: v for d, v in (satisfaction or {}).items() if v is not None}
    out = [f'<svg class="radar" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
           'aria-labelledby="radar-title radar-desc" xmlns="http://www.w3.org/2000/svg">',
           '<title id="radar-title">Leefgebieden: zelfredzaamheid' + (" en tevredenheid" if satisfaction else "") + "</title>"]
    described = "; ".join(
        f"{DOMAINS[d]}: zelfredzaamheid {self_reliance.get(d, 'niet ingevuld')}"
        + (f", tevredenheid {satisfaction[d]}" if d in satisfaction else "") for d in DOMAIN_IDS)
    out.append(f'<desc id="radar-desc">{escape(described)}</desc>')
    for level in range(1, LEVELS + 1):
        out.append(f'<polygon class="grid" points="{_points([level] * len(DOMAIN_IDS))}"/>')
    for index, domain in enumerate(DOMAIN_IDS):
        x, y = _point(index, LEVELS)
        out.append(f'<line class="axis" x1="{CENTRE_X}" y1="{CENTRE_Y}" x2="{x:.1f}" y2="{y:.1f}"/>')
        lx, ly = _point(index, LEVELS + 0.6)
        anchor = "middle" if abs(lx - CENTRE_X) < 20 else ("start" if lx > CENTRE_X else "end")
        mark = "" if domain in self_reliance else " (–)"
        out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" dominant-baseline="middle">'
                   f"{escape(DOMAINS[domain] + mark)}</text>")
    for level in range(1, LEVELS + 1):
        x, y = _point(0, level)
        out.append(f'<text class="tick" x="{x + 4:.1f}" y="{y:.1f}">{level}</text>')
    if satisfaction:
        out.append(f'<polygon class="satisfaction" points="{_points([satisfaction.get(d, 0) for d in DOMAIN_IDS])}"/>')
    out.append(f'<polygon class="self-reliance" points="{_points([self_reliance.get(d, 0) for d in DOMAIN_IDS])}"/>')
    for index, domain in enumerate(DOMAIN_IDS):
        if domain in self_reliance:
            x, y = _point(index, self_reliance[domain])
            out.append(f'<circle class="self-reliance" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>')
    out.append("</svg>")
    return "".join(out)
