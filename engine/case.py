"""A Case (a client's file over time) in: validate its history, and derive the current Assessment.

    case = parse_case(data)            # InputError naming every bad field
    assessment = current_assessment(case)

A document with `assessments` is a Case; anything else is read as a plain Assessment
(`is_case`). The history must hold together: assessment dates strictly increasing, a goal
only for a life domain some assessment scored, no `ended` before `started` (nor a
`review_on` before `set_on`), a running or waiting-list entry without an end, and no date
after `as_of`. `as_of` defaults to the latest date in the case; nothing here reads the clock.
"""
from __future__ import annotations

import sys
from datetime import date as Date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import InputError, suggest
from .model import MUNICIPALITY_PATTERN_MESSAGE, Assessment, Warning

if TYPE_CHECKING:
    from .casemodel import Case, CaseAssessment, InterventionLogEntry

CURRENT_STATUSES = ("running", "waiting_list")  # these log entries count as current interventions


def is_case(data: Any) -> bool:
    if isinstance(data, dict):
        return "assessments" in data
    # a Case object exists only once engine.casemodel is loaded (a plain assessment never loads it)
    casemodel = sys.modules.get(f"{__package__}.casemodel")
    return casemodel is not None and isinstance(data, casemodel.Case)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "[key]" and not (isinstance(part, str) and part.startswith("function-after")):
            out += f".{part}" if out else str(part)
    return out


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    from . import model

    names = [p for p in loc if isinstance(p, str)]
    table: dict[tuple[str, ...], type] = {
        (): model.Case, ("household",): model.Household, ("assessments",): model.CaseAssessment,
        ("assessments", "household"): model.Household, ("assessments", "circumstances"): model.Circumstances,
        ("interventions_log",): model.InterventionLogEntry, ("goals",): model.Goal,
        ("contacts",): model.Contact, ("profile_history",): model.ProfileRecord,
    }
    if names[:1] == ["assessments"] and names[1:2] == ["domains"]:
        return list(model.DomainScore.model_fields)
    if names[:1] == ["assessments"] and names[1:2] == ["existing_support"]:
        return list(model.ExistingSupport.model_fields)
    found = table.get(tuple(names))
    return list(found.model_fields) if found else []


def parse_case(data: Any, source: str | None = None) -> Case:
    """Validate raw input into a Case, or raise InputError naming every bad field."""
    from .casemodel import Case

    if isinstance(data, Case):
        case = data
    else:
        if not isinstance(data, dict):
            raise InputError([("", f"a case must be a mapping (JSON object), got {type(data).__name__}")], source)
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = tuple(err["loc"])
                message = err["msg"]
                if err["type"] == "extra_forbidden":
                    name = str(loc[-1]) if loc else ""
                    message = "unknown field" + suggest(name, _known_fields(loc[:-1]))
                elif err["type"] == "string_pattern_mismatch" and loc == ("municipality",):
                    message = MUNICIPALITY_PATTERN_MESSAGE
                elif err["type"] == "value_error":
                    message = message.removeprefix("Value error, ")
                    if ": " in message and message.split(": ", 1)[0].startswith("domains."):
                        # an assessment's own validator names its domain; put it under that assessment
                        inner, message = message.split(": ", 1)
                        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-after")))
                        loc = loc + tuple(inner.split("."))
                problems.append((_path(loc), message))
            raise InputError(problems, source) from None
    problems = history_problems(case)
    if problems:
        raise InputError(problems, source)
    return case


def history_problems(case: Case) -> list[tuple[str, str]]:
    """What does not hold together in the case's history, each with its field path."""
    problems: list[tuple[str, str]] = []
    for index in range(1, len(case.assessments)):
        before, this = case.assessments[index - 1].date, case.assessments[index].date
        if this == before:
            problems.append((f"assessments[{index}].date", f"{this} is the date of assessments[{index - 1}] too; one assessment per date"))
        elif this < before:
            problems.append((f"assessments[{index}].date", f"{this} is before assessments[{index - 1}].date ({before}); list the assessments oldest first"))
    assessed = {domain for a in case.assessments for domain in a.domains}
    for index, goal in enumerate(case.goals):
        if goal.domain not in assessed:
            problems.append((f"goals[{index}].domain", f"no assessment scores the life domain '{goal.domain}'; a goal is set for an assessed domain"))
        if goal.review_on is not None and goal.review_on < goal.set_on:
            problems.append((f"goals[{index}].review_on", f"{goal.review_on} is before set_on ({goal.set_on})"))
    for index, entry in enumerate(case.interventions_log):
        if entry.ended is not None and entry.ended < entry.started:
            problems.append((f"interventions_log[{index}].ended", f"{entry.ended} is before started ({entry.started})"))
        if entry.ended is not None and entry.status in CURRENT_STATUSES:
            problems.append((f"interventions_log[{index}].ended", f"an entry with status '{entry.status}' has not ended; leave 'ended' out or change the status"))
    goal_ids: dict[str, int] = {}
    for index, goal in enumerate(case.goals):
        if goal.id in goal_ids:
            problems.append((f"goals[{index}].id", f"'{goal.id}' is also goals[{goal_ids[goal.id]}].id; a goal is listed "
                                                   "once (its review goes into that entry: review_on, gas_score)"))
        else:
            goal_ids[goal.id] = index
    starts: dict[tuple[str, Date], int] = {}
    for index, entry in enumerate(case.interventions_log):
        held = starts.setdefault((entry.id, entry.started), index)
        if held != index and case.interventions_log[held] != entry:
            other = case.interventions_log[held]
            problems.append((f"interventions_log[{index}].started",
                             f"'{entry.id}' started {entry.started} is also interventions_log[{held}], with another "
                             f"outcome (status '{entry.status}' against '{other.status}'); one entry per start: "
                             "correct it or leave one out"))
    if case.as_of is not None:
        for field, when in dated_fields(case):
            if when > case.as_of:
                problems.append((field, f"{when} is after as_of ({case.as_of})"))
    return problems


def history_warnings(case: Case) -> list[Warning]:
    """What in a valid history is probably a slip: the advice goes on, the coach is told.
    (A contradiction is an error instead: history_problems.)"""
    warnings: list[Warning] = []
    first = min(a.date for a in case.assessments)
    seen: dict[InterventionLogEntry, int] = {}
    for index, entry in enumerate(case.interventions_log):
        field = f"interventions_log[{index}]"
        if entry in seen:
            warnings.append(Warning(
                code="log_entry_twice", field=field,
                message_nl=f"{field} staat er twee keer in (gelijk aan interventions_log[{seen[entry]}]); het advies telt het één keer.",
                message_en=f"{field} is listed twice (the same as interventions_log[{seen[entry]}]); the advice counts it once."))
            continue
        seen[entry] = index
        if entry.started < first:
            warnings.append(Warning(
                code="log_entry_before_first_assessment", field=f"{field}.started",
                message_nl=f"'{entry.id}' begon op {entry.started}, vóór de eerste meting in de casus ({first}); "
                           "klopt de datum?",
                message_en=f"'{entry.id}' started on {entry.started}, before the case's first assessment ({first}); "
                           "is the date right?"))
        if entry.result is not None and entry.status in CURRENT_STATUSES:
            warnings.append(Warning(
                code="result_before_the_end", field=f"{field}.result",
                message_nl=f"'{entry.id}' heeft status '{entry.status}' en toch een resultaat; het advies leest het resultaat "
                           "pas als de interventie is afgerond of gestopt (pas de status aan).",
                message_en=f"'{entry.id}' has status '{entry.status}' and yet a result; the advice reads a result only once "
                           "the intervention is completed or stopped (update the status)."))
    for index, goal in enumerate(case.goals):
        # a slip, not a contradiction: a file may begin with a later assessment than the first
        if goal.set_on < first:
            warnings.append(Warning(
                code="goal_before_first_assessment", field=f"goals[{index}].set_on",
                message_nl=f"Doel '{goal.id}' is gesteld op {goal.set_on}, vóór de eerste meting in de casus ({first}); "
                           "klopt de datum?",
                message_en=f"Goal '{goal.id}' was set on {goal.set_on}, before the case's first assessment ({first}); "
                           "is the date right?"))
        if goal.gas_score is not None and goal.review_on is None:
            warnings.append(Warning(
                code="goal_score_without_review_on", field=f"goals[{index}].review_on",
                message_nl=f"Doel '{goal.id}' heeft een GAS-score maar geen datum van de evaluatie (review_on); vul die aan.",
                message_en=f"Goal '{goal.id}' has a GAS score but no review date (review_on); add it."))
    return warnings


def dated_fields(case: Case) -> list[tuple[str, Date]]:
    """Every date that says something happened, with its field path. A goal's `review_on`
    counts only once the goal is scored: before that it is the planned review date."""
    out: list[tuple[str, Date]] = [(f"assessments[{i}].date", a.date) for i, a in enumerate(case.assessments)]
    for i, entry in enumerate(case.interventions_log):
        out.append((f"interventions_log[{i}].started", entry.started))
        if entry.ended is not None:
            out.append((f"interventions_log[{i}].ended", entry.ended))
    for i, goal in enumerate(case.goals):
        out.append((f"goals[{i}].set_on", goal.set_on))
        if goal.review_on is not None and goal.gas_score is not None:
            out.append((f"goals[{i}].review_on", goal.review_on))
    out += [(f"contacts[{i}].date", c.date) for i, c in enumerate(case.contacts)]
    out += [(f"profile_history[{i}].date", p.date) for i, p in enumerate(case.profile_history)]
    return out


def days_after(day: Date, days: int) -> Date:
    """`day` plus `days`, held at the calendar's ends: a date sum never overflows, whatever
    date and whatever parameter it is given (the models bound input dates; this holds even
    for a date built in Python without them)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return Date.max if days > 0 else Date.min


def as_of(case: Case) -> Date:
    """'Today' for this case: as given, else the latest date in it (never the clock)."""
    if case.as_of is not None:
        return case.as_of
    return max(when for _, when in dated_fields(case))


def latest_log(case: Case) -> dict[str, tuple[int, Any]]:
    """Per intervention id, its latest log entry (by start date, then by place in the log) and that place."""
    latest: dict[str, tuple[int, Any]] = {}
    for index, entry in enumerate(case.interventions_log):
        held = latest.get(entry.id)
        if held is None or entry.started >= held[1].started:
            latest[entry.id] = (index, entry)
    return latest


def current_assessment(case: Case) -> Assessment:
    """The latest assessment as an Assessment: municipality and case_id from the case, age and
    household from the case (else from the assessment), and every intervention whose latest
    log entry is running or on a waiting list among the current interventions."""
    latest: CaseAssessment = case.assessments[-1]
    fields = latest.model_dump(exclude_unset=True, exclude={"date"})
    fields["municipality"] = case.municipality
    if case.case_id is not None:
        fields["case_id"] = case.case_id
    if case.age is not None:
        fields["age"] = case.age
    if case.household is not None:
        fields["household"] = case.household.model_dump(exclude_unset=True)
    current = list(latest.current_interventions)
    for _, entry in sorted(latest_log(case).values(), key=lambda pair: pair[0]):
        if entry.status in CURRENT_STATUSES and entry.id not in current:
            current.append(entry.id)
    if current:
        fields["current_interventions"] = current
    return Assessment.model_validate(fields)


def single_assessment_case(assessment: Assessment, on: Date) -> Case:
    """A plain Assessment as a Case with that one assessment on `on` (for tests and tools)."""
    data = assessment.model_dump(exclude_unset=True)
    municipality = data.pop("municipality", assessment.municipality)
    case_id = data.pop("case_id", None)
    top = {"municipality": municipality, "assessments": [{**data, "date": on}]}
    if case_id is not None:
        top["case_id"] = case_id
    from .casemodel import Case

    return Case.model_validate(top)


def check_case_ids(book: Any, case: Case, source: str | None = None) -> None:
    """The case's municipality and every intervention it names must be ones the rules know
    (history rules add a few interventions)."""
    from .history import trajectory_of

    known = trajectory_of(book).labels
    problems = []
    unknown = book.unknown_municipality(case.municipality)
    if unknown:
        problems.append(("municipality", unknown))
    for index, entry in enumerate(case.interventions_log):
        if entry.id not in known:
            problems.append((f"interventions_log[{index}].id", f"unknown intervention '{entry.id}'{suggest(entry.id, known)}"))
    for number, assessment in enumerate(case.assessments):
        for index, iid in enumerate(assessment.current_interventions):
            if iid not in book.interventions:
                problems.append((f"assessments[{number}].current_interventions[{index}]",
                                 f"unknown intervention '{iid}'{suggest(iid, book.interventions)}"))
        problems += unknown_organisations(book, assessment.consent_to_share_with,
                                          f"assessments[{number}].consent_to_share_with")
    if problems:
        raise InputError(problems, source)


_SOCIAL_MAP_IDS = ("social_map_ids",)


def unknown_organisations(book: Any, ids: list[str], field: str) -> list[tuple[str, str]]:
    """Consent is given to organisations of the social map by their id, nothing else: no name,
    no person, no contact detail can be written there. (An organisation of another
    municipality's map is known: the advice warns that it is not on this one.) The value is not
    repeated: whatever was typed there stays out of the message."""
    if not ids:  # (hot path) most cases name none: no need to gather the social map's ids
        return []
    known = book.cache.get(_SOCIAL_MAP_IDS)  # the rulebook's, gathered once (hot path)
    if known is None:
        known = book.cache[_SOCIAL_MAP_IDS] = frozenset(
            org for municipality in book.municipalities.values() for org in municipality.organisations)
    return [(f"{field}[{index}]", "not an organisation id of the social map (its pack's social_map.yaml); consent is given "
                                  "per organisation of the social map, e.g. " + ", ".join(sorted(known)[:3]))
            for index, org in enumerate(ids) if org not in known]
