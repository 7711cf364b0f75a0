"""What engine.resolve and engine.api build once per rulebook or without validating again
(the hot path, issue 22) agrees with what the slow way gives, on every rule and case."""
from __future__ import annotations

import pytest

from engine.api import Engine
from engine.model import Advice, Receipt, Recommendation, SuggestedIntervention, built
from engine.synth import MUNICIPALITIES, generate


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


def _cases():
    return [case for i, municipality in enumerate(MUNICIPALITIES) for case in generate(municipality, 60, seed=40 + i)]


def test_built_models_are_the_validated_ones(engine):
    """built(cls, **values) gives what cls(**values) gives: the same fields in the same order,
    the same fields set, equal, dumped alike; a default factory's value made anew each time."""
    for case in _cases():
        rec = engine.recommend(case)
        values = {name: getattr(rec, name) for name in rec.model_fields_set}
        for cls, given, item in ((Recommendation, values, rec),
                                 (Receipt, {n: getattr(rec.receipt, n) for n in rec.receipt.model_fields_set}, rec.receipt)):
            made, validated = built(cls, **given), cls(**given)
            assert list(made.__dict__) == list(validated.__dict__) == list(cls.model_fields)
            assert made == validated == item
            assert made.model_fields_set == validated.model_fields_set == item.model_fields_set
            assert made.model_dump_json() == validated.model_dump_json()
    first, second = built(Recommendation, **values), built(Recommendation, **values)
    assert first.due == [] and first.due is not second.due  # a factory's list: each its own


def test_built_refuses_unknown_and_missing_fields():
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        built(Advice, id="a", text_nl="x", text_en="x", rule="r", source="s", colour="red")
    with pytest.raises(TypeError, match="missing fields \\['source'\\]"):
        built(Advice, id="a", text_nl="x", text_en="x", rule="r")
    # defaults filled in as validation fills them
    item = built(SuggestedIntervention, id="a", label_nl="x", label_en="x", domain=None, rationale="", rule="r", source="s")
    assert item == SuggestedIntervention(id="a", label_nl="x", label_en="x", domain=None, rationale="", rule="r", source="s")
    assert item.model_fields_set == {"id", "label_nl", "label_en", "domain", "rationale", "rule", "source"}


# ---------------------------------------------------------------- resolve's shortcuts against the slow way

from itertools import combinations  # noqa: E402
from operator import itemgetter  # noqa: E402

from engine import resolve as R  # noqa: E402
from engine.api import parse_assessment  # noqa: E402
from engine.model import DOMAIN_IDS, DOMAIN_LABELS_NL  # noqa: E402


def _rank_the_slow_way(book, a, findings, covered, trust_waived):
    """rank as it was before it skipped the wait-for reordering when nothing in the plan can
    wait and bucketed the phases instead of sorting (commit a990589): the reference."""
    policy = R._policy(book)
    focus = policy.focus[a.municipality]
    wished = R._wished(policy, a)
    node_waits = R._node_waits(a, findings, covered)
    care_first = frozenset(dep for deps in node_waits.values() for dep in deps)
    keyed = []
    for position, node in enumerate(findings):
        iid = node.intervention
        acute_checks, tier, order, step, domain = policy.placing[iid]
        score = a.domains.get(domain) if domain else None
        if score is not None:
            for index, at_most in acute_checks:
                if score.self_reliance <= at_most:
                    tier = index
                    break
        priority = score.priority if score is not None and score.priority is not None else R.NO_PRIORITY
        if tier < policy.rest_tier:
            key: tuple = (tier, order, priority, step, position)
        else:
            band = 0 if iid in care_first else 1 if priority == 1 else 2 if iid in wished else 3
            key = (tier, iid in policy.never_now, band, focus.get(iid, len(focus)), priority, order, step, position)
        keyed.append((key, node, tier))
    keyed.sort(key=itemgetter(0))
    ordered = R._after_what_it_waits_for(policy, [(node, tier) for _, node, tier in keyed], node_waits)
    phases = R.plan_phases(book, a, [(node.intervention, tier) for node, tier in ordered], node_waits, trust_waived)
    items = sorted(((("now", "next", "later").index(phase), index, node, tier, phase, waits)
                    for index, ((node, tier), (phase, waits)) in enumerate(zip(ordered, phases))), key=itemgetter(0, 1))
    return [R._suggestion(book, node, a.municipality, tier in policy.urgent_tiers, phase, waits)
            for _, _, node, tier, phase, waits in items]


def test_the_step_plan_is_the_one_the_slow_way_gives(engine, monkeypatch):
    """Every rank call over a varied caseload (wishes, support, running interventions, declining
    clients) gives what sorting by phase and always reordering gives."""
    calls = []
    rank = R.rank

    def checked(book, a, findings, covered=frozenset(), trust_waived=False):
        made = rank(book, a, findings, covered, trust_waived)
        calls.append(made)
        assert made == _rank_the_slow_way(book, a, findings, covered, trust_waived)
        return made

    monkeypatch.setattr(R, "rank", checked)
    interventions = sorted(engine.book.interventions)
    for index, case in enumerate(_cases()):
        case = dict(case, wishes=["paid_work", "learn_language", "learn_digital"][: index % 4],
                    current_interventions=interventions[index % len(interventions):][:index % 3],
                    open_to_support=index % 7 != 0)
        if index % 5 == 0:
            case["existing_support"] = [{"kind": "debt_counselling", "trusted": True}]
        engine.recommend(case)
    assert len(calls) == 3 * 60 and any(len(plan) >= 5 for plan in calls)


def test_the_not_assessed_warning_for_every_set_of_domains(engine):
    """Keyed by the set of domains assessed: for each of the 511 sets, in either order, the
    warning names exactly the domains left out, in the model's order."""
    for size in range(1, len(DOMAIN_IDS)):
        for assessed in combinations(DOMAIN_IDS, size):
            for order in (assessed, assessed[::-1]):
                a = parse_assessment({"municipality": "leiden",
                                      "domains": {d: {"self_reliance": 3} for d in order}})
                found = [w for w in R.input_warnings(engine.book, a) if w.code == "domains_not_assessed"]
                missing = [d for d in DOMAIN_IDS if d not in assessed]
                assert len(found) == 1
                assert found[0].message_en == f"Not assessed: {', '.join(missing)}. Questions about those domains assume 'no problem'."
                assert ", ".join(DOMAIN_LABELS_NL[d] for d in missing) in found[0].message_nl
    everything = parse_assessment({"municipality": "leiden", "domains": {d: {"self_reliance": 3} for d in DOMAIN_IDS}})
    assert not [w for w in R.input_warnings(engine.book, everything) if w.code == "domains_not_assessed"]


def test_the_trust_waiver_is_the_rule_files_list(engine):
    plan = engine.book.resolution.step_plan
    assert R._policy(engine.book).trust_waivers == frozenset(plan.trust_not_awaited_when)


def _after_the_slow_way(policy, ordered, node_waits):
    """_after_what_it_waits_for as it was before its in-order test by position: the reference."""
    present = {node.intervention for node, _ in ordered}
    waits_in_plan = {iid: [d for d in policy.after.get(iid, ()) + node_waits.get(iid, ()) if d in present]
                     for iid in present}
    placed, out, waiting = set(), [], list(ordered)
    while waiting:
        index = next((i for i, (node, _) in enumerate(waiting)
                      if placed.issuperset(waits_in_plan[node.intervention])), 0)
        node, tier = waiting.pop(index)
        placed.add(node.intervention)
        out.append((node, tier))
    return out


def test_the_wait_for_order_is_the_one_the_slow_way_gives(engine):
    """Random plans drawn from the interventions step_plan.after names (and their
    prerequisites), with random node waits, some on themselves: the same order."""
    import random
    from types import SimpleNamespace

    policy = R._policy(engine.book)
    waiters = sorted({iid for iid, deps in policy.after.items()} | {d for deps in policy.after.values() for d in deps})
    others = sorted(set(engine.book.interventions) - set(waiters))
    rng = random.Random(22)
    for _ in range(3000):
        chosen = rng.sample(waiters, rng.randint(1, len(waiters))) + rng.sample(others, rng.randint(0, 3))
        rng.shuffle(chosen)
        ordered = [(SimpleNamespace(intervention=iid), position) for position, iid in enumerate(chosen)]
        node_waits = {iid: tuple(rng.sample(chosen + ["trust"], rng.randint(1, 2)))
                      for iid in rng.sample(chosen, rng.randint(0, min(2, len(chosen))))}
        assert R._after_what_it_waits_for(policy, ordered, node_waits) == _after_the_slow_way(policy, ordered, node_waits)
