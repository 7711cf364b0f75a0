"""Reading a request body within a size limit, and decoding it as JSON, a form or a case document.

Nothing is parsed in the event loop: a 1 MiB YAML takes seconds to read and a form of 80,000
parts as long, and while the loop waits no other request (not even /healthz) is answered.
JSON bodies (at most `max_body`) and forms (at most MAX_FORM_FIELDS fields, counted before
they are parsed) are decoded in the threadpool. A case document (YAML or JSON, up to 1 MiB,
pasted or uploaded by a coach) is read by the app's `reader`:
- `ReaderPool` (what `wegwijzer serve` uses): worker processes with an address-space limit
  (READ_MEMORY bytes beyond what the process holds at start) and a deadline (`timeout`);
  a reader that runs out of either is killed and replaced, and the document is refused with
  a message (an alias bomb, a document that expands beyond what the reader caps). Whatever
  the YAML reader does, one document costs at most that time and memory in one process.
- `ThreadReader` (create_app's default: tests and embedding): the same reading in the
  threadpool, with the same cap on what the document expands to, but no deadline.
Either way the data is checked to expand to at most MAX_EXPANDED characters of JSON, counted
while it is encoded, so a few hundred bytes of aliases never become gigabytes downstream.
"""
from __future__ import annotations

import json
import re
from datetime import date
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..caseload import MAX_INPUT_BYTES, loads_checked
from ..errors import InputError
from . import problems
from .problems import Problem

DEFAULT_MAX_BODY = 64 * 1024
MAX_FORM_FIELDS = 1000
MAX_UPLOAD_PARTS = 100  # the case form has three fields; a multipart body is counted before it is parsed
MAX_EXPANDED = 4 * MAX_INPUT_BYTES  # characters of JSON one case document may expand to
READ_TIMEOUT = 10.0  # seconds a reader process may take for one document
READ_MEMORY = 512 * 1024 * 1024  # bytes of address space a reader process may add while reading
_BOUNDARY = re.compile(r'boundary="?([^";]{1,70})"?', re.IGNORECASE)  # RFC 2046: 1 to 70 characters
TOO_COSTLY = ("the document takes more time or memory to read than allowed (aliases that expand, or too much "
              "nesting?); shorten it")


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
        # duplicate keys, NaN, depth: a 422 naming the field; in the threadpool, not the event loop
        data = await run_in_threadpool(loads_checked, raw.decode("utf-8"))
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
    if text.count("&") >= MAX_FORM_FIELDS:  # counted before parsing (parse_qsl counts too, the same way)
        raise TooManyFields(f"the form has more than {MAX_FORM_FIELDS} fields")
    try:
        return await run_in_threadpool(parse_qsl, text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
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
    content_type = request.headers.get("content-type", "")
    boundary = _BOUNDARY.search(content_type)
    if boundary is None:
        raise Problem(400, problems.MALFORMED_JSON, "the form is not valid multipart/form-data")
    # every part begins with "--" and the boundary (the closing one too): count them before the parser sees any
    if raw.count(b"--" + boundary.group(1).encode("latin-1")) > MAX_UPLOAD_PARTS + 1:
        raise TooManyFields(f"the form has more than {MAX_UPLOAD_PARTS} parts")
    return await run_in_threadpool(_parse_multipart, content_type, raw)


def _parse_multipart(content_type: str, raw: bytes) -> list[tuple[str, str | bytes]]:
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
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


# ---------------------------------------------------------------- case documents


class _Capped(json.JSONEncoder):
    """Encodes to at most `limit` characters, counted chunk by chunk: an expansion stops at the cap."""

    def __init__(self, limit: int):
        super().__init__(ensure_ascii=False, default=_plain_value, check_circular=False)
        self.limit = limit

    def within(self, data: Any) -> str:
        size = 0
        chunks = []
        for chunk in self.iterencode(data):
            size += len(chunk)
            if size > self.limit:
                raise InputError([("", f"the document expands to more than {self.limit:,} characters "
                                       "(aliases that repeat parts of it?); one case may be at most that")])
            chunks.append(chunk)
        return "".join(chunks)


def _plain_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else str(value)


def read_case_text(text: str, source: str = "casus") -> Any:
    """A case document as plain JSON data (a YAML date becomes its YYYY-MM-DD text), with the
    strict reader of `wegwijzer recommend`, expanded to at most MAX_EXPANDED characters."""
    from ..caseload import parse_yaml

    if len(text.encode("utf-8")) > MAX_INPUT_BYTES:
        raise InputError([("", f"larger than {MAX_INPUT_BYTES:,} bytes; one case may be at most that")], source)
    try:
        encoded = _Capped(MAX_EXPANDED).within(parse_yaml(text, source))
        return json.loads(encoded)
    except (MemoryError, RecursionError):
        raise InputError([("", TOO_COSTLY)], source) from None


def _reader_setup(_: Any) -> None:
    """In a reader process: limit the address space it may grow by (Linux; elsewhere only the deadline holds)."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            held = int(statm.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (held + READ_MEMORY, held + READ_MEMORY))
    except (ImportError, OSError, ValueError):
        pass


def _reader_task(_: Any, kind: str, text: str) -> Any:
    return read_case_text(text, kind)


class ThreadReader:
    """Reads a case document in the threadpool (no deadline: for tests and embedding)."""

    async def read(self, text: str, source: str = "casus") -> Any:
        return await run_in_threadpool(read_case_text, text, source)

    def close(self) -> None:
        pass


class ReaderPool:
    """Reads case documents in `size` worker processes with a memory limit and a deadline."""

    def __init__(self, size: int = 2, timeout: float = READ_TIMEOUT):
        from .workers import WorkerPool

        self.pool = WorkerPool(None, size=size, timeout=timeout, task=_reader_task, setup=_reader_setup)

    async def read(self, text: str, source: str = "casus") -> Any:
        from .workers import WorkerCrashed

        try:
            return await run_in_threadpool(self.pool.call, source, text)
        except (WorkerCrashed, RuntimeError):  # killed at the deadline, out of memory, or failed in another way
            raise InputError([("", TOO_COSTLY)], source) from None

    def close(self) -> None:
        self.pool.close()


async def read_document(request: Request, text: str, source: str = "casus") -> Any:
    """A case document as plain data, read off the event loop by the app's reader; InputError when it does not read."""
    return await request.app.state.reader.read(text, source)
