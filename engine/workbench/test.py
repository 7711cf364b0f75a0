"""`wegwijzer test`: run scenario files (rules/*.test.yaml); with --coverage, what they never exercised."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import Any

from ..errors import RuleError
from ..rulebook import default_rules_dir
from ..safetext import printable
from .dutch import add_lang, nl


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="scenario files or folders (default: the rules folder)")
    parser.add_argument("--rules", help="rules folder to test (default: the shipped rules)")
    parser.add_argument("--coverage", action="store_true", help="list every node, branch and rule never exercised")
    parser.add_argument("--verbose", "-v", action="store_true", help="list passing cases too")
    parser.add_argument("--mutate", action="store_true",
                        help="change each threshold, comparison and all/any part one step and list the changes no scenario catches")
    parser.add_argument("--min-score", type=float, default=95.0, metavar="PCT",
                        help="with --mutate: exit 1 below this mutation score (default 95)")
    add_lang(parser)


_STATUS_NL = {"pass": "GESLAAGD", "fail": "MISLUKT", "xfail": "VERWACHT MISLUKT", "xpass": "ONVERWACHT GESLAAGD"}


def describe_nl(result: Any) -> str:
    """A scenario result in Dutch: where, name, verdict, then each expectation beside what came out."""
    head = f"{result.case.where}: {result.case.name}: {_STATUS_NL[result.status]}"
    if result.case.xfail:
        head += f" (xfail: {result.case.xfail})"
    return "\n".join([head, *(f"  - {m.what}: verwacht {m.expected!r}, kreeg {m.got!r}" for m in result.mismatches)])


def scenario_error(error: RuleError, lang: str) -> str:
    """A scenario file that cannot be read: where, then the message in Dutch with the English
    beside it (`--lang en`: English only). A message of a shape not known to `nl` stays English."""
    if lang != "nl":
        return str(error)
    where = f"{error.file}:{error.line}" if error.line else error.file
    rule = f" [{error.rule_id}]" if error.rule_id else ""
    dutch = nl(error.detail)
    return f"{where}:{rule} {dutch}" + (f"  (en: {error.detail})" if dutch != error.detail else "")


def run(args: argparse.Namespace) -> int:
    from ..api import Engine
    from ..scenarios import coverage, run_paths

    rules = Path(args.rules) if args.rules else default_rules_dir()
    engine = Engine.load(rules)
    bad: list[RuleError] = []
    results = run_paths(args.paths or [rules], engine, bad)
    for error in bad:  # reported, and the other files and cases still ran
        print(printable(scenario_error(error, args.lang), keep_lines=True), file=sys.stderr)
    if not results:
        print("geen scenario's gevonden" if args.lang == "nl" else "no scenario cases found", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    failed = counts.get("fail", 0) + counts.get("xpass", 0)
    nl = args.lang == "nl"
    if nl:  # the answer first: the tally, then what failed
        print(f"{counts.get('pass', 0)} geslaagd, {failed} mislukt" + (f", {counts['xfail']} verwacht mislukt" if counts.get("xfail") else "")
              + (f", {len(bad)} niet te lezen" if bad else ""))
    else:
        print(f"{counts.get('pass', 0)} passed, {failed} failed" + (f", {counts['xfail']} expected to fail" if counts.get("xfail") else "")
              + (f", {len(bad)} could not be read" if bad else ""))
    for result in results:
        if args.verbose or result.status in ("fail", "xpass"):
            print(printable(describe_nl(result) if nl else result.describe(), keep_lines=True))  # echoes the case
    code = 1 if failed or bad else 0
    if args.coverage:
        report = coverage(results, engine.book)
        text = report.report()
        if nl:
            text = text.replace("coverage: ", "dekking: ", 1).replace("  never exercised: ", "  nooit geraakt: ")
        print(text)
        if report.missing:
            code = code or 1
    if args.mutate:
        from .mutate import mutation_test, render

        mutants = mutation_test(engine, [result.case for result in results])
        sys.stdout.write(render(mutants, args.lang))
        if mutants.score < args.min_score:
            code = code or 1
    return code
