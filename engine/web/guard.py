"""ASGI middleware around the whole app: access log, bearer token, security headers, a cap
on concurrent requests, a deadline for reading the body, and a last-resort 500.

The access log names method, path (without query string) and status, nothing else: no
body, no query, no header, so no assessment content reaches a log line. The path is
percent-decoded by the server, so control characters in it are escaped before logging (a
path with a newline cannot forge a second log line). An unexpected exception is logged by
its type only (its message could quote input) and answered with a problem+json 500; it is
not re-raised, so the server does not log it either.

Every response gets the hardening headers (HEADERS); the pages and answers, which hold a
client's data, also `Cache-Control: no-store`. More than `max_requests` requests at once
(besides /healthz) get 503 with Retry-After instead of queueing without bound. A body that
does not arrive within `body_timeout` seconds ends the request with 408.
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import re
import time
from typing import Any

from . import problems
from .problems import Problem

log = logging.getLogger("wegwijzer.web")

# Paths that stay open when a token is set: liveness and the published contract.
OPEN_PATHS = ("/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
# The API viewers' own assets (served from the installed fastapi-offline package) are open with them.
OPEN_PREFIXES = ("/static/docs/",)
# The signed-in pages (engine/web/auth.py) check their own session and never the server
# token: a coach is not asked for a Basic password, and their stylesheet comes with them.
SESSION_PREFIXES = ("/aanmelden", "/afmelden", "/deelnemers", "/beheer/", "/monitor", "/static/wegwijzer.css")
DOC_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")

# The page needs nothing but itself: no script at all, its own stylesheet, inline SVG.
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
# The progress report (POST /rapport) is engine.report's self-contained page: its stylesheet
# is inline, so that the page works offline when saved or printed. Still no script.
REPORT_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# Swagger UI and ReDoc are script applications; their scripts come from this server only.
# Their inline bootstrap script and ReDoc's generated styles need 'unsafe-inline'.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer")]
DEFAULT_MAX_REQUESTS = 64
DEFAULT_BODY_TIMEOUT = 30.0


_CASE_PATH = re.compile(r"^(/v1/cases/|/deelnemers/)[^/]+")
# a stored case's report and the team lead's monitor (engine/web/caseload.py): self-contained pages, inline style
_STORED_REPORT = re.compile(r"^(/deelnemers/[^/]+/rapport|/monitor/.*)$")


def loggable(path: str) -> str:
    """The path with a case id masked (/v1/cases/{id}/...: which case was read is the audit
    trail's to record, not the access log's) and control and other non-printing characters
    escaped (\\n, \\x1b, \\u2028)."""
    path = _CASE_PATH.sub(r"\1{id}", path)
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in path)


def _security_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    extra = [(name, value) for name, value in HEADERS if name not in present]
    csp = DOCS_CSP if path in DOC_PATHS else REPORT_CSP if path == "/rapport" or _STORED_REPORT.match(path) else PAGE_CSP
    extra.append((b"content-security-policy", csp.encode()))
    if not path.startswith("/static/") and b"cache-control" not in present:
        extra.append((b"cache-control", b"no-store"))
    return [(n, v) for n, v in headers if n.lower() != b"content-security-policy"] + extra


def _presented_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        text = value.decode("latin-1")
        scheme, _, credential = text.partition(" ")
        if scheme.lower() == "bearer":
            return credential.strip()
        if scheme.lower() == "basic":  # a browser: any user name, the token as password
            try:
                return base64.b64decode(credential.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                return None
    return None


class Guard:
    def __init__(self, app: Any, token: str | None = None, max_requests: int = DEFAULT_MAX_REQUESTS,
                 body_timeout: float = DEFAULT_BODY_TIMEOUT):
        self.app = app
        self.token = token or None
        self.max_requests = max_requests
        self.body_timeout = body_timeout
        self.in_flight = 0

    def _authorised(self, scope: dict[str, Any]) -> bool:
        if self.token is None or scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIXES + SESSION_PREFIXES):
            return True
        presented = _presented_token(scope.get("headers", []))
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0, "sent": False}
        path = scope["path"]
        deadline = started + self.body_timeout

        async def send_noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["sent"] = True
                message = {**message, "headers": _security_headers(path, list(message.get("headers", [])))}
            await send(message)

        async def receive_by_deadline() -> dict[str, Any]:
            remaining = deadline - time.perf_counter()
            try:
                if remaining <= 0:
                    raise asyncio.TimeoutError
                return await asyncio.wait_for(receive(), remaining)
            except asyncio.TimeoutError:
                raise Problem(408, problems.REQUEST_TIMEOUT,
                              f"the request body did not arrive within {self.body_timeout:g} seconds",
                              headers={"Connection": "close"}) from None

        counted = path != "/healthz"
        try:
            if counted and self.in_flight >= self.max_requests:
                from .pages import PAGE_PATHS, busy_page

                if path in PAGE_PATHS:  # a coach gets the Dutch page
                    await busy_page()(scope, receive, send_noting)
                else:
                    await problems.response(503, problems.BUSY, "too many requests at once; try again in a moment",
                                            headers={"Retry-After": "1"})(scope, receive, send_noting)
                return
            if counted:
                self.in_flight += 1
            try:
                if self._authorised(scope):
                    await self.app(scope, receive_by_deadline, send_noting)
                else:
                    await self._unauthorised(scope, receive, send_noting)
            finally:
                if counted:
                    self.in_flight -= 1
        except Exception as exc:  # noqa: BLE001 - the last resort; type only, never the message
            log.error("unhandled %s in %s %s", type(exc).__name__, scope["method"], loggable(path))
            if not state["sent"]:
                await problems.response(500, problems.INTERNAL, "an unexpected error; the server log names its type")(
                    scope, receive, send_noting)
        finally:
            log.info("%s %s %s %.0fms", scope["method"], loggable(path), state["status"],
                     (time.perf_counter() - started) * 1000)

    async def _unauthorised(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        api = scope["path"].startswith("/v1/")
        challenge = 'Bearer realm="wegwijzer"' if api else 'Basic realm="wegwijzer", charset="UTF-8"'
        detail = ("send 'Authorization: Bearer <token>'" if api
                  else "log in with any user name and the server's token as password")
        await problems.response(401, problems.UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})(
            scope, receive, send)
