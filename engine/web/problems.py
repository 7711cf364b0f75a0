"""Errors as RFC 9457 problem details (`application/problem+json`), naming the field at fault.

The body never echoes the submitted values: only field paths and what is wrong with them.
"""
from __future__ import annotations

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
