"""`wegwijzer monitor`: the team's monitor over the store or a caseload file, as HTML and CSV.

    wegwijzer monitor --out monitor/                      # the store (a team lead: the team's cases)
    wegwijzer monitor --caseload cases.jsonl --out monitor/

Writes index.html, one page per municipality and monitor.csv (the same numbers). The smallest
group shown is the store's policy (`monitor.min_group`, default 10), which only an admin sets
(`wegwijzer monitor --set-threshold N`, audited); --threshold and $WEGWIJZER_MONITOR_THRESHOLD
may raise it for one run, never lower it. Over a caseload file the floor is the default, 10.
Cases are counted in whole batches of ten, oldest first (engine.monitor.aggregate).
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
from ..safetext import printable
from .aggregate import BATCH, DEFAULT_THRESHOLD

THRESHOLD_ENV = "WEGWIJZER_MONITOR_THRESHOLD"
THRESHOLD_SETTING = "monitor.min_group"  # the store's policy (engine.store: store_settings)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..store.cli import add_store_arguments

    add_store_arguments(parser)
    parser.add_argument("--caseload", help="a JSON Lines file of Cases instead of the store")
    parser.add_argument("--out", default="monitor", help="folder for index.html, the pages and monitor.csv (default: monitor)")
    parser.add_argument("--team", help="only this team's cases (a team lead always sees their own team)")
    parser.add_argument("--municipality", help="only this municipality's cases (an id of the rules' social map)")
    parser.add_argument("--threshold", type=int,
                        help=f"smallest group shown, at least the store's (default ${THRESHOLD_ENV}, else the store's "
                             f"setting, else {DEFAULT_THRESHOLD}); raises it for this run, never lowers it")
    parser.add_argument("--set-threshold", type=int, metavar="N",
                        help="an admin: make N the store's smallest group for every monitor (audited); writes no monitor")
    parser.add_argument("--no-advice", action="store_true", help="skip the engine: no 'suggested' interventions (faster)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar (default: when stderr is a terminal)")


def policy_threshold(store: Any = None) -> int:
    """The store's smallest group (an admin's setting), or the default; never the caller's."""
    text = store.setting(THRESHOLD_SETTING) if store is not None else None
    try:
        return max(1, int(text)) if text is not None else DEFAULT_THRESHOLD
    except ValueError:  # a setting written by hand: fall back to the stricter default
        return DEFAULT_THRESHOLD


def _threshold(args: argparse.Namespace, floor: int) -> int:
    """The caller's wish (flag, then variable) if it is at least the policy's `floor`; else the floor."""
    if args.threshold is not None:
        value, name = args.threshold, "--threshold"
    elif os.environ.get(THRESHOLD_ENV) is not None:
        text, name = os.environ[THRESHOLD_ENV], THRESHOLD_ENV
        try:
            value = int(text)
        except ValueError:
            raise InputError([(THRESHOLD_ENV, "is not a whole number")]) from None
    else:
        return floor
    if value < floor:
        raise InputError([(name, f"{value} is below the store's smallest group ({floor}); a monitor may raise it, "
                                 "not lower it; an admin sets it with `wegwijzer monitor --set-threshold N`")])
    return value


def _set_threshold(args: argparse.Namespace) -> int:
    from ..store.cli import open_store

    if args.set_threshold < 1:
        raise InputError([("--set-threshold", "must be 1 or more")])
    store, actor = open_store(args)
    try:
        store.set_setting(actor, THRESHOLD_SETTING, str(args.set_threshold))  # admin only; audited
    finally:
        store.close()
    print(f"monitor: the store's smallest group is now {args.set_threshold}")
    return 0


def _from_caseload(path: str, municipality: str | None, failed: list[tuple[str, str]]) -> Iterator[tuple[Any, None]]:
    from ..caseload import LINES_SUFFIXES, iter_cases, read_documents
    from ..store.repo import validate_case

    source = read_documents(path) if path.endswith(LINES_SUFFIXES) else iter_cases(path)
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

    if args.set_threshold is not None:
        return _set_threshold(args)
    engine = Engine.load()
    if args.municipality is not None:
        unknown = engine.book.unknown_municipality(args.municipality)
        if unknown:
            raise InputError([("--municipality", unknown)])
    agg = Aggregator(book=engine.book, engine=None if args.no_advice else engine, batch=BATCH)
    failed: list[tuple[str, str]] = []
    store = None
    coaches = None
    if args.caseload:
        threshold = _threshold(args, DEFAULT_THRESHOLD)
        items: Any = _from_caseload(args.caseload, args.municipality, failed)
        scope = f"caseload {Path(args.caseload).name}"
    else:
        from ..store.cli import open_store

        store, actor = open_store(args)
        try:
            threshold = _threshold(args, policy_threshold(store))
        except InputError:
            store.close()
            raise
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
    agg.finish()  # the last whole batch of each municipality
    paths = write_report(agg, Path(args.out), threshold, scope, latest.isoformat() if latest else None, coaches)
    for ref, message in failed:
        line = message if message.startswith(ref) else f"{ref}: {message}"
        print(f"wegwijzer: {printable(line, keep_lines=True)}", file=sys.stderr)
    for case_id, error in agg.errors:
        print(f"wegwijzer: case {printable(case_id)}: no advice ({printable(error, keep_lines=True)})", file=sys.stderr)
    waiting = sum(f.waiting for f in agg.figures.values())
    print(f"monitor: {sum(f.cases for f in agg.figures.values())} casussen -> {paths[0]}"
          + (f" ({waiting} nieuwste tellen mee zodra het er {BATCH} per gemeente zijn)" if waiting else ""))
    return 1 if failed else 0
