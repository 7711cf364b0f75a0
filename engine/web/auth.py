"""Sign in and out of the coach's pages: a session in the store, a cookie in the browser.

GET/POST /aanmelden signs in with a name and a password (`wegwijzer user add NAME --role coach
--password`); POST /afmelden signs out. The session cookie is HttpOnly, SameSite=Strict and
Secure when the page is served over TLS (or $WEGWIJZER_SECURE_COOKIES=1 behind a TLS proxy).
Sessions live in the store (engine.store.sessions), so app instances on one database share
them. The pages never read an Authorization header: Basic auth is not a way in, and the API
under /v1 keeps its Bearer tokens.

CSRF: every form of a signed-in coach carries a token derived from the session id
(engine.store.sessions.csrf_token); engine.web.pages checks it for the older forms too. The
sign-in form itself, before there is a session, uses the pages' double-submit cookie.
"""
from __future__ import annotations

import hmac
import os
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..store import Store
from ..store.sessions import Accounts, Session, SignInRefused, csrf_token
from . import page, problems
from .form import collect, first
from .intake import TooManyFields, read_form
from .problems import Problem

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "wegwijzer_sessie"
SECURE_ENV = "WEGWIJZER_SECURE_COOKIES"
MAX_LOGIN_FORM = 8 * 1024

# Each role's menu: (path, label). The coach's has no "API"; the team lead sees the monitor
# (numbers, never a case), the admin the users.
MENUS = {
    "coach": (("/deelnemers", "Mijn deelnemers"), ("/", "Nieuwe deelnemer"), ("/casus", "Casus laden")),
    "team_lead": (("/monitor/", "Monitor"),),
    "admin": (("/beheer/gebruikers", "Gebruikers"),),
}
HOME = {"coach": "/deelnemers", "team_lead": "/monitor/", "admin": "/beheer/gebruikers"}
WRONG = "Deze combinatie van naam en wachtwoord klopt niet."
WAIT = "Te veel mislukte pogingen. Probeer het over {minutes} opnieuw."
SIGNED_OUT = "U bent afgemeld."
EXPIRED = "U bent afgemeld omdat u een tijd niets deed, of uw sessie is verlopen. Meld u opnieuw aan."


_UNSET = object()


class SignInNeeded(Exception):
    """A page for signed-in users, asked without a (valid) session: the sign-in page, then back."""

    def __init__(self, back: str):
        self.back = back


class WrongRole(Exception):
    """Signed in, but this page is for another role."""


def store_of(request: Request) -> Store:
    from .cases import case_store

    return case_store(request)


def accounts_of(request: Request) -> Accounts:
    state = request.app.state
    accounts = getattr(state, "accounts", None)
    if accounts is None or accounts.store is not store_of(request):
        state.accounts = accounts = Accounts(store_of(request))
    return accounts


def session_id_of(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def session_csrf(request: Request) -> str | None:
    """The CSRF token of the session cookie this request carries (no database needed)."""
    session_id = session_id_of(request)
    return csrf_token(session_id) if session_id else None


def current(request: Request) -> Session | None:
    """The signed-in user, or None. Only a request with a session cookie touches the store."""
    cached = getattr(request.state, "wegwijzer_session", _UNSET)
    if cached is _UNSET:
        session_id = session_id_of(request)
        cached = request.state.wegwijzer_session = accounts_of(request).session(session_id) if session_id else None
    return cached


async def current_async(request: Request) -> Session | None:
    if getattr(request.state, "wegwijzer_session", _UNSET) is not _UNSET or not session_id_of(request):
        return current(request)
    return await run_in_threadpool(current, request)


async def require(request: Request, *roles: str) -> Session:
    """The session of a user with one of `roles`; else the sign-in page (SignInNeeded) or 403."""
    session = await current_async(request)
    if session is None:
        raise SignInNeeded(request.url.path)
    if roles and session.actor.role not in roles:
        raise WrongRole()
    return session


def check_csrf(request: Request, session: Session, posted: str) -> None:
    """A signed-in form's token must be the session's; another site's origin is refused."""
    from .pages import check_origin

    check_origin(request)
    if not posted or not hmac.compare_digest(posted.encode(), session.csrf_token.encode()):
        raise Problem(403, problems.FORBIDDEN_ORIGIN, "the form's token is missing or does not match; reload the form")


def menu_of(session: Session | None) -> dict[str, Any]:
    """What base.html shows: the role's menu, the user's name and the sign-out form's token."""
    if session is None:
        return {"menu": None, "signed_in": None}
    return {"menu": MENUS.get(session.actor.role, ()), "signed_in": {
        "name": session.actor.name, "role": session.actor.role, "csrf_token": session.csrf_token}}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get(SECURE_ENV, "").lower() in ("1", "true", "yes")


def _safe_back(back: str) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect is refused."""
    return back if back.startswith("/") and not back.startswith("//") and "\\" not in back else ""


def _sign_in_page(request: Request, token: str, message: str = "", name: str = "", back: str = "",
                  status: int = 200) -> HTMLResponse:
    from .pages import _with_token

    html = page.render("sign_in.html", title="Aanmelden", csrf_token=token, message=message, name=name,
                       back=_safe_back(back), menu=None, signed_in=None)
    return _with_token(HTMLResponse(html, status_code=status), token)


@router.get("/aanmelden")
def sign_in_form(request: Request, terug: str = "", verlopen: str = "", afgemeld: str = "") -> Response:
    from .pages import _token_of

    session = current(request)
    if session is not None:  # signed in already: to the role's first page
        return RedirectResponse(_safe_back(terug) or HOME.get(session.actor.role, "/"), status_code=303)
    token = _token_of(request) or secrets.token_urlsafe(32)
    message = EXPIRED if verlopen else SIGNED_OUT if afgemeld else ""
    return _sign_in_page(request, token, message, back=terug)


@router.post("/aanmelden", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    from .pages import _check_origin_and_token

    try:
        values = collect(await read_form(request, MAX_LOGIN_FORM))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    token = first(values, "csrf_token")
    _check_origin_and_token(request, token, signed_in=False)
    name, password, back = first(values, "name"), values.get("password", [""])[0], first(values, "terug")
    address = request.client.host if request.client else "onbekend"
    accounts = accounts_of(request)
    try:
        session_id, session = await run_in_threadpool(accounts.sign_in, name, password, address)
    except SignInRefused as refused:
        wait = refused.wait.total_seconds() if refused.wait else 0
        if refused.locked:
            minutes = max(1, round(wait / 60))
            message = WAIT.format(minutes="1 minuut" if minutes == 1 else f"{minutes} minuten")
            return _sign_in_page(request, token, message, name, back, status=429)
        return _sign_in_page(request, token, WRONG, name, back, status=401)
    target = _safe_back(back) or HOME.get(session.actor.role, "/")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict", secure=_secure(request),
                        path="/")
    return response


@router.post("/afmelden")
async def sign_out(request: Request) -> Response:
    try:
        values = collect(await read_form(request, MAX_LOGIN_FORM))
    except TooManyFields as exc:
        raise Problem(422, problems.INVALID_ASSESSMENT, str(exc)) from None
    session_id = session_id_of(request)
    if session_id:
        expected = csrf_token(session_id)
        posted = first(values, "csrf_token")
        if not posted or not hmac.compare_digest(posted.encode(), expected.encode()):
            raise Problem(403, problems.FORBIDDEN_ORIGIN, "the form's token is missing or does not match")
        await run_in_threadpool(accounts_of(request).sign_out, session_id)
    response = RedirectResponse("/aanmelden?afgemeld=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def install(app: FastAPI) -> None:
    """The routes and what a page answers without a session or with another role."""
    app.include_router(router)

    @app.exception_handler(SignInNeeded)
    async def on_sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
        expired = "verlopen=1" if session_id_of(request) else ""
        # back to a page, not to a form's POST address (there is nothing to GET there)
        back = f"terug={quote(exc.back, safe='/')}" if request.method == "GET" else ""
        query = "&".join(part for part in (back, expired) if part)
        response = RedirectResponse(f"/aanmelden?{query}" if query else "/aanmelden", status_code=303)
        if expired:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(WrongRole)
    async def on_wrong_role(request: Request, exc: WrongRole) -> Response:
        session = await current_async(request)
        html = page.render("error_page.html", title="Geen toegang", status=403,
                           message="Deze pagina hoort niet bij uw rol. Kies een onderdeel uit het menu.",
                           **menu_of(session))
        return HTMLResponse(html, status_code=403)
