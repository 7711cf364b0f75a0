"""The trajectory (issue 11): a Case in, history-aware advice, progress and due out.

The history rules themselves fire and stay silent in rules/trajectory.test.yaml (run by
test_scenarios.py); here: the Case contract and its errors, the derived current
assessment, progress, the phase contract, and properties over generated cases.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Engine
from engine.case import as_of, current_assessment, parse_case
from engine.errors import InputError, RuleError
from engine.history import load_trajectory
from engine.rulebook import load
from engine.trajectory_synth import generate_cases

from strategies import assessments

ROOT = Path(__file__).resolve().parent.parent
BOOK = load()
ENGINE = Engine(BOOK)
CASES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SYNTH = [c for m in ("leiden", "helmond", "tilburg") for c in generate_cases(m, 25, seed=7, engine=ENGINE)]


def example(name: str) -> dict:
    return yaml.safe_load((ROOT / "examples" / "cases" / name).read_text(encoding="utf-8"))


def a_case(**extra) -> dict:
    base = {
        "municipality": "tilburg", "case_id": "t-1", "age": 44, "household": {"single": True},
        "assessments": [
            {"date": "2025-06-02", "ladder_rung": 1, "conversations_held": 5,
             "domains": {"social_contacts": {"self_reliance": 2}, "finances": {"self_reliance": 3}},
             "igm": {"motivation": 4, "behaviour": 3}, "wishes": ["social_contact"]},
            {"date": "2025-12-01", "ladder_rung": 3, "conversations_held": 11,
             "domains": {"social_contacts": {"self_reliance": 3}, "finances": {"self_reliance": 4}, "leisure": {"self_reliance": 4}},
             "igm": {"motivation": 6, "behaviour": 5}, "wishes": ["social_contact", "exercise"]},
        ],
    }
    base.update(extra)
    return base


# ------------------------------------------------------------------ the Case contract


def test_examples_are_valid_cases_with_history():
    assert len(CASES) >= 5
    for path in CASES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rec = ENGINE.recommend(data, source=path.name)
        assert rec.progress is not None and len(data["assessments"]) >= 2, path.name
        assert data["interventions_log"], path.name


def test_a_case_and_an_assessment_both_go_through_recommend():
    case = a_case()
    rec = ENGINE.recommend(case)
    assert rec.case_id == "t-1" and rec.progress is not None
    plain = ENGINE.recommend({"municipality": "tilburg", "domains": {"finances": {"self_reliance": 3}}})
    assert plain.progress is None and plain.due == []


def test_as_of_defaults_to_the_latest_date_in_the_case_never_the_clock():
    case = parse_case(a_case(contacts=[{"date": "2025-12-20", "kind": "phone", "reached": False}]))
    assert as_of(case) == date(2025, 12, 20)
    assert as_of(parse_case(a_case())) == date(2025, 12, 1)
    assert as_of(parse_case(a_case(as_of="2026-02-01"))) == date(2026, 2, 1)


def test_the_current_assessment_is_the_latest_with_the_case_and_the_running_log():
    case = parse_case(a_case(interventions_log=[
        {"id": "debt_counselling", "started": "2025-07-01", "status": "running"},
        {"id": "neighbourhood_gym", "started": "2025-09-01", "status": "waiting_list"},
        {"id": "community_activity", "started": "2025-07-01", "ended": "2025-09-01", "status": "completed", "result": "improved"},
        {"id": "sports_activity", "started": "2025-07-01", "status": "running"},
        {"id": "sports_activity", "started": "2025-10-01", "ended": "2025-11-01", "status": "stopped"},
    ]))
    current = current_assessment(case)
    assert current.municipality == "tilburg" and current.case_id == "t-1" and current.age == 44
    assert current.household.single is True and current.ladder_rung == 3
    assert set(current.domains) == {"social_contacts", "finances", "leisure"}
    # the latest entry per intervention decides: sport was stopped after it ran
    assert current.current_interventions == ["debt_counselling", "neighbourhood_gym"]


@pytest.mark.parametrize("change, field", [
    (lambda c: c["assessments"].reverse(), "assessments[1].date"),
    (lambda c: c["assessments"][1].update(date="2025-06-02"), "assessments[1].date"),
    (lambda c: c.update(goals=[{"id": "g", "domain": "housing", "set_on": "2025-07-01"}]), "goals[0].domain"),
    (lambda c: c.update(goals=[{"id": "g", "domain": "finances", "set_on": "2025-07-01", "review_on": "2025-06-01"}]), "goals[0].review_on"),
    (lambda c: c.update(interventions_log=[{"id": "neighbourhood_gym", "started": "2025-07-01", "ended": "2025-06-30", "status": "stopped"}]), "interventions_log[0].ended"),
    (lambda c: c.update(interventions_log=[{"id": "neighbourhood_gym", "started": "2025-07-01", "ended": "2025-08-01", "status": "running"}]), "interventions_log[0].ended"),
    (lambda c: c.update(as_of="2025-11-30"), "assessments[1].date"),
    (lambda c: c.update(as_of="2025-12-01", contacts=[{"date": "2025-12-02", "kind": "phone", "reached": False}]), "contacts[0].date"),
    (lambda c: c.update(as_of="2025-12-01", profile_history=[{"date": "2025-12-05", "id": "social_activation"}]), "profile_history[0].date"),
    (lambda c: c.update(as_of="2025-12-01", interventions_log=[{"id": "volunteering", "started": "2025-12-03", "status": "running"}]), "interventions_log[0].started"),
    (lambda c: c.update(interventions_log=[{"id": "neighbourhood_gim", "started": "2025-07-01", "status": "running"}]), "interventions_log[0].id"),
    (lambda c: c["assessments"][0].update(current_interventions=["neighbourhood_gim"]), "assessments[0].current_interventions[0]"),
    (lambda c: c["assessments"][0]["domains"]["finances"].update(self_reliance=7), "assessments[0].domains.finances.self_reliance"),
    (lambda c: c.update(intervention_log=[]), "intervention_log"),
    (lambda c: c.update(assessments=[]), "assessments"),
    (lambda c: c["assessments"][0].update(municipality="tilburg"), "assessments[0].municipality"),
])
def test_bad_history_is_an_input_error_naming_the_field(change, field):
    data = a_case()
    change(data)
    with pytest.raises(InputError) as info:
        ENGINE.recommend(data)
    assert field in info.value.fields, str(info.value)


def test_a_misspelt_field_gets_a_suggestion():
    data = a_case(intervention_log=[])
    with pytest.raises(InputError, match="did you mean 'interventions_log'"):
        ENGINE.recommend(data)


def test_a_planned_review_date_after_as_of_is_fine_until_scored():
    planned = a_case(goals=[{"id": "g", "domain": "finances", "set_on": "2025-07-01", "review_on": "2026-01-05"}])
    assert ENGINE.recommend(planned).progress.goals.total == 1
    scored = copy.deepcopy(planned)
    scored["goals"][0]["gas_score"] = 1  # a score says the review happened: then it is a date in the past
    assert as_of(parse_case(scored)) == date(2026, 1, 5)
    scored["as_of"] = "2025-12-01"
    with pytest.raises(InputError) as info:
        ENGINE.recommend(scored)
    assert "goals[0].review_on" in info.value.fields


def test_the_cli_reads_a_case_and_reports_errors_without_a_traceback(tmp_path, capsys):
    from engine.cli import main

    assert main(["recommend", str(CASES[0]), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["progress"]["since"] and isinstance(out["due"], list)
    bad = a_case()
    bad["assessments"].reverse()
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    assert main(["recommend", str(path)]) == 2
    err = capsys.readouterr().err
    assert "assessments[1].date" in err and "Traceback" not in err


# ------------------------------------------------------------------ progress


def test_progress_first_to_latest_as_the_pilots_measured_it():
    rec = ENGINE.recommend(a_case(
        goals=[{"id": "a", "domain": "finances", "set_on": "2025-06-02", "review_on": "2025-12-01", "gas_score": 0},
               {"id": "b", "domain": "social_contacts", "set_on": "2025-06-02", "review_on": "2025-12-01", "gas_score": -1},
               {"id": "c", "domain": "social_contacts", "set_on": "2025-10-01"}],
        profile_history=[{"date": "2025-06-02", "id": "social_activation_with_treatment"}]))
    p = json.loads(rec.to_json())["progress"]
    assert p["since"] == "2025-06-02" and p["until"] == "2025-12-01"
    assert p["domains"]["social_contacts"] == {"from": 2, "to": 3}
    assert p["domains"]["leisure"] == {"from": 4, "to": 4}  # scored only in the latest
    assert "housing" not in p["domains"]
    assert p["ladder"] == {"from": 1, "to": 3}
    assert p["igm"] == {"motivation": {"from": 4, "to": 6}, "behaviour": {"from": 3, "to": 5}}
    assert p["goals"] == {"total": 3, "reviewed": 2, "achieved": 1}  # GAS 0 counts as achieved
    assert p["profile"] == {"from": "social_activation_with_treatment", "to": rec.client_profile.id}


# ------------------------------------------------------------------ the stage keeps the phase contract


def _contract(rec) -> None:
    for item in rec.interventions:
        if item.phase == "now":
            assert item.waits_for == [], item
        if item.phase == "later":
            assert item.waits_for, item
    ids = [i.id for i in rec.interventions]
    assert len(ids) == len(set(ids))
    adjusted = any(s.kind == "history" and (s.outcome.startswith(("added:", "later:", "completed_not_again:"))
                                            or ":dropped:" in s.outcome) for s in rec.trace)
    if adjusted:  # the stage re-orders by phase and keeps `now` to three (urgent and pinned steps aside)
        phases = [i.phase for i in rec.interventions]
        assert phases == sorted(phases, key=("now", "next", "later").index)
        assert sum(1 for i in rec.interventions if i.phase == "now" and not i.urgent and i.id not in ("home_visit", "warm_handover")) <= BOOK.resolution.step_plan.now_at_most


def test_history_adjusted_plans_keep_the_phase_contract():
    for data in SYNTH + [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CASES]:
        _contract(ENGINE.recommend(data))


def test_a_later_step_waits_for_something_that_is_in_the_plan_or_running():
    for data in SYNTH:
        rec = ENGINE.recommend(data)
        running = {e["id"] for e in data["interventions_log"] if e["status"] in ("running", "waiting_list")}
        ids = {i.id for i in rec.interventions}
        for item in rec.interventions:
            if item.rule.startswith("trajectory/") or any(s.outcome == f"later:{item.id}" for s in rec.trace):
                for waited in item.waits_for:
                    assert waited == "trust" or waited in ids or waited in running, (data["case_id"], item)


# ------------------------------------------------------------------ properties


@SETTINGS
@given(assessments(), st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_a_case_with_one_assessment_advises_exactly_like_the_assessment(data: dict, on: date) -> None:
    try:
        plain = ENGINE.recommend(data)
    except InputError:
        return
    top = {k: data[k] for k in ("municipality", "case_id") if k in data}
    inner = {k: v for k, v in data.items() if k not in ("municipality", "case_id")}
    case = {**top, "assessments": [{**inner, "date": on.isoformat()}]}
    rec = ENGINE.recommend(case)
    assert rec.progress is not None and rec.progress.since == rec.progress.until == on
    # the receipt names the input, which differs (a Case, its as_of); the rules that held do not
    assert rec.model_copy(update={"progress": None, "receipt": None}).to_json() == \
        plain.model_copy(update={"receipt": None}).to_json()
    assert {k: v for k, v in rec.receipt.fired.items() if k != "trajectory"} == plain.receipt.fired
    assert rec.receipt.as_of == on


RUNNABLE = sorted(BOOK.interventions)


@SETTINGS
@given(st.sampled_from(SYNTH), st.sampled_from(RUNNABLE), st.integers(0, 400))
def test_adding_a_running_entry_never_adds_an_item(data: dict, iid: str, days_before: int) -> None:
    before = ENGINE.recommend(data)
    last = date.fromisoformat(data["assessments"][-1]["date"])
    started = max(date.fromisoformat(data["assessments"][0]["date"]), date.fromordinal(last.toordinal() - days_before))
    # one entry per intervention and start: a second with another status is refused (engine/case.py)
    assume(not any(e["id"] == iid and e["started"] == started.isoformat() for e in data["interventions_log"]))
    more = copy.deepcopy(data)
    more["interventions_log"].append({"id": iid, "started": started.isoformat(), "status": "running"})
    after = ENGINE.recommend(more)
    assert {i.id for i in after.interventions} <= {i.id for i in before.interventions}, (iid, data["case_id"])


@SETTINGS
@given(st.sampled_from(SYNTH))
def test_the_same_case_gives_the_same_bytes(data: dict) -> None:
    assert ENGINE.recommend(data).to_json() == Engine(BOOK).recommend(copy.deepcopy(data)).to_json()


_FAKE_CLOCK = """
import sys, time, datetime
time.time = lambda: 1924992000.0  # 2031-01-01; date.today() calls time.time()
time.time_ns = lambda: 1924992000 * 10**9
class _Later(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2031, 1, 1, tzinfo=tz)
    @classmethod
    def utcnow(cls):
        return cls(2031, 1, 1)
    @classmethod
    def today(cls):
        return cls(2031, 1, 1)
datetime.datetime = _Later
assert datetime.date.today().year == 2031 and datetime.datetime.now().year == 2031
from engine.cli import main
sys.exit(main(sys.argv[1:]))
"""
_REAL_CLOCK = "import sys\nfrom engine.cli import main\nsys.exit(main(sys.argv[1:]))\n"


CLOCK_CASES = {p.name: example(p.name) for p in CASES}
# a case whose advice turns on the date: declined ten days before its latest date, so the
# reapproach is not due at the default as_of but would be on any later day
CLOCK_CASES["declined_recently"] = a_case(interventions_log=[
    {"id": "community_activity", "started": "2025-11-21", "ended": "2025-11-21", "status": "declined"}])


@pytest.mark.parametrize("name", sorted(CLOCK_CASES))
def test_output_never_depends_on_the_clock(name, tmp_path):
    """as_of given (the latest date in the case) on the real clock, and as_of left out with the
    machine's clock moved to 2031: the same bytes."""
    data = {k: v for k, v in CLOCK_CASES[name].items() if k != "as_of"}
    given = {**data, "as_of": as_of(parse_case(data)).isoformat()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outputs = []
    for label, case, script in (("given", given, _REAL_CLOCK), ("defaulted", data, _FAKE_CLOCK), ("given_late", given, _FAKE_CLOCK)):
        path = tmp_path / f"{label}.json"
        path.write_text(json.dumps(case, default=str), encoding="utf-8")
        run = subprocess.run([sys.executable, "-c", script, "recommend", str(path), "--format", "json"],
                             capture_output=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr.decode()
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    if name == "declined_recently":
        assert json.loads(outputs[0])["due"] == []  # not due yet at as_of, whatever the clock says


# ------------------------------------------------------------------ the rule file


def test_a_broken_history_rule_names_file_and_line(tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("*.test.yaml"))
    path = rules / "trajectory.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("intervention: work_training\n        wishes: [paid_work]\n    source: seed:L2236",
                                 "intervention: work_trainig\n        wishes: [paid_work]\n    source: seed:L2236"), encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_trajectory(load(rules))
    line = text[: text.index("intervention: work_training\n        wishes: [paid_work]\n    source: seed:L2236")].count("\n") + 1
    assert info.value.file.endswith("trajectory.yaml") and info.value.line == line
    assert "did you mean 'work_training'" in str(info.value)


def test_every_parameter_and_rule_cites_its_source():
    raw = yaml.safe_load((ROOT / "rules" / "trajectory.yaml").read_text(encoding="utf-8"))
    for name, parameter in raw["parameters"].items():
        assert parameter["source"] and parameter["description"] and isinstance(parameter["value"], int), name
    for rule in raw["rules"]:
        assert rule["source"], rule["id"]


def test_check_names_a_broken_history_rule(tmp_path, capsys):
    from engine.cli import main
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("*.test.yaml"))
    path = rules / "trajectory.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    value: 30\n", "    value: thirty\n"), encoding="utf-8")
    line = text[: text.index("    value: 30\n")].count("\n") + 1
    assert main(["check", "--rules", str(rules)]) == 1
    out = capsys.readouterr().out
    assert f"trajectory.yaml:{line}" in out and "Traceback" not in out


def test_http_recommend_takes_a_case_and_names_bad_history():
    from fastapi.testclient import TestClient

    from engine.web.app import create_app

    client = TestClient(create_app(ENGINE, token=""))
    data = example(CASES[0].name)
    response = client.post("/v1/recommend", content=json.dumps(data, default=str), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == json.loads(ENGINE.recommend(data).to_json())
    bad = a_case()
    bad["assessments"].reverse()
    response = client.post("/v1/recommend", json=bad)
    assert response.status_code == 422 and "assessments[1].date" in response.text


def test_the_text_advice_says_what_is_due(capsys):
    from engine.cli import main

    path = next(p for p in CASES if "helmond" in p.name)
    assert main(["recommend", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Wat staat er open" in out and "herijk" in out
    assert main(["recommend", str(path), "--lang", "en"]) == 0
    assert "What is due" in capsys.readouterr().out


def test_the_stage_works_on_whatever_phases_come_in():
    """Resolution assigns phases (the method helper's step plan); the stage keeps what a step
    already waited for, adds its own reason, and keeps `now` to three."""
    from engine.history import adjust
    from engine.model import SuggestedIntervention

    case = parse_case(a_case(
        interventions_log=[{"id": "sports_activity", "started": "2025-09-01", "ended": "2025-10-01", "status": "stopped"},
                           {"id": "volunteering", "started": "2025-11-01", "ended": "2025-11-01", "status": "declined"}],
        contacts=[{"date": d, "kind": "phone", "reached": False} for d in ("2025-12-02", "2025-12-05", "2025-12-09")]))
    assessment = current_assessment(case)
    base = ENGINE.recommend(assessment.model_dump(exclude_unset=True))

    def item(iid: str, phase: str, waits: list[str]) -> SuggestedIntervention:
        return SuggestedIntervention(id=iid, label_nl=iid, label_en=iid, domain=None, rationale="", rule="x/y",
                                     source="practice", phase=phase, waits_for=waits)

    incoming = base.model_copy(update={"interventions": [
        item("community_activity", "now", []), item("neighbourhood_gym", "now", []), item("computer_course", "now", []),
        item("volunteering", "next", []), item("sports_activity", "later", ["trust"])]})
    out = adjust(BOOK, case, assessment, incoming)
    phases = {i.id: (i.phase, i.waits_for) for i in out.interventions}
    assert phases["sports_activity"] == ("later", ["trust"])  # already later: left as it was
    assert phases["volunteering"] == ("later", ["trust"])
    assert phases["home_visit"] == ("now", [])
    assert out.interventions[0].id == "home_visit"
    assert [i.phase for i in out.interventions] == sorted((i.phase for i in out.interventions), key=("now", "next", "later").index)
    assert sum(1 for i in out.interventions if i.phase == "now") == 3  # home visit in, the last `now` step moved to next
    assert phases["computer_course"] == ("next", [])
    incoming = incoming.model_copy(update={"interventions": [item("sports_activity", "next", ["community_activity"])]})
    out = adjust(BOOK, case, assessment, incoming)
    assert {i.id: i.waits_for for i in out.interventions}["sports_activity"] == ["community_activity", "small_goal"]


def _full_now_with_unanswered_calls(book):
    """Three steps in `now` and three unanswered calls: the home-visit rule adds its step."""
    from engine.history import adjust
    from engine.model import SuggestedIntervention

    case = parse_case(a_case(contacts=[{"date": d, "kind": "phone", "reached": False}
                                       for d in ("2025-12-02", "2025-12-05", "2025-12-09")]))
    assessment = current_assessment(case)
    base = ENGINE.recommend(assessment.model_dump(exclude_unset=True))

    def item(iid: str) -> SuggestedIntervention:
        return SuggestedIntervention(id=iid, label_nl=iid, label_en=iid, domain=None, rationale="", rule="x/y",
                                     source="practice", phase="now", waits_for=[])

    incoming = base.model_copy(update={"interventions": [item("community_activity"), item("neighbourhood_gym"),
                                                         item("computer_course")]})
    out = adjust(book, case, assessment, incoming)
    return {i.id: i.phase for i in out.interventions}


def _rules_with_always_now(tmp_path, interventions: str):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("*.test.yaml"))
    path = rules / "trajectory.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  interventions: [home_visit, warm_handover]\n" in text
    path.write_text(text.replace("  interventions: [home_visit, warm_handover]\n", f"  interventions: {interventions}\n"),
                    encoding="utf-8")
    return rules, text[: text.index("  interventions: [home_visit, warm_handover]\n")].count("\n") + 1


def test_always_now_keeps_the_home_visit_in_a_full_now(tmp_path):
    """trajectory.yaml `always_now`: the home visit goes into `now` although three steps are
    there already (the last other one makes room); taken out of the list, it waits in `next`."""
    phases = _full_now_with_unanswered_calls(BOOK)
    assert phases["home_visit"] == "now"
    assert phases["computer_course"] == "next"
    rules, _ = _rules_with_always_now(tmp_path, "[warm_handover]")
    phases = _full_now_with_unanswered_calls(load(rules))
    assert phases["home_visit"] == "next"
    assert [phases[i] for i in ("community_activity", "neighbourhood_gym", "computer_course")] == ["now"] * 3


def test_always_now_names_only_known_interventions(tmp_path):
    rules, line = _rules_with_always_now(tmp_path, "[home_vist, warm_handover]")
    with pytest.raises(RuleError) as info:
        load_trajectory(load(rules))
    assert info.value.file.endswith("trajectory.yaml") and info.value.line == line
    assert "did you mean 'home_visit'" in str(info.value)


# ------------------------------------------------------------------ history in the words (issue 19 item 9)


def _base_case(**extra) -> dict:
    case = {
        "municipality": "tilburg", "case_id": "woorden",
        "assessments": [{"date": "2026-01-05", "ladder_rung": 2, "conversations_held": 6, "consent_to_share": True,
                         "domains": {"social_contacts": {"self_reliance": 2, "priority": 1},
                                     "daytime_activities": {"self_reliance": 2}},
                         "circumstances": {"language_level": "a2", "illiterate": True},
                         "wishes": ["social_contact", "volunteering", "exercise", "learn_language"]}],
    }
    case.update(extra)
    return case


def test_a_declined_step_is_named_with_its_dutch_date_and_something_else_comes_in_its_place():
    rec = ENGINE.recommend(_base_case(interventions_log=[
        {"id": "volunteering", "started": "2025-12-03", "ended": "2025-12-03", "status": "declined"}]))
    item = next(i for i in rec.interventions if i.id == "volunteering")
    assert item.phase == "later"
    assert "af op 3 december 2025" in item.rationale and "2025-12-03" not in item.rationale
    goal = next(i for i in rec.interventions if i.id == "small_goal")
    assert goal.phase != "later" or goal.waits_for == ["trust"]


def test_a_stopped_step_is_named_and_the_client_is_asked_why():
    rec = ENGINE.recommend(_base_case(interventions_log=[
        {"id": "sports_activity", "started": "2025-09-01", "ended": "2025-10-15", "status": "stopped"}]))
    item = next(i for i in rec.interventions if i.id == "sports_activity")
    assert "gestopt zonder resultaat op 15 oktober 2025" in item.rationale
    why = next(a for a in rec.advice if a.id == "ask_why_stopped")
    assert "gestopt zonder resultaat op 15 oktober 2025" in why.text_nl


def test_a_step_never_waits_for_one_that_failed():
    # the literacy course stopped: the language course no longer waits for it
    rec = ENGINE.recommend(_base_case(interventions_log=[
        {"id": "literacy_course", "started": "2025-09-01", "ended": "2025-10-15", "status": "stopped"}]))
    for item in rec.interventions:
        assert "literacy_course" not in item.waits_for or item.id == "literacy_course", item


def _closing_case(municipality: str, consent: bool = True) -> dict:
    domains = {"social_contacts": {"self_reliance": 4}, "daytime_activities": {"self_reliance": 5}}
    return {"municipality": municipality, "case_id": "afronden",
            "assessments": [{"date": "2025-07-01", "ladder_rung": 2, "conversations_held": 10, "domains": domains},
                            {"date": "2026-01-05", "ladder_rung": 4, "conversations_held": 16, "domains": domains,
                             "consent_to_share": consent}]}


def test_the_closing_handover_names_the_receiving_organisation():
    # Leiden: nothing runs, and the sociaal wijkteam is no default there (seed:L2402-2403, L2434-2437)
    case = _closing_case("leiden")
    rec = ENGINE.recommend(case)
    handover = next(i for i in rec.interventions if i.id == "warm_handover")
    assert handover.referral_to is None and "aan de organisatie waar de deelnemer verder gaat" in handover.rationale
    assert rec.referrals == []
    # what the client still does decides who receives: volunteering at EpiCentrum
    case["interventions_log"] = [{"id": "volunteering", "started": "2025-09-01", "status": "running"}]
    rec = ENGINE.recommend(case)
    handover = next(i for i in rec.interventions if i.id == "warm_handover")
    assert handover.referral_to == "epicentrum" and "aan EpiCentrum" in handover.rationale
    [referral] = rec.referrals
    assert (referral.organisation, referral.for_, referral.warm_handover, referral.consent_required, referral.consent_given) == (
        "epicentrum", ["warm_handover"], True, True, True)
    # Helmond's working group hands participants over to the sociaal wijkteam (seed:L2442-2444)
    rec = ENGINE.recommend(_closing_case("helmond"))
    handover = next(i for i in rec.interventions if i.id == "warm_handover")
    assert handover.referral_to == "sociaal_wijkteam_helmond" and "aan Sociaal wijkteam Helmond" in handover.rationale
    assert [r.organisation for r in rec.referrals] == ["sociaal_wijkteam_helmond"]
    assert "trajectory/warm_handover_closing_helmond" in {s.rule for s in rec.trace}


def test_the_closing_handover_passes_data_on_only_with_consent():
    """A warm handover tells the next organisation about the client: consent first (seed:L2778-2780)."""
    case = {**_closing_case("leiden", consent=False),
            "interventions_log": [{"id": "volunteering", "started": "2025-09-01", "status": "running"}]}
    rec = ENGINE.recommend(case)
    [referral] = rec.referrals
    assert referral.consent_required and not referral.consent_given
    assert [w.code for w in rec.warnings if w.code == "consent_missing"] == ["consent_missing"]
    assert "consent_epicentrum" in {a.id for a in rec.advice}
    # consent for that one organisation is enough
    case["assessments"][-1]["consent_to_share_with"] = ["epicentrum"]
    rec = ENGINE.recommend(case)
    assert rec.referrals[0].consent_given and "consent_missing" not in {w.code for w in rec.warnings}


def test_the_text_names_what_a_step_waits_for_and_whom_it_goes_to_not_their_ids():
    from engine.render import render

    case = {**_closing_case("helmond"), "case_id": None}
    rec = ENGINE.recommend(case)
    text = render(rec, "text", "nl", "Helmond", ENGINE.book)
    assert "verwijzen naar: Sociaal wijkteam Helmond" in text and "sociaal_wijkteam_helmond" not in text
    # care that already runs is named by its label where work training waits for it
    jeffrey = {"municipality": "leiden", "conversations_held": 3, "ladder_rung": 2, "wishes": ["paid_work"],
               "domains": {"mental_health": {"self_reliance": 2, "priority": 1}, "daytime_activities": {"self_reliance": 2}},
               "circumstances": {"psychological_complaints": "severe"},
               "existing_support": [{"kind": "mental_health_care", "trusted": True}]}
    rec = ENGINE.recommend(jeffrey)
    waiting = [i for i in rec.interventions if "mental_health_care" in i.waits_for and "mental_health_care" not in
               {j.id for j in rec.interventions}]
    assert waiting, [(i.id, i.waits_for) for i in rec.interventions]
    text = render(rec, "text", "nl", "Leiden", ENGINE.book)
    assert "wacht op: " + ENGINE.book.interventions["mental_health_care"].label_nl in text
    assert "wacht op: mental_health_care" not in text


def test_one_goal_is_one_goal_in_dutch():
    rec = ENGINE.recommend(_base_case(goals=[{"id": "g1", "domain": "social_contacts", "set_on": "2025-06-01"}]))
    due = next(d for d in rec.due if d.id == "review_goals")
    assert due.reason_nl.startswith("1 doel zonder GAS-score, gesteld op 1 juni 2025")
