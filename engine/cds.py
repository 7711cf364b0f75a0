"""CDS Hooks (https://cds-hooks.hl7.org/2.0/): the advice as cards another system can show.

    discovery(book)                              # GET /cds-services
    cards(book, recommendation, advice_id)       # the service's answer
    card_position(uuid)                          # a card's uuid back to (advice id, suggestion)

One service, `wegwijzer-advies`, on the `patient-view` hook: the calling system sends the
Case (or an Assessment) in `context.case` or `prefetch.case` (nothing is fetched: the
engine needs no FHIR server). The answer is one card for the client profile and lead
coordinator, then one card per step of the plan, in its order, each with one suggestion,
the source as the report's label and `overrideReasons` from rules/override_reasons.yaml.
A card's uuid holds the logged advice's id and the step's place in it, so that
`POST /cds-services/wegwijzer-advies/feedback` finds what was decided on without a lookup
table; an advice for a case without `case_id` is not logged, and its cards carry no uuid.
"""
from __future__ import annotations

from typing import Any

from .model import Recommendation
from .render import OVERSIGHT
from .rulebook import Rulebook

SERVICE_ID = "wegwijzer-advies"
HOOK = "patient-view"
REASON_SYSTEM = "urn:wegwijzer:override-reason"
INTERVENTION_SYSTEM = "urn:wegwijzer:intervention"
SUMMARY_MAX = 139  # "<140 characters" (CDS Hooks 2.0, Card attributes)
PHASE_NL = {"now": "Nu", "next": "Daarna", "later": "Later"}
OVERSIGHT_NL = OVERSIGHT["nl"]
_SUGGESTION_BIT = 0x80000000  # a suggestion's uuid: its card's, with the top bit of the place set


def discovery(book: Rulebook) -> dict[str, Any]:
    return {"services": [{
        "hook": HOOK,
        "id": SERVICE_ID,
        "title": "Wegwijzer: wat nu?",
        "description": "Stappenplan, klantprofiel en regievoerder voor een deelnemer in de bijstand, met reden, "
                       "regel en bron; uit de regels van de pilots in Leiden, Helmond en Tilburg. " + OVERSIGHT_NL,
        "usageRequirements": "Stuur de Case (of een Assessment) van Wegwijzer in context.case of prefetch.case; "
                             "pseudoniem, nooit een naam of BSN.",
    }]}


def case_of(request: Any) -> tuple[Any, list[tuple[str, str]]]:
    """The Case document in a hook request, or the problems with the request (field, message)."""
    if not isinstance(request, dict):
        return None, [("", "a CDS Hooks request is a JSON object")]
    problems = []
    for key in ("hook", "hookInstance"):
        if not isinstance(request.get(key), str) or not request.get(key):
            problems.append((key, "required (text)"))
    if request.get("hook") not in (None, HOOK) and isinstance(request.get("hook"), str):
        problems.append(("hook", f"this service answers the '{HOOK}' hook, not '{request['hook']}'"))
    context = request.get("context")
    if not isinstance(context, dict):
        problems.append(("context", "required (an object)"))
        context = {}
    prefetch = request.get("prefetch") if isinstance(request.get("prefetch"), dict) else {}
    case = context.get("case", prefetch.get("case"))
    if case is None:
        problems.append(("context.case", "give the Case (or Assessment) in context.case or prefetch.case"))
    return case, problems


def card_uuid(advice_id: str, position: int) -> str:
    text = f"{advice_id}{position:08x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}"


def card_position(uuid: str) -> tuple[str, int] | None:
    """(advice id, place of the step in the advice) from a card's uuid, or None when it is none of ours.
    The profile card has place -1 (nothing to decide on)."""
    text = uuid.removeprefix("urn:uuid:").replace("-", "").lower()
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return None
    position = int(text[24:], 16)
    if position == 0xFFFFFFFF:
        return text[:24], -1
    return text[:24], position & ~_SUGGESTION_BIT


def _summary(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1].rstrip() + "…"


def override_reasons(book: Rulebook) -> list[dict[str, str]]:
    reasons = book.override_reasons.reasons if book.override_reasons else []
    return [{"system": REASON_SYSTEM, "code": r.id, "display": r.label_nl} for r in reasons]


def cards(book: Rulebook, rec: Recommendation, advice_id: str | None = None) -> dict[str, Any]:
    """The CDS Hooks response for an advice; `advice_id` (the decision log's) gives the cards uuids."""
    report = book.resolution.report.title_nl
    reasons = override_reasons(book)
    profile, lead = rec.client_profile, rec.lead_coordinator
    organisation = f" ({lead.organisation_name or lead.organisation})" if lead.organisation else ""
    first: dict[str, Any] = {
        "summary": _summary(f"Klantprofiel: {profile.label_nl}; regievoerder: {lead.label_nl}{organisation}"),
        "detail": "\n\n".join([profile.rationale, lead.rationale, f"Regels: {rec.rules_version}", OVERSIGHT_NL]),
        "indicator": "info",
        "source": {"label": report},
    }
    if advice_id:
        first["uuid"] = card_uuid(advice_id, 0xFFFFFFFF)
    out = [first]
    labels = {i.id: i.label_nl for i in rec.interventions}
    names = {r.organisation: r.name for r in rec.referrals}
    for position, item in enumerate(rec.interventions):
        detail = [item.rationale]
        if item.waits_for:
            waits = ", ".join("eerst vertrouwen (meer gesprekken)" if w == "trust" else labels.get(w, w) for w in item.waits_for)
            detail.append(f"Wacht op: {waits}")
        if item.referral_to:
            detail.append(f"Verwijzen naar: {names.get(item.referral_to, item.referral_to)}")
        detail += [f"Regel: {item.rule}; bron: {item.source}", OVERSIGHT_NL]
        suggestion: dict[str, Any] = {"label": _summary(f"{item.label_nl} inzetten"), "isRecommended": item.phase == "now"}
        card: dict[str, Any] = {
            "summary": _summary(f"{PHASE_NL[item.phase]}: {item.label_nl}" + (" (urgent)" if item.urgent else "")),
            "detail": "\n\n".join(detail),
            "indicator": "warning" if item.urgent else "info",
            "source": {"label": item.source_label or report,
                       "topic": {"system": INTERVENTION_SYSTEM, "code": item.id, "display": item.label_nl}},
            "suggestions": [suggestion],
            "selectionBehavior": "at-most-one",
            "overrideReasons": reasons,
        }
        if advice_id:
            card["uuid"] = card_uuid(advice_id, position)
            suggestion["uuid"] = card_uuid(advice_id, position | _SUGGESTION_BIT)
        out.append(card)
    return {"cards": out}


def decision_of(entry: Any, reason_ids: list[str]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """One feedback entry as a decision: {advice_id, position, decision, reason, comment}, or its problems.
    `accepted` is accepted; `overridden` is 'other' with the reason given (its code from
    override_reasons.yaml), or reason 'other' when the system sent none."""
    if not isinstance(entry, dict):
        return None, [("", "a feedback entry is an object")]
    problems = []
    found = card_position(entry["card"]) if isinstance(entry.get("card"), str) else None
    if found is None or found[1] < 0:
        problems.append(("card", "not the uuid of a step card of this service"))
    outcome = entry.get("outcome")
    if outcome not in ("accepted", "overridden"):
        problems.append(("outcome", "accepted or overridden"))
    if not isinstance(entry.get("outcomeTimestamp"), str):
        problems.append(("outcomeTimestamp", "required (an ISO 8601 date and time)"))
    reason, comment = None, None
    override = entry.get("overrideReason")
    if outcome == "overridden":
        reason = "other"
        if isinstance(override, dict):
            coding = override.get("reason")
            if isinstance(coding, dict):
                reason = coding.get("code")
                if coding.get("system") not in (None, REASON_SYSTEM) or reason not in reason_ids:
                    problems.append(("overrideReason.reason", f"one of this service's overrideReasons: {', '.join(reason_ids)}"))
            comment = override.get("userComment")
            if comment is not None and not isinstance(comment, str):
                problems.append(("overrideReason.userComment", "text"))
    elif override is not None:
        problems.append(("overrideReason", "only for an overridden card"))
    if problems or found is None:
        return None, problems
    return {"advice_id": found[0], "position": found[1], "decision": "accepted" if outcome == "accepted" else "other",
            "reason": reason, "comment": comment}, []
