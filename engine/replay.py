"""Replay a past advice from its receipt: the same input and the rules of that time give the
same advice, byte for byte.

    rec = replay(receipt, case_document, store=Store.open())

The rules are found by the receipt's rules version: the folder given, else the shipped rules
when they are that version, else the store's snapshot of it (the store keeps the rule files of
every version it advised with, engine.store.decisions).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .errors import InputError, WegwijzerError
from .model import Receipt, Recommendation


def read_receipt(data: Any, source: str | None = None) -> Receipt:
    """A Receipt from a receipt object or a whole Recommendation (its `receipt`)."""
    if isinstance(data, Recommendation) and data.receipt is not None:
        return data.receipt
    if isinstance(data, Receipt):
        return data
    if isinstance(data, dict) and isinstance(data.get("receipt"), dict):
        data = data["receipt"]
    if not isinstance(data, dict):
        raise InputError([("receipt", "give a receipt (JSON object) or the advice that holds one")], source)
    try:
        return Receipt.model_validate(data)
    except ValueError as exc:
        errors = getattr(exc, "errors", lambda: [])()
        raise InputError([("receipt." + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in errors]
                         or [("receipt", str(exc))], source) from None


def _with_as_of(data: Any, receipt: Receipt) -> Any:
    """A Case advised on a day (the store adds that day as `as_of`) is replayed as of that day."""
    if isinstance(data, dict) and "assessments" in data and "as_of" not in data and receipt.as_of is not None:
        return {**data, "as_of": receipt.as_of.isoformat()}
    return data


def replay(receipt: Any, data: Any, rules: str | Path | None = None, store: Any = None,
           source: str | None = None) -> Recommendation:
    """The advice the receipt was given for, made again from `data` with the rules of that time.
    Refused when `data` is not the input advised (its hash differs) or the rules are not found."""
    from .api import input_hash, parse_assessment
    from .case import is_case, parse_case

    receipt = read_receipt(receipt, source)
    data = _with_as_of(data, receipt)
    engine = _engine_for(receipt.rules_version, rules, store)
    parsed = engine._parsed(parse_case if is_case(data) else parse_assessment, data, source)
    if input_hash(parsed) != receipt.input_hash:
        raise InputError([("input", f"this is not the input the advice was given for: its hash is {input_hash(parsed)}, "
                                    f"the receipt's {receipt.input_hash}")], source)
    return engine.recommend(data, source)


def _engine_for(version: str, rules: str | Path | None, store: Any) -> Any:
    from .api import Engine
    from .rulebook import default_rules_dir, rules_version

    folder = Path(rules) if rules else default_rules_dir()
    if folder.is_dir() and rules_version(folder) == version:
        return Engine.load(folder)
    files = store.rule_snapshot(version) if store is not None else None
    if files is None:
        where = f"in {rules}" if rules else "in the shipped rules" + (" or the store" if store is not None else "")
        raise WegwijzerError(f"the rules {version} are not {where}; give the store that advised with them (--db) "
                             "or the rules folder of that time (--rules)")
    with tempfile.TemporaryDirectory(prefix="wegwijzer-rules-") as kept:
        for name, text in files.items():
            path = Path(kept) / name
            if not path.resolve().is_relative_to(Path(kept).resolve()):
                raise WegwijzerError(f"the store's rule files for {version} name a file outside the rules: {name!r}")
            path.parent.mkdir(parents=True, exist_ok=True)  # a pack's files: municipalities/<id>/
            path.write_text(text, encoding="utf-8")
        # the snapshot holds every pack it was made with: no others from $WEGWIJZER_PACKS
        if rules_version(Path(kept), []) != version:
            raise WegwijzerError(f"the store's rule files for {version} do not hash to it; they were changed")
        engine = Engine.load(kept, [])
        from .history import trajectory_of

        trajectory_of(engine.book)  # the history rules load on first use: read them while the files are here
        return engine


def add_arguments(parser: Any) -> None:
    from .store.cli import DB_HELP

    parser.add_argument("receipt", help="the receipt (JSON), or the advice (JSON) that holds it")
    parser.add_argument("input", help="the assessment or case advised (YAML or JSON), or - for stdin")
    parser.add_argument("--rules", help="the rules folder of that time (default: the shipped rules, else the store's copy)")
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--format", choices=("json", "text", "markdown"), default="json")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl")


def run(args: Any) -> int:
    import json
    import sys

    from . import __version__
    from .caseload import read_case
    from .render import render

    try:
        with open(args.receipt, encoding="utf-8") as handle:
            given = json.load(handle)
    except (OSError, ValueError) as exc:
        raise WegwijzerError(f"{args.receipt}: not a readable JSON receipt ({exc})") from None
    receipt = read_receipt(given, args.receipt)
    store = None
    if args.db or _store_named():
        from .store.repo import Store

        store = Store.open(args.db)
    try:
        rec = replay(receipt, read_case(args.input), args.rules, store, source=args.input)
    finally:
        if store is not None:
            store.close()
    if receipt.engine_version != __version__:
        print(f"wegwijzer: note: advised by engine {receipt.engine_version}, replayed by {__version__}; "
              "the rules are those of that time, the code is today's", file=sys.stderr)
    sys.stdout.write(render(rec, args.format, args.lang, _name_today(rec.municipality)))
    return 0


def _name_today(mid: str) -> str | None:
    """The municipality's name in today's rules (with the packs of --packs or $WEGWIJZER_PACKS),
    for the heading; the rules of that time advised, and may not load today."""
    from .errors import WegwijzerError
    from .rulecache import load_cached

    try:
        municipality = load_cached().municipalities.get(mid)
    except WegwijzerError:
        return None
    return municipality.name if municipality is not None else None


def _store_named() -> bool:
    """A store to look in: $WEGWIJZER_DB, or the default file when there is one (never made here)."""
    import os

    from .store.repo import DB_ENV, default_db_path

    return bool(os.environ.get(DB_ENV)) or default_db_path().is_file()
