"""Issue 13 item 3: `wegwijzer test --mutate` sees one-step changes to the rules."""
from __future__ import annotations

from engine.api import Engine
from engine.conditions import parse
from engine.scenarios import find_files, load_file
from engine.workbench.mutate import make_mutants, mutated_book, mutation_test, mutations, reference_matches
from workbench_helpers import RULES, run_cli

ENGINE = Engine.load()
CASES = [case for path in find_files([RULES]) for case in load_file(path, ENGINE.book)]


def changes(raw):
    return sorted(change for change, _, _ in mutations(parse(raw, "x.yaml", 1)))


def test_each_threshold_moves_each_comparison_flips_each_part_drops():
    assert changes({"any": [{"ladder_rung": {"gte": 3}}, {"wishes": {"contains": "paid_work"}}]}) == sorted([
        "ladder_rung ≥ 3 -> ladder_rung ≥ 2", "ladder_rung ≥ 3 -> ladder_rung ≥ 4", "ladder_rung ≥ 3 -> ladder_rung < 3",
        "wishes contains paid_work -> not (wishes contains paid_work)",
        "dropped from any: ladder_rung ≥ 3", "dropped from any: wishes contains paid_work",
    ])


def test_a_threshold_moved_to_mean_the_same_is_not_made():
    # self-reliance runs 1-5: lte 5 -> lte 6 holds on the same values, no scenario could tell
    assert changes({"domains.finances.self_reliance": {"lte": 5}}) == sorted([
        "domains.finances.self_reliance ≤ 5 -> domains.finances.self_reliance ≤ 4",
        "domains.finances.self_reliance ≤ 5 -> domains.finances.self_reliance > 5",
    ])


def test_reference_matches_equal_the_durable_rules_matcher_on_every_scenario():
    compared = 0
    for case in CASES:
        try:
            assessment, fact, fired = ENGINE.evaluate(case.assessment)
        except Exception:
            continue  # the invalid-input scenarios
        assert reference_matches(ENGINE.book, fact) == fired, case.where
        compared += 1
    assert compared > 100


def test_a_mutant_is_in_memory_and_advises_differently():
    book = ENGINE.book
    node = book.flowchart.nodes["q_few_conversations"]
    mutant = next(m for m in make_mutants(book) if m.rule == "q_few_conversations" and m.change.endswith("≥ 4"))
    changed = mutated_book(book, mutant)
    assert changed.flowchart.nodes["q_few_conversations"].when == mutant.when != node.when
    assert book.flowchart.nodes["q_few_conversations"] is node  # the real rules are untouched
    case = {"municipality": "leiden", "conversations_held": 3, "domains": {"social_contacts": {"self_reliance": 3}}}
    _, fact, _ = ENGINE.evaluate(case)
    assert "q_few_conversations" not in reference_matches(book, fact)["flowchart"]
    assert "q_few_conversations" in reference_matches(changed, fact)["flowchart"]


def test_shipped_rules_reach_95_percent(capsys):
    report = mutation_test(ENGINE, CASES)
    assert len(report.mutants) > 200 and report.score >= 95.0, [m.change for m in report.survivors]
    code, out, _ = run_cli(capsys, "test", "--mutate", "--lang", "en")
    assert code == 0 and f"mutation score: {report.killed}/{len(report.mutants)} mutants caught" in out


def test_a_suite_without_boundary_cases_names_the_survivors(capsys):
    profiles = str(RULES / "helmond_profiles.test.yaml")
    code, out, _ = run_cli(capsys, "test", profiles, "--mutate", "--lang", "en")
    assert code == 1  # below 95%
    assert "not caught by any scenario:" in out
    # the flowchart's thresholds are not exercised by the profile scenarios
    mutant = next(m for m in make_mutants(ENGINE.book) if m.rule == "q_few_conversations" and m.change.endswith("≥ 4"))
    assert mutant.change == "conversations_held ≥ 3 -> conversations_held ≥ 4"
    assert f"leiden_flowchart.yaml:{mutant.line} [q_few_conversations] {mutant.change}" in out
    code, out, _ = run_cli(capsys, "test", profiles, "--mutate", "--min-score", "0")
    assert code == 0


def test_dropping_a_boundary_scenario_lets_its_mutant_survive():
    # every scenario that sits on the boundary (exactly three conversations) left out
    without = [c for c in CASES if c.assessment.get("conversations_held") != 3]
    report = mutation_test(ENGINE, without)
    survivors = {(m.rule, m.change) for m in report.survivors}
    assert ("q_few_conversations", "conversations_held ≥ 3 -> conversations_held ≥ 4") in survivors
    assert ("q_few_conversations", "conversations_held ≥ 3 -> conversations_held ≥ 4") not in {
        (m.rule, m.change) for m in mutation_test(ENGINE, CASES).survivors}
