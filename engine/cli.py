"""The `wegwijzer` command: a thin skin over the library.

Each command is a function that returns an exit code. Expected errors print their
message and exit 2; nothing shows a traceback to a user. Commands import only what they
need, so that the CLI starts fast.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, Callable

# name -> (module, help). A module provides add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "recommend": ("engine.cli", "advice for one assessment (file or - for stdin)"),
    "schema": ("engine.cli", "print the JSON Schema of Assessment and Recommendation"),
    "check": ("engine.workbench.check", "validate the rule files and the flowchart graph"),
    "test": ("engine.workbench.test", "run scenario files (rules/*.test.yaml); --coverage"),
    "explain": ("engine.workbench.explain", "the path through the flowchart for one case"),
    "diff": ("engine.workbench.diff", "what a rule change does to a caseload"),
    "synth": ("engine.workbench.synth", "a synthetic caseload from the report's figures"),
    "stats": ("engine.workbench.stats", "profiles, interventions and referral load over a caseload"),
    "graph": ("engine.workbench.graph", "the flowchart as mermaid, dot or svg"),
    "batch": ("engine.batch", "advise a whole caseload (JSON Lines or a folder), in parallel"),
    "serve": ("engine.web.serve", "the coach's web page and the HTTP API"),
    "case": ("engine.store.cli", "keep cases in the store: import, list, add, next, report, export, forget, purge"),
    "user": ("engine.store.usercli", "users of a shared store: add (prints a personal token once), list"),
    "monitor": ("engine.monitor.cli", "the team's monitor over the store or a caseload: HTML and CSV"),
}


def add_recommend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", help="assessment file (YAML or JSON), or - for stdin")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")


def run_recommend(args: argparse.Namespace) -> int:
    from .api import Engine
    from .caseload import read_case
    from .render import render

    engine = Engine.load(args.rules)
    rec = engine.recommend(read_case(args.case), source=args.case)
    sys.stdout.write(render(rec, args.format, args.lang))
    return 0


def add_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", nargs="?", choices=("assessment", "recommendation", "both"), default="both")


def schema_document(which: str = "both") -> dict[str, Any]:
    from .model import Assessment, Recommendation

    docs = {"assessment": Assessment.model_json_schema(),
            "recommendation": Recommendation.model_json_schema(by_alias=True)}
    return docs if which == "both" else docs[which]


def run_schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema_document(args.which), indent=2, ensure_ascii=False))
    return 0


_LOCAL: dict[str, tuple[Callable, Callable]] = {
    "recommend": (add_recommend, run_recommend),
    "schema": (add_schema, run_schema),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wegwijzer", description="Wegwijzer: wat nu? Explained advice from the pilot rules.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    argv = sys.argv[1:]
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name in _LOCAL:
            _LOCAL[name][0](p)
        elif name == wanted:  # load a command's arguments only when it is the one asked for
            mod = _import(module)
            if mod is not None:
                mod.add_arguments(p)
    return parser


def _import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
            return None  # command not part of this build
        raise


def main(argv: list[str] | None = None) -> int:
    from .errors import WegwijzerError

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    parser = build_parser()
    args = parser.parse_args()
    if not args.command:
        parser.print_help()
        return 2
    try:
        if args.command in _LOCAL:
            return _LOCAL[args.command][1](args)
        mod = _import(COMMANDS[args.command][0])
        if mod is None:
            print(f"wegwijzer: '{args.command}' is not available in this build", file=sys.stderr)
            return 2
        return mod.run(args)
    except WegwijzerError as exc:
        print(f"wegwijzer: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("wegwijzer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
