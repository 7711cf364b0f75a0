"""`wegwijzer feedback`: per rule and intervention how often coaches followed the advice and why
not, per municipality and rules version, small groups hidden; and `diff` weighing a change by it."""
from __future__ import annotations

import json
from datetime import date

import pytest

from engine.cli import main
from engine.feedback import feedback, render_html
from engine.store import LOCAL, Actor, Forbidden, Store
from engine.store.advise import advise
from store_cases import case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)

TODAY = date(2026, 3, 1)


@pytest.fixture
def logged(db_url, monkeypatch):  # noqa: F811
    """Four cases advised alike; on the first suggestion: one accepted, two waiting lists, one declined."""
    db = db_url
    # the local user on either database, the CLI too: a program creates the store single-user
    # (recorded in the store; no variable can make a shared store single-user)
    store = Store(db, shared=False)
    # the small-group threshold is the store's policy: the admin (here the local user) sets it
    # to 2 for this small caseload; a caller's --threshold may raise it, never lower it
    store.set_setting(LOCAL, "monitor.min_group", "2")
    answers = [("accepted", None), ("not_now", "waiting_list"), ("not_now", "waiting_list"), ("other", "client_declines")]
    for index, (decision, reason) in enumerate(answers):
        case_id = f"c-{index}"
        store.import_case(LOCAL, case_doc(case_id))
        rec = advise(store.get(LOCAL, case_id), today=TODAY)
        advice_id = store.log_advice(LOCAL, case_id, rec)
        store.record_decision(LOCAL, case_id, advice_id, rec.interventions[0].id, decision, reason,
                              comment="persoonlijke notitie")
    yield store, db, rec
    store.close()


def test_counts_per_rule_and_intervention_with_reasons(logged):
    store, _, rec = logged
    first = rec.interventions[0]
    report = feedback(store, LOCAL, threshold=2)
    [row] = [r for r in report.rows("intervention") if r["key"] == first.id]
    assert (row["shown"], row["accepted"], row["not_now"], row["other"], row["set_aside"]) == (4, None, 2, None, 3)
    assert row["override_rate"] == 0.75
    assert row["reasons"] == {"waiting_list": 2}  # one 'client_declines' is under the threshold
    assert (row["municipality"], row["rules_version"]) == ("leiden", rec.rules_version)
    [by_rule] = [r for r in report.rows("rule") if r["key"] == first.rule]
    assert by_rule["set_aside"] == 3
    second = rec.interventions[1]
    [untouched] = [r for r in report.rows("intervention") if r["key"] == second.id]
    assert (untouched["shown"], untouched["accepted"], untouched["override_rate"]) == (4, 0, None)


def test_the_small_group_threshold_on_each_side(logged):
    store, _, rec = logged
    first = rec.interventions[0].id
    at = feedback(store, LOCAL, threshold=4).rows("intervention")
    assert [r["shown"] for r in at if r["key"] == first] == [4]  # shown 4 times: shown at threshold 4
    assert feedback(store, LOCAL, threshold=5).rows() == []  # under it: nothing at all
    assert feedback(store, LOCAL, threshold=4, municipality="helmond").rows() == []


def test_trainers_never_see_a_case_a_coach_or_a_comment(logged, capsys):
    store, db, _ = logged
    assert main(["feedback", "--db", db, "--threshold", "2", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["rows"]
    for secret in ("c-0", "c-1", "persoonlijke notitie", "local", "m-"):
        assert secret not in out
    page = render_html(feedback(store, LOCAL, threshold=2), {"waiting_list": "wachtlijst"})
    assert "wachtlijst: 2" in page and "persoonlijke notitie" not in page and "<script" not in page
    with pytest.raises(Forbidden):
        feedback(store, Actor("coach1", "coach"))


def test_text_and_csv(logged, capsys):
    _, db, rec = logged
    assert main(["feedback", "--db", db, "--threshold", "2"]) == 0
    text = capsys.readouterr().out
    assert "Per regel" in text and "wachtlijst 2" in text and "terzijde gelegd 75%" in text
    assert main(["feedback", "--db", db, "--threshold", "2", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("by,key,municipality,rules_version,shown")
    assert any(line.startswith(f"intervention,{rec.interventions[0].id},leiden,") for line in lines)


def test_diff_weighs_a_changed_rule_by_how_often_coaches_set_it_aside(logged, tmp_path, capsys):
    import shutil

    from engine.rulebook import default_rules_dir
    from engine.workbench.diff import diff_rules

    store, db, rec = logged
    first = rec.interventions[0]
    rule_set, node = first.rule.split("/")
    new = tmp_path / "new-rules"
    shutil.copytree(default_rules_dir(), new)
    flow = new / "leiden_flowchart.yaml"
    lines = flow.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {node}")
    reason = next(i for i in range(at, len(lines)) if lines[i].strip().startswith("reason_nl:"))
    lines[reason] = lines[reason].rstrip("\n") + " Eerst overleggen.\n"  # the rule's content changes, not its line
    flow.write_text("".join(lines), encoding="utf-8")
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "c.json").write_text(json.dumps(case_doc("x-1")), encoding="utf-8")

    report = diff_rules(default_rules_dir(), new, cases, feedback(store, LOCAL, threshold=2))
    assert report.overridden == {first.rule: {"set_aside": 3, "decided": 4}}
    assert diff_rules(default_rules_dir(), new, cases, feedback(store, LOCAL, threshold=5)).overridden == {first.rule: None}
    assert diff_rules(default_rules_dir(), new, cases).overridden == {}
    assert main(["diff", str(default_rules_dir()), str(new), "--cases", str(cases), "--weigh", db, "--threshold", "2"]) == 0
    assert f"{first.rule}: 3 van 4 keer terzijde gelegd (75%)" in capsys.readouterr().out


def test_the_monitor_over_the_store_has_the_feedback_page(logged, tmp_path):
    _, db, rec = logged
    out = tmp_path / "monitor"
    assert main(["monitor", "--db", db, "--out", str(out), "--threshold", "2", "--no-advice"]) == 0
    assert 'href="feedback.html"' in (out / "index.html").read_text(encoding="utf-8")
    page = (out / "feedback.html").read_text(encoding="utf-8")
    assert rec.interventions[0].id in page and "wachtlijst: 2" in page and "c-0" not in page
    assert (out / "feedback.csv").read_text(encoding="utf-8").startswith("by,key,")


def test_a_team_lead_counts_the_teams_cases_only(tmp_path):
    store = Store.open(str(tmp_path / "teams.sqlite"), shared=False)
    anna = Actor("anna", "coach", "noord")
    for i in range(2):
        store.import_case(anna, case_doc(f"n-{i}"))
        rec = advise(store.get(anna, f"n-{i}"), today=TODAY)
        store.record_decision(anna, f"n-{i}", store.log_advice(anna, f"n-{i}", rec), rec.interventions[0].id, "accepted")
    north = feedback(store, Actor("lotte", "team_lead", "noord"), threshold=2).rows("intervention")
    assert {r["key"]: r["accepted"] for r in north}[rec.interventions[0].id] == 2
    assert feedback(store, Actor("sam", "team_lead", "zuid"), threshold=1).rows() == []
    store.close()
