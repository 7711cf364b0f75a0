"""The coach's case page: load a case file, see the advice with progress, add to the history.

GET /casus is the form: upload a case file or paste one (YAML or JSON; a Case with history
or a plain Assessment). POST /casus answers with the advice page (step plan, due, progress).
On that page a coach adds a follow-up assessment, an intervention log entry or a contact
(POST /casus/toevoegen) and gets the new advice; downloads the updated case file (POST
/casus/download, an attachment) and opens the progress report (POST /rapport).

The server keeps no state: the case document travels in a hidden form field, as JSON, and
the coach keeps the file. Every POST carries the CSRF token of the coach's form (see
engine.web.pages). The document is read by the same strict readers as the CLI
(engine.caseload.parse_yaml: duplicate keys refused, at most MAX_INPUT_BYTES, bounded
depth), off the event loop by the app's reader (engine.web.intake); the matching runs in the
app's worker pool, as /advies does.
"""
from __future__ import annotations

import io
import json
import re
import secrets
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..case import is_case
from ..caseload import MAX_INPUT_BYTES, read_capped
from ..errors import InputError
from ..model import DOMAIN_IDS
from . import dutch, page, problems
from .form import _Converter, collect, first
from .intake import TooManyFields, read_document, read_form, read_upload_form
from .pages import _check_origin_and_token, _token_of, _with_token
from .problems import Problem

router = APIRouter(include_in_schema=False)

# The hidden document is URL-encoded in the form, which can triple its size.
MAX_CASE_FORM = 4 * MAX_INPUT_BYTES
NO_DOCUMENT = "Kies een bestand of plak een casus in het tekstvak."
ADDED = {"assessment": "De vervolgmeting is toegevoegd.", "log": "De interventie is vastgelegd.",
         "contact": "Het contact is vastgelegd."}
STATUS_NL = {"running": "loopt", "waiting_list": "op de wachtlijst", "completed": "afgerond", "stopped": "gestopt",
             "declined": "afgewezen"}
RESULT_NL = {"improved": "verbeterd", "no_change": "geen verandering", "worse": "verslechterd"}
CONTACT_NL = {"phone": "gebeld", "letter": "brief", "home_visit": "huisbezoek", "meeting": "gesprek"}
_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
REACHED_NL = {"true": "bereikt", "false": "niet bereikt"}


def _load_page(request: Request, token: str, errors: list[tuple[str, str]] | None = None, text: str = "",
               status: int = 200) -> HTMLResponse:
    html = page.render("case_load.html", title="Foutje in de casus" if errors else "Casus laden",
                       csrf_token=token, errors=errors or [], text=text)
    return HTMLResponse(html, status_code=status)


def _dutch(exc: InputError) -> list[tuple[str, str]]:
    return [(path, dutch.input_message(path, english)) for path, english in exc.problems]


async def _advice_page(request: Request, data: Any, token: str, notice: str = "",
                       errors: list[tuple[str, str]] | None = None, status: int = 200) -> HTMLResponse | None:
    """The case page for `data`, or None when the document does not fit (errors are appended to `errors`)."""
    engine = request.app.state.engine
    found = errors if errors is not None else []
    if not isinstance(data, dict):
        found.append(("", dutch.input_message("", "a case must be a mapping")))
        return None
    data = engine.with_municipality_id(data)  # a CBS code (GM0546) is the municipality's id (leiden)
    problems_ = dutch.validate_case(data) if is_case(data) else dutch.validate(data)
    if problems_:
        # every problem at once, as the CLI gives them: an unknown municipality too, with its suggestion
        given = data.get("municipality")
        unknown = engine.book.unknown_municipality(given) if isinstance(given, str) else None
        if unknown and not any(path == "municipality" for path, _ in problems_):
            problems_.append(("municipality", dutch.input_message("municipality", unknown)))
        found.extend(problems_)
        return None
    try:
        rec = await request.app.state.matcher.recommend(data)
    except InputError as exc:
        found.extend(_dutch(exc))
        return None
    latest = data["assessments"][-1] if is_case(data) else data
    interventions = sorted(((iid, item.label_nl) for iid, item in engine.book.interventions.items()),
                           key=lambda pair: pair[1])
    html = page.render(
        "case_page.html", title="Advies voor de casus", csrf_token=token, document=json.dumps(data, ensure_ascii=False),
        data=data, is_case=is_case(data), notice=notice, errors=errors or [], interventions=interventions,
        status_nl=STATUS_NL, result_nl=RESULT_NL, contact_nl=CONTACT_NL, reached_nl=REACHED_NL,
        **page.advice_context(engine.book, rec, latest.get("domains") or {}))
    return HTMLResponse(html, status_code=status)


@router.get("/casus", response_class=HTMLResponse)
def case_form(request: Request) -> HTMLResponse:
    token = _token_of(request) or secrets.token_urlsafe(32)
    return _with_token(_load_page(request, token), token)


@router.post("/casus", response_class=HTMLResponse)
async def load_case(request: Request) -> HTMLResponse:
    try:
        pairs = await read_upload_form(request, MAX_CASE_FORM)
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    fields: dict[str, str | bytes] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    token = fields.get("csrf_token", "")
    _check_origin_and_token(request, token if isinstance(token, str) else "")
    pasted = fields.get("document_text", "")
    pasted = pasted if isinstance(pasted, str) else ""
    upload = fields.get("document_file", b"")
    errors: list[tuple[str, str]] = []
    try:
        if isinstance(upload, bytes) and upload:
            text = read_capped(io.BytesIO(upload), "casus")
        elif pasted.strip():
            if len(pasted.encode("utf-8")) > MAX_INPUT_BYTES:
                raise InputError([("", "larger than the cap")], "casus")
            text = pasted
        else:
            return _load_page(request, str(token), [("", NO_DOCUMENT)], pasted, status=422)
        data = await read_document(request, text, "casus")  # off the event loop: engine.web.intake
    except InputError as exc:
        return _load_page(request, str(token), _dutch(exc), pasted, status=422)
    answer = await _advice_page(request, data, str(token), errors=errors)
    return answer or _load_page(request, str(token), errors, pasted, status=422)


async def _posted(request: Request) -> tuple[dict[str, list[str]], str, Any]:
    """(form values, CSRF token, the case document from the hidden field) of a case page's POST."""
    try:
        values = collect(await read_form(request, MAX_CASE_FORM))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    token = values.pop("csrf_token", [""])[0]
    _check_origin_and_token(request, token)
    try:
        data = await read_document(request, first(values, "document"), "casus")
    except InputError:
        raise Problem(400, problems.MALFORMED_JSON, "the case document in the form cannot be read") from None
    return values, token, data


def _follow_up(values: dict[str, list[str]], latest: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A new assessment: the previous one's fields, with the date and what the coach filled in now."""
    convert = _Converter(values)
    new = {key: value for key, value in latest.items() if key != "date"}
    new = {"date": first(values, "date"), **json.loads(json.dumps(new))}
    for name in ("conversations_held", "ladder_rung"):
        number = convert.whole(name)
        if number is not None:
            new[name] = number
    domains = new.setdefault("domains", {})
    for domain in DOMAIN_IDS:
        score = convert.choice(f"domains.{domain}.self_reliance")
        if score is not None:
            domains.setdefault(domain, {})["self_reliance"] = score
    return new, convert.errors


@router.post("/casus/toevoegen", response_class=HTMLResponse)
async def add_to_case(request: Request) -> HTMLResponse:
    values, token, data = await _posted(request)
    kind = first(values, "what")
    if not is_case(data) or kind not in ADDED:
        raise Problem(400, problems.MALFORMED_JSON, "nothing to add to")
    updated = json.loads(json.dumps(data))
    errors: list[tuple[str, str]] = []
    if kind == "assessment":
        new, wrong = _follow_up(values, updated["assessments"][-1])
        errors += [(name, message) for name, message in wrong.items()]
        updated["assessments"].append(new)
    elif kind == "log":
        entry = {"id": first(values, "id"), "started": first(values, "started"), "status": first(values, "status")}
        for name in ("ended", "result"):
            if first(values, name):
                entry[name] = first(values, name)
        updated.setdefault("interventions_log", []).append(entry)
    else:
        reached = first(values, "reached")
        updated.setdefault("contacts", []).append(
            {"date": first(values, "date"), "kind": first(values, "kind"),
             "reached": reached == "true" if reached in REACHED_NL else reached})
    notice = ADDED[kind]
    added = first(values, "date") or first(values, "started")
    ended = first(values, "ended") if kind == "log" else ""
    latest = max(added, ended)
    if isinstance(updated.get("as_of"), str) and _ISO.match(latest) and latest > updated["as_of"]:
        # what the coach records now happened by 'today': the case's as_of moves up to it
        updated["as_of"] = latest
        notice += f" De peildatum van de casus is nu {latest}."
    if not errors:
        answer = await _advice_page(request, updated, token, notice=notice, errors=errors)
        if answer is not None:
            return answer
    # the addition does not fit: the case as it was, with what is wrong with the addition
    answer = await _advice_page(request, data, token, errors=errors, status=422)
    if answer is None:
        raise Problem(400, problems.MALFORMED_JSON, "the case document in the form does not fit")
    return answer


@router.post("/casus/download")
async def download_case(request: Request) -> Response:
    _, _, data = await _posted(request)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(data.get("case_id") or "casus"))[:64] if isinstance(data, dict) else "casus"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    return Response(text, media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'})


@router.post("/rapport", response_class=HTMLResponse)
async def report(request: Request) -> HTMLResponse:
    _, token, data = await _posted(request)
    if not is_case(data):
        return HTMLResponse(page.error_page(422, "Een voortgangsrapportage hoort bij een casus met gedateerde "
                                                 "metingen (een document met 'assessments')."), status_code=422)
    try:
        return HTMLResponse(await request.app.state.matcher.report(data))
    except InputError as exc:
        message = "; ".join(f"{dutch.field_nl(path)} ({path}): {text}" if path else text for path, text in _dutch(exc))
        return HTMLResponse(page.error_page(422, message), status_code=422)
