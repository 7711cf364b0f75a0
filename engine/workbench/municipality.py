"""`wegwijzer municipality`: the municipality packs (rules/municipalities/<id>/).

    wegwijzer municipality list                                    # id, CBS code, name, variant
    wegwijzer municipality new Zwolle --code GM0193 --variant tilburg [--into mijn-gemeenten]

`new` scaffolds a pack that passes `check` and `test`: the variant and the collaboration forms
of the pilot named by --variant, for exactly the lead rules that can apply in the new
municipality (a rule for Helmond alone gets no form), and a social map with the municipality's
own organisation as the pilot's plus the generic services the pilots' maps share (`source:
practice`), each marked as still to be filled in. Nothing about a municipality is written in
Python: what is copied is read from the packs and the lead rules.
"""
from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..model import MUNICIPALITY_PATTERN

TO_FILL = "IN TE VULLEN"  # marks what the scaffold could only guess


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTIE", required=True)
    p = sub.add_parser("list", help="de gemeenten van de regels: id, CBS-code, naam, variant / the municipalities")
    p.add_argument("--rules", help="map met regels (standaard: de meegeleverde) / rules folder (default: the shipped rules)")
    p = sub.add_parser("new", help="een nieuw gemeentepakket dat check en test doorstaat / scaffold a municipality pack",
                       description="Maakt een gemeentepakket (municipality.yaml en social_map.yaml) dat `wegwijzer check` "
                                   "en `wegwijzer test` doorstaat / scaffolds a municipality pack that passes check and test.")
    p.add_argument("name", metavar="NAAM", help="naam van de gemeente, zoals coaches die lezen (de id wordt ervan afgeleid: "
                                               "'Bergen op Zoom' wordt bergen_op_zoom) / the municipality's name")
    p.add_argument("--code", required=True, help="CBS-gemeentecode, GM en vier cijfers (Zwolle: GM0193) / the CBS code")
    p.add_argument("--variant", required=True, metavar="PILOT",
                   help="de id van de gemeente (een pilot: leiden, helmond, tilburg) waarvan het pakket de variant en de "
                        "samenwerkingsvormen overneemt / the pilot whose variant and forms to copy")
    p.add_argument("--into", metavar="MAP", help="map voor het pakket (MAP/<id>/); standaard de eerste --packs-map of "
                                                "$WEGWIJZER_PACKS, anders de map municipalities/ van de regels / where to write the pack")
    p.add_argument("--rules", help="map met regels (standaard: de meegeleverde) / rules folder (default: the shipped rules)")


def slug(name: str) -> str:
    """The id of a municipality named `name`: lower case ASCII, words joined by '_'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "_".join(re.findall(r"[a-z0-9]+", plain))


def run(args: argparse.Namespace) -> int:
    from ..rulebook import default_rules_dir, env_packs, load

    if args.action == "list":
        rows = [("id", "code", "naam", "variant")]
        rows += [(mid, m.code, m.name, m.variant) for mid, m in load(args.rules).municipalities.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3])
        return 0
    rules = Path(args.rules) if args.rules else default_rules_dir()
    inside = (rules / "municipalities").resolve()
    packs = env_packs()  # --packs too: the CLI gives them here
    into = Path(args.into) if args.into else (packs[0] if packs else rules / "municipalities")
    outside = list(packs)
    if into.resolve() != inside and all(into.resolve() != p.resolve() for p in packs):
        outside.append(into)  # its packs count too (no id or code twice), and check must be told of it
    book = load(rules, [p for p in outside if p.is_dir()])
    folder, main, social = scaffold(book, args.name, args.code, args.variant, into)
    mid = folder.name
    flags = "".join(f" --packs {p}" for p in outside)
    rules_flag = f" --rules {args.rules}" if args.rules else ""
    print(f"Gemeentepakket {mid} gemaakt in {folder}:", file=sys.stderr)
    print(f"  {main.name}: code {book_code(args.code)}, variant en samenwerkingsvormen van {args.variant}", file=sys.stderr)
    print(f"  {social.name}: de eigen organisatie van de gemeente en algemene diensten, gemarkeerd '{TO_FILL}'", file=sys.stderr)
    print("Wat nu:", file=sys.stderr)
    print(f"  1. vul de sociale kaart in ({social}): controleer elke organisatie met '{TO_FILL}',", file=sys.stderr)
    print(f"     of haal haar uit de HSDS 3.0-directory van de gemeente: "
          f"wegwijzer map import MAP --municipality {mid} --into {into}{rules_flag}", file=sys.stderr)
    print(f"  2. wegwijzer check{rules_flag}{flags}", file=sys.stderr)
    print(f"  3. wegwijzer test{rules_flag}{flags}", file=sys.stderr)
    print(folder)
    return 0


def book_code(code: str) -> str:
    return code.upper()


def scaffold(book: Any, name: str, code: str, variant_of: str, into: Path) -> tuple[Path, Path, Path]:
    """Write the pack `into`/<id>/ for the municipality `name`; refuse an id or code the rules
    know, a malformed code, an unknown pilot. Returns the folder and its two files."""
    from ..conditions import may_hold_in
    from ..errors import suggest
    from ..rulebook import CODE_PATTERN
    from .dutch import nl

    mid = slug(name)
    problems = []
    if any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in name):
        # the name goes into the files' comment lines too, where a line break would end the comment
        problems.append(("NAAM", "een naam op één regel, zonder tab, nieuwe regel of ander stuurteken"))
    elif not re.fullmatch(MUNICIPALITY_PATTERN, mid):
        problems.append(("NAAM", f"'{_short(name)}' geeft geen bruikbare id ('{_short(mid)}'): 2 tot 41 letters of cijfers, "
                                 "beginnend met een letter"))
    elif mid in book.municipalities:
        problems.append(("NAAM", f"gemeente '{mid}' bestaat al ({book.municipalities[mid].file}); kies een andere naam"))
    elif (into / mid).exists():
        problems.append(("NAAM", f"de map {into / mid} bestaat al; kies een andere naam of --into"))
    code = book_code(code)
    if not re.fullmatch(CODE_PATTERN, code):
        problems.append(("--code", f"'{code}' is geen CBS-gemeentecode: GM en vier cijfers, bijvoorbeeld GM0193"))
    else:
        taken = next((m for m in book.municipalities.values() if m.code == code), None)
        if taken is not None:
            problems.append(("--code", f"{code} is al de code van {taken.id} ({taken.file}); een CBS-code hoort bij één gemeente"))
    pilot = book.municipalities.get(variant_of)
    if pilot is None:
        known = ", ".join(book.municipalities)
        taking = [mid for mid, m in book.municipalities.items() if m.variant == variant_of]
        if taking:  # a variant's id where the flag asks for the city whose variant to take
            problems.append(("--variant", f"'{variant_of}' is de naam van een variant; geef de gemeente waarvan het pakket "
                                          f"de variant overneemt: {', '.join(taking)}"))
        else:
            problems.append(("--variant", f"onbekende gemeente '{variant_of}'{nl(suggest(variant_of, book.municipalities))}; "
                                          f"kies een van {known}"))
    if problems:
        raise InputError(problems)

    forms: list[str] = []
    for rule in book.lead_rules:
        if not may_hold_in(rule.when, mid):
            continue  # a rule for other cities only: no form needed here
        form = pilot.collaboration.get(rule.id)
        if form is not None:
            forms.append(f"  {rule.id}: {form}")
        else:  # the rule cannot apply in the pilot: the form of a city where it can
            other, form = next(iter(rule.collaboration.items()))
            forms.append(f"  {rule.id}: {form}  # {TO_FILL}: {variant_of} kent deze regel niet; de vorm van {other}")
    organisation = f"gemeente_{mid}"
    main_text = "\n".join([
        f"# {name}: gemaakt met `wegwijzer municipality new`, met de variant en de samenwerkingsvormen van {variant_of}.",
        "# rules/municipalities/README.md zegt wat een pakket bevat. Controleer wat met "
        f"'{TO_FILL}' gemarkeerd is.",
        f"id: {mid}",
        f"code: {code}  # CBS",
        f"name: {_quoted(name)}",
        f"variant: {pilot.variant}  # die van {variant_of}",
        "pilot:",
        f"  name: {_quoted('Meedoen ' + name)}  # {TO_FILL}: de naam van de aanpak of het team",
        f"  role: {pilot.pilot_role}",
        f"  organisation: {organisation}",
        "  source: practice",
        "# de samenwerkingsvorm (seed:L2272-2282) voor elke regel van lead_coordinator.yaml die hier kan gelden",
        "collaboration:",
        *forms,
    ]) + "\n"
    social_text = "\n".join([
        f"# Sociale kaart van {name}: wie biedt welke interventie aan (rules/municipalities/README.md).",
        f"# Gemaakt met `wegwijzer municipality new`: alles is nog {TO_FILL}. Vervang de algemene diensten door",
        "# de echte organisaties van de gemeente, of haal de kaart uit haar HSDS 3.0-directory met `wegwijzer map import`.",
        "organisations:",
        f"  # {TO_FILL}: de organisatie van de {_role_nl(book, pilot.pilot_role)}; voeg haar diensten toe",
        f"  - id: {organisation}",
        f"    name: {_quoted('Gemeente ' + name)}",
        "    source: practice",
        "    services: []",
        *(_generic(book, variant_of)),
    ]) + "\n"
    folder = into / mid
    main, social = folder / "municipality.yaml", folder / "social_map.yaml"
    try:
        folder.mkdir(parents=True)
        main.write_text(main_text, encoding="utf-8")
        social.write_text(social_text, encoding="utf-8")
    except OSError as exc:
        raise InputError([("--into", f"kan het pakket niet schrijven in {into}: {exc.strerror}")]) from None
    return folder, main, social


def _short(text: str, keep: int = 60) -> str:
    """`text` cut to what an error line can show."""
    return text if len(text) <= keep else text[:keep] + "…"


def _role_nl(book: Any, role: str) -> str:
    labels = book.roles.get(role)
    return labels.label_nl if labels else role


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _generic(book: Any, variant_of: str) -> list[str]:
    """The generic services the pilots' maps share: organisations that say `source: practice`
    and stand (by id) on at least two maps; the copy of `variant_of`'s map first, else the first."""
    from ..rulebook import pack_name

    maps = {mid: book.raw[pack_name(mid, "social_map.yaml")].get("organisations") or [] for mid in book.municipalities}
    seen: dict[str, list[str]] = {}
    for mid, organisations in maps.items():
        for org in organisations:
            if isinstance(org, dict) and org.get("source") == "practice":
                seen.setdefault(str(org.get("id")), []).append(mid)
    lines: list[str] = []
    order = [variant_of, *(m for m in maps if m != variant_of)]
    for oid, where in seen.items():
        if len(where) < 2:
            continue
        source_map = next(m for m in order if m in where)
        org = next(o for o in maps[source_map] if isinstance(o, dict) and o.get("id") == oid)
        lines.append(f"  # {TO_FILL}: een algemene dienst (source: practice) van de sociale kaart van {source_map}; "
                     "zet er de echte organisatie neer")
        dumped = yaml.safe_dump([_plain(org)], allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)
        lines += ["  " + line for line in dumped.rstrip("\n").splitlines()]
    return lines


def _plain(value: Any) -> Any:
    """A loaded mapping (with its line bookkeeping) as plain dicts and lists, for yaml.safe_dump."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
