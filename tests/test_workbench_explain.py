"""wegwijzer explain: the path, the chosen rules, --why and --why-not."""
from __future__ import annotations

import json

from engine.api import Engine
from engine.workbench.explain import explain_case, render
from workbench_helpers import CASE, run_cli


def write_case(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), encoding="utf-8")
    return path


def test_path_and_choices(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "explain", str(write_case(tmp_path)), "--lang", "en")
    assert code == 0
    assert "q_debts: Heeft de deelnemer problematische schulden?  -> YES" in out
    assert "when circumstances.problematic_debt = true" in out
    assert "Profile: social_activation, by rule 'social_activation_otherwise'" in out
    assert "Lead coordinator (regievoerder): participation_coach" in out


def test_library_structure_matches_recommend():
    engine = Engine.load()
    ex = explain_case(engine, CASE)
    rec = engine.recommend(CASE)
    assert ex.interventions == [i.id for i in rec.interventions]
    assert ex.steps[0].node == "q_unsafe" and ex.steps[-1].kind == "end"
    assert "Suggested:" in render(ex, "en") and "Voorgesteld:" in render(ex)


def test_why_not_covered_by_support(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "explain", str(write_case(tmp_path)), "--why-not", "debt_counselling", "--lang", "en")
    assert code == 0
    assert "a_debt_counselling (leiden_flowchart.yaml:" in out
    assert "covered by existing support (debt_counselling)" in out


def test_why_not_blocked_by_first_failing_condition(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "explain", str(write_case(tmp_path)), "--why-not", "reintegration", "--lang", "en")
    assert code == 0
    assert "not reached: decision 'q_work_ready' (leiden_flowchart.yaml:" in out
    assert "failed: (ladder_rung ≥ 3 or wage_value_pct ≥ 30) (leiden_flowchart.yaml:" in out


def test_why_intervention_and_rule(tmp_path, capsys):
    case = write_case(tmp_path)
    code, out, _ = run_cli(capsys, "explain", str(case), "--why", "financial_administration", "--lang", "en")
    assert code == 0 and "reached, outcome suggested" in out and "q_debts → yes" in out
    code, out, _ = run_cli(capsys, "explain", str(case), "--why-not", "work_activation_when_ready", "--lang", "en")
    assert code == 0 and "its condition does not hold" in out


def test_unknown_id_is_a_clean_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "explain", str(write_case(tmp_path)), "--why", "debt_counseling")
    assert code == 2 and "did you mean 'debt_counselling'?" in err
