"""Issue 9 item 5 (workbench): explain, test, stats and diff report a bad case, with its file,
line and field, go on with the rest, and exit non-zero at the end (stats and diff: see
test_workbench_caseload.py)."""
from __future__ import annotations

import json

from workbench_helpers import CASE, run_cli

GOOD_SCENARIO = (
    "  - name: debts lead to debt counselling\n"
    "    assessment:\n"
    "      municipality: tilburg\n"
    "      conversations_held: 5\n"
    "      domains: {finances: {self_reliance: 2}}\n"
    "      circumstances: {problematic_debt: true}\n"
    "    expect: {first: debt_counselling}\n"
)


def test_explain_reports_a_bad_case_and_explains_the_rest(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(CASE), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("municipality: leiden\ndomains: {finances: {self_reliance: 7}}\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("municipality: [leiden\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "explain", str(bad), str(good), str(broken), str(good))
    assert code == 1
    assert out.count("Pad door het stroomschema:") == 2
    assert f"{bad}: domains.finances.self_reliance: " in err
    assert f"{broken}: (root): line 2: not valid YAML" in err
    code, out, err = run_cli(capsys, "explain", str(good), str(bad), "--format", "json")
    assert code == 1 and [json.loads(line)["case_id"] for line in out.splitlines()] == ["c1"]


def test_explain_one_good_case_is_unchanged(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(CASE), encoding="utf-8")
    code, out, _ = run_cli(capsys, "explain", str(good), "--format", "json")
    assert code == 0 and json.loads(out)["case_id"] == "c1"


def test_test_reports_a_bad_scenario_case_and_file_and_runs_the_rest(tmp_path, capsys):
    scenario = tmp_path / "mixed.test.yaml"
    scenario.write_text(
        "cases:\n" + GOOD_SCENARIO +
        "  - name: a typo in an expectation\n"
        "    assessment: {municipality: leiden}\n"
        "    expect: {frist: debt_counselling}\n"
        "  - name: an invalid assessment\n"
        "    assessment: {municipality: leiden, ladder_rung: 9}\n"
        "    expect: {first: debt_counselling}\n"
        + GOOD_SCENARIO.replace("debts lead", "debts again lead"),
        encoding="utf-8",
    )
    unreadable = tmp_path / "broken.test.yaml"
    unreadable.write_text("cases: [\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "test", str(unreadable), str(scenario))
    assert code == 1
    # Dutch first, the English beside it (as every workbench message)
    assert (f"{scenario}:9: [a typo in an expectation] onbekende verwachting 'frist' (bedoelde je 'first'?)  "
            "(en: unknown expectation 'frist' (did you mean 'first'?))") in err
    assert f"{unreadable}:2: YAML-syntaxfout" in err
    assert f"{scenario}:12: an invalid assessment: MISLUKT" in out and "ladder_rung" in out
    assert out.startswith("2 geslaagd, 1 mislukt, 2 niet te lezen\n")  # the answer first
