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

Only counts leave this module, and what they may reveal is bounded three ways (README, "What
the monitor guarantees"):
- the smallest group shown is the store's policy (`monitor.min_group`, set by an admin;
  DEFAULT_THRESHOLD when unset); a caller may raise it, never lower it (engine.monitor.cli);
- `hide` hides every count of 1 .. threshold-1 in a table, every count whose complement in
  the table's total is that small, and then as many more cells (the smallest) as it takes so
  that no hidden cell follows from the total minus the cells shown (complementary suppression);
- the cases of a municipality are counted in whole batches of BATCH, oldest first (first
  assessment, then case id): a case that comes in changes nothing until BATCH-1 more have
  come, and then BATCH enter at once, so comparing two runs never isolates one new case.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import Case

DEFAULT_THRESHOLD = 10
BATCH = 10  # cases enter the monitor's counts ten at a time (the default smallest group)
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
    waiting: int = 0  # the newest cases, fewer than a batch, not counted yet
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
    """Add cases one at a time (bounded memory), call `finish`, then read `figures` per municipality.

    With `batch` > 1 the newest cases of a municipality wait (at most batch-1 of them, the
    newest by first assessment and case id) and only whole batches are counted: with 47 cases
    the 40 oldest. `finish` counts what completes the last whole batch."""

    def __init__(self, book: Any = None, engine: Any = None, batch: int = 1):
        self.book = book if book is not None else (engine.book if engine is not None else None)
        self.engine = engine  # None: no advice, so no 'suggested' column
        self.batch = max(1, batch)
        self.figures: dict[str, Figures] = {}
        self.errors: list[tuple[str, str]] = []
        self._seen: Counter = Counter()
        self._waiting: dict[str, list[tuple[Any, ...]]] = defaultdict(list)  # a heap: the oldest on top

    def add(self, case: Case, closed_on: date | None = None) -> None:
        self.figures.setdefault(case.municipality, Figures(case.municipality))
        if self.batch == 1:
            self._count(case, closed_on)
            return
        self._seen[case.municipality] += 1
        waiting = self._waiting[case.municipality]
        first = min(a.date for a in case.assessments)
        heapq.heappush(waiting, (first, case.case_id or "", self._seen[case.municipality], case, closed_on))
        if len(waiting) >= self.batch:  # the oldest waiting case is surely in a whole batch: count it
            self._count(*heapq.heappop(waiting)[3:])
        self.figures[case.municipality].waiting = len(waiting)

    def finish(self) -> "Aggregator":
        """Count the waiting cases that complete the last whole batch; the rest stay out (`waiting`)."""
        for municipality, waiting in self._waiting.items():
            keep = self._seen[municipality] % self.batch  # the newest this many stay out
            while len(waiting) > keep:
                self._count(*heapq.heappop(waiting)[3:])
            self.figures[municipality].waiting = len(waiting)
        self._waiting.clear()
        return self

    def _count(self, case: Case, closed_on: date | None) -> None:
        fig = self.figures[case.municipality]
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
              progress: Any = None, batch: int = 1) -> Aggregator:
    agg = Aggregator(book=book, engine=engine, batch=batch)
    for case, closed_on in items:
        agg.add(case, closed_on)
        if progress is not None:
            progress.update(1)
    return agg.finish()


def suppress(count: int | float, threshold: int) -> int | float | None:
    """The count, or None when it is small enough to single a client out (1 .. threshold-1)."""
    return None if 0 < count < threshold else count


def _small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def hide(counts: Sequence[int], threshold: int, total: int | None = None, partition: bool = False) -> list[int | None]:
    """The counts of one table with the disclosive ones None.

    A count is hidden when it is small (1 .. threshold-1). Counts of subsets of a published
    `total` (not a partition: reach) are hidden as well when total - count is small: the few
    outside the cell would be singled out. When the counts split the total (`partition`), the
    total minus the cells shown is the sum of the hidden ones; so if any is hidden, at least
    two are, the next smallest cell joining (a zero too: the reader cannot tell a hidden zero
    from a hidden one). No hidden cell's value then follows from the others."""
    outside = total is not None and not partition
    shown: list[int | None] = [None if _small(c, threshold) or (outside and _small(total - c, threshold))
                               else c for c in counts]
    if partition:
        while 0 < sum(1 for s in shown if s is None) < 2 and any(s is not None for s in shown):
            smallest = min((c, i) for i, c in enumerate(counts) if shown[i] is not None)[1]
            shown[smallest] = None
    return shown
