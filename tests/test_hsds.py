"""The social map in Open Referral HSDS 3.0: export valid against the official schemas, import back."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from engine import Engine
from engine.hsds import from_hsds, read_directory, to_hsds
from engine.rulebook import load
from engine.workbench.check import check_rules
from workbench_helpers import copy_rules, edit, run_cli

SCHEMAS = Path(__file__).parent / "hsds3"
BOOK = Engine.load().book
TABLES = {"organizations": "organization.json", "services": "service.json",
          "taxonomies": "taxonomy.json", "taxonomy_terms": "taxonomy_term.json"}


def _closed(schema):
    """additionalProperties: false on every object, as the specification's own example check does."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


def _validators():
    loaded = {p.name: _closed(json.loads(p.read_text(encoding="utf-8"))) for p in SCHEMAS.glob("*.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT202012)) for name, schema in loaded.items())
    return {table: Draft202012Validator(loaded[name], registry=registry, format_checker=FormatChecker())
            for table, name in TABLES.items()}


VALIDATORS = _validators()


def problems(doc):
    return [f"{table}[{i}] {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for table, validator in VALIDATORS.items()
            for i, record in enumerate(doc[table]) for e in validator.iter_errors(record)]


def test_the_schemas_are_the_official_ones_and_format_checking_is_on():
    assert (SCHEMAS / "SOURCE.md").exists()
    assert "uuid" in FormatChecker().checkers  # else a bad id would pass silently
    bad = {"id": "leiden:libertas", "name": "x", "description": "y"}
    assert any("uuid" in e.message for e in VALIDATORS["organizations"].iter_errors(bad))
    assert any("description" in e.message for e in VALIDATORS["organizations"].iter_errors({"id": bad["id"], "name": "x"}))
    extra = {"id": "a3d37601-8b68-56ac-8962-3eda86b64bf8", "name": "x", "description": "y", "warm_handover": True}
    assert [e.validator for e in VALIDATORS["organizations"].iter_errors(extra)] == ["additionalProperties"]


@pytest.mark.parametrize("municipality", list(BOOK.municipalities))
def test_every_exported_record_is_valid_hsds_3(municipality):
    doc = to_hsds(BOOK, municipality)
    assert problems(doc) == []
    assert doc["organizations"] and doc["services"] and doc["taxonomy_terms"]
    # the taxonomy terms carry `name` (HSDS 3.0), every attribute an `id`
    assert all("name" in t and "term" not in t for t in doc["taxonomy_terms"])
    assert all(a["id"] for s in doc["services"] for a in s["attributes"])


@pytest.mark.parametrize("municipality", list(BOOK.municipalities))
def test_ids_are_stable_and_unique_and_services_point_at_their_organisation(municipality):
    doc = to_hsds(BOOK, municipality)
    assert doc == to_hsds(Engine.load().book, municipality)  # the same ids on another run
    ids = [r["id"] for table in TABLES for r in doc[table]]
    ids += [a["id"] for s in doc["services"] for a in s["attributes"]]
    assert len(ids) == len(set(ids))
    orgs = {o["id"] for o in doc["organizations"]}
    assert all(s["organization_id"] in orgs for s in doc["services"])
    others = {s["id"] for m in BOOK.municipalities if m != municipality for s in to_hsds(BOOK, m)["services"]}
    assert not others & {s["id"] for s in doc["services"]}


@pytest.mark.parametrize("municipality", list(BOOK.municipalities))
def test_export_then_import_gives_the_social_map_back(municipality):
    imported = from_hsds(to_hsds(BOOK, municipality), BOOK)
    assert imported.unmapped == []
    raw = BOOK.raw[f"municipalities/{municipality}/social_map.yaml"]["organisations"]
    expected = [(o["id"], o["name"], [(s["intervention"], s["warm_handover"], s["shares_data"]) for s in o.get("services", [])])
                for o in raw if o.get("services")]
    got = [(o["id"], o["name"], [(s["intervention"], s["warm_handover"], s["shares_data"]) for s in o["services"]])
           for o in imported.organisations]
    assert got == expected


FOREIGN = {
    "organizations": [
        {"id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0001", "name": "Stichting Buurtwerk Voorbeeldstad", "description": "wijkcentra"},
        {"id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0002", "name": "Schuldhulp Voorbeeldstad", "description": "schulden"},
    ],
    "services": [
        {"id": "5c1d0000-0000-4000-8000-000000000001", "organization_id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0001",
         "name": "Koffieochtend", "status": "active", "attributes": [
             {"id": "5c1d0000-0000-4000-8000-0000000000a1", "taxonomy_term": {
                 "id": "5c1d0000-0000-4000-8000-0000000000b1", "code": "community_activity", "name": "Ontmoeting",
                 "description": "x", "taxonomy": "gemeentelijke-taxonomie"}}]},
        {"id": "5c1d0000-0000-4000-8000-000000000002", "organization_id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0002",
         "name": "Toeleiding naar schuldhulpverlening", "status": "active"},
        {"id": "5c1d0000-0000-4000-8000-000000000003", "organization_id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0001",
         "name": "Repair café", "status": "active"},
        {"id": "5c1d0000-0000-4000-8000-000000000004", "organization_id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0002",
         "name": "Budgetcursus", "status": "defunct"},
        {"id": "5c1d0000-0000-4000-8000-000000000005", "organization_id": "0b6f1b52-1f0e-4f7a-9d2e-6a1d2b7c0009",
         "name": "Computerles", "status": "active"},
    ],
}


def test_a_municipality_s_own_directory_maps_what_it_can_and_reports_the_rest():
    imported = from_hsds(FOREIGN, BOOK)
    assert [(o["id"], [s["intervention"] for s in o["services"]]) for o in imported.organisations] == [
        ("stichting_buurtwerk_voorbeeldstad", ["community_activity"]),  # by its term's code
        ("schuldhulp_voorbeeldstad", ["debt_counselling"]),  # by the intervention's Dutch label
    ]
    # without Wegwijzer's collaboration attributes: no warm handover, and data shared (consent asked)
    assert imported.organisations[1]["services"][0] == {"intervention": "debt_counselling", "warm_handover": False,
                                                        "shares_data": True}
    reasons = dict(imported.unmapped)
    assert set(reasons) == {"Repair café", "Budgetcursus", "Computerles"}
    assert "interventie" in reasons["Repair café"] and "defunct" in reasons["Budgetcursus"]
    assert "organisatie" in reasons["Computerles"]


def foreign_directory(tmp_path):
    """FOREIGN's organizations and services as a municipality's HSDS directory on disk."""
    folder = tmp_path / "directory"
    folder.mkdir()
    for key in ("organizations", "services"):
        (folder / f"{key}.json").write_text(json.dumps(FOREIGN[key]), encoding="utf-8")
    return folder


def _fifth_municipality(tmp_path, capsys):
    """A trainer adds Voorbeeldstad from its HSDS directory, without touching Python: a pack
    (`municipality new`), then its social map imported into it."""
    rules = copy_rules(tmp_path)
    folder = foreign_directory(tmp_path)
    packs = rules / "municipalities"
    code, out, err = run_cli(capsys, "municipality", "new", "Voorbeeldstad", "--code", "GM9902", "--variant", "tilburg",
                             "--rules", str(rules))
    assert code == 0, err
    code, out, err = run_cli(capsys, "map", "import", str(folder), "--municipality", "voorbeeldstad",
                             "--pilot", "stichting_buurtwerk_voorbeeldstad", "--into", str(packs), "--rules", str(rules))
    assert code == 0, err
    assert "niet overgenomen: Repair café" in err and "2 organisaties, 2 diensten overgenomen; 3 niet" in err
    pack = (packs / "voorbeeldstad" / "municipality.yaml").read_text(encoding="utf-8")
    assert "  organisation: stichting_buurtwerk_voorbeeldstad\n" in pack  # --pilot: the pack's pilot works there
    social = (packs / "voorbeeldstad" / "social_map.yaml").read_text(encoding="utf-8")
    assert "gemeente_voorbeeldstad" not in social and "id: schuldhulp_voorbeeldstad" in social
    return rules


def test_importing_into_a_pack_keeps_its_pilot_organisation_when_hsds_does_not_name_it(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    folder = foreign_directory(tmp_path)
    packs = tmp_path / "packs"
    assert run_cli(capsys, "municipality", "new", "Voorbeeldstad", "--code", "GM9902", "--variant", "leiden",
                   "--into", str(packs), "--rules", str(rules))[0] == 0
    code, _, err = run_cli(capsys, "map", "import", str(folder), "--municipality", "voorbeeldstad", "--into", str(packs))
    assert code == 0, err
    social = (packs / "voorbeeldstad" / "social_map.yaml").read_text(encoding="utf-8")
    assert social.index("id: gemeente_voorbeeldstad") < social.index("id: stichting_buurtwerk_voorbeeldstad")
    assert "id: huisarts" not in social  # the scaffold's generic services gave way to the directory's
    assert [str(f) for f in check_rules(rules, [packs]) if f.severity == "error"] == []


def test_a_fifth_municipality_from_its_hsds_directory_and_a_zrm_case(tmp_path, capsys):
    rules = _fifth_municipality(tmp_path, capsys)
    assert [str(f) for f in check_rules(rules) if f.severity == "error"] == []
    engine = Engine.load(rules)
    rec = engine.recommend({"schema_version": 1, "municipality": "voorbeeldstad", "conversations_held": 5,
                            "circumstances": {"problematic_debt": True},
                            "zrm": {"finances": 1, "social_network": 2, "community_participation": 2, "time_use": 3}})
    assert any(w.code == "domains_from_zrm" for w in rec.warnings)
    assert "debt_counselling" in [i.id for i in rec.interventions]
    assert any(r.name == "Schuldhulp Voorbeeldstad" for r in rec.referrals)
    doc = to_hsds(load(rules), "voorbeeldstad")
    assert problems(doc) == []
    # its caseload as the ZRM scores it, in one batch: a bad case is reported, the rest answered
    cases = [{"case_id": f"vb-{i}", "municipality": "voorbeeldstad", "conversations_held": 5,
              "zrm": {"finances": 1 + i % 3, "social_network": 2, "time_use": 3, "physical_health": 4}}
             for i in range(5)]
    cases[2]["zrm"]["finances"] = 6  # the ZRM scores 1-5
    (tmp_path / "zrm.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    code, _, err = run_cli(capsys, "batch", str(tmp_path / "zrm.jsonl"), "--out", str(tmp_path / "advice.jsonl"),
                           "--errors", str(tmp_path / "errors.jsonl"), "--rules", str(rules))
    out = [json.loads(line) for line in (tmp_path / "advice.jsonl").read_text(encoding="utf-8").splitlines()]
    bad = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert code == 1 and [o["line"] for o in out if "recommendation" in o] == [1, 2, 4, 5], err
    assert all(o["recommendation"]["municipality"] == "voorbeeldstad" for o in out if "recommendation" in o)
    assert [o["line"] for o in out if "error" in o] == [3] and "zrm.finances" in out[2]["error"]
    assert len(bad) == 1 and "zrm.finances" in json.dumps(bad[0]), bad


def test_map_export_writes_one_file_per_table(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "map", "export", "--municipality", "helmond", "--out", str(tmp_path / "out"))
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["organizations.json", "services.json", "taxonomies.json", "taxonomy_terms.json"]
    assert problems(read_directory(tmp_path / "out") | {"taxonomies": json.loads((tmp_path / "out/taxonomies.json").read_text()),
                                                        "taxonomy_terms": json.loads((tmp_path / "out/taxonomy_terms.json").read_text())}) == []


def test_map_refuses_bad_input_with_one_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "map", "export", "--municipality", "leidn")
    assert code == 2 and "did you mean 'leiden'" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "map", "import", str(tmp_path / "none"), "--municipality", "x1")
    assert code == 2 and "Traceback" not in err
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "services.json").write_text(json.dumps(FOREIGN["services"]), encoding="utf-8")
    (tmp_path / "d" / "organizations.json").write_text(json.dumps(FOREIGN["organizations"]), encoding="utf-8")
    code, _, err = run_cli(capsys, "map", "import", str(tmp_path / "d"), "--municipality", "vb", "--into", str(tmp_path / "packs"))
    assert code == 2 and "--into: geen gemeentepakket" in err and "wegwijzer municipality new" in err
    code, _, err = run_cli(capsys, "map", "import", str(tmp_path / "d"), "--municipality", "vb", "--pilot", "buurtwerk")
    assert code == 2 and "--pilot" in err and "stichting_buurtwerk_voorbeeldstad" in err
    code, out, err = run_cli(capsys, "map", "import", str(tmp_path / "d"), "--municipality", "vb")
    assert code == 0 and out.splitlines()[2] == "organisations:"  # without --into: the file, printed
