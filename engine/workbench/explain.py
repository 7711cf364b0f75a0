"""`wegwijzer explain CASE`: the path one case takes through the rules, and why.

    from engine import Engine
    from engine.workbench.explain import explain_case, render
    print(render(explain_case(Engine.load(), data, why_not="debt_counselling")))

The path comes from the same rule matches `recommend` uses (durable-rules); the
conditions that held or failed are shown with the reference evaluator
(`conditions.holds` / `first_failure`), which has the same semantics.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import flowgraph
from ..conditions import Compare, Cond, Not, describe, first_failure, holds, leaves
from ..errors import WegwijzerError, suggest
from ..resolve import resolve, walk
from ..rulebook import Node, Rule
from ..safetext import printable
from .dutch import add_lang, condition_nl


@dataclass
class Step:
    """One node on the path: a decision with its branch, an action with its outcome, or the end."""

    node: str
    kind: str  # decision | action | end
    file: str
    line: int
    source: str
    outcome: str  # yes | no | suggested | already_running | covered_by_support:<kind> | duplicate | end
    question: str | None = None
    condition: str | None = None
    intervention: str | None = None
    label: str | None = None
    because: list[str] = field(default_factory=list)  # comparisons that decided the branch, with lines


@dataclass
class Choice:
    """The profile or lead rule chosen (hit policy first), and the earlier rules that did not hold."""

    what: str  # profile | lead_coordinator
    rule: str
    file: str
    line: int
    source: str
    result: str
    condition: str
    because: list[str]
    skipped: list[tuple[str, int, str]]  # (rule id, line, first failing comparison)


@dataclass
class Reason:
    """For --why / --why-not: one node or rule and what decided it."""

    target: str
    file: str
    line: int
    verdict: str
    details: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    case_id: str | None
    municipality: str
    rules_version: str
    steps: list[Step]
    profile: Choice
    lead: Choice
    interventions: list[str]
    question: str | None = None  # "why X" or "why not X"
    reasons: list[Reason] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data; rule files by name only, so output does not depend on where rules are installed."""
        from dataclasses import asdict

        def names(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: Path(v).name if k == "file" and isinstance(v, str) else names(v) for k, v in value.items()}
            if isinstance(value, list):
                return [names(v) for v in value]
            return value

        return names(asdict(self))


def _where(file: str, line: int | None) -> str:
    return f"{Path(file).name}:{line}" if line else Path(file).name


def _held(cond: Cond, fact: dict[str, Any], file: str) -> list[str]:
    """The comparisons that hold, each with its line: what made a condition true."""
    return [f"{describe(leaf)} ({_where(file, leaf.line)})" for leaf in leaves(cond) if holds(leaf, fact) != _negated(cond, leaf)]


def _negated(cond: Cond, target: Cond, negate: bool = False) -> bool:
    if cond is target:
        return negate
    if isinstance(cond, Not):
        return _negated(cond.part, target, not negate)
    for part in getattr(cond, "parts", ()):
        if any(leaf is target for leaf in leaves(part)):
            return _negated(part, target, negate)
    return negate


def _failed(cond: Cond, fact: dict[str, Any], file: str) -> str:
    failing = first_failure(cond, fact)
    if failing is None:
        return "(it holds)"
    absent = isinstance(failing, Compare) and failing.op != "contains" and failing.field not in fact
    known = " (not in the case)" if absent else ""
    return f"{describe(failing)}{known} ({_where(file, failing.line or None)})"


def _because(node: Node, branch: str, fact: dict[str, Any]) -> list[str]:
    if node.when is None:
        return []
    if branch == "yes":
        return _held(node.when, fact, node.file)
    return [f"failed: {_failed(node.when, fact, node.file)}"]


def _choice(what: str, rules: list[Rule], fired: set[str], fact: dict[str, Any], result: str) -> Choice:
    skipped = []
    for rule in rules:
        if rule.id in fired:
            return Choice(what, rule.id, rule.file, rule.line, rule.source, result, describe(rule.when),
                          _held(rule.when, fact, rule.file), skipped)
        skipped.append((rule.id, rule.line, _failed(rule.when, fact, rule.file)))
    raise WegwijzerError(f"no {what} rule matched")


def explain_case(engine: Any, data: Any, source: str | None = None, *, why: str | None = None,
                 why_not: str | None = None) -> Explanation:
    """The explanation of one case. `engine` is an engine.Engine."""
    book = engine.book
    assessment, fact, fired = engine.evaluate(data, source)
    rec = resolve(book, assessment, fired)
    flow_trace = [t for t in rec.trace if t.kind in ("decision", "action", "end")]
    steps = []
    for (node, branch), trace in zip(walk(book, fired["flowchart"]), flow_trace):
        item = book.interventions.get(node.intervention) if node.intervention else None
        steps.append(Step(
            node.id, node.type, node.file, node.line, node.source, trace.outcome,
            question=node.question_nl, condition=describe(node.when) if node.when else None,
            intervention=node.intervention, label=item.label_nl if item else None,
            because=_because(node, branch, fact),
        ))
    profile = _choice("profile", book.profile_rules, fired["profiles"], fact, rec.client_profile.id)
    lead_result = rec.lead_coordinator.role + (f" ({rec.lead_coordinator.organisation})" if rec.lead_coordinator.organisation else "")
    lead = _choice("lead_coordinator", book.lead_rules, fired["lead"], fact, f"{lead_result}, {rec.lead_coordinator.collaboration}")
    explanation = Explanation(rec.case_id, rec.municipality, rec.rules_version, steps, profile, lead,
                              [i.id for i in rec.interventions])
    if why and why_not:
        raise WegwijzerError("ask either --why or --why-not, not both")
    if why:
        explanation.question = f"why {why}"
        explanation.reasons = _why(engine, explanation, fact, why)
    elif why_not:
        explanation.question = f"why not {why_not}"
        explanation.reasons = _why_not(engine, explanation, fact, fired, why_not)
    return explanation


def _known_target(book: Any, target: str) -> None:
    known = set(book.interventions) | set(book.flowchart.nodes) | {r.id for r in book.profile_rules} | {r.id for r in book.lead_rules}
    if target not in known:
        raise WegwijzerError(f"'{target}' is no intervention, flowchart node or rule{suggest(target, known)}")


def _rule_reason(rules: list[Rule], choice: Choice, target: str, fact: dict[str, Any]) -> Reason | None:
    rule = next((r for r in rules if r.id == target), None)
    if rule is None:
        return None
    if rule.id == choice.rule:
        return Reason(target, rule.file, rule.line, f"chosen: {describe(rule.when)}",
                      [f"held: {b}" for b in choice.because] + [f"earlier rule '{rid}' did not hold: {why}" for rid, _, why in choice.skipped])
    if holds(rule.when, fact):
        return Reason(target, rule.file, rule.line, f"its condition holds, but an earlier rule came first: '{choice.rule}' ({_where(choice.file, choice.line)})")
    return Reason(target, rule.file, rule.line, "its condition does not hold", [f"failed: {_failed(rule.when, fact, rule.file)}"])


def _profile_or_lead_reason(book: Any, ex: Explanation, fact: dict[str, Any], target: str) -> list[Reason]:
    """The reason when `target` is a profile or lead rule; [] when it is a flowchart id."""
    _known_target(book, target)
    for rules, choice in ((book.profile_rules, ex.profile), (book.lead_rules, ex.lead)):
        reason = _rule_reason(rules, choice, target, fact)
        if reason:
            return [reason]
    return []


def _why(engine: Any, ex: Explanation, fact: dict[str, Any], target: str) -> list[Reason]:
    rule_reason = _profile_or_lead_reason(engine.book, ex, fact, target)
    if rule_reason:
        return rule_reason
    reasons = []
    for index, step in enumerate(ex.steps):
        if step.node != target and step.intervention != target:
            continue
        path = [f"{s.node} → {s.outcome}" + (f": {'; '.join(s.because)}" if s.because else "")
                for s in ex.steps[:index] if s.kind == "decision"]
        reasons.append(Reason(step.node, step.file, step.line, f"reached, outcome {step.outcome}", path))
    if not reasons:
        raise WegwijzerError(f"'{target}' is not on this case's path; ask --why-not {target}")
    return reasons


def _why_not(engine: Any, ex: Explanation, fact: dict[str, Any], fired: dict[str, set[str]], target: str) -> list[Reason]:
    book = engine.book
    rule_reason = _profile_or_lead_reason(book, ex, fact, target)
    if rule_reason:
        return rule_reason
    nodes = book.flowchart.nodes
    targets = [n for n in nodes.values() if n.id == target or (n.type == "action" and n.intervention == target)]
    if not targets:
        return [Reason(target, book.flowchart.file, 0, "no flowchart action suggests it")]
    graph = flowgraph.build(book.flowchart)
    on_path = {s.node: s for s in ex.steps}
    reasons = []
    for node in targets:
        step = on_path.get(node.id)
        if step is not None:
            verdict = {"suggested": "reached and suggested", "already_running": "reached, but already running",
                       "duplicate": "reached, but already suggested by an earlier node"}.get(step.outcome)
            if verdict is None and step.outcome.startswith("covered_by_support:"):
                verdict = f"reached, but covered by existing support ({step.outcome.split(':', 1)[1]})"
            reasons.append(Reason(node.id, node.file, node.line, verdict or f"reached: {step.outcome}"))
            continue
        reasons.append(_blocked(book, graph, ex, fact, node))
    return reasons


def _blocked(book: Any, graph: Any, ex: Explanation, fact: dict[str, Any], target: Node) -> Reason:
    """The decision on the path after which `target` could no longer be reached."""
    nodes = book.flowchart.nodes
    for step in ex.steps:
        node = nodes[step.node]
        if node.type != "decision" or not flowgraph.reaches(graph, node.id, target.id):
            continue
        taken = node.yes if step.outcome == "yes" else node.no
        other = node.no if step.outcome == "yes" else node.yes
        if flowgraph.reaches(graph, taken, target.id) or not flowgraph.reaches(graph, other, target.id):
            continue
        if step.outcome == "no":
            detail = f"failed: {_failed(node.when, fact, node.file)}"
        else:
            detail = "held: " + "; ".join(_held(node.when, fact, node.file))
        return Reason(target.id, target.file, target.line,
                      f"not reached: decision '{node.id}' ({_where(node.file, node.line)}) went {step.outcome}",
                      [f"{node.question_nl}", f"condition: {describe(node.when)}", detail, f"source: {node.source}"])
    return Reason(target.id, target.file, target.line, "not reachable from start (run wegwijzer check)")


# ------------------------------------------------------------------ text


_OUTCOMES_NL = {
    "yes": "JA", "no": "NEE", "suggested": "voorgesteld", "already_running": "loopt al",
    "duplicate": "al voorgesteld", "end": "einde",
}

# the English verdicts and details of explain_case's data, in Dutch (the JSON keeps English)
_NL = [
    (r"reached, outcome (?P<o>.*)", lambda m: f"bereikt, uitkomst {_outcome_nl(m['o'])}"),
    (r"reached and suggested", "bereikt en voorgesteld"),
    (r"reached, but already running", "bereikt, maar loopt al"),
    (r"reached, but already suggested by an earlier node", "bereikt, maar al voorgesteld door een eerdere knoop"),
    (r"reached, but covered by existing support \((?P<k>.*)\)", r"bereikt, maar gedekt door bestaande ondersteuning (\g<k>)"),
    (r"reached: (?P<o>.*)", lambda m: f"bereikt: {_outcome_nl(m['o'])}"),
    (r"chosen: (?P<c>.*)", lambda m: f"gekozen: {_detail_nl(m['c'])}"),
    (r"its condition holds, but an earlier rule came first: (?P<r>.*)", r"de voorwaarde geldt, maar een eerdere regel ging voor: \g<r>"),
    (r"its condition does not hold", "de voorwaarde geldt niet"),
    (r"no flowchart action suggests it", "geen actie in het stroomschema stelt het voor"),
    (r"not reached: decision '(?P<n>[^']*)' \((?P<w>[^)]*)\) went (?P<o>yes|no)", lambda m: f"niet bereikt: beslissing '{m['n']}' ({m['w']}) ging {_outcome_nl(m['o'])}"),
    (r"not reachable from start \(run wegwijzer check\)", "niet bereikbaar vanaf de start (draai wegwijzer check)"),
    (r"failed: (?P<c>.*)", lambda m: f"niet voldaan: {_detail_nl(m['c'])}"),
    (r"held: (?P<c>.*)", lambda m: f"voldaan: {_detail_nl(m['c'])}"),
    (r"earlier rule '(?P<r>[^']*)' did not hold: (?P<c>.*)", lambda m: f"eerdere regel '{m['r']}' gold niet: {_detail_nl(m['c'])}"),
    (r"condition: (?P<c>.*)", lambda m: f"voorwaarde: {_detail_nl(m['c'])}"),
    (r"source: (?P<c>.*)", r"bron: \g<c>"),
]
_NL_COMPILED = [(re.compile(p, re.S), t) for p, t in _NL]


def _outcome_nl(outcome: str) -> str:
    if outcome.startswith("covered_by_support:"):
        return f"gedekt door bestaande ondersteuning ({outcome.split(':', 1)[1]})"
    return _OUTCOMES_NL.get(outcome, outcome)


def _detail_nl(text: str) -> str:
    return condition_nl(text.replace(" (not in the case)", " (niet in de casus)").replace("(it holds)", "(geldt)"))


def _in(lang: str, text: str) -> str:
    if lang != "nl":
        return text
    for pattern, template in _NL_COMPILED:
        match = pattern.fullmatch(text)
        if match:
            return template(match) if callable(template) else match.expand(template)
    return _detail_nl(text)


def answer(ex: Explanation, lang: str = "nl") -> str | None:
    """The one-line answer to --why / --why-not (None when no question was asked)."""
    if not ex.question:
        return None
    negative, _, target = ex.question.partition(" not ")
    target = target or ex.question.removeprefix("why ")
    question = (f"Waarom niet {target}?" if ex.question.startswith("why not ") else f"Waarom {target}?") if lang == "nl" else ex.question.capitalize() + "?"
    verdicts = "; ".join(f"{r.target}: {_in(lang, r.verdict)}" for r in ex.reasons)
    return f"{question} {verdicts}"


def render(ex: Explanation, lang: str = "nl") -> str:
    """The explanation as text: with --why/--why-not the one-line answer first, then the path."""
    nl = lang == "nl"
    out = []
    first = answer(ex, lang)
    if first:
        out += [first, ""]
    out += [f"Casus {ex.case_id or '(geen id)'} ({ex.municipality}), regels {ex.rules_version}" if nl
            else f"Case {ex.case_id or '(no id)'} ({ex.municipality}), rules {ex.rules_version}",
            "", "Pad door het stroomschema:" if nl else "Path through the flowchart:"]
    when, source = ("als", "bron") if nl else ("when", "source")
    for step in ex.steps:
        where = _where(step.file, step.line)
        if step.kind == "decision":
            outcome = _outcome_nl(step.outcome) if nl else step.outcome.upper()
            out.append(f"  {step.node}: {step.question}  -> {outcome}")
            out.append(f"      {when} {_detail_nl(step.condition or '') if nl else step.condition}")
            out += [f"      {_in(lang, b)}" for b in step.because]
            out.append(f"      {where}; {source} {step.source}")
        elif step.kind == "action":
            out.append(f"  {step.node}: {step.label} [{step.intervention}] -> {_outcome_nl(step.outcome) if nl else step.outcome}")
            out.append(f"      {where}; {source} {step.source}")
        else:
            out.append(f"  {step.node} ({where})")
    titles = (("Klantprofiel", "Regievoerder") if nl else ("Profile", "Lead coordinator (regievoerder)"))
    for choice, title in ((ex.profile, titles[0]), (ex.lead, titles[1])):
        by = f"door regel '{choice.rule}' ({_where(choice.file, choice.line)}; bron {choice.source})" if nl \
            else f"by rule '{choice.rule}' ({_where(choice.file, choice.line)}; source {choice.source})"
        out += ["", f"{title}: {choice.result}, {by}", f"  {when} {_detail_nl(choice.condition) if nl else choice.condition}"]
        out += [f"  {'voldaan' if nl else 'held'}: {_detail_nl(b) if nl else b}" for b in choice.because]
        out += [(f"  overgeslagen '{rid}' (regel {line}): {_detail_nl(why)}" if nl else f"  skipped '{rid}' (line {line}): {why}")
                for rid, line, why in choice.skipped]
    nothing = "niets" if nl else "nothing"
    out += ["", ("Voorgesteld: " if nl else "Suggested: ") + (", ".join(ex.interventions) or nothing)]
    if ex.question:
        out += ["", (first.split("?")[0] + "?") if first else ex.question]
        for reason in ex.reasons:
            where = _where(reason.file, reason.line) if reason.line else Path(reason.file).name
            out.append(f"  {reason.target} ({where}): {_in(lang, reason.verdict)}")
            out += [f"      {_in(lang, d)}" for d in reason.details]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cases", nargs="+", metavar="CASE", help="assessment file(s) (YAML or JSON), or - for stdin")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--why", metavar="ID", help="an intervention, node or rule id: the path to it and what held")
    group.add_argument("--why-not", metavar="ID", help="an intervention, node or rule id: what blocked it")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    add_lang(parser)


def run(args: argparse.Namespace) -> int:
    import json

    from ..api import Engine
    from ..caseload import read_case

    engine = Engine.load(args.rules)
    target = args.why or args.why_not
    if target:
        _known_target(engine.book, target)  # a typo in the question is no bad case: stop at once
    bad = 0
    for index, path in enumerate(args.cases):
        try:
            ex = explain_case(engine, read_case(path), path, why=args.why, why_not=args.why_not)
        except WegwijzerError as exc:  # a bad case (or a question it cannot answer): say which and what, go on
            print(f"wegwijzer: {printable(str(exc), keep_lines=True)}", file=sys.stderr)
            bad += 1
            continue
        if args.format == "json":  # one case: one document; several: one per line (JSON Lines)
            indent = 2 if len(args.cases) == 1 else None
            sys.stdout.write(json.dumps(ex.as_dict(), indent=indent, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(("\n" if index else "") + printable(render(ex, args.lang), keep_lines=True))
    return 1 if bad else 0
