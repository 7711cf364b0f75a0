"""The advice at the visit, with the coach's decision on each step in "Nu".

GET /deelnemers/{case_id}/advies advises the stored case as of today, logs that the coach was
shown it (`Store.log_advice`: its receipt, rules version and the rule of each suggestion)
and shows, under each "Nu" step, a small form: akkoord, niet nu, or anders, a reason from
rules/override_reasons.yaml when the step is set aside, and a free comment for the coach's
own file (the store never gives it to the trainers' figures). POST /deelnemers/{id}/besluit
records it (`Store.record_decision`); an accepted step is entered in the intervention log
as `running` from today, so the next advice counts it as begun.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import InputError
from ..model import Case, Recommendation
from ..store.advise import case_document
from ..store.sessions import Session
from . import page
from .auth import menu_of
from .form import Values, first
from .visit import PREFIX, _load, _posted, coach_of, today_of, with_store

router = APIRouter(include_in_schema=False)

DECIDED = {"accepted": "Het besluit is opgeslagen; de stap staat nu als ‘loopt’ bij de interventies.",
           "not_now": "Het besluit is opgeslagen.", "other": "Het besluit is opgeslagen."}
# What the store refuses, per field, in the coach's words (the store's own messages are English).
REFUSED = {"decision": "Kies akkoord, niet nu of anders.",
           "reason": "Kies een reden uit de lijst als u de stap niet (nu) volgt.",
           "comment": "Houd de opmerking kort (hoogstens 500 tekens) en zet er geen telefoonnummer, e-mailadres "
                      "of BSN in.",
           "intervention_id": "Deze stap hoort niet (meer) bij het advies; open het advies opnieuw.",
           "advice_id": "Dit advies is verlopen; open het advies opnieuw."}


def reasons_of(book: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(decision id -> Dutch label, reason id -> Dutch label) from rules/override_reasons.yaml."""
    found = book.override_reasons
    if found is None:
        return {}, {}
    return ({d: item.label_nl for d, item in found.decisions.items()},
            {r.id: r.label_nl for r in found.reasons})


async def advise_today(request: Request, case: Case) -> Recommendation:
    """The stored case's advice as of today (the server's clock, passed in)."""
    return await request.app.state.matcher.recommend(case_document(case, today_of(request)))


def _latest_decisions(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # oldest first: the last one per step wins
        latest[row["intervention_id"]] = row
    return latest


async def _page(request: Request, session: Session, case_id: str, notice: str = "", form: Values | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    book = request.app.state.engine.book
    case = await _load(request, session, case_id)
    rec = await advise_today(request, case)
    rules = book.directory  # the rules this server advises with (serve --rules), kept for replay
    advice_id, earlier = await with_store(request, session, lambda store, actor: (
        store.log_advice(actor, case_id, rec, rules), store.decisions(actor, case_id)))
    decision_labels, reason_labels = reasons_of(book)
    latest = case.assessments[-1].model_dump(mode="json")
    html = page.render(
        "decide.html", title="Advies en besluit", case=case, advice_id=advice_id, csrf_token=session.csrf_token,
        notice=notice, **menu_of(session),
        decision_labels=decision_labels, reason_labels=reason_labels, decided=_latest_decisions(earlier),
        form=form or {}, errors=errors or {}, today=today_of(request),
        **page.advice_context(book, rec, latest.get("domains") or {}))
    return HTMLResponse(html, status_code=status)


@router.get(PREFIX + "/{case_id}/advies", response_class=HTMLResponse)
async def advice(request: Request, case_id: str) -> HTMLResponse:
    session = await coach_of(request)
    return await _page(request, session, case_id, DECIDED.get(request.query_params.get("besloten", ""), ""))


@router.post(PREFIX + "/{case_id}/besluit", response_class=HTMLResponse)
async def decide(request: Request, case_id: str) -> Response:
    values, session = await _posted(request)
    decision, step = first(values, "decision"), first(values, "intervention_id")
    reason, comment = first(values, "reason") or None, first(values, "comment") or None
    errors: dict[str, str] = {}
    if not decision:
        errors["decision"] = REFUSED["decision"]
    elif decision == "accepted" and reason:
        reason = None  # accepting takes no reason: a reason left chosen in the list is not one
    if not errors:
        today = today_of(request).isoformat()

        def record(store: Any, actor: Any) -> None:
            store.record_decision(actor, case_id, first(values, "advice_id"), step, decision, reason, comment)
            if decision == "accepted":
                store.add(actor, case_id, {"id": step, "started": today, "status": "running"})

        try:
            await with_store(request, session, record)
        except InputError as exc:
            for field, _ in exc.problems:
                errors.setdefault(field if field in REFUSED else "decision", REFUSED.get(field, REFUSED["decision"]))
    if errors:
        return await _page(request, session, case_id, form={**values, "step": [step]}, errors=errors, status=422)
    return RedirectResponse(f"{PREFIX}/{case_id}/advies?besloten={decision}#besluit-{step}", status_code=303)
