"""History-aware plan adjustments: what the case's history changes in the step plan.

The rules live in rules/trajectory.yaml (parameters with their sources, paths of small
steps, and one rule per kind). `adjust` runs after resolution on whatever plan came out of
it, phases included: it drops, re-phases and adds interventions, adds `due` items and one
trace step per rule that fired, and keeps the phase contract (`now` at most three items,
`now` waits for nothing, `later` waits for something). Timing reads dates relative to the
case's as_of; nothing here reads the clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from .case import CURRENT_STATUSES, as_of, days_after, latest_log
from .errors import RuleError, suggest
from .model import (
    Advice, Assessment, Case, DueItem, InterventionLogEntry, Recommendation, Referral, SuggestedIntervention, TraceStep,
    Warning_,
)
from .report.render import dutch_date
from .resolve import source_label
from .rulebook import SOURCE_PATTERN, MunicipalityId, Rulebook, _Schema, _validate
from .yamlload import line_of, load_with_lines

FILE = "trajectory.yaml"
PHASES = ("now", "next", "later")
KINDS = ("running_not_again", "completed_not_again", "not_now_after_no_result", "not_now_after_decline",
         "next_step", "home_visit", "reapproach", "reapproach_trajectory", "ask_why_stopped",
         "recalibrate_profile", "review_goals", "warm_handover")
STATUS_NL = {"running": "loopt", "completed": "afgerond", "stopped": "gestopt", "declined": "afgewezen",
             "waiting_list": "wachtlijst"}
RESULT_NL = {"improved": "verbeterd", "no_change": "geen verandering", "worse": "verslechterd", None: "onbekend"}


# ------------------------------------------------------------------ the file


class ParameterIn(_Schema):
    value: int = Field(ge=0)
    unit: str
    description: str = Field(min_length=1)
    source: str = Field(pattern=SOURCE_PATTERN)


class StepIn(_Schema):
    intervention: str
    wishes: list[str] = Field(default_factory=list)


class PathIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    steps: list[StepIn] = Field(min_length=2)
    source: str = Field(pattern=SOURCE_PATTERN)


class CatalogueIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    source: str = Field(pattern=SOURCE_PATTERN)


class HistoryRuleIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    parameter: str | None = None
    due: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]+$")
    municipalities: list[MunicipalityId] | None = None  # of the rules' packs (load_trajectory checks)
    # the rule holds everywhere but in these (one pilot's own way differs; a new pack is not among them)
    except_municipalities: list[MunicipalityId] | None = None
    instead: str | None = None
    text_nl: str | None = None
    text_en: str | None = None
    instead_nl: str | None = None
    instead_en: str | None = None
    advice_nl: str | None = None
    advice_en: str | None = None
    receiving: str | None = None  # warm_handover: the intervention whose organisation receives, when nothing runs
    source: str = Field(pattern=SOURCE_PATTERN)


class AlwaysNowIn(_Schema):
    interventions: list[str]
    source: str = Field(pattern=SOURCE_PATTERN)


class TrajectoryFile(_Schema):
    parameters: dict[str, ParameterIn]
    always_now: AlwaysNowIn
    paths: list[PathIn] = Field(default_factory=list)
    interventions: list[CatalogueIn] = Field(default_factory=list)
    rules: list[HistoryRuleIn] = Field(min_length=1)


# what each kind needs from its rule entry
_NEEDS = {
    "not_now_after_no_result": ("instead", "text_nl", "text_en", "instead_nl", "instead_en"),
    "not_now_after_decline": ("text_nl", "text_en"),
    "completed_not_again": ("text_nl", "text_en"),
    "reapproach_trajectory": ("parameter", "due", "text_nl", "text_en"),
    "ask_why_stopped": ("text_nl", "text_en"),
    "next_step": ("text_nl", "text_en"),
    "home_visit": ("parameter", "text_nl", "text_en"),
    "reapproach": ("parameter", "due", "text_nl", "text_en"),
    "recalibrate_profile": ("parameter", "due", "text_nl", "text_en"),
    "review_goals": ("parameter", "due", "text_nl", "text_en"),
    "warm_handover": ("text_nl", "text_en", "advice_nl", "advice_en"),
}
# parameters a kind reads besides its own `parameter`
_READS = {"warm_handover": ("handover_self_reliance_at_least", "handover_stable_assessments", "handover_ladder_rise_at_least")}


@dataclass(frozen=True)
class Label:
    label_nl: str
    label_en: str
    domain: str | None
    source: str


@dataclass(frozen=True)
class Trajectory:
    file: str
    parameters: dict[str, int]
    rules: list[HistoryRuleIn]
    paths: list[tuple[str, tuple[tuple[str, frozenset[str]], ...]]]
    labels: dict[str, Label]  # every intervention these rules may name or add
    always_now: frozenset[str] = frozenset()  # added in `now` even when it is full, never moved out


def load_trajectory(book: Rulebook) -> Trajectory:
    """rules/trajectory.yaml, checked against the rulebook: every id known, every parameter there."""
    path = Path(book.directory) / FILE
    display = str(path)
    if not path.exists():
        raise RuleError(display, None, "rule file missing (the history-aware rules)")
    raw = load_with_lines(path, display)
    parsed = _validate(TrajectoryFile, raw, display)

    labels = {iid: Label(i.label_nl, i.label_en, i.domain, i.source) for iid, i in book.interventions.items()}
    for item in parsed.interventions:
        labels.setdefault(item.id, Label(item.label_nl, item.label_en, None, item.source))
    from .model import Wish

    wishes = set(Wish.__args__)  # type: ignore[attr-defined]
    paths = []
    for p in parsed.paths:
        steps = []
        for step in p.steps:
            if step.intervention not in labels:
                raise RuleError(display, step.line, f"unknown intervention '{step.intervention}'{suggest(step.intervention, labels)}", p.id)
            for wish in step.wishes:
                if wish not in wishes:
                    raise RuleError(display, step.line, f"unknown wish '{wish}'{suggest(wish, wishes)}", p.id)
            steps.append((step.intervention, frozenset(step.wishes)))
        paths.append((p.id, tuple(steps)))
    seen: set[str] = set()
    for number, rule in enumerate(parsed.rules):
        if rule.id in seen:
            raise RuleError(display, rule.line, f"duplicate rule id '{rule.id}'", rule.id)
        seen.add(rule.id)
        for key in _NEEDS.get(rule.kind, ()):
            if getattr(rule, key) is None:
                raise RuleError(display, rule.line, f"a '{rule.kind}' rule needs '{key}'", rule.id)
        for name in ((rule.parameter,) if rule.parameter else ()) + _READS.get(rule.kind, ()):
            if name not in parsed.parameters:
                raise RuleError(display, rule.line, f"unknown parameter '{name}'{suggest(name, parsed.parameters)}", rule.id)
        for listing in ("municipalities", "except_municipalities"):
            for mid in getattr(rule, listing) or ():
                if mid not in book.municipalities:
                    raise RuleError(display, line_of(raw, ("rules", number, listing)) or rule.line,
                                    f"{listing}: '{mid}' is not a municipality of the rules (a pack in municipalities/){suggest(mid, book.municipalities)}", rule.id)
        if rule.municipalities is not None and rule.except_municipalities is not None:
            raise RuleError(display, rule.line, "give 'municipalities' or 'except_municipalities', not both", rule.id)
        if rule.receiving is not None and rule.receiving not in labels:
            raise RuleError(display, rule.line, f"unknown intervention '{rule.receiving}'{suggest(rule.receiving, labels)}", rule.id)
        if rule.instead is not None and rule.instead not in labels:
            raise RuleError(display, rule.line, f"unknown intervention '{rule.instead}'{suggest(rule.instead, labels)}", rule.id)
    for iid in parsed.always_now.interventions:
        if iid not in labels:
            raise RuleError(display, line_of(raw, ("always_now", "interventions")),
                            f"always_now: unknown intervention '{iid}'{suggest(iid, labels)}")
    for kind, iid in (("home_visit", "home_visit"), ("warm_handover", "warm_handover")):
        if any(r.kind == kind for r in parsed.rules) and iid not in labels:
            raise RuleError(display, None, f"the '{kind}' rule adds '{iid}', which neither interventions.yaml nor this file lists")
    return Trajectory(display, {k: v.value for k, v in parsed.parameters.items()}, list(parsed.rules), paths, labels,
                      frozenset(parsed.always_now.interventions))


def trajectory_of(book: Rulebook) -> Trajectory:
    """The history rules for this rulebook, loaded once (kept beside resolve's cache)."""
    found = book.cache.get(("trajectory",))
    if found is None:
        found = book.cache[("trajectory",)] = load_trajectory(book)
    return found


# ------------------------------------------------------------------ the stage


@dataclass
class _Plan:
    """The recommendation being adjusted."""

    book: Rulebook
    rules: Trajectory
    case: Case
    assessment: Assessment
    today: Date
    items: list[SuggestedIntervention]
    trace: list[TraceStep] = field(default_factory=list)
    due: list[DueItem] = field(default_factory=list)
    advice: list[Advice] = field(default_factory=list)
    added_or_dropped: bool = False
    changed: bool = False

    def index(self, iid: str) -> int | None:
        return next((i for i, item in enumerate(self.items) if item.id == iid), None)

    def fire(self, rule: HistoryRuleIn, outcome: str) -> None:
        key = ("history_step", rule.id, outcome)  # frozen and few: built once per rulebook (hot path)
        step = self.book.cache.get(key)
        if step is None:
            step = self.book.cache[key] = TraceStep(rule=f"trajectory/{rule.id}", file=FILE, line=rule.line,
                                                    kind="history", outcome=outcome, source=rule.source)
        self.trace.append(step)

    def now_count(self) -> int:
        return sum(1 for item in self.items if item.phase == "now")

    def add(self, rule: HistoryRuleIn, iid: str, rationale_nl: str, rationale_en: str, first: bool = False) -> None:
        label = self.rules.labels[iid]
        service = self.book.municipalities[self.assessment.municipality].services.get(iid)
        pinned = iid in self.rules.always_now
        phase = "now" if pinned or self.now_count() < self.book.resolution.step_plan.now_at_most else "next"
        item = SuggestedIntervention(
            id=iid, label_nl=label.label_nl, label_en=label.label_en, domain=label.domain,
            rationale=rationale_nl, rationale_en=rationale_en, rule=f"trajectory/{rule.id}", source=rule.source,
            source_label=source_label(self.book, rule.source), referral_to=service.organisation if service else None, phase=phase, waits_for=[])
        if first:  # before everything but the urgent steps (safety and acute matters stay first)
            at = next((i for i, it in enumerate(self.items) if not it.urgent), len(self.items))
            self.items.insert(at, item)
        elif phase == "now":
            at = max((i + 1 for i, it in enumerate(self.items) if it.phase == "now"), default=0)
            self.items.insert(at, item)
        else:
            at = max((i + 1 for i, it in enumerate(self.items) if it.phase in ("now", "next")), default=0)
            self.items.insert(at, item)
        self.added_or_dropped = self.changed = True

    def rephase(self, index: int, phase: str, waits_for: list[str]) -> None:
        self.items[index] = self.items[index].model_copy(update={"phase": phase, "waits_for": waits_for})
        self.changed = True


def _fmt(template: str, dutch: bool = True, **values: Any) -> str:
    """A rule's text with its values; dates in Dutch words in a Dutch text ('3 maart 2026')."""
    return template.format(**{k: dutch_date(v) if dutch and isinstance(v, Date) else str(v) for k, v in values.items()})


def _when(entry: InterventionLogEntry) -> Date:
    return entry.ended or entry.started


def _history_nl(entry: InterventionLogEntry) -> str:
    """What happened to a step, in the words a coach writes: 'afgewezen op 3 maart 2026'."""
    when = dutch_date(_when(entry))
    if entry.status == "declined":
        return f"afgewezen op {when}"
    if entry.status == "stopped":
        return f"gestopt zonder resultaat op {when}" if entry.result in (None, "no_change") else f"gestopt op {when} ({RESULT_NL[entry.result]})"
    if entry.status == "completed" and entry.result in ("no_change", "worse"):
        return f"afgerond zonder verbetering op {when}" if entry.result == "no_change" else f"afgerond op {when}, maar verslechterd"
    return f"{STATUS_NL.get(entry.status, entry.status)} op {when}"


def _failed(entry: InterventionLogEntry) -> bool:
    """Declined, stopped or completed without result: what a step must no longer wait for."""
    return entry.status == "declined" or _tried_without_result(entry)


def _label(plan: _Plan, iid: str) -> str:
    label = plan.rules.labels.get(iid)
    return label.label_nl if label else iid


def _label_en(plan: _Plan, iid: str) -> str:
    label = plan.rules.labels.get(iid)
    return label.label_en if label else iid


def _tried_without_result(entry: InterventionLogEntry) -> bool:
    return entry.status == "stopped" or (entry.status == "completed" and entry.result in ("no_change", "worse"))


def _running_not_again(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]], reached: set[str]) -> None:
    for _, entry in latest.values():
        if entry.status not in CURRENT_STATUSES:
            continue
        index = plan.index(entry.id)
        if index is not None:
            del plan.items[index]  # the plan suggested it after all (a rule that does not look at what runs)
            plan.added_or_dropped = plan.changed = True
            plan.fire(rule, f"{entry.status}:dropped:{entry.id}")
        elif entry.id in reached:
            plan.fire(rule, f"{entry.status}:not_suggested_again:{entry.id}")


def _not_now(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    no_result = rule.kind == "not_now_after_no_result"
    demoted: list[str] = []
    for _, entry in latest.values():
        wanted = _tried_without_result(entry) if no_result else entry.status == "declined"
        if not wanted:
            continue
        index = plan.index(entry.id)
        if index is None:
            continue
        item = plan.items[index]
        if item.urgent:
            plan.fire(rule, f"kept_now_urgent:{entry.id}")  # safety and acute matters stay in `now`
            continue
        values = {"label": _label(plan, entry.id), "history": _history_nl(entry), "status": STATUS_NL.get(entry.status, entry.status),
                  "result": RESULT_NL.get(entry.result, entry.result), "declined": _when(entry), "ended": _when(entry)}
        values_en = {**values, "label": _label_en(plan, entry.id), "status": entry.status, "result": entry.result or "unknown",
                     "history": f"{entry.status} on {_when(entry)}"}
        # the history reaches the words: the step says when it was declined or stopped
        said_nl, said_en = _fmt(rule.text_nl, **values), _fmt(rule.text_en, dutch=False, **values_en)
        update = {"rationale": f"{said_nl} {item.rationale}".strip(), "rationale_en": f"{said_en} {item.rationale_en}".strip()}
        if item.phase == "later":
            plan.items[index] = item.model_copy(update=update)
            plan.changed = True
            continue
        wait = rule.instead if no_result else "trust"  # a decline waits for trust; something else comes now
        plan.items[index] = item.model_copy(update=update)
        plan.rephase(index, "later", list(dict.fromkeys([*item.waits_for, wait])))  # keep what it already waited for
        demoted.append(entry.id)
        plan.fire(rule, f"later:{entry.id}")
    if demoted and rule.instead is not None:
        instead = rule.instead
        tried = ", ".join(f"‘{_label(plan, iid)}’ ({_history_nl(latest[iid][1])})" for iid in demoted)
        held = latest.get(instead)
        if plan.index(instead) is None and not (held is not None and held[1].status in CURRENT_STATUSES):
            plan.add(rule, instead, _fmt(rule.instead_nl, tried=tried),
                     _fmt(rule.instead_en, dutch=False, tried=", ".join(_label_en(plan, iid) for iid in demoted)))
            plan.fire(rule, f"added:{instead}")


def _never_wait_for_failed(plan: _Plan, latest: dict[str, tuple[int, InterventionLogEntry]], instead: str | None) -> None:
    """A step never waits for one that was declined, stopped or brought nothing: it waits for
    what is tried in its place (or for trust, when nothing is)."""
    failed = {iid for iid, (_, entry) in latest.items() if _failed(entry)}
    if not failed:
        return
    for index, item in enumerate(plan.items):
        if not failed & set(item.waits_for):
            continue
        replacement = instead if instead is not None and instead != item.id and plan.index(instead) is not None else "trust"
        waits = list(dict.fromkeys(replacement if w in failed else w for w in item.waits_for))
        plan.rephase(index, item.phase, waits)


def _completed_not_again(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    """A step completed with improvement is never offered again (safety and acute matters excepted)."""
    for _, entry in latest.values():
        if not (entry.status == "completed" and entry.result == "improved"):
            continue
        index = plan.index(entry.id)
        if index is None or plan.items[index].urgent:
            continue
        del plan.items[index]
        plan.added_or_dropped = plan.changed = True
        plan.fire(rule, f"completed_not_again:{entry.id}")


def _ask_why_stopped(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    stopped = [entry for _, entry in latest.values() if entry.status == "stopped"]
    if not stopped:
        return
    said = ", ".join(f"‘{_label(plan, e.id)}’ ({_history_nl(e)})" for e in stopped)
    said_en = ", ".join(f"{_label_en(plan, e.id)} (stopped on {_when(e)})" for e in stopped)
    plan.advice.append(Advice(id="ask_why_stopped", text_nl=_fmt(rule.text_nl, stopped=said),
                              text_en=_fmt(rule.text_en, dutch=False, stopped=said_en),
                              rule=f"trajectory/{rule.id}", source=rule.source))
    plan.fire(rule, "advice:ask_why_stopped")


def _next_step(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    wishes = set(plan.assessment.wishes)
    for _, entry in latest.values():
        if not (entry.status == "completed" and entry.result == "improved"):
            continue
        for _path_id, steps in plan.rules.paths:
            ids = [iid for iid, _ in steps]
            if entry.id not in ids[:-1]:
                continue
            following, wanted = steps[ids.index(entry.id) + 1]
            if following in latest:
                if latest[following][1].status not in ("running", "waiting_list", "completed"):
                    continue  # tried and stopped or declined: its own log entry decides
                # the next step runs or ran: the client is past this one too (dropped below)
            elif plan.index(following) is not None:
                plan.fire(rule, f"next_in_plan:{following}")
            elif wanted and not wanted & wishes:
                continue  # only when the client wants it
            else:
                plan.add(rule, following, _fmt(rule.text_nl, previous=_label(plan, entry.id)),
                         _fmt(rule.text_en, previous=_label_en(plan, entry.id)))
                plan.fire(rule, f"added:{following}")
            done = plan.index(entry.id)
            if done is not None and not plan.items[done].urgent:
                del plan.items[done]  # the client moved past it: the next step replaces it
                plan.added_or_dropped = plan.changed = True
                plan.fire(rule, f"completed_not_again:{entry.id}")


def _home_visit(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    calls = 0
    for contact in sorted(plan.case.contacts, key=lambda c: c.date):  # stable: same-day contacts keep their order
        if contact.reached or contact.kind == "home_visit":
            calls = 0
        elif contact.kind == "phone":
            calls += 1
    threshold = plan.rules.parameters[rule.parameter]
    if calls < threshold or plan.index("home_visit") is not None:
        return
    running = latest.get("home_visit")
    if running is not None and running[1].status in CURRENT_STATUSES:
        return
    plan.add(rule, "home_visit", _fmt(rule.text_nl, calls=calls), _fmt(rule.text_en, calls=calls), first=True)
    plan.fire(rule, "added:home_visit")


def _due(plan: _Plan, rule: HistoryRuleIn, due_on: Date, values: dict[str, Any], values_en: dict[str, Any] | None = None) -> bool:
    if plan.today < due_on:
        return False
    plan.due.append(DueItem(id=rule.due, reason_nl=_fmt(rule.text_nl, due_on=due_on, **values),
                            reason_en=_fmt(rule.text_en, dutch=False, due_on=due_on, **{**values, **(values_en or {})}),
                            rule=f"trajectory/{rule.id}", source=rule.source, due_on=due_on))
    plan.fire(rule, f"due:{rule.due}")
    return True


def _reapproach(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    days = plan.rules.parameters[rule.parameter]
    for _, entry in latest.values():
        if entry.status != "declined":
            continue
        declined = entry.ended or entry.started
        due_on = days_after(declined, days)
        if any(c.reached and c.date >= due_on for c in plan.case.contacts):
            continue  # the client was reached again after the month: the reapproach happened
        _due(plan, rule, due_on, {"label": _label(plan, entry.id), "declined": declined}, {"label": _label_en(plan, entry.id)})


def _reapproach_trajectory(plan: _Plan, rule: HistoryRuleIn) -> None:
    """The client declines the whole trajectory (open_to_support: false in the latest assessment):
    the reapproach is due a month after the decline, as for a declined step."""
    assessments = plan.case.assessments
    if not assessments or assessments[-1].open_to_support:
        return
    since = len(assessments) - 1
    while since > 0 and not assessments[since - 1].open_to_support:
        since -= 1  # the first assessment of the run that declines: when the client said no
    declined = assessments[since].date
    due_on = days_after(declined, plan.rules.parameters[rule.parameter])
    if any(c.reached and c.date >= due_on for c in plan.case.contacts):
        return  # reached again after the month: the reapproach happened
    _due(plan, rule, due_on, {"declined": declined})


def _recalibrate(plan: _Plan, rule: HistoryRuleIn) -> None:
    if not plan.case.profile_history:
        return
    record = max(enumerate(plan.case.profile_history), key=lambda pair: (pair[1].date, pair[0]))[1]
    days = plan.rules.parameters[rule.parameter]
    labels = plan.book.profile_labels.get(record.id)
    _due(plan, rule, days_after(record.date, days), {"profile": labels.label_nl if labels else record.id, "given": record.date},
         {"profile": labels.label_en if labels else record.id})


def _review_goals(plan: _Plan, rule: HistoryRuleIn) -> None:
    days = plan.rules.parameters[rule.parameter]
    open_goals = [(goal.review_on or days_after(goal.set_on, days), goal) for goal in plan.case.goals if goal.gas_score is None]
    late = [(due_on, goal) for due_on, goal in open_goals if due_on <= plan.today]
    if late:
        count = len(late)
        _due(plan, rule, min(d for d, _ in late),
             {"count": count, "goals": "doel" if count == 1 else "doelen", "set_on": min(g.set_on for _, g in late)},
             {"goals": "goal" if count == 1 else "goals"})


def _warm_handover(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> None:
    p = plan.rules.parameters
    level, stable, rise = p["handover_self_reliance_at_least"], p["handover_stable_assessments"], p["handover_ladder_rise_at_least"]
    assessments = plan.case.assessments
    if len(assessments) < max(stable, 1):
        return
    if not all(score.self_reliance >= level for a in assessments[-stable:] for score in a.domains.values()):
        return
    rungs = [a.ladder_rung for a in assessments if a.ladder_rung is not None]
    if len(rungs) < 2 or rungs[-1] - rungs[0] < rise:
        return
    held = latest.get("warm_handover")
    if plan.index("warm_handover") is not None or (held is not None and held[1].status in CURRENT_STATUSES):
        return
    organisation = _receiving(plan, rule, latest)
    name = plan.book.municipalities[plan.assessment.municipality].organisations.get(organisation or "", "")
    values = {"level": level, "ladder_from": rungs[0], "ladder_to": rungs[-1],
              "receiving": name or "de organisatie waar de deelnemer verder gaat"}
    values_en = {**values, "receiving": name or "the organisation where the client goes on"}
    plan.add(rule, "warm_handover", _fmt(rule.text_nl, **values), _fmt(rule.text_en, dutch=False, **values_en), first=True)
    if organisation is not None:
        at = plan.index("warm_handover")
        plan.items[at] = plan.items[at].model_copy(update={"referral_to": organisation})
    plan.advice.append(Advice(id="closing", text_nl=rule.advice_nl, text_en=rule.advice_en,
                              rule=f"trajectory/{rule.id}", source=rule.source))
    plan.fire(rule, "added:warm_handover")


def _receiving(plan: _Plan, rule: HistoryRuleIn, latest: dict[str, tuple[int, InterventionLogEntry]]) -> str | None:
    """Who takes over at closing: the organisation of what the client still does (a running
    intervention another organisation offers), else the one offering `receiving`."""
    municipality = plan.book.municipalities[plan.assessment.municipality]
    for _, entry in sorted(latest.values(), key=lambda pair: pair[0], reverse=True):
        service = municipality.services.get(entry.id)
        if entry.status in CURRENT_STATUSES and service is not None and service.organisation != municipality.pilot_organisation:
            return service.organisation
    service = municipality.services.get(rule.receiving) if rule.receiving else None
    return service.organisation if service is not None else None


def _reached(book: Rulebook, rec: Recommendation) -> set[str]:
    """Interventions the flowchart reached but did not suggest because they already run."""
    nodes = book.flowchart.nodes
    out = set()
    for step in rec.trace:
        node = nodes.get(step.rule.partition("/")[2])
        if node is not None and node.intervention and step.outcome == "already_running":
            out.add(node.intervention)
    return out


def _keep_phase_contract(items: list[SuggestedIntervention], now_at_most: int,
                         always_now: frozenset[str]) -> list[SuggestedIntervention]:
    """`now` at most `now_at_most` (resolution.yaml; the last ones neither urgent nor in
    trajectory.yaml's `always_now` move to `next`), then the phases in order, each keeping
    its "do first, first" order."""
    now = [i for i, item in enumerate(items) if item.phase == "now"]
    excess = len(now) - now_at_most
    for i in reversed(now):
        if excess <= 0:
            break
        if not items[i].urgent and items[i].id not in always_now:
            items[i] = items[i].model_copy(update={"phase": "next", "waits_for": []})
            excess -= 1
    rank = {phase: n for n, phase in enumerate(PHASES)}
    return sorted(items, key=lambda item: rank.get(item.phase, len(PHASES)))


def adjust(book: Rulebook, case: Case, assessment: Assessment, rec: Recommendation) -> Recommendation:
    """The recommendation for the case's current assessment, adjusted for its history."""
    rules = trajectory_of(book)
    today = as_of(case)
    plan = _Plan(book, rules, case, assessment, today, list(rec.interventions))
    # per intervention its latest entry, in log order (the order every rule walks them in)
    latest = dict(sorted(latest_log(case).items(), key=lambda item: item[1][0]))
    reached = _reached(book, rec)
    for rule in rules.rules:
        if rule.municipalities is not None and case.municipality not in rule.municipalities:
            continue
        if rule.except_municipalities is not None and case.municipality in rule.except_municipalities:
            continue
        kind = rule.kind
        if kind == "running_not_again":
            _running_not_again(plan, rule, latest, reached)
        elif kind == "completed_not_again":
            _completed_not_again(plan, rule, latest)
        elif kind in ("not_now_after_no_result", "not_now_after_decline"):
            _not_now(plan, rule, latest)
            _never_wait_for_failed(plan, latest, rule.instead)
        elif kind == "reapproach_trajectory":
            _reapproach_trajectory(plan, rule)
        elif kind == "ask_why_stopped":
            _ask_why_stopped(plan, rule, latest)
        elif kind == "next_step":
            _next_step(plan, rule, latest)
        elif kind == "home_visit":
            _home_visit(plan, rule, latest)
        elif kind == "reapproach":
            _reapproach(plan, rule, latest)
        elif kind == "recalibrate_profile":
            _recalibrate(plan, rule)
        elif kind == "review_goals":
            _review_goals(plan, rule)
        elif kind == "warm_handover":
            _warm_handover(plan, rule, latest)

    update: dict[str, Any] = {"due": plan.due}
    if plan.trace:
        update["trace"] = [*rec.trace, *plan.trace]
    if plan.advice:
        update["advice"] = [*rec.advice, *plan.advice]
    if plan.changed:
        update["interventions"] = _keep_phase_contract(plan.items, book.resolution.step_plan.now_at_most, rules.always_now)
    if plan.added_or_dropped:
        update.update(_referrals(book, assessment, update["interventions"], rec, update.get("advice", rec.advice)))
    return rec.model_copy(update=update)


def _with_handovers(book: Rulebook, assessment: Assessment, items: list[SuggestedIntervention],
                    referrals: list[Referral]) -> tuple[list[Referral], list[Warning_]]:
    """The referrals with the closing handover's: a step with `referral_to` that the social map
    does not offer (the warm handover) hands the client over to that organisation, warmly and
    with what the client told (so only with consent, seed:L2778-2780), in the same referral as
    whatever else that organisation is asked for."""
    from .resolve import consent_missing

    municipality = book.municipalities[assessment.municipality]
    handed = [item for item in items if item.referral_to and item.id not in municipality.services]
    if not handed:
        return referrals, []
    out, warnings = list(referrals), []
    names = municipality.organisations
    for item in handed:
        organisation = item.referral_to
        at = next((i for i, ref in enumerate(out) if ref.organisation == organisation), None)
        before = out[at].for_ if at is not None else []
        consent = assessment.consent_to_share or organisation in assessment.consent_to_share_with
        ref = Referral.model_validate({"organisation": organisation, "name": names.get(organisation, organisation),
                                       "warm_handover": True, "consent_required": True, "consent_given": consent,
                                       "for": [*before, item.id]})
        if at is None:
            out.append(ref)
        else:
            out[at] = ref
        if not consent:
            warnings.append(consent_missing(book, ref))
    return out, warnings


def _referrals(book: Rulebook, assessment: Assessment, items: list[SuggestedIntervention], rec: Recommendation,
               advice: list[Advice]) -> dict[str, Any]:
    """Referrals (and their consent warnings and advice) again, for the plan as adjusted."""
    from .resolve import refer

    referrals, ref_warnings = refer(book, assessment, items)
    referrals, handover_warnings = _with_handovers(book, assessment, items, referrals)
    ref_warnings += handover_warnings
    own = {"no_organisation", "consent_missing"}
    warnings = [w for w in rec.warnings if w.code not in own] + ref_warnings
    consent = book.resolution.consent
    advice = [a for a in advice if not (a.id.startswith("consent_") and a.rule == "resolution/consent")]
    for ref in referrals:
        if ref.consent_required:
            nl, en = (consent.given_nl, consent.given_en) if ref.consent_given else (consent.missing_nl, consent.missing_en)
            advice.append(Advice(id=f"consent_{ref.organisation}", text_nl=nl.format(name=ref.name),
                                 text_en=en.format(name=ref.name), rule="resolution/consent", source=consent.source))
    return {"referrals": referrals, "warnings": warnings, "advice": advice}
