"""`wegwijzer synth`: a synthetic caseload as JSON Lines (one compact object per line, sorted keys);
with --trajectories, cases with a history."""
from __future__ import annotations

import argparse
import json
import sys

from ..errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--municipality", required=True,
                        help="a municipality of the rules' social map; one without published figures draws from the pilot "
                             "whose variant it took (resolution.yaml)")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--n", type=int, default=100, help="number of cases (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same caseload")
    parser.add_argument("--out", help="output file (default: stdout)")
    parser.add_argument("--trajectories", action="store_true",
                        help="cases with a history (assessments over time, intervention log, goals, contacts)")


def pilot_of_same_variant(book: object, municipality: str, pilots: tuple[str, ...]) -> str | None:
    """The pilot whose variant (its pack's `variant:`) the municipality took."""
    variants = {mid: m.variant for mid, m in book.municipalities.items()}  # type: ignore[attr-defined]
    return next((p for p in pilots if variants.get(p) is not None and variants.get(p) == variants.get(municipality)), None)


def run(args: argparse.Namespace) -> int:
    from ..rulebook import load
    from ..synth import MUNICIPALITIES as WITH_FIGURES

    book = load(args.rules)
    unknown = book.unknown_municipality(args.municipality)
    if unknown:
        raise InputError([("--municipality", unknown)])
    args.municipality = book.municipality_id(args.municipality)  # a CBS code names it too
    figures_of = None
    if args.municipality not in WITH_FIGURES:
        figures_of = pilot_of_same_variant(book, args.municipality, WITH_FIGURES)
        if figures_of is None:
            raise InputError([("--municipality", f"'{args.municipality}' is in the rules, but the report gives figures for "
                                                 f"the target groups of {', '.join(WITH_FIGURES)} only, and none of them "
                                                 "takes its variant (resolution.yaml); synth draws from those")])
        print(f"wegwijzer synth: {args.municipality} heeft geen eigen cijfers; getrokken uit die van {figures_of} "
              f"(dezelfde variant) / drawn from {figures_of}'s figures (same variant)", file=sys.stderr)
    if args.trajectories:
        from ..api import Engine
        from ..trajectory_synth import generate_cases

        cases = generate_cases(args.municipality, args.n, args.seed, engine=Engine(book), figures_of=figures_of)
    else:
        from ..synth import generate

        cases = generate(args.municipality, args.n, args.seed, figures_of=figures_of)
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
