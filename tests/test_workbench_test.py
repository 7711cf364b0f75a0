"""`wegwijzer test`: the repo's scenarios pass with full coverage; a wrong expectation shows expected beside got."""
from __future__ import annotations

from pathlib import Path

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_repo_scenarios_pass_with_full_coverage(capsys):
    assert main(["test", "--coverage", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert " 0 failed" in out and "coverage: " in out and "(100.0%)" in out


def test_failure_shows_expected_beside_got(tmp_path, capsys):
    scenario = tmp_path / "wrong.test.yaml"
    scenario.write_text(
        "cases:\n"
        "  - name: debts wrongly expected to lead to the sociaal wijkteam\n"
        "    assessment:\n"
        "      municipality: tilburg\n"
        "      conversations_held: 3\n"
        "      domains: {finances: {self_reliance: 2}}\n"
        "      circumstances: {problematic_debt: true}\n"
        "    expect: {first: social_work_team}\n",
        encoding="utf-8",
    )
    assert main(["test", str(scenario), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "social_work_team" in out and "debt_counselling" in out
    assert "0 passed, 1 failed" in out


def test_coverage_of_a_partial_suite_names_what_is_missing(capsys):
    assert main(["test", str(ROOT / "rules" / "helmond_profiles.test.yaml"), "--coverage", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "never exercised: node:q_debts" in out
