"""`wegwijzer map`: the social map in Open Referral HSDS 3.0.

    wegwijzer map export --municipality leiden [--out DIR]     # JSON on stdout, or one file per table
    wegwijzer map import DIR-or-FILE --municipality deventer --name Deventer --pilot ORG_ID [--into rules/]

`import` turns a municipality's own HSDS 3.0 directory into a social_map.yaml entry (printed, or
added to the rules folder's social_map.yaml with --into) and reports every service it could not
map to an intervention. The pilot professional is the trainer's choice: HSDS does not say who
coordinates. After --into, `wegwijzer check` names what the new municipality still needs (its
variant in resolution.yaml, its collaboration forms in lead_coordinator.yaml).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InputError
from ..model import MUNICIPALITY_PATTERN


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("export", help="de sociale kaart als HSDS 3.0 / the social map as HSDS 3.0")
    p.add_argument("--municipality", required=True)
    p.add_argument("--format", choices=("hsds",), default="hsds")
    p.add_argument("--rules", help="rules folder (default: the shipped rules)")
    p.add_argument("--out", help="folder for organizations.json, services.json, taxonomies.json, "
                                 "taxonomy_terms.json (default: one JSON document on stdout)")
    p = sub.add_parser("import", help="een HSDS 3.0-directory als sociale kaart / an HSDS 3.0 directory as a social map")
    p.add_argument("source", help="a folder with organizations.json and services.json, or one JSON file")
    p.add_argument("--municipality", required=True, help="the new municipality's id (lower case, e.g. deventer)")
    p.add_argument("--name", required=True, help="its name as coaches read it")
    p.add_argument("--pilot", help="id of the imported organisation the coordinating professional works for")
    p.add_argument("--pilot-name", default=None, help="name of the approach or team (default: the municipality's name)")
    p.add_argument("--role", choices=("participation_coach", "trajectory_consultant"), default="participation_coach")
    p.add_argument("--rules", help="rules folder whose interventions the services are mapped to (default: shipped)")
    p.add_argument("--into", help="add the entry to this rules folder's social_map.yaml (default: print it)")


def run(args: argparse.Namespace) -> int:
    from ..hsds import from_hsds, read_directory, social_map_entry, to_hsds, write_directory
    from ..rulebook import load

    book = load(args.rules)
    if args.action == "export":
        doc = to_hsds(book, args.municipality)
        if args.out:
            for path in write_directory(doc, Path(args.out)):
                print(path)
        else:
            print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0

    import re

    if not re.fullmatch(MUNICIPALITY_PATTERN, args.municipality):
        raise InputError([("--municipality", "lower-case letters, digits and '_' (e.g. deventer)")])
    if args.municipality in book.municipalities:
        raise InputError([("--municipality", f"'{args.municipality}' is on the social map already")])
    imported = from_hsds(read_directory(Path(args.source)), book)
    for name, why in imported.unmapped:
        print(f"niet overgenomen: {name}: {why}", file=sys.stderr)
    ids = [org["id"] for org in imported.organisations]
    if not ids:
        raise InputError([("source", "no service could be mapped to an intervention; nothing to import")], args.source)
    if args.pilot not in ids:
        raise InputError([("--pilot", f"give the id of the organisation the coordinating professional works for; "
                                      f"imported: {', '.join(ids)}")])
    entry = social_map_entry(imported, args.municipality, args.name,
                             {"name": args.pilot_name or args.name, "role": args.role, "organisation": args.pilot},
                             Path(args.source).name)
    services = sum(len(org["services"]) for org in imported.organisations)
    print(f"{len(ids)} organisaties, {services} diensten overgenomen; {len(imported.unmapped)} niet", file=sys.stderr)
    if not args.into:
        sys.stdout.write(entry)
        return 0
    target = Path(args.into) / "social_map.yaml"
    text = target.read_text(encoding="utf-8")
    # social_map.yaml holds `municipalities:` only, so an entry appended at the end lands under it
    target.write_text(text.rstrip("\n") + "\n" + entry, encoding="utf-8")
    print(f"toegevoegd aan {target}; `wegwijzer check --rules {args.into}` zegt wat er nog nodig is "
          "(variant in resolution.yaml, samenwerkingsvormen in lead_coordinator.yaml)", file=sys.stderr)
    return 0
