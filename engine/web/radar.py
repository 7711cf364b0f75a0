"""The geometry of the radar chart of the nine life domains; templates/radar.svg.html draws it (no script).

A domain that was not assessed has no value: it is not drawn at the centre (which would read
as worse than 1, acute) but marked "niet gevraagd" at its label, its axis dashed, and the
line of the scores is broken there instead of passing through it.
"""
from __future__ import annotations

import math
from typing import Any

from ..model import DOMAIN_IDS
from .labels import DOMAINS

# Labels wrap onto two lines, so the chart is compact enough to keep readable text on a
# 375 px phone (the stylesheet sets a larger font in SVG units there).
WIDTH, HEIGHT = 560, 410
CENTRE_X, CENTRE_Y = WIDTH / 2, 215
RADIUS = 125
LINE = 1.15  # em between label lines
LEVELS = 5


def _point(index: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / len(DOMAIN_IDS)
    r = RADIUS * value / LEVELS
    return round(CENTRE_X + r * math.cos(angle), 1), round(CENTRE_Y + r * math.sin(angle), 1)


def _points(pairs: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def _runs(values: dict[str, int]) -> list[list[int]]:
    """Runs of neighbouring assessed domains (indexes, going round); a line is drawn only along a run."""
    asked = [i for i, d in enumerate(DOMAIN_IDS) if d in values]
    if not asked:
        return []
    if len(asked) == len(DOMAIN_IDS):
        return [asked]
    start = next(i for i in range(len(DOMAIN_IDS)) if DOMAIN_IDS[i] not in values)  # begin after a gap
    runs: list[list[int]] = []
    current: list[int] = []
    for step in range(1, len(DOMAIN_IDS) + 1):
        i = (start + step) % len(DOMAIN_IDS)
        if DOMAIN_IDS[i] in values:
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _shapes(kind: str, values: dict[str, int]) -> list[dict[str, Any]]:
    shapes = []
    complete = len(values) == len(DOMAIN_IDS)
    for run in _runs(values):
        if len(run) < 2:
            continue
        pairs = [_point(i, values[DOMAIN_IDS[i]]) for i in run]
        shapes.append({"kind": kind, "closed": complete, "points": _points(pairs)})
    return shapes


def _label_lines(label: str, asked: bool, ly: float) -> list[dict[str, Any]]:
    """The label's lines ('Lichamelijke' / 'gezondheid' / 'niet gevraagd'), placed so they grow away from the chart."""
    words = label.split(" ") if len(label) > 10 else [label]
    lines = [{"text": w, "not_asked": False} for w in words]
    if not asked:
        lines.append({"text": "niet gevraagd", "not_asked": True})
    n = len(lines)
    if ly < CENTRE_Y - 20:  # above the centre: the last line sits at the axis end
        start = -(n - 1) * LINE
    elif ly <= CENTRE_Y + 20:
        start = -(n - 1) * LINE / 2
    else:
        start = 0.0
    for index, line in enumerate(lines):
        line["dy"] = round(start if index == 0 else LINE, 2)
    return lines


def geometry(self_reliance: dict[str, int], satisfaction: dict[str, int] | None = None) -> dict[str, Any]:
    """Everything the template needs: grid, axes with labels, ticks, score lines and dots."""
    satisfaction = {d: v for d, v in (satisfaction or {}).items() if v is not None and d in self_reliance}
    axes = []
    for index, domain in enumerate(DOMAIN_IDS):
        x, y = _point(index, LEVELS)
        lx, ly = _point(index, LEVELS + 0.6)
        anchor = "middle" if abs(lx - CENTRE_X) < 20 else ("start" if lx > CENTRE_X else "end")
        if anchor == "middle":  # straight above or below: clear of the tick numbers on that axis
            ly = round(ly - 12 if ly < CENTRE_Y else ly + 12, 1)
        asked = domain in self_reliance
        axes.append({"x": x, "y": y, "lx": lx, "ly": ly, "anchor": anchor, "label": DOMAINS[domain],
                     "asked": asked, "lines": _label_lines(DOMAINS[domain], asked, ly)})
    ticks = []
    for level in range(1, LEVELS + 1):
        x, y = _point(0, level)
        ticks.append({"x": round(x + 4, 1), "y": y, "level": level})
    dots = [{"kind": "self-reliance", "x": x, "y": y}
            for x, y in (_point(i, self_reliance[d]) for i, d in enumerate(DOMAIN_IDS) if d in self_reliance)]
    dots += [{"kind": "satisfaction", "x": x, "y": y}
             for x, y in (_point(i, satisfaction[d]) for i, d in enumerate(DOMAIN_IDS) if d in satisfaction)]
    described = "; ".join(
        f"{DOMAINS[d]}: " + (f"zelfredzaamheid {self_reliance[d]}" if d in self_reliance else "niet gevraagd")
        + (f", tevredenheid {satisfaction[d]}" if d in satisfaction else "") for d in DOMAIN_IDS)
    return {
        "width": WIDTH, "height": HEIGHT, "cx": CENTRE_X, "cy": CENTRE_Y,
        "grid": [_points([_point(i, level) for i in range(len(DOMAIN_IDS))]) for level in range(1, LEVELS + 1)],
        "axes": axes, "ticks": ticks,
        "shapes": _shapes("satisfaction", satisfaction) + _shapes("self-reliance", self_reliance),
        "dots": dots, "satisfaction": bool(satisfaction), "description": described,
        "not_asked": [DOMAINS[d] for d in DOMAIN_IDS if d not in self_reliance],
    }
