"""Routes of the coach's page: GET / (the form) and POST /advies (the result, or the form with errors).

Works without JavaScript: a plain form POST, answered with a full page. Everything a coach
reads here is Dutch, errors included (engine.web.dutch).

Cross-site posts are refused. The page is served with `Referrer-Policy: no-referrer`, so a
browser sends no Referer and `Origin: null` with our own form; the origin can therefore not
prove where a post comes from. The form carries a CSRF token instead (double submit): GET /
sets a random token in an HttpOnly, SameSite=Strict cookie and the same token in a hidden
field; a post must bring both, equal. An Origin header that names another site is refused
as well.
"""
from __future__ import annotations

import hmac
import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..errors import InputError
from . import dutch, page, problems
from .form import collect, form_field, to_assessment
from .intake import TooManyFields, read_form
from .problems import Problem

router = APIRouter(include_in_schema=False)
PAGE_PATHS = ("/", "/advies", "/casus", "/casus/toevoegen", "/casus/download", "/rapport", "/aanmelden", "/afmelden")
PAGE_PREFIXES = ("/deelnemers", "/beheer", "/monitor")  # the signed-in pages (engine.web.auth, .caseload)
CSRF_COOKIE = "wegwijzer_csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

# What the coach reads for each problem status (the API's problem documents stay English).
DUTCH_STATUS = {
    400: "Het formulier kon niet gelezen worden. Open het formulier opnieuw en probeer het nog eens.",
    401: "Log eerst in om de deelnemers te zien.",
    404: "Deze deelnemer is niet gevonden, of hoort niet bij u.",
    403: "Dit formulier is verlopen of komt niet van deze site. Open het formulier opnieuw en vul het nog eens in.",
    408: "Het versturen duurde te lang. Probeer het nog eens.",
    413: "Het formulier is te groot om te verwerken.",
    422: "Het formulier heeft te veel velden (meer dan 1000); open het formulier opnieuw.",
    503: "Wegwijzer kon dit advies nu niet opstellen; het onderdeel dat het advies maakt is opnieuw gestart. "
         "Verstuur het formulier nog een keer.",
}
BUSY = "Wegwijzer is nu erg druk. Probeer het over een moment opnieuw."


def wants_page(request: Request) -> bool:
    return request.url.path in PAGE_PATHS or request.url.path.startswith(PAGE_PREFIXES)


def _token_of(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if _TOKEN.match(token) else ""


def _with_token(response: HTMLResponse, token: str) -> HTMLResponse:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise Problem(403, problems.FORBIDDEN_ORIGIN, "the form was posted from another site")


def _check_origin_and_token(request: Request, posted: str, signed_in: bool = True) -> None:
    check_origin(request)
    from .auth import session_csrf

    # a signed-in coach's forms carry the session's token (engine.web.auth); the stateless
    # forms (and the sign-in form) the double-submit cookie's
    session_token = session_csrf(request) if signed_in else None
    if session_token and posted and hmac.compare_digest(session_token.encode(), posted.encode()):
        return
    cookie = _token_of(request)
    if not cookie or not hmac.compare_digest(cookie.encode(), posted.encode()):
        raise Problem(403, problems.FORBIDDEN_ORIGIN, "the form's token is missing or does not match; reload the form")


@router.get("/", response_class=HTMLResponse)
def form(request: Request) -> HTMLResponse:
    from .auth import current, menu_of

    session = current(request)  # a signed-in coach may store the intake as a new participant
    token = session.csrf_token if session else _token_of(request) or secrets.token_urlsafe(32)
    html = page.form_page(request.app.state.engine.book, {"open_to_support": ["on"]}, csrf_token=token,
                          extra=menu_of(session))
    return HTMLResponse(html) if session else _with_token(HTMLResponse(html), token)


@router.post("/advies", response_class=HTMLResponse)
async def advise(request: Request) -> HTMLResponse:
    engine = request.app.state.engine
    try:
        pairs = await read_form(request, request.app.state.max_body)
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    values = collect(pairs)
    token = values.pop("csrf_token", [""])[0]
    _check_origin_and_token(request, token)
    data, rows, errors = to_assessment(values)
    for path, message in dutch.validate({k: v for k, v in data.items() if k not in errors}):
        errors.setdefault(form_field(path, rows) or "municipality", message)
    from .auth import current_async, menu_of

    extra = menu_of(await current_async(request))  # a signed-in coach's menu and "Opslaan als nieuwe deelnemer"
    if not errors:
        try:
            rec = await request.app.state.matcher.recommend(data)
        except InputError as exc:
            for path, english in exc.problems:
                errors.setdefault(form_field(path, rows) or "municipality", dutch.engine_message(path, english))
        else:
            return HTMLResponse(page.result_page(engine.book, rec, data["domains"], values, csrf_token=token,
                                                 extra=extra))
    return HTMLResponse(page.form_page(engine.book, values, errors, csrf_token=token, extra=extra), status_code=422)


async def on_problem(request: Request, exc: Problem) -> HTMLResponse:
    if exc.type == problems.BUSY:
        message = BUSY
    else:
        message = DUTCH_STATUS.get(exc.status, "Er ging iets mis bij het verwerken van het formulier.")
    return HTMLResponse(page.error_page(exc.status, message), status_code=exc.status, headers=exc.headers)


def busy_page(status: int = 503) -> HTMLResponse:
    """The request caps' 503 (the server is full) or 429 (this address has its share) for a coach
    (engine.web.guard), in Dutch."""
    return HTMLResponse(page.error_page(status, BUSY), status_code=status, headers={"Retry-After": "1"})
