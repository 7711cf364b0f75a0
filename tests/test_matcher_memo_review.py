"""An adversarial review of the memo keyed by number classes (engine/matcher.py, commits d647112
and 1f8b9ef): rule books with numbers of every kind (ints, floats with 17 digits, neighbours of
a bound one ulp away, -0.0), whole facts holding what no fact builder makes, and the firing
budget. Each test compares a matcher that keeps its memo with durable-rules asked afresh."""
from __future__ import annotations

import math
import random

import pytest

from engine.api import parse_assessment
from engine.conditions import MAX_ALTERNATIVES, alternatives, holds, parse, to_durable
from engine.errors import EvaluationError, RuleError
from engine.facts import build_fact
from engine.matcher import Matcher, value_class
from engine.rulebook import load
from engine.synth import MUNICIPALITIES, generate
from rulebook_helpers import book_with_decisions

BOOK = load()
BASE = build_fact(parse_assessment({"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}}))
# numeric fields with the range the random rules and values are drawn from
NUMBERS = {"years_on_benefit": (0, 60), "age": (16, 120), "wage_value_pct": (0, 100),
           "conversations_held": (0, 50), "household.children_under_18": (0, 10)}


def _fresh(matcher: Matcher, fact: dict):
    """What durable-rules fires with nothing remembered, or "refused"."""
    matcher.clear_memo()
    try:
        return matcher.match(fact)
    except EvaluationError:
        return "refused"


def _kept(matcher: Matcher, fact: dict):
    try:
        return matcher.match(fact)
    except EvaluationError:
        return "refused"


def test_durable_rules_reads_a_float_bound_and_its_neighbours_as_python_does():
    """The memo puts two numbers in one class by Python's comparison with the rules' numbers:
    durable-rules must compare each with every bound the same way, down to one ulp, for
    17-digit floats, ints against floats, and -0.0 against 0."""
    rnd = random.Random(4)
    bounds = [0, 0.1, 0.3, 2.5, 1234.5678901234567, 4503599627370495.5, 9007199254740991]
    bounds += [round(rnd.uniform(0, 1000), 13) for _ in range(6)] + [rnd.uniform(0, 1) for _ in range(6)]
    bounds = [b for b in bounds if "e" not in repr(b)]
    conditions = [{"years_on_benefit": {op: b}} for b in bounds for op in ("eq", "lt", "gt") if not (op == "lt" and b == 0)]
    book = book_with_decisions(BOOK, conditions)
    matcher = Matcher(book)
    values = [-0.0, 0.1 + 0.2, 3.0, 3, 2**53 - 1, float(2**53 - 1)]
    for b in bounds:
        values += [b, float(b), math.nextafter(b, -math.inf), math.nextafter(b, math.inf)]
    checked = 0
    for value in values:
        if "e" in repr(value):
            continue  # durable-rules refuses those (tested below)
        fact = {**BASE, "years_on_benefit": value, "has.years_on_benefit": True}
        fired = {rid for rid in _fresh(matcher, fact)["flowchart"] if rid.startswith("extra_")}
        expected = {rid for rid, node in book.flowchart.nodes.items() if rid.startswith("extra_") and holds(node.when, fact)}
        assert fired == expected, value
        checked += 1
    assert checked > 70
    assert value_class(-0.0, matcher.bounds["years_on_benefit"]) == value_class(0, matcher.bounds["years_on_benefit"]) == 1


def _random_condition(rnd: random.Random, depth: int = 0) -> dict:
    roll = rnd.random()
    if depth < 2 and roll < 0.25:
        return {rnd.choice(["all", "any"]): [_random_condition(rnd, depth + 1) for _ in range(rnd.randint(1, 3))]}
    if depth < 2 and roll < 0.4:
        return {"not": _random_condition(rnd, depth + 1)}
    key = rnd.choice(list(NUMBERS))
    low, high = NUMBERS[key]

    def number() -> float:
        return rnd.choice([rnd.randint(low, high), round(rnd.uniform(low, high), rnd.randrange(1, 5)),
                           float(rnd.randint(low, high)), rnd.uniform(low, high)])

    op = rnd.choice(["eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in"])
    if op in ("in", "not_in"):
        return {key: {op: [number() for _ in range(rnd.randint(1, 3))]}}
    return {key: {op: number()}}


@pytest.mark.parametrize("seed", [7, 11])
def test_random_number_rules_fire_from_the_memo_as_afresh(seed):
    """Rules comparing five numeric keys with ints and floats (eq .. gte, in and not_in lists
    mixing both, negated, optional), facts at each bound, one ulp off it, as int and float,
    and -0.0: the memo's answer is durable-rules' answer with an empty memo, every time."""
    rnd = random.Random(seed)
    conditions: list[dict] = []
    while len(conditions) < 12:
        condition = _random_condition(rnd)
        try:
            parse(condition, "random", 1, "random", BOOK.fields)
        except RuleError:
            continue  # a condition that can never hold, say: the loader refuses it
        conditions.append(condition)
    book = book_with_decisions(BOOK, conditions)
    kept, plain = Matcher(book), Matcher(book)
    for _ in range(250):
        fact = dict(BASE)
        for key, bounds in kept.bounds.items():
            if key not in NUMBERS or rnd.random() < 0.15:
                continue  # absent
            bound = rnd.choice(bounds)
            value = rnd.choice([bound, float(bound), math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf),
                                bound + rnd.choice([-1, 1, -0.5, 0.5, 0.0001]), rnd.randint(-5, 130), -0.0])
            fact[key], fact[f"has.{key}"] = value, True
        assert _kept(kept, fact) == _fresh(plain, fact), {key: fact.get(key) for key in NUMBERS}
    assert sum(map(len, kept._memos.values())) > 0 and min(kept.memo_hit_rates().values()) > 0


ODD_VALUES = [True, False, 0, 1, -1, 0.0, -0.0, 1.0, 3, 3.0, 60, 60.0, 59.999, 2**53, 2**53 + 1, 2**63, 1e-05, 1e16,
              float("inf"), float("nan"), "leiden", "3", "", None, 0.1 + 0.2, [1], {"a": 1}, "\x00", "é"]


def test_whole_facts_holding_anything_fire_from_the_memo_as_afresh_and_refusals_repeat():
    """Engine.evaluate gives Matcher.match a whole fact; a caller may give it any: bools at
    numbers and 1 at flags (True == 1 in a Python tuple), nulls, texts at numbers, absent keys,
    exponent floats, NaN and ints past 2**53 among facts the builders make. Each answer, and
    each refusal, is what durable-rules gives the fact with nothing remembered."""
    rnd = random.Random(1)
    kept, plain = Matcher(BOOK), Matcher(BOOK)
    facts = [build_fact(parse_assessment(case)) for m in MUNICIPALITIES for case in generate(m, 20, 3)]
    keys = sorted({key for keys in kept._keys.values() for key in keys})
    refused = 0
    for _ in range(600):
        fact = dict(rnd.choice(facts))
        for _ in range(rnd.randrange(3)):
            key = rnd.choice(keys)
            if rnd.random() < 0.2:
                fact.pop(key, None)
            else:
                fact[key] = rnd.choice(ODD_VALUES)
        expected = _fresh(plain, fact)
        assert _kept(kept, fact) == expected
        refused += expected == "refused"
    assert refused > 0  # some were refused, by the memo too
    assert min(kept.memo_hit_rates().values()) > 0  # and the memo did answer



def test_a_rule_of_the_most_alternatives_the_loader_takes_is_answered_when_all_hold():
    """A rule goes alone in its rule set when over the firing budget, beside the catch-all
    rule, which fires too: a rule of MAX_ALTERNATIVES alternatives all holding made
    MAX_ALTERNATIVES + 1 firings, and durable-rules refused every such case (error 303).
    The loader takes no rule that could get there."""
    widest = [{"age": {"gte": 16 + i}} for i in range(MAX_ALTERNATIVES)]
    with pytest.raises(RuleError, match="alternatives"):
        parse({"any": widest}, "rules/x.yaml", 3, "too_wide", BOOK.fields)
    most = parse({"any": widest[:-1]}, "rules/x.yaml", 3, "widest", BOOK.fields)
    assert alternatives(to_durable(most)) == MAX_ALTERNATIVES - 1
    book = book_with_decisions(BOOK, [{"any": widest[:-1]}])
    matcher = Matcher(book)
    fact = build_fact(parse_assessment({"municipality": "leiden", "age": 100, "domains": {"finances": {"self_reliance": 2}}}))
    for _ in range(2):
        assert "extra_0" in matcher.match(fact)["flowchart"]
