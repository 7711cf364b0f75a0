"""wegwijzer check: the repo's rules pass; each kind of breakage is found with its file and line."""
from __future__ import annotations

import re

import pytest

from engine.conditions import parse
from engine.workbench.check import always_holds, cannot_hold, check_rules
from workbench_helpers import RULES, copy_rules, edit, line_of, run_cli

FLOW = "leiden_flowchart.yaml"


def errors(findings):
    return [f for f in findings if f.severity == "error"]


def test_repo_rules_have_no_errors(capsys):
    assert errors(check_rules(RULES)) == []
    code, out, _ = run_cli(capsys, "check", "--lang", "en")
    assert code == 0
    assert "check ok: 0 error(s)" in out


def test_reachable_from_import_engine():
    import engine.workbench.check as check
    assert callable(check.check_rules)


def test_dangling_reference(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    # the message points at the `yes:` key itself, not at the node's first line (issue 13 item 4)
    line = edit(rules / FLOW, "no: a_reapproach_later", "no: a_reaproach_later")
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules), "--lang", "en")
    assert code == 1
    assert f"{rules / FLOW}:{line}: error: 'q_review_declined' no points to unknown node 'a_reaproach_later' (did you mean 'a_reapproach_later'?)" in out
    # the node nobody points to any more is reported too
    assert f"{rules / FLOW}:{line_of(rules / FLOW, '- id: a_reapproach_later')}: error: node 'a_reapproach_later' cannot be reached from start" in out
    assert "check FAILED" in out


def test_unreachable_node(tmp_path):
    rules = copy_rules(tmp_path)
    edit(rules / FLOW, "  - id: end\n", "  - id: q_orphan\n    type: decision\n    question_nl: Wees?\n    question_en: Orphan?\n"
         "    when: {open_to_support: true}\n    yes: end\n    no: end\n    source: practice\n  - id: end\n")
    line = line_of(rules / FLOW, "- id: q_orphan")
    found = [str(f) for f in check_rules(rules)]
    assert f"{rules / FLOW}:{line}: error: node 'q_orphan' cannot be reached from start 'q_unsafe'" in found


def test_cycle(tmp_path):
    rules = copy_rules(tmp_path)
    edit(rules / FLOW, "    next: end\n    source: seed:L2117", "    next: q_declines\n    source: seed:L2117")
    found = [str(f) for f in errors(check_rules(rules))]
    loops = [f for f in found if "the flowchart loops" in f]
    assert loops and all(f.startswith(f"{rules / FLOW}:") for f in loops)
    assert any("a_social_work_team -> end" not in f and "q_declines ->" in f for f in loops)


def test_bad_yaml_line_and_other_files_still_checked(tmp_path):
    rules = copy_rules(tmp_path)
    line = edit(rules / "helmond_profiles.yaml", "hit_policy: first", "hit_policy: [first")
    edit(rules / FLOW, "no: a_reapproach_later", "no: nowhere")
    found = [str(f) for f in errors(check_rules(rules))]
    assert any(f.startswith(f"{rules / 'helmond_profiles.yaml'}:") and "YAML syntax" in f for f in found)
    assert any("points to unknown node 'nowhere'" in f for f in found)


def test_unknown_field_in_condition(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    line = edit(rules / FLOW, "when: {circumstances.parenting_concerns: true}", "when: {circumstances.parenting_concern: true}")
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules), "--lang", "en")
    assert code == 1
    assert f"{rules / FLOW}:{line}: error: [q_parenting] unknown field 'circumstances.parenting_concern' (did you mean 'circumstances.parenting_concerns'?)" in out


def test_rung_above_six(tmp_path):
    rules = copy_rules(tmp_path)
    line = edit(rules / FLOW, "- {ladder_rung: 1}", "- {ladder_rung: {gt: 6}}")
    found = [str(f) for f in errors(check_rules(rules))]
    assert f"{rules / FLOW}:{line}: error: [q_isolated] 'ladder_rung' gt 6 can never hold: the field runs from 1 to 6" in found


def test_contradiction_and_missing_branch_and_unknown_intervention(tmp_path):
    rules = copy_rules(tmp_path)
    edit(rules / FLOW, "- not: {conversations_held: {gte: 3}}", "- {all: [{ladder_rung: {lt: 2}}, {ladder_rung: {gt: 4}}]}")
    edit(rules / FLOW, "intervention: parenting_support", "intervention: parenting_suport")
    found = [str(f) for f in errors(check_rules(rules))]
    assert any("the condition of 'q_few_conversations' can never hold" in f for f in found)
    assert any("action node 'a_parenting_support' has no label: intervention 'parenting_suport' is not in the catalogue" in f for f in found)


def test_rule_after_unconditional_and_profile_never_produced(tmp_path):
    rules = copy_rules(tmp_path)
    profiles = rules / "helmond_profiles.yaml"
    edit(profiles, "  - id: treatment_for_care_needs", "  - id: everyone\n    profile: social_activation\n    when: {}\n"
         "    rationale_nl: x\n    rationale_en: x\n    source: practice\n  - id: treatment_for_care_needs")
    findings = check_rules(rules)
    warnings = [str(f) for f in findings if f.severity == "warning"]
    assert any("profile rule 'treatment_for_care_needs' comes after 'everyone'" in w and "can never be chosen" in w for w in warnings)
    assert any("profile 'work_activation' is never produced" in w for w in warnings)


def test_missing_source_is_an_error(tmp_path):
    rules = copy_rules(tmp_path)
    line = edit(rules / FLOW, "    source: seed:L1212, seed:L1580-1584\n", "")
    found = [str(f) for f in errors(check_rules(rules))]
    assert any(f.startswith(f"{rules / FLOW}:") and "no source" in f for f in found)


def test_missing_folder_is_a_clean_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "check", "--rules", str(tmp_path / "nope"))
    assert code == 2 and "rules folder not found" in err


@pytest.mark.parametrize("raw, never, always", [
    ({"all": [{"ladder_rung": {"lt": 3}}, {"ladder_rung": {"gte": 3}}]}, True, False),
    ({"all": [{"municipality": "leiden"}, {"municipality": "helmond"}]}, True, False),
    ({"any": [{"open_to_support": True}, {"open_to_support": False}]}, False, True),
    ({"all": [{"wishes": {"contains": "exercise"}}, {"not": {"wishes": {"contains": "exercise"}}}]}, True, False),
    # an optional field left out satisfies both negations
    ({"all": [{"not": {"ladder_rung": {"lt": 3}}}, {"not": {"ladder_rung": {"gte": 3}}}]}, False, False),
    ({}, False, True),
])
def test_condition_logic(raw, never, always):
    cond = parse(raw, "t.yaml", 1)
    assert cannot_hold(cond) is never
    assert always_holds(cond) is always


@pytest.mark.parametrize("file, first, second, message", [
    ("interventions.yaml", "  - id: debt_counselling", "  - id: special_assistance", "duplicate intervention id 'debt_counselling'"),
    ("municipalities/leiden/social_map.yaml", "  - id: libertas", "  - id: epicentrum", "organisation 'libertas' appears twice in leiden"),
    (FLOW, "  - id: a_domestic_safety", "  - id: q_declines", "duplicate node id 'a_domestic_safety'"),
    ("helmond_profiles.yaml", "  - id: treatment_for_care_needs", "  - id: work_activation_when_ready",
     "duplicate rule id 'treatment_for_care_needs'"),
])
def test_duplicate_ids_name_both_lines(tmp_path, file, first, second, message):
    """An id given twice is reported at the second place, naming the line of the first."""
    rules = copy_rules(tmp_path)
    second_line = edit(rules / file, second, first)
    first_line = line_of(rules / file, first)
    found = [f"{f.file}:{f.line}: {f.message}" for f in errors(check_rules(rules))]
    assert f"{rules / file}:{second_line}: {message} (first on line {first_line})" in found


# ------------------------------------------------------------------ issue 13 item 3: offered where suggested


PILOTS = ("leiden", "helmond", "tilburg")


def offer_warnings(findings):
    """The no-offer warnings about the three pilots' maps (a municipality a trainer adds to the
    shipped rules may have warnings of its own, which these expectations do not speak of)."""
    out = []
    for f in findings:
        if f.severity == "warning" and "no organisation on the social map there offers it" in f.message:
            cities = re.search(r"' in (.*), but no organisation", f.message).group(1).split(", ")
            if set(cities) & set(PILOTS):
                out.append(str(f).replace(", ".join(cities), ", ".join(c for c in cities if c in PILOTS)))
    return out


def test_warns_where_an_action_can_be_suggested_but_nobody_offers_it():
    found = offer_warnings(check_rules(RULES))
    line = line_of(RULES / FLOW, "    intervention: supported_learning_place")
    assert found == [
        f"{RULES / FLOW}:{line}: warning: action 'a_supported_learning_place' can suggest 'supported_learning_place' in leiden, tilburg, "
        "but no organisation on the social map there offers it; add it to an organisation's services in the municipality's "
        "social_map.yaml (rules/municipalities/<id>/), "
        "or mark it `provider: pilot_professional` in interventions.yaml if the pilot professional does it personally"
    ]


def test_no_offer_warning_for_what_the_pilot_professional_does_personally(tmp_path):
    rules = copy_rules(tmp_path)
    edit(rules / "interventions.yaml", "  - id: supported_learning_place\n", "  - id: supported_learning_place\n    provider: pilot_professional\n")
    assert offer_warnings(check_rules(rules)) == []


def test_a_branch_only_one_municipality_takes_is_checked_for_that_municipality_only(tmp_path):
    rules = copy_rules(tmp_path)
    # the neighbourhood meeting place is reached only in Leiden (q_leiden_meeting_place): offered there, no warning
    assert not any("a_neighbourhood_meeting_place" in f for f in offer_warnings(check_rules(rules)))
    edit(rules / "municipalities/leiden/social_map.yaml", "      - {intervention: neighbourhood_meeting_place, warm_handover: true, shares_data: false, source: \"seed:L2236-2240\"}\n", "")
    found = [f for f in offer_warnings(check_rules(rules)) if "a_neighbourhood_meeting_place" in f]
    assert len(found) == 1 and "'neighbourhood_meeting_place' in leiden, but" in found[0]


def test_a_warm_handover_to_another_organisation_needs_consent(tmp_path, capsys):
    """Going along to another organisation tells it about the client (seed:L2776-2779,
    seed:L2808-2811): such a service must say shares_data: true. The pilot's own services
    (Leiden's Libertas runs the BOP) share nothing outside it and may say false."""
    rules = copy_rules(tmp_path)
    line = edit(rules / "municipalities/tilburg/social_map.yaml",
                "{intervention: sports_activity, warm_handover: true, shares_data: true, source: \"seed:L2301-2302\"}",
                "{intervention: sports_activity, warm_handover: true, shares_data: false, source: \"seed:L2301-2302\"}")
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules), "--lang", "en")
    assert code == 1
    assert (f"{rules / 'municipalities/tilburg/social_map.yaml'}:{line}: error: tilburg/sport_beweegcoach_tilburg: a warm handover to another "
            "organisation than the pilot's shares what is known of the client; set shares_data: true (consent)") in out
    libertas = "{intervention: neighbourhood_meeting_place, warm_handover: true, shares_data: false"
    assert libertas in (RULES / "municipalities/leiden/social_map.yaml").read_text(encoding="utf-8")
    assert not [f for f in errors(check_rules(RULES)) if "warm handover" in f.message]
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules))  # Dutch by default
    assert "een warme overdracht naar een andere organisatie dan die van de pilot deelt" in out
