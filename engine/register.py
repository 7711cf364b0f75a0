"""`wegwijzer algoritmeregister`: the municipality's entry for the Algoritmeregister, from the rules.

    entry = register_entry(load(), "leiden", contact="algoritmes@leiden.example")
    print(to_markdown(entry))

The fields follow the register's publication standard (Dutch names: naam, organisatie,
korte omschrijving, doel, impact, proportionaliteit, wettelijke basis, menselijke
tussenkomst, risicobeheer, gegevensbronnen, technische werking, regelsversie, contact).
The texts a person wrote are in rules/algoritmeregister.yaml, each with its source; what
the rules do is counted from the rule files themselves (rule sets, rules, interventions,
organisations, how many rules cite the report), so the entry changes when the rules do.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import Field

from .errors import WegwijzerError
from .rulebook import SOURCE_PATTERN, Rulebook, _Schema, _validate, load
from .yamlload import load_with_lines

FILE = "algoritmeregister.yaml"
TO_FILL = "IN TE VULLEN"
Source = Field(pattern=SOURCE_PATTERN)


class RegisterTexts(_Schema):
    naam: str = Field(min_length=1)
    type_algoritme: str = Field(min_length=1)
    publicatiecategorie: str = Field(min_length=1)
    korte_omschrijving: str = Field(min_length=1)
    korte_omschrijving_source: str = Source
    doel: str = Field(min_length=1)
    doel_source: str = Source
    impact: str = Field(min_length=1)
    impact_source: str = Source
    proportionaliteit: str = Field(min_length=1)
    proportionaliteit_source: str = Source
    wettelijke_basis: str = Field(min_length=1)
    wettelijke_basis_source: str = Source
    menselijke_tussenkomst: str = Field(min_length=1)
    menselijke_tussenkomst_source: str = Source
    risicobeheer: str = Field(min_length=1)
    risicobeheer_source: str = Source
    gegevensbronnen: str = Field(min_length=1)
    gegevensbronnen_source: str = Source
    impacttoetsen: str = Field(min_length=1)


# (field, the heading the register uses), in the order of the publication standard
FIELDS = (
    ("naam", "Naam"), ("organisatie", "Organisatie"), ("korte_omschrijving", "Korte omschrijving"),
    ("type_algoritme", "Type algoritme"), ("publicatiecategorie", "Publicatiecategorie"), ("status", "Status"),
    ("doel", "Doel"), ("impact", "Impact"), ("proportionaliteit", "Proportionaliteit"),
    ("wettelijke_basis", "Wettelijke basis"), ("menselijke_tussenkomst", "Menselijke tussenkomst"),
    ("risicobeheer", "Risicobeheer"), ("impacttoetsen", "Impacttoetsen"), ("gegevensbronnen", "Gegevensbronnen"),
    ("technische_werking", "Technische werking"), ("bron", "Bron van de regels"), ("regelsversie", "Regelsversie"),
    ("contact", "Contact"),
)


def texts(book: Rulebook) -> RegisterTexts:
    path = Path(book.directory) / FILE
    if not path.exists():
        raise WegwijzerError(f"{path}: missing; the register's texts (doel, impact, ...) live there")
    return _validate(RegisterTexts, load_with_lines(path, str(path)), str(path))


def _rules_counted(book: Rulebook) -> dict[str, Any]:
    """What the rules do, counted from the rule files."""
    from .history import trajectory_of

    nodes = list(book.flowchart.nodes.values())
    trajectory = trajectory_of(book)
    names = book.resolution.rule_set_names
    sources = [n.source for n in nodes] + [r.source for r in [*book.profile_rules, *book.lead_rules]] + \
              [r.source for r in trajectory.rules]
    return {
        "regelsets": {
            names.get("leiden_flowchart", "leiden_flowchart"): {
                "vragen": sum(1 for n in nodes if n.type == "decision"),
                "acties": sum(1 for n in nodes if n.type == "action")},
            names.get("helmond_profiles", "helmond_profiles"): {"regels": len(book.profile_rules)},
            "lead_coordinator": {"regels": len(book.lead_rules)},
            "trajectory": {"regels": len(trajectory.rules)},
        },
        "interventies": len(book.interventions),
        "regels_met_bron_in_rapport": sum(1 for s in sources if "seed:" in s),
        "regels_uit_de_praktijk": sum(1 for s in sources if "seed:" not in s),
    }


def register_entry(book: Rulebook, municipality: str, organisation: str | None = None, contact: str | None = None,
                   status: str = "In gebruik") -> dict[str, Any]:
    unknown = book.unknown_municipality(municipality)
    if unknown:
        from .errors import InputError

        raise InputError([("municipality", unknown)])
    written = texts(book)
    place = book.municipalities[book.municipality_id(municipality)]
    counted = _rules_counted(book)
    sets = counted["regelsets"]
    flow = next(iter(sets))
    werking = (
        f"Vaste beslisregels in YAML-bestanden, uitgevoerd door een regelmachine (durable-rules); dezelfde "
        f"invoer en regels geven altijd hetzelfde advies. Regelsets: een stroomschema ({flow}) met "
        f"{sets[flow]['vragen']} vragen en {sets[flow]['acties']} acties, "
        + "; ".join(f"{name} met {v['regels']} regels" for name, v in list(sets.items())[1:])
        + f". {counted['interventies']} interventies; de sociale kaart van {place.name} noemt "
        f"{len(place.organisations)} organisaties. Van de regels noemen er {counted['regels_met_bron_in_rapport']} "
        f"een regel uit het rapport als bron en {counted['regels_uit_de_praktijk']} de praktijk."
    )
    fields: dict[str, Any] = {
        "naam": written.naam,
        "organisatie": organisation or f"Gemeente {place.name}",
        "korte_omschrijving": written.korte_omschrijving,
        "type_algoritme": written.type_algoritme,
        "publicatiecategorie": written.publicatiecategorie,
        "status": status,
        "doel": written.doel,
        "impact": written.impact,
        "proportionaliteit": written.proportionaliteit,
        "wettelijke_basis": written.wettelijke_basis,
        "menselijke_tussenkomst": written.menselijke_tussenkomst,
        "risicobeheer": written.risicobeheer,
        "impacttoetsen": written.impacttoetsen,
        "gegevensbronnen": written.gegevensbronnen,
        "technische_werking": werking,
        "bron": f"{book.resolution.report.title_nl} (rapport over de pilots in Leiden, Helmond en Tilburg)",
        "regelsversie": book.version,
        "contact": contact or TO_FILL,
    }
    sources = {key.removesuffix("_source"): value for key, value in written.model_dump().items() if key.endswith("_source")}
    return {"velden": fields, "bronnen": sources, "regels": counted}


def to_markdown(entry: dict[str, Any]) -> str:
    fields = entry["velden"]
    lines = [f"# {fields['naam']}", "", "Vermelding voor het Algoritmeregister (publicatiestandaard), "
             "gemaakt met `wegwijzer algoritmeregister` uit de regels.", ""]
    for key, heading in FIELDS:
        if key == "naam":
            continue
        source = entry["bronnen"].get(key)
        lines += [f"## {heading}", "", str(fields[key])] + ([f"", f"*Bron: {source}*"] if source else []) + [""]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--municipality", required=True, help="the municipality (an id of the rules' social map)")
    parser.add_argument("--organisation", help="the organisation's name (default: 'Gemeente' and the map's name)")
    parser.add_argument("--contact", help=f"contact for the register (default: '{TO_FILL}')")
    parser.add_argument("--status", default="In gebruik", help="status in the register (default: In gebruik)")
    parser.add_argument("--format", choices=("json", "markdown"), default="markdown")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")


def run(args: argparse.Namespace) -> int:
    entry = register_entry(load(args.rules), args.municipality, args.organisation, args.contact, args.status)
    if args.format == "json":
        sys.stdout.write(json.dumps(entry, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(to_markdown(entry))
    return 0
