"""Assessment -> one flat fact, and the catalogue of fields that rule conditions may name.

Field names in conditions are the assessment's own paths (`domains.finances.self_reliance`,
`circumstances.problematic_debt`), a few list fields tested with `contains`, and a few
derived summaries. Nothing here knows any rule.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from .model import (
    DOMAIN_IDS, Assessment, Circumstances, IgmFactor, Municipality, SupportKind, Wish,
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
        "municipality": FieldSpec("enum", values=_literal_values(Municipality)),
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
    """The flat fact for one case: every field in FIELDS, optional ones with a presence flag."""
    a = assessment
    circumstances = a.circumstances.model_dump()
    values: dict[str, Any] = {
        "municipality": a.municipality,
        "age": a.age,
        "ladder_rung": a.ladder_rung,
        "years_on_benefit": _plain_number(a.years_on_benefit),  # the only float field
        "wage_value_pct": a.wage_value_pct,
        "conversations_held": a.conversations_held,
        "open_to_support": a.open_to_support,
        "consent_to_share": a.consent_to_share,
        "household.single": a.household.single if a.household else None,
        "household.member_speaks_dutch": a.household.member_speaks_dutch if a.household else None,
        "household.children_under_18": a.household.children_under_18 if a.household else None,
        "lowest_self_reliance": min(s.self_reliance for s in a.domains.values()),
        "lowest_satisfaction": min(
            (s.satisfaction for s in a.domains.values() if s.satisfaction is not None), default=None
        ),
        "existing_support_count": len(a.existing_support),
        "trusted_support_count": sum(1 for s in a.existing_support if s.trusted),
    }
    for domain, score in a.domains.items():
        values[f"domains.{domain}.self_reliance"] = score.self_reliance
        values[f"domains.{domain}.satisfaction"] = score.satisfaction
        values[f"domains.{domain}.priority"] = score.priority
    for name, value in circumstances.items():
        values[f"circumstances.{name}"] = value
    for factor, score in (a.igm or {}).items():
        values[f"igm.{factor}"] = score
    members = {
        "wishes": set(a.wishes),
        "existing_support": {s.kind for s in a.existing_support},
        "trusted_support": {s.kind for s in a.existing_support if s.trusted},
    }

    fact: dict[str, Any] = {ALWAYS: True}
    for field, spec_kind, presence, keyed_members in _LAYOUT:  # FIELDS, in order, keys precomputed
        if spec_kind == "set":
            present = members[field]
            for key, member in keyed_members:
                fact[key] = member in present
            continue
        value = values.get(field)
        if presence is not None:
            fact[presence] = value is not None
        if value is not None:
            fact[field] = value
    return fact


def _plain_number(value: Any) -> Any:
    """Floats as durable-rules can read them: its JSON parser refuses exponents (1e-05, 1e+16).
    Whole floats become ints; others are rounded to 4 decimals, which never prints an exponent
    within the model's bounds."""
    if isinstance(value, float):
        value = round(value, 4)
        return int(value) if value.is_integer() else value
    return value


# (field, kind, presence key or None, ((set key, member), ...)) for every field, in FIELDS
# order: build_fact runs once per case, so its keys are worked out once, here
_LAYOUT: tuple[tuple[str, str, str | None, tuple[tuple[str, str], ...]], ...] = tuple(
    (field, spec.kind, present_key(field) if spec.optional and spec.kind != "set" else None,
     tuple((set_key(field, member), member) for member in spec.values) if spec.kind == "set" else ())
    for field, spec in FIELDS.items()
)
