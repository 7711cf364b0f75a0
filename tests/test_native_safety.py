"""No native crash, by construction (engine/matcher.py says how).

durable-rules corrupts its C heap when a session it never created is deleted; the process
then dies with SIGSEGV or SIGABRT, which would also kill pytest. So the sweeps run in child
processes: a native crash fails the test with the child's signal instead of ending the run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import durable.engine as durable_engine
import pytest

from engine import Engine
from engine.errors import EvaluationError
from engine.matcher import EVERY_CASE

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CALM = {"municipality": "helmond", "conversations_held": 5, "domains": {"finances": {"self_reliance": 5}}}


def run_child(code: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def assert_clean_exit(result: subprocess.CompletedProcess) -> None:
    if result.returncode < 0:
        pytest.fail(f"the child process died natively (signal {-result.returncode}):\n{result.stderr[-3000:]}")
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("with_a_new_city", [False, True], ids=["shipped rules", "rules with a city added"])
def test_every_municipality_domain_and_level_alone_in_a_child_process(tmp_path, with_a_new_city):
    """The calm cases that crashed the first release: one domain at each level, every city,
    with and without conversations held; each through `wegwijzer recommend` as a user runs it
    (a fresh engine per case, where the old crash showed) and through one long-lived engine.
    Also over a copy of the rules with a municipality added by configuration (Proefstad)."""
    rules = None
    if with_a_new_city:
        from test_fourth_municipality import with_proefstad

        rules = str(with_proefstad(tmp_path))
    result = run_child(f"""
        import contextlib, io, json
        from engine import Engine
        from engine.cli import main
        from engine.model import DOMAIN_IDS
        rules = {rules!r}
        engine = Engine.load(rules)
        if rules:
            assert "proefstad" in engine.book.municipalities
        path = {str(tmp_path / "case.json")!r}
        answered = 0
        for municipality in engine.book.municipalities:
            for domain in DOMAIN_IDS:
                for level in range(1, 6):
                    for held in ({{"conversations_held": 5}}, {{}}):
                        case = {{"municipality": municipality, "domains": {{domain: {{"self_reliance": level}}}}, **held}}
                        with open(path, "w") as out:
                            json.dump(case, out)
                        printed = io.StringIO()
                        with contextlib.redirect_stdout(printed):
                            assert main(["recommend", path, "--format", "json", *(["--rules", rules] if rules else [])]) == 0
                        assert json.loads(printed.getvalue())["client_profile"]["id"]
                        assert engine.recommend(case).lead_coordinator.role
                        answered += 1
        print(answered, len(engine.book.municipalities))
    """)
    assert_clean_exit(result)
    answered, cities = map(int, result.stdout.split())
    assert cities >= 3 and answered == cities * 9 * 5 * 2  # every city the rules know, not a fixed three


SWEEP = """
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from engine import Engine
    from strategies import assessments
    engine = Engine.load()
    count = [0]

    @seed({seed})
    @settings(max_examples={n}, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(assessments())
    def sweep(case):
        rec = engine.recommend(case)
        assert rec.client_profile.id and rec.lead_coordinator.role
        count[0] += 1

    sweep()
    print(count[0])
"""


def test_generated_sweep_over_the_whole_schema_in_child_processes():
    """20,000 generated assessments over the whole schema, in two children side by side (two
    cores); every one gets an answer and no child dies natively."""
    n = 10_000
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    children = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(SWEEP.format(seed=seed, n=n))],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
                for seed in (1, 2)]
    for child in children:
        stdout, stderr = child.communicate(timeout=900)
        assert_clean_exit(subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr))
        assert int(stdout.split()[-1]) >= n * 0.9  # hypothesis may stop a little early on repeats


def test_every_rule_set_has_the_catch_all_rule():
    engine = Engine.load()
    for name, ruleset in engine._matcher.rulesets.items():
        assert EVERY_CASE in ruleset, name


def test_every_fact_of_a_calm_case_is_handled(monkeypatch):
    """With the catch-all rule no assertion goes unhandled, so each deleted session exists."""
    engine = Engine.load()
    host = engine._matcher._host
    real_assert = host.assert_fact
    outcomes = []

    def spy(ruleset, fact):
        try:
            result = real_assert(ruleset, fact)
        except durable_engine.MessageNotHandledException:
            outcomes.append("not handled")
            raise
        outcomes.append("handled")
        return result

    monkeypatch.setattr(host, "assert_fact", spy)
    engine.recommend(CALM)
    assert outcomes == ["handled"] * len(engine._matcher.rulesets)  # one per rule set (a file may be cut in parts)


def test_a_refused_fact_replaces_the_host_and_deletes_nothing(monkeypatch):
    engine = Engine.load()
    matcher = engine._matcher
    old_host = matcher._host
    deleted = []

    def refuse(ruleset, fact):
        raise durable_engine.MessageNotHandledException(fact)

    monkeypatch.setattr(old_host, "assert_fact", refuse)
    monkeypatch.setattr(old_host, "delete_state", lambda *args: deleted.append(args))
    with pytest.raises(EvaluationError, match="no rule handled it"):
        engine.recommend(CALM)
    assert deleted == []
    assert matcher._host is not old_host
    # the fresh host answers as a freshly loaded engine does
    assert engine.recommend(CALM).to_json() == Engine.load().recommend(CALM).to_json()
