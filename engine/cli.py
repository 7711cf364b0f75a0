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
    "recommend": (".cli", "advice for one assessment or case (file or - for stdin)"),
    "schema": (".cli", "print the JSON Schema (2020-12) of Assessment, Case and Recommendation"),
    "check": (".workbench.check", "validate the rule files and the flowchart graph"),
    "test": (".workbench.test", "run scenario files (rules/*.test.yaml); --coverage"),
    "explain": (".workbench.explain", "the path through the flowchart for one case"),
    "diff": (".workbench.diff", "what a rule change does to a caseload"),
    "synth": (".workbench.synth", "a synthetic caseload from the report's figures"),
    "stats": (".workbench.stats", "profiles, interventions and referral load over a caseload"),
    "graph": (".workbench.graph", "the flowchart as mermaid, dot or svg"),
    "batch": (".batch", "advise a whole caseload (JSON Lines or a folder), in parallel"),
    "serve": (".web.serve", "the coach's web page and the HTTP API"),
    "report": (".report.cli", "the progress report (voortgangsrapportage) of one case, HTML or Markdown"),
    "case": (".store.cli", "keep cases in the store: import, list, add, next, report, export, forget, purge"),
    "user": (".store.usercli", "users of a shared store: add (prints a personal token once; --password for the browser), password, list"),
    "monitor": (".monitor.cli", "the team's monitor over the store or a caseload: HTML and CSV"),
    "feedback": (".feedback", "for trainers: per rule and intervention how often coaches followed the advice, and why not"),
    "algoritmeregister": (".register", "the Algoritmeregister entry for a municipality, from the rules (Markdown or JSON)"),
    "replay": (".replay", "give a past advice again from its receipt and input, with the rules of that time"),
}


def add_recommend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", help="assessment or case file (YAML or JSON), or - for stdin")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")


def run_recommend(args: argparse.Namespace) -> int:
    from .api import Engine
    from .caseload import read_case
    from .render import render

    engine = Engine.load(args.rules)
    rec = engine.recommend(read_case(args.case), source=args.case)
    sys.stdout.write(render(rec, args.format, args.lang, engine.book.municipalities[rec.municipality].name))
    return 0


def add_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", nargs="?", choices=("all", "assessment", "case", "recommendation", "both"), default="all",
                        help="all (default): one document, input Assessment or Case, every model in $defs")
    parser.add_argument("--rules", help="rules folder whose municipalities the schema lists (default: the shipped rules)")


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_document(which: str = "all", municipalities: list[str] | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) document. 'all': one document whose $defs hold every model
    and which accepts an Assessment or a Case (a Recommendation is in $defs, as the output);
    'assessment', 'case', 'recommendation': that model alone. 'both' is the first release's
    pair of documents {"assessment": ..., "recommendation": ...}, which GET /v1/schema serves,
    with the second release's "case" added beside them.
    `municipalities`: a rulebook's ids (its social map), given as the enum of `municipality`;
    without them the schema says only the id's pattern."""
    from pydantic.json_schema import models_json_schema

    from .model import Assessment, Case, Recommendation

    if which == "both":
        doc = {"assessment": Assessment.model_json_schema(),
               "case": Case.model_json_schema(by_alias=True),
               "recommendation": Recommendation.model_json_schema(by_alias=True)}
    elif which in ("assessment", "case", "recommendation"):
        model = {"assessment": Assessment, "case": Case, "recommendation": Recommendation}[which]
        mode = "serialization" if which == "recommendation" else "validation"
        doc = {"$schema": JSON_SCHEMA_DIALECT, **model.model_json_schema(by_alias=True, mode=mode)}
    else:
        _, top = models_json_schema([(Assessment, "validation"), (Case, "validation"), (Recommendation, "serialization")],
                                    by_alias=True, ref_template="#/$defs/{model}")
        doc = {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": "Wegwijzer",
            "description": "Input: an Assessment (one moment) or a Case (a client over time). "
                           "Output: a Recommendation ($defs/Recommendation).",
            "oneOf": [{"$ref": "#/$defs/Assessment"}, {"$ref": "#/$defs/Case"}],
            "$defs": top["$defs"],
        }
    if municipalities is not None:
        list_municipalities(doc, list(municipalities))
    return doc


def list_municipalities(schema: Any, ids: list[str]) -> None:
    """Give every `municipality` property in `schema` (in place) the rulebook's ids as its enum."""
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("municipality"), dict):
            properties["municipality"]["enum"] = ids
        for value in schema.values():
            list_municipalities(value, ids)
    elif isinstance(schema, list):
        for value in schema:
            list_municipalities(value, ids)


def run_schema(args: argparse.Namespace) -> int:
    from .rulebook import load

    municipalities = list(load(args.rules).municipalities)
    print(json.dumps(schema_document(args.which, municipalities), indent=2, ensure_ascii=False))
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
    # relative to this package: the same code runs as `wegwijzer` (installed) or `engine` (a checkout)
    package = __package__ or "engine"
    if module.startswith("engine."):  # the source folder's name, as a command may be listed
        module = module[len("engine"):]
    name = package + module if module.startswith(".") else module
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == name or name.startswith(exc.name + ".")):
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
            code = _LOCAL[args.command][1](args)
        else:
            mod = _import(COMMANDS[args.command][0])
            if mod is None:
                print(f"wegwijzer: '{args.command}' is not available in this build", file=sys.stderr)
                return 2
            code = mod.run(args)
        sys.stdout.flush()  # a full disk shows here, not as an "Exception ignored" at exit
        return code
    except WegwijzerError as exc:
        print(f"wegwijzer: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("wegwijzer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader stopped early (`| head -1`): no message, the exit status a shell expects
        # of a command ended by SIGPIPE
        _drop_stdout()
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"wegwijzer: {where}cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        if not exc.filename:
            _drop_stdout()
        return 2


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that the final flush at exit cannot fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
