"""Progress over a case, as the pilots measured it (CONTRACT.md, Recommendation.progress).

- self-reliance per life domain, first -> latest assessment (the radar, seed:L1944-1956);
- the Participatieladder rung, start -> now (Leiden, seed:L3000-3004);
- the Integratief Gedragsmodel factors, T0 -> T1 (Tilburg, seed:L2937-2963);
- Goal Attainment Scaling: goals set, scored, and achieved (a score of 0 or higher, seed:L2982-2998);
- the client profile, first given -> given now (Helmond, seed:L2688-2690).

`from` is the value in the earliest assessment that scores it, `to` the value in the latest
that does; a measure no assessment scores is left out.
"""
from __future__ import annotations

from typing import Any

from .model import DOMAIN_IDS, Case, FromTo, GoalCounts, IgmFactor, Progress


_PAIRS: dict[tuple[Any, Any], FromTo] = {}  # frozen, and few (scores 1-10, profile ids): built once each


def _pair(first: Any, last: Any) -> FromTo:
    found = _PAIRS.get((first, last))
    if found is None:
        # values from a validated Case (ints, or profile ids): no second validation
        found = _PAIRS[(first, last)] = FromTo.model_construct(from_=first, to=last)
    return found


def _from_to(values: list[Any]) -> FromTo | None:
    known = [v for v in values if v is not None]
    return _pair(known[0], known[-1]) if known else None


def progress(case: Case, current_profile: str | None = None) -> Progress:
    """From the first to the latest assessment; `current_profile` is the profile the advice gives now."""
    assessments = case.assessments
    domains = {}
    for domain in DOMAIN_IDS:
        pair = _from_to([a.domains[domain].self_reliance if domain in a.domains else None for a in assessments])
        if pair is not None:
            domains[domain] = pair
    igm = {}
    for factor in IgmFactor.__args__:  # type: ignore[attr-defined]
        pair = _from_to([(a.igm or {}).get(factor) for a in assessments])
        if pair is not None:
            igm[factor] = pair
    reviewed = [g for g in case.goals if g.gas_score is not None]
    profile = None
    if case.profile_history:
        first = min(enumerate(case.profile_history), key=lambda pair: (pair[1].date, pair[0]))[1]
        last = max(enumerate(case.profile_history), key=lambda pair: (pair[1].date, pair[0]))[1]
        profile = _pair(first.id, current_profile or last.id)
    return Progress.model_construct(  # every value comes from the validated Case: built, not re-validated
        since=assessments[0].date, until=assessments[-1].date, domains=domains,
        ladder=_from_to([a.ladder_rung for a in assessments]), igm=igm,
        goals=GoalCounts.model_construct(total=len(case.goals), reviewed=len(reviewed),
                                         achieved=sum(1 for g in reviewed if g.gas_score >= 0)),
        profile=profile,
    )
