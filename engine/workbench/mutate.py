"""`wegwijzer test --mutate`: do the scenarios see a one-step change to the rules?

Each mutant is the rulebook with one small change to one condition:
  - a numeric threshold moved one step either way (`lte: 2` -> `lte: 1`, `lte: 3`),
  - a comparison flipped (lt <-> gte, lte <-> gt, eq <-> neq, in <-> not_in; `contains`
    negated),
  - one condition of an all/any dropped.
A mutant is killed when a scenario (rules/*.test.yaml) that passes on the real rules fails
on it; a survivor is a change no scenario notices. The score is killed / all.

Mutants are built in memory (dataclasses.replace on the loaded Rulebook, no file is
written) and run with the plain-Python reference evaluator (`conditions.holds`, the same
semantics as the durable-rules matcher; `test_mutate.py` holds the two equal on every
scenario). Each case's fact and rule matches are computed once; a mutant re-evaluates only
its own rule, and only the cases on which that rule's verdict changes are run again, since
on the others the mutant advises exactly as the real rules do.

Thresholds moved to where they mean the same on every value the field can take (`lte: 5`
-> `lte: 6` on a 1-5 score) are equivalent mutants: no test could see them, so they are
not made.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..conditions import All, Always, Any_, Compare, Cond, Not, compare_holds, describe, holds
from ..errors import InputError, WegwijzerError
from ..facts import FIELDS, build_fact
from ..resolve import resolve
from ..rulebook import Rulebook, _domains_asked

_FLIP = {"lt": "gte", "gte": "lt", "lte": "gt", "gt": "lte", "eq": "neq", "neq": "eq", "in": "not_in", "not_in": "in"}


@dataclass(frozen=True)
class Mutant:
    kind: str  # flowchart | profiles | lead
    rule: str
    file: str
    line: int | None
    change: str  # e.g. "domains.finances.self_reliance ≤ 2 -> ≤ 3"
    when: Cond

    @property
    def where(self) -> str:
        return f"{Path(self.file).name}:{self.line}" if self.line else Path(self.file).name


@dataclass
class MutationReport:
    mutants: list[Mutant]
    survivors: list[Mutant]

    @property
    def killed(self) -> int:
        return len(self.mutants) - len(self.survivors)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / len(self.mutants) if self.mutants else 100.0


# ------------------------------------------------------------------ making mutants


def _equivalent(old: Compare, new: Compare) -> bool:
    """True when both comparisons hold on exactly the same values the field can take."""
    spec = FIELDS[old.field]
    if spec.kind != "number" or spec.low is None:
        return False
    numbers = [v for v in (old.value, new.value) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    high = spec.high if spec.high is not None else max([spec.low, *numbers]) + 2
    values = range(int(spec.low), int(high) + 1)
    facts = [{old.field: v} for v in values] + [{}]
    return all(compare_holds(old, fact) == compare_holds(new, fact) for fact in facts)


def _leaf_mutations(c: Compare) -> Iterator[tuple[str, Cond]]:
    if c.op == "contains":
        yield f"{describe(c)} -> not ({describe(c)})", Not(c, c.line)
        return
    value = c.value
    if c.op in ("eq", "neq", "lt", "lte", "gt", "gte") and isinstance(value, int) and not isinstance(value, bool):
        for step in (-1, 1):
            moved = Compare(c.field, c.op, value + step, c.line)
            if not _equivalent(c, moved):
                yield f"{describe(c)} -> {describe(moved)}", moved
    flipped = Compare(c.field, _FLIP[c.op], value, c.line)
    yield f"{describe(c)} -> {describe(flipped)}", flipped


def mutations(cond: Cond) -> Iterator[tuple[str, Cond, int | None]]:
    """(what changed, the mutated condition, its line) for every one-step change to `cond`."""
    if isinstance(cond, Compare):
        for change, new in _leaf_mutations(cond):
            yield change, new, cond.line
    elif isinstance(cond, Not):
        for change, new, line in mutations(cond.part):
            yield change, Not(new, cond.line), line
    elif isinstance(cond, (All, Any_)):
        rebuild = All if isinstance(cond, All) else Any_
        for index, part in enumerate(cond.parts):
            for change, new, line in mutations(part):
                parts = cond.parts[:index] + (new,) + cond.parts[index + 1:]
                yield change, rebuild(parts, cond.line), line
            if len(cond.parts) > 1:
                rest = cond.parts[:index] + cond.parts[index + 1:]
                word = "all" if isinstance(cond, All) else "any"
                yield f"dropped from {word}: {describe(part)}", rebuild(rest, cond.line), _line(part) or cond.line
    elif isinstance(cond, Always):
        return


def _line(cond: Cond) -> int | None:
    return getattr(cond, "line", None)


def _rules(book: Rulebook) -> Iterator[tuple[str, str, str, int, Cond]]:
    for node in book.flowchart.nodes.values():
        if node.type == "decision" and node.when is not None:
            yield "flowchart", node.id, node.file, node.line, node.when
    for rule in book.profile_rules:
        yield "profiles", rule.id, rule.file, rule.line, rule.when
    for rule in book.lead_rules:
        yield "lead", rule.id, rule.file, rule.line, rule.when


def make_mutants(book: Rulebook) -> list[Mutant]:
    out = []
    for kind, rid, file, line, when in _rules(book):
        for change, new, at in mutations(when):
            out.append(Mutant(kind, rid, file, at or line, change, new))
    return out


def mutated_book(book: Rulebook, mutant: Mutant) -> Rulebook:
    """The rulebook with the mutant's condition in place of its rule's; nothing is written."""
    if mutant.kind == "flowchart":
        nodes = dict(book.flowchart.nodes)
        node = nodes[mutant.rule]
        nodes[mutant.rule] = dataclasses.replace(node, when=mutant.when, domains_asked=_domains_asked(mutant.when))
        return dataclasses.replace(book, flowchart=dataclasses.replace(book.flowchart, nodes=nodes), cache={})
    field = "profile_rules" if mutant.kind == "profiles" else "lead_rules"
    rules = [dataclasses.replace(r, when=mutant.when) if r.id == mutant.rule else r for r in getattr(book, field)]
    return dataclasses.replace(book, **{field: rules}, cache={})


# ------------------------------------------------------------------ running them


def reference_matches(book: Rulebook, fact: dict[str, Any]) -> dict[str, set[str]]:
    """What the durable-rules matcher returns, computed with the reference evaluator."""
    fired: dict[str, set[str]] = {"flowchart": set(), "profiles": set(), "lead": set()}
    for kind, rid, _, _, when in _rules(book):
        if holds(when, fact):
            fired[kind].add(rid)
    return fired


class _Reference:
    """Quacks like an Engine for scenarios.run_case: fixed matches per case, one rulebook."""

    def __init__(self, book: Rulebook, matches: dict[int, Any]):
        self.book = book
        self._matches = matches  # id(case assessment) -> (assessment, fired)

    def recommend(self, data: Any, source: str | None = None) -> Any:
        assessment, fired = self._matches[id(data)]
        return resolve(self.book, assessment, fired)


def mutation_test(engine: Any, cases: list[Any]) -> MutationReport:
    """Every mutant of `engine.book`, run against the scenario `cases` that pass on the real rules."""
    from ..api import parse_assessment
    from ..scenarios import run_case

    book = engine.book
    prepared: dict[int, Any] = {}
    facts: dict[int, dict[str, Any]] = {}
    for case in cases:
        if case.xfail or "error_fields" in case.expect:
            continue  # an expected failure or an input error says nothing about the rules
        try:
            assessment = parse_assessment(case.assessment, case.where)
            engine.check_known_ids(assessment, case.where)
        except InputError:
            continue
        fact = build_fact(assessment)
        facts[id(case.assessment)] = fact
        prepared[id(case.assessment)] = (assessment, reference_matches(book, fact))
    base = _Reference(book, prepared)
    live = [case for case in cases if id(case.assessment) in prepared and run_case(case, base).status == "pass"]

    mutants = make_mutants(book)
    survivors = []
    for mutant in mutants:
        changed = []
        for case in live:
            assessment, fired = prepared[id(case.assessment)]
            now = holds(mutant.when, facts[id(case.assessment)])
            if now != (mutant.rule in fired[mutant.kind]):
                fired = {**fired, mutant.kind: (fired[mutant.kind] | {mutant.rule}) if now else (fired[mutant.kind] - {mutant.rule})}
                changed.append((case, assessment, fired))
        if not changed:
            survivors.append(mutant)
            continue
        mutant_engine = _Reference(mutated_book(book, mutant), {id(case.assessment): (a, f) for case, a, f in changed})
        if not any(_fails(case, mutant_engine) for case, _, _ in changed):
            survivors.append(mutant)
    return MutationReport(mutants, survivors)


def _fails(case: Any, engine: _Reference) -> bool:
    from ..scenarios import run_case

    try:
        return run_case(case, engine).status != "pass"
    except WegwijzerError:
        return True  # the mutant cannot even advise the case: caught


def render(report: MutationReport, lang: str = "en") -> str:
    if lang == "nl":
        lines = [f"mutatiescore: {report.killed}/{len(report.mutants)} mutanten gevangen ({report.score:.1f}%)"]
        survivors = "door geen scenario gevangen:"
    else:
        lines = [f"mutation score: {report.killed}/{len(report.mutants)} mutants caught ({report.score:.1f}%)"]
        survivors = "not caught by any scenario:"
    if report.survivors:
        lines.append(survivors)
        if lang == "nl":
            from .dutch import condition_nl

            lines += [f"  {m.where} [{m.rule}] {condition_nl(m.change)}" for m in report.survivors]
        else:
            lines += [f"  {m.where} [{m.rule}] {m.change}" for m in report.survivors]
    return "\n".join(lines) + "\n"
