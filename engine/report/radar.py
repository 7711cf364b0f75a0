"""Two assessments on one radar of the nine life domains: the first dashed, the latest solid (inline SVG).

Its own small drawing (not engine.web.radar) so that the report renders without the web app.
"""
from __future__ import annotations

import math
from html import escape

from ..model import DOMAIN_IDS, DOMAIN_LABELS_NL

WIDTH, HEIGHT = 560, 400
CENTRE_X, CENTRE_Y = WIDTH / 2, HEIGHT / 2 + 5
RADIUS = 135
LEVELS = 5


def _point(index: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / len(DOMAIN_IDS)
    r = RADIUS * value / LEVELS
    return CENTRE_X + r * math.cos(angle), CENTRE_Y + r * math.sin(angle)


def _points(values: list[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (_point(i, v) for i, v in enumerate(values)))


def _shape(css: str, scores: dict[str, int]) -> list[str]:
    """One assessment's line: closed when every domain was scored, else broken at each domain it
    did not score (never drawn at the centre, which would read as worse than acute)."""
    if all(d in scores for d in DOMAIN_IDS):
        return [f'<polygon class="{css}" points="{_points([scores[d] for d in DOMAIN_IDS])}"/>']
    start = next(i for i, d in enumerate(DOMAIN_IDS) if d not in scores) + 1  # begin after a gap
    runs: list[list[int]] = [[]]
    for step in range(len(DOMAIN_IDS)):
        index = (start + step) % len(DOMAIN_IDS)
        if DOMAIN_IDS[index] in scores:
            runs[-1].append(index)
        elif runs[-1]:
            runs.append([])
    return [f'<polyline class="{css}" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in (_point(i, scores[DOMAIN_IDS[i]]) for i in run)) + '"/>'
            for run in runs if len(run) > 1]


def radar_svg(first: dict[str, int], latest: dict[str, int], first_label: str, latest_label: str) -> str:
    """Self-reliance 1-5 per domain in the first and the latest assessment; a domain neither scored
    is labelled "niet gevraagd", and each line breaks where its assessment has no score."""
    described = "; ".join(
        f"{DOMAIN_LABELS_NL[d]}: {first.get(d, 'niet gescoord')} → {latest.get(d, 'niet gescoord')}" for d in DOMAIN_IDS)
    out = [f'<svg class="radar" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="radar-title radar-desc" '
           'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="radar-title">Zelfredzaamheid per leefgebied: {escape(first_label)} en {escape(latest_label)}</title>',
           f'<desc id="radar-desc">{escape(described)}</desc>']
    for level in range(1, LEVELS + 1):
        out.append(f'<polygon class="grid" points="{_points([level] * len(DOMAIN_IDS))}"/>')
    for index, domain in enumerate(DOMAIN_IDS):
        x, y = _point(index, LEVELS)
        out.append(f'<line class="axis" x1="{CENTRE_X:.1f}" y1="{CENTRE_Y:.1f}" x2="{x:.1f}" y2="{y:.1f}"/>')
        lx, ly = _point(index, LEVELS + 0.55)
        anchor = "middle" if abs(lx - CENTRE_X) < 20 else ("start" if lx > CENTRE_X else "end")
        label = DOMAIN_LABELS_NL[domain]
        out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" dominant-baseline="middle">'
                   f"{escape(label[0].upper() + label[1:])}</text>")
        if domain not in first and domain not in latest:  # on a line of its own, inside the drawing
            out.append(f'<text class="tick" x="{lx:.1f}" y="{ly + 14:.1f}" text-anchor="{anchor}" '
                       'dominant-baseline="middle">niet gevraagd</text>')
    for level in range(1, LEVELS + 1):
        x, y = _point(0, level)
        out.append(f'<text class="tick" x="{x + 4:.1f}" y="{y:.1f}">{level}</text>')
    out += _shape("first", first) + _shape("latest", latest)
    for index, domain in enumerate(DOMAIN_IDS):
        if domain in first:
            x, y = _point(index, first[domain])
            out.append(f'<circle class="first" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>')
        if domain in latest:
            x, y = _point(index, latest[domain])
            out.append(f'<circle class="latest" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>')
    out.append('<g class="legend" transform="translate(12,16)">'
               '<line class="first" x1="0" y1="0" x2="26" y2="0"/>'
               f'<text x="32" y="4">{escape(first_label)}</text>'
               '<line class="latest" x1="0" y1="20" x2="26" y2="20"/>'
               f'<text x="32" y="24">{escape(latest_label)}</text></g>')
    out.append("</svg>")
    return "".join(out)
