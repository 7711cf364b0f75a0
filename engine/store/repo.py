"""The case store: one API over SQLite (embedded, the default) and PostgreSQL (shared).

    store = Store.open()                       # $WEGWIJZER_DB or the default SQLite file
    actor = store.actor(token)                 # shared mode: whose token; embedded: LOCAL
    store.import_case(actor, document)         # a Case document, validated by engine.model.Case
    store.add(actor, "c-17", entry)            # assessment, log entry, contact, goal (review)
    store.export(actor, "c-17")                # everything held about the case, as a Case

Every method runs in one transaction and writes one audit row (who, when, action, case
id; never content). A case is one row holding its validated Case document, so a write is
all of a case or nothing of it; `version` makes concurrent writes to the same case retry
instead of overwriting each other (optimistic concurrency, the same on both databases).
"""
from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from ..errors import InputError, WegwijzerError
from ..model import Case, CaseAssessment, Contact, Goal, InterventionLogEntry, ProfileRecord
from . import privacy
from .decisions import DecisionLog
from .schema import audit, caseload, cases, users

DB_ENV = "WEGWIJZER_DB"
SHARED_ENV = "WEGWIJZER_SHARED"
ROLES = ("coach", "team_lead", "admin")


def default_db_path() -> Path:
    """$XDG_DATA_HOME/wegwijzer/cases.sqlite, else ~/.local/share/wegwijzer/cases.sqlite."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wegwijzer" / "cases.sqlite"


def database_url(db: str | None = None) -> str:
    """A database URL from --db, $WEGWIJZER_DB or the default file. A plain path means SQLite."""
    db = db or os.environ.get(DB_ENV) or str(default_db_path())
    if "://" in db:
        return db
    path = Path(db).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class NotFound(WegwijzerError):
    """No such case, or not one this user may see (the two look alike on purpose)."""


class Forbidden(WegwijzerError):
    """The user's role does not allow this."""


class Unauthorised(WegwijzerError):
    """Shared mode without a valid personal token."""


class Conflict(WegwijzerError):
    """The case exists already with other content."""


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # coach | team_lead | admin | local (the single user of an embedded store)
    team: str | None = None


LOCAL = Actor("local", "local")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _validation_problems(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    return [(prefix + ".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]


def validate_case(document: Any, source: str | None = None) -> Case:
    """A Case from plain data, or an InputError naming every field; ids checked for a BSN."""
    if not isinstance(document, dict):
        raise InputError([("", "a case must be an object (a Case document)")], source)
    try:
        case = Case.model_validate(document)
    except ValidationError as exc:
        raise InputError(_validation_problems(exc), source) from None
    try:
        if case.case_id:
            privacy.check_case_id(case.case_id)
        privacy.check_no_contact_details(document)
    except InputError as exc:
        raise InputError(exc.problems, source) from None
    return case


def as_case_document(data: Any, today: date) -> Any:
    """A plain Assessment means a case with one assessment today (CONTRACT.md); a Case stays as it is."""
    if isinstance(data, dict) and "assessments" not in data and "domains" in data:
        assessment = {k: v for k, v in data.items() if k not in ("case_id", "municipality")}
        assessment.setdefault("date", today.isoformat())
        case = {"case_id": data.get("case_id"), "municipality": data.get("municipality"), "assessments": [assessment]}
        return {k: v for k, v in case.items() if v is not None}
    return data


def case_document(case: Case) -> dict[str, Any]:
    """The stored form: JSON-ready, defaults left out (they come back on validation)."""
    return case.model_dump(mode="json", by_alias=True, exclude_defaults=True)


# What `add` accepts, told apart by its fields: the first kind whose required fields are all present.
ENTRY_KINDS: tuple[tuple[str, type, frozenset[str]], ...] = (
    ("assessment", CaseAssessment, frozenset({"date", "domains"})),
    ("intervention", InterventionLogEntry, frozenset({"id", "started", "status"})),
    ("goal", Goal, frozenset({"id", "domain", "set_on"})),
    ("contact", Contact, frozenset({"date", "kind", "reached"})),
    ("profile", ProfileRecord, frozenset({"date", "id"})),
)


def parse_entry(data: Any) -> tuple[str, Any]:
    """(kind, model) for an entry to add to a case; an InputError naming the fields otherwise."""
    if not isinstance(data, dict):
        raise InputError([("", "an entry must be an object: a follow-up assessment, an intervention log entry, "
                               "a contact, a goal or a profile record")])
    for kind, model, required in ENTRY_KINDS:
        if required <= data.keys():
            try:
                return kind, model.model_validate(data)
            except ValidationError as exc:
                raise InputError(_validation_problems(exc, f"{kind}.")) from None
    raise InputError([("", "cannot tell what this entry is: an assessment needs date and domains; an intervention "
                           "log entry id, started and status; a goal id, domain and set_on; a contact date, kind "
                           "and reached; a profile record date and id")])


def apply_entry(case: Case, kind: str, entry: Any) -> Case:
    """The case with the entry added. A log entry with the same id and start replaces the earlier
    one (its status moved on); a goal with the same id replaces it (its review); an assessment
    on a date already held replaces that one."""
    doc = case.model_dump(mode="json", by_alias=True)
    item = entry.model_dump(mode="json", by_alias=True)
    if kind == "assessment":
        kept = [a for a in doc["assessments"] if a["date"] != item["date"]]
        doc["assessments"] = sorted([*kept, item], key=lambda a: a["date"])
    elif kind == "intervention":
        kept = [e for e in doc["interventions_log"] if (e["id"], e["started"]) != (item["id"], item["started"])]
        doc["interventions_log"] = sorted([*kept, item], key=lambda e: (e["started"], e["id"]))
    elif kind == "goal":
        kept = [g for g in doc["goals"] if g["id"] != item["id"]]
        doc["goals"] = sorted([*kept, item], key=lambda g: (g["set_on"], g["id"]))
    elif kind == "contact":
        doc["contacts"] = sorted([*doc["contacts"], item], key=lambda c: c["date"])
    elif kind == "profile":
        kept = [p for p in doc["profile_history"] if p["date"] != item["date"]]
        doc["profile_history"] = sorted([*kept, item], key=lambda p: p["date"])
    return validate_case(doc)


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    municipality: str
    assessments: int
    first: str
    latest: str
    closed_on: date | None
    owner: str | None
    team: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "municipality": self.municipality, "assessments": self.assessments,
                "first": self.first, "latest": self.latest,
                "closed_on": self.closed_on.isoformat() if self.closed_on else None,
                "owner": self.owner, "team": self.team}


class Store(DecisionLog):
    def __init__(self, url: str, shared: bool | None = None, migrate: bool = True):
        self.url = url
        kwargs: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            # Wait for another writer instead of failing at once (pysqlite's default is 5 s).
            kwargs["connect_args"] = {"timeout": 60}
        self.engine = sa.create_engine(url, **kwargs)
        # shared: the argument, else $WEGWIJZER_SHARED (1/0), else by the database: PostgreSQL is shared
        env = os.environ.get(SHARED_ENV, "").lower()
        by_env = True if env in ("1", "true", "yes") else False if env in ("0", "false", "no") else None
        self.shared = shared if shared is not None else by_env if by_env is not None else not url.startswith("sqlite")
        if migrate:
            from .migrate import upgrade

            upgrade(self.engine)
            if shared is None and by_env is None and url.startswith("sqlite"):
                # a SQLite file with users (the coaches' browser) is a team's store: the API and
                # the CLI then want a personal token, as on PostgreSQL
                with self.engine.connect() as conn:
                    self.shared = conn.execute(sa.select(users.c.name).limit(1)).first() is not None

    @classmethod
    def open(cls, db: str | None = None, shared: bool | None = None) -> "Store":
        return cls(database_url(db), shared=shared)

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- who
    def actor(self, token: str | None) -> Actor:
        """Embedded mode: the local user. Shared mode: the user whose personal token this is."""
        if not self.shared:
            return LOCAL
        if not token:
            raise Unauthorised("this store is shared: give your personal token (WEGWIJZER_USER_TOKEN, or "
                               "'Authorization: Bearer ...') (gedeelde opslag: persoonlijk token nodig)")
        name = privacy.token_user(token)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first() if name else None
        if row is None or not privacy.verify_token(token, row.token_hash):
            raise Unauthorised("unknown or wrong token (onbekend of onjuist token)")
        return Actor(row.name, row.role, row.team)

    def _audit(self, conn: sa.Connection, actor: Actor, action: str, case_id: str | None = None) -> None:
        conn.execute(audit.insert().values(at=_now(), actor=actor.name, action=action, case_id=case_id))

    def _audit_alone(self, actor: Actor, action: str, case_id: str | None = None) -> None:
        with self.engine.begin() as conn:
            self._audit(conn, actor, action, case_id)

    def audit_trail(self, case_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(audit).order_by(audit.c.id)
        if case_id is not None:
            query = query.where(audit.c.case_id == case_id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # ---------------------------------------------------------------- users
    def add_user(self, actor: Actor | None, name: str, role: str, team: str | None = None) -> str:
        """Store a user with the hash of a new token; return the token (shown once, never stored).
        Needs an admin, except for the very first admin of a store (bootstrap)."""
        if role not in ROLES:
            raise InputError([("role", f"unknown role '{role}'; one of {list(ROLES)}")])
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise InputError([("name", "a user name is 1-64 letters, digits, '_' or '-'")])
        if role == "team_lead" and not team:
            raise InputError([("team", "a team lead needs --team")])
        with self.engine.begin() as conn:
            admins = conn.execute(sa.select(sa.func.count()).select_from(users).where(users.c.role == "admin")).scalar()
            bootstrap = admins == 0 and role == "admin"
            if not bootstrap and (actor is None or actor.role not in ("admin", "local")):
                raise Forbidden("only an admin adds users: give an admin's token in WEGWIJZER_USER_TOKEN "
                                "(alleen een beheerder voegt gebruikers toe)")
            if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first():
                raise Conflict(f"user '{name}' exists already")
            token = privacy.new_token(name)
            conn.execute(users.insert().values(name=name, role=role, team=team, token_hash=privacy.hash_token(token),
                                               created_at=_now()))
            self._audit(conn, actor or Actor(name, role, team), "user_add")
        return token

    def list_users(self, actor: Actor) -> list[dict[str, Any]]:
        if actor.role not in ("admin", "local"):
            raise Forbidden("only an admin lists users")
        with self.engine.connect() as conn:
            return [{"name": r.name, "role": r.role, "team": r.team}
                    for r in conn.execute(sa.select(users).order_by(users.c.name))]

    # ---------------------------------------------------------------- access
    def _may_hold(self, actor: Actor) -> None:
        if actor.role not in ("coach", "local"):
            raise Forbidden(f"the role '{actor.role}' does not work with single cases (deze rol ziet geen losse casussen)")

    def _visible(self, actor: Actor) -> Any:
        """The WHERE clause for the cases this actor may see one by one."""
        return sa.true() if actor.role == "local" else cases.c.owner == actor.name

    def _row(self, conn: sa.Connection, actor: Actor, case_id: str, action: str) -> Any:
        self._may_hold(actor)
        row = conn.execute(sa.select(cases).where(cases.c.case_id == case_id, self._visible(actor))).first()
        if row is None:
            self._audit_alone(actor, f"{action}_refused", case_id)
            raise NotFound(f"case '{case_id}' not found (casus niet gevonden)")
        return row

    # ---------------------------------------------------------------- cases
    def import_case(self, actor: Actor, document: Any, source: str | None = None) -> str:
        report = self.import_many(actor, [(source or "case", document)], raise_first=True)
        return report.ids[0]

    def import_many(self, actor: Actor, items: Iterable[tuple[str, Any]], batch: int = 1000,
                    raise_first: bool = False, progress: Any = None) -> "ImportResult":
        """Import Case documents in batches; each batch one transaction of whole cases. A case
        already stored with the same content is counted as unchanged, so running an import
        again after it was killed resumes it. A bad case is reported, the rest go on."""
        self._may_hold(actor)
        result = ImportResult()
        pending: list[dict[str, Any]] = []
        for ref, data in items:
            if progress is not None:
                progress.update(1)
            try:
                if isinstance(data, InputError):
                    raise data
                case = validate_case(as_case_document(data, date.today()), ref)
                case_id = case.case_id or f"c-{secrets.token_hex(6)}"
                doc = case_document(case)
                doc["case_id"] = case_id
                pending.append({"case_id": case_id, "municipality": case.municipality, "document": doc, "ref": ref})
            except InputError as exc:
                if raise_first:
                    raise
                result.failed.append((ref, str(exc)))
            if len(pending) >= batch:
                self._insert_batch(actor, pending, result, raise_first)
                pending = []
        if pending:
            self._insert_batch(actor, pending, result, raise_first)
        return result

    def _insert_batch(self, actor: Actor, rows: list[dict[str, Any]], result: "ImportResult", raise_first: bool) -> None:
        now = _now()
        seen: dict[str, dict[str, Any]] = {}
        for row in rows:  # the same id twice in one batch: the second is a conflict below
            if row["case_id"] in seen:
                self._conflict(row, result, raise_first)
            else:
                seen[row["case_id"]] = row
        try:
            with self.engine.begin() as conn:
                existing = {r.case_id: r for r in conn.execute(
                    sa.select(cases.c.case_id, cases.c.document, cases.c.owner).where(cases.c.case_id.in_(list(seen))))}
                new = []
                for case_id, row in seen.items():
                    old = existing.get(case_id)
                    if old is None:
                        new.append(row)
                    elif old.owner == (actor.name if actor.role != "local" else old.owner) and \
                            _same(old.document, row["document"]):
                        result.unchanged += 1
                        result.ids.append(case_id)
                    else:
                        self._conflict(row, result, raise_first)
                if new:
                    conn.execute(cases.insert(), [
                        {"case_id": r["case_id"], "municipality": r["municipality"], "document": r["document"],
                         "version": 1, "created_at": now, "updated_at": now,
                         "owner": actor.name, "team": actor.team, "closed_on": None} for r in new])
                    conn.execute(audit.insert(), [{"at": now, "actor": actor.name, "action": "import",
                                                   "case_id": r["case_id"]} for r in new])
                result.stored += len(new)
                result.ids.extend(r["case_id"] for r in new)
        except sa.exc.IntegrityError:
            # another importer stored one of these ids meanwhile: fall back to one case at a time
            if len(seen) == 1:
                row = next(iter(seen.values()))
                self._conflict(row, result, raise_first)
                return
            for row in seen.values():
                self._insert_batch(actor, [row], result, raise_first)

    def _conflict(self, row: dict[str, Any], result: "ImportResult", raise_first: bool) -> None:
        message = (f"case '{row['case_id']}' is stored already with other content; add entries with "
                   f"'wegwijzer case add', or forget it first (casus bestaat al)")
        if raise_first:
            raise Conflict(message)
        result.failed.append((row["ref"], message))

    def list_cases(self, actor: Actor) -> list[CaseSummary]:
        self._may_hold(actor)
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(cases).where(self._visible(actor)).order_by(cases.c.case_id)).all()
            self._audit(conn, actor, "list")
        return [_summary(r) for r in rows]

    def get(self, actor: Actor, case_id: str, action: str = "read") -> Case:
        with self.engine.begin() as conn:
            row = self._row(conn, actor, case_id, action)
            self._audit(conn, actor, action, case_id)
        return Case.model_validate(row.document)

    def summary(self, actor: Actor, case_id: str) -> CaseSummary:
        with self.engine.begin() as conn:
            row = self._row(conn, actor, case_id, "read")
            self._audit(conn, actor, "read", case_id)
        return _summary(row)

    def export(self, actor: Actor, case_id: str) -> dict[str, Any]:
        """Everything held about the case's client: the Case document (right of access)."""
        case = self.get(actor, case_id, "export")
        return case.model_dump(mode="json", by_alias=True, exclude_none=True)

    def add(self, actor: Actor, case_id: str, data: Any, retries: int = 50) -> str:
        """Add one entry; returns its kind. Retries when another writer changed the case meanwhile."""
        kind, entry = parse_entry(data)
        self._update(actor, case_id, "add_" + kind, lambda case: apply_entry(case, kind, entry), retries)
        return kind

    def change_log_entry(self, actor: Actor, case_id: str, key: tuple[str, str], data: Any | None,
                         retries: int = 50) -> None:
        """Correct a wrong intervention log entry, found by its (id, started): replace it with
        `data` (a log entry), or delete it when `data` is None. NotFound when no entry has that key."""
        entry = None
        if data is not None:
            kind, entry = parse_entry(data)
            if kind != "intervention":
                raise InputError([("", "a log entry needs id, started and status")])

        def change(case: Case) -> Case:
            doc = case.model_dump(mode="json", by_alias=True)
            log = doc["interventions_log"]
            kept = [e for e in log if (e["id"], e["started"]) != tuple(key)]
            if len(kept) == len(log):
                raise NotFound(f"case '{case_id}' has no log entry {key[0]} started {key[1]} (niet gevonden)")
            if entry is not None:
                item = entry.model_dump(mode="json", by_alias=True)
                kept = [e for e in kept if (e["id"], e["started"]) != (item["id"], item["started"])] + [item]
            doc["interventions_log"] = sorted(kept, key=lambda e: (e["started"], e["id"]))
            return validate_case(doc)

        self._update(actor, case_id, "edit_intervention" if entry is not None else "delete_intervention", change,
                     retries)

    def close_case(self, actor: Actor, case_id: str, on: date) -> None:
        self._may_hold(actor)
        with self.engine.begin() as conn:
            self._row(conn, actor, case_id, "close")
            conn.execute(cases.update().where(cases.c.case_id == case_id).values(
                closed_on=on, updated_at=_now(), version=cases.c.version + 1))
            self._audit(conn, actor, "close", case_id)

    def _update(self, actor: Actor, case_id: str, action: str, change: Any, retries: int) -> bool:
        for _ in range(retries):
            with self.engine.begin() as conn:
                row = self._row(conn, actor, case_id, action)
                case = change(Case.model_validate(row.document))
                doc = case_document(case)
                done = conn.execute(cases.update().where(cases.c.case_id == case_id, cases.c.version == row.version)
                                    .values(document=doc, version=row.version + 1, updated_at=_now())).rowcount
                if done == 1:
                    self._audit(conn, actor, action, case_id)
                    return True
        raise WegwijzerError(f"case '{case_id}' kept changing under this write; try again")

    def forget(self, actor: Actor, case_id: str) -> None:
        """Erase the case completely. The audit keeps who, when, the action and the case id."""
        with self.engine.begin() as conn:
            self._row(conn, actor, case_id, "forget")
            conn.execute(cases.delete().where(cases.c.case_id == case_id))
            self._erase_log(conn, [case_id])
            conn.execute(caseload.delete().where(caseload.c.case_id == case_id))  # what the list showed of it
            self._audit(conn, actor, "forget", case_id)

    def purge(self, actor: Actor, retention_days: int, today: date) -> list[str]:
        """Erase every case closed more than `retention_days` before `today`; the ids erased."""
        if actor.role not in ("admin", "local"):
            raise Forbidden("only an admin purges (alleen een beheerder)")
        if retention_days < 0:
            raise InputError([("retention", "must be 0 days or more")])
        limit = today - timedelta(days=retention_days)
        with self.engine.begin() as conn:
            ids = [r.case_id for r in conn.execute(sa.select(cases.c.case_id).where(
                cases.c.closed_on.is_not(None), cases.c.closed_on < limit))]
            if ids:
                conn.execute(cases.delete().where(cases.c.case_id.in_(ids)))
                self._erase_log(conn, ids)
                conn.execute(caseload.delete().where(caseload.c.case_id.in_(ids)))
                conn.execute(audit.insert(), [{"at": _now(), "actor": actor.name, "action": "purge", "case_id": i}
                                              for i in ids])
        return ids

    # ---------------------------------------------------------------- the monitor's view
    def monitor_cases(self, actor: Actor, team: str | None = None, municipality: str | None = None,
                      chunk: int = 2000) -> Iterator[tuple[Case, date | None]]:
        """Every case the actor may aggregate (a team lead: the team's; local: all), with its
        closing date. Only aggregates leave the monitor; the read is audited once."""
        if actor.role == "team_lead":
            team = actor.team
            where = cases.c.team == team
        elif actor.role == "local":
            where = sa.true() if team is None else cases.c.team == team
        else:
            raise Forbidden("the monitor is for a team lead (de monitor is voor een teamleider)")
        if municipality:
            where = sa.and_(where, cases.c.municipality == municipality)
        self._audit_alone(actor, "monitor")
        last = ""
        while True:  # keyset pagination: bounded memory on 100,000 cases
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(cases.c.case_id, cases.c.document, cases.c.closed_on)
                                    .where(where, cases.c.case_id > last).order_by(cases.c.case_id).limit(chunk)).all()
            if not rows:
                return
            for row in rows:
                yield Case.model_validate(row.document), row.closed_on
            last = rows[-1].case_id


@dataclass
class ImportResult:
    stored: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = None  # type: ignore[assignment]
    ids: list[str] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.failed = self.failed if self.failed is not None else []
        self.ids = self.ids if self.ids is not None else []


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _summary(row: Any) -> CaseSummary:
    dates = [a["date"] for a in row.document["assessments"]]
    return CaseSummary(row.case_id, row.municipality, len(dates), min(dates), max(dates), row.closed_on,
                       row.owner, row.team)
