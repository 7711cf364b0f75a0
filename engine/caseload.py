"""Read a caseload: a folder of case files (.yaml, .yml, .json) or a JSON Lines file.

    from engine.caseload import iter_cases
    for ref, data in iter_cases("cases/"):
        if isinstance(data, InputError): ...   # a case that could not be read: report it, go on

`ref` names where the case came from: the file name (in a folder) or `file:line` (JSON
Lines). A case that cannot be read is yielded as an InputError, never raised; only a
caseload path that does not exist raises.

Every way a case comes in (a file, stdin, a JSON line in `batch` or here) goes through the
same bounded readers below, so the same bad input gets the same message everywhere.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import InputError, RuleError, WegwijzerError
from .linedict import strip_lines
from .safetext import printable

CASE_SUFFIXES = (".yaml", ".yml", ".json")
LINES_SUFFIXES = (".jsonl", ".ndjson")

# Limits on one input, checked before and while parsing, so that a 200 MB file, an endless
# stream (`yes |`, /dev/zero) or a deeply nested document is refused within a bounded read
# and bounded memory, with a message, instead of exhausting memory or the parser's stack.
# A real case is a few kilobytes and nests five levels (a Case's assessment's domain's
# score); 1 MiB leaves room for a long case history, 32 levels for any honest layout.
MAX_INPUT_BYTES = 1 << 20
MAX_DEPTH = 32

_BOM = "\ufeff"


def _too_large() -> str:
    return f"larger than {MAX_INPUT_BYTES:,} bytes; one case may be at most that"


def read_capped(stream: IO[bytes], ref: str) -> str:
    """At most MAX_INPUT_BYTES from a binary stream as text; more is refused unread."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([("", _too_large())], ref)
    return _decode(data, ref)


def _decode(data: bytes, ref: str) -> str:
    try:
        return data.decode("utf-8").removeprefix(_BOM)  # a BOM is an encoding mark, not content
    except UnicodeDecodeError:
        raise InputError([("", "not UTF-8 text")], ref) from None


class _Pairs(dict):
    """A JSON object that remembers the keys it held twice (json keeps only the last)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = _Pairs(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def check_shape(data: Any, ref: str | None = None) -> Any:
    """Refuse nesting deeper than MAX_DEPTH and keys given twice (JSON), naming the field;
    returns plain dicts and lists. Iterative, so a deep document cannot overflow it."""
    def path_of(parts: tuple[Any, ...]) -> str:
        out = ""
        for part in parts:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out

    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, parts = stack.pop()
        if isinstance(value, dict | list) and len(parts) >= MAX_DEPTH:
            raise InputError([(path_of(parts), f"nested deeper than {MAX_DEPTH} levels")], ref)
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                raise InputError([(path_of((*parts, key)), "given twice in one object")], ref)
            stack.extend((v, (*parts, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*parts, i)) for i, v in enumerate(value))
    return strip_lines(data)


# Made once: json.loads with an argument builds a decoder on every call.
_PLAIN_JSON = json.JSONDecoder(parse_constant=_refuse_constant)


def _loads_plain(text: str) -> Any:
    """loads_checked's data for text it accepts, at the speed of the C parser (a batch reads
    400,000 cases: the checking hook below costs four times the parse itself), or None
    when the careful path must decide (it then gives the same data or the same message).

    json keeps only the last of a key given twice; here the keys of the result are counted
    against the colons in the text. Every key is followed by one (a string may hold more), so
    equal counts mean no key was given twice."""
    try:
        data = _PLAIN_JSON.decode(text)
    except (ValueError, RecursionError):  # bad JSON, NaN, a number too long: the careful path says which
        return None
    if type(data) is not dict and type(data) is not list:
        return data
    keys = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return None
        if type(value) is dict:
            keys += len(value)
            value = value.values()
        for child in value:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    if keys != text.count(":"):
        return None  # a key given twice, or a colon in a string: the careful path tells
    return data


def loads_checked(text: str, ref: str | None = None) -> Any:
    """JSON text -> data, strictly: a key given twice, NaN/Infinity, a number too long to
    read or nesting beyond MAX_DEPTH is an InputError. A syntax error stays a
    json.JSONDecodeError (the HTTP API answers it with its own 400)."""
    text = text.removeprefix(_BOM)
    data = _loads_plain(text)
    if data is not None:
        return data
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise InputError([("", f"nested deeper than {MAX_DEPTH} levels")], ref) from None
    except ValueError as exc:  # NaN/Infinity, or an integer of more than 4,300 digits
        reason = str(exc) if "JSON number" in str(exc) else "a number too long to read"
        raise InputError([("", f"not valid JSON ({reason})")], ref) from None
    return check_shape(data, ref)


def parse_json(text: str, ref: str | None = None) -> Any:
    """One case from JSON text (see loads_checked); a syntax error is an InputError too."""
    try:
        return loads_checked(text, ref)
    except json.JSONDecodeError as exc:
        raise InputError([("", f"not valid JSON ({exc.msg}, column {exc.colno})")], ref) from None


def parse_yaml(text: str, ref: str) -> Any:
    """One case from YAML (or JSON) text: safe, duplicate keys refused, YAML 1.2 numbers."""
    from .yamlload import load_case_yaml  # before yaml: it makes PyYAML's import cheaper (see there)

    import yaml

    try:
        data = load_case_yaml(text, ref)
    except RuleError as exc:  # a key given twice
        raise InputError([("", f"line {exc.line}: {exc.detail}" if exc.line else exc.detail)], ref) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise InputError([("", f"{where}not valid YAML or JSON ({getattr(exc, 'problem', None) or exc})")], ref) from None
    except RecursionError:
        raise InputError([("", f"nested deeper than {MAX_DEPTH} levels")], ref) from None
    except ValueError as exc:  # an integer of more than 4,300 digits, or a date like 2024-13-45
        reason = "a number too long to read" if "digits" in str(exc) else f"a value that cannot be read: {exc}"
        raise InputError([("", f"not valid YAML or JSON ({reason})")], ref) from None
    return check_shape(data, ref)


def read_case(path: str, ref: str | None = None) -> Any:
    """One assessment from a YAML or JSON file, or stdin for '-'. Safe loading only, at most
    MAX_INPUT_BYTES. A file that cannot be read or parsed raises InputError naming `ref`."""
    ref = ref or path
    try:
        if path == "-":
            text = read_capped(sys.stdin.buffer, ref)
        else:
            with open(path, "rb") as stream:
                text = read_capped(stream, ref)
    except OSError as exc:
        raise InputError([("", f"cannot read: {exc.strerror}")], ref) from None
    data = _as_yaml_would_read_it(text)
    return data if data is not None else parse_yaml(text, ref)


def _as_yaml_would_read_it(text: str) -> dict[str, Any] | None:
    """The case that JSON text gives, read without PyYAML (its import is about a twelfth of a
    cold start) where the YAML loader would give the very same data: a JSON object in
    printable ASCII, with no tab, no DEL (YAML refuses it) and no \\u escape (YAML reads a
    surrogate pair as two characters), no key given twice and no nesting beyond MAX_DEPTH.
    Else None, and parse_yaml reads it, as it always did (every message stays its own).
    tests/test_coldstart.py holds the two readings equal."""
    if not text.lstrip(" \r\n").startswith("{") or not text.isascii() or "\t" in text or "\x7f" in text or "\\u" in text:
        return None
    data = _loads_plain(text)
    return data if type(data) is dict else None


# ------------------------------------------------------------------ JSON Lines


class LineTooLong:
    """A JSON Lines record longer than MAX_INPUT_BYTES; its bytes were skipped, not kept."""


def iter_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | LineTooLong]]:
    """(line number, raw record) for every non-blank line of a binary stream. Lines end at
    '\\n' only (not at U+2028 or a lone '\\r', which str.splitlines would split on); a line
    longer than MAX_INPUT_BYTES is read past in bounded blocks and given as LineTooLong."""
    number = 0
    while True:
        line = stream.readline(MAX_INPUT_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_INPUT_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the long line without holding it
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, LineTooLong()
        elif line.strip():
            yield number, line


def parse_json_line(raw: bytes | LineTooLong, ref: str | None = None) -> Any:
    """One JSON Lines record -> data, or InputError (the same text in batch and caseload)."""
    if isinstance(raw, LineTooLong):
        raise InputError([("", _too_large())], ref)
    return parse_json(_decode(raw, ref or ""), ref)


def iter_cases(path: str | Path) -> Iterator[tuple[str, Any]]:
    """(case_ref, data or InputError) for every case, in a stable order (file names sorted)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in CASE_SUFFIXES and not p.name.endswith(".test.yaml"))
        for file in files:
            yield file.name, _read_file(file, file.name)
    elif path.is_file():
        if path.suffix in LINES_SUFFIXES:
            yield from _read_lines(path)
        else:
            yield path.name, _read_file(path, path.name)
    else:
        raise WegwijzerError(f"{path}: caseload not found (a folder of .yaml/.json cases or a .jsonl file)")


def _read_file(file: Path, ref: str) -> Any:
    try:
        return read_case(str(file), ref)
    except InputError as exc:
        return exc


def _read_lines(file: Path) -> Iterator[tuple[str, Any]]:
    try:
        stream = open(file, "rb")
    except OSError as exc:
        raise WegwijzerError(f"{file}: cannot read: {exc.strerror}") from None
    with stream:
        for number, raw in iter_lines(stream):
            ref = f"{file.name}:{number}"
            try:
                yield ref, parse_json_line(raw, ref)
            except InputError as exc:
                yield ref, exc


def read_documents(path: str) -> Iterator[tuple[str, Any]]:
    """(ref, data or InputError) for every Case document a file or stdin ('-') holds, for
    `case import` and `monitor --caseload`: JSON Lines (.jsonl, .ndjson, or stdin whose first
    two records are one JSON object a line) give one document a line, read as `batch` reads
    them; any other file or stdin is one YAML/JSON document, read as `recommend` reads it.
    The same strict readers everywhere: keys given twice refused, YAML 1.2, the depth bound
    and at most MAX_INPUT_BYTES per document. A bad record or stdin document is yielded, not
    raised; a bad single file raises (it is the whole input)."""
    if path == "-":
        yield from _read_stdin(sys.stdin.buffer)
        return
    if Path(path).is_dir():
        raise WegwijzerError(f"{path}: give a case file or a .jsonl file, not a folder")
    if path.endswith(LINES_SUFFIXES):
        name = Path(path).name
        try:
            stream = open(path, "rb")
        except OSError as exc:
            raise WegwijzerError(f"{path}: cannot read: {exc.strerror}") from None
        with stream:
            yield from _json_lines(iter_lines(stream), name)
        return
    yield path, read_case(path)  # one document: its error is the command's error


def _json_lines(lines: Iterator[tuple[int, bytes | LineTooLong]], name: str) -> Iterator[tuple[str, Any]]:
    for number, raw in lines:
        ref = f"{name}:{number}"
        try:
            yield ref, parse_json_line(raw, ref)
        except InputError as exc:
            yield ref, exc


def _one_object_a_line(raw: bytes | LineTooLong) -> bool:
    if isinstance(raw, LineTooLong):
        return False
    line = raw.strip()
    return line.startswith(b"{") and line.endswith(b"}")


def _read_stdin(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """Stdin as JSON Lines when its first two records each are one JSON object on a line,
    streamed a line at a time; else one document of at most MAX_INPUT_BYTES."""
    head: list[bytes] = []  # the raw lines read to decide, blank ones included (YAML keeps them)
    records: list[tuple[int, bytes | LineTooLong]] = []
    number = 0
    while len(records) < 2:
        line = stream.readline(MAX_INPUT_BYTES + 1)
        if not line:
            break
        number += 1
        head.append(line)
        if len(line) > MAX_INPUT_BYTES and not line.endswith(b"\n"):
            break  # one line over the cap: too large as a JSON record and as a document
        if line.strip():
            records.append((number, line))
    if len(records) == 2 and all(_one_object_a_line(raw) for _, raw in records):
        yield from _json_lines(iter(records), "-")
        following = iter_lines(stream)
        yield from _json_lines(((number + n, raw) for n, raw in following), "-")
        return
    size = sum(len(line) for line in head)
    rest = stream.read(max(0, MAX_INPUT_BYTES + 1 - size)) if size <= MAX_INPUT_BYTES else b""
    data = b"".join(head) + rest
    try:
        if len(data) > MAX_INPUT_BYTES:
            raise InputError([("", _too_large())], "-")
        yield "-", parse_yaml(_decode(data, "-"), "-")
    except InputError as exc:
        yield "-", exc


def case_label(ref: str, data: Any) -> str:
    """The case's own id when it has one, else where it came from."""
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return printable(data["case_id"])
    return printable(ref)


def recommend_each(engine: Any, path: str | Path) -> Iterator[tuple[str, Any]]:
    """(case label, Recommendation or WegwijzerError) for every case, with one engine, in order."""
    for ref, data in iter_cases(path):
        label = case_label(ref, data)
        if isinstance(data, WegwijzerError):
            yield label, data
            continue
        try:
            yield label, engine.recommend(data, source=ref)
        except WegwijzerError as exc:
            yield label, exc
