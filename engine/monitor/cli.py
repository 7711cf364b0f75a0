"""`wegwijzer monitor`: the team's monitor over the store or a caseload file, as HTML and CSV.

    wegwijzer monitor --out monitor/                      # the store (a team lead: the team's cases)
    wegwijzer monitor --caseload cases.jsonl --out monitor/

Writes index.html, one page per municipality and monitor.csv (the same numbers). Counts
under --threshold (default 10, or $WEGWIJZER_MONITOR_THRESHOLD) are not shown.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError
from .aggregate import DEFAULT_THRESHOLD

THRESHOLD_ENV = "WEGWIJZER_MONITOR_THRESHOLD"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..store.cli import add_store_arguments

    add_store_arguments(parser)
    parser.add_argument("--caseload", help="a JSON Lines file of Cases instead of the store")
    parser.add_argument("--out", default="monitor", help="folder for index.html, the pages and monitor.csv (default: monitor)")
    parser.add_argument("--team", help="only this team's cases (a team lead always sees their own team)")
    parser.add_argument("--municipality", help="only this municipality's cases (an id of the rules' social map)")
    parser.add_argument("--threshold", type=int, help=f"smallest group shown (default ${THRESHOLD_ENV} or {DEFAULT_THRESHOLD})")
    parser.add_argument("--no-advice", action="store_true", help="skip the engine: no 'suggested' interventions (faster)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar (default: when stderr is a terminal)")


def _threshold(args: argparse.Namespace) -> int:
    if args.threshold is not None:
        value = args.threshold
    else:
        text = os.environ.get(THRESHOLD_ENV, str(DEFAULT_THRESHOLD))
        try:
            value = int(text)
        except ValueError:
            raise InputError([(THRESHOLD_ENV, f"'{text}' is not a whole number")]) from None
    if value < 1:
        raise InputError([("threshold", "must be 1 or more")])
    return value


def _from_caseload(path: str, municipality: str | None, failed: list[tuple[str, str]]) -> Iterator[tuple[Any, None]]:
    from ..caseload import iter_cases
    from ..store.cli import _stream_lines
    from ..store.repo import validate_case

    source = _stream_lines(path) if path.endswith((".jsonl", ".ndjson")) else iter_cases(path)
    for ref, data in source:
        try:
            if isinstance(data, InputError):
                raise data
            case = validate_case(data, ref)
        except InputError as exc:
            failed.append((ref, str(exc)))
            continue
        if municipality is None or case.municipality == municipality:
            yield case, None


def run(args: argparse.Namespace) -> int:
    from ..api import Engine
    from .aggregate import Aggregator
    from .report import write_report

    threshold = _threshold(args)
    engine = Engine.load()
    if args.municipality is not None:
        unknown = engine.book.unknown_municipality(args.municipality)
        if unknown:
            raise InputError([("--municipality", unknown)])
    agg = Aggregator(book=engine.book, engine=None if args.no_advice else engine)
    failed: list[tuple[str, str]] = []
    store = None
    coaches = None
    if args.caseload:
        items: Any = _from_caseload(args.caseload, args.municipality, failed)
        scope = f"caseload {Path(args.caseload).name}"
    else:
        from ..store.cli import open_store

        store, actor = open_store(args)
        team = actor.team if actor.role == "team_lead" else args.team
        items = store.monitor_cases(actor, team=team, municipality=args.municipality)
        scope = f"team {team}" if team else "alle casussen in de opslag"
    bar = None
    if args.progress or sys.stderr.isatty():
        from tqdm import tqdm  # lazily, only when a bar is shown

        bar = tqdm(unit=" cases", file=sys.stderr, mininterval=0.5)
    latest: date | None = None
    try:
        for case, closed_on in items:
            agg.add(case, closed_on)
            last = max(a.date for a in case.assessments)
            latest = last if latest is None or last > latest else latest
            if bar is not None:
                bar.update(1)
        if store is not None:
            from ..feedback import feedback

            # what coaches did with the advice, from the decision log (a team lead: the team's)
            coaches = feedback(store, actor, threshold, args.municipality)
    finally:
        if bar is not None:
            bar.close()
        if store is not None:
            store.close()
    paths = write_report(agg, Path(args.out), threshold, scope, latest.isoformat() if latest else None, coaches)
    for ref, message in failed:
        print(f"wegwijzer: {message if message.startswith(ref) else ref + ': ' + message}", file=sys.stderr)
    for case_id, error in agg.errors:
        print(f"wegwijzer: case {case_id}: no advice ({error})", file=sys.stderr)
    print(f"monitor: {sum(f.cases for f in agg.figures.values())} casussen -> {paths[0]}")
    return 1 if failed else 0
