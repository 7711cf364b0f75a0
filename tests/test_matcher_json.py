"""The matcher's fact encoder (engine.matcher._fact_json, the C encoder made once) writes the
same text as the JSONEncoder it replaced, so durable-rules is given the same bytes."""
from __future__ import annotations

import json

from engine.api import parse_assessment
from engine.facts import build_fact
from engine.matcher import Matcher, _fact_json
from engine.rulebook import load
from engine.synth import MUNICIPALITIES, generate

REPLACED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def test_every_fact_of_a_caseload_is_written_as_before():
    matcher = Matcher(load())
    written = 0
    for index, municipality in enumerate(MUNICIPALITIES):
        for case in generate(municipality, 60, seed=300 + index):
            full = build_fact(parse_assessment(case))
            for kind, name, _ in matcher._plan:
                fact = matcher.durable_fact(name, full, "17")
                assert _fact_json(fact) == REPLACED(fact), (kind, case["case_id"])
                written += 1
    assert written == 3 * 60 * len(matcher._plan)


def test_values_that_need_care_are_written_as_before():
    fact = {"years": 1.5, "tiny": 1e-05, "big": 10**20, "text": 'é"\\\n\u2028\x01', "yes": True, "no": False,
            "none": None, "inf": float("inf"), "sid": "3"}
    assert _fact_json(fact) == REPLACED(fact)


def test_an_assessment_is_asserted_as_its_whole_fact_is():
    """match_assessment reads one row of values and makes each rule set's fact from it on a
    miss; `match` projects the whole fact (durable_fact): durable-rules is given the same text,
    in the same order, and the memos come out the same."""
    by_row, by_fact = Matcher(load()), Matcher(load())
    for matcher in (by_row, by_fact):
        asserted: list[str] = []
        host_assert = matcher._host.assert_fact

        def recording(ruleset, fact, asserted=asserted, host_assert=host_assert, prefix=matcher._prefix):
            asserted.append(ruleset[len(prefix):] + _fact_json(fact))
            return host_assert(ruleset, fact)

        matcher._host.assert_fact = recording
        matcher.asserted = asserted
    for index, municipality in enumerate(MUNICIPALITIES):
        for case in generate(municipality, 150, seed=310 + index):
            assessment = parse_assessment(case)
            assert by_row.match_assessment(assessment) == by_fact.match(build_fact(assessment)), case["case_id"]
    assert by_row.asserted == by_fact.asserted and len(by_row.asserted) > 450
    assert list(by_row._memos.values()) == list(by_fact._memos.values())
    assert list(by_row._coarse_memos.values()) == list(by_fact._coarse_memos.values())
