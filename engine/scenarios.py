"""Scenario files: named cases beside each rule file that say which rules must fire and which stay silent.

A scenario file (`rules/<rules>.test.yaml`) is data:

    defaults:                      # optional; deep-merged under every case's assessment
      municipality: leiden
    cases:
      - name: debts lead to debt counselling first
        assessment: {...}          # merged over defaults (mappings merge, lists replace)
        # or, for a client's file over time: case: {assessments: [...], interventions_log: [...], ...}
        fires: [q_debts, a_debt_counselling]
        silent: [q_rent_arrears, a_eviction_prevention]
        expect: {first: debt_counselling, ...}
        xfail: "reason"            # optional: a known rule problem; never counts as coverage

`fires` / `silent` name flowchart nodes, profile rules or lead rules (bare id, or
`<file stem>/<id>` when an id is ambiguous):

    decision node   fires: reached and took `yes`      silent: reached and took `no`
    history rule    fires: it changed the plan or made  silent: it did not
                    something due (a trace step)        (trajectory.yaml, for a `case`)
    action node     fires: suggested                    silent: not suggested (not reached,
                                                        already running, covered, duplicate)
    profile / lead  fires: the rule chosen              silent: not chosen

`expect` keys (all optional): interventions, not_interventions, only_interventions (the
exact set, [] for none), order, first, profile, lead_role, collaboration, referrals,
consent_required, consent_given, advice, not_advice, warnings, not_warnings, due, not_due
(ids in `due`), error_fields (the case must be rejected with an InputError naming these
field paths); for the step plan: now, next, later (exactly these ids in that phase, in
this order), not_now, waiting_for_trust (these ids are `later`, waiting for trust), and
phases (intervention id -> now | next | later).

The loader checks every id against the rulebook when the file is loaded, so a typo is an
error naming file:line (with a suggestion), not a silently passing case. `run_file`,
`run_paths` and `coverage` are what `wegwijzer test` and the pytest suite call.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import InputError, RuleError, WegwijzerError, suggest
from .yamlload import load_with_lines, strip_lines

if TYPE_CHECKING:
    from .api import Engine
    from .model import Recommendation
    from .rulebook import Rulebook

SUFFIX = ".test.yaml"
CASE_KEYS = ("name", "assessment", "case", "fires", "silent", "expect", "xfail")
LIST_EXPECTS = (
    "interventions", "not_interventions", "only_interventions", "order", "referrals",
    "consent_required", "advice", "not_advice", "warnings", "not_warnings", "error_fields",
    "now", "next", "later", "not_now", "waiting_for_trust", "consent_given", "due", "not_due",
)
SCALAR_EXPECTS = ("first", "profile", "lead_role", "collaboration")
MAPPING_EXPECTS = ("phases",)
EXPECT_KEYS = LIST_EXPECTS + SCALAR_EXPECTS + MAPPING_EXPECTS
PROFILE_IDS = ("work_activation", "social_activation", "social_activation_with_treatment", "income_support")
COLLABORATIONS = ("multidisciplinary_team", "case_management", "central_contact", "referral")


class ScenarioError(RuleError):
    """A scenario file that cannot be loaded: names file, line and (where known) the case."""


# ------------------------------------------------------------------ loaded data


@dataclass(frozen=True)
class RuleRef:
    """One rule a case names under fires/silent: a flowchart node, a profile rule or a lead rule."""

    kind: str  # decision | action | profile | lead | history
    id: str

    @property
    def key(self) -> str:
        group = {"decision": "node", "action": "node", "profile": "profile", "lead": "lead", "history": "history"}[self.kind]
        return f"{group}:{self.id}"


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    name: str
    assessment: dict[str, Any]
    fires: tuple[RuleRef, ...] = ()
    silent: tuple[RuleRef, ...] = ()
    expect: dict[str, Any] = field(default_factory=dict)
    xfail: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Mismatch:
    what: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected!r}, got {self.got!r}"


@dataclass
class CaseResult:
    case: Case
    status: str  # pass | fail | xfail | xpass
    mismatches: list[Mismatch] = field(default_factory=list)
    path: list[tuple[str, str]] = field(default_factory=list)  # (node id, outcome) as walked
    profile_rule: str | None = None
    lead_rule: str | None = None
    history_fired: set[str] = field(default_factory=set)  # history rule ids with a trace step
    confirmed_fires: set[str] = field(default_factory=set)  # RuleRef.key
    confirmed_silent: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "xfail")

    @property
    def covers(self) -> bool:
        """Only a case that passed outright counts towards coverage."""
        return self.status == "pass"

    def describe(self) -> str:
        head = f"{self.case.where}: {self.case.name}: {self.status.upper()}"
        if self.case.xfail:
            head += f" (xfail: {self.case.xfail})"
        return "\n".join([head, *(f"  - {m}" for m in self.mismatches)])


# ------------------------------------------------------------------ loading


def deep_merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`: mappings merge key by key, everything else replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for key, value in over.items():
            out[key] = deep_merge(out[key], value) if key in out else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def _rule_index(book: "Rulebook") -> dict[str, list[RuleRef]]:
    """Bare and qualified id -> the rules it may mean."""
    index: dict[str, list[RuleRef]] = {}

    def add(stem: str, ref: RuleRef) -> None:
        index.setdefault(ref.id, []).append(ref)
        index.setdefault(f"{stem}/{ref.id}", []).append(ref)

    fc_stem = Path(book.flowchart.file).stem
    for node in book.flowchart.nodes.values():
        if node.type in ("decision", "action"):
            add(fc_stem, RuleRef(node.type, node.id))
    for rule in book.profile_rules:
        add(Path(rule.file).stem, RuleRef("profile", rule.id))
    for rule in book.lead_rules:
        add(Path(rule.file).stem, RuleRef("lead", rule.id))
    for rule in _history_rules(book):
        add("trajectory", RuleRef("history", rule.id))
    return index


def _history_labels(book: "Rulebook") -> dict:
    """Interventions the history rules may add (some beside the catalogue's)."""
    from .history import FILE, trajectory_of

    return trajectory_of(book).labels if (Path(book.directory) / FILE).exists() else {}


def _history_rules(book: "Rulebook") -> list:
    """The history rules (trajectory.yaml), or none for a rules folder without that file."""
    from .history import FILE, trajectory_of

    if not (Path(book.directory) / FILE).exists():
        return []
    return trajectory_of(book).rules


def load_file(path: str | Path, book: "Rulebook", errors: list[ScenarioError] | None = None) -> list[Case]:
    """The cases of one scenario file, every id checked against the rulebook. With `errors`,
    a bad case is added to it and the other cases are still loaded; else it is raised."""
    path = Path(path)
    file_name = str(path)
    raw = load_with_lines(path, file_name)
    top_line = getattr(raw, "line", None) or 1

    def fail(line: int | None, message: str, case: str | None = None) -> ScenarioError:
        return ScenarioError(file_name, line, message, case)

    if not isinstance(raw, dict):
        raise fail(1, "a scenario file holds a mapping with 'cases' (and optionally 'defaults')")
    unknown = sorted(set(raw) - {"defaults", "cases"})
    if unknown:
        raise fail(top_line, f"unknown key '{unknown[0]}'{suggest(unknown[0], ('defaults', 'cases'))}")
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise fail(top_line, "'defaults' must be a mapping (part of an assessment)")
    cases_raw = raw.get("cases")
    if not isinstance(cases_raw, list) or not cases_raw:
        raise fail(top_line, "'cases' must be a non-empty list")

    index = _rule_index(book)
    orgs = {org for m in book.municipalities.values() for org in m.organisations}
    cases: list[Case] = []
    names: set[str] = set()

    def one(item: Any) -> Case:
        line = getattr(item, "line", None) or top_line
        if not isinstance(item, dict):
            raise fail(line, "each case must be a mapping with at least 'name' and 'assessment'")
        case_name = item.get("name")
        if not isinstance(case_name, str) or not case_name.strip():
            raise fail(line, "a case needs a 'name' (what a coach would call it)")
        if case_name in names:
            raise fail(line, f"two cases are named '{case_name}'", case_name)
        names.add(case_name)
        for key in item:
            if key not in CASE_KEYS:
                raise fail(line, f"unknown key '{key}'{suggest(str(key), CASE_KEYS)}", case_name)
        if ("assessment" in item) == ("case" in item):
            raise fail(line, "a scenario takes either 'assessment' or 'case' (a file over time)", case_name)
        document_key = "case" if "case" in item else "assessment"
        assessment = item.get(document_key)
        if not isinstance(assessment, dict):
            raise fail(line, f"'{document_key}' must be a mapping", case_name)
        xfail = item.get("xfail")
        if xfail is not None and (not isinstance(xfail, str) or not xfail.strip()):
            raise fail(line, "'xfail' takes the reason as text", case_name)

        def refs(key: str) -> tuple[RuleRef, ...]:
            ids = item.get(key) or []
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise fail(line, f"'{key}' must be a list of rule or node ids", case_name)
            out = []
            for rid in ids:
                found = index.get(rid)
                if not found:
                    raise fail(line, f"'{key}': unknown rule or node '{rid}'{suggest(rid, index)}", case_name)
                if len(found) > 1:
                    raise fail(line, f"'{key}': '{rid}' is ambiguous; write it as <file>/<id>", case_name)
                out.append(found[0])
            return tuple(out)

        fires, silent = refs("fires"), refs("silent")
        both = {r.key for r in fires} & {r.key for r in silent}
        if both:
            raise fail(line, f"listed under both fires and silent: {sorted(both)}", case_name)
        expect = _check_expect(item.get("expect") or {}, book, orgs, lambda msg: fail(line, msg, case_name))
        if "error_fields" in expect and (fires or silent or len(expect) > 1):
            raise fail(line, "an invalid-input case (error_fields) takes no fires, silent or other expectations", case_name)
        return Case(file_name, line, case_name, strip_lines(deep_merge(defaults, assessment)),
                    fires, silent, strip_lines(expect), xfail)

    for item in cases_raw:
        try:
            cases.append(one(item))
        except ScenarioError as exc:
            if errors is None:
                raise
            errors.append(exc)  # the caller reports it and goes on with the other cases
    return cases


def _check_expect(expect: Any, book: "Rulebook", orgs: set[str], fail) -> dict[str, Any]:
    if not isinstance(expect, dict):
        raise fail("'expect' must be a mapping")
    for key, value in expect.items():
        if key not in EXPECT_KEYS:
            raise fail(f"unknown expectation '{key}'{suggest(str(key), EXPECT_KEYS)}")
        if key in MAPPING_EXPECTS:
            if not isinstance(value, dict) or not all(v in ("now", "next", "later") for v in value.values()):
                raise fail(f"expect.{key} maps intervention ids to now, next or later")
            values = list(value)
        elif key in LIST_EXPECTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(f"expect.{key} must be a list of ids")
            values = value
        else:
            if not isinstance(value, str):
                raise fail(f"expect.{key} must be one id")
            values = [value]
        known: Iterable[str] | None = None
        if key in ("interventions", "not_interventions", "only_interventions", "order", "first",
                   "now", "next", "later", "not_now", "waiting_for_trust", "phases"):
            known = set(book.interventions) | set(_history_labels(book))
        elif key in ("referrals", "consent_required", "consent_given"):
            known = orgs
        elif key == "profile":
            known = PROFILE_IDS
        elif key == "collaboration":
            known = COLLABORATIONS
        elif key == "lead_role":
            known = book.roles
        if known is not None:
            known = set(known)
            for v in values:
                if v not in known:
                    raise fail(f"expect.{key}: unknown '{v}'{suggest(v, known)}")
    return expect


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files among `paths`: files as given, folders searched for *.test.yaml."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.glob(f"*{SUFFIX}")))
        else:
            found.append(p)
    return found


# ------------------------------------------------------------------ running


def run_case(case: Case, engine: "Engine") -> CaseResult:
    expect = case.expect
    mismatches: list[Mismatch] = []
    result = CaseResult(case, "pass")
    try:
        rec = engine.recommend(case.assessment, source=case.where)
    except InputError as exc:
        if "error_fields" in expect:
            missing = [f for f in expect["error_fields"] if f not in exc.fields]
            if missing:
                mismatches.append(Mismatch("error_fields", expect["error_fields"], exc.fields))
        else:
            mismatches.append(Mismatch("input", "a valid assessment", str(exc)))
        return _finish(result, mismatches)
    except WegwijzerError as exc:
        mismatches.append(Mismatch("evaluation", "advice", f"{type(exc).__name__}: {exc}"))
        return _finish(result, mismatches)
    if "error_fields" in expect:
        mismatches.append(Mismatch("error_fields", expect["error_fields"], "no input error"))
        return _finish(result, mismatches)

    _observe(result, rec)
    for ref in case.fires:
        if _fired(result, ref):
            result.confirmed_fires.add(ref.key)
        else:
            mismatches.append(Mismatch(f"fires {ref.id}", _fire_text(ref), _got_text(result, ref)))
    for ref in case.silent:
        if _silent(result, ref):
            result.confirmed_silent.add(ref.key)
        else:
            mismatches.append(Mismatch(f"silent {ref.id}", _silent_text(ref), _got_text(result, ref)))
    mismatches.extend(check_expectations(expect, rec))
    return _finish(result, mismatches)


def _finish(result: CaseResult, mismatches: list[Mismatch]) -> CaseResult:
    result.mismatches = mismatches
    if result.case.xfail:
        result.status = "xfail" if mismatches else "xpass"
        if not mismatches:
            result.mismatches = [Mismatch("xfail", f"a failure ({result.case.xfail})", "the case passes; remove 'xfail'")]
    else:
        result.status = "fail" if mismatches else "pass"
    if result.status != "pass":
        result.confirmed_fires.clear()
        result.confirmed_silent.clear()
    return result


def _observe(result: CaseResult, rec: "Recommendation") -> None:
    for step in rec.trace:
        _, _, rid = step.rule.partition("/")
        if step.kind in ("decision", "action"):
            result.path.append((rid, step.outcome))
        elif step.kind == "profile":
            result.profile_rule = rid
        elif step.kind == "lead_coordinator":
            result.lead_rule = rid
        elif step.kind == "history":
            result.history_fired.add(rid)


def _outcome(result: CaseResult, node_id: str) -> str | None:
    return next((outcome for nid, outcome in result.path if nid == node_id), None)


def _fired(result: CaseResult, ref: RuleRef) -> bool:
    if ref.kind == "decision":
        return _outcome(result, ref.id) == "yes"
    if ref.kind == "action":
        return _outcome(result, ref.id) == "suggested"
    if ref.kind == "history":
        return ref.id in result.history_fired
    chosen = result.profile_rule if ref.kind == "profile" else result.lead_rule
    return chosen == ref.id


def _silent(result: CaseResult, ref: RuleRef) -> bool:
    if ref.kind == "decision":
        return _outcome(result, ref.id) == "no"
    return not _fired(result, ref)


def _fire_text(ref: RuleRef) -> str:
    return {"decision": "reached, branch yes", "action": "suggested", "history": "fired"}.get(ref.kind, "chosen")


def _silent_text(ref: RuleRef) -> str:
    return {"decision": "reached, branch no", "action": "not suggested", "history": "silent"}.get(ref.kind, "not chosen")


def _got_text(result: CaseResult, ref: RuleRef) -> str:
    if ref.kind in ("decision", "action"):
        outcome = _outcome(result, ref.id)
        return "not reached" if outcome is None else outcome
    if ref.kind == "history":
        return "fired" if ref.id in result.history_fired else "silent"
    chosen = result.profile_rule if ref.kind == "profile" else result.lead_rule
    return f"chosen: {chosen}"


def check_expectations(expect: dict[str, Any], rec: "Recommendation") -> list[Mismatch]:
    """Every expectation that does not hold for this recommendation, with what came out instead."""
    got_ids = [i.id for i in rec.interventions]
    advice = [a.id for a in rec.advice]
    warnings = [w.code for w in rec.warnings]
    referrals = [r.organisation for r in rec.referrals]
    consent = [r.organisation for r in rec.referrals if r.consent_required]
    out: list[Mismatch] = []

    def present(key: str, got: list[str]) -> None:
        if key in expect and [v for v in expect[key] if v not in got]:
            out.append(Mismatch(key, expect[key], got))

    def absent(key: str, got: list[str]) -> None:
        if key in expect and [v for v in expect[key] if v in got]:
            out.append(Mismatch(key, f"none of {expect[key]}", got))

    present("interventions", got_ids)
    absent("not_interventions", got_ids)
    if "only_interventions" in expect and sorted(expect["only_interventions"]) != sorted(got_ids):
        out.append(Mismatch("only_interventions", expect["only_interventions"], got_ids))
    if "order" in expect:
        wanted = expect["order"]
        seen = [i for i in got_ids if i in wanted]
        if seen != wanted:
            out.append(Mismatch("order", wanted, got_ids))
    if "first" in expect and (got_ids[:1] != [expect["first"]]):
        out.append(Mismatch("first", expect["first"], got_ids[0] if got_ids else None))
    scalars = {
        "profile": rec.client_profile.id,
        "lead_role": rec.lead_coordinator.role,
        "collaboration": rec.lead_coordinator.collaboration,
    }
    for key, got in scalars.items():
        if key in expect and expect[key] != got:
            out.append(Mismatch(key, expect[key], got))
    for phase in ("now", "next", "later"):
        got = [i.id for i in rec.interventions if i.phase == phase]
        if phase in expect and expect[phase] != got:
            out.append(Mismatch(phase, expect[phase], got))
    absent("not_now", [i.id for i in rec.interventions if i.phase == "now"])
    present("waiting_for_trust", [i.id for i in rec.interventions if i.phase == "later" and "trust" in i.waits_for])
    present("referrals", referrals)
    present("consent_required", consent)
    present("consent_given", [r.organisation for r in rec.referrals if r.consent_given])
    present("advice", advice)
    absent("not_advice", advice)
    present("warnings", warnings)
    absent("not_warnings", warnings)
    due = [d.id for d in rec.due]
    present("due", due)
    absent("not_due", due)
    if "phases" in expect:
        got = {i.id: i.phase for i in rec.interventions}
        wrong = {iid: got.get(iid) for iid, phase in expect["phases"].items() if got.get(iid) != phase}
        if wrong:
            out.append(Mismatch("phases", expect["phases"], {i.id: i.phase for i in rec.interventions}))
    return out


def run_file(path: str | Path, engine: "Engine") -> list[CaseResult]:
    return [run_case(case, engine) for case in load_file(path, engine.book)]


def run_paths(paths: Iterable[str | Path], engine: "Engine", errors: list[RuleError] | None = None) -> list[CaseResult]:
    """Every case of every scenario file under `paths` (files, or folders holding *.test.yaml).

    With `errors`, a file or case that cannot be loaded is added to it and the rest still run."""
    results: list[CaseResult] = []
    for path in find_files(paths):
        if errors is None:
            results.extend(run_file(path, engine))
            continue
        try:
            cases = load_file(path, engine.book, errors)
        except RuleError as exc:
            errors.append(exc)
            continue
        results.extend(run_case(case, engine) for case in cases)
    return results


# ------------------------------------------------------------------ coverage


@dataclass
class Coverage:
    items: list[str]  # every coverage item, e.g. 'node:q_debts:fires', 'branch:q_debts:no'
    covered: set[str]

    @property
    def missing(self) -> list[str]:
        return [item for item in self.items if item not in self.covered]

    @property
    def percent(self) -> float:
        return 100.0 * (len(self.items) - len(self.missing)) / len(self.items) if self.items else 100.0

    def report(self) -> str:
        lines = [f"coverage: {len(self.items) - len(self.missing)}/{len(self.items)} ({self.percent:.1f}%)"]
        lines.extend(f"  never exercised: {item}" for item in self.missing)
        return "\n".join(lines)


def coverage(results: Iterable[CaseResult], book: "Rulebook") -> Coverage:
    """What the passing cases exercised: each node and rule fired and silent, each decision branch taken.

    A node or rule counts as fired (silent) only when a case lists it under `fires:`
    (`silent:`) and the run confirms it; a decision branch counts when some passing case
    actually took it. Failing and xfail cases cover nothing.
    """
    items: list[str] = []
    for node in book.flowchart.nodes.values():
        if node.type in ("decision", "action"):
            items += [f"node:{node.id}:fires", f"node:{node.id}:silent"]
        if node.type == "decision":
            items += [f"branch:{node.id}:yes", f"branch:{node.id}:no"]
    for rule in book.profile_rules:
        items += [f"profile:{rule.id}:fires", f"profile:{rule.id}:silent"]
    for rule in book.lead_rules:
        items += [f"lead:{rule.id}:fires", f"lead:{rule.id}:silent"]
    for rule in _history_rules(book):
        items += [f"history:{rule.id}:fires", f"history:{rule.id}:silent"]
    covered: set[str] = set()
    for result in results:
        if not result.covers:
            continue
        covered |= {f"{key}:fires" for key in result.confirmed_fires}
        covered |= {f"{key}:silent" for key in result.confirmed_silent}
        covered |= {f"branch:{nid}:{outcome}" for nid, outcome in result.path if outcome in ("yes", "no")}
    return Coverage(items, covered)
