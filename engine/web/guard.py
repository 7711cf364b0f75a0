"""ASGI middleware around the whole app: access log, bearer token, security headers, a cap
on concurrent requests (in all and per client address), a deadline for reading the body,
the API's cross-site defences, relative redirects, and a last-resort 500.

The access log names method, path (without query string) and status, nothing else: no
body, no query, no header, so no assessment content reaches a log line. The path is
percent-decoded by the server, so control characters in it are escaped before logging (a
path with a newline cannot forge a second log line). An unexpected exception is logged by
its type only (its message could quote input) and answered with a problem+json 500; it is
not re-raised, so the server does not log it either.

Every response gets the hardening headers (HEADERS); the pages and answers, which hold a
client's data, also `Cache-Control: no-store`. More than `max_requests` requests at once
(besides /healthz) get 503 with Retry-After instead of queueing without bound. A body that
does not arrive within `body_timeout` seconds ends the request with 408. One client address
may have at most `max_per_client` requests under way (besides /healthz); more get 429 with
Retry-After, so that a hundred slow bodies from one address leave room for everyone else.
`Load` holds the counts; /healthz reports them.

The API (/v1/...) is for programs, never for a browser's ambient credentials: it takes only
`Authorization: Bearer` (HTTP Basic, which a browser replays on any request to the origin,
is for the pages only), a request body must be `application/json` (a cross-site HTML form
can send only form or text bodies without asking first), and a request whose `Origin`
names another site (or `null`) is refused with 403. A `Location` header is always
relative: the server never builds an address from the request's `Host` header.
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

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
DEFAULT_MAX_PER_CLIENT = 8
DEFAULT_BODY_TIMEOUT = 30.0
API_PREFIX = "/v1/"
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Load:
    """Requests under way, in all and per client address (what /healthz reports)."""

    max_requests: int = DEFAULT_MAX_REQUESTS
    max_per_client: int = DEFAULT_MAX_PER_CLIENT
    in_flight: int = 0
    per_client: Counter = field(default_factory=Counter)
    refused: int = 0  # requests refused for the caps since the start

    def report(self) -> dict[str, Any]:
        saturated = self.in_flight >= self.max_requests
        return {"in_flight": self.in_flight, "max_requests": self.max_requests,
                "clients": len(self.per_client), "clients_at_cap": sum(1 for n in self.per_client.values()
                                                                       if n >= self.max_per_client),
                "max_per_client": self.max_per_client, "refused": self.refused, "saturated": saturated}


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


def _presented_token(headers: list[tuple[bytes, bytes]], basic: bool = True) -> str | None:
    """The token of the Authorization header: Bearer, or (when `basic`, the pages) the password of Basic."""
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        text = value.decode("latin-1")
        scheme, _, credential = text.partition(" ")
        if scheme.lower() == "bearer":
            return credential.strip()
        if basic and scheme.lower() == "basic":  # a browser: any user name, the token as password
            try:
                return base64.b64decode(credential.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                return None
    return None


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name.lower() == wanted:
            return value.decode("latin-1")
    return None


def _sends_basic(headers: list[tuple[bytes, bytes]]) -> bool:
    value = _header(headers, b"authorization")
    return value is not None and value.strip().lower().startswith("basic")


def _foreign_origin(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when an Origin header is present and names another site than this server (or `null`)."""
    origin = _header(headers, b"origin")
    if origin is None:
        return False
    host = (_header(headers, b"host") or "").strip().lower()
    parts = urlsplit(origin.strip().lower())
    return origin.strip() == "null" or not host or parts.scheme not in ("http", "https") or parts.netloc != host


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    length = _header(headers, b"content-length")
    if _header(headers, b"transfer-encoding") is not None:
        return True
    try:
        return length is not None and int(length) > 0
    except ValueError:
        return True  # a Content-Length that is no number: treat as a body (intake answers 400)


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    media = (_header(headers, b"content-type") or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _relative(location: bytes) -> bytes:
    """A Location without scheme and host: the browser resolves it against the address it asked."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    path = "/" + parts.path.lstrip("/")  # never '//host': that would be an address on another site again
    return (path + (f"?{parts.query}" if parts.query else "")).encode("latin-1")


def _client(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


class Guard:
    def __init__(self, app: Any, token: str | None = None, max_requests: int = DEFAULT_MAX_REQUESTS,
                 body_timeout: float = DEFAULT_BODY_TIMEOUT, max_per_client: int = DEFAULT_MAX_PER_CLIENT,
                 load: Load | None = None):
        self.app = app
        self.token = token or None
        self.body_timeout = body_timeout
        self.load = load if load is not None else Load()
        self.load.max_requests = max_requests
        self.load.max_per_client = max(1, max_per_client)

    @property
    def in_flight(self) -> int:
        return self.load.in_flight

    @property
    def max_requests(self) -> int:
        return self.load.max_requests

    def _authorised(self, scope: dict[str, Any]) -> bool:
        if self.token is None or scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIXES + SESSION_PREFIXES):
            return True
        presented = _presented_token(scope.get("headers", []), basic=not scope["path"].startswith(API_PREFIX))
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    async def _refuse_cross_site(self, scope: dict[str, Any], receive: Any, send: Any) -> bool:
        """The API's CSRF defences (see the module text); True when the request was answered."""
        headers = scope.get("headers", [])
        if _sends_basic(headers):
            await problems.response(401, problems.UNAUTHORIZED, "the API takes 'Authorization: Bearer <token>' only, "
                                    "not Basic", headers={"WWW-Authenticate": 'Bearer realm="wegwijzer"'})(
                scope, receive, send)
        elif _foreign_origin(headers):
            await problems.response(403, problems.FORBIDDEN_ORIGIN, "requests from another site's page are refused")(
                scope, receive, send)
        elif scope["method"] in BODY_METHODS and _has_body(headers) and not _is_json(headers):
            await problems.response(415, problems.UNSUPPORTED_MEDIA_TYPE,
                                    "send the body as application/json (Content-Type)")(scope, receive, send)
        else:
            return False
        return True

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0, "sent": False}
        path = scope["path"]
        deadline = started + self.body_timeout
        load = self.load

        async def send_noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["sent"] = True
                headers = [(n, _relative(v) if n.lower() == b"location" else v) for n, v in message.get("headers", [])]
                message = {**message, "headers": _security_headers(path, headers)}
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
        client = _client(scope)
        try:
            if counted and (load.in_flight >= load.max_requests or load.per_client[client] >= load.max_per_client):
                await self._busy(scope, receive, send_noting, per_client=load.in_flight < load.max_requests)
                return
            if path.startswith(API_PREFIX) and await self._refuse_cross_site(scope, receive, send_noting):
                return
            if counted:
                load.in_flight += 1
                load.per_client[client] += 1
            try:
                if self._authorised(scope):
                    await self.app(scope, receive_by_deadline, send_noting)
                else:
                    await self._unauthorised(scope, receive, send_noting)
            finally:
                if counted:
                    load.in_flight -= 1
                    load.per_client[client] -= 1
                    if load.per_client[client] <= 0:
                        del load.per_client[client]
        except Exception as exc:  # noqa: BLE001 - the last resort; type only, never the message
            log.error("unhandled %s in %s %s", type(exc).__name__, scope["method"], loggable(path))
            if not state["sent"]:
                await problems.response(500, problems.INTERNAL, "an unexpected error; the server log names its type")(
                    scope, receive, send_noting)
        finally:
            log.info("%s %s %s %.0fms", scope["method"], loggable(path), state["status"],
                     (time.perf_counter() - started) * 1000)

    async def _busy(self, scope: dict[str, Any], receive: Any, send: Any, per_client: bool) -> None:
        """503 when the server is full, 429 when this client address has its share; Dutch on a page."""
        from .pages import PAGE_PATHS, busy_page

        self.load.refused += 1
        if scope["path"] in PAGE_PATHS:  # a coach gets the Dutch page
            await busy_page(429 if per_client else 503)(scope, receive, send)
        elif per_client:
            await problems.response(429, problems.BUSY, f"more than {self.load.max_per_client} requests at once "
                                    "from your address; try again in a moment",
                                    headers={"Retry-After": "1"})(scope, receive, send)
        else:
            await problems.response(503, problems.BUSY, "too many requests at once; try again in a moment",
                                    headers={"Retry-After": "1"})(scope, receive, send)

    async def _unauthorised(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        api = scope["path"].startswith(API_PREFIX)
        challenge = 'Bearer realm="wegwijzer"' if api else 'Basic realm="wegwijzer", charset="UTF-8"'
        detail = ("send 'Authorization: Bearer <token>'" if api
                  else "log in with any user name and the server's token as password")
        await problems.response(401, problems.UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})(
            scope, receive, send)
