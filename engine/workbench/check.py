"""`wegwijzer check`: every problem in the rule files, not just the first.

Loading (`rulebook.load`) stops at the first error. This module reads the raw files
itself and keeps going: each file's schema errors, then the flowchart as a graph
(unreachable nodes, missing branches, loops, dangling references, dead ends), conditions
that can never (or always) hold, unknown interventions, organisations, profiles and
roles, and rules that can never be chosen. Errors make `check` exit 1; warnings do not.

    from engine.workbench.check import check_rules
    for finding in check_rules("rules"):
        print(finding)
"""
from __future__ import annotations

import argparse
import sys
import typing
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import BaseModel, ValidationError

from .. import flowgraph
from ..conditions import All, Always, Any_, Compare, Cond, Not, parse
from ..errors import RuleError, suggest
from ..facts import FIELDS
from ..history import TrajectoryFile, load_trajectory
from ..model import SupportKind
from ..rulebook import (
    MUNICIPALITIES, RULE_FILES, FlowchartFile, InterventionsFile, LeadFile, Node, ProfilesFile,
    ResolutionFile, SocialMapFile, default_rules_dir, load,
)
from ..yamlload import LINE, line_of, load_with_lines

SCHEMAS: dict[str, type[BaseModel]] = {
    "interventions.yaml": InterventionsFile, "social_map.yaml": SocialMapFile,
    "leiden_flowchart.yaml": FlowchartFile, "helmond_profiles.yaml": ProfilesFile,
    "lead_coordinator.yaml": LeadFile, "resolution.yaml": ResolutionFile,
    "trajectory.yaml": TrajectoryFile,
}
SUPPORT_KINDS: tuple[str, ...] = typing.get_args(SupportKind)
MAX_CYCLES = 20


@dataclass(frozen=True)
class Finding:
    """One problem in one rule file. `severity` is 'error' or 'warning'."""

    severity: str
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


# ------------------------------------------------------------------ condition logic

_NEGATED = {"eq": "neq", "neq": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt",
            "in": "not_in", "not_in": "in", "contains": "not_contains"}


def cannot_hold(cond: Cond, negate: bool = False) -> bool:
    """True if no case can satisfy `cond` (or, with negate, its negation). Sound, not complete:
    it finds contradictions between comparisons in one conjunction, not every one."""
    if isinstance(cond, Always):
        return negate
    if isinstance(cond, Not):
        return cannot_hold(cond.part, not negate)
    if isinstance(cond, Compare):
        return False  # a single impossible comparison is already refused by conditions.parse
    conjunction = isinstance(cond, All) != negate
    if not conjunction:
        return all(cannot_hold(part, negate) for part in cond.parts)
    if any(cannot_hold(part, negate) for part in cond.parts):
        return True
    by_field: dict[str, list[tuple[str, Any, bool]]] = defaultdict(list)
    for leaf, negated in _literals(cond, negate):
        op = _NEGATED[leaf.op] if negated else leaf.op
        by_field[leaf.field].append((op, leaf.value, negated))
    for field, constraints in by_field.items():
        spec = FIELDS[field]
        if spec.optional and all(negated for _, _, negated in constraints):
            continue  # a case that leaves the field out satisfies every negated comparison
        if _contradicts(field, [(op, value) for op, value, _ in constraints]):
            return True
    return False


def always_holds(cond: Cond) -> bool:
    return cannot_hold(cond, negate=True)


def _literals(cond: Cond, negate: bool) -> Iterable[tuple[Compare, bool]]:
    """The comparisons that must all hold for a conjunction to hold (with their polarity)."""
    if isinstance(cond, Compare):
        yield cond, negate
    elif isinstance(cond, Not):
        yield from _literals(cond.part, not negate)
    elif (isinstance(cond, All) and not negate) or (isinstance(cond, Any_) and negate):
        for part in cond.parts:
            yield from _literals(part, negate)


def _contradicts(field: str, constraints: list[tuple[str, Any]]) -> bool:
    spec = FIELDS[field]
    if spec.kind == "set":
        must = {v for op, v in constraints if op == "contains"}
        must_not = {v for op, v in constraints if op == "not_contains"}
        return bool(must & must_not)
    if spec.kind in ("bool", "enum"):
        domain: set[Any] = {True, False} if spec.kind == "bool" else set(spec.values)
        for op, v in constraints:
            if op == "eq":
                domain &= {v}
            elif op == "neq":
                domain -= {v}
            elif op == "in":
                domain &= set(v)
            elif op == "not_in":
                domain -= set(v)
        return not domain
    low, low_open, high, high_open = spec.low, False, spec.high, False
    points: set[Any] | None = None
    excluded: set[Any] = set()
    for op, v in constraints:
        if op == "eq":
            points = {v} if points is None else points & {v}
        elif op == "in":
            points = set(v) if points is None else points & set(v)
        elif op in ("neq", "not_in"):
            excluded |= set(v) if op == "not_in" else {v}
        elif op in ("gt", "gte") and (low is None or v > low or (v == low and op == "gt")):
            low, low_open = v, op == "gt"
        elif op in ("lt", "lte") and (high is None or v < high or (v == high and op == "lt")):
            high, high_open = v, op == "lt"

    def inside(p: Any) -> bool:
        above = low is None or p > low or (p == low and not low_open)
        below = high is None or p < high or (p == high and not high_open)
        return above and below and p not in excluded

    if points is not None:
        return not any(inside(p) for p in points)
    if low is not None and high is not None:
        if low > high or (low == high and (low_open or high_open or low in excluded)):
            return True
    return False


# ------------------------------------------------------------------ the checker


def _mappings(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class _Checker:
    def __init__(self, directory: Path):
        self.directory = directory
        self.findings: list[Finding] = []
        self.raw: dict[str, Any] = {}
        self.interventions: dict[str, int | None] = {}
        self.by_pilot: set[str] = set()  # interventions the pilot professional does personally
        self.roles: dict[str, Any] = {}

    def file(self, name: str) -> str:
        return str(self.directory / name)

    def error(self, name: str, line: int | None, message: str) -> None:
        self.findings.append(Finding("error", self.file(name), line, message))

    def warning(self, name: str, line: int | None, message: str) -> None:
        self.findings.append(Finding("warning", self.file(name), line, message))

    def first_time(self, name: str, seen: dict[str, int | None], key: str, line: int | None, duplicate: str) -> bool:
        """Note where `key` first appears; a later appearance is an error `duplicate (first on line N)`."""
        if key in seen:
            self.error(name, line, f"{duplicate} (first on line {seen[key]})")
            return False
        seen[key] = line
        return True

    def condition(self, name: str, raw: Any, line: int | None, rule_id: str) -> Cond | None:
        try:
            return parse(raw, self.file(name), line, rule_id)
        except RuleError as exc:
            self.findings.append(_from_rule_error(exc))
            return None

    # -------------------------------------------------------------- files and schemas

    def run(self) -> list[Finding]:
        for name in RULE_FILES:
            path = self.directory / name
            if not path.exists():
                self.error(name, None, "rule file missing")
                continue
            try:
                self.raw[name] = load_with_lines(path, self.file(name))
            except RuleError as exc:
                self.findings.append(_from_rule_error(exc))
                continue
            self.schema(name)
        self.catalogue()
        self.lead()  # first: the roles it labels are used by the social map
        self.social_map()
        self.flowchart()
        self.profiles()
        self.resolution()
        self.loader()
        return self.sorted()

    def schema(self, name: str) -> None:
        data = self.raw[name]
        if not isinstance(data, dict):
            self.error(name, 1, "the file must hold a mapping at the top")
            return
        try:
            SCHEMAS[name].model_validate(data)
        except ValidationError as exc:
            by_line: dict[int | None, list[str]] = {}
            for err in exc.errors():
                loc = tuple(err["loc"])
                path = ".".join(str(p) for p in loc if p != LINE)
                if err["type"] == "missing" and loc and loc[-1] == "source":
                    owner = ".".join(str(p) for p in loc[:-1]) or "the file"
                    message = f"{owner}: no source; cite the report (seed:L<n>) or say 'practice'"
                else:
                    message = f"{path}: {err['msg']}"
                by_line.setdefault(line_of(data, loc), []).append(message)
            for line, messages in by_line.items():
                more = f" (and {len(messages) - 1} more on this line)" if len(messages) > 1 else ""
                self.error(name, line, messages[0] + more)

    def loader(self) -> None:
        """The loader's own verdict, for cross-checks this module does not repeat."""
        try:
            load_trajectory(load(self.directory))  # the history rules' cross-checks need the rulebook
        except RuleError as exc:
            finding = _from_rule_error(exc)
            if not any(f.severity == "error" and f.file == finding.file and f.line == finding.line for f in self.findings):
                self.findings.append(finding)

    def sorted(self) -> list[Finding]:
        order = {name: i for i, name in enumerate(RULE_FILES)}
        unique = list(dict.fromkeys(self.findings))
        return sorted(unique, key=lambda f: (f.severity != "error", order.get(Path(f.file).name, 99), f.line or 0))

    # -------------------------------------------------------------- catalogue and social map

    def catalogue(self) -> None:
        name = "interventions.yaml"
        for item in _mappings(self.raw.get(name), "interventions"):
            iid = _text(item.get("id"))
            if iid is None:
                continue
            if not self.first_time(name, self.interventions, iid, item.line, f"duplicate intervention id '{iid}'"):
                continue
            if item.get("provider") == "pilot_professional":
                self.by_pilot.add(iid)

    def known_intervention(self, name: str, iid: Any, line: int | None, what: str) -> bool:
        if not isinstance(iid, str) or not self.interventions:
            return True  # the schema reports a missing id; with no catalogue, nothing to compare with
        if iid not in self.interventions:
            self.error(name, line, f"{what}: unknown intervention '{iid}'{suggest(iid, self.interventions)}")
            return False
        return True

    def social_map(self) -> None:
        name = "social_map.yaml"
        municipalities = _mapping(self.raw.get(name), "municipalities")
        self.offered: set[str] = set()
        for mid in MUNICIPALITIES:
            if name in self.raw and mid not in municipalities:
                self.error(name, getattr(self.raw[name], "line", None), f"municipality '{mid}' missing")
        for mid, municipality in municipalities.items():
            if not isinstance(municipality, dict):
                continue
            orgs: dict[str, int | None] = {}
            for org in _mappings(municipality, "organisations"):
                oid = _text(org.get("id"))
                if oid is None:
                    continue
                self.first_time(name, orgs, oid, org.line, f"organisation '{oid}' appears twice in {mid}")
                for service in _mappings(org, "services"):
                    iid = service.get("intervention")
                    if self.known_intervention(name, iid, service.line, f"{mid}/{oid}") and isinstance(iid, str):
                        self.offered.add(iid)
            pilot = _mapping(municipality, "pilot")
            organisation = pilot.get("organisation")
            if isinstance(organisation, str) and organisation not in orgs:
                self.error(name, pilot.line, f"pilot organisation '{organisation}' is not on the {mid} map{suggest(organisation, orgs)}")
            role = pilot.get("role")
            if isinstance(role, str) and self.roles and role not in self.roles:
                self.error(name, pilot.line, f"pilot role '{role}' has no labels under 'roles' in lead_coordinator.yaml")

    # -------------------------------------------------------------- flowchart

    def flowchart(self) -> None:
        name = "leiden_flowchart.yaml"
        data = self.raw.get(name)
        if not isinstance(data, dict):
            return
        file = self.file(name)
        nodes: list[Node] = []
        first_line: dict[str, int | None] = {}
        incomplete: set[str] = set()
        self.used: set[str] = set()
        for raw in _mappings(data, "nodes"):
            nid = _text(raw.get("id"))
            if nid is None:
                continue
            if not self.first_time(name, first_line, nid, raw.line, f"duplicate node id '{nid}'"):
                continue
            kind = raw.get("type")
            when = None
            if kind == "decision":
                for key in ("question_nl", "question_en"):
                    if not _text(raw.get(key)):
                        self.error(name, raw.line, f"decision node '{nid}' needs '{key}'")
                for key in ("yes", "no"):
                    if not _text(raw.get(key)):
                        self.error(name, raw.line, f"decision node '{nid}' is missing its '{key}' branch")
                        incomplete.add(nid)
                if raw.get("when") is None:
                    self.error(name, raw.line, f"decision node '{nid}' needs 'when' (its condition)")
                else:
                    when = self.condition(name, raw["when"], raw.line, nid)
                    if when is not None:
                        self.decision_logic(name, raw, nid, when)
            elif kind == "action":
                iid = raw.get("intervention")
                if not _text(iid):
                    self.error(name, raw.line, f"action node '{nid}' has no intervention, so no label to show")
                elif self.interventions and iid not in self.interventions:
                    self.error(name, raw.line, f"action node '{nid}' has no label: intervention '{iid}' is not in the catalogue (interventions.yaml){suggest(iid, self.interventions)}")
                else:
                    self.used.add(iid)
                for key in ("reason_nl", "reason_en"):
                    if not _text(raw.get(key)):
                        self.error(name, raw.line, f"action node '{nid}' needs '{key}'")
                if not _text(raw.get("next")):
                    self.error(name, raw.line, f"action node '{nid}' needs 'next' (where the chart goes on)")
                    incomplete.add(nid)
            nodes.append(Node(
                nid, str(kind), file, raw.line or 0, str(raw.get("source") or ""),
                question_nl=_text(raw.get("question_nl")), when=when,
                yes=_text(raw.get("yes")), no=_text(raw.get("no")) if kind == "decision" else None,
                intervention=_text(raw.get("intervention")), next=_text(raw.get("next")),
            ))
        if not nodes:
            return
        graph = flowgraph.from_nodes(nodes, _text(data.get("start")))
        self.graph_checks(name, data, graph, first_line, incomplete)

    def decision_logic(self, name: str, raw: Any, nid: str, when: Cond) -> None:
        if cannot_hold(when):
            self.error(name, raw.line, f"the condition of '{nid}' can never hold, so its 'yes' branch (to '{raw.get('yes')}') is never taken")
        elif always_holds(when):
            self.warning(name, raw.line, f"the condition of '{nid}' always holds, so its 'no' branch (to '{raw.get('no')}') is never taken")

    def graph_checks(self, name: str, data: Any, graph: nx.DiGraph, lines: dict[str, int | None], incomplete: set[str]) -> None:
        start = _text(data.get("start"))
        defined = [n for n, d in graph.nodes(data=True) if not d["missing"]]
        for source, target, edge in graph.edges(data=True):
            if graph.nodes[target]["missing"]:
                self.error(name, lines.get(source), f"'{source}' {edge['branch']} points to unknown node '{target}'{suggest(target, defined)}")
                incomplete.add(source)
        if start is None:
            return
        if start not in lines:
            self.error(name, getattr(data, "line", None), f"start node '{start}' not found{suggest(start, defined)}")
            return
        reachable = nx.descendants(graph, start) | {start}
        for nid in defined:
            if nid not in reachable:
                self.error(name, lines.get(nid), f"node '{nid}' cannot be reached from start '{start}'")
        in_cycle: set[str] = set()
        for count, cycle in enumerate(nx.simple_cycles(graph)):
            if count == MAX_CYCLES:
                self.error(name, None, f"more than {MAX_CYCLES} loops; fix these first")
                break
            first = min(cycle, key=lambda n: lines.get(n) or 0)
            at = cycle.index(first)
            ordered = cycle[at:] + cycle[:at]
            in_cycle.update(cycle)
            self.error(name, lines.get(first), "the flowchart loops: " + " -> ".join(ordered + [first]))
        ends = flowgraph.end_nodes(graph)
        if not ends:
            self.error(name, getattr(data, "line", None), "the flowchart has no node of type 'end'")
            return
        can_end = set(ends).union(*(nx.ancestors(graph, e) for e in ends))
        stuck = [n for n in defined if n in reachable and n not in can_end]
        unexplained = [n for n in stuck if n not in in_cycle and n not in incomplete]
        if stuck:
            stuck.sort(key=lambda n: lines.get(n) or 0)
            self.error(name, lines.get(stuck[0]),
                       f"no path from {_list(stuck)} reaches an end node" + ("" if unexplained or not stuck else " (see the loop or missing branch above)"))

    # -------------------------------------------------------------- profiles and lead

    def first_hit_rules(self, name: str, rules: list[Any], what: str) -> list[Any]:
        """Duplicate ids, impossible conditions and rules after an unconditional one; returns the rules that can be chosen."""
        seen: dict[str, int | None] = {}
        unconditional: Any = None
        live = []
        for rule in rules:
            rid = _text(rule.get("id")) or "?"
            self.first_time(name, seen, rid, rule.line, f"duplicate rule id '{rid}'")
            cond = self.condition(name, rule["when"], rule.line, rid) if "when" in rule else None
            if unconditional is not None:
                self.warning(name, rule.line, f"{what} rule '{rid}' comes after '{unconditional.get('id')}' (line {unconditional.line}), which holds for every case: it can never be chosen")
                continue
            if cond is None:
                continue
            if cannot_hold(cond):
                self.error(name, rule.line, f"the condition of {what} rule '{rid}' can never hold: it is never chosen")
                continue
            live.append(rule)
            if always_holds(cond):
                unconditional = rule
        if rules and unconditional is None:
            self.warning(name, rules[-1].line, f"no {what} rule holds for every case; end with a rule `when: {{}}` so that every case gets one")
        return live

    def profiles(self) -> None:
        name = "helmond_profiles.yaml"
        data = self.raw.get(name)
        labels = _mapping(data, "profiles")
        rules = _mappings(data, "rules")
        live = self.first_hit_rules(name, rules, "profile")
        for rule in rules:
            profile = rule.get("profile")
            if isinstance(profile, str) and labels and profile not in labels:
                self.error(name, rule.line, f"rule '{rule.get('id')}': profile '{profile}' has no labels under 'profiles'{suggest(profile, labels)}")
        produced = {rule.get("profile") for rule in live}
        for profile, body in labels.items():
            if rules and profile not in produced:
                self.warning(name, getattr(body, "line", None), f"profile '{profile}' is never produced by a rule that can be chosen")

    def lead(self) -> None:
        name = "lead_coordinator.yaml"
        data = self.raw.get(name)
        self.roles = _mapping(data, "roles")
        collaborations = _mapping(data, "collaborations")
        rules = _mappings(data, "rules")
        self.first_hit_rules(name, rules, "lead coordinator")
        for rule in rules:
            rid = rule.get("id")
            lead = rule.get("lead")
            kinds = lead.get("prefer_support") if isinstance(lead, dict) else None
            for kind in kinds if isinstance(kinds, list) else []:
                if self.roles and isinstance(kind, str) and kind not in self.roles:
                    self.error(name, rule.line, f"rule '{rid}': role '{kind}' has no labels under 'roles'{suggest(kind, self.roles)}")
            collaboration = _mapping(rule, "collaboration")
            missing = [m for m in MUNICIPALITIES if m not in collaboration]
            if missing and collaboration:
                self.error(name, rule.line, f"rule '{rid}': collaboration missing for {', '.join(missing)}")
            for form in collaboration.values():
                if isinstance(form, str) and collaborations and form not in collaborations:
                    self.error(name, rule.line, f"rule '{rid}': collaboration '{form}' has no labels under 'collaborations'{suggest(form, collaborations)}")
        if self.roles:
            for kind in SUPPORT_KINDS:
                if kind not in self.roles:
                    self.warning(name, getattr(self.roles, "line", None), f"role '{kind}' has no labels: a lead of that kind would show its bare id")

    # -------------------------------------------------------------- resolution and catalogue use

    def resolution(self) -> None:
        name = "resolution.yaml"
        data = self.raw.get(name)
        for tier in _mappings(_mapping(data, "ranking"), "tiers"):
            for iid in tier.get("interventions") or []:
                self.known_intervention(name, iid, tier.line, f"tier '{tier.get('id')}'")
        covered = _mapping(data, "already_covered_by_support")
        for kind, iids in covered.items():
            if kind not in SUPPORT_KINDS:
                self.error(name, covered.line, f"already_covered_by_support: '{kind}' is not a kind of support{suggest(str(kind), SUPPORT_KINDS)}")
            for iid in iids if isinstance(iids, list) else []:
                self.known_intervention(name, iid, covered.line, f"already_covered_by_support.{kind}")
        # catalogue use, now that the flowchart and the social map have been read
        used = getattr(self, "used", None)
        offered = getattr(self, "offered", None)
        for iid, line in self.interventions.items():
            if used is not None and "leiden_flowchart.yaml" in self.raw and iid not in used:
                self.warning("interventions.yaml", line, f"intervention '{iid}' is suggested by no flowchart action")
            if offered is not None and "social_map.yaml" in self.raw and iid not in offered and iid not in self.by_pilot:
                self.warning("interventions.yaml", line, f"intervention '{iid}' is offered in no municipality's social map (fine if the pilot professional does it personally)")


def _list(ids: list[str], most: int = 5) -> str:
    shown = ", ".join(f"'{i}'" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _from_rule_error(exc: RuleError) -> Finding:
    where = f"{exc.file}:{exc.line}" if exc.line else exc.file
    message = exc.message[len(where) + 1:].strip() if exc.message.startswith(where + ":") else exc.message
    return Finding("error", exc.file, exc.line, message)


def check_rules(directory: Path | str | None = None) -> list[Finding]:
    """Every finding for the rules in `directory` (default: the shipped rules), errors first."""
    directory = Path(directory) if directory else default_rules_dir()
    if not directory.is_dir():
        raise RuleError(str(directory), None, "rules folder not found")
    return _Checker(directory).run()


def render(findings: list[Finding], directory: Path | str | None = None) -> str:
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    lines: list[str] = []
    if errors:
        lines += ["Errors:", *(f"  {f}" for f in errors)]
    if warnings:
        lines += [""] * bool(errors) + ["Warnings:", *(f"  {f}" for f in warnings)]
    where = f" in {directory}" if directory else ""
    verdict = "FAILED" if errors else "ok"
    lines += ["" if lines else None, f"check {verdict}: {len(errors)} error(s), {len(warnings)} warning(s){where}"]
    return "\n".join(line for line in lines if line is not None) + "\n"


# ------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")


def run(args: argparse.Namespace) -> int:
    directory = Path(args.rules) if args.rules else default_rules_dir()
    findings = check_rules(directory)
    sys.stdout.write(render(findings, directory))
    return 1 if any(f.severity == "error" for f in findings) else 0
