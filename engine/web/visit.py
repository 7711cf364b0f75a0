"""A visit on a stored case: the coach records what happened, each part saved to the store.

GET /deelnemers/{case_id}/bezoek shows the forms: a follow-up meting with every field of
the first (prefilled from the latest), a contact, an intervention log entry (and a wrong
one corrected or deleted), a goal with its GAS score and review date, and, where the rules
re-calibrate a client profile (Helmond), a profile record. Each POST is validated as the
engine validates: the form's own conversion, the contract (engine.web.dutch, in Dutch),
then the whole case with the new entry through the engine (history, known ids), as of
today. A save the engine would refuse comes back as the same form, filled in as typed,
with the Dutch message at the field; nothing is stored. A save that fits goes to the store
(`Store.add`, `Store.change_log_entry`) and the page is shown again (303, Post/Redirect/Get).

Only a signed-in coach (engine.web.auth) reaches these pages, and only for the cases the coach
holds; every form carries the session's CSRF token. "Today" is the server's clock
(engine.web.caseload.today, passed in), never a rule's.
"""
from __future__ import annotations

import re
import sys
from datetime import date
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..history import trajectory_of
from ..model import DOMAIN_IDS, Case, CaseAssessment, Contact, Goal, InterventionLogEntry, ProfileRecord
from ..store import Forbidden, NotFound, Store
from ..store.advise import _latest_date, case_document
from ..store.repo import Actor, apply_entry
from ..store.sessions import Session
from . import dutch, page, problems
from .auth import check_csrf, menu_of, require, store_of
from .casepage import CONTACT_NL, REACHED_NL, RESULT_NL, STATUS_NL
from .form import Values, collect, first, form_field, to_assessment
from .intake import TooManyFields, read_form
from .problems import Problem

router = APIRouter(include_in_schema=False)
PREFIX = "/deelnemers"
MAX_VISIT_FORM = 256 * 1024

SAVED = {"meting": "De meting is opgeslagen.", "contact": "Het contact is opgeslagen.",
         "interventie": "De interventie is opgeslagen.", "gewijzigd": "De interventie is gewijzigd.",
         "verwijderd": "De interventie is verwijderd.", "doel": "Het doel is opgeslagen.",
         "profiel": "Het klantprofiel is opgeslagen."}
GAS = {-2: "-2 — veel slechter dan verwacht", -1: "-1 — slechter dan verwacht", 0: "0 — zoals verwacht",
       1: "+1 — beter dan verwacht", 2: "+2 — veel beter dan verwacht"}
IN_FUTURE = "Deze datum ligt na vandaag; leg vast wat al gebeurd is."
_ENTRY = re.compile(r"^(assessments|interventions_log|goals|contacts|profile_history)\[\d+\]\.")


# ---------------------------------------------------------------- who, when, which case

def today_of(request: Request) -> date:
    """The server's 'today', read in one place for every caseload page (the engine reads no clock)."""
    from . import caseload

    return caseload.today()


async def coach_of(request: Request) -> Session:
    """The signed-in coach; else the sign-in page (and back here), or 403 for another role."""
    return await require(request, "coach")


async def with_store(request: Request, session: Session, work: Callable[[Store, Actor], Any]) -> Any:
    """`work(store, actor)` in the threadpool as the signed-in coach; a case that is not the
    coach's (or does not exist) is the Dutch 404 page."""
    store = store_of(request)
    try:
        return await run_in_threadpool(work, store, session.actor)
    except (NotFound, Forbidden):
        raise CaseNotFound() from None


class CaseNotFound(Exception):
    """Not this coach's case, or none at all: answered alike, with the caseload's Dutch 404 page."""


def install(app: Any) -> None:
    """The visit's, the decisions' and Mijn plan's routes, and their 404 for another's case."""
    from . import decide, plan
    from .auth import current_async

    for module in (sys.modules[__name__], decide, plan):
        app.include_router(module.router)

    @app.exception_handler(CaseNotFound)
    async def on_not_found(request: Request, exc: CaseNotFound) -> Response:
        html = page.render("error_page.html", title="Niet gevonden", status=404,
                           message="Deze deelnemer bestaat niet of hoort niet bij uw deelnemers.",
                           **menu_of(await current_async(request)))
        return HTMLResponse(html, status_code=404)


def _check_document(updated: Case, before: Case, today: date) -> dict[str, Any]:
    """The case with a new entry, for the engine's check: as of today, or of the latest date the
    case held before (never of the new entry's own date, so a visit dated in the future is refused)."""
    return case_document(updated, pinned=max(today, _latest_date(before)))


async def _load(request: Request, session: Session, case_id: str) -> Case:
    return await with_store(request, session, lambda store, actor: store.get(actor, case_id, "read"))


# ---------------------------------------------------------------- the form's values <-> a meting

def meting_values(assessment: dict[str, Any]) -> Values:
    """A stored meting as the form's values (the inverse of engine.web.form.to_assessment)."""
    values: Values = {}

    def put(name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float):
            value = (str(int(value)) if value.is_integer() else str(value)).replace(".", ",")
        values[name] = [str(value)]

    for name in ("age", "ladder_rung", "years_on_benefit", "conversations_held", "wage_value_pct"):
        put(name, assessment.get(name))
    for name, value in (assessment.get("household") or {}).items():
        put(f"household.{name}", value)
    for domain, scores in (assessment.get("domains") or {}).items():
        for part, value in scores.items():
            put(f"domains.{domain}.{part}", value)
    for name, value in (assessment.get("circumstances") or {}).items():
        if value is True:
            values[f"circumstances.{name}"] = ["on"]
        elif isinstance(value, str):
            put(f"circumstances.{name}", value)
    for name in ("wishes", "current_interventions", "consent_to_share_with"):
        values[name] = list(assessment.get(name) or [])
    for name in ("open_to_support", "consent_to_share"):
        if assessment.get(name, name == "open_to_support"):
            values[name] = ["on"]
    for factor, score in (assessment.get("igm") or {}).items():
        put(f"igm.{factor}", score)
    for row, support in enumerate(assessment.get("existing_support") or []):
        put(f"existing_support[{row}].kind", support.get("kind"))
        put(f"existing_support[{row}].organisation", support.get("organisation"))
        if support.get("trusted"):
            values[f"existing_support[{row}].trusted"] = ["on"]
    return values


# ---------------------------------------------------------------- the page

def uses_profiles(book: Any, municipality: str) -> bool:
    """Whether the rules re-calibrate a client profile in this municipality (Helmond's practice)."""
    return any(rule.kind == "recalibrate_profile" and (rule.municipalities is None or municipality in rule.municipalities)
               for rule in trajectory_of(book).rules)


class _Forms:
    """Each form's values and errors on the visit page; the one just posted keeps what was typed."""

    def __init__(self) -> None:
        self.values: dict[str, Values] = {}
        self.errors: dict[str, dict[str, str]] = {}

    def of(self, name: str) -> Any:
        return page._FormState(self.values.get(name, {}), self.errors.get(name, {}))


def _visit_page(request: Request, session: Session, case: Case, forms: _Forms | None = None, notice: str = "",
                status: int = 200, edit: tuple[str, str] | None = None) -> HTMLResponse:
    book = request.app.state.engine.book
    forms = forms or _Forms()
    today = today_of(request).isoformat()
    latest = case.assessments[-1].model_dump(mode="json", exclude_unset=True)
    meting = forms.values.get("meting") or {**meting_values(latest), "date": [today]}
    context = page._form_context(book, meting, forms.errors.get("meting"), session.csrf_token)
    context["social_map"] = page.social_map(book, case.municipality)
    labels = {iid: label.label_nl for iid, label in trajectory_of(book).labels.items()}
    labels.update({iid: item.label_nl for iid, item in book.interventions.items()})
    editing = next(((i, e) for i, e in enumerate(case.interventions_log)
                    if edit and (e.id, e.started.isoformat()) == edit), None)
    html = page.render(
        "visit.html", title="Bezoek vastleggen", case=case, notice=notice, today=today,
        municipality_name=page.municipality_names(book).get(case.municipality, case.municipality),
        log_labels=labels, log_choices=sorted(labels.items(), key=lambda kv: kv[1]),
        status_nl=STATUS_NL, result_nl=RESULT_NL, contact_nl=CONTACT_NL, reached_nl=REACHED_NL, gas=GAS,
        profiles={pid: p.label_nl for pid, p in book.profile_labels.items()},
        uses_profiles=uses_profiles(book, case.municipality), forms=forms, editing=editing,
        assessed=[d for d in DOMAIN_IDS if any(d in a.domains for a in case.assessments)], **context,
        **menu_of(session))
    return HTMLResponse(html, status_code=status)


@router.get(PREFIX + "/{case_id}/bezoek", response_class=HTMLResponse)
async def visit(request: Request, case_id: str) -> HTMLResponse:
    session = await coach_of(request)
    case = await _load(request, session, case_id)
    saved = request.query_params.get("opgeslagen", "")
    edit = (request.query_params.get("id", ""), request.query_params.get("started", ""))
    return _visit_page(request, session, case, notice=SAVED.get(saved, ""), edit=edit if all(edit) else None)


async def _posted(request: Request) -> tuple[Values, Session]:
    """The signed-in coach's form values, its CSRF token checked against the session's."""
    session = await coach_of(request)
    try:
        values = collect(await read_form(request, MAX_VISIT_FORM))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    check_csrf(request, session, values.pop("csrf_token", [""])[0])
    return values, session


def _saved(case_id: str, what: str) -> Response:
    return RedirectResponse(f"{PREFIX}/{case_id}/bezoek?opgeslagen={what}#opgeslagen", status_code=303)


# ---------------------------------------------------------------- validation as the engine validates

def _model_errors(model: type[BaseModel], entry: dict[str, Any]) -> dict[str, str]:
    """The entry against its model, each problem in Dutch at its field."""
    try:
        model.model_validate(entry)
    except ValidationError as exc:
        found: dict[str, str] = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            if err["type"].startswith("date_") or "date" in str(err.get("msg", "")).lower():
                found.setdefault(field, "Vul een datum in.")
            else:
                found.setdefault(field, dutch.message(err["type"], field, err.get("ctx"), str(err.get("msg", "")))[1])
        return found
    return {}


async def _engine_errors(request: Request, case: Case, kind: str, entry: dict[str, Any],
                         field_of: Callable[[str], str]) -> dict[str, str]:
    """The case with the entry added, through the engine as of today: what it refuses, in Dutch,
    at the form's field (`field_of` maps a path inside the entry to it)."""
    model = {"assessment": CaseAssessment,
             "intervention": InterventionLogEntry, "goal": Goal, "contact": Contact, "profile": ProfileRecord}[kind]
    try:
        updated = apply_entry(case, kind, model.model_validate(entry))
    except InputError as exc:
        return {field_of(_ENTRY.sub("", path)): dutch.input_message(path, text) for path, text in exc.problems}
    document = _check_document(updated, case, today_of(request))
    try:
        await request.app.state.matcher.recommend(document)
    except InputError as exc:
        found: dict[str, str] = {}
        for path, text in exc.problems:
            message = IN_FUTURE if "is after as_of" in text else dutch.input_message(_ENTRY.sub("", path), text)
            found.setdefault(field_of(_ENTRY.sub("", path)), message)
        return found
    return {}


async def _store_entry(request: Request, session: Session, case_id: str, entry: dict[str, Any]) -> None:
    await with_store(request, session, lambda store, actor: store.add(actor, case_id, entry))


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _refused(request: Request, session: Session, case: Case, form: str, values: Values, errors: dict[str, str],
             edit: tuple[str, str] | None = None) -> HTMLResponse:
    """The visit page again, the posted form filled in as typed, with what is wrong (422)."""
    forms = _Forms()
    forms.values[form], forms.errors[form] = values, errors
    return _visit_page(request, session, case, forms, status=422, edit=edit)


# ---------------------------------------------------------------- the saves

@router.post(PREFIX + "/{case_id}/meting", response_class=HTMLResponse)
async def save_meting(request: Request, case_id: str) -> Response:
    values, session = await _posted(request)
    case = await _load(request, session, case_id)
    data, rows, errors = to_assessment(values)
    data["municipality"] = case.municipality
    data.pop("case_id", None)
    when = first(values, "date")
    if not when:
        errors["date"] = "Vul de datum van de meting in."
    elif not _is_date(when):
        errors["date"] = "Vul een datum in."
    for path, message in dutch.validate({k: v for k, v in data.items() if k not in errors}):
        errors.setdefault(form_field(path, rows) or "date", message)
    entry = {k: v for k, v in data.items() if k not in ("municipality", "schema_version")}
    entry["date"] = when
    if not errors:
        errors = await _engine_errors(request, case, "assessment", entry, lambda path: form_field(path, rows) or "date")
    if errors:
        return _refused(request, session, case, "meting", values, errors)
    await _store_entry(request, session, case_id, entry)
    return _saved(case_id, "meting")


def _small_form(values: Values, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: first(values, name) for name in names if first(values, name)}


async def _small_errors(request: Request, case: Case, kind: str, model: type[BaseModel], entry: dict[str, Any],
                        values: Values, required: tuple[str, ...]) -> dict[str, str]:
    """What is wrong with a contact, log entry, goal or profile record: a field left empty, the
    model's refusal, then the engine's on the case with it added; {} when it fits."""
    errors = {name: "Vul dit veld in." for name in required if not first(values, name)}
    for name, message in _model_errors(model, entry).items():
        errors.setdefault(name, message)
    if not errors:
        errors = await _engine_errors(request, case, kind, entry, lambda path: path.split(".")[0] or required[0])
    return errors


async def _save_small(request: Request, case_id: str, form: str, kind: str, model: type[BaseModel],
                      entry: dict[str, Any], values: Values, session: Session, required: tuple[str, ...],
                      what: str) -> Response:
    case = await _load(request, session, case_id)
    errors = await _small_errors(request, case, kind, model, entry, values, required)
    if errors:
        return _refused(request, session, case, form, values, errors)
    await _store_entry(request, session, case_id, entry)
    return _saved(case_id, what)


@router.post(PREFIX + "/{case_id}/contact", response_class=HTMLResponse)
async def save_contact(request: Request, case_id: str) -> Response:
    values, session = await _posted(request)
    entry: dict[str, Any] = _small_form(values, ("date", "kind"))
    reached = first(values, "reached")
    if reached:
        entry["reached"] = reached == "true" if reached in REACHED_NL else reached
    return await _save_small(request, case_id, "contact", "contact", Contact, entry, values, session,
                             ("date", "kind", "reached"), "contact")


def _log_entry(values: Values) -> dict[str, Any]:
    return _small_form(values, ("id", "started", "status", "ended", "result"))


@router.post(PREFIX + "/{case_id}/interventie", response_class=HTMLResponse)
async def save_log_entry(request: Request, case_id: str) -> Response:
    values, session = await _posted(request)
    return await _save_small(request, case_id, "log", "intervention", InterventionLogEntry, _log_entry(values), values,
                             session, ("id", "started", "status"), "interventie")


@router.post(PREFIX + "/{case_id}/interventie/wijzigen", response_class=HTMLResponse)
async def change_log_entry(request: Request, case_id: str) -> Response:
    """Correct a wrong log entry (found by its original id and start) or delete it."""
    values, session = await _posted(request)
    key = (first(values, "original_id"), first(values, "original_started"))
    case = await _load(request, session, case_id)
    if not any((e.id, e.started.isoformat()) == key for e in case.interventions_log):
        # changed or deleted meanwhile (another tab): the page as it is now
        return RedirectResponse(f"{PREFIX}/{case_id}/bezoek#kop-interventies", status_code=303)
    if first(values, "delete"):
        await with_store(request, session, lambda store, actor: store.change_log_entry(actor, case_id, key, None))
        return _saved(case_id, "verwijderd")
    entry = _log_entry(values)
    # the case without the wrong entry, then the corrected one added: what the engine says of that
    without = case.model_copy(update={"interventions_log": [
        e for e in case.interventions_log if (e.id, e.started.isoformat()) != key]})
    errors = await _small_errors(request, without, "intervention", InterventionLogEntry, entry, values,
                                 ("id", "started", "status"))
    if errors:
        return _refused(request, session, case, "edit", values, errors, edit=key)
    await with_store(request, session, lambda store, actor: store.change_log_entry(actor, case_id, key, entry))
    return _saved(case_id, "gewijzigd")


@router.post(PREFIX + "/{case_id}/doel", response_class=HTMLResponse)
async def save_goal(request: Request, case_id: str) -> Response:
    values, session = await _posted(request)
    entry: dict[str, Any] = _small_form(values, ("id", "domain", "set_on", "review_on"))
    score = first(values, "gas_score")
    if score:
        entry["gas_score"] = int(score) if re.fullmatch(r"-?[0-2]", score) else score
    form = "review-" + first(values, "id") if first(values, "review") else "goal"
    return await _save_small(request, case_id, form, "goal", Goal, entry, values, session,
                             ("id", "domain", "set_on"), "doel")


@router.post(PREFIX + "/{case_id}/profiel", response_class=HTMLResponse)
async def save_profile(request: Request, case_id: str) -> Response:
    values, session = await _posted(request)
    return await _save_small(request, case_id, "profile", "profile", ProfileRecord, _small_form(values, ("date", "id")),
                             values, session, ("date", "id"), "profiel")
