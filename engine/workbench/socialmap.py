"""`wegwijzer map`: the social map in Open Referral HSDS 3.0.

    wegwijzer map export --municipality leiden [--out DIR]     # JSON on stdout, or one file per table
    wegwijzer map import DIR-or-FILE --municipality zwolle [--into PACKS] [--pilot ORG_ID]

`import` turns a municipality's own HSDS 3.0 directory into its pack's social_map.yaml (printed,
or written into the pack PACKS/<id>/ with --into; make the pack first with `wegwijzer
municipality new`) and reports every service it could not map to an intervention. The pilot
professional is the trainer's choice: HSDS does not say who coordinates. --pilot names the
imported organisation the professional works for; without it the pack's own pilot organisation
stays on the map. Then `wegwijzer check --packs PACKS` names what is still missing.
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
    p = sub.add_parser("import", help="een HSDS 3.0-directory als sociale kaart van een gemeentepakket / "
                                      "an HSDS 3.0 directory as a pack's social map")
    p.add_argument("source", help="a folder with organizations.json and services.json, or one JSON file")
    p.add_argument("--municipality", required=True, help="the municipality's id, its pack's folder (e.g. zwolle), or its CBS code (GM0193)")
    p.add_argument("--pilot", help="id of the imported organisation the coordinating professional works for "
                                   "(default: the pack's own pilot organisation stays on the map)")
    p.add_argument("--rules", help="rules folder whose interventions the services are mapped to (default: shipped)")
    p.add_argument("--into", help="folder of packs holding <municipality>/ (made by `wegwijzer municipality new`): "
                                  "its social_map.yaml is replaced (default: print the file)")


def _id_of_code(code: str, book: object, into: Path | None) -> str:
    """The id of the pack whose CBS code is `code`: among the rules' packs, else among the packs
    in `into` (not loaded with the rules, and perhaps not yet passing check)."""
    from ..yamlload import load_with_lines

    mid = book.municipality_id(code)  # type: ignore[attr-defined]
    if mid != code:
        return str(mid)
    for main in sorted(into.glob("*/municipality.yaml")) if into is not None and into.is_dir() else []:
        data = load_with_lines(main)
        if isinstance(data, dict) and data.get("code") == code:
            return main.parent.name
    raise InputError([("--municipality", f"geen gemeentepakket met CBS-code {code}"
                                         f"{' in ' + str(into) if into is not None else ''}; maak het eerst met "
                                         "`wegwijzer municipality new`")])


def run(args: argparse.Namespace) -> int:
    from ..hsds import from_hsds, read_directory, social_map_file, to_hsds, write_directory
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

    from ..rulebook import CODE_PATTERN
    from ..yamlload import load_with_lines, strip_lines

    if re.fullmatch(CODE_PATTERN, args.municipality.upper()):  # a CBS code names the municipality, as in export
        args.municipality = _id_of_code(args.municipality.upper(), book, Path(args.into) if args.into else None)
    if not re.fullmatch(MUNICIPALITY_PATTERN, args.municipality):
        raise InputError([("--municipality", "lower-case letters, digits and '_' (e.g. zwolle), or its CBS code (GM0193)")])
    pack = Path(args.into) / args.municipality if args.into else None
    if pack is not None and not (pack / "municipality.yaml").is_file():
        raise InputError([("--into", f"geen gemeentepakket {pack}: maak het eerst met `wegwijzer municipality new NAAM "
                                     f"--code GMxxxx --variant PILOT --into {args.into}`")])
    imported = from_hsds(read_directory(Path(args.source)), book)
    for name, why in imported.unmapped:
        print(f"niet overgenomen: {name}: {why}", file=sys.stderr)
    ids = [org["id"] for org in imported.organisations]
    if not ids:
        raise InputError([("source", "no service could be mapped to an intervention; nothing to import")], args.source)
    if args.pilot is not None and args.pilot not in ids:
        raise InputError([("--pilot", f"give the id of the organisation the coordinating professional works for; "
                                      f"imported: {', '.join(ids)}")])
    kept = []
    if pack is not None and args.pilot is None:
        # HSDS does not name the pilot's organisation: keep the pack's own on the map
        # read as check reads them: a file the trainer broke is an error at its line, not a traceback
        main = load_with_lines(pack / "municipality.yaml")
        pilot = main.get("pilot") if isinstance(main, dict) else None
        pilot = pilot if isinstance(pilot, dict) else {}
        before = load_with_lines(pack / "social_map.yaml") if (pack / "social_map.yaml").is_file() else {}
        organisations = before.get("organisations") if isinstance(before, dict) else None
        kept = [strip_lines(org) for org in (organisations if isinstance(organisations, list) else [])
                if isinstance(org, dict) and org.get("id") == pilot.get("organisation") and org.get("id") not in ids]
    text = social_map_file(imported, Path(args.source).name, kept)
    services = sum(len(org["services"]) for org in imported.organisations)
    print(f"{len(ids)} organisaties, {services} diensten overgenomen; {len(imported.unmapped)} niet", file=sys.stderr)
    if pack is None:
        sys.stdout.write(text)
        return 0
    (pack / "social_map.yaml").write_text(text, encoding="utf-8")
    if args.pilot is not None:
        main = pack / "municipality.yaml"
        # the pilot block's `organisation:` (the file's only key at that depth of that name)
        main.write_text(re.sub(r"(?m)^(  organisation: )\S+", lambda m: m.group(1) + args.pilot,
                               main.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    print(f"geschreven: {pack / 'social_map.yaml'}; `wegwijzer check --packs {args.into}` zegt wat er nog nodig is",
          file=sys.stderr)
    return 0
