"""The coach's form <-> an assessment mapping. Field names are the contract's field paths.

The form converts its own fields: a browser sends text, and the JSON API is strict (`"3"`
is not a score), so every number and yes/no is turned into its type here, explicitly, and
a value that is not one (`2.0` for a whole number, `drie`) is a Dutch error naming the
field. The assessment is then validated by the contract (engine.web.dutch gives the
messages in Dutch). Empty inputs are left out (optional fields).
"""
from __future__ import annotations

import re
from typing import Any

from ..model import DOMAIN_IDS
from .labels import CIRCUMSTANCE_CHOICES, CIRCUMSTANCE_FLAGS, IGM

SUPPORT_ROWS = 4  # empty rows a new form offers
SUPPORT_ROW = re.compile(r"existing_support\[(\d+)\]\.kind$")
Values = dict[str, list[str]]

WHOLE = re.compile(r"^[0-9]{1,9}$")
DECIMAL = re.compile(r"^[0-9]{1,4}([.,][0-9]{1,2})?$")
NOT_WHOLE = "Vul een heel getal in, zonder komma of punt (bijvoorbeeld 3)."
NOT_DECIMAL = "Vul een getal in, eventueel met een komma (bijvoorbeeld 2,5)."
NOT_A_CHOICE = "Kies een van de mogelijkheden uit de lijst."

_WHOLE_NUMBERS = ("age", "ladder_rung", "wage_value_pct", "conversations_held")


def collect(pairs: list[tuple[str, str]]) -> Values:
    values: Values = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value.strip())
    return values


def support_rows(values: Values, most: int) -> range:
    """The professional rows the form shows: every filled one and one empty row, at least
    SUPPORT_ROWS and at most `most` (the contract's maximum), so a visit to a case with more
    professionals than the form first offered keeps them all."""
    filled = [int(m.group(1)) for name, answer in values.items()
              if (m := SUPPORT_ROW.match(name)) and answer and answer[0]]
    return range(min(most, max(SUPPORT_ROWS, max(filled, default=-1) + 2)))


def first(values: Values, name: str) -> str:
    return values.get(name, [""])[0]


def checked(values: Values, name: str) -> bool:
    return bool(values.get(name))


class _Converter:
    def __init__(self, values: Values):
        self.values = values
        self.errors: dict[str, str] = {}

    def whole(self, name: str) -> int | None:
        text = first(self.values, name)
        if not text:
            return None
        if not WHOLE.match(text):
            self.errors.setdefault(name, NOT_WHOLE)
            return None
        return int(text)

    def decimal(self, name: str) -> float | None:
        text = first(self.values, name)
        if not text:
            return None
        if not DECIMAL.match(text):
            self.errors.setdefault(name, NOT_DECIMAL)
            return None
        return float(text.replace(",", "."))

    def yes_no(self, name: str) -> bool | None:
        text = first(self.values, name)
        if not text:
            return None
        if text not in ("true", "false"):
            self.errors.setdefault(name, NOT_A_CHOICE)
            return None
        return text == "true"

    def choice(self, name: str) -> int | None:
        """A number chosen from a list (scores, rung, priority): anything else is not a choice."""
        text = first(self.values, name)
        if not text:
            return None
        if not WHOLE.match(text):
            self.errors.setdefault(name, NOT_A_CHOICE)
            return None
        return int(text)


def to_assessment(values: Values) -> tuple[dict[str, Any], dict[int, int], dict[str, str]]:
    """(assessment data, position in existing_support -> form row, Dutch errors of the conversion by field)."""
    convert = _Converter(values)
    data: dict[str, Any] = {"schema_version": 1, "municipality": first(values, "municipality")}
    case_id = first(values, "case_id")
    if case_id:
        data["case_id"] = case_id
    for name in _WHOLE_NUMBERS:
        number = convert.choice(name) if name == "ladder_rung" else convert.whole(name)
        if number is not None:
            data[name] = number
    years = convert.decimal("years_on_benefit")
    if years is not None:
        data["years_on_benefit"] = years
    data["open_to_support"] = checked(values, "open_to_support")
    data["consent_to_share"] = checked(values, "consent_to_share")
    data["consent_to_share_with"] = [o for o in values.get("consent_to_share_with", []) if o]

    household: dict[str, Any] = {}
    for name in ("single", "member_speaks_dutch"):
        answer = convert.yes_no(f"household.{name}")
        if answer is not None:
            household[name] = answer
    children = convert.whole("household.children_under_18")
    if children is not None:
        household["children_under_18"] = children
    if household:
        data["household"] = household

    domains: dict[str, Any] = {}
    for domain in DOMAIN_IDS:
        score = {part: convert.choice(f"domains.{domain}.{part}") for part in ("self_reliance", "satisfaction", "priority")}
        score = {part: value for part, value in score.items() if value is not None}
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

    igm = {factor: convert.choice(f"igm.{factor}") for factor in IGM}
    igm = {factor: score for factor, score in igm.items() if score is not None}
    if igm:
        data["igm"] = igm

    support, rows = [], {}
    posted = sorted(int(m.group(1)) for name in values if (m := SUPPORT_ROW.match(name)))
    for row in posted:
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
    return data, rows, convert.errors


def form_field(path: str, rows: dict[int, int] | None = None) -> str:
    """An error path from the engine -> the name of the form field it is about."""
    match = re.match(r"existing_support\[(\d+)\]", path)
    if match and rows is not None:
        path = f"existing_support[{rows.get(int(match.group(1)), int(match.group(1)))}]" + path[match.end():]
    if re.match(r"(wishes|current_interventions|consent_to_share_with)\[\d+\]$", path):
        path = path.split("[")[0]
    return path


def input_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
