"""Issue 13 item 4: one set of rule checks (rulebook.RuleChecks) for the loader and `check`;
the loader stops at the first problem, check shows them all, and every message points at
the line of the offending key."""
from __future__ import annotations

import pytest

from engine.errors import RuleError
from engine.rulebook import load
from engine.workbench.check import check_rules
from workbench_helpers import copy_rules, edit

FLOW = "leiden_flowchart.yaml"

BREAKAGES = {
    "yes": (FLOW, "yes: q_administrator_involved", "yes: q_administrator_involvd",
            "'q_debts' yes points to unknown node 'q_administrator_involvd' (did you mean 'q_administrator_involved'?)"),
    "next": (FLOW, "    next: q_needs_administration\n", "    next: q_needs_administraton\n",
             "'a_debt_counselling' next points to unknown node 'q_needs_administraton' (did you mean 'q_needs_administration'?)"),
    "intervention": (FLOW, "intervention: debt_counselling", "intervention: debt_counseling",
                     "action node 'a_debt_counselling' has no label: intervention 'debt_counseling' is not in the catalogue (interventions.yaml) (did you mean 'debt_counselling'?)"),
    "profile (schema)": ("helmond_profiles.yaml", "    profile: work_activation\n", "    profile: work_activaton\n", None),
    "pilot organisation": ("municipalities/leiden/municipality.yaml", "organisation: libertas", "organisation: libertsa",
                           "pilot organisation 'libertsa' is not on the leiden map (did you mean 'libertas'?)"),
    "pack variant": ("municipalities/tilburg/municipality.yaml", "variant: existing_offers_participation",
                     "variant: existing_offer_participation",
                     "variant: 'tilburg' needs one of ['care_welfare_participation', 'existing_offers_participation', "
                     "'new_low_threshold_offers'] (resolution.yaml), got 'existing_offer_participation' "
                     "(did you mean 'existing_offers_participation'?)"),
    "pack code (schema)": ("municipalities/helmond/municipality.yaml", "code: GM0794", "code: 0794", None),
    "pack form (schema)": ("municipalities/helmond/municipality.yaml", "pilot_professional_default: multidisciplinary_team",
                           "pilot_professional_default: multidisciplinary", None),
    "schema value": ("interventions.yaml", "    step: 2\n", "    step: 7\n", None),
}


@pytest.mark.parametrize("label", sorted(BREAKAGES))
def test_loader_and_check_say_the_same_at_the_key_line(tmp_path, label):
    file, old, new, message = BREAKAGES[label]
    rules = copy_rules(tmp_path)
    text = (rules / file).read_text(encoding="utf-8")
    if old not in text:
        pytest.fail(f"the shipped rules changed: '{old}' not in {file}")
    line = edit(rules / file, old, new) + old[: len(old) - len(old.lstrip("\n"))].count("\n")
    with pytest.raises(RuleError) as raised:
        load(rules)
    assert (raised.value.file, raised.value.line) == (str(rules / file), line)
    if message:
        assert str(raised.value) == f"{rules / file}:{line}: {message}"
    errors = [f for f in check_rules(rules) if f.severity == "error"]
    assert f"{rules / file}:{line}: error: {str(raised.value).split(f':{line}: ', 1)[1]}" in [str(f) for f in errors]


def test_check_shows_every_problem_the_loader_stops_at_the_first(tmp_path):
    rules = copy_rules(tmp_path)
    for file, old, new, _ in BREAKAGES.values():
        edit(rules / file, old, new)
    with pytest.raises(RuleError):
        load(rules)
    errors = [f for f in check_rules(rules) if f.severity == "error"]
    for file, old, new, message in BREAKAGES.values():
        line = next(n for n, text in enumerate((rules / file).read_text(encoding="utf-8").splitlines(), 1) if new.strip() in text)
        assert any(f.file == str(rules / file) and f.line == line for f in errors), (file, new)
        if message:
            assert any(f.message == message for f in errors), message


def test_a_missing_branch_points_at_the_node_and_a_duplicate_at_the_second_id(tmp_path):
    rules = copy_rules(tmp_path)
    line = edit(rules / FLOW, "    no: q_needs_administration\n", "")
    node_line = next(n for n, t in enumerate((rules / FLOW).read_text(encoding="utf-8").splitlines(), 1) if t == "  - id: q_debts")
    with pytest.raises(RuleError) as raised:
        load(rules)
    assert raised.value.line == node_line and "decision node 'q_debts' is missing its 'no' branch" in str(raised.value)
    assert line > node_line


def test_a_condition_that_can_never_hold_points_at_its_when_key(tmp_path):
    rules = copy_rules(tmp_path)
    edit(rules / FLOW, "- not: {conversations_held: {gte: 3}}", "- {all: [{ladder_rung: {lt: 2}}, {ladder_rung: {gt: 4}}]}")
    lines = (rules / FLOW).read_text(encoding="utf-8").splitlines()
    node = lines.index("  - id: q_few_conversations")
    when = next(n for n in range(node, len(lines)) if lines[n] == "    when:") + 1
    found = [f for f in check_rules(rules) if "the condition of 'q_few_conversations' can never hold" in f.message]
    assert [f.line for f in found] == [when]


def test_a_question_quoting_a_moved_threshold_is_refused_at_its_line(tmp_path):
    """The trainers' guard (issue 19 item 12): a trainer moves `lte: 2` to `lte: 3`; the question
    still says '2 of lager', so check and the loader refuse it at the question's line."""
    rules = copy_rules(tmp_path)
    edit(rules / FLOW, "        - {domains.finances.self_reliance: {lte: 2}}\n", "        - {domains.finances.self_reliance: {lte: 3}}\n")
    lines = (rules / FLOW).read_text(encoding="utf-8").splitlines()
    node = lines.index("  - id: q_needs_administration")
    question = next(n for n in range(node, len(lines)) if lines[n].startswith("    question_nl:")) + 1
    found = [f for f in check_rules(rules) if "q_needs_administration" in f.message and "2 of lager" in f.message]
    assert [f.line for f in found] == [question]
    with pytest.raises(RuleError) as raised:
        load(rules)
    assert "says '2 of lager'" in str(raised.value) or "says '2 or lower'" in str(raised.value)
    # the question that says the new number passes
    edit(rules / FLOW, "(financiën 2 of lager)", "(financiën 3 of lager)")
    edit(rules / FLOW, "(finances 2 or lower)", "(finances 3 or lower)")
    assert not [f for f in check_rules(rules) if "q_needs_administration" in f.message]
