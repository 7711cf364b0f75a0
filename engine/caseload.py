"""Read a caseload: a folder of case files (.yaml, .yml, .json) or a JSON Lines file.

    from engine.caseload import iter_cases
    for ref, data in iter_cases("cases/"):
        if isinstance(data, InputError): ...   # a case that could not be read: report it, go on

`ref` names where the case came from: the file name (in a folder) or `file:line` (JSON
Lines). A case that cannot be read is yielded as an InputError, never raised; only a
caseload path that does not exist raises.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, WegwijzerError

CASE_SUFFIXES = (".yaml", ".yml", ".json")
LINES_SUFFIXES = (".jsonl", ".ndjson")


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


def read_case(path: str, ref: str | None = None) -> Any:
    """One assessment from a YAML or JSON file, or stdin for '-'. Safe loading only. A file
    that cannot be read or parsed raises InputError naming `ref` (default: the path)."""
    ref = ref or path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([("", f"cannot read: {exc.strerror}")], ref) from None
    except UnicodeDecodeError:
        raise InputError([("", "not UTF-8 text")], ref) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise InputError([("", f"{where}not valid YAML or JSON ({getattr(exc, 'problem', exc)})")], ref) from None


def _read_file(file: Path, ref: str) -> Any:
    try:
        return read_case(str(file), ref)
    except InputError as exc:
        return exc


def _read_lines(file: Path) -> Iterator[tuple[str, Any]]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WegwijzerError(f"{file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        ref = f"{file.name}:{number}"
        try:
            yield ref, json.loads(line)
        except json.JSONDecodeError as exc:
            yield ref, InputError([("", f"not valid JSON ({exc.msg}, column {exc.colno})")], ref)


def case_label(ref: str, data: Any) -> str:
    """The case's own id when it has one, else where it came from."""
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return data["case_id"]
    return ref


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
