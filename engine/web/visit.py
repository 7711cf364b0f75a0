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

"Today" is the server's clock (`app.state.today`, a callable; tests pin it), never a rule's.
"""
from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..history import trajectory_of
from ..model import DOMAIN_IDS, Case, CaseAssessment, Contact, Goal, InterventionLogEntry, ProfileRecord
from ..store import Forbidden, NotFound, Store, Unauthorised
from ..store.repo import Actor, apply_entry
from . import dutch, labels as L, page, problems
from .cases import case_store
from .casepage import CONTACT_NL, REACHED_NL, RESULT_NL, STATUS_NL
from .form import Values, collect, first, form_field, to_assessment
from .intake import TooManyFields, read_form
from .pages import _check_origin_and_token, _token_of, _with_token
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
NOT_LOGGED_IN = "Log eerst in om de deelnemers te zien."
NOT_FOUND = "Deze deelnemer is niet gevonden, of hoort niet bij u."
IN_FUTURE = "Deze datum ligt na vandaag; leg vast wat al gebeurd is."
_ENTRY = re.compile(r"^(assessments|interventions_log|goals|contacts|profile_history)\[\d+\]\.")


# ---------------------------------------------------------------- who, when, which case

def today_of(request: Request) -> date:
    """The server's 'today' (the engine reads no clock): app.state.today() when set, else the date."""
    clock: Callable[[], date] | None = getattr(request.app.state, "today", None)
    return clock() if clock else date.today()


def actor_of(request: Request, store: Store) -> Actor:
    """The signed-in coach (set on request.state by the session layer), else the store's own
    rule: the local user of an embedded store; a shared store without a session refuses."""
    signed_in = getattr(request.state, "actor", None)
    return signed_in if signed_in is not None else store.actor(None)


async def with_store(request: Request, work: Callable[[Store, Actor], Any]) -> Any:
    """`work(store, actor)` in the threadpool; store refusals become the coach's Dutch error page."""
    store = case_store(request)
    try:
        actor = actor_of(request, store)
        return await run_in_threadpool(work, store, actor)
    except Unauthorised:
        raise Problem(401, problems.UNAUTHORIZED, NOT_LOGGED_IN) from None
    except (NotFound, Forbidden):
        raise Problem(404, problems.INVALID_ASSESSMENT, NOT_FOUND) from None


def engine_document(case: Case, today: date, extra_dates: tuple[date, ...] = ()) -> dict[str, Any]:
    """The case as the engine reads it, as of today. A case file's own `as_of` is the day it was
    written, not a ceiling for later visits: the advice is as of today, or of the case's latest
    date when a record lies later (an imported file from the future)."""
    data = case.model_dump(mode="json", by_alias=True, exclude_none=True)
    stored = [a.date for a in case.assessments]
    stored += [d for e in case.interventions_log for d in (e.started, e.ended) if d]
    stored += [c.date for c in case.contacts] + [p.date for p in case.profile_history] + [g.set_on for g in case.goals]
    stored = [d for d in stored if d not in extra_dates]
    data["as_of"] = max([today, *stored]).isoformat()
    return data


async def _load(request: Request, case_id: str) -> Case:
    return await with_store(request, lambda store, actor: store.get(actor, case_id, "read"))


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


def _visit_page(request: Request, case: Case, token: str, forms: _Forms | None = None, notice: str = "",
                status: int = 200, edit: tuple[str, str] | None = None) -> HTMLResponse:
    book = request.app.state.engine.book
    forms = forms or _Forms()
    today = today_of(request).isoformat()
    latest = case.assessments[-1].model_dump(mode="json", exclude_unset=True)
    meting = forms.values.get("meting") or {**meting_values(latest), "date": [today]}
    context = page._form_context(book, meting, forms.errors.get("meting"), token)
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
        assessed=[d for d in DOMAIN_IDS if any(d in a.domains for a in case.assessments)], **context)
    return HTMLResponse(html, status_code=status)


@router.get(PREFIX + "/{case_id}/bezoek", response_class=HTMLResponse)
async def visit(request: Request, case_id: str) -> HTMLResponse:
    case = await _load(request, case_id)
    token = _token_of(request) or secrets.token_urlsafe(32)
    saved = request.query_params.get("opgeslagen", "")
    edit = (request.query_params.get("id", ""), request.query_params.get("started", ""))
    return _with_token(_visit_page(request, case, token, notice=SAVED.get(saved, ""),
                                   edit=edit if all(edit) else None), token)


async def _posted(request: Request) -> tuple[Values, str]:
    try:
        values = collect(await read_form(request, MAX_VISIT_FORM))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    token = values.pop("csrf_token", [""])[0]
    _check_origin_and_token(request, token)
    return values, token


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
                         field_of: Callable[[str], str], new_dates: tuple[date, ...]) -> dict[str, str]:
    """The case with the entry added, through the engine as of today: what it refuses, in Dutch,
    at the form's field (`field_of` maps a path inside the entry to it)."""
    model = {"assessment": CaseAssessment,
             "intervention": InterventionLogEntry, "goal": Goal, "contact": Contact, "profile": ProfileRecord}[kind]
    try:
        updated = apply_entry(case, kind, model.model_validate(entry))
    except InputError as exc:
        return {field_of(_ENTRY.sub("", path)): dutch.input_message(path, text) for path, text in exc.problems}
    document = engine_document(updated, today_of(request), new_dates)
    try:
        await request.app.state.matcher.recommend(document)
    except InputError as exc:
        found: dict[str, str] = {}
        for path, text in exc.problems:
            message = IN_FUTURE if "is after as_of" in text else dutch.input_message(_ENTRY.sub("", path), text)
            found.setdefault(field_of(_ENTRY.sub("", path)), message)
        return found
    return {}


async def _store_entry(request: Request, case_id: str, entry: dict[str, Any]) -> None:
    await with_store(request, lambda store, actor: store.add(actor, case_id, entry))


def _dates(*texts: str) -> tuple[date, ...]:
    out = []
    for text in texts:
        try:
            out.append(date.fromisoformat(text))
        except ValueError:
            pass
    return tuple(out)


# ---------------------------------------------------------------- the saves

@router.post(PREFIX + "/{case_id}/meting", response_class=HTMLResponse)
async def save_meting(request: Request, case_id: str) -> Response:
    values, token = await _posted(request)
    case = await _load(request, case_id)
    data, rows, errors = to_assessment(values)
    data["municipality"] = case.municipality
    data.pop("case_id", None)
    when = first(values, "date")
    if not when:
        errors["date"] = "Vul de datum van de meting in."
    elif not _dates(when):
        errors["date"] = "Vul een datum in."
    for path, message in dutch.validate({k: v for k, v in data.items() if k not in errors}):
        errors.setdefault(form_field(path, rows) or "date", message)
    entry = {k: v for k, v in data.items() if k not in ("municipality", "schema_version")}
    entry["date"] = when
    if not errors:
        errors = await _engine_errors(request, case, "assessment", entry,
                                      lambda path: form_field(path, rows) or "date", _dates(when))
    if errors:
        forms = _Forms()
        forms.values["meting"], forms.errors["meting"] = values, errors
        return _visit_page(request, case, token, forms, status=422)
    await _store_entry(request, case_id, entry)
    return _saved(case_id, "meting")


def _small_form(values: Values, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: first(values, name) for name in names if first(values, name)}


async def _save_small(request: Request, case_id: str, form: str, kind: str, model: type[BaseModel],
                      entry: dict[str, Any], values: Values, token: str, required: tuple[str, ...],
                      dates: tuple[str, ...]) -> Response | None:
    """Validate a contact, log entry, goal or profile record; the page with the errors, or None when it fits."""
    case = await _load(request, case_id)
    errors = {name: "Vul dit veld in." for name in required if not first(values, name)}
    for name, message in _model_errors(model, entry).items():
        errors.setdefault(name, message)
    if not errors:
        errors = await _engine_errors(request, case, kind, entry, lambda path: path.split(".")[0] or required[0],
                                      _dates(*(first(values, d) for d in dates)))
    if errors:
        forms = _Forms()
        forms.values[form], forms.errors[form] = values, errors
        return _visit_page(request, case, token, forms, status=422)
    return None


@router.post(PREFIX + "/{case_id}/contact", response_class=HTMLResponse)
async def save_contact(request: Request, case_id: str) -> Response:
    values, token = await _posted(request)
    entry: dict[str, Any] = _small_form(values, ("date", "kind"))
    reached = first(values, "reached")
    if reached:
        entry["reached"] = reached == "true" if reached in REACHED_NL else reached
    refused = await _save_small(request, case_id, "contact", "contact", Contact, entry, values, token,
                                ("date", "kind", "reached"), ("date",))
    if refused:
        return refused
    await _store_entry(request, case_id, entry)
    return _saved(case_id, "contact")


def _log_entry(values: Values) -> dict[str, Any]:
    return _small_form(values, ("id", "started", "status", "ended", "result"))


@router.post(PREFIX + "/{case_id}/interventie", response_class=HTMLResponse)
async def save_log_entry(request: Request, case_id: str) -> Response:
    values, token = await _posted(request)
    entry = _log_entry(values)
    refused = await _save_small(request, case_id, "log", "intervention", InterventionLogEntry, entry, values, token,
                                ("id", "started", "status"), ("started", "ended"))
    if refused:
        return refused
    await _store_entry(request, case_id, entry)
    return _saved(case_id, "interventie")


@router.post(PREFIX + "/{case_id}/interventie/wijzigen", response_class=HTMLResponse)
async def change_log_entry(request: Request, case_id: str) -> Response:
    """Correct a wrong log entry (found by its original id and start) or delete it."""
    values, token = await _posted(request)
    key = (first(values, "original_id"), first(values, "original_started"))
    if first(values, "delete"):
        await with_store(request, lambda store, actor: store.change_log_entry(actor, case_id, key, None))
        return _saved(case_id, "verwijderd")
    case = await _load(request, case_id)
    entry = _log_entry(values)
    errors = {name: "Vul dit veld in." for name in ("id", "started", "status") if not first(values, name)}
    for name, message in _model_errors(InterventionLogEntry, entry).items():
        errors.setdefault(name, message)
    if not errors:
        # the case without the wrong entry, then the corrected one added: what the engine says of that
        without = case.model_copy(update={"interventions_log": [
            e for e in case.interventions_log if (e.id, e.started.isoformat()) != key]})
        errors = await _engine_errors(request, without, "intervention", entry, lambda path: path.split(".")[0] or "id",
                                      _dates(first(values, "started"), first(values, "ended")))
    if errors:
        forms = _Forms()
        forms.values["edit"], forms.errors["edit"] = values, errors
        return _visit_page(request, case, token, forms, status=422, edit=key)
    await with_store(request, lambda store, actor: store.change_log_entry(actor, case_id, key, entry))
    return _saved(case_id, "gewijzigd")


@router.post(PREFIX + "/{case_id}/doel", response_class=HTMLResponse)
async def save_goal(request: Request, case_id: str) -> Response:
    values, token = await _posted(request)
    entry: dict[str, Any] = _small_form(values, ("id", "domain", "set_on", "review_on"))
    score = first(values, "gas_score")
    if score:
        entry["gas_score"] = int(score) if re.fullmatch(r"-?[0-2]", score) else score
    form = "review-" + first(values, "id") if first(values, "review") else "goal"
    refused = await _save_small(request, case_id, form, "goal", Goal, entry, values, token,
                                ("id", "domain", "set_on"), ("set_on",))
    if refused:
        return refused
    await _store_entry(request, case_id, entry)
    return _saved(case_id, "doel")


@router.post(PREFIX + "/{case_id}/profiel", response_class=HTMLResponse)
async def save_profile(request: Request, case_id: str) -> Response:
    values, token = await _posted(request)
    entry = _small_form(values, ("date", "id"))
    refused = await _save_small(request, case_id, "profile", "profile", ProfileRecord, entry, values, token,
                                ("date", "id"), ("date",))
    if refused:
        return refused
    await _store_entry(request, case_id, entry)
    return _saved(case_id, "profiel")
