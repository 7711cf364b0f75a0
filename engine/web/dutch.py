"""Validation messages for the coach's page, in plain Dutch (the JSON API keeps English).

The page validates the converted form data against the contract itself (the same pydantic
model the engine uses) to get each error's *type* and field, and says it in Dutch; it never
shows a library's English text or a regular expression. What the engine refuses beyond the
model (an unknown id, a check the input layer adds later) gets a plain Dutch sentence too.

Also here: a case number that is a BSN (nine digits that pass the eleven-test) is refused,
because the page promises a pseudonym, never a BSN.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from ..model import Assessment, Case
from .labels import DOMAINS

# (lowest, highest) per field for range messages; None: no upper bound. Mirrors engine/model.py.
RANGES: dict[str, tuple[float, float | None]] = {
    "age": (16, 120), "ladder_rung": (1, 6), "years_on_benefit": (0, 105), "wage_value_pct": (0, 100),
    "conversations_held": (0, None), "household.children_under_18": (0, None),
    "self_reliance": (1, 5), "satisfaction": (1, 5), "priority": (1, 9), "igm": (1, 10),
}

CASE_ID = ("Gebruik alleen letters, cijfers, punt, streepje en liggend streepje, hoogstens 64 tekens; "
           "een pseudoniem, nooit een naam of BSN.")
BSN = "Dit lijkt een BSN (negen cijfers die de elfproef doorstaan). Gebruik een pseudoniem als casusnummer, nooit een BSN."
GENERIC = "Deze waarde klopt niet; kies of vul een geldige waarde in."


def is_bsn(text: str) -> bool:
    """Nine digits passing the eleven-test (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11, not all zero)."""
    if not re.fullmatch(r"[0-9]{9}", text) or text == "000000000":
        return False
    digits = [int(c) for c in text]
    total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8])) - digits[8]
    return total % 11 == 0


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or part == "[key]"):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _range_key(path: str) -> str:
    parts = re.sub(r"^assessments\[\d+\]\.", "", path).split(".")
    if parts[0] == "domains" and len(parts) == 3:
        return parts[2]
    if parts[0] == "igm":
        return "igm"
    return path


def _range_message(path: str) -> str:
    low, high = RANGES.get(_range_key(path), (None, None))
    if low is None:
        return GENERIC
    if high is None:
        return f"Vul een getal van {low:g} of meer in."
    return f"Vul een getal van {low:g} tot en met {high:g} in."


def _priority_message(text: str) -> tuple[str, str] | None:
    match = re.search(r"(domains\.\w+\.priority): priority (\d+) is already given to domains\.(\w+)", text)
    if not match:
        return None
    other = DOMAINS.get(match.group(3), match.group(3))
    return match.group(1), (f"Belangrijkheid {match.group(2)} is al gegeven aan {other}; "
                            "gebruik elk nummer maar één keer.")


def message(error_type: str, path: str, ctx: dict[str, Any] | None = None, text: str = "") -> tuple[str, str]:
    """(form field, Dutch sentence) for one pydantic error."""
    ctx = ctx or {}
    if error_type == "value_error":
        priority = _priority_message(text)
        if priority:
            return priority
        if "listed twice" in text:
            return path, "Dit staat twee keer in de lijst; kies het één keer."
        return path, GENERIC
    if path == "municipality":
        return path, "Kies een gemeente."
    if path == "domains" and error_type in ("too_short", "missing"):
        return path, "Vul bij ten minste één leefgebied de zelfredzaamheid in."
    if path.startswith("domains.") and path.endswith(".self_reliance") and error_type == "missing":
        return path, ("Vul ook de zelfredzaamheid in: tevredenheid en belangrijkheid horen bij een leefgebied "
                      "met een score voor zelfredzaamheid.")
    if path == "case_id" and error_type in ("string_pattern_mismatch", "string_too_long", "string_too_short"):
        return path, CASE_ID
    if error_type == "missing":
        return path, "Vul dit veld in."
    if error_type in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return path, _range_message(path)
    if error_type in ("int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "finite_number"):
        return path, "Vul een getal in."
    if error_type in ("bool_type", "bool_parsing", "literal_error", "enum"):
        return path, "Kies een van de mogelijkheden uit de lijst."
    if error_type == "string_too_long":
        return path, f"Gebruik hoogstens {ctx.get('max_length', '')} tekens.".replace("  ", " ")
    if error_type in ("too_long",):
        return path, "Dit zijn te veel keuzes."
    if error_type == "extra_forbidden":
        return path, "Dit veld kent Wegwijzer niet."
    return path, GENERIC


def validate(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every problem of the converted form data as (field path, Dutch sentence); [] when it fits the contract."""
    problems: list[tuple[str, str]] = []
    case_id = data.get("case_id")
    if isinstance(case_id, str) and is_bsn(case_id):
        problems.append(("case_id", BSN))
    try:
        Assessment.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(message(err["type"], _path(err["loc"]), err.get("ctx"), str(err.get("msg", ""))))
    return problems


def engine_message(path: str, english: str) -> str:
    """A Dutch sentence for what the engine refused after the model passed (e.g. an unknown id)."""
    if english.startswith("unknown intervention"):
        return "Deze interventie kent Wegwijzer niet."
    if english.startswith("unknown municipality"):
        return "Kies een gemeente."
    if "organisation" in english or path.startswith("consent_to_share_with"):
        return "Deze organisatie hoort niet bij de gekozen gemeente."
    return GENERIC


# What the case readers (engine.caseload) and the history checks (engine.case) refuse, in Dutch.
_INPUT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"given twice", "Dit veld staat twee keer in één object; laat er één staan."),
    (r"nested deeper", "Het document is te diep genest."),
    (r"more time or memory to read", "Het lezen van dit document kost te veel tijd of geheugen (aliassen die delen "
                                     "herhalen, of te diep genest?); maak het korter."),
    (r"expands to more than", "Het document wordt bij het lezen te groot (aliassen die delen herhalen?); maak het korter."),
    (r"larger than", "Het bestand is te groot (hoogstens 1 MiB per casus)."),
    (r"not UTF-8", "Het bestand is geen UTF-8-tekst; sla het op als UTF-8."),
    (r"must be a mapping", "Een casus is een lijst van velden (een YAML-mapping of een JSON-object), geen losse waarde of lijst."),
    (r"not valid (YAML|JSON)", "Dit is geen geldige YAML of JSON."),
    (r"is the date of assessments", "Op deze datum staat al een meting; één meting per datum."),
    (r"is before assessments", "Deze datum ligt vóór die van de vorige meting; zet de metingen van oud naar nieuw."),
    (r"no assessment scores the life domain", "Geen meting scoort dit leefgebied; een doel hoort bij een gemeten leefgebied."),
    (r"is before set_on", "Deze datum ligt vóór de datum waarop het doel gesteld is."),
    (r"is before started", "De einddatum ligt vóór de startdatum."),
    (r"has not ended", "Een interventie die loopt of op de wachtlijst staat heeft geen einddatum; laat die leeg of kies een andere status."),
    (r"is after as_of", "Deze datum ligt na de peildatum (as_of)."),
    (r"must be a date", "Vul een datum in als JJJJ-MM-DD."),
    (r"unknown municipality", "Deze gemeente staat niet op de sociale kaart van de regels; kies een gemeente die er wel op staat."),
)


def did_you_mean(english: str) -> str:
    """' Bedoelt u 'x'?' for an engine message that suggests a name (engine.errors.suggest), else ''."""
    found = re.search(r"did you mean '([^']{1,64})'\?", english)
    return f" Bedoelt u '{found.group(1)}'?" if found else ""


def input_message(path: str, english: str) -> str:
    """A Dutch sentence for an InputError the case readers or the engine raised; a line number is
    kept, and so is the engine's suggestion of the name meant."""
    line = re.match(r"line (\d+): ", english)
    where = f"Regel {line.group(1)}: " if line else ""
    twice = re.search(r"key '([^']{1,64})' appears twice", english)
    if twice:
        return where + f"Het veld '{twice.group(1)}' staat twee keer in één object; laat er één staan."
    for pattern, dutch in _INPUT_PATTERNS:
        if re.search(pattern, english):
            return where + dutch + did_you_mean(english)
    return where + engine_message(path, english) + did_you_mean(english)


def validate_case(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a case document against the Case contract, as (field path, Dutch sentence)."""
    problems: list[tuple[str, str]] = []
    case_id = data.get("case_id")
    if isinstance(case_id, str) and is_bsn(case_id):
        problems.append(("case_id", BSN))
    try:
        Case.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            path = _path(err["loc"])
            if err["type"].startswith("date_") or (err["type"] == "value_error" and "date" in str(err.get("msg", ""))):
                problems.append((path, "Vul een datum in als JJJJ-MM-DD."))
                continue
            found = message(err["type"], path, err.get("ctx"), str(err.get("msg", "")))
            problems.append((found[0], found[1] + _suggestion(err)))
    return problems


def _suggestion(err: Any) -> str:
    """What the CLI suggests for a misspelt field name or choice, in Dutch (as engine.case does)."""
    from ..case import _known_fields
    from ..errors import suggest

    if err["type"] == "extra_forbidden" and err["loc"]:
        return did_you_mean(suggest(str(err["loc"][-1]), _known_fields(tuple(err["loc"][:-1]))))
    if err["type"] == "literal_error" and isinstance(err.get("input"), str):
        expected = re.findall(r"'([^']+)'", str((err.get("ctx") or {}).get("expected", "")))
        return did_you_mean(suggest(err["input"], expected))
    return ""


_LISTS_NL = {"assessments": "Meting", "interventions_log": "Interventie", "contacts": "Contact",
             "goals": "Doel", "profile_history": "Klantprofiel"}
_FIELDS_NL = {"date": "datum", "started": "startdatum", "ended": "einddatum", "status": "status", "result": "resultaat",
              "kind": "soort", "reached": "bereikt", "id": "interventie", "domain": "leefgebied", "set_on": "gesteld op",
              "review_on": "beoordeeld op", "gas_score": "GAS-score", "municipality": "gemeente", "case_id": "casusnummer",
              "as_of": "peildatum", "self_reliance": "zelfredzaamheid", "satisfaction": "tevredenheid",
              "priority": "belangrijkheid", "ladder_rung": "trede participatieladder",
              "conversations_held": "gesprekken gevoerd"}


def field_nl(path: str) -> str:
    """A field path as a coach reads it: 'interventions_log[3].ended' -> 'Interventie 4, einddatum'."""
    words = []
    for part in path.split("."):
        if part == "domains":  # the domain's own name follows
            continue
        item = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if item and item.group(1) in _LISTS_NL:
            words.append(f"{_LISTS_NL[item.group(1)]} {int(item.group(2)) + 1}")
        else:
            words.append(DOMAINS.get(part) or _FIELDS_NL.get(part) or part)
    return ", ".join(words)
