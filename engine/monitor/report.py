"""The monitor written out: one HTML page per municipality (inline SVG, offline), an index, and
a CSV of exactly the numbers the pages show (both come from `numbers`)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from . import svg
from .aggregate import GAS_SCORES, IGM_FACTORS, LADDER_BUCKETS, REACH_KEYS, Aggregator, Figures, suppress
from .labels import GAS_LABELS, IGM_LABELS, LADDER_LABELS, REACH_LABELS

CSV_COLUMNS = ("municipality", "section", "key", "label", "count", "percent", "t0", "t1")


@dataclass(frozen=True)
class Row:
    section: str
    key: str
    label: str
    count: int | None  # None: suppressed (fewer than the threshold)
    percent: float | None = None
    t0: float | None = None
    t1: float | None = None


@dataclass
class Section:
    id: str
    title: str
    base: int | None  # participants/goals the percentages count from; None when suppressed
    rows: list[Row]
    note: str = ""


def _pct(count: int | None, base: int) -> float | None:
    return None if count is None or not base else round(100 * count / base, 1)


def numbers(fig: Figures, threshold: int, book: Any = None) -> list[Section]:
    """The sections of one municipality's page, small numbers already hidden."""
    hidden = f"te weinig om te tonen (minder dan {threshold})"
    sections: list[Section] = []

    def distribution(id_: str, title: str, counter: Any, keys: Any, labels: dict, unit: str) -> None:
        base = sum(counter.values())
        if base < threshold:
            sections.append(Section(id_, title, None, [], f"{hidden}: {unit}"))
            return
        rows = []
        for key in keys:
            count = suppress(counter.get(key, 0), threshold)
            rows.append(Row(id_, str(key), labels.get(key, str(key)), count, _pct(count, base)))
        sections.append(Section(id_, title, base, rows))

    cases = fig.reach["cases"]
    reach_rows = [Row("reach", k, REACH_LABELS[k], suppress(fig.reach[k], threshold),
                      _pct(suppress(fig.reach[k], threshold), cases)) for k in REACH_KEYS]
    sections.append(Section("reach", "Bereik", cases, reach_rows))
    distribution("ladder", "Stijging op de Participatieladder sinds de start (zoals figuur 6.3)", fig.ladder,
                 LADDER_BUCKETS, LADDER_LABELS, "deelnemers met twee metingen van de ladder")
    distribution("gas", "Goal Attainment Scaling bij de beoordeling (zoals figuur 6.2; 0 of hoger is positief)",
                 fig.gas, GAS_SCORES, GAS_LABELS, "beoordeelde doelen")
    igm = fig.igm()
    igm_rows = []
    for factor in IGM_FACTORS:
        n, t0, t1 = igm.get(factor, (0, 0.0, 0.0))
        if n >= threshold:
            igm_rows.append(Row("igm", factor, IGM_LABELS[factor], n, None, round(t0, 2), round(t1, 2)))
        elif n:
            igm_rows.append(Row("igm", factor, IGM_LABELS[factor], None))
    sections.append(Section("igm", "Integratief gedragsmodel: gemiddelde score T0 en T1 per factor (zoals figuur 6.1)",
                            None, igm_rows, "" if igm_rows else f"{hidden}: casussen met IGM bij twee metingen"))
    profile_labels = {k: v.label_nl for k, v in (book.profile_labels.items() if book else [])}
    profile_labels["onbekend"] = "onbekend"
    distribution("profiles", "Klantprofielen", fig.profiles, sorted(fig.profiles, key=lambda p: (-fig.profiles[p], p)),
                 profile_labels, "casussen")
    labels = {k: v.label_nl for k, v in (book.interventions.items() if book else [])}
    for id_, title, counter in (("suggested", "Interventies geadviseerd (het advies van vandaag)", fig.suggested),
                                ("running", "Interventies lopend", fig.running),
                                ("completed", "Interventies afgerond", fig.completed)):
        keys = sorted(counter, key=lambda k: (-counter[k], k))
        rows = [Row(id_, k, labels.get(k, k), suppress(counter[k], threshold)) for k in keys]
        sections.append(Section(id_, title, None, rows, "" if rows else "geen"))
    known = book.municipalities.get(fig.municipality) if book else None
    organisations = known.organisations if known is not None else {}
    rows = [Row("referrals", f"{org}|{month}", f"{organisations.get(org, org)} — {month}",
                suppress(count, threshold))
            for (org, month), count in sorted(fig.referrals.items())]
    sections.append(Section("referrals", "Verwijzingen per maand per organisatie van de sociale kaart", None, rows,
                            "" if rows else "geen"))
    return sections


def _chart(section: Section, threshold: int) -> Any:
    hidden = f"< {threshold} (niet getoond)"
    if not section.rows:
        return None
    if section.id == "igm":
        return svg.paired_chart(section.title, [(r.label, r.t0, r.t1, hidden) for r in section.rows], 10)
    if section.base is not None:
        return svg.bar_chart(section.title, [(r.label, r.percent, hidden if r.count is None else
                                              f"{str(r.percent).replace('.', ',')}% ({r.count})")
                                             for r in section.rows], 100)
    counts = [r.count for r in section.rows if r.count is not None]
    return svg.bar_chart(section.title, [(r.label, r.count, hidden if r.count is None else str(r.count))
                                         for r in section.rows], max(counts, default=0))


def write_report(agg: Aggregator, out: Path, threshold: int, scope: str, as_of: str | None,
                 feedback: Any = None) -> list[Path]:
    """index.html, one page per municipality and monitor.csv under `out`; the paths written.
    `feedback` (engine.feedback's report, from the store's decision log) adds feedback.html and
    feedback.csv: how often coaches followed each rule and intervention."""
    out.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=PackageLoader("engine.monitor", "templates"), autoescape=select_autoescape(("html", "j2")))
    env.filters["nl"] = lambda number: f"{number}".replace(".", ",")  # Dutch decimal comma; the CSV keeps '.'
    written: list[Path] = []
    csv_buffer = io.StringIO()
    writer = csv.writer(csv_buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    pages = []
    for municipality in sorted(agg.figures):
        fig = agg.figures[municipality]
        shown = fig.cases >= threshold
        sections = numbers(fig, threshold, agg.book) if shown else []
        known = agg.book.municipalities.get(municipality) if agg.book is not None else None
        name = known.name if known is not None else municipality  # the social map's name
        page = out / f"{municipality}.html"
        page.write_text(env.get_template("municipality.html.j2").render(
            name=name, scope=scope, as_of=as_of, threshold=threshold, shown=shown,
            cases=fig.cases if shown else None,
            sections=[(s, _chart(s, threshold)) for s in sections], with_advice=agg.engine is not None),
            encoding="utf-8")
        written.append(page)
        pages.append({"file": page.name, "name": name, "cases": fig.cases if shown else None})
        if not shown:
            writer.writerow((municipality, "group", "cases", "casussen", f"<{threshold}", "", "", ""))
        for section in sections:
            for r in section.rows:
                writer.writerow((municipality, r.section, r.key, r.label,
                                 f"<{threshold}" if r.count is None else r.count,
                                 "" if r.percent is None else r.percent, "" if r.t0 is None else r.t0,
                                 "" if r.t1 is None else r.t1))
    if feedback is not None:
        from ..feedback import reason_labels, render_csv, render_html

        (out / "feedback.html").write_text(render_html(feedback, reason_labels(agg.book)), encoding="utf-8")
        (out / "feedback.csv").write_text(render_csv(feedback), encoding="utf-8")
        written += [out / "feedback.html", out / "feedback.csv"]
    index = out / "index.html"
    index.write_text(env.get_template("index.html.j2").render(pages=pages, scope=scope, as_of=as_of,
                                                              threshold=threshold, feedback=feedback is not None),
                     encoding="utf-8")
    table = out / "monitor.csv"
    table.write_text(csv_buffer.getvalue(), encoding="utf-8")
    return [index, *written, table]
