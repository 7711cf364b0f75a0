"""Errors as RFC 9457 problem details (`application/problem+json`), naming the field at fault.

The body never echoes the submitted values: only field paths and what is wrong with them.
Messages come from many places (pydantic, the engine, the store), and one of them may quote
what it refused ('123456782' contains a BSN...). So, whatever the message says, `Redactor`
blanks out of detail and messages every submitted value of MIN_VALUE characters or more
(strings and numbers of the body, and the path's ids) and every run of REDACTED_DIGITS digits
(a BSN quoted in part); what is left names the field and the fault.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"

# type URIs; docs/web.md lists them
MALFORMED_JSON = "urn:wegwijzer:problem:malformed-json"
INVALID_ASSESSMENT = "urn:wegwijzer:problem:invalid-assessment"
BODY_TOO_LARGE = "urn:wegwijzer:problem:body-too-large"
UNSUPPORTED_MEDIA_TYPE = "urn:wegwijzer:problem:unsupported-media-type"
UNAUTHORIZED = "urn:wegwijzer:problem:unauthorized"
INTERNAL = "urn:wegwijzer:problem:internal"
WORKER_CRASHED = "urn:wegwijzer:problem:worker-crashed"
BUSY = "urn:wegwijzer:problem:busy"
REQUEST_TIMEOUT = "urn:wegwijzer:problem:request-timeout"
FORBIDDEN_ORIGIN = "urn:wegwijzer:problem:forbidden-origin"


class Problem(Exception):
    """Raised inside a request; the app turns it into a problem+json response."""

    def __init__(self, status: int, type_: str, detail: str, errors: list[tuple[str, str]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.type = type_
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


MIN_VALUE = 4  # shorter values ('2', 'ja') are also words of the messages themselves
MAX_VALUES = 20_000  # a 64 KiB body holds fewer; the bound keeps a huge form from costing more
REDACTED = "…"
REDACTED_DIGITS = re.compile(r"[0-9]{8,}")  # no message of ours has 8 digits; a BSN has 9


def submitted_values(data: Any, into: set[str] | None = None) -> set[str]:
    """The strings and numbers of a parsed body (not its keys: a field path must name the field)."""
    found = into if into is not None else set()
    stack = [data]
    while stack and len(found) < MAX_VALUES:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            text = item if isinstance(item, str) else str(item)
            if len(text.strip()) >= MIN_VALUE:
                found.add(text)
    return found


class Redactor:
    """Blanks the given values out of a text in one pass (an index on each value's first characters)."""

    def __init__(self, values: Iterable[str]):
        self.index: dict[str, list[str]] = defaultdict(list)
        for value in sorted(set(values), key=len, reverse=True):  # the longest match first
            if len(value) >= MIN_VALUE:
                self.index[value[:MIN_VALUE]].append(value)

    def __call__(self, text: str) -> str:
        if self.index:
            out: list[str] = []
            i = 0
            while i < len(text):
                match = next((v for v in self.index.get(text[i:i + MIN_VALUE], ()) if text.startswith(v, i)), None)
                if match is None:
                    out.append(text[i])
                    i += 1
                else:
                    out.append(REDACTED)
                    i += len(match)
            text = "".join(out)
        return REDACTED_DIGITS.sub(REDACTED, text)

    def errors(self, errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(REDACTED_DIGITS.sub(REDACTED, field), self(message)) for field, message in errors]


def redactor(request: Any) -> Redactor:
    """The Redactor for a request: what its body held (engine.web.intake notes it) and its path's ids."""
    values = set(getattr(request.state, "submitted", ()))
    values.update(str(v) for v in request.path_params.values())
    return Redactor(values)


def body(status: int, type_: str, detail: str, errors: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if errors:
        doc["errors"] = [{"field": field, "message": message} for field, message in errors]
    return doc


def response(status: int, type_: str, detail: str, errors: list[tuple[str, str]] | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(status, type_, detail, errors), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


def from_problem(problem: Problem) -> JSONResponse:
    return response(problem.status, problem.type, problem.detail, problem.errors, problem.headers)


# The OpenAPI description of a problem body, for the `responses` of each route.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        }},
    },
}


def openapi_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": HTTPStatus(status).phrase, "content": {MEDIA_TYPE: {"schema": SCHEMA}}}
            for status in statuses}
