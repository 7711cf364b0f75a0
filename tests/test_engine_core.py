"""The engine's own promises: sessions cleaned up, no state between cases, determinism, packaging."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from engine import Engine
from engine.errors import EvaluationError, RuleError
from engine.rulebook import default_rules_dir

ROOT = Path(__file__).resolve().parent.parent
DEBT = {"municipality": "leiden", "case_id": "c1", "domains": {"finances": {"self_reliance": 2, "priority": 1}},
        "circumstances": {"problematic_debt": True}}
CALM = {"municipality": "leiden", "case_id": "c2", "domains": {"finances": {"self_reliance": 5}}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def ids(rec) -> list[str]:
    return [i.id for i in rec.interventions]


def test_no_state_leaks_between_cases(engine):
    first = ids(engine.recommend(DEBT))
    assert "debt_counselling" in first
    assert "debt_counselling" not in ids(engine.recommend(CALM))
    assert ids(engine.recommend(DEBT)) == first


def test_a_failure_inside_the_agenda_replaces_the_host_and_deletes_nothing(engine, monkeypatch):
    """The agenda is run by direct calls into durable's C engine (engine/matcher.py). If one of
    them fails half-way, the session's state is unknown: the case gets a clear error, nothing is
    deleted, the host is replaced, and the next case is answered as by a fresh engine."""
    import engine.matcher as matcher_module

    matcher = engine._matcher
    matcher.clear_memo()  # DEBT was answered before: from the memo it would not reach the C engine
    old_host = matcher._host
    deleted: list[tuple[str, str]] = []
    monkeypatch.setattr(old_host, "delete_state", lambda *args: deleted.append(args))

    def broken(handle, state_handle):
        raise RuntimeError("boom in the agenda")

    monkeypatch.setattr(matcher_module._native, "complete_and_start_action", broken)
    with pytest.raises(EvaluationError, match="boom in the agenda"):
        engine.recommend(DEBT)
    monkeypatch.undo()
    assert deleted == []
    assert matcher._host is not old_host
    assert engine.recommend(DEBT).to_json() == Engine.load().recommend(DEBT).to_json()


def test_many_cases_do_not_exhaust_sessions(engine):
    # durable-rules allows about 1,024 live sessions; deleted sessions are reused
    for index in range(1500):
        engine.recommend({**CALM, "case_id": f"c{index}"})


def test_same_input_same_bytes_across_engines(engine):
    other = Engine.load()
    assert engine.recommend(DEBT).to_json() == other.recommend(DEBT).to_json()


def test_rules_version_is_a_content_hash(tmp_path, engine):
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    assert Engine.load(copy).rules_version == engine.rules_version
    path = copy / "interventions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Aanvraag bijzondere bijstand", "Bijzondere bijstand aanvragen"), encoding="utf-8")
    assert Engine.load(copy).rules_version != engine.rules_version


def test_bad_rule_file_names_file_and_line(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    flow = copy / "leiden_flowchart.yaml"
    text = flow.read_text(encoding="utf-8").replace("no: a_debt_counselling", "no: a_debt_counseling")
    flow.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as err:
        Engine.load(copy)
    # the line of the offending `no:` key, not the node's first line (issue 13 item 4)
    line = next(n for n, l in enumerate(text.splitlines(), 1) if "no: a_debt_counseling" in l)
    assert f"leiden_flowchart.yaml:{line}: 'q_administrator_involved' no points to unknown node 'a_debt_counseling'" in str(err.value)
    assert "did you mean 'a_debt_counselling'" in str(err.value)


def test_accepts_an_assessment_model(engine):
    from engine import Assessment

    assert engine.recommend(Assessment.model_validate(DEBT)).to_json() == engine.recommend(DEBT).to_json()


def test_every_example_runs_in_text_json_and_markdown():
    from engine.cli import main

    for example in sorted((ROOT / "examples").glob("*.yaml")):
        for fmt in ("text", "json", "markdown"):
            assert main(["recommend", str(example), "--format", fmt]) == 0


def test_english_text(capsys):
    from engine.cli import main

    assert main(["recommend", str(ROOT / "examples" / "leiden_weigert.yaml"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Call again next month" in out and "Lead coordinator" in out


def test_schema_command_prints_one_document_with_every_model(capsys):
    from engine.cli import main

    assert main(["schema"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"Assessment", "Case", "Recommendation"} <= set(doc["$defs"])
    assert "municipality" in doc["$defs"]["Assessment"]["properties"]
    assert "for" in doc["$defs"]["Referral"]["properties"]
    assert main(["schema", "both"]) == 0  # the first release's pair with the Case beside it, as GET /v1/schema serves
    assert set(json.loads(capsys.readouterr().out)) == {"assessment", "case", "recommendation"}
    case = doc["$defs"]["Case"]["properties"]
    assert {"assessments", "interventions_log", "goals", "contacts", "profile_history", "as_of"} <= set(case)


def test_wheel_carries_the_rules(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True)
    if out.returncode != 0 and "hatchling" in out.stderr:
        out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                             capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    wheel = next(tmp_path.glob("wegwijzer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for rule_file in ("interventions.yaml", "leiden_flowchart.yaml", "helmond_profiles.yaml",
                      "lead_coordinator.yaml", "resolution.yaml", "municipalities/leiden/municipality.yaml",
                      "municipalities/leiden/social_map.yaml"):
        assert f"wegwijzer/_rules/{rule_file}" in names


def test_a_firing_is_read_by_its_rule_name_only():
    """The agenda reads the rule id from each firing's JSON without decoding the fact; an id
    that would need JSON escapes (none of the rule files' ids can) is decoded in full."""
    from engine.matcher import _rule_name

    assert _rule_name('{"debt_first": {"m": {"sid": "1", "case": true}}}') == "debt_first"
    assert _rule_name('{"_every_case": {}}') == "_every_case"
    assert _rule_name('{"odd\\"id": {}}') == 'odd"id'
    assert _rule_name('{"back\\\\slash": {}}') == "back\\slash"


def _book_with_decisions(conditions: list[dict]) -> "object":
    """The shipped rules with these flowchart decisions added (never on the walk: only matched)."""
    from engine.rulebook import load
    from rulebook_helpers import book_with_decisions

    return book_with_decisions(load(), conditions)


def test_a_case_on_which_more_than_64_alternatives_hold_is_answered():
    """durable-rules refuses an assertion on which one rule set fires more than 64 times (error
    303). The matcher cuts each rule file into rule sets that cannot get there: here 100 extra
    decisions, 2 alternatives each, all holding on the case, besides the shipped decisions."""
    from engine.conditions import MAX_ALTERNATIVES, alternatives
    from engine.matcher import EVERY_CASE, Matcher, SyncHost, install

    holds_twice = {"any": [{"domains.finances.self_reliance": {"lte": 2}}, {"circumstances.problematic_debt": True}]}
    book = _book_with_decisions([holds_twice] * 100)
    matcher = Matcher(book)
    case = {"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}, "circumstances": {"problematic_debt": True}}
    from engine.api import parse_assessment

    fired = matcher.match_assessment(parse_assessment(case))
    assert {f"extra_{i}" for i in range(100)} <= fired["flowchart"]
    flowchart_parts = [ruleset for name, ruleset in matcher.rulesets.items() if matcher.kind_of(name) == "flowchart"]
    assert len(flowchart_parts) > 2
    for ruleset in flowchart_parts:
        assert sum(alternatives(rule["all"][0]["m"]) for rule in ruleset.values()) <= MAX_ALTERNATIVES
    assert sum(len(part) - 1 for part in flowchart_parts) == sum(1 for n in book.flowchart.nodes.values() if n.type == "decision")

    # the limit is real: the same rules as one rule set are refused on this case
    class Recording(SyncHost):
        def get_action(self, action_name):
            return lambda _context: None

    whole = {rid: rule for ruleset in flowchart_parts for rid, rule in ruleset.items()}
    whole[EVERY_CASE] = flowchart_parts[0][EVERY_CASE]
    host = Recording()
    install(host, {"whole_flowchart": whole})
    from engine.facts import build_fact

    fact = {**build_fact(parse_assessment(case)), "sid": "s1"}
    with pytest.raises(Exception, match="303"):
        host.assert_fact("whole_flowchart", fact)

