"""The matcher's memo (engine/matcher.py: each rule set's firings remembered on its projected
fact) and the cut of the rule files into narrow and wide rule sets (split_by_width)."""
from __future__ import annotations

import dataclasses
import math
import threading

import pytest
from hypothesis import HealthCheck, given, settings

from engine.api import Engine, parse_assessment
from engine.conditions import MAX_ALTERNATIVES, alternatives, holds, parse
from engine.facts import build_fact
from engine.matcher import EVERY_CASE, MEMO_SIZE, WIDE_MEMO_SIZE, Matcher, referenced_keys, split_by_firings, split_by_width, value_counts
from engine.rulebook import load
from engine.synth import MUNICIPALITIES, generate
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
    again = [memoised.match_assessment(a) for a in assessments_]  # the narrow rule sets all hit now
    hits = memoised.memo_hit_rates()
    narrow = [name for name, size in memoised.memo_sizes.items() if size == MEMO_SIZE]
    assert min(hits[name] for name in narrow) >= 0.5, hits  # their second pass is answered from the memo
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
    assert not any('"sid"' in text for memo in by_fact._memos.values() for text in memo)


def test_a_fact_holding_a_null_is_matched_but_not_remembered():
    """The memo's key writes an absent key as null, so a null in the fact would look absent."""
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
    build = next(build for _, ruleset, build in matcher._plan if ruleset == name)
    chosen, seen = [], set()
    for case in synthetic(3000, seed=5):
        assessment = parse_assessment(case)
        key = repr(build(assessment))
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


def test_a_narrow_rule_set_may_hold_as_many_facts_as_it_has_a_wide_one_fewer():
    matcher = Matcher(BOOK)
    count = value_counts(BOOK)
    for name, keys in matcher._keys.items():
        width = math.prod(map(count, keys))
        assert matcher.memo_sizes[name] == (MEMO_SIZE if width <= MEMO_SIZE else WIDE_MEMO_SIZE), name
    assert sorted(set(matcher.memo_sizes.values())) == [WIDE_MEMO_SIZE, MEMO_SIZE]  # the shipped rules have both


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


def _book_with_extra_decisions(conditions: list[dict]):
    from engine.rulebook import Node

    extra = {f"extra_{i}": Node(id=f"extra_{i}", type="decision", file=BOOK.flowchart.file, line=1, source="practice",
                                when=parse(cond, BOOK.flowchart.file, 1, f"extra_{i}", BOOK.fields))
             for i, cond in enumerate(conditions)}
    return dataclasses.replace(BOOK, flowchart=dataclasses.replace(BOOK.flowchart, nodes={**BOOK.flowchart.nodes, **extra}),
                               cache={})


MANY = _book_with_extra_decisions(
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
    # a limit below a rule's width (score: 6) sends it with the wide ones; at its width it
    # stays narrow, in a rule set of its own (with flag's key it would be 12 wide)
    assert [[r for r, _ in part] for part in split_by_width(rules, count, limit=6)] == [["flag"], ["score"], ["wide_a", "wide_b"]]
    assert [[r for r, _ in part] for part in split_by_width(rules, count, limit=5)] == [["flag"], ["wide_a", "wide_b", "score"]]
    assert [[r for r, _ in part] for part in split_by_width(rules, count, limit=1)] == [["wide_a", "flag", "wide_b", "score"]]
    # the same rules, with no wide one, make no wide part; no rules at all still make one part
    assert split_by_width(rules[1::2], count) == [[("flag", flag), ("score", score)]]
    assert split_by_width([], count) == split_by_firings([]) == [[]]


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
        assert matcher._memos == snapshot and len(matcher._memos[wide]) == 1
    misses = matcher.memo_misses[wide]
    assert matcher.match_assessment(first) == Matcher(BOOK).match_assessment(first)
    assert matcher.memo_misses[wide] == misses  # answered from the restored memo
