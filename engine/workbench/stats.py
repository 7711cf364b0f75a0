"""`wegwijzer stats CASES`: what the rules do to a whole caseload.

Profile distribution, the interventions suggested most, and the referral load per
organisation (how many referrals share data, so need consent, and how many lack it).

    from engine.workbench.stats import caseload_stats
    stats = caseload_stats(Engine.load(), "cases/")
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..caseload import recommend_each
from ..errors import WegwijzerError
from ..safetext import printable
from .dutch import add_lang


@dataclass
class OrganisationLoad:
    municipality: str
    organisation: str
    name: str
    referrals: int = 0
    consent_required: int = 0
    consent_missing: int = 0


@dataclass
class Stats:
    cases: int = 0
    advised: int = 0
    rules_version: str = ""
    profiles: dict[str, int] = field(default_factory=dict)
    lead_roles: dict[str, int] = field(default_factory=dict)
    interventions: dict[str, int] = field(default_factory=dict)  # most suggested first
    organisations: list[OrganisationLoad] = field(default_factory=list)  # heaviest load first
    bad_cases: list[tuple[str, str]] = field(default_factory=list)  # (case, message)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def caseload_stats(engine: Any, cases: str | Path) -> Stats:
    stats = Stats(rules_version=engine.rules_version)
    profiles: Counter[str] = Counter()
    leads: Counter[str] = Counter()
    interventions: Counter[str] = Counter()
    load: dict[tuple[str, str], OrganisationLoad] = {}
    for label, result in recommend_each(engine, cases):
        stats.cases += 1
        if isinstance(result, WegwijzerError):
            stats.bad_cases.append((label, str(result)))
            continue
        stats.advised += 1
        profiles[result.client_profile.id] += 1
        leads[result.lead_coordinator.role] += 1
        interventions.update(i.id for i in result.interventions)
        for ref in result.referrals:
            entry = load.setdefault((result.municipality, ref.organisation),
                                    OrganisationLoad(result.municipality, ref.organisation, ref.name))
            entry.referrals += 1
            entry.consent_required += ref.consent_required
            entry.consent_missing += ref.consent_required and not ref.consent_given
    stats.profiles = dict(profiles.most_common())
    stats.lead_roles = dict(leads.most_common())
    stats.interventions = dict(sorted(interventions.items(), key=lambda kv: (-kv[1], kv[0])))
    stats.organisations = sorted(load.values(), key=lambda o: (-o.referrals, o.municipality, o.organisation))
    return stats


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:5.1f}%" if total else "    -"


_WORDS = {
    "nl": {
        "advised": "{a} van {c} casus(sen) geadviseerd, regels {v}", "profiles": "Klantprofielen:",
        "leads": "Regievoerders:", "top": "Meest voorgestelde interventies (top {n}):",
        "load": "Verwijzingen per organisatie (verwijzingen, waarvan toestemming nodig, waarvan toestemming ontbreekt):",
        "bad": "Casussen die geen advies kregen ({n}):",
    },
    "en": {
        "advised": "{a} of {c} case(s) advised, rules {v}", "profiles": "Profiles:", "leads": "Lead coordinators:",
        "top": "Most suggested interventions (top {n}):",
        "load": "Referral load per organisation (referrals, of which need consent, of which consent missing):",
        "bad": "Cases that could not be advised ({n}):",
    },
}


def render(stats: Stats, top: int = 15, lang: str = "nl") -> str:
    words = _WORDS[lang]
    out = [words["advised"].format(a=stats.advised, c=stats.cases, v=stats.rules_version)]
    if stats.bad_cases:  # the answer first: say at once that some cases were bad
        out += ["", words["bad"].format(n=len(stats.bad_cases))]
        out += [bad_case_line(label, msg) for label, msg in stats.bad_cases]
    out += ["", words["profiles"]]
    out += [f"  {n:5d} {_pct(n, stats.advised)}  {p}" for p, n in stats.profiles.items()]
    out += ["", words["leads"]]
    out += [f"  {n:5d} {_pct(n, stats.advised)}  {r}" for r, n in stats.lead_roles.items()]
    out += ["", words["top"].format(n=top)]
    out += [f"  {n:5d} {_pct(n, stats.advised)}  {i}" for i, n in list(stats.interventions.items())[:top]]
    out += ["", words["load"]]
    out += [f"  {o.referrals:5d} {o.consent_required:5d} {o.consent_missing:5d}  {o.municipality}/{o.organisation} ({o.name})"
            for o in stats.organisations]
    return "\n".join(out) + "\n"


def bad_case_line(label: str, message: str) -> str:
    """One indented entry for a case that could not be advised (its messages may span lines)."""
    text = message if message.startswith(label) else f"{label}: {message}"
    return "  " + text.replace("\n", "\n    ")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cases", help="a folder of case files (.yaml/.json) or a JSON Lines file")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    add_lang(parser)


def run(args: argparse.Namespace) -> int:
    from ..api import Engine

    stats = caseload_stats(Engine.load(args.rules), args.cases)
    if args.format == "json":
        sys.stdout.write(json.dumps(stats.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(printable(render(stats, lang=args.lang), keep_lines=True))
    return 1 if stats.bad_cases else 0  # as batch: the rest was answered, the bad ones listed
