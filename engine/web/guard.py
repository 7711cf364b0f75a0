"""ASGI middleware around the whole app: access log, bearer token, and a last-resort 500.

The access log names method, path (without query string) and status, nothing else: no
body, no query, no header, so no assessment content reaches a log line. An unexpected
exception is logged by its type only (its message could quote input) and answered with
a problem+json 500; it is not re-raised, so the server does not log it either.
"""
from __future__ import annotations

import base64
import hmac
import logging
import time
from typing import Any

from . import problems

log = logging.getLogger("wegwijzer.web")

# Paths that stay open when a token is set: liveness and the published contract.
OPEN_PATHS = ("/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


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
    def __init__(self, app: Any, token: str | None = None):
        self.app = app
        self.token = token or None

    def _authorised(self, scope: dict[str, Any]) -> bool:
        if self.token is None or scope["path"] in OPEN_PATHS:
            return True
        presented = _presented_token(scope.get("headers", []))
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0, "sent": False}

        async def send_noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["sent"] = True
            await send(message)

        try:
            if self._authorised(scope):
                await self.app(scope, receive, send_noting)
            else:
                await self._unauthorised(scope, receive, send_noting)
        except Exception as exc:  # noqa: BLE001 - the last resort; type only, never the message
            log.error("unhandled %s in %s %s", type(exc).__name__, scope["method"], scope["path"])
            if not state["sent"]:
                await problems.response(500, problems.INTERNAL, "an unexpected error; the server log names its type")(
                    scope, receive, send_noting)
        finally:
            log.info("%s %s %s %.0fms", scope["method"], scope["path"], state["status"],
                     (time.perf_counter() - started) * 1000)

    async def _unauthorised(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        api = scope["path"].startswith("/v1/")
        challenge = 'Bearer realm="wegwijzer"' if api else 'Basic realm="wegwijzer", charset="UTF-8"'
        detail = ("send 'Authorization: Bearer <token>'" if api
                  else "log in with any user name and the server's token as password")
        await problems.response(401, problems.UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})(
            scope, receive, send)
