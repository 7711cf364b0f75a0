"""For trainers: how often coaches followed each rule and intervention, and why they set one aside.

    report = feedback(store, actor, threshold=10)
    report.rows("rule")          # per rule: shown, accepted, not now, other, reasons; per municipality and rules version

Counted from the store's decision log (engine.store.decisions): an advice shown counts once
for each suggestion in it; a coach's latest decision on a suggestion counts. Only counts leave
here, never a case, a coach or a comment, and counts under the small-group threshold (the
monitor's: default 10, $WEGWIJZER_MONITOR_THRESHOLD) are hidden, a row shown fewer times than
that is left out altogether.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .monitor.aggregate import DEFAULT_THRESHOLD, suppress

SET_ASIDE = ("not_now", "other")
CSV_COLUMNS = ("by", "key", "municipality", "rules_version", "shown", "accepted", "not_now", "other", "set_aside",
               "override_rate", "reasons")


@dataclass
class Tally:
    shown: int = 0
    decisions: Counter = field(default_factory=Counter)  # accepted | not_now | other -> count
    reasons: Counter = field(default_factory=Counter)  # reason id -> count (set aside only)

    @property
    def set_aside(self) -> int:
        return sum(self.decisions[d] for d in SET_ASIDE)

    @property
    def decided(self) -> int:
        return self.decisions["accepted"] + self.set_aside


@dataclass
class FeedbackReport:
    threshold: int
    # (by, key, municipality, rules version) -> tally; by is "rule" or "intervention"
    tallies: dict[tuple[str, str, str, str], Tally] = field(default_factory=dict)

    def add(self, municipality: str, rules_version: str, shown: list[dict[str, str]],
            decided: dict[str, tuple[str, str | None]]) -> None:
        """One advice entry: the suggestions shown, and per intervention id the coach's latest decision."""
        for item in shown:
            for by, key in (("rule", item["rule"]), ("intervention", item["id"])):
                tally = self.tallies.setdefault((by, key, municipality, rules_version), Tally())
                tally.shown += 1
                if item["id"] in decided:
                    decision, reason = decided[item["id"]]
                    tally.decisions[decision] += 1
                    if reason is not None and decision in SET_ASIDE:
                        tally.reasons[reason] += 1

    def rows(self, by: str | None = None) -> list[dict[str, Any]]:
        """The rows a trainer sees, small counts hidden (None); most set aside first."""
        out = []
        for (kind, key, municipality, version), tally in self.tallies.items():
            if (by is not None and kind != by) or tally.shown < self.threshold:
                continue
            rate = round(tally.set_aside / tally.decided, 3) if tally.decided >= self.threshold else None
            out.append({
                "by": kind, "key": key, "municipality": municipality, "rules_version": version,
                "shown": tally.shown,
                **{d: suppress(tally.decisions[d], self.threshold) for d in ("accepted", "not_now", "other")},
                "set_aside": suppress(tally.set_aside, self.threshold), "override_rate": rate,
                "reasons": {r: n for r, n in sorted(tally.reasons.items()) if suppress(n, self.threshold) is not None},
            })
        return sorted(out, key=lambda r: (r["by"], -(r["override_rate"] or 0), r["key"], r["municipality"],
                                          r["rules_version"]))

    def override_rate(self, rule: str) -> tuple[int, int] | None:
        """(set aside, decided) for a rule (`<rule set>/<id>`) over every municipality and rules
        version, or None when fewer than the threshold were decided."""
        set_aside = decided = 0
        for (kind, key, _, _), tally in self.tallies.items():
            if kind == "rule" and key == rule:
                set_aside += tally.set_aside
                decided += tally.decided
        return (set_aside, decided) if decided >= self.threshold else None


def feedback(store: Any, actor: Any, threshold: int = DEFAULT_THRESHOLD, municipality: str | None = None,
             rules_version: str | None = None) -> FeedbackReport:
    report = FeedbackReport(threshold)
    for entry in store.feedback_entries(actor, municipality=municipality, rules_version=rules_version):
        report.add(*entry)
    return report


def reason_labels(book: Any) -> dict[str, str]:
    """reason id -> its Dutch label (override_reasons.yaml)."""
    return {r.id: r.label_nl for r in book.override_reasons.reasons} if book is not None and book.override_reasons else {}


def render_text(report: FeedbackReport, labels: dict[str, str]) -> str:
    """Dutch text for a trainer: per rule, then per intervention."""
    hidden = f"<{report.threshold}"
    lines = [f"Opvolging van het advies door coaches (groepen kleiner dan {report.threshold} niet getoond)"]
    for by, title in (("rule", "Per regel"), ("intervention", "Per interventie")):
        rows = report.rows(by)
        lines += ["", f"{title}:"]
        if not rows:
            lines.append("  (nog te weinig besluiten om te tonen)")
        for r in rows:
            def n(value: Any) -> str:
                return hidden if value is None else str(value)
            rate = "-" if r["override_rate"] is None else f"{round(100 * r['override_rate'])}%"
            why = ", ".join(f"{labels.get(k, k)} {v}" for k, v in r["reasons"].items())
            lines.append(f"  {r['key']} ({r['municipality']}, regels {r['rules_version']}): getoond {r['shown']}, "
                         f"overgenomen {n(r['accepted'])}, nu niet {n(r['not_now'])}, anders {n(r['other'])}; "
                         f"terzijde gelegd {rate}" + (f" — waarom: {why}" if why else ""))
    return "\n".join(lines) + "\n"


def render_csv(report: FeedbackReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows():
        writer.writerow([r[c] if c != "reasons" else json.dumps(r[c], sort_keys=True) for c in CSV_COLUMNS])
    return out.getvalue()


def render_html(report: FeedbackReport, labels: dict[str, str]) -> str:
    """The monitor's feedback page (the monitor's look; autoescaped template)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader(__package__ or "engine", "monitor/templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("feedback.html.j2").render(
        threshold=report.threshold, by_rule=report.rows("rule"), by_intervention=report.rows("intervention"),
        labels=labels)


# ---------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .store.cli import add_store_arguments

    add_store_arguments(parser)
    parser.add_argument("--municipality", help="only this municipality")
    parser.add_argument("--rules-version", help="only advice given with these rules (sha256:...)")
    parser.add_argument("--threshold", type=int, help=f"smallest group shown (default $WEGWIJZER_MONITOR_THRESHOLD or {DEFAULT_THRESHOLD})")
    parser.add_argument("--format", choices=("text", "json", "csv", "html"), default="text")
    parser.add_argument("--out", help="write to this file instead of standard output")


def run(args: argparse.Namespace) -> int:
    from .monitor.cli import _threshold
    from .rulebook import load
    from .store.cli import open_store

    threshold = _threshold(args)
    store, actor = open_store(args)
    try:
        report = feedback(store, actor, threshold, args.municipality, args.rules_version)
    finally:
        store.close()
    labels = reason_labels(load())
    if args.format == "json":
        text = json.dumps({"threshold": threshold, "rows": report.rows()}, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        text = render_csv(report)
    elif args.format == "html":
        text = render_html(report, labels)
    else:
        text = render_text(report, labels)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

