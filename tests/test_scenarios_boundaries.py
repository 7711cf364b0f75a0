"""Every threshold has a scenario on each side: moving any numeric threshold of a flowchart
decision, profile rule or lead rule by one step, either way, makes some scenario fail.

(A trainer once moved `lt: 3` to `lt: 4` and every scenario still passed; this is that
trainer's experiment, run for every threshold.)"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine import Engine
from engine.conditions import All, Any_, Compare, Not, never_holds
from engine.facts import FIELDS
from engine.rulebook import Flowchart, Rulebook, load
from engine.scenarios import find_files, load_file, run_case

RULES = Path(__file__).resolve().parent.parent / "rules"
BOOK = load(RULES)
CASES = [case for path in find_files([RULES]) for case in load_file(path, BOOK)]
STEP = {"lt": 1, "lte": 1, "gt": 1, "gte": 1}


def _thresholds(cond, path=()):
    """(path to the leaf, leaf) for every numeric comparison in a condition."""
    if isinstance(cond, Compare):
        if cond.op in STEP and FIELDS[cond.field].kind == "number":
            yield path, cond
    elif isinstance(cond, Not):
        yield from _thresholds(cond.part, (*path, "part"))
    elif isinstance(cond, (All, Any_)):
        for index, part in enumerate(cond.parts):
            yield from _thresholds(part, (*path, index))


def _replace(cond, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if head == "part":
        return dataclasses.replace(cond, part=_replace(cond.part, rest, new))
    parts = list(cond.parts)
    parts[head] = _replace(parts[head], rest, new)
    return dataclasses.replace(cond, parts=tuple(parts))


def _mutants():
    for node in BOOK.flowchart.nodes.values():
        if node.when is not None:
            for path, leaf in _thresholds(node.when):
                yield ("node", node.id, path, leaf)
    for kind, rules in (("profile", BOOK.profile_rules), ("lead", BOOK.lead_rules)):
        for rule in rules:
            for path, leaf in _thresholds(rule.when):
                yield (kind, rule.id, path, leaf)


MUTANTS = [(kind, rid, path, leaf, delta) for kind, rid, path, leaf in _mutants() for delta in (-1, 1)
           if not never_holds(FIELDS[leaf.field], leaf.op, leaf.value + delta)]


def _moved_book(kind: str, rid: str, path, leaf: Compare, delta: int) -> Rulebook:
    moved = dataclasses.replace(leaf, value=leaf.value + delta)
    if kind == "node":
        node = BOOK.flowchart.nodes[rid]
        nodes = {**BOOK.flowchart.nodes, rid: dataclasses.replace(node, when=_replace(node.when, path, moved))}
        return dataclasses.replace(BOOK, flowchart=Flowchart(BOOK.flowchart.file, BOOK.flowchart.start, nodes), cache={})
    field = "profile_rules" if kind == "profile" else "lead_rules"
    rules = [dataclasses.replace(r, when=_replace(r.when, path, moved)) if r.id == rid else r for r in getattr(BOOK, field)]
    return dataclasses.replace(BOOK, **{field: rules}, cache={})


def test_there_are_thresholds_to_move() -> None:
    assert len(MUTANTS) > 40


@pytest.mark.parametrize(("kind", "rid", "path", "leaf", "delta"), MUTANTS,
                         ids=[f"{k}:{r}:{l.field} {l.op} {l.value}{d:+d}" for k, r, _, l, d in MUTANTS])
def test_moving_a_threshold_by_one_fails_a_scenario(kind, rid, path, leaf, delta) -> None:
    engine = Engine(_moved_book(kind, rid, path, leaf, delta))
    for case in CASES:
        if case.xfail:
            continue
        if run_case(case, engine).status == "fail":
            return
    pytest.fail(f"{kind} '{rid}': {leaf.field} {leaf.op} {leaf.value} moved to {leaf.value + delta} and every scenario still passes")
