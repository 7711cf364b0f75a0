"""The monitor's numbers: a caseload's progress as the pilots measured it, per municipality.

Mirrors the report's figures (seed = ../shared/seed/000_2e71180cadf15536.txt):
- ladder steps since the start, as figure 6.3 (seed:L3002-3010): the share of participants by
  the number of rungs climbed on the Participatieladder, first to latest assessment;
- Goal Attainment Scaling, as figure 6.2 (seed:L2982-2998): the share of reviewed goals per
  score -2..2; 0 or higher is positive;
- the Integratief Gedragsmodel at T0 and T1 per factor, as figure 6.1 (seed:L2955-2977): the
  mean score 1-10 at the first and the latest assessment, over cases with both;
and beside them reach (contacted, reached, declined, active, closed), client profiles,
interventions suggested / running / completed, and referrals per month to each
organisation of the social map.

Only counts leave this module. `suppress` hides every count under the threshold (default 10)
so that no client can be singled out; a group under the threshold is not shown at all.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import Case

DEFAULT_THRESHOLD = 10
LADDER_BUCKETS = ("gedaald", "0", "1", "2", "3 of meer")  # rungs climbed: down, none, one, two, three or more
GAS_SCORES = (-2, -1, 0, 1, 2)
IGM_FACTORS = ("physical_barriers", "psychological_barriers", "mental_barriers", "practical_barriers",
               "vocational_capital", "talent", "attitude", "social_pressure", "perceived_control",
               "self_regulation", "social_network", "motivation", "behaviour")
REACH_KEYS = ("cases", "contacted", "reached", "declined", "active", "closed")


def ladder_bucket(steps: int) -> str:
    if steps < 0:
        return "gedaald"
    return "3 of meer" if steps >= 3 else str(steps)


@dataclass
class Figures:
    """The counts for one group (a municipality, for a team or the whole store)."""

    municipality: str
    cases: int = 0
    ladder: Counter = field(default_factory=Counter)  # bucket -> participants
    gas: Counter = field(default_factory=Counter)  # score -> goals
    igm_sum: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0, 0.0]))
    reach: Counter = field(default_factory=Counter)
    profiles: Counter = field(default_factory=Counter)
    suggested: Counter = field(default_factory=Counter)
    running: Counter = field(default_factory=Counter)
    completed: Counter = field(default_factory=Counter)
    referrals: Counter = field(default_factory=Counter)  # (organisation id, "YYYY-MM") -> referrals

    def igm(self) -> dict[str, tuple[int, float, float]]:
        """factor -> (cases, mean at T0, mean at T1)."""
        return {f: (int(n), t0 / n, t1 / n) for f, (n, t0, t1) in self.igm_sum.items() if n}


class Aggregator:
    """Add cases one at a time (bounded memory), then read `figures` per municipality."""

    def __init__(self, book: Any = None, engine: Any = None):
        self.book = book if book is not None else (engine.book if engine is not None else None)
        self.engine = engine  # None: no advice, so no 'suggested' column
        self.figures: dict[str, Figures] = {}
        self.errors: list[tuple[str, str]] = []

    def add(self, case: Case, closed_on: date | None = None) -> None:
        fig = self.figures.setdefault(case.municipality, Figures(case.municipality))
        fig.cases += 1
        ordered = sorted(case.assessments, key=lambda a: a.date)
        first, last = ordered[0], ordered[-1]
        rungs = [a.ladder_rung for a in ordered if a.ladder_rung is not None]
        if len(rungs) >= 2:
            fig.ladder[ladder_bucket(rungs[-1] - rungs[0])] += 1
        for goal in case.goals:
            if goal.gas_score is not None:
                fig.gas[goal.gas_score] += 1
        with_igm = [a for a in ordered if a.igm]
        if len(with_igm) >= 2:
            t0, t1 = with_igm[0].igm or {}, with_igm[-1].igm or {}
            for factor in t0.keys() & t1.keys():
                acc = fig.igm_sum[factor]
                acc[0] += 1
                acc[1] += t0[factor]
                acc[2] += t1[factor]
        self._reach(fig, case, last, closed_on)
        for entry in case.interventions_log:
            if entry.status == "running":
                fig.running[entry.id] += 1
            elif entry.status == "completed":
                fig.completed[entry.id] += 1
            if entry.status in ("running", "completed", "stopped", "waiting_list"):
                organisation = self._organisation(case.municipality, entry.id)
                if organisation:
                    fig.referrals[(organisation, entry.started.strftime("%Y-%m"))] += 1
        profile = max(case.profile_history, key=lambda p: p.date).id if case.profile_history else None
        if self.engine is not None:
            from ..store.advise import advise  # MERGE: the Case-aware engine

            try:
                rec = advise(case, self.engine)
            except Exception as exc:  # an engine error on one case is reported; the monitor goes on
                self.errors.append((case.case_id or "?", type(exc).__name__))
            else:
                for item in rec.interventions:
                    fig.suggested[item.id] += 1
                profile = profile or rec.client_profile.id
        fig.profiles[profile or "onbekend"] += 1

    @staticmethod
    def _reach(fig: Figures, case: Case, last: Any, closed_on: date | None) -> None:
        fig.reach["cases"] += 1
        if case.contacts:
            fig.reach["contacted"] += 1
        if any(c.reached for c in case.contacts):
            fig.reach["reached"] += 1
        declined = not last.open_to_support or any(e.status == "declined" for e in case.interventions_log)
        if declined:
            fig.reach["declined"] += 1
        if closed_on is not None:
            fig.reach["closed"] += 1
        elif any(e.status in ("running", "waiting_list") for e in case.interventions_log):
            fig.reach["active"] += 1

    def _organisation(self, municipality: str, intervention: str) -> str | None:
        if self.book is None:
            return None
        known = self.book.municipalities.get(municipality)  # a stored case may name one the rules dropped
        service = known.services.get(intervention) if known is not None else None
        return service.organisation if service else None


def aggregate(items: Iterable[tuple[Case, date | None]], engine: Any = None, book: Any = None,
              progress: Any = None) -> Aggregator:
    agg = Aggregator(book=book, engine=engine)
    for case, closed_on in items:
        agg.add(case, closed_on)
        if progress is not None:
            progress.update(1)
    return agg


def suppress(count: int | float, threshold: int) -> int | float | None:
    """The count, or None when it is small enough to single a client out (1 .. threshold-1)."""
    return None if 0 < count < threshold else count
