"""Issue 10 item 4: a fourth municipality picks a variant by configuration alone.

The shipped rules may hold more municipalities than the three pilots (a trainer adds one):
every expectation below is derived from the loaded rules (SHIPPED), never a fixed list.

A copy of rules/ gets a fourth municipality, Proefstad (an invented example, not a pilot of the
report): a pack folder, rules/municipalities/proefstad/, whose municipality.yaml names its
variant and a collaboration form for every lead rule that can apply there, and whose
social_map.yaml lists its organisations. No Python changes; the same engine then advises Proefstad
cases in the chosen variant, and every way of getting the configuration wrong is a clear
error with file and line (rules) or naming the field (input).
"""
from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from engine import Engine
from engine.cli import main, schema_document
from engine.errors import InputError, RuleError
from engine.rulebook import load
from engine.workbench.check import check_rules
from engine.workbench.dutch import known, nl
from workbench_helpers import RULES, add_pack, copy_rules, edit, line_of, run_cli

SHIPPED = list(load().municipalities)  # the shipped rules' municipalities, by pack folder name

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PROEFSTAD = """
  - id: gemeente_proefstad
    name: Gemeente Proefstad (participatiecoaches, Wmo-loket)
    source: practice
    services:
      - {intervention: special_assistance, warm_handover: false, shares_data: false, source: practice}
      - {intervention: wmo_support, warm_handover: false, shares_data: true, source: practice}
  - id: schuldhulp_proefstad
    name: Schuldhulpverlening Proefstad
    source: practice
    services:
      - {intervention: debt_counselling, warm_handover: true, shares_data: true, source: practice}
      - {intervention: eviction_prevention, warm_handover: true, shares_data: true, source: practice}
  - id: wijkcentrum_proefstad
    name: Wijkcentrum Proefstad
    source: practice
    services:
      - {intervention: community_activity, warm_handover: true, shares_data: true, source: practice}
      - {intervention: volunteering, warm_handover: true, shares_data: true, source: practice}
  - id: huisarts
    name: een huisarts
    source: practice
    services:
      - {intervention: gp_referral, warm_handover: false, shares_data: true, source: "seed:L2115"}
      - {intervention: mental_health_care, warm_handover: false, shares_data: true, source: "seed:L2115, practice"}
  - id: taalhuis
    name: Taalhuis (bibliotheek)
    source: practice
    services:
      - {intervention: literacy_course, warm_handover: true, shares_data: true, source: "seed:L1691-1693"}
  - id: clientondersteuning
    name: MEE (onafhankelijke cliëntondersteuning)
    source: practice
    services:
      - {intervention: client_support, warm_handover: true, shares_data: true, source: practice}
"""

# the same client as tests/test_scenarios_variants.py: debts, few contacts, a language need
CLIENT = {
    "conversations_held": 4, "ladder_rung": 2, "years_on_benefit": 5,
    "domains": {"finances": {"self_reliance": 2}, "social_contacts": {"self_reliance": 2},
                "physical_health": {"self_reliance": 3}, "daytime_activities": {"self_reliance": 3}},
    "circumstances": {"problematic_debt": True, "language_level": "a2"},
}


def with_proefstad(tmp_path: Path, variant: str = "existing_offers_participation", name: str = "rules") -> Path:
    """rules/ copied, with Proefstad added by configuration only: a pack folder taking `variant`,
    with Tilburg's collaboration forms for the lead rules that can apply in Proefstad."""
    rules = copy_rules(tmp_path, name)
    add_pack(rules / "municipalities", "proefstad", PROEFSTAD, variant=variant)
    return rules


def pack_file(rules: Path) -> Path:
    return rules / "municipalities" / "proefstad" / "municipality.yaml"


def plan(engine: Engine, municipality: str) -> list[tuple[str, str, tuple[str, ...]]]:
    rec = engine.recommend({**CLIENT, "municipality": municipality})
    assert rec.municipality == municipality
    return [(item.id, item.phase, tuple(item.waits_for)) for item in rec.interventions]


@pytest.fixture(scope="module")
def proefstad_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_proefstad(tmp_path_factory.mktemp("proefstad"))


@pytest.fixture(scope="module")
def engine(proefstad_rules: Path) -> Engine:
    return Engine.load(proefstad_rules)


# ------------------------------------------------------------------ configuration that works


def test_check_passes_with_a_fourth_municipality(proefstad_rules: Path, capsys) -> None:
    findings = check_rules(proefstad_rules)
    assert [str(f) for f in findings if f.severity == "error"] == []
    # check tells the trainer what the new map does not offer yet (warnings, not errors)
    assert any("can suggest 'debt_counselling'" in f.message for f in findings) is False
    assert any(re.search(r"can suggest 'language_course' in (\w+, )*proefstad, but no organisation", f.message) for f in findings)
    code, out, _ = run_cli(capsys, "check", "--rules", str(proefstad_rules), "--lang", "en")
    assert code == 0 and out.startswith("check ok: 0 error(s)")
    assert list(load(proefstad_rules).municipalities) == sorted([*SHIPPED, "proefstad"])


def test_the_whole_scenario_suite_passes_with_the_city_added(proefstad_rules: Path, capsys) -> None:
    # the scenario files beside the rules are the trainers' suite: adding a city breaks none of it
    code, out, err = run_cli(capsys, "test", "--rules", str(proefstad_rules), str(RULES))
    assert code == 0, out + err
    assert "0 mislukt" in out or "0 failed" in out, out


def test_the_fourth_municipality_gets_the_plan_of_the_variant_it_picked(engine: Engine) -> None:
    proefstad, tilburg = plan(engine, "proefstad"), plan(engine, "tilburg")
    assert proefstad == tilburg  # same variant (Tilburg's), same client: same order, phases and waits
    assert proefstad != plan(engine, "leiden")  # another variant orders the same client otherwise
    assert [i for i, phase, _ in proefstad if phase == "now"][0] == "debt_counselling"  # debts often first


def test_its_referrals_and_lead_come_from_its_own_social_map(engine: Engine) -> None:
    rec = engine.recommend({**CLIENT, "municipality": "proefstad", "consent_to_share": True})
    by_intervention = {iid: ref.organisation for ref in rec.referrals for iid in ref.for_}
    assert by_intervention["debt_counselling"] == "schuldhulp_proefstad"
    assert rec.lead_coordinator.organisation == "gemeente_proefstad"  # the pilot of its map
    tilburg = engine.recommend({**CLIENT, "municipality": "tilburg", "consent_to_share": True})
    # the same rule chose the lead, with the form configured for Proefstad (here Tilburg's)
    assert (rec.lead_coordinator.rule, rec.lead_coordinator.collaboration) == \
        (tilburg.lead_coordinator.rule, tilburg.lead_coordinator.collaboration)


def test_switching_its_variant_in_resolution_yaml_changes_the_order(tmp_path: Path, engine: Engine) -> None:
    switched = Engine.load(with_proefstad(tmp_path, variant="new_low_threshold_offers"))
    before, after = plan(engine, "proefstad"), plan(switched, "proefstad")
    assert [i for i, _, _ in before] != [i for i, _, _ in after]
    first_now = [i for i, phase, _ in after if phase == "now"][0]
    assert first_now != "debt_counselling"  # participation before the problems (Leiden's variant)
    assert plan(switched, "tilburg") == plan(engine, "tilburg")  # the other cities keep theirs


def test_a_case_with_history_for_the_fourth_municipality(engine: Engine) -> None:
    case = {"municipality": "proefstad", "case_id": "z-1", "as_of": "2024-06-01",
            "assessments": [{"date": "2024-01-10", **CLIENT}]}
    rec = engine.recommend(case)
    assert rec.municipality == "proefstad" and rec.progress is not None
    with pytest.raises(InputError) as err:
        engine.recommend({**case, "municipality": "proefstat"})
    assert err.value.fields == ["municipality"] and "did you mean 'proefstad'" in str(err.value)


def test_a_condition_may_name_the_fourth_municipality(tmp_path: Path) -> None:
    # Helmond's duo visits (a decision on `municipality`): Proefstad adopts them by naming itself
    rules = with_proefstad(tmp_path)
    edit(rules / "leiden_flowchart.yaml", "        - {municipality: helmond}\n        - {lowest_self_reliance: {lte: 3}}",
         "        - {municipality: {in: [helmond, proefstad]}}\n        - {lowest_self_reliance: {lte: 3}}")
    engine = Engine.load(rules)
    assert "duo_visit" in [i for i, _, _ in plan(engine, "proefstad")]
    assert "duo_visit" not in [i for i, _, _ in plan(engine, "tilburg")]


def test_schema_lists_the_rulebooks_municipalities(proefstad_rules: Path, capsys) -> None:
    assert main(["schema", "--rules", str(proefstad_rules)]) == 0
    doc = json.loads(capsys.readouterr().out)
    codes = [m.code for m in load(proefstad_rules).municipalities.values()]  # each id's CBS code, in the ids' order
    assert len(codes) == len(SHIPPED) + 1 and all(re.fullmatch(r"GM\d{4}", c) for c in codes)
    for model in ("Assessment", "Case", "Recommendation"):
        assert doc["$defs"][model]["properties"]["municipality"]["enum"] == sorted([*SHIPPED, "proefstad"]) + codes
    assert main(["schema", "assessment"]) == 0  # the shipped rules' own
    shipped_codes = [m.code for m in load().municipalities.values()]
    assert json.loads(capsys.readouterr().out)["properties"]["municipality"]["enum"] == SHIPPED + shipped_codes
    assert "enum" not in schema_document("assessment")["properties"]["municipality"]  # no rulebook: the pattern only


def test_http_and_the_form_know_the_fourth_municipality(engine: Engine) -> None:
    from engine.web.app import create_app

    client = TestClient(create_app(engine, token=""))
    ok = client.post("/v1/recommend", json={**CLIENT, "municipality": "proefstad"})
    assert ok.status_code == 200 and ok.json()["municipality"] == "proefstad"
    bad = client.post("/v1/recommend", json={**CLIENT, "municipality": "proefstat"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["municipality"]
    assert "did you mean 'proefstad'" in bad.json()["errors"][0]["message"]
    schema = client.get("/v1/schema").json()
    assert "proefstad" in schema["assessment"]["properties"]["municipality"]["enum"]
    assert "proefstad" in client.get("/openapi.json").json()["components"]["schemas"]["Assessment"]["properties"]["municipality"]["enum"]
    page = client.get("/").text
    assert '<option value="proefstad"' in page and ">Proefstad</option>" in page
    # the coach's case page: a Proefstad case gets its plan; an unknown id a Dutch 422
    token = client.get("/casus").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    case = {"municipality": "proefstad", "assessments": [{"date": "2024-01-10", **CLIENT}], "as_of": "2024-06-01"}
    shown = client.post("/casus", data={"csrf_token": token, "document_text": json.dumps(case)})
    assert shown.status_code == 200 and "(gemeente Proefstad)" in shown.text
    refused = client.post("/casus", data={"csrf_token": token, "document_text": json.dumps({**case, "municipality": "proefstat"})})
    assert refused.status_code == 422 and "Deze gemeente staat niet op de sociale kaart" in refused.text


# ------------------------------------------------------------------ input errors


@pytest.mark.parametrize("given, hint", [
    ("proefstat", "did you mean 'proefstad'"),
    ("amsterdam", ", ".join(f"'{m}'" for m in sorted([*SHIPPED, "proefstad"]))),
])
def test_an_unknown_municipality_is_an_input_error_naming_the_field(engine: Engine, given: str, hint: str) -> None:
    with pytest.raises(InputError) as err:
        engine.recommend({**CLIENT, "municipality": given})
    assert err.value.fields == ["municipality"]
    assert f"unknown municipality '{given}'" in str(err.value) and hint in str(err.value)


def test_a_known_id_capitalised_is_told_its_spelling(engine: Engine) -> None:
    # a coach writes the city's name as a name: the answer names the id to write instead
    with pytest.raises(InputError) as err:
        engine.recommend({**CLIENT, "municipality": "Proefstad", "domains": {}})
    assert err.value.fields == ["domains", "municipality"]
    assert "must be a municipality id" in str(err.value) and "(did you mean 'proefstad'?)" in str(err.value)
    # a capitalised name the rules do not know keeps the message on how an id is spelt
    with pytest.raises(InputError) as err:
        engine.recommend({**CLIENT, "municipality": "Amsterdam"})
    assert err.value.fields == ["municipality"] and "lower-case letters" in str(err.value)
    assert "did you mean" not in str(err.value)


def test_an_unknown_municipality_is_named_beside_the_other_bad_fields(engine: Engine) -> None:
    with pytest.raises(InputError) as err:
        engine.recommend({"municipality": "proefstat", "domains": {}})
    assert err.value.fields == ["domains", "municipality"] and "did you mean 'proefstad'" in str(err.value)
    with pytest.raises(InputError) as err:
        engine.recommend({"municipality": "proefstat", "assessments": []})
    assert err.value.fields == ["assessments", "municipality"]


def test_the_shipped_rules_do_not_know_proefstad() -> None:
    assert "proefstad" not in SHIPPED  # an invented city, so no trainer's real one collides with it
    with pytest.raises(InputError) as err:
        Engine.load().recommend({**CLIENT, "municipality": "proefstad"})
    assert err.value.fields == ["municipality"] and ", ".join(f"'{m}'" for m in SHIPPED) in str(err.value)


def test_a_malformed_municipality_id_is_refused_by_the_model(engine: Engine) -> None:
    for given in ("Proefstad", "z", "proefstad!", 7, ""):
        with pytest.raises(InputError) as err:
            engine.recommend({**CLIENT, "municipality": given})
        assert err.value.fields == ["municipality"], given
        if isinstance(given, str) and given:
            assert "must be a municipality id as the rules' social map spells it" in str(err.value)
    with pytest.raises(InputError) as err:  # a Case says the same
        engine.recommend({"municipality": "Proefstad", "assessments": [{"date": "2024-01-10", **CLIENT}]})
    assert err.value.fields == ["municipality"] and "must be a municipality id" in str(err.value)


def test_cli_gives_one_clear_line_and_exit_2(proefstad_rules: Path, tmp_path: Path, capsys) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**CLIENT, "municipality": "proefstat"}), encoding="utf-8")
    code, out, err = run_cli(capsys, "recommend", str(case), "--rules", str(proefstad_rules))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "municipality: unknown municipality 'proefstat'" in err
    case.write_text(json.dumps({**CLIENT, "municipality": "proefstad"}), encoding="utf-8")
    code, out, _ = run_cli(capsys, "recommend", str(case), "--rules", str(proefstad_rules), "--format", "json")
    assert code == 0 and json.loads(out)["municipality"] == "proefstad"
    code, out, _ = run_cli(capsys, "recommend", str(case), "--rules", str(proefstad_rules))
    assert code == 0 and out.startswith("Advies (Gemeente Proefstad)")  # the social map's name


def test_batch_reports_the_bad_case_and_answers_the_rest(proefstad_rules: Path, tmp_path: Path) -> None:
    from engine.batch import run_batch

    source = tmp_path / "cases.jsonl"
    cases = [{**CLIENT, "municipality": m} for m in ("proefstad", "proefstat", "tilburg")]
    source.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run_batch(source, out, workers=1, rules=proefstad_rules)
    assert summary.answered == 2 and summary.errors == 1
    errors = [json.loads(line) for line in Path(str(out) + ".errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["line"] for e in errors] == [2] and "unknown municipality 'proefstat'" in errors[0]["error"]


# ------------------------------------------------------------------ configuration that is wrong


def _errors(rules: Path) -> list[tuple[str, int | None, str]]:
    """check's errors as (file name, line, message); each must have a Dutch form (check speaks Dutch)."""
    found = [f for f in check_rules(rules) if f.severity == "error"]
    assert [f.message for f in found if not known(f.message)] == []
    return [(Path(f.file).name, f.line, f.message) for f in found]


def test_a_municipality_without_a_variant_is_a_check_error_with_file_and_line(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    line = edit(pack_file(rules), "variant: existing_offers_participation\n", "")
    found = _errors(rules)
    assert [(name, at) for name, at, _ in found] == [("municipality.yaml", 1)]  # the mapping that lacks it
    assert found[0][2].startswith("variant: Field required")
    with pytest.raises(RuleError) as err:
        load(rules)
    assert f"{pack_file(rules)}:1:" in str(err.value) and "variant" in str(err.value)
    assert "variant" not in pack_file(rules).read_text(encoding="utf-8").splitlines()[line - 1]


def test_a_pack_whose_folder_is_not_its_id_is_an_error(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    (rules / "municipalities" / "proefstad").rename(rules / "municipalities" / "proefstat")
    moved = rules / "municipalities" / "proefstat" / "municipality.yaml"
    line = line_of(moved, "id: proefstad")
    assert _errors(rules) == [("municipality.yaml", line,
                               "id 'proefstad' differs from the pack's folder name 'proefstat'; name the folder as the id")]
    with pytest.raises(RuleError) as err:
        load(rules)
    assert f"{moved}:{line}:" in str(err.value)


def test_a_variant_that_does_not_exist_points_at_its_own_line(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    line = line_of(pack_file(rules), "variant: existing_offers_participation")
    edit(pack_file(rules), "variant: existing_offers_participation", "variant: existing_offers")
    [(name, at, message)] = _errors(rules)
    assert (name, at) == ("municipality.yaml", line) and "did you mean 'existing_offers_participation'" in message
    with pytest.raises(RuleError) as err:
        load(rules)
    assert f"{pack_file(rules)}:{line}:" in str(err.value)


def test_a_lead_rule_without_a_form_for_the_fourth_municipality_is_an_error(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    edit(pack_file(rules), "  trusted_professional_leads: central_contact\n", "")
    line = line_of(pack_file(rules), "collaboration:")
    [(name, at, message)] = _errors(rules)
    assert (name, at) == ("municipality.yaml", line)
    assert "collaboration missing for lead rule trusted_professional_leads" in message and "can apply in proefstad" in message
    assert "samenwerkingsvorm ontbreekt voor regievoerderregel trusted_professional_leads" in nl(message)


def test_a_lead_rule_that_names_other_cities_only_needs_no_form_for_the_new_one(tmp_path: Path) -> None:
    # pilot_professional_helmond applies to Helmond alone (`when: {municipality: helmond}`)
    rules = with_proefstad(tmp_path)
    assert "pilot_professional_helmond:" not in pack_file(rules).read_text(encoding="utf-8")
    assert _errors(rules) == []
    # and the same rule made to apply to Proefstad too asks for its form again, of Proefstad only
    edit(rules / "lead_coordinator.yaml", "    when: {municipality: helmond}\n    lead: pilot",
         "    when: {municipality: {in: [helmond, proefstad]}}\n    lead: pilot")
    found = _errors(rules)
    assert [(Path(name).name, "collaboration missing for lead rule pilot_professional_helmond " in m and "in proefstad)" in m)
            for name, _, m in found] == [("municipality.yaml", True)]


def test_a_form_for_a_rule_that_cannot_apply_there_is_a_warning_only(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    edit(pack_file(rules), "collaboration:\n", "collaboration:\n  pilot_professional_helmond: multidisciplinary_team\n")
    assert _errors(rules) == []
    warned = [f for f in check_rules(rules) if f.severity == "warning" and "pilot_professional_helmond" in f.message]
    assert [(Path(f.file).name, f.line) for f in warned] == [("municipality.yaml", line_of(pack_file(rules), "  pilot_professional_helmond:"))]
    assert "cannot apply in proefstad" in warned[0].message and known(warned[0].message)

def test_a_condition_naming_an_unknown_municipality_is_a_rule_error(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    line = edit(rules / "leiden_flowchart.yaml", "    when: {municipality: leiden}\n", "    when: {municipality: proefstat}\n")
    with pytest.raises(RuleError) as err:
        load(rules)
    assert f"leiden_flowchart.yaml:{line}:" in str(err.value)
    assert "'municipality' is never 'proefstat' (did you mean 'proefstad'?)" in str(err.value)
    assert [(name, at) for name, at, _ in _errors(rules)] == [("leiden_flowchart.yaml", line)]


@pytest.mark.parametrize("old, new, message", [
    ("    municipalities: [helmond]", "    municipalities: [helmond, proefstat]",
     "'proefstat' is not a municipality of the rules (a pack in municipalities/) (did you mean 'proefstad'?)"),
    ("    except_municipalities: [helmond]", "    except_municipalities: [helmund]",
     "except_municipalities: 'helmund' is not a municipality of the rules (a pack in municipalities/) (did you mean 'helmond'?)"),
], ids=["municipalities", "except_municipalities"])
def test_history_rules_name_only_municipalities_of_the_rules(tmp_path: Path, old: str, new: str, message: str) -> None:
    rules = with_proefstad(tmp_path)
    line = edit(rules / "trajectory.yaml", old, new)
    found = _errors(rules)
    assert [(name, at) for name, at, _ in found] == [("trajectory.yaml", line)]
    assert message in found[0][2]


def test_a_history_rule_with_both_municipalities_and_exceptions_is_a_rule_error(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    line = edit(rules / "trajectory.yaml", "    except_municipalities: [helmond]", "    except_municipalities: [helmond]\n    municipalities: [leiden]")
    found = _errors(rules)
    assert [(name, at) for name, at, _ in found] == [("trajectory.yaml", line - 4)]
    assert "give 'municipalities' or 'except_municipalities', not both" in found[0][2]


def test_a_new_municipality_follows_up_a_decline_by_calling_back_as_leiden_and_tilburg_do(engine: Engine) -> None:
    """Only Helmond's working group decides on a new approach; a municipality without one
    calls back the next month (the flowchart and the trajectory's reapproach agree)."""
    declined = {"schema_version": 1, "case_id": "p1", "municipality": "proefstad", "as_of": "2026-01-05",
                "assessments": [{"date": "2025-12-06", "open_to_support": False,
                                 "domains": {"social_contacts": {"self_reliance": 2}}}]}
    rec = engine.recommend(declined)
    assert [i.id for i in rec.interventions] == ["reapproach_later", "home_visit"]
    assert [d.id for d in rec.due] == ["reapproach"]
    helmond = engine.recommend({**declined, "municipality": "helmond"})
    assert [i.id for i in helmond.interventions] == ["case_review"] and helmond.due == []


def test_synth_and_monitor_check_the_municipality_against_the_rules(proefstad_rules: Path, capsys) -> None:
    code, _, err = run_cli(capsys, "synth", "--municipality", "tilbrug", "--n", "1")
    assert code == 2 and "did you mean 'tilburg'" in err
    code, out, _ = run_cli(capsys, "synth", "--municipality", "tilburg", "--n", "1", "--rules", str(proefstad_rules))
    assert code == 0 and json.loads(out)["municipality"] == "tilburg"


def test_synth_draws_a_new_municipality_from_the_pilot_whose_variant_it_took(proefstad_rules: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "synth", "--municipality", "proefstad", "--n", "30", "--seed", "4",
                             "--rules", str(proefstad_rules))
    assert code == 0 and "tilburg" in err  # said on stderr: Tilburg's figures, the same variant
    proefstad = [json.loads(line) for line in out.splitlines()]
    code, out, _ = run_cli(capsys, "synth", "--municipality", "tilburg", "--n", "30", "--seed", "4")
    tilburg = [json.loads(line) for line in out.splitlines()]
    assert {c["municipality"] for c in proefstad} == {"proefstad"} and proefstad[0]["case_id"] == "proefstad-000001"
    relabel = [{**c, "municipality": "tilburg", "case_id": c["case_id"].replace("proefstad", "tilburg")} for c in proefstad]
    assert relabel == tilburg  # the same draws, from Tilburg's published figures
    engine = Engine.load(proefstad_rules)
    assert all(engine.recommend(case).municipality == "proefstad" for case in proefstad)


def test_synth_trajectories_diff_and_stats_work_for_a_new_municipality(proefstad_rules: Path, tmp_path: Path, capsys) -> None:
    caseload = tmp_path / "proefstad.jsonl"
    code, _, err = run_cli(capsys, "synth", "--municipality", "proefstad", "--n", "12", "--trajectories",
                           "--rules", str(proefstad_rules), "--out", str(caseload))
    assert code == 0, err
    cases = [json.loads(line) for line in caseload.read_text(encoding="utf-8").splitlines()]
    assert len(cases) == 12 and all(c["municipality"] == "proefstad" and c["assessments"] for c in cases)
    code, out, err = run_cli(capsys, "stats", str(caseload), "--rules", str(proefstad_rules))
    assert code == 0, err
    code, out, err = run_cli(capsys, "diff", str(proefstad_rules), str(proefstad_rules), "--cases", str(caseload))
    assert code == 0, err


def test_synth_refuses_a_municipality_whose_variant_no_pilot_took(tmp_path: Path, capsys) -> None:
    rules = with_proefstad(tmp_path, variant="own_way")
    edit(rules / "resolution.yaml", "variants:\n",
         "variants:\n  own_way:\n    label_nl: Eigen\n    label_en: Own\n    focus: [volunteering]\n    source: practice\n")
    code, _, err = run_cli(capsys, "synth", "--municipality", "proefstad", "--n", "1", "--rules", str(rules))
    assert code == 2 and "figures" in err and "variant" in err


def test_a_collaboration_form_for_an_id_that_is_no_lead_rule_is_an_error(tmp_path: Path) -> None:
    rules = with_proefstad(tmp_path)
    # pilot_professional_default: a rule for every city
    line = edit(pack_file(rules), "  pilot_professional_default: referral", "  pilot_professional_defualt: referral")
    found = _errors(rules)
    assert sorted((name, at) for name, at, _ in found) == [("municipality.yaml", line_of(pack_file(rules), "collaboration:")),
                                                           ("municipality.yaml", line)]
    messages = " | ".join(message for _, _, message in found)
    assert "collaboration missing for lead rule pilot_professional_default" in messages
    assert "collaboration for 'pilot_professional_defualt', which is not a rule of lead_coordinator.yaml (did you mean 'pilot_professional_default'?)" in messages
