"""Issue 13 item 2: the workbench speaks Dutch by default (--lang en for English), the answer
first; an operator typo gets 'bedoelde je ...?' with the valid operators."""
from __future__ import annotations

import json

import pytest

from engine.rulebook import load
from engine.workbench.check import check_rules
from engine.workbench.dutch import known, nl
from workbench_helpers import CASE, copy_rules, edit, run_cli

FLOW = "leiden_flowchart.yaml"

# many ways to break the rules, so that check prints many kinds of message
BREAKS = [
    (FLOW, "yes: q_administrator_involved", "yes: q_administrator_involvd"),
    # a moved threshold the question still quotes (the trainers' guard, issue 19 item 12)
    (FLOW, "        - {domains.finances.self_reliance: {lte: 2}}\n", "        - {domains.finances.self_reliance: {lte: 3}}\n"),
    (FLOW, "    next: q_needs_administration\n", "    next: q_needs_administraton\n"),
    (FLOW, "intervention: debt_counselling", "intervention: debt_counseling"),
    (FLOW, "when: {circumstances.parenting_concerns: true}", "when: {circumstances.parenting_concern: true}"),
    (FLOW, "- {ladder_rung: 1}", "- {ladder_rung: {gt: 6}}"),
    (FLOW, "when: {circumstances.rent_arrears: true}", "when: {circumstances.rent_arrears: {tru: true}}"),
    (FLOW, "when: {open_to_support: false}", "when: {open_to_support: {lte: 2}}"),
    (FLOW, "when: {circumstances.addiction: true}", "when: {age: {lt: 1.0e+20}}"),
    (FLOW, "    source: seed:L1944-1947, practice\n", ""),
    ("municipalities/leiden/municipality.yaml", "organisation: libertas", "organisation: libertsa"),
    # a pack's variant, code and collaboration forms
    ("municipalities/tilburg/municipality.yaml", "variant: existing_offers_participation", "variant: existing_offer_participation"),
    ("municipalities/tilburg/municipality.yaml", "code: GM0855", "code: GM0546"),
    ("municipalities/tilburg/municipality.yaml", "  trusted_professional_leads: central_contact\n",
     "  trusted_professional_lead: central_contact\n  pilot_professional_helmond: multidisciplinary_team\n"),
    ("helmond_profiles.yaml", "    profile: work_activation\n", "    profile: work_activaton\n"),
    ("interventions.yaml", "    step: 2\n", "    step: 7\n"),
]


def broken(tmp_path):
    rules = copy_rules(tmp_path)
    for file, old, new in BREAKS:
        edit(rules / file, old, new)
    return rules


def test_every_message_check_prints_for_broken_rules_has_a_dutch_form(tmp_path):
    findings = check_rules(broken(tmp_path))
    assert len(findings) >= len(BREAKS)
    untranslated = [f.message for f in findings if not known(f.message)]
    assert untranslated == []


def test_check_is_dutch_by_default_with_the_verdict_first(tmp_path, capsys):
    rules = broken(tmp_path)
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules))
    assert code == 1
    assert out.startswith("check AFGEKEURD: ")
    assert "fout(en)" in out and "Fouten:" in out
    assert f"{rules / FLOW}:" in out and ": fout: " in out
    assert "(bedoelde je 'q_administrator_involved'?)" in out and "did you mean" not in out
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules), "--lang", "en")
    assert out.startswith("check FAILED: ") and "(did you mean 'q_administrator_involved'?)" in out


def test_an_operator_typo_gets_bedoelde_je_and_the_valid_operators(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    line = edit(rules / FLOW, "- {domains.safety.self_reliance: {lte: 1}}", "- {domains.safety.self_reliance: {lt2: 1}}")
    code, out, _ = run_cli(capsys, "check", "--rules", str(rules))
    assert code == 1
    assert (f"{rules / FLOW}:{line}: fout: [q_unsafe] onbekende operator 'lt2' bij 'domains.safety.self_reliance' "
            "(bedoelde je 'lt'?); geldige operatoren: eq, neq, lt, lte, gt, gte, in, not_in, contains") in out


def test_nl_translates_suggestions_and_keeps_unknown_shapes_in_english():
    assert nl("unknown field 'agee' (did you mean 'age'?)") == "onbekend veld 'agee' (bedoelde je 'age'?)"
    assert nl("something new") == "something new" and not known("something new")


def test_explain_why_starts_with_the_one_line_answer(tmp_path, capsys):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    code, out, _ = run_cli(capsys, "explain", str(case), "--why", "financial_administration")
    assert code == 0
    first, second, third = out.splitlines()[:3]
    assert first == "Waarom financial_administration? a_financial_administration: bereikt, uitkomst voorgesteld"
    assert second == "" and third.startswith("Casus c1 (leiden), regels ")
    assert "Pad door het stroomschema:" in out and "-> NEE" in out and "Klantprofiel: " in out
    code, out, _ = run_cli(capsys, "explain", str(case), "--why-not", "reintegration", "--lang", "en")
    line = load().flowchart.nodes["q_work_ready"].line  # the node's own line in the shipped rules
    assert out.splitlines()[0] == ("Why not reintegration? a_reintegration: not reached: decision 'q_work_ready' "
                                   f"(leiden_flowchart.yaml:{line}) went no")


def test_test_command_is_dutch_by_default(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "test", "--coverage", "--mutate")
    assert code == 0
    lines = out.splitlines()
    assert " geslaagd, 0 mislukt" in lines[0]
    assert "dekking: " in out and "mutatiescore: " in out
    # a known rule problem (xfail) is counted in Dutch too: the shipped rules have none left,
    # so a copy gets one
    rules = copy_rules(tmp_path)  # without the scenario files: one of its own
    (rules / "leiden_flowchart.test.yaml").write_text(
        "cases:\n  - name: a known problem kept on purpose\n    xfail: \"a reason\"\n"
        "    assessment:\n      domains: {finances: {self_reliance: 5}}\n"
        "    fires: [a_debt_counselling]\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "test", "--rules", str(rules))
    assert code == 0
    assert out.splitlines()[0] == "0 geslaagd, 0 mislukt, 1 verwacht mislukt"


def test_wegwijzer_help_speaks_dutch_with_english_beside(capsys):
    """`wegwijzer --help` and a command's help, as the rest of the workbench: Dutch first."""
    from engine.cli import COMMANDS, main

    for argv in (["--help"], ["recommend", "--help"], ["batch", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("gebruik / usage: wegwijzer")
        assert "deze hulp tonen / show this help" in out and "show this help message" not in out
    assert all(" / " in help_text for _, help_text in COMMANDS.values())
