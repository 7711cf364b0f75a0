"""`wegwijzer check`: every problem in the rule files, not just the first.

Loading (`rulebook.load`) stops at the first error. Both run the same cross checks
(`rulebook.RuleChecks`: the loader raises the first, this module collects them all, each at
the line of the offending key); this module also keeps going past schema errors and adds
its own analyses: the flowchart as a graph
(unreachable nodes, missing branches, loops, dangling references, dead ends), conditions
that can never (or always) hold, unknown interventions, organisations, profiles and
roles, rules that can never be chosen, actions suggested where nobody offers them, and
the rules compiled into durable-rules as the engine does. Errors make `check` exit 1;
warnings do not. The report is Dutch by default (`--lang en`), its verdict first.

    from engine.workbench.check import check_rules
    for finding in check_rules("rules"):
        print(finding)
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from .. import flowgraph
from ..conditions import All, Always, Any_, Compare, Cond, Not
from ..errors import RuleError
from ..facts import FIELDS, FieldSpec
from ..history import TrajectoryFile, load_trajectory
from ..zrm import ZrmFile, load_crosswalk
from ..conditions import may_hold_in
from ..rulebook import (
    LEGACY_FILES, OPTIONAL_SCHEMAS, RULE_FILES, SCHEMAS, SUPPORT_KINDS, Node, RuleChecks, _packs_from_legacy,
    default_rules_dir, env_packs, key_line, load, mapping, mappings, rule_file_paths, schema_of, text,
)
from ..yamlload import LINE, line_of, load_with_lines
from .dutch import add_lang, say

# the rule files' schemas, and the history rules' (engine.history owns that file's schema)
FILE_SCHEMAS: dict[str, Any] = {**SCHEMAS, **OPTIONAL_SCHEMAS, "trajectory.yaml": TrajectoryFile, "zrm.yaml": ZrmFile}
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


def cannot_hold(cond: Cond, negate: bool = False, fields: Mapping[str, FieldSpec] = FIELDS) -> bool:
    """True if no case can satisfy `cond` (or, with negate, its negation). Sound, not complete:
    it finds contradictions between comparisons in one conjunction, not every one. `fields`:
    the rulebook's (Rulebook.fields), whose `municipality` takes the social map's ids."""
    if isinstance(cond, Always):
        return negate
    if isinstance(cond, Not):
        return cannot_hold(cond.part, not negate, fields)
    if isinstance(cond, Compare):
        return False  # a single impossible comparison is already refused by conditions.parse
    conjunction = isinstance(cond, All) != negate
    if not conjunction:
        return all(cannot_hold(part, negate, fields) for part in cond.parts)
    if any(cannot_hold(part, negate, fields) for part in cond.parts):
        return True
    by_field: dict[str, list[tuple[str, Any, bool]]] = defaultdict(list)
    for leaf, negated in _literals(cond, negate):
        op = _NEGATED[leaf.op] if negated else leaf.op
        by_field[leaf.field].append((op, leaf.value, negated))
    for field, constraints in by_field.items():
        spec = fields[field]
        if spec.optional and all(negated for _, _, negated in constraints):
            continue  # a case that leaves the field out satisfies every negated comparison
        if _contradicts(spec, [(op, value) for op, value, _ in constraints]):
            return True
    return False


def always_holds(cond: Cond, fields: Mapping[str, FieldSpec] = FIELDS) -> bool:
    return cannot_hold(cond, negate=True, fields=fields)


def _literals(cond: Cond, negate: bool) -> Iterable[tuple[Compare, bool]]:
    """The comparisons that must all hold for a conjunction to hold (with their polarity)."""
    if isinstance(cond, Compare):
        yield cond, negate
    elif isinstance(cond, Not):
        yield from _literals(cond.part, not negate)
    elif (isinstance(cond, All) and not negate) or (isinstance(cond, Any_) and negate):
        for part in cond.parts:
            yield from _literals(part, negate)


def _contradicts(spec: FieldSpec, constraints: list[tuple[str, Any]]) -> bool:
    if spec.kind == "set":
        must = {v for op, v in constraints if op == "contains"}
        must_not = {v for op, v in constraints if op == "not_contains"}
        return bool(must & must_not)
    if spec.kind in ("bool", "enum"):
        # an enum without values is open (`municipality` outside a rulebook): any id
        domain: set[Any] | None = {True, False} if spec.kind == "bool" else set(spec.values) or None
        excluded: set[Any] = set()
        for op, v in constraints:
            if op in ("eq", "in"):
                allowed = {v} if op == "eq" else set(v)
                domain = allowed if domain is None else domain & allowed
            elif op in ("neq", "not_in"):
                excluded |= {v} if op == "neq" else set(v)
        return domain is not None and not domain - excluded
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


class _Checker:
    """check's own analyses on top of the shared rule checks (rulebook.RuleChecks): schema
    errors all at once, the flowchart as a graph, condition logic, first-hit order, unused
    and unoffered interventions, then what durable-rules makes of the rules."""

    def __init__(self, directory: Path, packs: list[Path] | None = None):
        self.directory = directory
        self.packs = env_packs() if packs is None else [Path(p) for p in packs]
        self.findings: list[Finding] = []
        self.raw: dict[str, Any] = {}
        self.paths: dict[str, Path] = {}  # name -> file, where it is not directory/name (a pack outside)

    def file(self, name: str) -> str:
        return str(self.paths.get(name) or self.directory / name)

    def error(self, name: str, line: int | None, message: str) -> None:
        self.findings.append(Finding("error", self.file(name), line, message))

    def warning(self, name: str, line: int | None, message: str) -> None:
        self.findings.append(Finding("warning", self.file(name), line, message))

    def rule_error(self, error: RuleError) -> None:
        self.findings.append(_from_rule_error(error))

    # -------------------------------------------------------------- files and schemas

    def run(self) -> list[Finding]:
        try:
            self.paths = rule_file_paths(self.directory, self.packs)
        except RuleError as exc:  # a pack folder without municipality.yaml, two packs of one id
            self.findings.append(_from_rule_error(exc))
            return self.sorted()
        if "social_map.yaml" in self.paths:  # rules from before packs: read as packs
            for name in ("resolution.yaml", "lead_coordinator.yaml"):
                self.read(name)
            try:
                _packs_from_legacy(self.raw, self.paths)
            except RuleError as exc:
                self.findings.append(_from_rule_error(exc))
        names = [n for n in RULE_FILES if n not in LEGACY_FILES] + [n for n in self.paths if n not in RULE_FILES]
        for name in list(names):
            social = name.rsplit("/", 1)[0] + "/social_map.yaml"
            if name.endswith("/municipality.yaml") and social not in self.paths:
                self.paths[social] = self.paths[name].parent / "social_map.yaml"  # missing: read() says so
                names.append(social)
        for name in names:
            if name not in self.raw and not self.read(name):
                continue
            self.schema(name)
        self.checks = RuleChecks(self.directory, self.raw, self.rule_error, self.paths).run()
        self.by_pilot = self.checks.by_pilot
        self.flowchart()
        self.profiles()
        self.lead()
        self.catalogue_use()
        self.loader()
        return self.sorted()

    def read(self, name: str) -> bool:
        path = self.paths.get(name) or self.directory / name
        if not path.is_file():
            self.error(name, None, "rule file missing")
            return False
        try:
            self.raw[name] = load_with_lines(path, self.file(name))
        except RuleError as exc:
            self.findings.append(_from_rule_error(exc))
            return False
        return True

    def schema(self, name: str) -> None:
        data = self.raw[name]
        if not isinstance(data, dict):
            self.error(name, 1, "the file must hold a mapping at the top")
            return
        try:
            (FILE_SCHEMAS.get(name) or schema_of(name)).model_validate(data)
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
        """The loader's own verdict, for cross-checks this module does not repeat; then the
        rules compiled into durable-rules exactly as the engine does."""
        try:
            book = load(self.directory, self.packs)
            load_trajectory(book)  # the history rules' cross-checks need the rulebook
            load_crosswalk(book)  # the ZRM crosswalk's ids
        except RuleError as exc:
            finding = _from_rule_error(exc)
            if not any(f.severity == "error" and f.file == finding.file and f.line == finding.line for f in self.findings):
                self.findings.append(finding)
            return
        self.findings.extend(compile_in_child(self.directory, self.packs))
        self.offered_where_suggested(book)

    def offered_where_suggested(self, book: Any) -> None:
        """An intervention the flowchart can suggest in a municipality should be offered there
        by some organisation of its social map, unless the pilot professional does it personally."""
        name = "leiden_flowchart.yaml"
        nodes = book.flowchart.nodes
        missing: dict[str, list[str]] = {}  # action node -> municipalities where nobody offers it
        for mid in book.municipalities:
            here = Compare("municipality", "eq", mid)
            seen: set[str] = set()
            todo = [book.flowchart.start]
            while todo:
                nid = todo.pop()
                if nid in seen or nid not in nodes:
                    continue
                seen.add(nid)
                node = nodes[nid]
                if node.type == "decision" and node.when is not None:
                    if not cannot_hold(All((node.when, here)), fields=book.fields):
                        todo.append(node.yes)
                    if not cannot_hold(All((Not(node.when), here)), fields=book.fields):
                        todo.append(node.no)
                elif node.type == "action":
                    todo.append(node.next)
                    iid = node.intervention
                    if iid and iid not in book.municipalities[mid].services and iid not in self.by_pilot:
                        missing.setdefault(nid, []).append(mid)
        for nid, where in missing.items():
            raw = next((n for n in mappings(self.raw.get(name), "nodes") if n.get("id") == nid), None)
            iid = nodes[nid].intervention
            places = ", ".join(where)
            self.warning(name, key_line(raw, "intervention") or nodes[nid].line,
                         f"action '{nid}' can suggest '{iid}' in {places}, but no organisation on the social map there offers it; "
                         f"add it to an organisation's services in the municipality's social_map.yaml (rules/municipalities/<id>/), or mark it `provider: pilot_professional` in interventions.yaml if the pilot professional does it personally")

    def sorted(self) -> list[Finding]:
        order = {name: i for i, name in enumerate(RULE_FILES)}
        order["municipality.yaml"] = order["social_map.yaml"]  # a pack's files, where the municipalities were
        unique = list(dict.fromkeys(self.findings))
        return sorted(unique, key=lambda f: (f.severity != "error", order.get(Path(f.file).name, 99), f.file, f.line or 0))

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
        for raw in mappings(data, "nodes"):
            nid = text(raw.get("id"))
            if nid is None or nid in first_line:
                continue  # a duplicate id: RuleChecks reports it
            first_line[nid] = raw.line
            kind = raw.get("type")
            when = self.checks.conditions.get((name, nid)) if kind == "decision" else None
            if kind == "decision":
                incomplete.update(nid for key in ("yes", "no") if not text(raw.get(key)))
                if when is not None:
                    self.decision_logic(name, raw, nid, when)
            elif kind == "action":
                if not text(raw.get("next")):
                    incomplete.add(nid)
                if text(raw.get("intervention")) in self.checks.interventions:
                    self.used.add(raw["intervention"])
            nodes.append(Node(
                nid, str(kind), file, raw.line or 0, str(raw.get("source") or ""),
                question_nl=text(raw.get("question_nl")), when=when,
                yes=text(raw.get("yes")), no=text(raw.get("no")) if kind == "decision" else None,
                intervention=text(raw.get("intervention")), next=text(raw.get("next")),
            ))
        if not nodes:
            return
        graph = flowgraph.from_nodes(nodes, text(data.get("start")))
        self.graph_checks(name, data, graph, first_line, incomplete)

    def decision_logic(self, name: str, raw: Any, nid: str, when: Cond) -> None:
        if cannot_hold(when, fields=self.checks.fields):
            self.error(name, key_line(raw, "when"), f"the condition of '{nid}' can never hold, so its 'yes' branch (to '{raw.get('yes')}') is never taken")
        elif always_holds(when, self.checks.fields):
            self.warning(name, key_line(raw, "when"), f"the condition of '{nid}' always holds, so its 'no' branch (to '{raw.get('no')}') is never taken")

    def graph_checks(self, name: str, data: Any, graph: nx.DiGraph, lines: dict[str, int | None], incomplete: set[str]) -> None:
        start = text(data.get("start"))
        defined = [n for n, d in graph.nodes(data=True) if not d["missing"]]
        for source, target, edge in graph.edges(data=True):
            if graph.nodes[target]["missing"]:
                incomplete.add(source)  # RuleChecks reports the unknown target at its key's line
        if start is None:
            return
        if start not in lines:
            return  # RuleChecks reports the unknown start node
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

    def first_hit_rules(self, name: str, what: str) -> list[Any]:
        """Impossible conditions and rules after an unconditional one; returns the rules that can be chosen."""
        rules = mappings(self.raw.get(name), "rules")
        unconditional: Any = None
        live = []
        for rule in rules:
            rid = text(rule.get("id")) or "?"
            cond = self.checks.conditions.get((name, rid))
            if unconditional is not None:
                self.warning(name, rule.line, f"{what} rule '{rid}' comes after '{unconditional.get('id')}' (line {unconditional.line}), which holds for every case: it can never be chosen")
                continue
            if cond is None:
                continue
            if cannot_hold(cond, fields=self.checks.fields):
                self.error(name, key_line(rule, "when"), f"the condition of {what} rule '{rid}' can never hold: it is never chosen")
                continue
            live.append(rule)
            if always_holds(cond, self.checks.fields):
                unconditional = rule
        if rules and unconditional is None:
            self.warning(name, rules[-1].line, f"no {what} rule holds for every case; end with a rule `when: {{}}` so that every case gets one")
        return live

    def profiles(self) -> None:
        name = "helmond_profiles.yaml"
        labels = mapping(self.raw.get(name), "profiles")
        live = self.first_hit_rules(name, "profile")
        produced = {rule.get("profile") for rule in live}
        for profile in labels:
            if mappings(self.raw.get(name), "rules") and profile not in produced:
                self.warning(name, key_line(labels, profile), f"profile '{profile}' is never produced by a rule that can be chosen")

    def lead(self) -> None:
        name = "lead_coordinator.yaml"
        self.first_hit_rules(name, "lead coordinator")
        roles = mapping(self.raw.get(name), "roles")
        if roles:
            for kind in SUPPORT_KINDS:
                if kind not in roles:
                    self.warning(name, key_line(self.raw.get(name), "roles"), f"role '{kind}' has no labels: a lead of that kind would show its bare id")
        for mid, pack_file in self.checks.packs.items():
            forms = mapping(self.raw.get(pack_file), "collaboration")
            for rid in forms:
                cond = self.checks.conditions.get((name, rid))
                if cond is not None and not may_hold_in(cond, mid):
                    self.warning(pack_file, key_line(forms, rid), f"collaboration for '{rid}', which cannot apply in {mid}: the form is never used (not needed)")

    # -------------------------------------------------------------- catalogue use

    def catalogue_use(self) -> None:
        used = getattr(self, "used", None)
        offered = set().union(*self.checks.offered.values()) if self.checks.offered else set()
        for iid, line in self.checks.interventions.items():
            if used is not None and "leiden_flowchart.yaml" in self.raw and iid not in used:
                self.warning("interventions.yaml", line, f"intervention '{iid}' is suggested by no flowchart action")
            if self.checks.packs and iid not in offered and iid not in self.by_pilot:
                self.warning("interventions.yaml", line, f"intervention '{iid}' is offered in no municipality's social map (fine if the pilot professional does it personally)")


def _list(ids: list[str], most: int = 5) -> str:
    shown = ", ".join(f"'{i}'" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _from_rule_error(exc: RuleError) -> Finding:
    return Finding("error", exc.file, exc.line, _without_where(exc.file, exc.line, exc.message))


def _without_where(file: str, line: int | None, message: str) -> str:
    where = f"{file}:{line}" if line else file
    return message[len(where) + 1:].strip() if message.startswith(where + ":") else message


_COMPILE = """
import json, sys
from engine.errors import RuleError
from engine.matcher import _ProbeHost, compile_rulesets, install
from engine.rulebook import load
book = load(sys.argv[1], sys.argv[2:])
try:
    install(_ProbeHost(), compile_rulesets(book, "check"), book)
except RuleError as exc:
    print(json.dumps([exc.file, exc.line, exc.message]))
"""


def compile_in_child(directory: Path, packs: list[Path] | None = None) -> list[Finding]:
    """Compile the rules into durable-rules as the engine does, in a child process: a native
    fault in its C core then fails the check instead of killing it."""
    import json
    import subprocess

    packs = env_packs() if packs is None else packs
    try:
        done = subprocess.run([sys.executable, "-c", _COMPILE, str(directory), *map(str, packs)],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return [Finding("error", str(directory), None, "the rule engine (durable-rules) did not finish compiling the rules within 120 s")]
    if done.returncode != 0:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        return [Finding("error", str(directory), None, f"the rule engine (durable-rules) crashed compiling the rules ({how})")]
    if not done.stdout.strip():
        return []
    file, line, message = json.loads(done.stdout.strip().splitlines()[-1])
    return [Finding("error", file, line, _without_where(file, line, message))]


def check_rules(directory: Path | str | None = None, packs: "list[Path | str] | None" = None) -> list[Finding]:
    """Every finding for the rules in `directory` (default: the shipped rules) and the packs
    outside it (`packs`; None: $WEGWIJZER_PACKS), errors first."""
    directory = Path(directory) if directory else default_rules_dir()
    if not directory.is_dir():
        raise RuleError(str(directory), None, "rules folder not found")
    return _Checker(directory, None if packs is None else [Path(p) for p in packs]).run()


def render(findings: list[Finding], directory: Path | str | None = None, lang: str = "nl") -> str:
    """The report, verdict first: Dutch by default, English with lang='en'."""
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    where = f" in {directory}" if directory else ""
    if lang == "nl":
        verdict = "AFGEKEURD" if errors else "in orde"
        summary = f"check {verdict}: {len(errors)} fout(en), {len(warnings)} waarschuwing(en){where}"
        titles = ("Fouten:", "Waarschuwingen:")
        severity = {"error": "fout", "warning": "waarschuwing"}
    else:
        verdict = "FAILED" if errors else "ok"
        summary = f"check {verdict}: {len(errors)} error(s), {len(warnings)} warning(s){where}"
        titles = ("Errors:", "Warnings:")
        severity = {"error": "error", "warning": "warning"}

    def line(f: Finding) -> str:
        at = f"{f.file}:{f.line}" if f.line else f.file
        return f"  {at}: {severity[f.severity]}: {say(lang, f.message)}"

    lines = [summary]
    if errors:
        lines += ["", titles[0], *(line(f) for f in errors)]
    if warnings:
        lines += ["", titles[1], *(line(f) for f in warnings)]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    add_lang(parser)


def run(args: argparse.Namespace) -> int:
    directory = Path(args.rules) if args.rules else default_rules_dir()
    findings = check_rules(directory)
    sys.stdout.write(render(findings, directory, args.lang))
    return 1 if any(f.severity == "error" for f in findings) else 0
