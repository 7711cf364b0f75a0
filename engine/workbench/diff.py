"""`wegwijzer diff OLD NEW --cases PATH`: what a rule change does to a caseload.

OLD and NEW are rules folders or git revisions (`HEAD~1`, `main`, or `REV:path/to/rules`);
a revision's rule files are exported with `git show` into a temporary folder. Both rule
sets advise every case; the report counts, per intervention, the cases that gain or lose
it, the profile shift matrix, lead-coordinator role shifts, and which cases changed.

    from engine.workbench.diff import diff_rules
    report = diff_rules("rules-old/", "rules/", "cases/")

A case changes when it gains or loses an intervention, when its step plan keeps the same
interventions in another order or phase, or when its profile or lead shifts.

Exit codes (distinct, so a CI job can tell them apart): 0 compared, nothing to report;
1 some case changed and --fail-on-change was given; 3 some case could not be advised (it
is listed; the others were compared), whatever changed; 2 the run itself failed.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..caseload import case_label, iter_cases
from ..errors import WegwijzerError
from ..rulebook import PACK_FILES, PACKS_DIR, RULE_FILES
from ..safetext import printable
from .dutch import add_lang


@dataclass
class InterventionChange:
    intervention: str
    gained: list[str] = field(default_factory=list)  # case labels
    lost: list[str] = field(default_factory=list)


@dataclass
class DiffReport:
    old: str
    new: str
    old_version: str
    new_version: str
    cases: int = 0
    compared: int = 0
    interventions: list[InterventionChange] = field(default_factory=list)
    profiles: dict[str, dict[str, int]] = field(default_factory=dict)  # old -> new -> count (all cases)
    lead_shifts: dict[str, int] = field(default_factory=dict)  # "old -> new" -> count (changed only)
    affected: dict[str, list[str]] = field(default_factory=dict)  # case -> what changed
    bad_cases: list[tuple[str, str]] = field(default_factory=list)  # (case, message)
    reordered: int = 0  # changed cases whose step plan has the same interventions in another order or phase
    # with the store's decision log (--weigh): per rule whose content changed, how often coaches set
    # aside what it (or, for a decision node, the actions on its branches) suggested: {set_aside,
    # decided}, or None when fewer than the threshold were decided
    overridden: dict[str, dict[str, int] | None] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.affected)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def rules_folder(spec: str, stack: ExitStack, cwd: Path | None = None) -> Path:
    """A rules folder for `spec`: the folder itself, or a git revision's rules exported to a temp dir."""
    if Path(spec).is_dir():
        return Path(spec)
    rev, _, sub = spec.partition(":")
    sub = sub or "rules"

    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
        except FileNotFoundError:
            raise WegwijzerError(f"'{spec}' is not a folder, and git is not installed to read it as a revision") from None

    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise WegwijzerError(f"'{spec}' is not a folder, and this is not a git repository to read it as a revision")
    if git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        raise WegwijzerError(f"'{spec}' is neither a folder nor a git revision")
    root = Path(top.stdout.decode().strip())
    target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"wegwijzer-{rev.replace('/', '_')}-")))
    found = 0
    # the municipality packs of that revision too (none in one from before packs)
    listed = subprocess.run(["git", "ls-tree", "-r", "--name-only", f"{rev}:{sub}/{PACKS_DIR}"], cwd=root,
                            capture_output=True, check=False)
    packs = [f"{PACKS_DIR}/{line}" for line in listed.stdout.decode().splitlines()
             if listed.returncode == 0 and line.rsplit("/", 1)[-1] in PACK_FILES and line.count("/") == 1]
    for name in [*RULE_FILES, *packs]:
        shown = subprocess.run(["git", "show", f"{rev}:{sub}/{name}"], cwd=root, capture_output=True, check=False)
        if shown.returncode == 0:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(shown.stdout)
            found += 1
    if not found:
        raise WegwijzerError(f"revision '{rev}' has no rule files under '{sub}/'")
    return target


def changed_rules(old: Any, new: Any) -> dict[str, list[str]]:
    """The rules whose content differs between two rulebooks (or that one of them lacks), as
    `<rule set>/<id>`, each with the rules whose suggestions it decides: itself, and for a
    decision node the first action on each of its branches."""
    from dataclasses import replace

    from ..resolve import rule_ref

    def rules_of(book: Any) -> dict[str, tuple[Any, list[str]]]:
        out: dict[str, tuple[Any, list[str]]] = {}
        nodes = book.flowchart.nodes
        for node in nodes.values():
            targets = [node.yes, node.no] if node.type == "decision" else []
            acts = [rule_ref(nodes[t].file, t, book) for t in targets if t in nodes and nodes[t].type == "action"]
            out[rule_ref(node.file, node.id, book)] = (replace(node, file="", line=0), acts)
        for rule in [*book.profile_rules, *book.lead_rules]:
            out[rule_ref(rule.file, rule.id, book)] = (replace(rule, file="", line=0), [])
        return out

    before, after = rules_of(old), rules_of(new)
    changed = {}
    for ref in sorted(set(before) | set(after)):
        was, now = before.get(ref), after.get(ref)
        if was is None or now is None or was[0] != now[0]:
            changed[ref] = [ref, *(was or now)[1]]
    return changed


def weigh(report: DiffReport, old_book: Any, new_book: Any, feedback: Any) -> None:
    """Fill `report.overridden` from a feedback report (engine.feedback) over the old rules' advice."""
    for ref, decides in changed_rules(old_book, new_book).items():
        found = [feedback.override_rate(r) for r in decides]
        found = [f for f in found if f is not None]
        report.overridden[ref] = ({"set_aside": sum(f[0] for f in found), "decided": sum(f[1] for f in found)}
                                  if found else None)


def diff_rules(old: str | Path, new: str | Path, cases: str | Path, feedback: Any = None) -> DiffReport:
    """`feedback`: an engine.feedback report; each changed rule is then weighed by how often
    coaches set aside what it suggested."""
    from ..api import Engine

    with ExitStack() as stack:
        old_engine = Engine.load(rules_folder(str(old), stack))
        new_engine = Engine.load(rules_folder(str(new), stack))
    report = DiffReport(str(old), str(new), old_engine.rules_version, new_engine.rules_version)
    if feedback is not None:
        weigh(report, old_engine.book, new_engine.book, feedback)
    gained: dict[str, list[str]] = {}
    lost: dict[str, list[str]] = {}
    matrix: dict[str, Counter[str]] = {}
    leads: Counter[str] = Counter()
    for ref, data in iter_cases(cases):
        report.cases += 1
        label = case_label(ref, data)
        if isinstance(data, WegwijzerError):
            report.bad_cases.append((label, str(data)))
            continue
        try:
            before = old_engine.recommend(data, source=ref)
            after = new_engine.recommend(data, source=ref)
        except WegwijzerError as exc:
            report.bad_cases.append((label, str(exc)))
            continue
        report.compared += 1
        changes = []
        was, now = {i.id for i in before.interventions}, {i.id for i in after.interventions}
        for iid in sorted(now - was):
            gained.setdefault(iid, []).append(label)
        for iid in sorted(was - now):
            lost.setdefault(iid, []).append(label)
        if now != was:
            changes += [f"+{i}" for i in sorted(now - was)] + [f"-{i}" for i in sorted(was - now)]
        else:
            plan_was, plan_now = _plan(before), _plan(after)
            if plan_was != plan_now:  # the same steps, in another order or phase: the coach sees a different plan
                report.reordered += 1
                changes.append(f"order {plan_was} -> {plan_now}")
        p0, p1 = before.client_profile.id, after.client_profile.id
        matrix.setdefault(p0, Counter())[p1] += 1
        if p0 != p1:
            changes.append(f"profile {p0} -> {p1}")
        l0, l1 = before.lead_coordinator, after.lead_coordinator
        if (l0.role, l0.collaboration) != (l1.role, l1.collaboration):
            shift = f"{l0.role} ({l0.collaboration}) -> {l1.role} ({l1.collaboration})"
            leads[shift] += 1
            changes.append(f"lead {shift}")
        if changes:
            report.affected[label] = changes
    report.interventions = [InterventionChange(iid, gained.get(iid, []), lost.get(iid, []))
                            for iid in sorted(set(gained) | set(lost))]
    report.profiles = {p0: dict(row) for p0, row in sorted(matrix.items())}
    report.lead_shifts = dict(leads.most_common())
    return report


def _plan(rec: Any) -> str:
    """The step plan as `a (now), b (later)`: what a coach reads first."""
    return ", ".join(f"{i.id} ({i.phase})" for i in rec.interventions)


EXIT_CHANGED = 1  # --fail-on-change and some case changed
EXIT_BAD_CASES = 3  # some case could not be advised (2: the run itself failed, as every command)


_WORDS = {
    "nl": {
        "compared": "{c} van {n} casus(sen) vergeleken, {k} veranderd", "interventions": "Interventies (casussen erbij / eraf):",
        "profiles": "Klantprofielen (rijen: oud, kolommen: nieuw):", "leads": "Verschuivingen van regievoerder:",
        "changed": "Veranderde casussen:", "more": "  ... en nog {n} (--format json toont ze allemaal)",
        "none": "Geen casus verandert.", "bad": "Casussen die geen advies kregen ({n}):",
        "weighed": "Gewijzigde regels, gewogen naar wat coaches terzijde legden:",
        "too_few": "te weinig besluiten om te tonen", "set_aside": "{n} van {d} keer terzijde gelegd ({p}%)",
    },
    "en": {
        "compared": "{c} of {n} case(s) compared, {k} changed", "interventions": "Interventions (cases gaining / losing):",
        "profiles": "Profiles (rows: old, columns: new):", "leads": "Lead coordinator shifts:",
        "changed": "Changed cases:", "more": "  ... and {n} more (--format json lists them all)",
        "none": "No case changes.", "bad": "Cases that could not be advised ({n}):",
        "weighed": "Changed rules, weighed by how often coaches set aside what they suggested:",
        "too_few": "too few decisions to show", "set_aside": "set aside {n} of {d} times ({p}%)",
    },
}


def render(report: DiffReport, show: int = 10, lang: str = "nl") -> str:
    words = _WORDS[lang]
    out = [words["compared"].format(c=report.compared, n=report.cases, k=len(report.affected)),
           f"{report.old} ({report.old_version}) -> {report.new} ({report.new_version})"]
    if report.interventions:
        out += ["", words["interventions"]]
        for change in report.interventions:
            out.append(f"  {change.intervention}: +{len(change.gained)} -{len(change.lost)}")
    profiles = sorted(set(report.profiles) | {p for row in report.profiles.values() for p in row})
    if profiles:
        width = max(len(p) for p in profiles)
        out += ["", words["profiles"], "  " + " " * width + "".join(f"  {p:>{width}}" for p in profiles)]
        for p0 in profiles:
            row = report.profiles.get(p0, {})
            out.append(f"  {p0:<{width}}" + "".join(f"  {row.get(p1, 0):>{width}}" for p1 in profiles))
    if report.lead_shifts:
        out += ["", words["leads"]]
        out += [f"  {n:5d}  {shift}" for shift, n in report.lead_shifts.items()]
    if report.affected:
        out += ["", words["changed"]]
        items = list(report.affected.items())
        out += [f"  {label}: {', '.join(changes)}" for label, changes in items[:show]]
        if len(items) > show:
            out.append(words["more"].format(n=len(items) - show))
    else:
        out += ["", words["none"]]
    if report.overridden:
        out += ["", words["weighed"]]
        for ref, found in report.overridden.items():
            if found is None:
                out.append(f"  {ref}: {words['too_few']}")
            else:
                rate = round(100 * found["set_aside"] / found["decided"])
                out.append(f"  {ref}: {words['set_aside'].format(n=found['set_aside'], d=found['decided'], p=rate)}")
    if report.bad_cases:
        from .stats import bad_case_line
        out += ["", words["bad"].format(n=len(report.bad_cases))]
        out += [bad_case_line(label, msg) for label, msg in report.bad_cases]
    return "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD_RULES", help="rules folder or git revision (e.g. HEAD~1, main, REV:rules)")
    parser.add_argument("new", metavar="NEW_RULES", help="rules folder or git revision")
    parser.add_argument("--cases", required=True, help="a folder of case files (.yaml/.json) or a JSON Lines file")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--fail-on-change", action="store_true",
                        help="exit 1 when any case changes (exit 3 when a case could not be advised, 2 when the run failed)")
    parser.add_argument("--weigh", metavar="DB", help="weigh each changed rule by how often coaches set aside what it "
                                                      "suggested, from this case store's decision log")
    parser.add_argument("--threshold", type=int, help="with --weigh: the smallest group shown (as the monitor's)")
    from ..cli import PACKS_HELP

    # no --rules here (the two rules are positional), so the CLI does not add --packs itself;
    # the packs load beside both rules
    parser.add_argument("--packs", action="append", metavar="DIR", help=PACKS_HELP)
    add_lang(parser)


def run(args: argparse.Namespace) -> int:
    weights = None
    if args.weigh:
        from ..feedback import feedback
        from ..monitor.cli import _threshold, policy_threshold
        from ..store.cli import TOKEN_ENV
        from ..store.repo import Store
        import os

        store = Store.open(args.weigh)
        try:
            # the store's smallest group is its policy: --threshold may raise it, never lower it
            weights = feedback(store, store.actor(os.environ.get(TOKEN_ENV)), _threshold(args, policy_threshold(store)))
        finally:
            store.close()
    report = diff_rules(args.old, args.new, args.cases, weights)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(printable(render(report, lang=args.lang), keep_lines=True))
    if report.bad_cases:
        return EXIT_BAD_CASES
    return EXIT_CHANGED if args.fail_on_change and report.changed else 0
