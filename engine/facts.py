"""Assessment -> one flat fact, and the catalogue of fields that rule conditions may name.

Field names in conditions are the assessment's own paths (`domains.finances.self_reliance`,
`circumstances.problematic_debt`), a few list fields tested with `contains`, and a few
derived summaries. Nothing here knows any rule.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Callable, Iterable

from .model import (
    DOMAIN_IDS, Assessment, Circumstances, IgmFactor, SupportKind, Wish,
)

ALWAYS = "case"  # a key present in every fact, for rules without a condition


@dataclass(frozen=True)
class FieldSpec:
    """What a condition may say about one field."""

    kind: str  # bool | number | enum | set
    optional: bool = False  # may be absent from a case; comparisons on it then do not hold
    values: tuple[str, ...] = ()  # for enum and set
    low: float | None = None
    high: float | None = None


def _literal_values(annotation: Any) -> tuple[str, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(typing.get_args(annotation))
    for arg in typing.get_args(annotation) or (annotation,):
        if typing.get_origin(arg) is typing.Literal:
            return tuple(typing.get_args(arg))
    return ()


def _build_fields() -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {
        # its values are the rulebook's municipality ids (its packs), which the loader
        # gives conditions.parse (conditions.with_municipalities); none are known here
        "municipality": FieldSpec("enum"),
        "age": FieldSpec("number", True, low=16, high=120),
        "ladder_rung": FieldSpec("number", True, low=1, high=6),
        "years_on_benefit": FieldSpec("number", True, low=0, high=None),
        "wage_value_pct": FieldSpec("number", True, low=0, high=100),
        "conversations_held": FieldSpec("number", True, low=0, high=None),
        "open_to_support": FieldSpec("bool"),
        "consent_to_share": FieldSpec("bool"),
        "household.single": FieldSpec("bool", True),
        "household.member_speaks_dutch": FieldSpec("bool", True),
        "household.children_under_18": FieldSpec("number", True, low=0, high=None),
        "wishes": FieldSpec("set", values=_literal_values(Wish)),
        "existing_support": FieldSpec("set", values=_literal_values(SupportKind)),
        "trusted_support": FieldSpec("set", values=_literal_values(SupportKind)),
        # derived summaries
        "lowest_self_reliance": FieldSpec("number", low=1, high=5),
        "lowest_satisfaction": FieldSpec("number", True, low=1, high=5),
        "existing_support_count": FieldSpec("number", low=0, high=None),
        "trusted_support_count": FieldSpec("number", low=0, high=None),
        # self-reliance of the life domain the client ranked 1 (absent when none is ranked 1)
        "top_priority_self_reliance": FieldSpec("number", True, low=1, high=5),
    }
    for domain in DOMAIN_IDS:
        fields[f"domains.{domain}.self_reliance"] = FieldSpec("number", True, low=1, high=5)
        fields[f"domains.{domain}.satisfaction"] = FieldSpec("number", True, low=1, high=5)
        fields[f"domains.{domain}.priority"] = FieldSpec("number", True, low=1, high=9)
    for name, info in Circumstances.model_fields.items():
        values = _literal_values(info.annotation)
        key = f"circumstances.{name}"
        fields[key] = FieldSpec("enum", True, values=values) if values else FieldSpec("bool")
    for factor in _literal_values(IgmFactor):
        fields[f"igm.{factor}"] = FieldSpec("number", True, low=1, high=10)
    return fields


FIELDS: dict[str, FieldSpec] = _build_fields()


def present_key(field: str) -> str:
    """Key that says whether an optional field was given (durable-rules cannot test absence safely)."""
    return f"has.{field}"


def set_key(field: str, member: str) -> str:
    return f"{field}.{member}"


def build_fact(assessment: Assessment) -> dict[str, Any]:
    """The flat fact for one case: every field in FIELDS (in that order), optional ones with a
    presence flag."""
    return _FULL(assessment)


def fact_builder(keys: Iterable[str]) -> Callable[[Assessment], dict[str, Any]]:
    """A builder of the fact restricted to `keys` (in that order): the same keys and values as
    build_fact would give for them, without computing the rest. The matcher asserts only the
    keys its rule sets read, so it builds just those (hot path: once per case and rule set)."""
    plan = tuple((key, READERS[key]) for key in keys)

    def build(assessment: Assessment) -> dict[str, Any]:
        fact = {}
        for key, read in plan:
            value = read(assessment)
            if value is not None:  # an absent optional field has no key, only its presence flag
                fact[key] = value
        return fact

    return build


def _plain_number(value: Any) -> Any:
    """Floats as durable-rules can read them: its JSON parser refuses exponents (1e-05, 1e+16).
    Whole floats become ints; others are rounded to 4 decimals, which never prints an exponent
    within the model's bounds."""
    if isinstance(value, float):
        value = round(value, 4)
        return int(value) if value.is_integer() else value
    return value


_SELF_RELIANCE = attrgetter("self_reliance")


def _field_reader(field: str) -> Callable[[Assessment], Any]:
    """How to read one field of FIELDS from an assessment; None when the case does not give it."""
    head, _, rest = field.partition(".")
    if head == "domains":
        domain, attribute = rest.split(".")
        read = attrgetter(attribute)
        return lambda a: read(score) if (score := a.domains.get(domain)) is not None else None
    if head == "household":
        return lambda a: getattr(a.household, rest) if a.household is not None else None
    if head == "circumstances":
        return attrgetter(field)  # always present (defaults)
    if head == "igm":
        return lambda a: a.igm.get(rest) if a.igm else None
    derived: dict[str, Callable[[Assessment], Any]] = {
        "years_on_benefit": lambda a: _plain_number(a.years_on_benefit),  # the only float field
        "lowest_self_reliance": lambda a: min(map(_SELF_RELIANCE, a.domains.values())),
        "lowest_satisfaction": lambda a: min(
            (s.satisfaction for s in a.domains.values() if s.satisfaction is not None), default=None),
        "existing_support_count": lambda a: len(a.existing_support),
        "trusted_support_count": lambda a: sum(1 for s in a.existing_support if s.trusted),
        "top_priority_self_reliance": lambda a: next(
            (s.self_reliance for s in a.domains.values() if s.priority == 1), None),
    }
    if field in derived:
        return derived[field]
    return attrgetter(field)


def _member_reader(field: str, member: str) -> Callable[[Assessment], bool]:
    """Whether a set field (wishes, existing or trusted support) holds one member."""
    if field == "wishes":
        return lambda a: member in a.wishes
    # (hot path) most cases list little or no support: an empty list is answered without a generator
    if field == "existing_support":
        return lambda a: bool(a.existing_support) and any(s.kind == member for s in a.existing_support)
    if field == "trusted_support":
        return lambda a: bool(a.existing_support) and any(s.kind == member and s.trusted for s in a.existing_support)
    raise ValueError(f"no reader for set field '{field}'")


def _readers() -> dict[str, Callable[[Assessment], Any]]:
    """Every fact key, in FIELDS order, with how to read it: set fields as one flag per member,
    optional fields preceded by their presence flag."""
    readers: dict[str, Callable[[Assessment], Any]] = {ALWAYS: lambda a: True}
    for field, spec in FIELDS.items():
        if spec.kind == "set":
            for member in spec.values:
                readers[set_key(field, member)] = _member_reader(field, member)
            continue
        read = _field_reader(field)
        if spec.optional:
            readers[present_key(field)] = lambda a, read=read: read(a) is not None
        readers[field] = read
    return readers


READERS: dict[str, Callable[[Assessment], Any]] = _readers()
_FULL = fact_builder(READERS)
