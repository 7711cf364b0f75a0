"""The store's bridge to the engine: advice and the progress report for a stored Case.

`latest_assessment` and `progress_markdown` are the plain forms the store began with; the
store's commands use the Case-aware engine (`advise`) and the trajectory's report (`report`).
"""
from __future__ import annotations

from datetime import date as Date
from typing import Any

from ..model import DOMAIN_LABELS_NL, Case, Recommendation

CURRENT_STATUSES = ("running", "waiting_list")  # CONTRACT.md: these count as current interventions


def latest_assessment(case: Case) -> dict[str, Any]:
    """The Case's current state as a plain Assessment dict (what the engine accepts today)."""
    latest = max(case.assessments, key=lambda a: a.date)
    data = latest.model_dump(mode="json", by_alias=True, exclude={"date"}, exclude_none=True)
    data["municipality"] = case.municipality
    if case.case_id:
        data["case_id"] = case.case_id
    if "age" not in data and case.age is not None:
        data["age"] = case.age
    if "household" not in data and case.household is not None:
        data["household"] = case.household.model_dump(mode="json", exclude_none=True)
    current = list(data.get("current_interventions", []))
    for entry in case.interventions_log:
        if entry.status in CURRENT_STATUSES and entry.id not in current:
            current.append(entry.id)
    data["current_interventions"] = current
    return data


def case_document(case: Case, today: Date | None = None) -> dict[str, Any]:
    """The stored Case as the engine takes it. Asked on a given day (`today`, the caller's
    clock: the engine reads none), a Case without `as_of` is advised as of that day, or as of
    its latest date when that lies later."""
    data = case.model_dump(mode="json", by_alias=True, exclude_none=True)
    if today is not None and case.as_of is None:
        data["as_of"] = max(today, _latest_date(case)).isoformat()
    return data


def _latest_date(case: Case) -> Date:
    dates = [a.date for a in case.assessments]
    dates += [d for entry in case.interventions_log for d in (entry.started, entry.ended) if d]
    dates += [d for goal in case.goals for d in (goal.set_on, goal.review_on) if d]
    dates += [c.date for c in case.contacts] + [p.date for p in case.profile_history]
    return max(dates)


def advise(case: Case, engine: Any = None, today: Date | None = None) -> Recommendation:
    """The advice for the case (the Case-aware engine: history, progress and due)."""
    if engine is None:
        from ..api import Engine

        engine = Engine.load()
    return engine.recommend(case_document(case, today), source=case.case_id)


def report(case: Case, engine: Any = None, fmt: str = "markdown", today: Date | None = None) -> str:
    """The progress report (voortgangsrapportage) of a stored case, as `wegwijzer report` renders it."""
    from ..report.render import render_report

    if engine is None:
        from ..api import Engine

        engine = Engine.load()
    return render_report(engine, case_document(case, today), fmt, source=case.case_id)


def _from_to(first: Any, last: Any) -> str:
    return f"{'–' if first is None else first} → {'–' if last is None else last}"


def progress_markdown(case: Case, rec: Recommendation | None = None) -> str:
    """A plain progress summary in Dutch (interim until the trajectory report renderer lands)."""
    ordered = sorted(case.assessments, key=lambda a: a.date)
    first, last = ordered[0], ordered[-1]
    lines = [f"# Voortgang casus {case.case_id or '(zonder id)'}", "",
             f"Gemeente: {case.municipality}; van {first.date.isoformat()} tot {last.date.isoformat()} "
             f"({len(ordered)} metingen).", "", "## Zelfredzaamheid per leefgebied", "",
             "| leefgebied | eerste | laatste |", "|---|---|---|"]
    for domain in sorted(set(first.domains) | set(last.domains)):
        a = first.domains.get(domain)
        b = last.domains.get(domain)
        lines.append(f"| {DOMAIN_LABELS_NL.get(domain, domain)} | {a.self_reliance if a else '–'} | "
                     f"{b.self_reliance if b else '–'} |")
    lines += ["", f"Participatieladder: {_from_to(first.ladder_rung, last.ladder_rung)}", ""]
    if first.igm or last.igm:
        lines += ["## Integratief gedragsmodel (T0 → T1)", ""]
        for factor in sorted(set(first.igm or {}) | set(last.igm or {})):
            lines.append(f"- {factor}: {_from_to((first.igm or {}).get(factor), (last.igm or {}).get(factor))}")
        lines.append("")
    if case.goals:
        reviewed = [g for g in case.goals if g.gas_score is not None]
        achieved = [g for g in reviewed if g.gas_score >= 0]
        lines += ["## Doelen (Goal Attainment Scaling)", "",
                  f"{len(case.goals)} doelen, {len(reviewed)} beoordeeld, {len(achieved)} behaald (score 0 of hoger).", ""]
    if case.interventions_log:
        lines += ["## Interventies", "", "| interventie | gestart | geëindigd | status | resultaat |", "|---|---|---|---|---|"]
        for e in case.interventions_log:
            lines.append(f"| {e.id} | {e.started} | {e.ended or '–'} | {e.status} | {e.result or '–'} |")
        lines.append("")
    if case.contacts:
        reached = sum(c.reached for c in case.contacts)
        lines += [f"Contactpogingen: {len(case.contacts)}, waarvan {reached} bereikt.", ""]
    if rec is not None:
        lines += ["## Wat nu", ""]
        lines += [f"{n}. {i.label_nl} ({i.id})" for n, i in enumerate(rec.interventions, 1)]
        lines.append("")
    lines.append("_Tussentijdse samenvatting; het volledige voortgangsrapport volgt met `wegwijzer report`._")
    return "\n".join(lines) + "\n"
