"""The store's bridge to the engine: advice and the progress report for a stored Case.

Both hand the engine the whole stored Case; the engine reads no clock, so "today" is the
caller's, passed as `as_of`.
"""
from __future__ import annotations

from datetime import date as Date
from typing import Any

from ..model import Case, Recommendation


def case_document(case: Case, today: Date | None = None, pinned: Date | None = None) -> dict[str, Any]:
    """The stored Case as the engine takes it. Asked on a given day (`today`, the caller's
    clock: the engine reads none), the case is advised as of that day, or as of its latest
    date when that lies later; `pinned` (a date the coach chose) instead of today. A case
    file's own `as_of` is the day it was written, not a ceiling: a visit after it is advised
    as of today like any other (issue 18, item 5)."""
    data = case.model_dump(mode="json", by_alias=True, exclude_none=True)
    if pinned is not None:
        data["as_of"] = pinned.isoformat()  # before a recorded date the engine refuses it, naming the field
    elif today is not None:
        data["as_of"] = max(today, _latest_date(case)).isoformat()
    return data


def _latest_date(case: Case) -> Date:
    dates = [a.date for a in case.assessments]
    dates += [d for entry in case.interventions_log for d in (entry.started, entry.ended) if d]
    dates += [d for goal in case.goals for d in (goal.set_on, goal.review_on) if d]
    dates += [c.date for c in case.contacts] + [p.date for p in case.profile_history]
    return max(dates)


def advise(case: Case, engine: Any = None, today: Date | None = None, pinned: Date | None = None) -> Recommendation:
    """The advice for the case (the Case-aware engine: history, progress and due)."""
    if engine is None:
        from ..api import Engine

        engine = Engine.load()
    return engine.recommend(case_document(case, today, pinned), source=case.case_id)


def report(case: Case, engine: Any = None, fmt: str = "markdown", today: Date | None = None,
           pinned: Date | None = None) -> str:
    """The progress report (voortgangsrapportage) of a stored case, as `wegwijzer report` renders it."""
    from ..report.render import render_report

    if engine is None:
        from ..api import Engine

        engine = Engine.load()
    return render_report(engine, case_document(case, today, pinned), fmt, source=case.case_id)
