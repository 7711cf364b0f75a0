"""`wegwijzer synth`: a synthetic caseload as JSON Lines (one compact object per line, sorted keys);
with --trajectories, cases with a history."""
from __future__ import annotations

import argparse
import json
import sys

from ..errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--municipality", required=True,
                        help="a municipality of the rules' social map whose target group the report describes in figures")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--n", type=int, default=100, help="number of cases (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same caseload")
    parser.add_argument("--out", help="output file (default: stdout)")
    parser.add_argument("--trajectories", action="store_true",
                        help="cases with a history (assessments over time, intervention log, goals, contacts)")


def run(args: argparse.Namespace) -> int:
    from ..rulebook import load
    from ..synth import MUNICIPALITIES as WITH_FIGURES

    book = load(args.rules)
    unknown = book.unknown_municipality(args.municipality)
    if unknown:
        raise InputError([("--municipality", unknown)])
    if args.municipality not in WITH_FIGURES:
        raise InputError([("--municipality", f"'{args.municipality}' is in the rules, but the report gives figures for the "
                                             f"target groups of {', '.join(WITH_FIGURES)} only; synth draws from those")])
    if args.trajectories:
        from ..api import Engine
        from ..trajectory_synth import generate_cases

        cases = generate_cases(args.municipality, args.n, args.seed, engine=Engine(book))
    else:
        from ..synth import generate

        cases = generate(args.municipality, args.n, args.seed)
    if args.out:
        try:
            out = open(args.out, "w", encoding="utf-8")
        except OSError as exc:
            raise InputError([("--out", f"cannot write: {exc.strerror}")], args.out) from None
    else:
        out = sys.stdout
    try:
        for case in cases:
            out.write(json.dumps(case, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0
