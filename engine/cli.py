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
# Help in Dutch first, as the workbench speaks it, with the English beside it.
COMMANDS: dict[str, tuple[str, str]] = {
    "recommend": (".cli", "advies voor één meting of casus (bestand, of - voor stdin) / advice for one assessment or case"),
    "schema": (".cli", "het JSON Schema (2020-12) van Assessment, Case en Recommendation / the JSON Schema"),
    "check": (".workbench.check", "de regelbestanden en de graaf van het stroomschema controleren / validate the rule files"),
    "test": (".workbench.test", "scenariobestanden draaien (rules/*.test.yaml); --coverage, --mutate / run the scenario files"),
    "explain": (".workbench.explain", "het pad door het stroomschema voor één casus / the path through the flowchart"),
    "diff": (".workbench.diff", "wat een regelwijziging met een caseload doet / what a rule change does to a caseload"),
    "synth": (".workbench.synth", "een synthetische caseload volgens de cijfers uit het rapport / a synthetic caseload"),
    "stats": (".workbench.stats", "profielen, interventies en verwijslast over een caseload / profiles, interventions, referral load"),
    "graph": (".workbench.graph", "het stroomschema als mermaid, dot of svg / the flowchart as mermaid, dot or svg"),
    "map": (".workbench.socialmap", "de sociale kaart in Open Referral HSDS 3.0: export, import / the social map in HSDS 3.0"),
    "batch": (".batch", "een hele caseload adviseren (JSON Lines of een map), parallel / advise a whole caseload"),
    "serve": (".web.serve", "de webpagina voor coaches en de HTTP-API / the coach's web page and the HTTP API"),
    "report": (".report.cli", "de voortgangsrapportage van één casus, HTML of Markdown / the progress report of one case"),
    "case": (".store.cli", "casussen bewaren: import, list, add, next, report, export, forget, purge / keep cases in the store"),
    "user": (".store.usercli", "gebruikers van een gedeelde opslag: add (toont eenmalig een persoonlijk token; --password voor de browser), password, list / users of a shared store"),
    "monitor": (".monitor.cli", "de monitor van het team over de opslag of een caseload: HTML en CSV / the team's monitor"),
    "feedback": (".feedback", "voor trainers: per regel en interventie hoe vaak coaches het advies volgden, en waarom niet / "
                              "for trainers: how often coaches followed the advice"),
    "municipality": (".workbench.municipality", "gemeentepakketten: new (een nieuw pakket), list / municipality packs: new, list"),
    "algoritmeregister": (".register", "de registratie in het Algoritmeregister voor een gemeente, uit de regels / "
                                       "the Algoritmeregister entry"),
    "replay": (".replay", "een eerder advies opnieuw, uit het bewijs (receipt) en de invoer, met de regels van toen / "
                          "replay a past advice"),
}


def add_recommend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", help="beoordeling of casus (YAML of JSON), of - voor stdin / assessment or case file, or - for stdin")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="uitvoer / output (default text)")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl", help="taal van de uitvoer / language of the output (default nl)")
    parser.add_argument("--rules", help="map met regels (standaard: de meegeleverde) / rules folder (default: the shipped rules)")


def run_recommend(args: argparse.Namespace) -> int:
    from .api import Engine
    from .caseload import read_case
    from .render import render
    from .rulecache import load_cached

    engine = Engine(load_cached(args.rules))  # the checked rules, kept between runs (engine.rulecache)
    rec = engine.recommend(read_case(args.case), source=args.case)
    sys.stdout.write(render(rec, args.format, args.lang, engine.book.municipalities[rec.municipality].name, engine.book))
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
    `municipalities`: what a rulebook accepts as `municipality` (its packs' ids and CBS codes,
    Rulebook.municipality_names), given as its enum; without them the schema says only the id's pattern."""
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
    """Give every `municipality` property in `schema` (in place) the rulebook's names (ids and
    CBS codes) as its enum; the enum replaces the id's pattern, which a code does not match."""
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("municipality"), dict):
            properties["municipality"]["enum"] = ids
            properties["municipality"].pop("pattern", None)
        for value in schema.values():
            list_municipalities(value, ids)
    elif isinstance(schema, list):
        for value in schema:
            list_municipalities(value, ids)


def run_schema(args: argparse.Namespace) -> int:
    from .rulebook import load

    municipalities = load(args.rules).municipality_names()
    print(json.dumps(schema_document(args.which, municipalities), indent=2, ensure_ascii=False))
    return 0


_LOCAL: dict[str, tuple[Callable, Callable]] = {
    "recommend": (add_recommend, run_recommend),
    "schema": (add_schema, run_schema),
}


class _DutchHelp(argparse.HelpFormatter):
    """argparse's own words in Dutch, with the English beside them, as the rest of the help."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "gebruik / usage: " if prefix is None else prefix)


def _dutch(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser._positionals.title = "argumenten / arguments"
    parser._optionals.title = "opties / options"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "deze hulp tonen / show this help"
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wegwijzer", add_help=False, formatter_class=_DutchHelp,
                                     description="Wegwijzer: wat nu? Uitgelegd advies volgens de regels van de pilots / "
                                                 "explained advice from the pilot rules. `wegwijzer OPDRACHT -h` voor een opdracht.")
    parser.add_argument("-h", "--help", action="help")
    _dutch(parser)
    parser._positionals.title = "opdrachten / commands"
    sub = parser.add_subparsers(dest="command", metavar="OPDRACHT")
    argv = sys.argv[1:]
    wanted = next((a for a in argv if not a.startswith("-")), None)
    # A command named first needs its own parser only: making all twenty costs a plain
    # `wegwijzer recommend` about a twentieth of its cold start. Anything else (`-h`, a typo,
    # nothing) gets them all, so that the help and "invalid choice" list every command.
    only = wanted if argv[:1] == [wanted] and wanted in COMMANDS else None
    for name, (module, help_text) in COMMANDS.items():
        if only is not None and name != only:
            continue
        p = _dutch(sub.add_parser(name, help=help_text, description=help_text, formatter_class=_DutchHelp))
        if name in _LOCAL:
            _LOCAL[name][0](p)
        elif name == wanted:  # load a command's arguments only when it is the one asked for
            mod = _import(module)
            if mod is not None:
                mod.add_arguments(p)
        _add_packs(p)
    return parser


PACKS_HELP = ("map met gemeentepakketten buiten de regels (DIR/<id>/municipality.yaml), herhaalbaar; "
              "standaard $WEGWIJZER_PACKS / a folder of municipality packs besides the rules, repeatable")


def _add_packs(parser: argparse.ArgumentParser) -> None:
    """`--packs DIR` beside every `--rules` (in sub-commands too): the packs load with the rules."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.formatter_class = _DutchHelp  # a command's own sub-commands speak as the rest
                _add_packs(_dutch(sub))
    # `case` has no --rules (the store advises with the installed rules), yet advises: its packs too
    in_case = parser.prog.split()[1:2] == ["case"] and not any(
        isinstance(action, argparse._SubParsersAction) for action in parser._actions)
    if (in_case or any(action.dest == "rules" for action in parser._actions)) and not any(
            action.dest == "packs" for action in parser._actions):
        parser.add_argument("--packs", action="append", metavar="DIR", help=PACKS_HELP)


def _with_packs(args: argparse.Namespace) -> str | None:
    """Give --packs to every load of the rules in this command, its worker processes too, as
    $WEGWIJZER_PACKS (rulebook.load reads it). Returns the value to restore afterwards."""
    import os

    from .rulebook import PACKS_ENV

    before = os.environ.get(PACKS_ENV)
    packs = getattr(args, "packs", None)
    if packs:
        os.environ[PACKS_ENV] = os.pathsep.join(packs)
    return before


def _restore_packs(before: str | None) -> None:
    import os

    from .rulebook import PACKS_ENV

    if before is None:
        os.environ.pop(PACKS_ENV, None)
    else:
        os.environ[PACKS_ENV] = before


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
    from .interrupts import quit_now_on_interrupt, restore
    from .safetext import printable

    before = quit_now_on_interrupt()  # while the command's modules load (engine.interrupts says why)
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    parser = build_parser()
    args = parser.parse_args()
    if not args.command:
        restore(before)
        parser.print_help()
        return 2
    packs_before = _with_packs(args)
    try:
        restore(before)
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
        print(f"wegwijzer: {printable(str(exc), keep_lines=True)}", file=sys.stderr)
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
        where = f"{printable(exc.filename)}: " if exc.filename else ""
        print(f"wegwijzer: {where}cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        if not exc.filename:
            _drop_stdout()
        return 2
    finally:
        _restore_packs(packs_before)


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
