"""Issue 20 items 1 and 2: a municipality is a pack (rules/municipalities/<id>/), packs load from
outside the rules (--packs, $WEGWIJZER_PACKS, Engine.load(packs=...)), a municipality is named by
its id or its CBS code, `wegwijzer municipality new` scaffolds a pack that passes check and test,
and advice made before packs existed still replays."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from engine import Engine
from engine.errors import InputError, RuleError
from engine.replay import replay
from engine.rulebook import PACKS_ENV, load, rules_version
from engine.workbench.check import check_rules
from engine.workbench.dutch import known
from workbench_helpers import RULES, add_pack, copy_rules, edit, line_of, run_cli

CLIENT = {"conversations_held": 4, "ladder_rung": 2,
          "domains": {"finances": {"self_reliance": 2}, "social_contacts": {"self_reliance": 2}},
          "circumstances": {"problematic_debt": True}}
MAP = """
  - id: gemeente_proefstad
    name: Gemeente Proefstad
    source: practice
    services:
      - {intervention: debt_counselling, warm_handover: false, shares_data: true, source: practice}
"""
BEFORE_PACKS = Path(__file__).parent / "golden" / "before_packs"  # the three files the move changed, as they were


def _errors(rules: Path, packs: list[Path] | None = None) -> list[tuple[str, int | None, str]]:
    found = [f for f in check_rules(rules, packs) if f.severity == "error"]
    assert [f.message for f in found if not known(f.message)] == []  # check speaks Dutch: every message has a form
    return [(f.file, f.line, f.message) for f in found]


def _plain(rec) -> dict:
    """The advice without what names the rules (their version, the receipt, the trace's files)."""
    doc = json.loads(rec.to_json())
    for key in ("rules_version", "receipt", "trace"):
        doc.pop(key, None)
    return doc


# ------------------------------------------------------------------ the shipped packs


def test_the_pilots_are_packs_with_their_cbs_codes():
    book = load()
    assert {mid: (m.code, m.name) for mid, m in book.municipalities.items() if mid in ("leiden", "helmond", "tilburg")} == {
        "leiden": ("GM0546", "Leiden"), "helmond": ("GM0794", "Helmond"), "tilburg": ("GM0855", "Tilburg")}
    for mid, m in book.municipalities.items():
        assert Path(m.file) == RULES / "municipalities" / mid / "municipality.yaml"
        assert m.variant in book.resolution.variants
    assert not (RULES / "social_map.yaml").exists()
    assert "variant_of_municipality" not in (RULES / "resolution.yaml").read_text(encoding="utf-8")
    assert "collaboration: {" not in (RULES / "lead_coordinator.yaml").read_text(encoding="utf-8")


def test_the_version_and_the_snapshot_name_pack_files_by_their_path(tmp_path):
    from engine.store.decisions import rule_files, version_of

    files = rule_files(RULES)
    assert "municipalities/leiden/social_map.yaml" in files and "municipalities/helmond/municipality.yaml" in files
    assert version_of(files) == rules_version(RULES) == load().version
    rules = copy_rules(tmp_path)
    edit(rules / "municipalities/leiden/social_map.yaml", "name: EpiCentrum", "name: Epicentrum")
    assert rules_version(rules) != rules_version(RULES)  # a pack's file is part of the rules


def test_municipality_list_prints_id_code_name_variant(capsys):
    code, out, _ = run_cli(capsys, "municipality", "list")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["id", "code", "naam", "variant"]
    assert ["leiden", "GM0546", "Leiden", "new_low_threshold_offers"] in rows


# ------------------------------------------------------------------ the CBS code as input


def test_the_cbs_code_names_the_municipality_and_the_advice_is_the_same():
    engine = Engine.load()
    by_id = engine.recommend({**CLIENT, "municipality": "leiden"})
    for given in ("GM0546", "gm0546"):
        assert engine.recommend({**CLIENT, "municipality": given}).to_json() == by_id.to_json()
    case = {"municipality": "GM0794", "as_of": "2024-06-01", "assessments": [{"date": "2024-01-10", **CLIENT}]}
    assert engine.recommend(case).municipality == "helmond"


def test_the_http_api_and_the_case_page_take_the_code_too():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from engine.web.app import create_app

    client = TestClient(create_app(Engine.load(), token=""))
    answer = client.post("/v1/recommend", json={**CLIENT, "municipality": "GM0546"})
    assert answer.status_code == 200 and answer.json()["municipality"] == "leiden"
    token = client.get("/casus").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    case = {"municipality": "GM0794", "as_of": "2024-06-01", "assessments": [{"date": "2024-01-10", **CLIENT}]}
    shown = client.post("/casus", data={"csrf_token": token, "document_text": json.dumps(case)})
    assert shown.status_code == 200 and "(gemeente Helmond)" in shown.text


def test_the_json_schema_takes_the_code_as_the_engine_does(capsys):
    """`wegwijzer schema`, GET /v1/schema and the OpenAPI list ids and codes: a validator
    that reads them accepts what the engine accepts, and still refuses an unknown one."""
    from jsonschema import Draft202012Validator

    from engine.cli import schema_document

    names = load().municipality_names()
    assert names == [*load().municipalities, *(m.code for m in load().municipalities.values())]
    validator = Draft202012Validator(schema_document("all", names))
    for given in ("leiden", "GM0546", "GM0855"):
        assert validator.is_valid({**CLIENT, "municipality": given}), given
    assert not validator.is_valid({**CLIENT, "municipality": "GM9999"})
    code, out, _ = run_cli(capsys, "schema", "assessment")
    assert code == 0 and "GM0794" in json.loads(out)["properties"]["municipality"]["enum"]


def test_synth_takes_the_code(capsys):
    code, out, _ = run_cli(capsys, "synth", "--municipality", "GM0855", "--n", "1")
    assert code == 0 and json.loads(out)["municipality"] == "tilburg"


def test_an_unknown_code_is_an_input_error_listing_the_known_ones(tmp_path, capsys):
    with pytest.raises(InputError) as err:
        Engine.load().recommend({**CLIENT, "municipality": "GM9999"})
    assert err.value.fields == ["municipality"]
    assert "unknown municipality 'GM9999'" in str(err.value) and "GM0546" in str(err.value) and "'leiden'" in str(err.value)
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**CLIENT, "municipality": "GM9999"}), encoding="utf-8")
    code, out, err_text = run_cli(capsys, "recommend", str(case))
    assert code == 2 and out == "" and err_text.count("\n") == 1 and "municipality: unknown municipality 'GM9999'" in err_text


# ------------------------------------------------------------------ pack errors, at file and line


def test_two_packs_with_one_code_is_an_error_naming_both(tmp_path):
    rules = copy_rules(tmp_path)
    add_pack(rules / "municipalities", "proefstad", MAP, code="GM0546")
    main = rules / "municipalities/proefstad/municipality.yaml"
    [(file, line, message)] = _errors(rules)
    assert (file, line) == (str(main), line_of(main, "code: GM0546"))
    assert message == (f"code 'GM0546' is the code of another pack already: {rules / 'municipalities/leiden/municipality.yaml'}; "
                       "a CBS code names one municipality")
    with pytest.raises(RuleError) as raised:
        load(rules)
    assert f"{main}:{line}:" in str(raised.value)


@pytest.mark.parametrize("code", ["0546", "GM546", "gm0546", "GM05460"])
def test_a_code_that_is_not_a_cbs_code_is_refused(tmp_path, code):
    rules = copy_rules(tmp_path)
    add_pack(rules / "municipalities", "proefstad", MAP, code=code)
    main = rules / "municipalities/proefstad/municipality.yaml"
    with pytest.raises(RuleError) as raised:
        load(rules)
    assert f"{main}:{line_of(main, 'code:')}: code:" in str(raised.value)
    assert [(f, at) for f, at, _ in _errors(rules)] == [(str(main), line_of(main, "code:"))]


def test_an_unknown_variant_and_a_missing_social_map_are_errors_of_the_pack(tmp_path):
    rules = copy_rules(tmp_path)
    folder = add_pack(rules / "municipalities", "proefstad", MAP, variant="own_way")
    main = folder / "municipality.yaml"
    [(file, line, message)] = _errors(rules)
    assert (file, line) == (str(main), line_of(main, "variant:")) and "variant: 'proefstad' needs one of" in message
    (folder / "social_map.yaml").unlink()
    with pytest.raises(RuleError) as raised:
        load(rules)
    assert str(folder / "social_map.yaml") in str(raised.value) and "rule file missing" in str(raised.value)
    assert (str(folder / "social_map.yaml"), None, "rule file missing") in _errors(rules)
    shutil.rmtree(folder)
    (folder).mkdir()
    with pytest.raises(RuleError) as raised:  # a folder without municipality.yaml is no pack
        load(rules)
    assert str(main) in str(raised.value) and "a pack folder holds municipality.yaml and social_map.yaml" in str(raised.value)


# ------------------------------------------------------------------ packs outside the rules


@pytest.fixture
def outside(tmp_path) -> Path:
    packs = tmp_path / "mijn-gemeenten"
    add_pack(packs, "proefstad", MAP)
    return packs


def test_packs_outside_the_rules_load_by_argument_by_env_and_by_flag(outside, tmp_path, capsys, monkeypatch):
    engine = Engine.load(None, [outside])
    assert engine.recommend({**CLIENT, "municipality": "GM9901"}).municipality == "proefstad"
    assert "proefstad" not in Engine.load(None, []).book.municipalities
    assert engine.rules_version != Engine.load().rules_version  # the outside pack is part of the rules
    monkeypatch.setenv(PACKS_ENV, str(outside))
    assert "proefstad" in load().municipalities
    monkeypatch.delenv(PACKS_ENV)
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**CLIENT, "municipality": "proefstad"}), encoding="utf-8")
    code, _, err = run_cli(capsys, "recommend", str(case))
    assert code == 2 and "unknown municipality 'proefstad'" in err
    code, out, err = run_cli(capsys, "recommend", str(case), "--packs", str(outside), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["municipality"] == "proefstad" and json.loads(out)["rules_version"] == engine.rules_version
    code, out, _ = run_cli(capsys, "check", "--packs", str(outside))
    assert code == 0 and "0 fout(en)" in out
    import os
    assert PACKS_ENV not in os.environ  # --packs did not outlive its command


def test_an_outside_pack_with_an_id_that_exists_is_an_error_naming_both_files(tmp_path, capsys):
    packs = tmp_path / "packs"
    add_pack(packs, "leiden", MAP.replace("proefstad", "leiden"), code="GM9903")
    with pytest.raises(RuleError) as raised:
        load(None, [packs])
    assert str(packs / "leiden" / "municipality.yaml") in str(raised.value)
    assert str(RULES / "municipalities" / "leiden" / "municipality.yaml") in str(raised.value)
    code, out, _ = run_cli(capsys, "check", "--packs", str(packs))
    assert code == 1 and "pakket 'leiden' bestaat al" in out


def test_a_packs_folder_that_does_not_exist_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(RuleError) as raised:
        load(None, [tmp_path / "nowhere"])
    assert "packs folder not found" in str(raised.value) and "nowhere" in str(raised.value)
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**CLIENT, "municipality": "leiden"}), encoding="utf-8")
    code, out, err = run_cli(capsys, "recommend", str(case), "--packs", str(tmp_path / "nowhere"))
    assert code == 2 and out == "" and "packs folder not found" in err


# ------------------------------------------------------------------ municipality new


def test_a_scaffolded_pack_passes_check_and_the_scenario_suite(tmp_path, capsys):
    packs = tmp_path / "mijn-gemeenten"
    code, out, err = run_cli(capsys, "municipality", "new", "Zwolle", "--code", "GM0193", "--variant", "tilburg",
                             "--into", str(packs))
    assert code == 0, err
    assert out.strip() == str(packs / "zwolle")
    assert "Wat nu:" in err and f"wegwijzer check --packs {packs}" in err and "wegwijzer map import" in err
    main = (packs / "zwolle" / "municipality.yaml").read_text(encoding="utf-8")
    social = (packs / "zwolle" / "social_map.yaml").read_text(encoding="utf-8")
    book = load(None, [packs])
    zwolle, tilburg = book.municipalities["zwolle"], book.municipalities["tilburg"]
    assert (zwolle.code, zwolle.variant, zwolle.pilot_organisation) == ("GM0193", tilburg.variant, "gemeente_zwolle")
    # Tilburg's forms for exactly the lead rules that can apply in Zwolle: none of Helmond's own
    from engine.conditions import may_hold_in
    applicable = [rule.id for rule in book.lead_rules if may_hold_in(rule.when, "zwolle")]
    assert list(zwolle.collaboration) == applicable and "pilot_professional_helmond" not in main
    assert all(zwolle.collaboration[rid] == tilburg.collaboration[rid] for rid in applicable)
    assert "IN TE VULLEN" in social and social.count("source: practice") >= 3
    code, out, _ = run_cli(capsys, "check", "--packs", str(packs))
    assert code == 0 and out.startswith("check in orde: 0 fout(en)")
    code, out, err = run_cli(capsys, "test", "--packs", str(packs))
    assert code == 0 and "0 mislukt" in out, out + err
    rec = Engine.load(None, [packs]).recommend({**CLIENT, "municipality": "GM0193"})
    assert rec.municipality == "zwolle" and rec.lead_coordinator.organisation == "gemeente_zwolle"


def test_a_scaffold_inside_the_rules_by_default(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    code, out, err = run_cli(capsys, "municipality", "new", "'s-Hertogenbosch", "--code", "GM0796", "--variant", "helmond",
                             "--rules", str(rules))
    assert code == 0, err
    assert Path(out.strip()) == rules / "municipalities" / "s_hertogenbosch"
    book = load(rules)
    assert book.municipalities["s_hertogenbosch"].variant == book.municipalities["helmond"].variant
    assert _errors(rules) == []


@pytest.mark.parametrize("argv, field, words", [
    (["Leiden", "--code", "GM0999", "--variant", "tilburg"], "NAAM", "gemeente 'leiden' bestaat al"),
    (["Zwolle", "--code", "GM0546", "--variant", "tilburg"], "--code", "GM0546 is al de code van leiden"),
    (["Zwolle", "--code", "GM193", "--variant", "tilburg"], "--code", "is geen CBS-gemeentecode"),
    (["Zwolle", "--code", "GM0193", "--variant", "tilbrug"], "--variant", "onbekende gemeente 'tilbrug' (bedoelde je 'tilburg'?)"),
    (["!!", "--code", "GM0193", "--variant", "tilburg"], "NAAM", "geeft geen bruikbare id"),
])
def test_the_scaffold_refuses_bad_input_in_dutch(tmp_path, capsys, argv, field, words):
    packs = tmp_path / "packs"
    code, out, err = run_cli(capsys, "municipality", "new", *argv, "--into", str(packs))
    assert code == 2 and out == ""
    assert f"{field}: " in err and words in err
    assert not packs.exists() or not any(packs.iterdir())  # nothing written


def test_the_scaffold_refuses_an_id_or_code_already_in_its_folder(tmp_path, capsys):
    packs = tmp_path / "packs"
    assert run_cli(capsys, "municipality", "new", "Zwolle", "--code", "GM0193", "--variant", "tilburg", "--into", str(packs))[0] == 0
    code, _, err = run_cli(capsys, "municipality", "new", "Zwolle", "--code", "GM0194", "--variant", "leiden", "--into", str(packs))
    assert code == 2 and "gemeente 'zwolle' bestaat al" in err
    code, _, err = run_cli(capsys, "municipality", "new", "Kampen", "--code", "GM0193", "--variant", "leiden", "--into", str(packs))
    assert code == 2 and "GM0193 is al de code van zwolle" in err


def test_municipality_help_is_dutch(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "municipality", "new", "--help")
    out = capsys.readouterr().out
    assert "gebruik / usage:" in out and "CBS-gemeentecode" in out


# ------------------------------------------------------------------ replay across the move


def _rules_before_packs(tmp_path: Path) -> Path:
    """Today's rules laid out as before packs: the three files the move changed, as they were."""
    rules = copy_rules(tmp_path, "before")
    shutil.rmtree(rules / "municipalities")
    for file in BEFORE_PACKS.iterdir():
        shutil.copy(file, rules / file.name)
    return rules


def test_rules_from_before_packs_load_and_advise_as_the_packs_do(tmp_path):
    from engine.synth import MUNICIPALITIES, generate

    before = Engine.load(_rules_before_packs(tmp_path), [])
    now = Engine.load()
    assert before.rules_version != now.rules_version
    # the same municipalities, codes (from the shipped packs) and variants; the old forms include
    # those of rules that cannot apply in a city, never used: the packs dropped them
    assert {mid: (m.code, m.variant) for mid, m in before.book.municipalities.items()} == \
        {mid: (m.code, m.variant) for mid, m in now.book.municipalities.items()}
    for mid, m in now.book.municipalities.items():
        assert m.collaboration.items() <= before.book.municipalities[mid].collaboration.items()
    for i, municipality in enumerate(MUNICIPALITIES):
        for case in generate(municipality, 40, seed=100 + i):
            assert _plain(before.recommend(case)) == _plain(now.recommend(case)), case["case_id"]


def test_an_advice_made_before_packs_replays_from_the_store(tmp_path, capsys):
    from engine.store import LOCAL, Store
    from engine.store.advise import advise
    from store_cases import case_doc

    rules = _rules_before_packs(tmp_path)
    db = str(tmp_path / "cases.sqlite")
    store = Store.open(db)
    store.import_case(LOCAL, case_doc("old-1"))
    old = advise(store.get(LOCAL, "old-1"), engine=Engine.load(rules, []), today=date(2026, 1, 20))
    store.log_advice(LOCAL, "old-1", old, rules=rules)  # kept: the files as they were, social_map.yaml among them
    case = store.export(LOCAL, "old-1")
    assert "social_map.yaml" in store.rule_snapshot(old.rules_version)
    store.close()
    shutil.rmtree(rules)  # the old folder is gone: only the store has those rules
    (tmp_path / "receipt.json").write_text(old.to_json(), encoding="utf-8")
    (tmp_path / "case.json").write_text(json.dumps(case), encoding="utf-8")
    code, out, err = run_cli(capsys, "replay", str(tmp_path / "receipt.json"), str(tmp_path / "case.json"), "--db", db)
    assert code == 0, err
    assert out == old.to_json() + "\n"
    with_store = Store.open(db)
    assert replay(old.receipt, case, store=with_store).to_json() == old.to_json()
    with_store.close()


def test_an_advice_with_an_outside_pack_replays_from_the_store(outside, tmp_path, monkeypatch):
    from engine.store import LOCAL, Store
    from engine.store.advise import advise
    from store_cases import case_doc

    monkeypatch.setenv(PACKS_ENV, str(outside))
    store = Store.open(str(tmp_path / "cases.sqlite"))
    doc = {**case_doc("p-1"), "municipality": "proefstad"}
    store.import_case(LOCAL, doc)
    rec = advise(store.get(LOCAL, "p-1"), engine=Engine.load(), today=date(2026, 1, 20))
    store.log_advice(LOCAL, "p-1", rec)
    assert "municipalities/proefstad/municipality.yaml" in store.rule_snapshot(rec.rules_version)
    case = store.export(LOCAL, "p-1")
    monkeypatch.delenv(PACKS_ENV)  # the pack is not given any more: the store has it
    assert replay(rec.receipt, case, store=store).to_json() == rec.to_json()
    store.close()
