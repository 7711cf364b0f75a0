"""`wegwijzer case ...`: keep a caseload in the store (SQLite by default, PostgreSQL by URL).

Where the cases are kept: --db PATH-or-URL, else $WEGWIJZER_DB, else
$XDG_DATA_HOME/wegwijzer/cases.sqlite (~/.local/share/wegwijzer/cases.sqlite). A shared
store (a PostgreSQL URL, or --shared / WEGWIJZER_SHARED=1) asks for the user's personal
token in $WEGWIJZER_USER_TOKEN.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from typing import Any

from ..errors import InputError
from ..safetext import printable

TOKEN_ENV = "WEGWIJZER_USER_TOKEN"
RETENTION_ENV = "WEGWIJZER_RETENTION_DAYS"
MAX_RETENTION_DAYS = 36_525  # 100 years: longer than any retention period the law asks (a typo beyond it)

DB_HELP = ("the case store: a file path (SQLite) or a database URL such as postgresql+psycopg://user@host/db; "
           "default $WEGWIJZER_DB, else $XDG_DATA_HOME/wegwijzer/cases.sqlite "
           "(~/.local/share/wegwijzer/cases.sqlite)")


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--shared", action="store_true", default=None,
                        help="shared mode on a SQLite file: personal tokens ($WEGWIJZER_USER_TOKEN) and roles "
                             "(always on for PostgreSQL)")


def open_store(args: argparse.Namespace) -> tuple[Any, Any]:
    from .repo import Store

    store = Store.open(args.db, shared=args.shared)
    return store, store.actor(os.environ.get(TOKEN_ENV))


def _date(text: str) -> date:
    from ..model import EARLIEST_DATE, LATEST_DATE

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:  # the dates a case may hold (engine.model)
        raise argparse.ArgumentTypeError(f"'{text}': een datum tussen {EARLIEST_DATE} en {LATEST_DATE} / "
                                         f"a date from {EARLIEST_DATE} to {LATEST_DATE}")
    return day


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = DB_HELP
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=DB_HELP)
        add_store_arguments(p)
        return p

    p = action("import", "store Case documents: a YAML/JSON file, JSON Lines (.jsonl) of Cases, or - for stdin; "
                         "running it again resumes (cases stored already with the same content are skipped)")
    p.add_argument("file")
    p.add_argument("--progress", action="store_true", help="show a progress bar (default: when stderr is a terminal)")
    action("list", "the cases you hold").add_argument("--format", choices=("text", "json"), default="text")
    action("show", "one case's summary (dates, counts, closed)").add_argument("case_id")
    p = action("add", "add a follow-up assessment, an intervention log entry, a contact, a goal (or its review) "
                      "or a profile record; told apart by its fields")
    p.add_argument("case_id")
    p.add_argument("file", help="YAML or JSON file, or - for stdin")
    p = action("next", "the advice for today (wat nu?)")
    p.add_argument("case_id")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--lang", choices=("nl", "en"), default="nl")
    p.add_argument("--as-of", type=_date, help="advise as of this date (default today; a case file's own as_of "
                                               "is the day it was written, not a limit)")
    p = action("decide", "the coach's decision on one step of an advice given by 'next': accepted, not_now or "
                         "other (not_now and other need --reason, from rules/override_reasons.yaml)")
    p.add_argument("case_id")
    p.add_argument("advice_id", help="the advice id 'next' printed")
    p.add_argument("intervention_id")
    p.add_argument("decision", choices=("accepted", "not_now", "other"))
    p.add_argument("--reason", help="why it is set aside: a reason id from rules/override_reasons.yaml")
    p.add_argument("--comment", help="a short note of your own (no contact details); erased with the case")
    action("decisions", "the decisions on a case's advice (JSON)").add_argument("case_id")
    p = action("report", "the progress report (voortgangsrapportage, Markdown), as 'wegwijzer report' gives it")
    p.add_argument("case_id")
    p.add_argument("--as-of", type=_date, help="report as of this date (default today)")
    action("export", "everything held about a case, as a Case document (JSON)").add_argument("case_id")
    p = action("close", "close a case: the retention period starts (see purge)")
    p.add_argument("case_id")
    p.add_argument("--on", type=_date, help="closing date (default today)")
    action("forget", "erase a case completely (the audit keeps only who, when, action and case id)").add_argument("case_id")
    p = action("purge", "erase every case closed longer ago than the retention period")
    p.add_argument("--retention-days", type=int, help=f"days after closing (default ${RETENTION_ENV}; one is required)")
    p.add_argument("--today", type=_date, help="count from this date (default today)")


def _read_many(path: str) -> Any:
    """(ref, data) pairs, read by the same strict readers as `recommend` and `batch`."""
    from ..caseload import read_documents

    return read_documents(path)


def _progress(args: argparse.Namespace, path: str) -> Any:
    if not (args.progress or sys.stderr.isatty()) or not path.endswith((".jsonl", ".ndjson")):
        return None
    from tqdm import tqdm  # lazily: only an import with a bar pays for it

    return tqdm(unit=" cases", file=sys.stderr, mininterval=0.5)


def run(args: argparse.Namespace) -> int:
    store, actor = open_store(args)
    try:
        return _ACTIONS[args.action](store, actor, args)
    finally:
        store.close()


def _import(store: Any, actor: Any, args: argparse.Namespace) -> int:
    bar = _progress(args, args.file)
    try:
        result = store.import_many(actor, _read_many(args.file), progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if result.stored + result.unchanged == 1 and not result.failed:
        print(result.ids[0])
    else:
        print(f"opgeslagen (stored): {result.stored}; al aanwezig (unchanged): {result.unchanged}; "
              f"fout (failed): {len(result.failed)}")
    for ref, message in result.failed:
        line = message if message.startswith(ref) else f"{ref}: {message}"
        print(f"wegwijzer: {printable(line, keep_lines=True)}", file=sys.stderr)
    return 1 if result.failed else 0


def _list(store: Any, actor: Any, args: argparse.Namespace) -> int:
    summaries = store.list_cases(actor)
    if args.format == "json":
        print(json.dumps([s.as_dict() for s in summaries], indent=2))
        return 0
    for s in summaries:
        closed = f"  gesloten {s.closed_on}" if s.closed_on else ""
        print(f"{s.case_id}\t{s.municipality}\t{s.assessments} metingen\t{s.first} .. {s.latest}{closed}")
    if not summaries:
        print("(geen casussen / no cases)", file=sys.stderr)
    return 0


def _show(store: Any, actor: Any, args: argparse.Namespace) -> int:
    summary = store.summary(actor, args.case_id)
    case = store.get(actor, args.case_id)
    data = summary.as_dict()
    data.update({"interventions_log": len(case.interventions_log), "goals": len(case.goals),
                 "contacts": len(case.contacts), "profile_history": len(case.profile_history)})
    print(json.dumps(data, indent=2))
    return 0


def _add(store: Any, actor: Any, args: argparse.Namespace) -> int:
    from ..caseload import read_case

    kind = store.add(actor, args.case_id, read_case(args.file))
    print(f"{args.case_id}: {kind} toegevoegd (added)")
    return 0


def _next(store: Any, actor: Any, args: argparse.Namespace) -> int:
    from ..render import render
    from .advise import advise
    from .repo import StoreFull, StoreUnavailable

    from ..api import Engine

    engine = Engine.load()
    rec = advise(store.get(actor, args.case_id, "advise"), engine, today=date.today(), pinned=args.as_of)
    try:
        advice_id = store.log_advice(actor, args.case_id, rec)  # the advice shown, for the coach's decisions
    except (StoreFull, StoreUnavailable) as exc:  # the advice is a read: it is given; only its log entry is not kept
        advice_id = None
        print(f"wegwijzer: advies niet in het logboek vastgelegd / advice not logged: {exc}", file=sys.stderr)
    sys.stdout.write(render(rec, args.format, args.lang, engine.book.municipalities[rec.municipality].name, engine.book))
    if advice_id:
        print(f"advies-id (advice id): {advice_id}", file=sys.stderr)
    return 0


def _decide(store: Any, actor: Any, args: argparse.Namespace) -> int:
    store.record_decision(actor, args.case_id, args.advice_id, args.intervention_id, args.decision, args.reason,
                          args.comment)
    print(f"{args.case_id}: besluit vastgelegd (decision recorded)")
    return 0


def _decisions(store: Any, actor: Any, args: argparse.Namespace) -> int:
    print(json.dumps(store.decisions(actor, args.case_id), indent=2, ensure_ascii=False))
    return 0


def _report(store: Any, actor: Any, args: argparse.Namespace) -> int:
    from .advise import report

    case = store.get(actor, args.case_id, "report")
    sys.stdout.write(report(case, today=date.today(), pinned=args.as_of))
    return 0


def _export(store: Any, actor: Any, args: argparse.Namespace) -> int:
    print(json.dumps(store.export(actor, args.case_id), indent=2, ensure_ascii=False))
    return 0


def _close(store: Any, actor: Any, args: argparse.Namespace) -> int:
    store.close_case(actor, args.case_id, args.on or date.today())
    print(f"{args.case_id}: gesloten (closed)")
    return 0


def _forget(store: Any, actor: Any, args: argparse.Namespace) -> int:
    store.forget(actor, args.case_id)
    print(f"{args.case_id}: gewist (erased)")
    return 0


def _purge(store: Any, actor: Any, args: argparse.Namespace) -> int:
    days = args.retention_days
    if days is None:
        text = os.environ.get(RETENTION_ENV)
        if not text:
            raise InputError([("retention-days", f"give --retention-days or set ${RETENTION_ENV}")])
        try:
            days = int(text)
        except ValueError:
            raise InputError([(RETENTION_ENV, f"'{text}' is not a whole number of days")]) from None
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise InputError([("retention-days", f"{days}: tussen 0 en {MAX_RETENTION_DAYS:,} dagen (100 jaar) / "
                                             f"from 0 to {MAX_RETENTION_DAYS:,} days (100 years)")])
    erased = store.purge(actor, days, args.today or date.today())
    print(f"gewist (purged): {len(erased)}")
    old_log = store.purge_log(actor, args.today or date.today())  # $WEGWIJZER_LOG_RETENTION_DAYS, at least six months
    print(f"logboek: {old_log} oude adviezen gewist (decision log entries purged: {old_log})")
    return 0


_ACTIONS = {"import": _import, "list": _list, "show": _show, "add": _add, "next": _next, "decide": _decide,
            "decisions": _decisions, "report": _report,
            "export": _export, "close": _close, "forget": _forget, "purge": _purge}
