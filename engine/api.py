"""The Python API: `Engine.load().recommend(data)`."""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import __version__
from .case import as_of, check_case_ids, current_assessment, history_warnings, is_case, parse_case, unknown_organisations
from .errors import InputError, suggest
from .facts import build_fact
from .matcher import Matcher
from .model import MUNICIPALITY_PATTERN_MESSAGE, Assessment, Receipt, Recommendation, built

if TYPE_CHECKING:
    from .casemodel import Case
from .resolve import resolve
from .rulebook import CODE_PATTERN, Rulebook, load

TRAJECTORY_RULE = "trajectory/"  # the trace's rule prefix of the history rules (engine.history)


def input_hash(validated: Assessment | Case) -> str:
    """The hash of the validated input: its canonical JSON (every field, defaults included, in
    the model's order), so the same case written with or without its defaults hashes alike; a
    Case with its as_of filled in (the latest date in it when left out), as the advice reads it."""
    if is_case(validated) and validated.as_of is None:
        validated = validated.model_copy(update={"as_of": as_of(validated)})
    return "sha256:" + hashlib.sha256(validated.__pydantic_serializer__.to_json(validated)).hexdigest()


def receipt(book: Rulebook, validated: Assessment | Case, fired: dict[str, set[str]], as_of: Any = None,
            trace: Any = ()) -> Receipt:
    """The advice's receipt. `trace`: a Case's trace, whose trajectory steps are that rule set's firings."""
    by_set = {kind: sorted(ids) for kind, ids in fired.items()}
    trajectory = sorted({step.rule[len(TRAJECTORY_RULE):] for step in trace if step.rule.startswith(TRAJECTORY_RULE)})
    if trajectory:
        by_set["trajectory"] = trajectory
    # every value is a validated one or the engine's own: built, not validated again (hot path)
    return built(Receipt, engine_version=__version__, rules_version=book.version,
                 schema_version=validated.schema_version, as_of=as_of, input_hash=input_hash(validated), fired=by_set)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_assessment(data: Any, source: str | None = None) -> Assessment:
    """Validate raw input into an Assessment, or raise InputError naming every bad field."""
    if isinstance(data, Assessment):
        return data
    if not isinstance(data, dict):
        raise InputError([("", f"an assessment must be a mapping (JSON object), got {type(data).__name__}")], source)
    try:
        return Assessment.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
            # pydantic reports a bad dict key as [key, '[key]']; keep the readable part
            loc = tuple(p for p in loc if p != "[key]")
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown field"
                name = str(loc[-1]) if loc else ""
                known = _known_fields(loc[:-1])
                message += suggest(name, known)
            elif err["type"] == "string_pattern_mismatch" and loc == ("municipality",):
                message = MUNICIPALITY_PATTERN_MESSAGE
            elif err["type"] in _TYPE_ERRORS and not isinstance(err.get("input"), dict | list):
                # strict input: say what was given instead, so "3" -> 3 is an obvious fix
                message += f", not {_kind(err.get('input'), err['type'])}"
            elif err["type"] == "value_error":
                message = message.removeprefix("Value error, ")
                if ": " in message and message.split(": ", 1)[0].startswith("domains."):
                    path, message = message.split(": ", 1)
                    loc = tuple(path.split("."))
            problems.append((_path(loc), message))
        raise InputError(problems, source) from None


_TYPE_ERRORS = ("int_type", "float_type", "bool_type", "string_type")


def _kind(value: Any, wanted: str) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        if not value.strip():
            return "empty text"
        return "text (write true or false without quotes)" if wanted == "bool_type" else "text (write the number without quotes)"
    if isinstance(value, float):
        return "a fraction" if value == value and abs(value) != float("inf") else "a number"
    if isinstance(value, int):
        return "a number"
    return "null" if value is None else type(value).__name__


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    from . import model

    table = {
        (): model.Assessment, ("household",): model.Household, ("circumstances",): model.Circumstances,
    }
    key = tuple(p for p in loc if not isinstance(p, int))
    if key in table:
        return list(table[key].model_fields)
    if key and key[0] == "domains":
        return list(model.DomainScore.model_fields)
    if key and key[0] == "existing_support":
        return list(model.ExistingSupport.model_fields)
    return []


@functools.cache
def _compact_writer() -> Any:
    """engine.render.to_compact, imported on first use (the cold start of a command that
    prints no compact line does not load it) and then found by one call (an import statement
    run for every case costs some 4 µs of a batch's case)."""
    from .render import to_compact

    return to_compact


class Engine:
    """Rules loaded and compiled once; `recommend` per case. Safe to call from several threads."""

    def __init__(self, book: Rulebook):
        self.book = book
        self._matcher = Matcher(book)

    @classmethod
    def load(cls, rules_dir: str | Path | None = None, packs: "list[str | Path] | None" = None) -> "Engine":
        """The engine for the rules in `rules_dir` (default: the shipped rules) with the
        municipality packs in the folders `packs` besides (None: $WEGWIJZER_PACKS)."""
        return cls(load(rules_dir, packs))

    @property
    def rules_version(self) -> str:
        return self.book.version

    def _parsed(self, parse: Any, data: Any, source: str | None) -> Any:
        """`parse(data, source)`; when the model refuses the input, an unknown municipality is
        reported with its problems, so that one answer names every bad field as before. ZRM
        scores fill the life domains not scored (rules/zrm.yaml) before validation."""
        data = self.with_municipality_id(self.with_zrm_domains(data))
        try:
            return parse(data, source)
        except InputError as exc:
            given = data.get("municipality") if isinstance(data, dict) else None
            unknown = self.book.unknown_municipality(given) if isinstance(given, str) else None
            if unknown and "municipality" not in exc.fields:
                raise InputError([*exc.problems, ("municipality", unknown)], source) from None
            if unknown and given.lower() in self.book.municipalities:
                # a known id capitalised ('Leiden'): the spelling rules, and the id to write
                raise InputError([(f, m + (f" (did you mean '{given.lower()}'?)" if f == "municipality" else ""))
                                  for f, m in exc.problems], source) from None
            if unknown and re.fullmatch(CODE_PATTERN, given, re.I):
                # a CBS code no pack has: say which codes there are, not the id's spelling
                others = [p for p in exc.problems if p[0] != "municipality"]
                raise InputError([*others, ("municipality", unknown)], source) from None
            raise

    def with_municipality_id(self, data: Any) -> Any:
        """The document with a municipality given by its CBS code (GM0546) named by its id
        (leiden), so that the advice is the same whichever the input gave."""
        if isinstance(data, dict) and isinstance(data.get("municipality"), str):
            mid = self.book.municipality_id(data["municipality"])
            if mid != data["municipality"]:
                return {**data, "municipality": mid}
        return data

    def with_zrm_domains(self, data: Any) -> Any:
        """An Assessment or Case document whose `zrm` scores fill the life domains it does not score."""
        if not isinstance(data, dict):
            return data
        assessments = data.get("assessments")
        if "zrm" not in data and not (isinstance(assessments, list)
                                      and any(isinstance(a, dict) and "zrm" in a for a in assessments)):
            return data
        from .zrm import fill_case, fill_domains, load_crosswalk

        crosswalk = load_crosswalk(self.book)
        return fill_case(crosswalk, data) if is_case(data) else fill_domains(crosswalk, data)

    def _with_zrm_note(self, rec: Recommendation, assessment: Assessment) -> Recommendation:
        if not assessment.zrm:
            return rec
        from .zrm import load_crosswalk, note

        return rec.model_copy(update={"warnings": [*rec.warnings, note(load_crosswalk(self.book), assessment)]})

    def check_known_ids(self, assessment: Assessment, source: str | None = None) -> None:
        problems = []
        unknown = self.book.unknown_municipality(assessment.municipality)
        if unknown:
            problems.append(("municipality", unknown))
        for index, iid in enumerate(assessment.current_interventions):
            if iid not in self.book.interventions:
                problems.append((f"current_interventions[{index}]",
                                 f"unknown intervention '{iid}'{suggest(iid, self.book.interventions)}"))
        problems += unknown_organisations(self.book, assessment.consent_to_share_with, "consent_to_share_with")
        if problems:
            raise InputError(problems, source)

    def validate_case(self, data: Any, source: str | None = None) -> Case:
        """The Case `recommend` advises on, or the InputError it raises for this input: the
        model, the history's consistency (engine/case.py) and every id the rules must know.
        `recommend` goes through here, so a caller that validates first (the case store,
        before every write) refuses exactly what `recommend` would."""
        case = self._parsed(parse_case, data, source)
        check_case_ids(self.book, case, source)
        return case

    def evaluate(self, data: Any, source: str | None = None) -> tuple[Assessment, dict[str, Any], dict[str, set[str]]]:
        """Validated assessment, its fact, and the rule ids that fired per rule set."""
        assessment = self._parsed(parse_assessment, data, source)
        self.check_known_ids(assessment, source)
        fact = build_fact(assessment)
        return assessment, fact, self._matcher.match(fact)

    def recommend(self, data: Any, source: str | None = None) -> Recommendation:
        """Advice for an Assessment, or for a Case (a document with `assessments`)."""
        if is_case(data):
            return self.recommend_case(self.validate_case(data, source), source)
        return self._advise(data, source, with_receipt=True)

    def recommend_compact(self, data: Any, source: str | None = None) -> str:
        """`to_compact(self.recommend(data, source))` (engine.render), the same text and the
        same errors, for `batch --compact`: an Assessment's advice is made without the receipt,
        which the compact form leaves out (its input hash serialises and hashes the whole
        validated input, some 6 % of a case's time)."""
        to_compact = _compact_writer()
        if is_case(data):
            return to_compact(self.recommend(data, source))
        return to_compact(self._advise(data, source, with_receipt=False))

    def _advise(self, data: Any, source: str | None, with_receipt: bool) -> Recommendation:
        assessment = self._parsed(parse_assessment, data, source)
        self.check_known_ids(assessment, source)
        # the same firings as evaluate's (a test holds them equal); builds only the keys matched
        fired = self._matcher.match_assessment(assessment)
        # the receipt goes in as the recommendation is built: no copy of it afterwards
        made = receipt(self.book, assessment, fired) if with_receipt else None
        return self._with_zrm_note(resolve(self.book, assessment, fired, made), assessment)

    def recommend_case(self, case: Case, source: str | None = None) -> Recommendation:
        """The current assessment's advice, adjusted for what the history says, with progress and due."""
        # imported here: the history rules' schema costs start-up time a plain assessment never needs
        from .history import adjust
        from .progress import progress

        check_case_ids(self.book, case, source)
        assessment = current_assessment(case)
        fired = self._matcher.match_assessment(assessment)
        rec = resolve(self.book, assessment, fired)
        rec = self._with_zrm_note(adjust(self.book, case, assessment, rec), assessment)
        update: dict[str, Any] = {"progress": progress(case, rec.client_profile.id),
                                  "receipt": receipt(self.book, case, fired, as_of(case), rec.trace)}
        slips = history_warnings(case)
        if slips:
            update["warnings"] = [*rec.warnings, *slips]
        return rec.model_copy(update=update)
