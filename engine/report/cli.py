"""`wegwijzer report CASE [--format html|markdown]`: the progress report of one case."""
from __future__ import annotations

import argparse
import sys

from ..errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", help="case file with history (YAML or JSON), or - for stdin")
    parser.add_argument("--format", choices=("html", "markdown"), default="html")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--out", help="output file (default: stdout)")


def run(args: argparse.Namespace) -> int:
    from ..api import Engine
    from ..caseload import read_case
    from . import render_report

    engine = Engine.load(args.rules)
    text = render_report(engine, read_case(args.case), args.format, source=args.case)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise InputError([("--out", f"cannot write: {exc.strerror}")], args.out) from None
    else:
        sys.stdout.write(text)
    return 0
