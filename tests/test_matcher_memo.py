"""The matcher's memo (engine/matcher.py: each rule set's firings remembered on its projected
fact, numbers by their class among the rules' numbers) and the cut of the rule files into
narrow and wide rule sets (split_by_width)."""
from __future__ import annotations

import dataclasses
import math
import threading

import pytest
from hypothesis import HealthCheck, given, settings

from engine.api import Engine, parse_assessment
from engine.conditions import MAX_ALTERNATIVES, alternatives, holds, parse
from engine.facts import build_fact
from engine.errors import EvaluationError
from engine.matcher import (EVERY_CASE, MEMO_SIZE, Matcher, numeric_bounds, referenced_keys, split_by_width, value_class,
                            value_counts)
from engine.rulebook import load
from engine.synth import MUNICIPALITIES, generate
from rulebook_helpers import book_with_decisions
from strategies import assessments

BOOK = load()
ENGINE = Engine.load()


def synthetic(n: int, seed: int = 11) -> list[dict]:
    streams = [generate(m, -(-n // len(MUNICIPALITIES)), seed + i) for i, m in enumerate(MUNICIPALITIES)]
    return [case for trio in zip(*streams) for case in trio][:n]


def fresh_firings(matcher: Matcher, assessment) -> dict[str, set[str]]:
    """What fires with nothing remembered: every rule set asks the C engine."""
    matcher.clear_memo()
    return matcher.match_assessment(assessment)


def test_the_memo_fires_as_the_c_engine_on_thousands_of_cases():
    memoised, plain = Matcher(BOOK), Matcher(BOOK)
    assessments_ = [parse_assessment(case) for case in synthetic(3000)]
    first = [memoised.match_assessment(a) for a in assessments_]
    again = [memoised.match_assessment(a) for a in assessments_]  # 3,000 fit every memo: all hit now
    hits = memoised.memo_hit_rates()
    assert min(hits.values()) >= 0.5, hits  # every rule set's second pass is answered from its memo
    for assessment, one, two in zip(assessments_, first, again):
        expected = fresh_firings(plain, assessment)
        assert one == two == expected
        fact = build_fact(assessment)  # and the plain-Python reference agrees
        assert expected["flowchart"] == {n.id for n in BOOK.flowchart.nodes.values()
                                         if n.type == "decision" and holds(n.when, fact)}
        assert expected["profiles"] == {r.id for r in BOOK.profile_rules if holds(r.when, fact)}
        assert expected["lead"] == {r.id for r in BOOK.lead_rules if holds(r.when, fact)}


def test_matching_a_whole_fact_remembers_it_without_a_session_id():
    """Engine.evaluate matches the whole fact (Matcher.match): the same firings, the same memo
    keys as match_assessment, none holding a sid (the sid is added for the C engine only)."""
    by_fact, by_assessment = Matcher(BOOK), Matcher(BOOK)
    for case in synthetic(200, seed=8):
        assessment = parse_assessment(case)
        assert by_fact.match(build_fact(assessment)) == by_assessment.match_assessment(assessment) == fresh_firings(PLAIN, assessment)
    assert list(by_fact._memos.values()) == list(by_assessment._memos.values())
    # a key holds one value per key the rule set reads, and nothing else (no sid)
    assert all(len(key) == len(by_fact._keys[name]) for name, memo in by_fact._memos.items() for key in memo)


def test_a_fact_holding_a_null_is_matched_but_not_remembered():
    """The memo's key writes an absent key as None, so a null in the fact would look absent
    (durable-rules compares a null; an absent key it does not)."""
    matcher = Matcher(BOOK)
    fact = build_fact(parse_assessment(synthetic(1)[0]))
    with_null = {**fact, "age": None}
    assert matcher.match(with_null) == Matcher(BOOK).match(with_null)
    assert not any(matcher._memos.values())
    assert matcher.match(fact) == fresh_firings(PLAIN, parse_assessment(synthetic(1)[0]))
    assert all(len(memo) == 1 for memo in matcher._memos.values())


def test_an_answer_from_the_memo_is_a_set_of_its_own_without_the_catch_all():
    matcher = Matcher(BOOK)
    assessment = parse_assessment(synthetic(1)[0])
    first = matcher.match_assessment(assessment)
    first["flowchart"].add("changed by the caller")
    second = matcher.match_assessment(assessment)
    assert matcher.memo_misses == {name: 1 for name in matcher.rulesets}  # the second case was all hits
    assert "changed by the caller" not in second["flowchart"]
    assert all(EVERY_CASE not in ids for ids in second.values())
    assert set(second) == set(Matcher.KINDS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments())
def test_the_memo_fires_as_the_c_engine_on_generated_assessments(data: dict) -> None:
    """ENGINE's memo keeps what every earlier example left in it."""
    assessment = parse_assessment(data)
    from_memo = ENGINE._matcher.match_assessment(assessment)
    assert ENGINE._matcher.match_assessment(assessment) == from_memo
    assert fresh_firings(PLAIN, assessment) == from_memo


PLAIN = Matcher(BOOK)


def _distinct_facts_of(matcher: Matcher, name: str, count: int) -> list:
    """`count` assessments whose facts projected onto rule set `name` all differ."""
    chosen, seen = [], set()
    for case in synthetic(3000, seed=5):
        assessment = parse_assessment(case)
        classes = matcher._memo_keys(build_fact(assessment))
        key = tuple(map(classes.get, matcher._keys[name]))  # the memo's key in that rule set
        coarse = matcher._coarse[name]
        key = coarse(key) if coarse is not None else key  # distinct in its second memo too
        if key not in seen:
            seen.add(key)
            chosen.append(assessment)
            if len(chosen) == count:
                return chosen
    raise AssertionError(f"fewer than {count} distinct facts for {name}")


@pytest.mark.parametrize("room", [0, -1])  # exactly as many entries as facts; one fewer
def test_the_memo_never_holds_more_than_its_bound(room):
    matcher = Matcher(BOOK)
    wide = max(matcher.rulesets, key=lambda name: len(matcher._keys[name]))  # the facts differ there
    facts = _distinct_facts_of(matcher, wide, 6)
    matcher.memo_sizes = dict.fromkeys(matcher.memo_sizes, len(facts) + room)
    largest = 0
    for assessment in facts * 2:
        matcher.match_assessment(assessment)
        largest = max(largest, *map(len, matcher._memos.values()))
    assert largest <= len(facts) + room
    if room == 0:  # all fit: the second round asked the C engine nothing in that rule set
        assert matcher.memo_misses[wide] == len(facts)
        assert len(matcher._memos[wide]) == len(facts)
    else:  # one too many: the memo was emptied when full and every fact asked again
        assert matcher.memo_misses[wide] == 2 * len(facts)
        assert len(matcher._memos[wide]) < len(facts)


def test_every_rule_set_may_hold_memo_size_facts_and_the_narrow_ones_need_no_more():
    matcher = Matcher(BOOK)
    assert set(matcher.memo_sizes.values()) == {MEMO_SIZE}
    count = value_counts(BOOK, matcher.bounds)
    widths = {name: math.prod(map(count, keys)) for name, keys in matcher._keys.items()}
    assert 0 < sum(width <= MEMO_SIZE for width in widths.values()) < len(widths), widths  # narrow and wide ones


def test_the_rules_numbers_cut_a_number_into_classes():
    exprs = [{"$gte": {"age": 60}}, {"$or": [{"$lt": {"age": 27}}, {"has.age": True}]}, {"age": 40},
             {"$and": [{"$gt": {"years_on_benefit": 2.5}}, {"municipality": "leiden"}]},
             {"$neq": {"case": True}}, {"odd": 1}, {"odd": "one"}]
    # flags, texts and a key compared with a text as well as a number get no classes
    assert numeric_bounds(exprs) == {"age": (27, 40, 60), "years_on_benefit": (2.5,)}
    bounds = (27, 40, 60)
    # on each side of each number, and on it: 0 below the first, odd on a number, even between
    for value, expected in [(26, 0), (26.9999, 0), (27, 1), (27.0, 1), (27.5, 2), (39, 2), (40, 3), (41, 4),
                            (59.5, 4), (60, 5), (60.0001, 6), (120, 6), (-5, 0)]:
        assert value_class(value, bounds) == expected, value
    assert value_class(3, ()) == 0  # no numbers: one class
    # a number counts as its classes where fewer than its type's values, plus absence
    count = value_counts(BOOK, {"age": bounds, "domains.finances.self_reliance": (1, 2, 3, 4, 5)})
    assert count("age") == 2 * 3 + 1 + 1
    assert count("domains.finances.self_reliance") == 5 + 1  # 11 classes, but only 5 values
    assert count("years_on_benefit") == math.inf  # no numbers given for it


def test_the_shipped_rules_numbers_are_the_ones_written_in_them():
    matcher = Matcher(BOOK)
    assert matcher.bounds["age"] == (60,)  # the near-retirement profile: "60 or older"
    assert 3 in matcher.bounds["conversations_held"] and 30 in matcher.bounds["wage_value_pct"]
    assert "municipality" not in matcher.bounds and "circumstances.problematic_debt" not in matcher.bounds


def _values_of_each_class(bounds: tuple, low: float, high: float) -> list[list[float]]:
    """Per class of `bounds` within [low, high]: a few values in it, ints and floats."""
    edges = [low - 1, *bounds, high + 1]
    classes: list[list[float]] = []
    for below, above in zip(edges, edges[1:]):
        inside = [v for v in (below + 1, (below + above) / 2, above - 1, below + 0.25, above - 0.25)
                  if below < v < above and low <= v <= high]
        classes.append(sorted({round(v, 4) for v in inside}))
        if above in bounds:
            classes.append([above, float(above)])
    return [values for values in classes if values]


def test_numbers_of_one_class_fire_the_same_rules_in_the_c_engine():
    """What the memo relies on, asked of durable-rules itself (memos emptied before every
    match): values of one class, ints and floats alike, fire the same rules; a class's
    representative is not needed, any value of it will do."""
    from engine.facts import FIELDS

    base = [build_fact(parse_assessment(case)) for case in synthetic(12, seed=21)]
    checked = 0
    for key, bounds in PLAIN.bounds.items():
        spec = FIELDS[key]
        low = spec.low if spec.low is not None else 0
        high = spec.high if spec.high is not None else max(bounds) + 10
        for values in _values_of_each_class(bounds, low, high):
            for fact in base:
                answers = []
                for value in values:
                    given = {**fact, key: value, f"has.{key}": True} if spec.optional else {**fact, key: value}
                    PLAIN.clear_memo()
                    answers.append(PLAIN.match(given))
                assert all(answer == answers[0] for answer in answers), (key, values)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("key, value", [("age", True), ("circumstances.problematic_debt", 1),
                                        ("municipality", 3), ("ladder_rung", "3"), ("age", 2**60)])
def test_a_fact_not_as_the_builders_make_it_is_matched_but_not_remembered(key, value):
    """A fact given whole to `match` may hold anything; the memo keys a value by type and class,
    so only the types the fact builders give each key are remembered: the C engine judges the rest."""
    matcher = Matcher(BOOK)
    fact = {**build_fact(parse_assessment(synthetic(1)[0])), key: value}
    try:
        expected = Matcher(BOOK).match(fact)
    except EvaluationError as refused:
        with pytest.raises(EvaluationError):
            matcher.match(fact)
        assert str(refused)
    else:
        assert matcher.match(fact) == expected
    assert not any(matcher._memos.values())


def test_a_number_durable_rules_refuses_is_refused_every_time():
    """1e-05 is a float in one class with 0.5, but durable-rules refuses its JSON: never from the memo."""
    matcher = Matcher(BOOK)
    fact = build_fact(parse_assessment(synthetic(1)[0]))
    matcher.match({**fact, "years_on_benefit": 0.5, "has.years_on_benefit": True})
    for _ in range(2):
        with pytest.raises(EvaluationError):
            matcher.match({**fact, "years_on_benefit": 1e-05, "has.years_on_benefit": True})


def test_threads_recommending_at_once_give_the_same_answers():
    engine = Engine.load()
    cases = synthetic(300, seed=3)
    expected = [Engine.load().recommend(case).to_json() for case in cases]
    results: dict[int, list[str]] = {}

    def work(number: int) -> None:
        order = cases if number % 2 == 0 else cases[::-1]
        answers = [engine.recommend(case).to_json() for case in order]
        results[number] = answers if number % 2 == 0 else answers[::-1]

    threads = [threading.Thread(target=work, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[number] == expected for number in range(4))
    assert max(engine._matcher.memo_hit_rates().values()) > 0  # the threads did share the memo


def _rules_of(book) -> dict[str, list[tuple[str, object]]]:
    from engine.conditions import to_durable

    return {"flowchart": [(n.id, to_durable(n.when)) for n in book.flowchart.nodes.values() if n.type == "decision"],
            "profiles": [(r.id, to_durable(r.when)) for r in book.profile_rules],
            "lead": [(r.id, to_durable(r.when)) for r in book.lead_rules]}


MANY = book_with_decisions(BOOK, 
    [{"any": [{"domains.finances.self_reliance": {"lte": 2}}, {"circumstances.problematic_debt": True}]}] * 60
    + [{"any": [{"age": {"gte": 18 + i}}, {"years_on_benefit": {"gt": i}}, {"ladder_rung": {"lt": 3}}]} for i in range(30)])


@pytest.mark.parametrize("book", [BOOK, MANY], ids=["shipped", "many extra decisions"])
def test_the_cut_keeps_the_firing_budget_and_places_every_rule_once(book):
    count = value_counts(book)
    for kind, rules in _rules_of(book).items():
        parts = split_by_width(rules, count)
        placed = [rule_id for part in parts for rule_id, _ in part]
        assert sorted(placed) == sorted(rule_id for rule_id, _ in rules), kind
        for part in parts:
            assert part
            assert sum(alternatives(expr) for _, expr in part) + 1 <= MAX_ALTERNATIVES, kind  # + the catch-all
        # each narrow part's keys fit the memo; a part over it holds only rules over it or
        # rules no narrow part had room for (it came from split_by_firings)
        widths = [math.prod(map(count, set().union(*(referenced_keys(expr) for _, expr in part)))) for part in parts]
        assert any(width <= MEMO_SIZE for width in widths), kind
    matcher = Matcher(book)  # and durable-rules takes them
    assert matcher.match_assessment(parse_assessment(synthetic(1)[0]))["flowchart"]


def test_narrow_rules_share_rule_sets_and_wide_ones_go_together():
    count = value_counts(BOOK)
    flag = {"circumstances.problematic_debt": True}
    score = {"$lte": {"domains.finances.self_reliance": 2}}
    float_ = {"$gt": {"years_on_benefit": 3}}
    rules = [("wide_a", float_), ("flag", flag), ("wide_b", {"$and": [float_, flag]}), ("score", score)]
    parts = split_by_width(rules, count)
    assert [[rule_id for rule_id, _ in part] for part in parts] == [["flag", "score"], ["wide_a", "wide_b"]]
    # a limit below a rule's width (score: 6) makes it wide; at its width it stays narrow, in a
    # rule set of its own (with flag's key it would be 12 wide). Wide rules share a rule set
    # only where one reads every key of the other: wide_b reads wide_a's key and flag's
    assert [[r for r, _ in part] for part in split_by_width(rules, count, limit=6)] == [["flag"], ["score"], ["wide_a", "wide_b"]]
    assert [[r for r, _ in part] for part in split_by_width(rules, count, limit=5)] == [["flag"], ["wide_a", "wide_b"], ["score"]]
    assert [[r for r, _ in part] for part in split_by_width(rules, count, limit=1)] == [["wide_a", "wide_b"], ["flag"], ["score"]]
    # the same rules, with no wide one, make no wide part; no rules at all still make one part
    assert split_by_width(rules[1::2], count) == [[("flag", flag), ("score", score)]]
    assert split_by_width([], count) == [[]]


def test_wide_rules_over_the_firing_budget_go_apart():
    count = value_counts(BOOK)
    years = {"$gt": {"years_on_benefit": 3}}
    rules = [(f"wide_{i}", {"$or": [years] * 40}) for i in range(3)]  # 40 alternatives each, one key
    parts = split_by_width(rules, count)
    assert [[r for r, _ in part] for part in parts] == [["wide_0"], ["wide_1"], ["wide_2"]]


def test_value_counts_come_from_the_field_types():
    count = value_counts(BOOK)
    assert count("case") == 1
    assert count("circumstances.problematic_debt") == 2
    assert count("has.age") == 2
    assert count("wishes.work") == 2
    assert count("domains.finances.self_reliance") == 5 + 1  # 1..5, or absent
    assert count("municipality") == len(BOOK.municipalities)
    assert count("years_on_benefit") == math.inf
    assert count("not.a.field") == math.inf


def test_a_rulebook_with_a_changed_rule_does_not_reuse_anothers_memo():
    nodes = dict(BOOK.flowchart.nodes)
    debts = nodes["q_debts"]
    changed_when = parse({"circumstances.problematic_debt": False}, debts.file, debts.line, debts.id, BOOK.fields)
    nodes["q_debts"] = dataclasses.replace(debts, when=changed_when)
    changed = dataclasses.replace(BOOK, flowchart=dataclasses.replace(BOOK.flowchart, nodes=nodes), cache={})
    shipped, other = Matcher(BOOK), Matcher(changed)
    assessment = parse_assessment({"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}},
                                   "circumstances": {"problematic_debt": True}})
    assert "q_debts" in shipped.match_assessment(assessment)["flowchart"]
    assert "q_debts" not in other.match_assessment(assessment)["flowchart"]
    assert "q_debts" in shipped.match_assessment(assessment)["flowchart"]  # each from its own memo
    assert other.memo_misses == {name: 1 for name in other.rulesets}
    # and a new Engine.load starts with nothing remembered
    engine = Engine.load()
    engine.recommend({"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}})
    assert Engine.load()._matcher.memo_cases == 0 and not any(Engine.load()._matcher._memos.values())


def test_a_restored_snapshot_holds_what_the_memo_held_then_and_again():
    matcher = Matcher(BOOK)
    wide = max(matcher.rulesets, key=lambda name: len(matcher._keys[name]))
    first, second = _distinct_facts_of(matcher, wide, 2)
    matcher.match_assessment(first)
    snapshot = matcher.memo_snapshot()
    for _ in range(2):  # restored twice: the snapshot itself was not changed by the use between
        matcher.match_assessment(second)
        assert len(matcher._memos[wide]) == 2
        matcher.restore_memo(snapshot)
        assert matcher.memo_snapshot() == snapshot and len(matcher._memos[wide]) == 1
    misses = matcher.memo_misses[wide]
    assert matcher.match_assessment(first) == Matcher(BOOK).match_assessment(first)
    assert matcher.memo_misses[wide] == misses  # answered from the restored memo


def _fires_in(matcher: Matcher, ruleset: str, fact: dict, sids=iter(range(10**9))) -> frozenset:
    """What one rule set fires on `fact`, asked of the C engine itself (no memo)."""
    sid = f"t{next(sids)}"
    found = matcher._host.assert_fact(ruleset, matcher.durable_fact(ruleset, fact, sid))
    matcher._host.delete_session(ruleset, sid)
    return frozenset(found) - {EVERY_CASE}


def _values_of(key: str, bounds: tuple) -> list:
    """Every value the fact builders can give `key` (None: absent), numbers with floats between."""
    from engine.facts import FIELDS

    spec = FIELDS[key]
    if spec.kind == "enum":
        return [*(spec.values or sorted(BOOK.municipalities)), *([None] if spec.optional else [])]
    high = spec.high if spec.high is not None else max(bounds) + 3
    whole = list(range(int(spec.low), int(high) + 1))
    return [*whole, *(v + 0.5 for v in whole[:-1]), *([None] if spec.optional else [])]


def test_facts_of_one_coarse_key_fire_the_same_rules_in_the_c_engine():
    """What the second memo relies on, asked of durable-rules rule set by rule set: facts that
    differ only in a number or a text its rules cannot tell apart (one coarse key) fire alike."""
    from engine.facts import FIELDS, present_key

    base = [build_fact(parse_assessment(case)) for case in synthetic(9, seed=31)]
    compared = coarsened = 0
    for name, coarsen in PLAIN._coarse.items():
        if coarsen is None:
            continue
        values_at = PLAIN._parts[list(PLAIN.rulesets).index(name)][2]
        for key in PLAIN._keys[name]:
            if key not in FIELDS or FIELDS[key].kind not in ("enum", "number"):
                continue
            for fact in base:
                by_coarse: dict = {}
                for value in _values_of(key, PLAIN.bounds.get(key, (0,))):
                    given = {k: v for k, v in fact.items() if k != key}
                    if value is not None:
                        given[key] = value
                    if FIELDS[key].optional:
                        given[present_key(key)] = value is not None
                    first = values_at(PLAIN._memo_keys(given))
                    by_coarse.setdefault(coarsen(first), {})[first] = _fires_in(PLAIN, name, given)
                for firings in by_coarse.values():
                    assert len(set(firings.values())) == 1, (name, key, firings)
                    compared += len(firings)
                    coarsened += len(firings) > 1  # first-memo keys one coarse key joins
    assert compared > 1000 and coarsened > 100, (compared, coarsened)


def test_a_case_new_to_the_first_memo_is_answered_from_the_second():
    """psychological_complaints 'none' and 'mild': no rule of the widest rule set names either
    ('moderate' or 'severe' only), so the second case is answered without the C engine there."""
    matcher = Matcher(BOOK)
    wide = max(matcher.rulesets, key=lambda name: len(matcher._keys[name]))
    assert "circumstances.psychological_complaints" in matcher._keys[wide]
    case = {"municipality": "leiden", "domains": {"finances": {"self_reliance": 4}}, "ladder_rung": 4,
            "circumstances": {"psychological_complaints": "none"}}
    matcher.match_assessment(parse_assessment(case))
    misses = matcher.memo_misses[wide]
    mild = parse_assessment({**case, "circumstances": {"psychological_complaints": "mild"}})
    assert matcher.match_assessment(mild) == fresh_firings(PLAIN, mild)
    assert matcher.memo_misses[wide] == misses and len(matcher._memos[wide]) == 2
    moderate = parse_assessment({**case, "circumstances": {"psychological_complaints": "moderate"}})
    assert matcher.match_assessment(moderate) == fresh_firings(PLAIN, moderate)
    assert matcher.memo_misses[wide] == misses + 1  # a value the rule names: asked
