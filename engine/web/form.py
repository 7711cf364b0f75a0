"""The coach's form <-> an assessment mapping. Field names are the contract's field paths.

Nothing is validated here: the engine validates once (engine.api.parse_assessment) and its
error paths name the form fields directly. Empty inputs are left out (optional fields).
"""
from __future__ import annotations

import re
from typing import Any

from ..model import DOMAIN_IDS
from .labels import CIRCUMSTANCE_CHOICES, CIRCUMSTANCE_FLAGS

SUPPORT_ROWS = 4
Values = dict[str, list[str]]

_SCALARS = ("case_id", "age", "ladder_rung", "years_on_benefit", "wage_value_pct", "conversations_held")


def collect(pairs: list[tuple[str, str]]) -> Values:
    values: Values = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value.strip())
    return values


def first(values: Values, name: str) -> str:
    return values.get(name, [""])[0]


def checked(values: Values, name: str) -> bool:
    return bool(values.get(name))


_INTEGER = re.compile(r"^-?[0-9]+$")
_DECIMAL = re.compile(r"^-?[0-9]+(?:[.,][0-9]+)?$")


def _typed(text: str, fraction: bool = False) -> Any:
    """The form's text as the number or yes/no it stands for (the engine is strict and takes
    no text for a number); anything else stays text, so the engine names the field."""
    if text in ("true", "false"):
        return text == "true"
    if _INTEGER.match(text):
        return int(text)
    if fraction and _DECIMAL.match(text):
        return float(text.replace(",", "."))
    return text


def to_assessment(values: Values) -> tuple[dict[str, Any], dict[int, int]]:
    """(assessment data, position in existing_support -> form row)."""
    data: dict[str, Any] = {"schema_version": 1, "municipality": first(values, "municipality")}
    for name in _SCALARS:
        value = first(values, name)
        if value:
            data[name] = value if name == "case_id" else _typed(value, fraction=name == "years_on_benefit")
    data["open_to_support"] = checked(values, "open_to_support")
    data["consent_to_share"] = checked(values, "consent_to_share")

    household: dict[str, Any] = {}
    for name in ("single", "member_speaks_dutch"):
        value = first(values, f"household.{name}")
        if value:
            household[name] = _typed(value)
    if first(values, "household.children_under_18"):
        household["children_under_18"] = _typed(first(values, "household.children_under_18"))
    if household:
        data["household"] = household

    domains: dict[str, Any] = {}
    for domain in DOMAIN_IDS:
        score = {part: first(values, f"domains.{domain}.{part}") for part in ("self_reliance", "satisfaction", "priority")}
        score = {part: _typed(value) for part, value in score.items() if value}
        if score:
            domains[domain] = score
    data["domains"] = domains

    circumstances: dict[str, Any] = {flag: True for flag in CIRCUMSTANCE_FLAGS if checked(values, f"circumstances.{flag}")}
    for name in CIRCUMSTANCE_CHOICES:
        if first(values, f"circumstances.{name}"):
            circumstances[name] = first(values, f"circumstances.{name}")
    data["circumstances"] = circumstances
    data["wishes"] = [w for w in values.get("wishes", []) if w]
    data["current_interventions"] = [i for i in values.get("current_interventions", []) if i]

    support, rows = [], {}
    for row in range(SUPPORT_ROWS):
        kind = first(values, f"existing_support[{row}].kind")
        if not kind:
            continue
        entry: dict[str, Any] = {"kind": kind, "trusted": checked(values, f"existing_support[{row}].trusted")}
        organisation = first(values, f"existing_support[{row}].organisation")
        if organisation:
            entry["organisation"] = organisation
        rows[len(support)] = row
        support.append(entry)
    data["existing_support"] = support
    return data, rows


def form_field(path: str, rows: dict[int, int] | None = None) -> str:
    """An error path from the engine -> the name of the form field it is about."""
    match = re.match(r"existing_support\[(\d+)\]", path)
    if match and rows is not None:
        path = f"existing_support[{rows.get(int(match.group(1)), int(match.group(1)))}]" + path[match.end():]
    if re.match(r"(wishes|current_interventions)\[\d+\]$", path):
        path = path.split("[")[0]
    return path


def input_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")

