"""What "Mijn deelnemers" lists, one row per case, so that a page view runs no engine.

The row (last visit, ladder rung, the engine's due items with their dates) is derived from
the case and written after the case is: `stale()` names the cases whose row is missing or
older than the case (its `version`), the caller runs the engine on them and `record()`s the
result. A case written by the CLI or the API is therefore indexed at the next page view.
No content beyond what the list shows is kept here; forgetting a case removes its row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from ..model import Case
from .repo import Actor, Store
from .schema import caseload, cases


@dataclass(frozen=True)
class DueEntry:
    id: str  # the engine's due id (reapproach, review_goals, recalibrate_profile) or home_visit
    due_on: date


@dataclass(frozen=True)
class CaseloadRow:
    case_id: str
    municipality: str
    last_visit: date
    ladder_rung: int | None
    due: list[DueEntry]

    @property
    def next_due(self) -> date | None:
        return min((d.due_on for d in self.due), default=None)


def stale(store: Store, actor: Actor) -> list[tuple[str, int, Case]]:
    """(case id, version, Case) of the actor's cases whose caseload row is missing or out of date."""
    query = (sa.select(cases.c.case_id, cases.c.version, cases.c.document)
             .select_from(cases.outerjoin(caseload, caseload.c.case_id == cases.c.case_id))
             .where(store._visible(actor), sa.or_(caseload.c.version.is_(None), caseload.c.version != cases.c.version)))
    with store.engine.connect() as conn:
        return [(r.case_id, r.version, Case.model_validate(r.document)) for r in conn.execute(query)]


def summary_of(case: Case) -> tuple[date, int | None]:
    """(last visit, ladder rung): the latest assessment or reached contact; the latest rung given."""
    visits = [a.date for a in case.assessments] + [c.date for c in case.contacts if c.reached]
    rungs = [a.ladder_rung for a in case.assessments if a.ladder_rung is not None]
    return max(visits), (rungs[-1] if rungs else None)


def record(store: Store, case_id: str, version: int, owner: str | None, last_visit: date, ladder_rung: int | None,
           due: list[DueEntry]) -> None:
    """Write the case's row (replacing an older one). A row for a version that is no longer the
    case's is harmless: the next `stale()` names the case again."""
    values = {"version": version, "owner": owner, "last_visit": last_visit, "ladder_rung": ladder_rung,
              "next_due": min((d.due_on for d in due), default=None),
              "due": [{"id": d.id, "due_on": d.due_on.isoformat()} for d in due]}
    for _ in range(3):  # two instances indexing the same case at once: one inserts, the other updates
        try:
            with store.engine.begin() as conn:
                if conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id == case_id)).first() is None:
                    return  # forgotten meanwhile
                done = conn.execute(caseload.update().where(caseload.c.case_id == case_id).values(**values)).rowcount
                if not done:
                    conn.execute(caseload.insert().values(case_id=case_id, **values))
            return
        except sa.exc.IntegrityError:
            continue


def record_many(store: Store, entries: list[tuple[str, int, str | None, date, int | None, list[DueEntry]]]) -> None:
    """`record` for many cases in one transaction (the first view after a bulk import)."""
    if not entries:
        return
    ids = [entry[0] for entry in entries]
    try:
        with store.engine.begin() as conn:
            existing = {r.case_id for r in conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id.in_(ids)))}
            conn.execute(caseload.delete().where(caseload.c.case_id.in_(ids)))
            conn.execute(caseload.insert(), [
                {"case_id": case_id, "version": version, "owner": owner, "last_visit": last_visit,
                 "ladder_rung": rung, "next_due": min((d.due_on for d in due), default=None),
                 "due": [{"id": d.id, "due_on": d.due_on.isoformat()} for d in due]}
                for case_id, version, owner, last_visit, rung, due in entries if case_id in existing])
    except sa.exc.IntegrityError:  # another instance indexed some of them meanwhile: one by one
        for entry in entries:
            record(store, *entry)


def rows(store: Store, actor: Actor, due_by: date | None = None) -> list[CaseloadRow]:
    """The actor's open cases by urgency: the earliest due date first, cases with nothing due
    after them (by last visit, oldest first). `due_by`: only cases with something due by then."""
    query = (sa.select(cases.c.case_id, cases.c.municipality, caseload.c.last_visit, caseload.c.ladder_rung,
                       caseload.c.due, caseload.c.next_due)
             .select_from(cases.join(caseload, caseload.c.case_id == cases.c.case_id))
             .where(store._visible(actor), cases.c.closed_on.is_(None)))
    if due_by is not None:
        query = query.where(caseload.c.next_due <= due_by)
    query = query.order_by(caseload.c.next_due.is_(None), caseload.c.next_due, caseload.c.last_visit, cases.c.case_id)
    with store.engine.connect() as conn:
        found = conn.execute(query).all()
    return [CaseloadRow(r.case_id, r.municipality, r.last_visit, r.ladder_rung,
                        sorted((DueEntry(d["id"], date.fromisoformat(d["due_on"])) for d in _list(r.due)),
                               key=lambda d: (d.due_on, d.id)))
            for r in found]


def forget(store: Store, case_ids: list[str]) -> None:
    with store.engine.begin() as conn:
        conn.execute(caseload.delete().where(caseload.c.case_id.in_(case_ids)))


def _list(value: Any) -> list[dict[str, str]]:
    return value if isinstance(value, list) else []
