"""CDS Hooks over HTTP: GET /cds-services, POST /cds-services/wegwijzer-advies, and its /feedback.

The advice runs where /v1/recommend's does (the app's matcher); an advice for a case with a
`case_id` is logged in the case store (engine.store.decisions) by whoever's token the call
carries, and the feedback on its cards is stored there as the coach's decisions, the same
log `wegwijzer feedback` counts. engine/cds.py builds the documents.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import cds
from ..errors import InputError
from ..store import NotFound
from . import problems
from .cases import _call
from .intake import read_json

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])
ERRORS = problems.openapi_responses(400, 401, 403, 404, 413, 415, 422)
_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}


@router.get("", summary="CDS Hooks discovery: the services offered", responses={200: {"description": "services", **_OBJECT}})
def discovery(request: Request) -> dict[str, Any]:
    return cds.discovery(request.app.state.engine.book)


@router.post(f"/{cds.SERVICE_ID}", summary="CDS Hooks: the advice for a case, as cards",
             responses={200: {"description": "cards", **_OBJECT}, **ERRORS})
async def service(request: Request) -> JSONResponse:
    data = await read_json(request, request.app.state.max_body)
    case, problems_found = cds.case_of(data)
    if problems_found:
        raise InputError(problems_found)
    rec = await request.app.state.matcher.recommend(case)
    book = request.app.state.engine.book
    advice_id = None
    if rec.case_id:
        advice_id = await _call(request, lambda store, actor: store.log_advice(actor, rec.case_id, rec, rules=book.directory))
    return JSONResponse(cds.cards(book, rec, advice_id))


@router.post(f"/{cds.SERVICE_ID}/feedback", summary="CDS Hooks feedback: accepted or overridden, with the reason",
             responses={200: {"description": "what was recorded, and each entry refused with why", **_OBJECT}, **ERRORS})
async def feedback(request: Request) -> JSONResponse:
    data = await read_json(request, request.app.state.max_body)
    entries = data.get("feedback") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError([("feedback", "required: a list of feedback entries")])
    book = request.app.state.engine.book
    reason_ids = [r.id for r in book.override_reasons.reasons] if book.override_reasons else []
    refused: list[dict[str, str]] = []
    decided = []
    for index, entry in enumerate(entries):
        decision, found = cds.decision_of(entry, reason_ids)
        if decision is None:
            refused += [{"field": f"feedback[{index}].{field}", "message": message} for field, message in found]
        else:
            decided.append((index, decision))

    def record(store: Any, actor: Any) -> int:
        """One bad entry is refused, the rest recorded (one token check for them all)."""
        done = 0
        for index, d in decided:
            try:
                store.record_decision_on(actor, d["advice_id"], d["position"], d["decision"], d["reason"], d["comment"])
                done += 1
            except InputError as exc:
                refused.extend({"field": f"feedback[{index}]." + (field or ""), "message": message}
                               for field, message in exc.problems)
            except NotFound as exc:  # the card's case is one this user may not see: that entry only
                refused.append({"field": f"feedback[{index}].card", "message": str(exc)})
        return done

    recorded = await _call(request, record) if decided else 0
    if not recorded:
        return problems.response(422, problems.INVALID_ASSESSMENT, "no feedback entry could be recorded; see errors",
                                 [(r["field"], r["message"]) for r in refused])
    return JSONResponse({"recorded": recorded, "refused": refused})
