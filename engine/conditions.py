"""The rule condition language: small, data-shaped, compiled one-to-one to durable-rules.

A condition in YAML is one of
    {}                                  always holds
    {all: [c, ...]} {any: [c, ...]} {not: c}
    {field: value}                      field equals value
    {field: {op: value}}                op in eq neq lt lte gt gte in not_in contains
Several field keys in one mapping mean all of them. A comparison on a field the case
leaves out does not hold (so `not` of it does). Conditions are data: nothing is ever
evaluated as Python.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Union

from .errors import RuleError, suggest
from .facts import ALWAYS, FIELDS, FieldSpec, present_key, set_key
from .record import frozen_record

OPS = ("eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in", "contains")

# Limits of durable-rules 2.0.28, probed here (see DURABLE_RULES.md): a ruleset whose
# and/or expressions nest 16 deep is refused (error 113), a case on which one rule set fires
# more than 64 times is refused (error 303; every alternative of a rule fires on its own, and
# the matcher's catch-all rule fires beside them, so a rule may have 63), 1,000 alternatives
# take minutes to compile; numbers travel as JSON, whose exponent
# form (1e-05, 1e+16) durable-rules refuses (error 204), infinity too (202), NaN compares
# wrongly, and integers compare exactly only within int64 (2**63 >= 2**63+1 holds there),
# within 2**53 when compared with a fraction.
MAX_NESTING = 12
MAX_ALTERNATIVES = 64
MAX_EXACT_INTEGER = 2**53
_NEGATE = {"eq": "neq", "neq": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DURABLE = {"neq": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Always:
    line: int | None = None


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class All:
    parts: tuple["Cond", ...]
    line: int | None = None


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Any_:
    parts: tuple["Cond", ...]
    line: int | None = None


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Not:
    part: "Cond"
    line: int | None = None


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Compare:
    field: str
    op: str
    value: Any
    line: int | None = None


Cond = Union[Always, All, Any_, Not, Compare]


# ------------------------------------------------------------------ parsing


def with_municipalities(ids: Iterable[str]) -> dict[str, FieldSpec]:
    """FIELDS with `municipality` taking the given ids: a rulebook's own fields, since the
    rule files (a pack each, rules/municipalities/<id>/), not the code, say which municipalities exist."""
    return {**FIELDS, "municipality": replace(FIELDS["municipality"], values=tuple(ids))}


def parse(raw: Any, file: str, line: int | None, rule_id: str | None = None,
          fields: Mapping[str, FieldSpec] = FIELDS) -> Cond:
    """Parse and type-check one condition; every error names file, line and rule. `fields`
    are the fields a condition may name (a rulebook's: with_municipalities)."""

    def fail(at: int | None, message: str) -> RuleError:
        return RuleError(file, at, message, rule_id)

    def walk(node: Any, at: int | None, depth: int = 0) -> Cond:
        if depth > MAX_NESTING:
            raise fail(at, f"the condition nests all/any/not more than {MAX_NESTING} deep; the rule engine cannot compile it")
        if isinstance(node, list):  # a bare list means all of it
            return All(tuple(walk(item, at, depth + 1) for item in node), at)
        if not isinstance(node, dict):
            raise fail(at, f"a condition must be a mapping, got {node!r}")
        at = getattr(node, "line", None) or at
        keys = list(node)
        if not keys:
            return Always(at)
        combinators = [k for k in keys if k in ("all", "any", "not")]
        if combinators:
            if len(keys) != 1:
                raise fail(at, f"'{combinators[0]}' must stand alone in its mapping, found also {sorted(set(keys) - {combinators[0]})}")
            key = combinators[0]
            body = node[key]
            if key == "not":
                return Not(walk(body, at, depth + 1), at)
            if not isinstance(body, list) or not body:
                raise fail(at, f"'{key}' takes a non-empty list of conditions")
            parts = tuple(walk(item, at, depth + 1) for item in body)
            return All(parts, at) if key == "all" else Any_(parts, at)
        compares = tuple(compare(key, node[key], at) for key in keys)
        return compares[0] if len(compares) == 1 else All(compares, at)

    def compare(field: str, body: Any, at: int | None) -> Cond:
        spec = fields.get(field)
        if spec is None:
            raise fail(at, f"unknown field '{field}'{suggest(field, fields)}")
        if isinstance(body, dict):
            ops = list(body)
            if len(ops) != 1:
                raise fail(at, f"'{field}' takes exactly one operator, got {ops}")
            op, value = ops[0], body[ops[0]]
            if op not in OPS:
                raise fail(at, f"unknown operator '{op}' for '{field}'{suggest(str(op), OPS)}; valid operators: {', '.join(OPS)}")
        else:
            op, value = "eq", body
        check_value(field, spec, op, value, at)
        if op in ("in", "not_in"):
            value = tuple(value)
        return Compare(field, op, value, at)

    def check_value(field: str, spec: FieldSpec, op: str, value: Any, at: int | None) -> None:
        if spec.kind == "set":
            if op != "contains":
                raise fail(at, f"'{field}' is a list: use 'contains'")
            if value not in spec.values:
                raise fail(at, f"'{field}' never contains '{value}'{suggest(str(value), spec.values)}")
            return
        if op == "contains":
            raise fail(at, f"'contains' only applies to list fields, not '{field}'")
        values = value if op in ("in", "not_in") else [value]
        if op in ("in", "not_in") and (not isinstance(value, list) or not value):
            raise fail(at, f"'{op}' takes a non-empty list")
        for v in values:
            if spec.kind == "bool":
                if not isinstance(v, bool) or op not in ("eq", "neq"):
                    raise fail(at, f"'{field}' is true/false: compare it with true or false")
            elif spec.kind == "enum":
                if op in ("lt", "lte", "gt", "gte"):
                    raise fail(at, f"'{field}' is a choice: use eq, neq, in or not_in")
                if not isinstance(v, str):
                    raise fail(at, f"'{field}' is a choice of names, got {v!r}")
                if spec.values and v not in spec.values:  # no values: an open choice (`municipality` outside a rulebook)
                    where = " (the municipalities of the rules: a pack each in municipalities/)" if field == "municipality" else ""
                    raise fail(at, f"'{field}' is never '{v}'{suggest(str(v), spec.values)}; it is one of {list(spec.values)}{where}")
            else:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise fail(at, f"'{field}' is a number, got {v!r}")
                problem = number_problem(v)
                if problem:
                    raise fail(at, f"'{field}' {op} {v!r}: {problem}")
                if never_holds(spec, op, v):
                    raise fail(at, f"'{field}' {op} {v} can never hold: the field runs from {spec.low} to {spec.high}")

    cond = walk(raw, line)
    count = alternatives(to_durable(cond))
    if count > MAX_ALTERNATIVES - 1:  # its rule set's catch-all rule (matcher.EVERY_CASE) fires too
        raise fail(line, f"the condition expands to {count} alternatives in the rule engine, at most {MAX_ALTERNATIVES - 1}: split the rule")
    return cond


def number_problem(v: int | float) -> str | None:
    """Why durable-rules would mishandle this number in a condition, or None."""
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return "not a finite number"
        if "e" in repr(v).lower():
            return "too large or too small: the rule engine reads no exponent notation (write it out, e.g. 0.0001)"
    if abs(v) > MAX_EXACT_INTEGER:
        return f"beyond {MAX_EXACT_INTEGER:,} the rule engine does not compare exactly"
    return None


def alternatives(expr: Any) -> int:
    """How many alternatives durable-rules makes of a compiled expression (its $or's multiply out)."""
    if isinstance(expr, dict) and len(expr) == 1:
        key, value = next(iter(expr.items()))
        if key == "$or":
            return sum(alternatives(part) for part in value)
        if key == "$and":
            count = 1
            for part in value:
                count *= alternatives(part)
            return count
    return 1


def never_holds(spec: FieldSpec, op: str, v: float) -> bool:
    low, high = spec.low, spec.high
    if op == "eq":
        return (low is not None and v < low) or (high is not None and v > high)
    if op == "lt":
        return low is not None and v <= low
    if op == "lte":
        return low is not None and v < low
    if op == "gt":
        return high is not None and v >= high
    if op == "gte":
        return high is not None and v > high
    return False


# ------------------------------------------------------------------ durable-rules


def to_durable(cond: Cond) -> dict[str, Any]:
    """The durable-rules expression for a condition. Negation is pushed down to the leaves."""
    return _compile(cond, negate=False)


def _compile(cond: Cond, negate: bool) -> dict[str, Any]:
    if isinstance(cond, Always):
        return {"$neq": {ALWAYS: True}} if negate else {ALWAYS: True}
    if isinstance(cond, Not):
        return _compile(cond.part, not negate)
    if isinstance(cond, (All, Any_)):
        conj = isinstance(cond, All) != negate  # De Morgan
        parts = [_compile(p, negate) for p in cond.parts]
        return parts[0] if len(parts) == 1 else {"$and" if conj else "$or": parts}
    return _compile_compare(cond, negate)


def _compile_compare(c: Compare, negate: bool) -> dict[str, Any]:
    spec = FIELDS[c.field]
    if c.op == "contains":
        return {set_key(c.field, c.value): not negate}
    op, values = c.op, c.value
    if op in ("in", "not_in"):
        positive = (op == "in") != negate
        leaves = [_leaf(c.field, "eq" if positive else "neq", v) for v in values]
        expr = leaves[0] if len(leaves) == 1 else {"$or" if positive else "$and": leaves}
    else:
        expr = _leaf(c.field, _NEGATE[op] if negate else op, values)
        positive = not negate
    if spec.optional and not positive:
        # the negation of a comparison also holds when the field is absent
        return {"$or": [{present_key(c.field): False}, expr]}
    return expr


def _leaf(field: str, op: str, value: Any) -> dict[str, Any]:
    return {field: value} if op == "eq" else {_DURABLE[op]: {field: value}}


# ------------------------------------------------------------------ reference evaluation


def holds(cond: Cond, fact: dict[str, Any]) -> bool:
    """Plain Python evaluation of the same semantics: the oracle for tests, and the basis of explain."""
    if isinstance(cond, Always):
        return True
    if isinstance(cond, Not):
        return not holds(cond.part, fact)
    if isinstance(cond, All):
        return all(holds(p, fact) for p in cond.parts)
    if isinstance(cond, Any_):
        return any(holds(p, fact) for p in cond.parts)
    return compare_holds(cond, fact)


def compare_holds(c: Compare, fact: dict[str, Any]) -> bool:
    if c.op == "contains":
        return bool(fact.get(set_key(c.field, c.value)))
    if c.field not in fact:
        return False
    v = fact[c.field]
    if c.op == "eq":
        return v == c.value
    if c.op == "neq":
        return v != c.value
    if c.op == "lt":
        return v < c.value
    if c.op == "lte":
        return v <= c.value
    if c.op == "gt":
        return v > c.value
    if c.op == "gte":
        return v >= c.value
    if c.op == "in":
        return v in c.value
    return v not in c.value  # not_in


def may_hold_in(cond: Cond, municipality: str) -> bool:
    """Whether `cond` can hold for a case of `municipality`, reading only its municipality tests
    (every other test may go either way): a rule that names other cities only never fires here."""
    return _may(cond, municipality)[0]


def _may(cond: Cond, municipality: str) -> tuple[bool, bool]:
    # (can be true, can be false), three-valued: a test on another field is unknown
    if isinstance(cond, Always):
        return True, False
    if isinstance(cond, Not):
        can_true, can_false = _may(cond.part, municipality)
        return can_false, can_true
    if isinstance(cond, All):
        parts = [_may(p, municipality) for p in cond.parts]
        return all(t for t, _ in parts), any(f for _, f in parts)
    if isinstance(cond, Any_):
        parts = [_may(p, municipality) for p in cond.parts]
        return any(t for t, _ in parts), all(f for _, f in parts)
    if cond.field == "municipality":
        value = compare_holds(cond, {"municipality": municipality})
        return value, not value
    return True, True


def leaves(cond: Cond) -> list[Compare]:
    if isinstance(cond, Compare):
        return [cond]
    if isinstance(cond, Not):
        return leaves(cond.part)
    if isinstance(cond, (All, Any_)):
        return [leaf for part in cond.parts for leaf in leaves(part)]
    return []


def describe(cond: Cond) -> str:
    """A compact human rendering, e.g. `circumstances.problematic_debt = true`."""
    if isinstance(cond, Always):
        return "always"
    if isinstance(cond, Not):
        return f"not ({describe(cond.part)})"
    if isinstance(cond, (All, Any_)):
        joiner = " and " if isinstance(cond, All) else " or "
        return "(" + joiner.join(describe(p) for p in cond.parts) + ")"
    symbol = {"eq": "=", "neq": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥",
              "in": "in", "not_in": "not in", "contains": "contains"}[cond.op]
    value = cond.value
    if isinstance(value, bool):
        value = str(value).lower()
    elif isinstance(value, tuple):
        value = "[" + ", ".join(map(str, value)) + "]"
    return f"{cond.field} {symbol} {value}"


def first_failure(cond: Cond, fact: dict[str, Any]) -> Cond | None:
    """The first sub-condition that made `cond` fail on this fact (None if it holds)."""
    if holds(cond, fact):
        return None
    if isinstance(cond, All):
        for part in cond.parts:
            if not holds(part, fact):
                return first_failure(part, fact)
    return cond
