"""The coach's caseload in the browser: "Mijn deelnemers", a stored case, a new participant,
the participant's AVG rights (export, forget); the admin's users; the team lead's monitor.

    GET  /deelnemers[?filter=week]          the coach's own open cases, most urgent first
    POST /deelnemers/nieuw                  the intake form (/) stored as a new participant
    GET  /deelnemers/{id}[?peildatum=D]     the stored case's advice as of today (or D)
    GET  /deelnemers/{id}/export.json       everything stored about the participant (audited)
    GET  /deelnemers/{id}/rapport           the progress report (audited)
    GET|POST /deelnemers/{id}/vergeten      forget the participant, after a confirmation (audited)
    GET|POST /beheer/gebruikers             the admin's list of users and a form to add one

Another coach's case answers exactly as a case that does not exist (404). A page view runs
no engine for the list: each case's due items are kept in the store's caseload index
(engine.store.caseload_index), computed when a case changed since it was indexed.
"""
from __future__ import annotations

import argparse
import json
import re
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..report.render import dutch_date
from ..store import Conflict, Forbidden, NotFound, Store
from ..store import caseload_index as index
from ..store.advise import case_document
from ..store.repo import Actor
from ..store.sessions import Accounts, Session
from . import dutch, page, problems
from .auth import check_csrf, menu_of, require, store_of
from .form import collect, first, form_field, to_assessment
from .intake import TooManyFields, read_form
from .problems import Problem

router = APIRouter(include_in_schema=False)

# What each due item is called in the list; the engine's reason is on the case's page.
DUE_LABELS = {"reapproach": "Opnieuw benaderen", "review_goals": "Doelen evalueren",
              "recalibrate_profile": "Klantprofiel herijken", "home_visit": "Huisbezoek"}
HOME_VISIT_RULE = "trajectory/unanswered_calls_home_visit"
# Due items are computed as of a day far ahead, so that each comes with the date it falls due
# (the engine lists an item only once its date has passed); the list compares them with today.
HORIZON = timedelta(days=3650)
WEEK = timedelta(days=7)
MAX_FORM = 256 * 1024
ROLES_NL = {"coach": "Coach", "team_lead": "Teamleider", "admin": "Beheerder"}


def today() -> date:
    """The server's clock, read here and passed in: the engine reads none."""
    return date.today()


def _ctx(session: Session, **context: Any) -> dict[str, Any]:
    return {**menu_of(session), "csrf_token": session.csrf_token, **context}


def signed_in_page(template: str, session: Session, code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(page.render(template, **_ctx(session, **context)), status_code=code)


def _not_found(session: Session) -> HTMLResponse:
    return signed_in_page("error_page.html", session, 404, title="Niet gevonden", status=404,
                 message="Deze deelnemer bestaat niet of hoort niet bij uw deelnemers.")


# ---------------------------------------------------------------- the caseload index
def horizon_document(case: Any) -> dict[str, Any]:
    """The case as the engine takes it, as of a day far ahead (HORIZON)."""
    latest = max(when for when in _dates(case))
    return case_document(case, pinned=max(latest, today()) + HORIZON)


async def due_entries(request: Request, case: Any) -> list[index.DueEntry]:
    """The case's due items with their dates, by the engine (the app's matcher)."""
    return due_of(await request.app.state.matcher.recommend(horizon_document(case)), case)


def due_of(rec: Any, case: Any) -> list[index.DueEntry]:
    """The due items of the advice as of the horizon, each with the date it falls due."""
    entries = [index.DueEntry(item.id, item.due_on) for item in rec.due if item.due_on is not None]
    if any(item.id == "home_visit" and item.rule == HOME_VISIT_RULE for item in rec.interventions):
        # calls went unanswered: the home visit is due from the last unanswered call
        calls = [c.date for c in case.contacts if c.kind == "phone" and not c.reached]
        if calls:
            entries.append(index.DueEntry("home_visit", max(calls)))
    return entries


def _dates(case: Any) -> list[date]:
    from ..case import dated_fields

    return [when for _, when in dated_fields(case)]


async def refresh(request: Request, store: Store, actor: Actor) -> int:
    """Index the actor's cases that changed since they were indexed; how many."""
    stale = await run_in_threadpool(index.stale, store, actor)
    owner = actor.name if actor.role != "local" else None
    entries = []
    for case_id, version, case in stale:
        try:
            due = await due_entries(request, case)
        except InputError:
            due = []  # a stored case the engine refuses is listed without due items; its page names the problem
        entries.append((case_id, version, owner, *index.summary_of(case), due))
        if len(entries) >= 200:  # a bulk import indexes in a few transactions, not one per case
            await run_in_threadpool(index.record_many, store, entries)
            entries = []
    await run_in_threadpool(index.record_many, store, entries)
    return len(stale)


# ---------------------------------------------------------------- Mijn deelnemers
@router.get("/deelnemers", response_class=HTMLResponse)
async def my_participants(request: Request, filter: str = "", gewist: str = "") -> HTMLResponse:
    session = await require(request, "coach")
    store = store_of(request)
    await refresh(request, store, session.actor)
    day = today()
    week = filter == "week"
    rows = await run_in_threadpool(index.rows, store, session.actor, day + WEEK if week else None)
    listed = [{"row": row, "due": [{"label": DUE_LABELS.get(d.id, d.id), "date": d.due_on,
                                    "late": d.due_on < day, "soon": day <= d.due_on <= day + WEEK} for d in row.due]}
              for row in rows]
    return signed_in_page("caseload.html", session, title="Mijn deelnemers", listed=listed, week=week, today=day,
                 forgotten=gewist if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", gewist) else "",
                 municipality_names=page.municipality_names(request.app.state.engine.book), ladder=_ladder())


def _ladder() -> dict[int, str]:
    from . import labels as L

    return {int(k): v for k, v in L.LADDER.items()}


# ---------------------------------------------------------------- a new participant from the intake
@router.post("/deelnemers/nieuw", response_class=HTMLResponse)
async def new_participant(request: Request) -> Response:
    session = await require(request, "coach")
    engine = request.app.state.engine
    try:
        values = collect(await read_form(request, MAX_FORM))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    check_csrf(request, session, values.pop("csrf_token", [""])[0])
    data, rows, errors = to_assessment(values)
    for path, message in dutch.validate({k: v for k, v in data.items() if k not in errors}):
        errors.setdefault(form_field(path, rows) or "municipality", message)
    if not errors:
        store = store_of(request)
        try:
            await request.app.state.matcher.recommend(data)  # what the engine refuses is not stored
            case_id = await run_in_threadpool(store.import_case, session.actor, data, "intake")
        except InputError as exc:
            for path, english in exc.problems:
                errors.setdefault(form_field(path, rows) or "municipality", dutch.engine_message(path, english))
        except Conflict:
            errors["case_id"] = "Dit casusnummer is al in gebruik. Kies een ander pseudoniem of laat het veld leeg."
        else:
            return RedirectResponse(f"/deelnemers/{case_id}?nieuw=1", status_code=303)
    html = page.form_page(engine.book, values, errors, csrf_token=session.csrf_token, extra=menu_of(session))
    return HTMLResponse(html, status_code=422)


# ---------------------------------------------------------------- a stored case
async def _case(request: Request, session: Session, case_id: str, action: str) -> Any:
    store = store_of(request)
    try:
        return await run_in_threadpool(store.get, session.actor, case_id, action)
    except (NotFound, Forbidden):
        return None


def _pinned(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/deelnemers/{case_id}", response_class=HTMLResponse)
async def stored_case(request: Request, case_id: str, peildatum: str = "", nieuw: str = "") -> HTMLResponse:
    session = await require(request, "coach")
    case = await _case(request, session, case_id, "advise")
    if case is None:
        return _not_found(session)
    engine = request.app.state.engine
    pinned = _pinned(peildatum)
    errors: list[tuple[str, str]] = []
    if peildatum and pinned is None:
        errors.append(("peildatum", "Vul een datum in als JJJJ-MM-DD."))
    data = case_document(case, today(), pinned)
    try:
        rec = await request.app.state.matcher.recommend(data)
    except InputError as exc:
        errors += [(path, dutch.input_message(path, english)) for path, english in exc.problems]
        data = case_document(case, today())  # the coach's date does not fit: as of today, with why
        pinned = None
        rec = await request.app.state.matcher.recommend(data)
    from .casepage import CONTACT_NL, REACHED_NL, RESULT_NL, STATUS_NL

    latest = data["assessments"][-1]
    return signed_in_page("stored_case.html", session, 422 if errors else 200, title=f"Deelnemer {case_id}",
                 case_id=case_id, data=data, as_of=date.fromisoformat(data["as_of"]), pinned=pinned,
                 errors=errors, new=bool(nieuw), status_nl=STATUS_NL, result_nl=RESULT_NL, contact_nl=CONTACT_NL,
                 reached_nl=REACHED_NL, **page.advice_context(engine.book, rec, latest.get("domains") or {}))


@router.get("/deelnemers/{case_id}/export.json")
async def export(request: Request, case_id: str) -> Response:
    """Right of access: the stored case, its index row and what the audit holds about it."""
    session = await require(request, "coach")
    store = store_of(request)
    try:
        document = await run_in_threadpool(store.export, session.actor, case_id)
        summary = await run_in_threadpool(store.summary, session.actor, case_id)
    except (NotFound, Forbidden):
        return _not_found(session)
    trail = await run_in_threadpool(store.audit_trail, case_id)
    body = {"case": document,
            "stored": {k: v for k, v in summary.as_dict().items() if k in ("case_id", "owner", "team", "closed_on")},
            "audit": [{"at": row["at"].isoformat(), "actor": row["actor"], "action": row["action"]} for row in trail]}
    return Response(json.dumps(body, indent=2, ensure_ascii=False), media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{case_id}.json"'})


@router.get("/deelnemers/{case_id}/rapport", response_class=HTMLResponse)
async def report(request: Request, case_id: str) -> HTMLResponse:
    session = await require(request, "coach")
    case = await _case(request, session, case_id, "report")
    if case is None:
        return _not_found(session)
    return HTMLResponse(await request.app.state.matcher.report(case_document(case, today())))


@router.get("/deelnemers/{case_id}/vergeten", response_class=HTMLResponse)
async def forget_confirm(request: Request, case_id: str) -> HTMLResponse:
    session = await require(request, "coach")
    case = await _case(request, session, case_id, "read")
    if case is None:
        return _not_found(session)
    return signed_in_page("forget.html", session, title=f"Deelnemer {case_id} vergeten", case_id=case_id, error="")


@router.post("/deelnemers/{case_id}/vergeten", response_class=HTMLResponse)
async def forget(request: Request, case_id: str) -> Response:
    session = await require(request, "coach")
    try:
        values = collect(await read_form(request, 8 * 1024))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    check_csrf(request, session, first(values, "csrf_token"))
    if first(values, "bevestig") != case_id:
        return signed_in_page("forget.html", session, 422, title=f"Deelnemer {case_id} vergeten", case_id=case_id,
                     error=f"Typ het casusnummer {case_id} over om te bevestigen.")
    try:
        await run_in_threadpool(store_of(request).forget, session.actor, case_id)
    except (NotFound, Forbidden):
        return _not_found(session)
    return RedirectResponse(f"/deelnemers?gewist={case_id}", status_code=303)


# ---------------------------------------------------------------- the admin's users
def _users_page(request: Request, session: Session, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, notice: str = "", code: int = 200) -> HTMLResponse:
    users = store_of(request).list_users(session.actor)
    return signed_in_page("users.html", session, code, title="Gebruikers", users=users, roles=ROLES_NL,
                 values=values or {}, errors=errors or {}, notice=notice)


@router.get("/beheer/gebruikers", response_class=HTMLResponse)
async def users_page(request: Request) -> HTMLResponse:
    session = await require(request, "admin")
    return await run_in_threadpool(_users_page, request, session)


@router.post("/beheer/gebruikers", response_class=HTMLResponse)
async def add_user(request: Request) -> HTMLResponse:
    session = await require(request, "admin")
    try:
        values = collect(await read_form(request, 8 * 1024))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    check_csrf(request, session, first(values, "csrf_token"))
    name, role, team = first(values, "name"), first(values, "role"), first(values, "team") or None
    password = values.get("password", [""])[0]
    shown = {"name": name, "role": role, "team": team or ""}
    store = store_of(request)

    def work() -> HTMLResponse:
        errors: dict[str, str] = {}
        if role not in ROLES_NL:
            errors["role"] = "Kies een rol."
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            errors["name"] = "Een gebruikersnaam is 1 tot 64 letters, cijfers, '_' of '-'."
        if role == "team_lead" and not team:
            errors["team"] = "Een teamleider hoort bij een team: vul het team in."
        if len(password) < 10:
            errors["password"] = "Een wachtwoord heeft minstens 10 tekens."
        if not errors:
            try:
                store.add_user(session.actor, name, role, team)
                Accounts(store).set_password(session.actor, name, password)
            except Conflict:
                errors["name"] = f"De gebruiker {name} bestaat al."
            except InputError as exc:
                errors.update({field: message for field, message in exc.problems})
        if errors:
            return _users_page(request, session, shown, errors, code=422)
        return _users_page(request, session, notice=f"{name} is toegevoegd als {ROLES_NL[role].lower()}.")

    return await run_in_threadpool(work)


def install(app: Any) -> None:
    # "datum" is engine.web.page's (engine/web/dates.py): a date or its text alike
    page._env.filters["datum_iso"] = lambda text: dutch_date(date.fromisoformat(str(text)))
    page._env.globals["due_labels"] = DUE_LABELS
    app.include_router(router)


# ---------------------------------------------------------------- the team lead's monitor
MONITOR_FILE = re.compile(r"^[a-z0-9_-]{1,40}\.(html|csv)$")


def _monitor_files(request: Request, actor: Actor) -> dict[str, bytes]:
    """The monitor of the team lead's team (engine.monitor: counts only, small ones hidden),
    as `wegwijzer monitor` writes it: index.html, a page per municipality, monitor.csv."""
    import tempfile
    from pathlib import Path

    from ..monitor.aggregate import BATCH, Aggregator
    from ..monitor.cli import policy_threshold
    from ..monitor.report import write_report

    engine = request.app.state.engine
    store = store_of(request)
    threshold = policy_threshold(store)  # the store's smallest group, as `wegwijzer monitor` takes it
    agg = Aggregator(book=engine.book, engine=engine, batch=BATCH)
    latest: date | None = None
    for case, closed_on in store.monitor_cases(actor):
        agg.add(case, closed_on)
        last = max(a.date for a in case.assessments)
        latest = last if latest is None or last > latest else latest
    agg.finish()  # the last whole batch of each municipality, as the command counts them
    with tempfile.TemporaryDirectory(prefix="wegwijzer-monitor-") as folder:
        paths = write_report(agg, Path(folder), threshold, f"team {actor.team}",
                             latest.isoformat() if latest else None)
        return {path.name: path.read_bytes() for path in paths}


# The monitor's pages link to each other: one computation (audited once, as 'monitor') serves a
# team lead's clicks for a few minutes. Counts only are kept, never a case.
MONITOR_FRESH_S = 300


def _monitor_cached(request: Request, actor: Actor) -> dict[str, bytes]:
    import time

    cache = getattr(request.app.state, "monitor_cache", None)
    if cache is None:
        request.app.state.monitor_cache = cache = {}
    key = (actor.name, actor.team)
    hit = cache.get(key)
    if hit is None or time.monotonic() - hit[0] > MONITOR_FRESH_S:
        hit = cache[key] = (time.monotonic(), _monitor_files(request, actor))
    return hit[1]


@router.get("/monitor")
async def monitor_home(request: Request) -> Response:
    await require(request, "team_lead")
    return RedirectResponse("/monitor/", status_code=303)  # the monitor's pages link to each other relatively


@router.get("/monitor/")
@router.get("/monitor/{name}")
async def monitor(request: Request, name: str = "index.html") -> Response:
    session = await require(request, "team_lead")
    if not MONITOR_FILE.match(name):
        return signed_in_page("error_page.html", session, 404, title="Niet gevonden", status=404,
                     message="Deze pagina van de monitor bestaat niet.")
    files = await run_in_threadpool(_monitor_cached, request, session.actor)
    if name not in files:
        return signed_in_page("error_page.html", session, 404, title="Niet gevonden", status=404,
                     message="Deze pagina van de monitor bestaat niet.")
    if name.endswith(".csv"):
        return Response(files[name], media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return HTMLResponse(files[name])
