"""The social map as Open Referral HSDS 3.0, out and in.

    doc = to_hsds(book, "leiden")            # organizations, services, taxonomies, taxonomy_terms
    imported = from_hsds(doc, book)          # a municipality's own directory as social-map organisations

Export: every record valid against the official HSDS 3.0 schemas (tests/hsds3/, with their
source). Ids are UUIDs, stable across runs: uuid5 of the municipality's and the map's own ids.
The intervention a service delivers is a taxonomy term of the vocabulary `wegwijzer-interventies`
(its `code` the intervention id); the two fields HSDS has no place for, `warm_handover` and
`shares_data`, are attributes with a term of the vocabulary `wegwijzer-samenwerking` and the
value "true" or "false". The map's own organisation id travels as an organization_identifier.

Import: a service is mapped to an intervention by such a term, else by a term whose code, name
or the service's name is an intervention id or label; what cannot be mapped is reported, never
guessed. A service without the collaboration attributes is taken as no warm handover and as
sharing data (so the engine asks for consent: the careful default).
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .rulebook import Rulebook

INTERVENTIONS = "wegwijzer-interventies"
COLLABORATION = "wegwijzer-samenwerking"
IDENTIFIER_TYPE = "wegwijzer-organisatie"
# The root of every id this export makes; changing it changes every id, so it never changes.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:wegwijzer:hsds")
FILES = {"organizations": "organizations.json", "services": "services.json",
         "taxonomies": "taxonomies.json", "taxonomy_terms": "taxonomy_terms.json"}


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _taxonomies() -> list[dict[str, Any]]:
    return [
        {"id": _id("taxonomy", INTERVENTIONS), "name": INTERVENTIONS,
         "description": "Interventies van Wegwijzer (rules/interventions.yaml); de code is het id van de interventie."},
        {"id": _id("taxonomy", COLLABORATION), "name": COLLABORATION,
         "description": "Samenwerking bij een verwijzing: warme overdracht (meegaan naar het eerste gesprek) "
                        "en het delen van gegevens (daarvoor is toestemming van de deelnemer nodig)."},
    ]


def _intervention_term(book: Rulebook, iid: str) -> dict[str, Any]:
    item = book.interventions[iid]
    return {"id": _id("term", INTERVENTIONS, iid), "code": iid, "name": item.label_nl,
            "description": item.label_en, "taxonomy": INTERVENTIONS, "language": "nl",
            "taxonomy_id": _id("taxonomy", INTERVENTIONS)}


_COLLABORATION_TERMS = {
    "warm_handover": ("Warme overdracht", "Warm handover: the professional goes along to the first visit"),
    "shares_data": ("Gegevens delen", "The referral passes the client's data on, so it needs the client's consent"),
}


def _collaboration_term(code: str) -> dict[str, Any]:
    name, description = _COLLABORATION_TERMS[code]
    return {"id": _id("term", COLLABORATION, code), "code": code, "name": name, "description": description,
            "taxonomy": COLLABORATION, "language": "nl", "taxonomy_id": _id("taxonomy", COLLABORATION)}


def to_hsds(book: Rulebook, municipality: str) -> dict[str, list[dict[str, Any]]]:
    """The municipality's social map as HSDS 3.0 records, each valid against the official schema."""
    unknown = book.unknown_municipality(municipality)
    if unknown:
        raise InputError([("--municipality", unknown)])
    from .rulebook import pack_name

    municipality = book.municipality_id(municipality)
    place = book.municipalities[municipality].name
    organizations, services, terms = [], [], {}
    for org in book.raw[pack_name(municipality, "social_map.yaml")]["organisations"]:
        org_id = _id(municipality, "organization", org["id"])
        offers = [book.interventions[s["intervention"]].label_nl for s in org.get("services", [])]
        organizations.append({
            "id": org_id, "name": org["name"],
            "description": (f"Organisatie op de sociale kaart van {place}"
                            + (f"; biedt: {'; '.join(offers)}." if offers else ".")),
            "organization_identifiers": [{"id": _id(municipality, "identifier", org["id"]),
                                          "identifier_type": IDENTIFIER_TYPE, "identifier": org["id"]}],
        })
        for svc in org.get("services", []):
            iid = svc["intervention"]
            service_id = _id(municipality, "service", org["id"], iid)
            term = terms.setdefault(iid, _intervention_term(book, iid))
            attributes = [{"id": _id(municipality, "attribute", org["id"], iid, INTERVENTIONS), "link_id": service_id,
                           "link_type": "service_type", "link_entity": "service", "taxonomy_term_id": term["id"],
                           "taxonomy_term": term}]
            for code in ("warm_handover", "shares_data"):
                attributes.append({"id": _id(municipality, "attribute", org["id"], iid, code), "link_id": service_id,
                                   "link_type": "collaboration", "link_entity": "service",
                                   "taxonomy_term_id": _id("term", COLLABORATION, code),
                                   "taxonomy_term": _collaboration_term(code), "value": "true" if svc[code] else "false"})
            services.append({
                "id": service_id, "organization_id": org_id, "name": book.interventions[iid].label_nl,
                "description": f"{book.interventions[iid].label_nl} bij {org['name']} ({place}).",
                "status": "active", "attributes": attributes,
            })
    all_terms = [*terms.values(), *(_collaboration_term(code) for code in _COLLABORATION_TERMS)]
    return {"organizations": organizations, "services": services, "taxonomies": _taxonomies(), "taxonomy_terms": all_terms}


def write_directory(doc: dict[str, list[dict[str, Any]]], folder: Path) -> list[Path]:
    """One JSON file per HSDS table (organizations.json, services.json, ...), as a directory to publish."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, name in FILES.items():
        path = folder / name
        path.write_text(json.dumps(doc[key], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


# ------------------------------------------------------------------ import


@dataclass
class Imported:
    organisations: list[dict[str, Any]] = field(default_factory=list)  # social_map.yaml's shape
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (service name, why)


def read_directory(path: Path) -> dict[str, Any]:
    """An HSDS 3.0 directory (organizations.json and services.json, ...) or one JSON file holding
    those lists, or a list of services with their organization. Read by the same strict, bounded
    reader as a case (engine.caseload.read_case: 1 MiB a file, duplicate keys refused)."""
    from .caseload import read_case

    if path.is_dir():
        doc = {key: read_case(str(path / name)) for key, name in FILES.items() if (path / name).exists()}
        if "services" not in doc:
            raise InputError([("services.json", "an HSDS directory needs services.json (and organizations.json)")], str(path))
    else:
        doc = read_case(str(path))
        if isinstance(doc, list):  # a list of services, each with its organization (the HSDS API's shape)
            doc = {"services": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), list):
        raise InputError([("services", "expected a list of HSDS services (or an object with 'services')")], str(path))
    return doc


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug if re.match(r"^[a-z][a-z0-9_]+$", slug or "") else f"org_{slug}".rstrip("_") or "org"


def _intervention_of(service: dict[str, Any], book: Rulebook) -> tuple[str | None, str]:
    by_label = {}
    for iid, item in book.interventions.items():
        by_label[item.label_nl.casefold()] = iid
        by_label[item.label_en.casefold()] = iid
    candidates = []
    for attr in service.get("attributes") or []:
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        if not isinstance(term, dict):
            continue
        if term.get("taxonomy") == INTERVENTIONS and term.get("code") in book.interventions:
            return term["code"], ""
        candidates += [term.get("code"), term.get("name")]
    candidates.append(service.get("name"))
    for text in candidates:
        if isinstance(text, str) and (text in book.interventions or text.casefold() in by_label):
            return (text if text in book.interventions else by_label[text.casefold()]), ""
    return None, "geen taxonomieterm of naam die een interventie van Wegwijzer is (rules/interventions.yaml)"


def _flag(service: dict[str, Any], code: str, default: bool) -> bool:
    for attr in service.get("attributes") or []:
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        if isinstance(term, dict) and term.get("taxonomy") == COLLABORATION and term.get("code") == code:
            return str(attr.get("value", "")).lower() == "true"
    return default


def from_hsds(doc: dict[str, Any], book: Rulebook) -> Imported:
    """Social-map organisations (with their services) from an HSDS 3.0 directory, and what could not be mapped."""
    orgs_in = doc.get("organizations") or []
    by_uuid: dict[str, dict[str, Any]] = {}
    for org in orgs_in if isinstance(orgs_in, list) else []:
        if isinstance(org, dict) and isinstance(org.get("id"), str):
            by_uuid[org["id"]] = org
    for svc in doc["services"]:
        nested = svc.get("organization") if isinstance(svc, dict) else None
        if isinstance(nested, dict) and isinstance(nested.get("id"), str):
            by_uuid.setdefault(nested["id"], nested)
    result = Imported()
    ours: dict[str, dict[str, Any]] = {}  # HSDS organization id -> our organisation
    taken: set[str] = set()
    for index, svc in enumerate(doc["services"]):
        if not isinstance(svc, dict):
            result.unmapped.append((f"services[{index}]", "geen object"))
            continue
        name = str(svc.get("name") or f"services[{index}]")
        if svc.get("status", "active") != "active":
            result.unmapped.append((name, f"status '{svc.get('status')}', niet actief"))
            continue
        iid, why = _intervention_of(svc, book)
        org = by_uuid.get(str(svc.get("organization_id") or (svc.get("organization") or {}).get("id")))
        if org is None:
            result.unmapped.append((name, "geen organisatie (organization_id) in de directory"))
            continue
        if iid is None:
            result.unmapped.append((name, why))
            continue
        mine = ours.get(org["id"])
        if mine is None:
            wanted = next((i.get("identifier") for i in org.get("organization_identifiers") or []
                           if isinstance(i, dict) and i.get("identifier_type") == IDENTIFIER_TYPE), None)
            oid = wanted if isinstance(wanted, str) and re.match(r"^[a-z][a-z0-9_]+$", wanted) else _slug(str(org.get("name", "")))
            base, n = oid, 2
            while oid in taken:
                oid, n = f"{base}_{n}", n + 1
            taken.add(oid)
            mine = ours[org["id"]] = {"id": oid, "name": str(org.get("name") or oid), "services": []}
            result.organisations.append(mine)
        if any(s["intervention"] == iid for s in mine["services"]):
            continue
        mine["services"].append({"intervention": iid, "warm_handover": _flag(svc, "warm_handover", False),
                                 "shares_data": _flag(svc, "shares_data", True)})
    return result


def social_map_file(imported: Imported, source_file: str, kept: list[dict[str, Any]] | None = None) -> str:
    """The YAML text of a pack's social_map.yaml (`organisations:`) from an imported directory.
    `kept`: organisations of the pack's map to keep first (the pilot's, which HSDS does not name)."""
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar

    lines = [f"# imported from the HSDS 3.0 directory {q(source_file)} by `wegwijzer map import`",
             "# (rules/municipalities/README.md says what the fields mean)", "organisations:"]
    for org in kept or []:
        lines += ["  # kept from the map before the import: the pilot's organisation",
                  *("  " + line for line in yaml.safe_dump([org], allow_unicode=True, sort_keys=False,
                                                           default_flow_style=None, width=120).rstrip("\n").splitlines())]
    for org in imported.organisations:
        lines += [f"  - id: {org['id']}", f"    name: {q(org['name'])}", "    source: practice", "    services:"]
        lines += [f"      - {{intervention: {s['intervention']}, warm_handover: {str(s['warm_handover']).lower()}, "
                  f"shares_data: {str(s['shares_data']).lower()}, source: practice}}" for s in org["services"]]
    return "\n".join(lines) + "\n"
