"""wegwijzer stats and diff, and the caseload reader they share."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from engine.caseload import iter_cases
from engine.errors import InputError
from workbench_helpers import CASE, caseload, copy_rules, edit, run_cli


def test_iter_cases_jsonl_and_folder(tmp_path):
    refs = [(ref, isinstance(data, InputError)) for ref, data in iter_cases(caseload(tmp_path))]
    assert refs[1] == ("cases.jsonl:2", True) and len(refs) == 6
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.yaml").write_text("municipality: leiden\ndomains: {finances: {self_reliance: 2}}\n")
    (folder / "b.json").write_text("{broken")
    got = list(iter_cases(folder))
    assert [r for r, _ in got] == ["a.yaml", "b.json"] and isinstance(got[1][1], InputError)


def test_stats(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "stats", str(caseload(tmp_path)), "--lang", "en")
    assert code == 1  # two bad cases: listed, the rest advised, and the exit code says so
    assert "4 of 6 case(s) advised" in out
    assert "Referral load per organisation" in out and "leiden/schuldhulp_leiden" in out
    assert "Cases that could not be advised (2):" in out and "bad_municipality" in out
    code, out, _ = run_cli(capsys, "stats", str(caseload(tmp_path)), "--format", "json")
    data = json.loads(out)
    assert sum(data["profiles"].values()) == 4 and data["interventions"]["debt_counselling"] == 2
    code, out, _ = run_cli(capsys, "stats", str(caseload(tmp_path, bad=False)), "--lang", "en")
    assert code == 0 and "4 of 4 case(s) advised" in out


def test_stats_names_the_bad_case_line_and_field(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "stats", str(caseload(tmp_path)), "--lang", "en")
    assert code == 1
    assert "  cases.jsonl:2: (root): not valid JSON" in out
    # the rules (a pack per municipality), not the model, say which municipalities exist
    assert "  bad_municipality: cases.jsonl:6: municipality: unknown municipality 'amsterdam'; the rules know " in out


def test_missing_caseload_is_a_clean_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "stats", str(tmp_path / "none.jsonl"))
    assert code == 2 and "caseload not found" in err


def test_diff_same_rules_no_change(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    code, out, _ = run_cli(capsys, "diff", str(rules), str(rules), "--cases", str(caseload(tmp_path, bad=False)), "--fail-on-change", "--lang", "en")
    assert code == 0 and "0 changed" in out and "No case changes." in out
    # bad cases are listed and the others compared; the exit code (3, not 1: nothing changed) says some were bad
    code, out, _ = run_cli(capsys, "diff", str(rules), str(rules), "--cases", str(caseload(tmp_path)), "--lang", "en")
    assert code == 3 and "4 of 6 case(s) compared, 0 changed" in out
    assert "Cases that could not be advised (2):" in out and "  cases.jsonl:2: (root): not valid JSON" in out


def test_diff_reports_gains_profiles_and_cases(tmp_path, capsys):
    old = copy_rules(tmp_path, "old")
    new = copy_rules(tmp_path, "new")
    edit(new / "leiden_flowchart.yaml", "- not: {conversations_held: {gte: 3}}", "- not: {conversations_held: {gte: 6}}")
    edit(new / "helmond_profiles.yaml", "- {lowest_self_reliance: {gte: 4}}", "- {lowest_self_reliance: {gte: 2}}")
    cases = caseload(tmp_path)
    code, out, _ = run_cli(capsys, "diff", str(old), str(new), "--cases", str(cases), "--fail-on-change", "--lang", "en")
    assert code == 3  # changed, and two cases could not be advised: the bad cases' code
    (tmp_path / "good").mkdir()
    code, out, _ = run_cli(capsys, "diff", str(old), str(new), "--cases", str(caseload(tmp_path / "good", bad=False)),
                           "--fail-on-change", "--lang", "en")
    assert code == 1  # changed, every case advised
    assert "trust_building: +2 -0" in out and "k0: +practical_help, +trust_building" in out
    code, out, _ = run_cli(capsys, "diff", str(old), str(new), "--cases", str(cases), "--format", "json")
    data = json.loads(out)
    assert code == 3 and data["changed"] and len(data["bad_cases"]) == 2
    assert {c["intervention"]: len(c["gained"]) for c in data["interventions"]}["trust_building"] == 2


def test_diff_bad_revision_is_a_clean_error(tmp_path, capsys):
    rules = copy_rules(tmp_path)
    code, _, err = run_cli(capsys, "diff", "no-such-revision-xyz", str(rules), "--cases", str(caseload(tmp_path)))
    assert code == 2 and "neither a folder nor a git revision" in err


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_diff_against_git_revision(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repo"
    rules = copy_rules(repo)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "rules"], check=True)
    edit(rules / "leiden_flowchart.yaml", "- not: {conversations_held: {gte: 3}}", "- not: {conversations_held: {gte: 6}}")
    monkeypatch.chdir(repo)
    code, out, _ = run_cli(capsys, "diff", "HEAD", "rules", "--cases", str(caseload(tmp_path, bad=False)), "--lang", "en")
    assert code == 0 and "4 of 4 case(s) compared, 2 changed" in out
    monkeypatch.chdir(tmp_path)  # not a git repository
    code, _, err = run_cli(capsys, "diff", "HEAD", str(rules), "--cases", str(caseload(tmp_path)))
    assert code == 2 and "not a git repository" in err


def test_stats_and_diff_speak_dutch_by_default_answer_first(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "stats", str(caseload(tmp_path)))
    assert code == 1
    assert out.startswith("4 van 6 casus(sen) geadviseerd, regels sha256:")
    assert out.index("Casussen die geen advies kregen (2):") < out.index("Klantprofielen:")
    assert "Verwijzingen per organisatie" in out and "Referral" not in out
    rules = copy_rules(tmp_path)
    code, out, _ = run_cli(capsys, "diff", str(rules), str(rules), "--cases", str(caseload(tmp_path, bad=False)))
    assert code == 0 and out.startswith("4 van 4 casus(sen) vergeleken, 0 veranderd\n") and "Geen casus verandert." in out


def test_diff_reports_a_step_plan_in_another_order(tmp_path, capsys):
    """The same interventions in another order (or phase) is a change a coach sees."""
    old = copy_rules(tmp_path, "old")
    new = copy_rules(tmp_path, "new")
    resolution = (new / "resolution.yaml").read_text(encoding="utf-8")
    import yaml

    data = yaml.safe_load(resolution)
    data["step_plan"]["now_at_most"] = 1  # fewer steps now: the same steps, other phases
    (new / "resolution.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cases = caseload(tmp_path, bad=False)
    code, out, _ = run_cli(capsys, "diff", str(old), str(new), "--cases", str(cases), "--fail-on-change", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["changed"] and report["reordered"] >= 1
    assert not report["interventions"]  # nobody gains or loses a step
    changes = [c for cs in report["affected"].values() for c in cs]
    assert any(c.startswith("order ") and "(now)" in c and "(next)" in c for c in changes), changes
    code, out, _ = run_cli(capsys, "diff", str(old), str(old), "--cases", str(cases), "--fail-on-change", "--format", "json")
    assert code == 0 and json.loads(out)["reordered"] == 0
