"""The case store over HTTP: /v1/cases (list, import, get, add, next, report, export, close, delete).

The same store as `wegwijzer case` ($WEGWIJZER_DB or the default SQLite file; tests set
`app.state.case_store`). A shared store wants each request to carry the user's personal
token (`Authorization: Bearer NAME.SECRET`); a coach sees only the cases they hold. Run a
shared store without $WEGWIJZER_TOKEN: the personal tokens take its place.
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..store import Conflict, Forbidden, NotFound, Store, Unauthorised
from . import problems
from .guard import _presented_token
from .intake import read_json

router = APIRouter(prefix="/v1/cases", tags=["cases"])
ERRORS = problems.openapi_responses(400, 401, 403, 404, 409, 413, 415, 422)
NOT_FOUND = "urn:wegwijzer:problem:case-not-found"
FORBIDDEN = "urn:wegwijzer:problem:forbidden"
CONFLICT = "urn:wegwijzer:problem:case-exists"
ADVICE_ID_HEADER = "Wegwijzer-Advice-Id"  # /next: the decision log's id of the advice given
_lock = threading.Lock()


def case_store(request: Request) -> Store:
    state = request.app.state
    with _lock:
        if getattr(state, "case_store", None) is None:
            state.case_store = Store.open()
    return state.case_store


def _translate(exc: Exception) -> problems.Problem:
    if isinstance(exc, Unauthorised):
        return problems.Problem(401, problems.UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, Forbidden):
        return problems.Problem(403, FORBIDDEN, str(exc))
    if isinstance(exc, NotFound):
        return problems.Problem(404, NOT_FOUND, str(exc))
    return problems.Problem(409, CONFLICT, str(exc))


async def _call(request: Request, work: Callable[[Store, Any], Any]) -> Any:
    """Run `work(store, actor)` in the threadpool; store errors become problem responses."""
    store = case_store(request)
    token = _presented_token(request.scope.get("headers", []))

    def job() -> Any:
        return work(store, store.actor(token))

    try:
        return await run_in_threadpool(job)
    except (Unauthorised, Forbidden, NotFound, Conflict) as exc:
        raise _translate(exc) from None


@router.get("", summary="The cases you hold", responses=ERRORS)
async def list_cases(request: Request) -> Response:
    summaries = await _call(request, lambda store, actor: store.list_cases(actor))
    return JSONResponse([s.as_dict() for s in summaries])


@router.post("", status_code=201, summary="Store a Case (or a plain Assessment: a case with one assessment today)",
             responses=ERRORS)
async def import_case(request: Request) -> Response:
    data = await read_json(request, request.app.state.max_body)
    case_id = await _call(request, lambda store, actor: store.import_case(actor, data, "body"))
    return JSONResponse({"case_id": case_id}, status_code=201, headers={"Location": f"/v1/cases/{case_id}"})


@router.get("/{case_id}", summary="One case: its summary and the Case document", responses=ERRORS)
async def get_case(request: Request, case_id: str) -> Response:
    def work(store: Store, actor: Any) -> dict[str, Any]:
        summary = store.summary(actor, case_id)
        case = store.get(actor, case_id)
        return {"summary": summary.as_dict(), "case": case.model_dump(mode="json", by_alias=True, exclude_none=True)}

    return JSONResponse(await _call(request, work))


@router.post("/{case_id}/entries", summary="Add an assessment, log entry, contact, goal (review) or profile record",
             responses=ERRORS)
async def add_entry(request: Request, case_id: str) -> Response:
    data = await read_json(request, request.app.state.max_body)
    kind = await _call(request, lambda store, actor: store.add(actor, case_id, data))
    return JSONResponse({"case_id": case_id, "added": kind})


@router.get("/{case_id}/next", summary="The advice for today (wat nu?)", responses=ERRORS)
async def next_step(request: Request, case_id: str) -> Response:
    from ..store.advise import case_document

    # the store is read here; the matching runs where /v1/recommend's does (the app's matcher:
    # worker processes under `wegwijzer serve`, so a native crash costs this request only)
    data = await _call(request, lambda store, actor: case_document(store.get(actor, case_id, "advise"), date.today()))
    rec = await request.app.state.matcher.recommend(data)
    # the advice shown goes into the decision log; its id is what a decision on it names
    rules = request.app.state.engine.book.directory
    advice_id = await _call(request, lambda store, actor: store.log_advice(actor, case_id, rec, rules=rules))
    return Response(rec.model_dump_json(by_alias=True), media_type="application/json",
                    headers={ADVICE_ID_HEADER: advice_id})


@router.post("/{case_id}/decisions", status_code=201, responses=ERRORS,
             summary="The coach's decision on one suggestion of a logged advice: accepted, not_now or other (with a reason)")
async def decide(request: Request, case_id: str) -> Response:
    data = await read_json(request, request.app.state.max_body)
    if not isinstance(data, dict):
        raise InputError([("", "a decision is an object: advice_id, intervention_id, decision, reason, comment")])
    unknown = sorted(set(data) - {"advice_id", "intervention_id", "decision", "reason", "comment"})
    missing = [k for k in ("advice_id", "intervention_id", "decision") if not isinstance(data.get(k), str)]
    wrong = [k for k in ("reason", "comment") if data.get(k) is not None and not isinstance(data[k], str)]
    if unknown or missing or wrong:
        raise InputError([(k, "unknown field") for k in unknown] + [(k, "required (text)") for k in missing]
                         + [(k, "text") for k in wrong])
    number = await _call(request, lambda store, actor: store.record_decision(
        actor, case_id, data["advice_id"], data["intervention_id"], data["decision"], data.get("reason"),
        data.get("comment")))
    return JSONResponse({"case_id": case_id, "decision_id": number}, status_code=201)


@router.get("/{case_id}/decisions", summary="The coach's decisions on the case's advice, oldest first", responses=ERRORS)
async def decisions(request: Request, case_id: str) -> Response:
    return JSONResponse(await _call(request, lambda store, actor: store.decisions(actor, case_id)))


@router.get("/{case_id}/report", summary="The progress report (voortgangsrapportage, Markdown)",
            responses=ERRORS)
async def report(request: Request, case_id: str) -> Response:
    from ..store.advise import case_document

    data = await _call(request, lambda store, actor: case_document(store.get(actor, case_id, "report"), date.today()))
    text = await request.app.state.matcher.report(data, "markdown")
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/{case_id}/export", summary="Everything held about the case, as a Case document", responses=ERRORS)
async def export(request: Request, case_id: str) -> Response:
    return JSONResponse(await _call(request, lambda store, actor: store.export(actor, case_id)))


@router.post("/{case_id}/close", summary="Close the case (the retention period starts)", responses=ERRORS)
async def close(request: Request, case_id: str) -> Response:
    on = request.query_params.get("on")
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise problems.Problem(422, problems.INVALID_ASSESSMENT, "on: not a date (YYYY-MM-DD)", [("on", "not a date")]) from None
    await _call(request, lambda store, actor: store.close_case(actor, case_id, day))
    return JSONResponse({"case_id": case_id, "closed_on": day.isoformat()})


@router.delete("/{case_id}", status_code=204, summary="Forget the case: erase it completely", responses=ERRORS)
async def forget(request: Request, case_id: str) -> Response:
    await _call(request, lambda store, actor: store.forget(actor, case_id))
    return Response(status_code=204)
