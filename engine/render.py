"""Recommendation -> text for people (Dutch by default, English on request), Markdown, JSON."""
from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticSerializationError
from pydantic_core import to_json as _to_json

from .model import Recommendation
from .safetext import markdown_text, printable

# Shown with every advice (AI Act Art. 14, human oversight; GDPR Art. 22: no decision by the
# engine alone): the advice is input to the conversation, never the decision.
OVERSIGHT = {"nl": "Advies; de coach beslist samen met de deelnemer.",
             "en": "Advice; the coach decides together with the participant."}

_WORDS = {
    "nl": {
        "title": "Advies", "case": "Casus", "municipality": "Gemeente", "profile": "Klantprofiel",
        "lead": "Regievoerder", "collab": "Samenwerking", "interventions": "Stappenplan (eerst bovenaan)",
        "now": "Nu", "next": "Daarna", "later": "Later", "waits": "wacht op", "trust": "eerst vertrouwen (meer gesprekken)",
        "none": "Geen nieuwe interventie.", "why": "waarom", "refer": "verwijzen naar", "urgent": "urgent",
        "referrals": "Verwijzingen", "warm": "warme overdracht", "consent_needed": "LET OP: toestemming nodig, nog niet gegeven",
        "consent_ok": "toestemming gegeven", "no_consent": "geen gegevens gedeeld", "advice": "Procesadvies",
        "warnings": "Aandachtspunten", "rules": "Regels", "source": "bron", "rule": "regel",
        "due": "Wat staat er open",
    },
    "en": {
        "title": "Advice", "case": "Case", "municipality": "Municipality", "profile": "Client profile",
        "lead": "Lead coordinator", "collab": "Collaboration", "interventions": "Step plan (first on top)",
        "now": "Now", "next": "Next", "later": "Later", "waits": "waits for", "trust": "trust first (more conversations)",
        "none": "No new intervention.", "why": "why", "refer": "refer to", "urgent": "urgent",
        "referrals": "Referrals", "warm": "warm handover", "consent_needed": "NOTE: consent needed, not given yet",
        "consent_ok": "consent given", "no_consent": "no data shared", "advice": "Process advice",
        "warnings": "Points of attention", "rules": "Rules", "source": "source", "rule": "rule",
        "due": "What is due",
    },
}


def _pick(lang: str, nl: str, en: str) -> str:
    return en if lang == "en" and en else nl


def to_text(rec: Recommendation, lang: str = "nl", markdown: bool = False, municipality_name: str | None = None,
            book: Any = None) -> str:
    """`municipality_name`: the social map's name; without it the id, capitalised. `book`: the
    Rulebook, whose labels name what a step waits for that is not in the plan (care already
    running) and whose social map names the organisations; without it such an id is shown as
    it is. Every value is escaped (`v`): no control character reaches a terminal, no name
    becomes Markdown markup."""
    w = _WORDS[lang]
    v = markdown_text if markdown else printable
    h1, h2, bullet = ("# ", "## ", "- ") if markdown else ("", "", "  ")
    lines: list[str] = []
    header = f"{w['title']}" + (f" — {w['case']} {v(rec.case_id)}" if rec.case_id else "")
    lines.append(f"{h1}{header} ({w['municipality']} {v(municipality_name or rec.municipality.capitalize())})")
    if not markdown:
        lines.append("=" * len(lines[0]))
    lines.append(f"*{OVERSIGHT[lang]}*" if markdown else OVERSIGHT[lang])
    p, lead = rec.client_profile, rec.lead_coordinator
    lines.append("")
    lines.append(f"{w['profile']}: {v(_pick(lang, p.label_nl, p.label_en))}")
    lines.append(f"{bullet}{v(_pick(lang, p.rationale, p.rationale_en))} [{w['rule']}: {v(p.rule)}]")
    org = f", {v(lead.organisation_name or lead.organisation)}" if lead.organisation else ""
    collaboration = lead.collaboration_nl if lang == "nl" else lead.collaboration.replace("_", " ")
    lines.append(f"{w['lead']}: {v(_pick(lang, lead.label_nl, lead.label_en))}{org}; {w['collab']}: {v(collaboration)}")
    lines.append(f"{bullet}{v(_pick(lang, lead.rationale, lead.rationale_en))} [{w['rule']}: {v(lead.rule)}]")

    lines.append("")
    lines.append(f"{h2}{w['interventions']}")
    if not rec.interventions:
        lines.append(f"{bullet}{w['none']}")
    names = {r.organisation: v(r.name) for r in rec.referrals}
    labels = {i.id: v(_pick(lang, i.label_nl, i.label_en)) for i in rec.interventions}
    if book is not None:
        known = book.municipalities.get(rec.municipality)
        names = {**({oid: v(name) for oid, name in known.organisations.items()} if known else {}), **names}
        labels = {**{iid: v(_pick(lang, i.label_nl, i.label_en)) for iid, i in book.interventions.items()}, **labels}
    phase = None
    for number, item in enumerate(rec.interventions, 1):
        if item.phase != phase:
            phase = item.phase
            lines.append(f"### {w[phase]}" if markdown else f"{w[phase]}:")
        urgent = f" [{w['urgent']}]" if item.urgent else ""
        lines.append(f"{number}. {labels[item.id]}{urgent}")
        if item.waits_for:
            waits = ", ".join(w["trust"] if wait == "trust" else labels.get(wait, v(wait)) for wait in item.waits_for)
            lines.append(f"   {w['waits']}: {waits}")
        lines.append(f"   {w['why']}: {v(_pick(lang, item.rationale, item.rationale_en))}")
        if item.referral_to:
            lines.append(f"   {w['refer']}: {names.get(item.referral_to, v(item.referral_to))}")
        lines.append(f"   {w['source']}: {v(item.source_label or item.source)} [{w['rule']}: {v(item.rule)}; {v(item.source)}]")

    if rec.referrals:
        lines.append("")
        lines.append(f"{h2}{w['referrals']}")
        for ref in rec.referrals:
            notes = []
            if ref.warm_handover:
                notes.append(w["warm"])
            if ref.consent_required:
                notes.append(w["consent_ok"] if ref.consent_given else w["consent_needed"])
            else:
                notes.append(w["no_consent"])
            lines.append(f"{bullet}{names[ref.organisation]}: {', '.join(labels.get(i, v(i)) for i in ref.for_)} — {'; '.join(notes)}")

    if rec.advice:
        lines.append("")
        lines.append(f"{h2}{w['advice']}")
        for item in rec.advice:
            lines.append(f"{bullet}{v(_pick(lang, item.text_nl, item.text_en))}")

    if rec.warnings:
        lines.append("")
        lines.append(f"{h2}{w['warnings']}")
        for warning in rec.warnings:
            lines.append(f"{bullet}{v(_pick(lang, warning.message_nl, warning.message_en))}")

    if rec.due:  # a Case: what the calendar asks (engine.history)
        lines.append("")
        lines.append(f"{h2}{w['due']}")
        for item in rec.due:
            lines.append(f"{bullet}{v(_pick(lang, item.reason_nl, item.reason_en))}")

    lines.append("")
    lines.append(f"{w['rules']}: {v(rec.rules_version)}")
    return "\n".join(lines) + "\n"


def render(rec: Recommendation, fmt: str = "text", lang: str = "nl", municipality_name: str | None = None,
           book: Any = None) -> str:
    if fmt == "json":
        return rec.to_json() + "\n"
    return to_text(rec, lang=lang, markdown=(fmt == "markdown"), municipality_name=municipality_name, book=book)


def to_compact(rec: Recommendation) -> str:
    """The recommendation as ids and phases, on one line, for a whole caseload (`batch
    --compact`): no trace and no text in either language, so a program reads on with the ids
    (labels, reasons and sources are in the rule files under the same ids). The full form,
    `to_json`, stays the one that explains itself. Every id is written once where it is
    the subject, so that an assessment with every rule firing stays within 3 KB
    (tests/test_compact.py; a Case's history adds to `due`):

        "interventions": {"now": [ids], "next": [ids], "later": [ids]}   the step plan in
                         its order (a phase with no step left out)
        "urgent": [ids]                                   the urgent steps
        "waiting_for": {"trust" or id: [ids]}            what each step waits for, turned
                         round: the steps that wait for trust, for step x, ...
        "referrals": {organisation: [ids]}                who each referral is for (the
                         ones that share data have an advice `consent_<organisation>`)
        "referral_to": {id: organisation}                 only for a step no referral lists
                         under its organisation (a closing warm handover)
        "advice": [ids]   "warnings": {code: how many}
        "due": {id: {rule: [due_on, ...]}}                a Case: what falls due, and when
                         (one date for each time it does: a re-approach for each declined
                         intervention)

    Left out besides the texts: whether a referral is a warm handover or shares data (the
    social map says it of each organisation's services), whether consent is given (the
    case's own consent_to_share and consent_to_share_with say it; a warning
    `consent_missing` is counted for each referral that lacks it), and each warning's field.
    """
    lead = rec.lead_coordinator
    out: dict = {
        "case_id": rec.case_id, "municipality": rec.municipality, "rules_version": rec.rules_version,
        "client_profile": rec.client_profile.id, "profile_rule": rec.client_profile.rule,
        "lead_coordinator": {"role": lead.role, "organisation": lead.organisation, "collaboration": lead.collaboration,
                             "rule": lead.rule},
    }
    plan: dict[str, list[str]] = {}
    waiting: dict[str, list[str]] = {}
    urgent = []
    for item in rec.interventions:
        plan.setdefault(item.phase, []).append(item.id)
        if item.urgent:
            urgent.append(item.id)
        for prerequisite in item.waits_for:
            waiting.setdefault(prerequisite, []).append(item.id)
    out["interventions"] = plan
    if urgent:
        out["urgent"] = urgent
    if waiting:
        out["waiting_for"] = waiting
    out["referrals"] = {r.organisation: list(r.for_) for r in rec.referrals}
    listed = {iid: r.organisation for r in rec.referrals for iid in r.for_}
    elsewhere = {i.id: i.referral_to for i in rec.interventions if i.referral_to and listed.get(i.id) != i.referral_to}
    if elsewhere:
        out["referral_to"] = elsewhere
    out["advice"] = [a.id for a in rec.advice]
    warnings: dict[str, int] = {}
    for warning in rec.warnings:
        warnings[warning.code] = warnings.get(warning.code, 0) + 1
    out["warnings"] = warnings
    if rec.due:
        due: dict[str, dict[str, list[str | None]]] = {}
        for item in rec.due:
            due.setdefault(item.id, {}).setdefault(item.rule, []).append(item.due_on.isoformat() if item.due_on else None)
        out["due"] = due
    try:
        # (speed: a third of the time) pydantic's own JSON writer gives the same text as the
        # encoder below for what this dict holds (text, ids, counts, null, lists and dicts):
        # no spaces, non-ASCII as it is, the same escapes (tests/test_render_compact.py)
        return _to_json(out).decode()
    except PydanticSerializationError:  # text it cannot write as UTF-8 (a lone surrogate): json's way
        return _COMPACT_JSON.encode(out)


# made once: json.dumps with options builds an encoder on every call. No check for circular
# references: the dict is built fresh above from lists and strings, it cannot hold itself (and
# the check costs a dict insert and delete for every list and dict written)
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
