"""Reading a request body within a size limit, and decoding it as JSON or as a form."""
from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from ..caseload import loads_checked
from . import problems
from .problems import Problem

DEFAULT_MAX_BODY = 64 * 1024
MAX_FORM_FIELDS = 1000


class TooManyFields(ValueError):
    """A form with more fields than MAX_FORM_FIELDS (the page answers 422, not 500)."""


def _too_large(limit: int) -> Problem:
    return Problem(413, problems.BODY_TOO_LARGE, f"the request body is larger than {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 when Content-Length or the bytes actually received exceed `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise Problem(400, problems.MALFORMED_JSON, "the Content-Length header is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a missing or lying Content-Length (chunked transfer) is caught here
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON: 415 for another media type, 400 when it does not parse."""
    media = _media_type(request)
    if media != "application/json" and not media.endswith("+json"):  # a missing type too: engine.web.guard
        raise Problem(415, problems.UNSUPPORTED_MEDIA_TYPE,
                      "send the body as application/json (Content-Type)")  # the type sent is not repeated
    raw = await read_body(request, limit)
    try:
        data = loads_checked(raw.decode("utf-8"))  # duplicate keys, NaN, depth: a 422 naming the field
    except UnicodeDecodeError:
        raise Problem(400, problems.MALFORMED_JSON, "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        # position only: the message never quotes the body
        raise Problem(400, problems.MALFORMED_JSON, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                      [("(body)", f"{exc.msg} at line {exc.lineno} column {exc.colno}")]) from None
    request.state.submitted = problems.submitted_values(data)  # never repeated in an error body
    return data


async def read_form(request: Request, limit: int) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded body as (name, value) pairs, in order."""
    raw = await read_body(request, limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, problems.MALFORMED_JSON, "the form is not UTF-8 text") from None
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise TooManyFields(f"the form has more than {MAX_FORM_FIELDS} fields") from None


async def read_upload_form(request: Request, limit: int) -> list[tuple[str, str | bytes]]:
    """A form that may carry a file: multipart/form-data (a file's content as bytes, other
    fields as text) or application/x-www-form-urlencoded (text). The multipart body is read
    by the standard library's MIME parser, not a new dependency: one small form, bounded by
    `limit` before it is parsed."""
    if _media_type(request) != "multipart/form-data":
        return list(await read_form(request, limit))
    raw = await read_body(request, limit)
    head = f"MIME-Version: 1.0\r\nContent-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise Problem(400, problems.MALFORMED_JSON, "the form is not valid multipart/form-data")
    pairs: list[tuple[str, str | bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        if len(pairs) >= MAX_FORM_FIELDS:
            raise TooManyFields(f"the form has more than {MAX_FORM_FIELDS} fields")
        data = part.get_payload(decode=True) or b""
        if part.get_param("filename", header="content-disposition") is not None:
            pairs.append((name, data))
        else:
            try:
                pairs.append((name, data.decode("utf-8")))
            except UnicodeDecodeError:
                raise Problem(400, problems.MALFORMED_JSON, "the form is not UTF-8 text") from None
    return pairs
