""""Mijn plan": the participant's own page of a stored case.

(The voortgangsrapportage of a stored case is /deelnemers/{case_id}/rapport, engine/web/caseload.py.)

GET /deelnemers/{case_id}/mijn-plan is the participant's own page, to print and take home:
the "Nu" steps in plain Dutch (taalniveau B1, engine/web/plain_nl.yaml), each with who helps
and when. "When" is what the coach and the participant agree: the coach fills in a date per
step on the page (a GET form, nothing stored) before printing; a step already begun says
since when. Nothing about the rules or the scores is on it.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..case import CURRENT_STATUSES, latest_log
from ..model import Case, Recommendation
from . import page
from .dates import dutch_date
from .decide import advise_today
from .auth import menu_of
from .visit import PREFIX, _load, coach_of, today_of

router = APIRouter(include_in_schema=False)
PLAIN = Path(__file__).parent / "plain_nl.yaml"
COACH = "Uw coach"
AGREE = "Dat spreekt u samen met uw coach af."


@lru_cache(maxsize=1)
def plain_steps() -> dict[str, str]:
    with PLAIN.open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["steps"])


def plan_steps(book: Any, case: Case, rec: Recommendation, agreed: dict[str, date]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(the "Nu" steps, the steps already begun) as the participant reads them: what, who helps, when.
    A step the coach accepted is in the log as running, so it is no longer suggested: it is
    listed as begun, with since when."""
    names = {r.organisation: r.name for r in rec.referrals}
    services = book.municipalities[case.municipality].services if case.municipality in book.municipalities else {}
    steps = []
    for item in rec.interventions:
        if item.phase != "now":
            continue
        when = f"Op {dutch_date(agreed[item.id])}." if item.id in agreed else AGREE
        steps.append({"id": item.id, "what": plain_steps().get(item.id, item.label_nl),
                      "who": names.get(item.referral_to or "", COACH), "when": when})
    begun = []
    for entry in sorted(latest_log(case).values(), key=lambda pair: pair[0]):
        entry = entry[1]
        if entry.status not in CURRENT_STATUSES:
            continue
        service = services.get(entry.id)
        label = book.interventions[entry.id].label_nl if entry.id in book.interventions else entry.id
        when = (f"U staat op de wachtlijst sinds {dutch_date(entry.started)}." if entry.status == "waiting_list"
                else f"U bent begonnen op {dutch_date(entry.started)}.")
        begun.append({"id": entry.id, "what": plain_steps().get(entry.id, label),
                      "who": service.name if service else COACH, "when": when})
    return steps, begun


def _agreed(request: Request) -> dict[str, date]:
    """The dates the coach filled in on the page (wanneer.<step>=YYYY-MM-DD); a wrong one is left out."""
    found = {}
    for name, value in request.query_params.items():
        if name.startswith("wanneer.") and value:
            try:
                found[name.removeprefix("wanneer.")] = date.fromisoformat(value)
            except ValueError:
                continue
    return found


@router.get(PREFIX + "/{case_id}/mijn-plan", response_class=HTMLResponse)
async def my_plan(request: Request, case_id: str) -> HTMLResponse:
    session = await coach_of(request)
    case = await _load(request, session, case_id)
    rec = await advise_today(request, case)
    agreed = _agreed(request)
    steps, begun = plan_steps(request.app.state.engine.book, case, rec, agreed)
    html = page.render("my_plan.html", title="Mijn plan", case=case, today=today_of(request),
                       steps=steps, begun=begun, agreed={k: v.isoformat() for k, v in agreed.items()},
                       step_labels={i.id: i.label_nl for i in rec.interventions}, **menu_of(session))
    return HTMLResponse(html)
