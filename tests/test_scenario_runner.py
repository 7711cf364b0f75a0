"""The scenario runner itself: bad files are refused with file:line, wrong expectations fail, coverage is honest."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import Engine
from engine.errors import RuleError
from engine.scenarios import ScenarioError, coverage, deep_merge, run_file


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


DEBTS = """defaults: {municipality: leiden, conversations_held: 5, domains: {finances: {self_reliance: 2}}}
cases:
  - name: debts
    assessment: {circumstances: {problematic_debt: true}}
"""


def test_deep_merge_merges_mappings_and_replaces_lists() -> None:
    base = {"municipality": "leiden", "domains": {"finances": {"self_reliance": 4}}, "wishes": ["exercise"]}
    over = {"domains": {"finances": {"priority": 1}, "housing": {"self_reliance": 2}}, "wishes": ["structure"]}
    assert deep_merge(base, over) == {
        "municipality": "leiden", "wishes": ["structure"],
        "domains": {"finances": {"self_reliance": 4, "priority": 1}, "housing": {"self_reliance": 2}},
    }
    assert base["domains"] == {"finances": {"self_reliance": 4}}  # defaults untouched


@pytest.mark.parametrize(("extra", "words"), [
    ("    fires: [q_debtz]\n", "unknown rule or node 'q_debtz' (did you mean 'q_debts'?)"),
    ("    expect: {first: debt_counseling}\n", "expect.first: unknown 'debt_counseling' (did you mean 'debt_counselling'?)"),
    ("    expect: {frist: debt_counselling}\n", "unknown expectation 'frist' (did you mean 'first'?)"),
    ("    expect: {referrals: [schuldhulp]}\n", "unknown 'schuldhulp'"),
    ("    silnet: [q_debts]\n", "unknown key 'silnet' (did you mean 'silent'?)"),
    ("    fires: [q_debts]\n    silent: [q_debts]\n", "both fires and silent"),
])
def test_bad_scenario_names_file_and_line(tmp_path: Path, engine: Engine, extra: str, words: str) -> None:
    path = scenario(tmp_path, DEBTS + extra)
    with pytest.raises(ScenarioError) as info:
        run_file(path, engine)
    assert f"{path}:3:" in str(info.value)
    assert words in str(info.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path, engine: Engine) -> None:
    path = scenario(tmp_path, "cases:\n  - name: x\n    assessment: {domains: [\n")
    with pytest.raises(RuleError) as info:
        run_file(path, engine)
    assert re.match(rf"{re.escape(str(path))}:\d+: YAML syntax", str(info.value))


def test_wrong_expectations_fail_with_expected_beside_got(tmp_path: Path, engine: Engine) -> None:
    path = scenario(tmp_path, DEBTS + "    fires: [q_rent_arrears]\n    silent: [a_debt_counselling]\n"
                    "    expect: {first: special_assistance, profile: income_support, lead_role: fact_team}\n")
    (result,) = run_file(path, engine)
    assert result.status == "fail"
    got = {m.what: (m.expected, m.got) for m in result.mismatches}
    assert got["fires q_rent_arrears"] == ("reached, branch yes", "no")
    assert got["silent a_debt_counselling"] == ("not suggested", "suggested")
    assert got["first"] == ("special_assistance", "debt_counselling")
    assert got["profile"] == ("income_support", "social_activation")
    assert got["lead_role"] == ("fact_team", "participation_coach")


def test_silent_decision_must_be_reached(tmp_path: Path, engine: Engine) -> None:
    path = scenario(tmp_path, "cases:\n  - name: declines\n    assessment: {municipality: tilburg, open_to_support: false,"
                    " domains: {finances: {self_reliance: 2}}}\n    silent: [q_debts]\n")
    (result,) = run_file(path, engine)
    assert result.status == "fail"
    assert result.mismatches[0].got == "not reached"


def test_error_fields_case(tmp_path: Path, engine: Engine) -> None:
    path = scenario(tmp_path, """cases:
  - name: out of range
    assessment: {municipality: leiden, domains: {finances: {self_reliance: 7}}}
    expect: {error_fields: [domains.finances.self_reliance]}
  - name: valid but expected to be refused
    assessment: {municipality: leiden, domains: {finances: {self_reliance: 3}}}
    expect: {error_fields: [domains.finances.self_reliance]}
""")
    refused, accepted = run_file(path, engine)
    assert refused.status == "pass"
    assert accepted.status == "fail" and accepted.mismatches[0].got == "no input error"


def test_xfail_and_xpass(tmp_path: Path, engine: Engine) -> None:
    path = scenario(tmp_path, DEBTS.replace("  - name: debts\n", "  - name: debts\n    xfail: known problem\n")
                    + "    expect: {first: special_assistance}\n"
                    + "  - name: passes anyway\n    xfail: thought wrong\n    assessment: {}\n    silent: [q_unaffordable_cost]\n")
    broken, fixed = run_file(path, engine)
    assert broken.status == "xfail" and broken.passed
    assert fixed.status == "xpass" and not fixed.passed


def test_coverage_counts_only_listed_and_confirmed(tmp_path: Path, engine: Engine) -> None:
    path = scenario(tmp_path, DEBTS + "    fires: [a_debt_counselling]\n"
                    "  - name: failing case covers nothing\n    assessment: {}\n    fires: [a_reapproach_later]\n")
    results = run_file(path, engine)
    report = coverage(results, engine.book)
    assert "node:a_debt_counselling:fires" in report.covered
    assert "node:a_debt_counselling:silent" not in report.covered  # not listed anywhere
    assert "node:a_reapproach_later:fires" not in report.covered  # its case failed
    assert "branch:q_debts:yes" in report.covered  # taken on the passing case's path
    assert "branch:q_declines:yes" not in report.covered
    assert 0 < report.percent < 100
    assert "never exercised: node:a_debt_counselling:silent" in report.report()


BROKEN_SCENARIOS = [
    "cases: []\n",
    "defaults: 3\ncases: [{name: a, assessment: {}}]\n",
    "nonsense: 1\ncases: [{name: a, assessment: {}}]\n",
    "- just a list\n",
    "cases: [3]\n",
    "cases: [{assessment: {}}]\n",
    "cases: [{name: a, assessment: {}}, {name: a, assessment: {}}]\n",
    "cases: [{name: a, assessment: {}, case: {}}]\n",
    "cases: [{name: a, assessment: 3}]\n",
    "cases: [{name: a, assessment: {}, xfail: 3}]\n",
    "cases: [{name: a, assessment: {}, fires: q_debts}]\n",
    "cases: [{name: a, assessment: {}, fires: [q_debtz]}]\n",
    "cases: [{name: a, assessment: {}, fires: [q_debts], silent: [q_debts]}]\n",
    "cases: [{name: a, assessment: {}, expect: 3}]\n",
    "cases: [{name: a, assessment: {}, expect: {frist: x}}]\n",
    "cases: [{name: a, assessment: {}, expect: {first: debt_counseling}}]\n",
    "cases: [{name: a, assessment: {}, expect: {error_fields: [domains]}, fires: [q_debts]}]\n",
]


@pytest.mark.parametrize("text", BROKEN_SCENARIOS)
def test_a_bad_scenario_file_is_reported_in_dutch_with_the_english_beside(tmp_path: Path, engine: Engine, text: str) -> None:
    """`wegwijzer test` speaks Dutch by default: a scenario file it cannot read is said in
    Dutch, the English message beside it (as every workbench message has a Dutch form)."""
    from engine.workbench.dutch import known
    from engine.workbench.test import scenario_error

    path = scenario(tmp_path, text)
    with pytest.raises(RuleError) as info:
        run_file(path, engine)
    error = info.value
    assert known(error.detail), error.detail
    said = scenario_error(error, "nl")
    assert said.startswith(str(path)) and f"(en: {error.detail})" in said
    assert said != str(error)
    assert scenario_error(error, "en") == str(error)
