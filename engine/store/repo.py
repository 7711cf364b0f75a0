"""The case store: one API over SQLite (embedded, the default) and PostgreSQL (shared).

    store = Store.open()                       # $WEGWIJZER_DB or the default SQLite file
    actor = store.actor(token)                 # shared mode: whose token; embedded: LOCAL
    store.import_case(actor, document)         # a Case document, validated by engine.model.Case
    store.add(actor, "c-17", entry)            # assessment, log entry, contact, goal (review)
    store.export(actor, "c-17")                # everything held about the case, as a Case

Every method runs in one transaction and writes one audit row (who, when, action, case
id; never content); a refusal too, with the id masked. A case is one row holding its Case
document, validated by the engine exactly as `recommend` validates it (a write the engine
would refuse is refused) and sealed with the case's own key (crypto-shredding: forget and
purge delete the key), so a write is all of a case or nothing of it; `version` makes
concurrent writes to the same case retry instead of overwriting each other (optimistic
concurrency, the same on both databases).
"""
from __future__ import annotations

import functools
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from ..case import days_after
from ..errors import InputError, WegwijzerError
from ..model import Case, CaseAssessment, Contact, Goal, InterventionLogEntry, ProfileRecord
from . import crypto, privacy
from .decisions import DecisionLog
from .schema import audit, case_keys, caseload, cases, store_settings, users

DB_ENV = "WEGWIJZER_DB"
SHARED_ENV = "WEGWIJZER_SHARED"
ROLES = ("coach", "team_lead", "admin")
SHARED_SETTING = "shared"  # "1": shared, recorded at creation or when turned on; never turned off
_log = logging.getLogger("wegwijzer.store")


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


class StoreUnavailable(WegwijzerError):
    """The store cannot be opened or reached: one line naming why, never a traceback."""


class StoreFull(StoreUnavailable):
    """The disk under the store is full: reads go on, writes are refused (nothing changed)."""


FULL_MESSAGE = ("de opslag is vol: er kan niets worden opgeslagen; niets is gewijzigd, lezen gaat door "
                "(store full: no space left for writes)")


def _is_full(exc: BaseException) -> bool:
    """A disk-full error of either database: SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE 53100."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "53100":
        return True
    if isinstance(orig, sqlite3.Error) and (getattr(orig, "sqlite_errorcode", None) == 13
                                            or "database or disk is full" in str(orig)):
        return True
    return isinstance(orig, OSError) and orig.errno == 28  # ENOSPC


def _store_error(exc: BaseException) -> StoreUnavailable:
    if _is_full(exc):
        return StoreFull(FULL_MESSAGE)
    orig = getattr(exc, "orig", None) or exc
    reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
    reason = "".join(ch if ch.isprintable() else "?" for ch in reason)
    return StoreUnavailable(f"de opslag is niet bruikbaar (store unavailable): {reason}")


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
    check_pseudonyms(case, document, source)
    return case


def check_pseudonyms(case: Case, document: dict[str, Any], source: str | None = None) -> None:
    """No BSN in the case id, no contact details anywhere in the document (engine/store/privacy.py)."""
    try:
        if case.case_id:
            privacy.check_case_id(case.case_id)
        privacy.check_no_contact_details(document)
    except InputError as exc:
        raise InputError(exc.problems, source) from None


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


def _guarded(method: Any) -> Any:
    """A database error in a store method becomes StoreFull or StoreUnavailable (one line)."""
    @functools.wraps(method)
    def wrapper(self: "Store", *args: Any, **kwargs: Any) -> Any:
        try:
            result = method(self, *args, **kwargs)
        except sa.exc.SQLAlchemyError as exc:
            error = _store_error(exc)
            if isinstance(error, StoreFull):
                self.writable = False
            raise error from None
        return result

    return wrapper


def derived_id(document: dict[str, Any]) -> str:
    """The id of a case imported without one: from its content, so an import that is run again
    finds the same id (no second copy). Letters only: no digits that could look like a BSN."""
    digest = crypto.content_hash({k: v for k, v in document.items() if k != "case_id"})[:16]
    return "c-" + digest.translate(str.maketrans("0123456789", "ghijklmnop"))


class Store(DecisionLog):
    # the decision log's writes meet a full disk or a lost server as every store method does
    log_advice = _guarded(DecisionLog.log_advice)
    record_decision = _guarded(DecisionLog.record_decision)
    forget_log = _guarded(DecisionLog.forget_log)
    purge_log = _guarded(DecisionLog.purge_log)
    decisions = _guarded(DecisionLog.decisions)
    logged_advice = _guarded(DecisionLog.logged_advice)

    def __init__(self, url: str, shared: bool | None = None, migrate: bool = True, engine: Any = None):
        self.url = url
        self._rules = engine  # the engine that validates every write; loaded on the first write if None
        self.writable = True  # False after a write met a full disk (/healthz says so), True again after one succeeds
        kwargs: dict[str, Any] = {"future": True}
        sqlite = url.startswith("sqlite")
        if sqlite:
            # Wait for another writer instead of failing at once (pysqlite's default is 5 s).
            kwargs["connect_args"] = {"timeout": 60}
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (sa.exc.SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreUnavailable(_not_ours(url, type(exc).__name__)) from None
        if self.engine.dialect.name not in ("sqlite", "postgresql"):
            self.engine.dispose()
            raise StoreUnavailable(_not_ours(url, self.engine.dialect.name))
        if sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            if migrate:
                from .migrate import upgrade

                upgrade(self.engine)
            self.shared = self._mode(shared, sqlite)
        except sa.exc.SQLAlchemyError as exc:
            self.engine.dispose()
            raise _store_error(exc) from None

    def _holds_users(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(users.c.name).limit(1)).first() is not None

    def _mode(self, asked: bool | None, sqlite: bool) -> bool:
        """Shared or not: what the store recorded wins; a shared store stays shared, whatever an
        argument or $WEGWIJZER_SHARED says (no switch turns access control off). A new store is
        shared when asked (argument, or $WEGWIJZER_SHARED=1) or when it is PostgreSQL; only
        a program's explicit `shared=False` makes a PostgreSQL store single-user at creation."""
        recorded = self.setting(SHARED_SETTING)
        if recorded == "1":
            return True
        env = os.environ.get(SHARED_ENV, "").lower() in ("1", "true", "yes")
        if recorded == "0":
            shared = bool(asked) or env  # a single-user store may become shared, never back
        else:
            shared = asked if asked is not None else (True if env else not sqlite)
        if not shared and asked is None and sqlite and self._holds_users():
            # a SQLite file with users (the coaches' browser, `make serve ADMIN=...`) is a team's
            # store: the API and the CLI then want a personal token, as on PostgreSQL
            shared = True
        value = "1" if shared else "0"
        if value != recorded:
            try:
                with self.engine.begin() as conn:
                    self._put_setting(conn, SHARED_SETTING, value)
            except sa.exc.IntegrityError:  # another process recorded it first: its record counts
                return self.setting(SHARED_SETTING) == "1"
            except sa.exc.OperationalError as exc:
                if not _is_full(exc):
                    raise
                # a full disk: the mode holds for this process; recorded on the next open
        return shared

    @classmethod
    def open(cls, db: str | None = None, shared: bool | None = None, engine: Any = None) -> "Store":
        try:
            url = database_url(db)
        except OSError as exc:
            raise StoreUnavailable(f"cannot make the store's folder: {exc.strerror} (geen bruikbare opslag)") from None
        return cls(url, shared=shared, engine=engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- the engine's validation
    @property
    def rules(self) -> Any:
        if self._rules is None:
            from ..api import Engine

            self._rules = Engine.load()
        return self._rules

    def checked(self, document: Any, source: str | None = None) -> tuple[Case, dict[str, Any]]:
        """The case as the store keeps it, or the engine's InputError: the whole document is
        validated exactly as `recommend` validates it (Engine.validate_case), then checked for
        anything that is no pseudonym. `as_of` is the date a file was written, not a ceiling
        for later entries: it is validated, then not kept (advice is asked as of its day)."""
        if not isinstance(document, dict):
            raise InputError([("", "a case must be an object (a Case document)")], source)
        case = self.rules.validate_case(document, source)
        check_pseudonyms(case, document, source)
        kept = case_document(case)
        kept.pop("as_of", None)
        return case, kept

    # ---------------------------------------------------------------- audit
    def _audit(self, conn: sa.Connection, actor: Actor, action: str, case_id: str | None = None,
               detail: str | None = None) -> None:
        conn.execute(audit.insert().values(at=_now(), actor=actor.name[:64], action=action[:32], case_id=case_id,
                                           detail=detail[:100] if detail else None))

    def _audit_alone(self, actor: Actor, action: str, case_id: str | None = None, detail: str | None = None) -> None:
        """An audit row in its own transaction. On a full disk a read goes on and its row goes
        to the log instead (who, action, case id; never content): reading must not stop."""
        try:
            with self.engine.begin() as conn:
                self._audit(conn, actor, action, case_id, detail)
        except sa.exc.OperationalError as exc:
            if not _is_full(exc):
                raise
            self.writable = False
            _log.warning("audit row not stored (disk full): actor=%s action=%s case=%s detail=%s",
                         actor.name, action, case_id, detail)

    def _refused(self, actor: Actor, action: str, case_id: str | None, status: int) -> None:
        """Every refusal is audited: who, when, what, and the id masked (it may be anyone's
        id, a BSN typed by mistake, too long or hold control characters)."""
        self._audit_alone(actor, f"{action}_refused", privacy.masked_id(case_id) if case_id is not None else None,
                          str(status))

    @_guarded
    def audit_trail(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """The audit rows, oldest first; of one case: its own rows and the refusals naming it."""
        query = sa.select(audit).order_by(audit.c.id)
        if case_id is not None:
            query = query.where(audit.c.case_id.in_([case_id, privacy.masked_id(case_id)]))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # ---------------------------------------------------------------- the store's own policy
    @_guarded
    def setting(self, key: str) -> str | None:
        """A policy value the store holds itself (None when never set); no caller overrides it."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(store_settings.c.value).where(store_settings.c.key == key)).scalar()

    @_guarded
    def set_setting(self, actor: Actor, key: str, value: str) -> None:
        """Record a policy value: an admin (shared store) or the local user only; audited (the
        key and value: policy, not case content)."""
        if actor.role not in ("admin", "local"):
            self._refused(actor, "setting", None, 403)
            raise Forbidden("only an admin changes the store's settings (alleen een beheerder)")
        if not re.fullmatch(r"[a-z0-9_.]{1,64}", key):
            raise InputError([("key", "a setting's key is 1-64 lower-case letters, digits, '_' or '.'")])
        if not isinstance(value, str) or not 0 < len(value) <= 255 or not value.isprintable():
            raise InputError([("value", "a setting's value is printable text of 1-255 characters")])
        if key == SHARED_SETTING and value != "1":
            raise InputError([("value", "a shared store stays shared; 'shared' can only be set to '1'")])
        with self.engine.begin() as conn:
            self._put_setting(conn, key, value)
            self._audit(conn, actor, f"setting:{key}", detail=f"{key}={value}")
        if key == SHARED_SETTING:
            self.shared = True

    def _put_setting(self, conn: sa.Connection, key: str, value: str) -> None:
        done = conn.execute(store_settings.update().where(store_settings.c.key == key).values(value=value)).rowcount
        if done == 0:
            conn.execute(store_settings.insert().values(key=key, value=value))

    # ---------------------------------------------------------------- who
    @_guarded
    def actor(self, token: str | None) -> Actor:
        """Embedded mode: the local user. Shared mode: the user whose personal token this is.
        A wrong name and a wrong secret cost the same: an unknown user's token is checked
        against a dummy hash, so no timing tells which user names exist."""
        if not self.shared:
            return LOCAL
        if not token:
            self._refused(Actor("(no token)", "none"), "auth", None, 401)
            raise Unauthorised("this store is shared: give your personal token (WEGWIJZER_USER_TOKEN, or "
                               "'Authorization: Bearer ...') (gedeelde opslag: persoonlijk token nodig)")
        name = privacy.token_user(token)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first() \
                if name and len(name) <= 64 else None
        valid = privacy.verify_token(token, row.token_hash if row is not None else privacy.dummy_hash())
        if row is None or not valid:
            claimed = name if name and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else "(unknown)"
            self._refused(Actor(claimed, "none"), "auth", None, 401)
            raise Unauthorised("unknown or wrong token (onbekend of onjuist token)")
        return Actor(row.name, row.role, row.team)

    # ---------------------------------------------------------------- users
    @_guarded
    def add_user(self, actor: Actor | None, name: str, role: str, team: str | None = None) -> str:
        """Store a user with the hash of a new token; return the token (shown once, never stored).
        Needs an admin, except for the very first admin of a store (bootstrap)."""
        if role not in ROLES:
            raise InputError([("role", f"unknown role; one of {list(ROLES)}")])
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise InputError([("name", "a user name is 1-64 letters, digits, '_' or '-'")])
        if role == "team_lead" and not team:
            raise InputError([("team", "a team lead needs --team")])
        if team is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", team):
            raise InputError([("team", "a team is 1-64 letters, digits, '_' or '-'")])
        with self.engine.begin() as conn:
            admins = conn.execute(sa.select(sa.func.count()).select_from(users).where(users.c.role == "admin")).scalar()
            bootstrap = admins == 0 and role == "admin"
            if not bootstrap and (actor is None or actor.role not in ("admin", "local")):
                refused = True
            else:
                refused = False
                if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first():
                    raise Conflict(f"user '{name}' exists already")
                token = privacy.new_token(name)
                conn.execute(users.insert().values(name=name, role=role, team=team,
                                                   token_hash=privacy.hash_token(token), created_at=_now()))
                self._audit(conn, actor or Actor(name, role, team), "user_add",
                            detail=f"user={name} role={role}" + (f" team={team}" if team else ""))
        if refused:
            self._refused(actor or Actor("(no token)", "none"), "user_add", None, 403)
            raise Forbidden("only an admin adds users: give an admin's token in WEGWIJZER_USER_TOKEN "
                            "(alleen een beheerder voegt gebruikers toe)")
        return token

    @_guarded
    def list_users(self, actor: Actor) -> list[dict[str, Any]]:
        if actor.role not in ("admin", "local"):
            self._refused(actor, "user_list", None, 403)
            raise Forbidden("only an admin lists users")
        with self.engine.begin() as conn:
            found = [{"name": r.name, "role": r.role, "team": r.team}
                     for r in conn.execute(sa.select(users).order_by(users.c.name))]
        self._audit_alone(actor, "user_list")
        return found

    # ---------------------------------------------------------------- access
    def _may_hold(self, actor: Actor, action: str, case_id: str | None = None) -> None:
        if actor.role not in ("coach", "local"):
            self._refused(actor, action, case_id, 403)
            raise Forbidden(f"the role '{actor.role}' does not work with single cases (deze rol ziet geen losse casussen)")

    def _visible(self, actor: Actor) -> Any:
        """The WHERE clause for the cases this actor may see one by one."""
        return sa.true() if actor.role == "local" else cases.c.owner == actor.name

    def _row(self, conn: sa.Connection, actor: Actor, case_id: str, action: str) -> Any:
        """The case row with its key, or NotFound (audited, id masked) when it does not exist or is
        not this actor's: the two answers are the same on purpose."""
        self._may_hold(actor, action, case_id)
        row = None
        if _storable_id(case_id):
            row = conn.execute(sa.select(cases, case_keys.c.key).join(case_keys, case_keys.c.case_id == cases.c.case_id)
                               .where(cases.c.case_id == case_id, self._visible(actor))).first()
        if row is None:
            self._refused(actor, action, case_id, 404)
            raise NotFound(_not_found(case_id))
        return row

    # ---------------------------------------------------------------- cases
    def import_case(self, actor: Actor, document: Any, source: str | None = None) -> str:
        report = self.import_many(actor, [(source or "case", document)], raise_first=True)
        return report.ids[0]

    @_guarded
    def import_many(self, actor: Actor, items: Iterable[tuple[str, Any]], batch: int = 1000,
                    raise_first: bool = False, progress: Any = None) -> "ImportResult":
        """Import Case documents in batches; each batch one transaction of whole cases. A case
        already stored with the same content is counted as unchanged (by its content hash, so
        nothing stored is decrypted), and a case without an id gets one derived from its
        content: running an import again after it was killed resumes it. A bad case is
        reported, the rest go on."""
        self._may_hold(actor, "import")
        result = ImportResult()
        pending: list[dict[str, Any]] = []
        for ref, data in items:
            if progress is not None:
                progress.update(1)
            try:
                if isinstance(data, InputError):
                    raise data
                case, doc = self.checked(as_case_document(data, date.today()), ref)
                case_id = case.case_id or derived_id(doc)
                doc["case_id"] = case_id
                pending.append({"case_id": case_id, "municipality": case.municipality, "document": doc, "ref": ref,
                                "hash": crypto.content_hash(doc)})
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
        refusals: list[tuple[dict[str, Any], bool]] = []  # (row, held by someone else)
        for row in rows:  # the same id twice in one batch: the second is a conflict below
            if row["case_id"] in seen:
                if seen[row["case_id"]]["hash"] == row["hash"]:
                    result.unchanged += 1
                    result.ids.append(row["case_id"])
                else:
                    refusals.append((row, False))
            else:
                seen[row["case_id"]] = row
        try:
            with self.engine.begin() as conn:
                existing = {r.case_id: r for r in conn.execute(
                    sa.select(cases.c.case_id, cases.c.content_hash, cases.c.owner)
                    .where(cases.c.case_id.in_(list(seen))))}
                new = []
                for case_id, row in seen.items():
                    old = existing.get(case_id)
                    if old is None:
                        new.append(row)
                    elif actor.role != "local" and old.owner != actor.name:
                        refusals.append((row, True))
                    elif old.content_hash == row["hash"]:
                        result.unchanged += 1
                        result.ids.append(case_id)
                    else:
                        refusals.append((row, False))
                if new:
                    # a key kept for the decision log of a case advised over CDS Hooks is taken over
                    kept = {r.case_id: r.key for r in conn.execute(
                        sa.select(case_keys).where(case_keys.c.case_id.in_([r["case_id"] for r in new])))}
                    keys = {r["case_id"]: kept.get(r["case_id"]) or crypto.new_key() for r in new}
                    fresh = [{"case_id": i, "key": k} for i, k in keys.items() if i not in kept]
                    if fresh:
                        conn.execute(case_keys.insert(), fresh)
                    conn.execute(cases.insert(), [
                        {"case_id": r["case_id"], "municipality": r["municipality"],
                         "sealed": crypto.seal(keys[r["case_id"]], r["case_id"], r["document"]),
                         "content_hash": r["hash"], "version": 1, "created_at": now, "updated_at": now,
                         "owner": actor.name, "team": actor.team, "closed_on": None} for r in new])
                    conn.execute(audit.insert(), [{"at": now, "actor": actor.name, "action": "import",
                                                   "case_id": r["case_id"]} for r in new])
            result.stored += len(new)
            result.ids.extend(r["case_id"] for r in new)
            self.writable = True
        except sa.exc.IntegrityError:
            # another importer stored one of these ids meanwhile: one case at a time
            if len(seen) == 1:
                refusals.append((next(iter(seen.values())), False))
            else:
                for row in seen.values():
                    self._insert_batch(actor, [row], result, raise_first)
        for row, others in refusals:
            self._refuse_import(actor, row, others, result, raise_first)

    def _refuse_import(self, actor: Actor, row: dict[str, Any], others: bool, result: "ImportResult",
                       raise_first: bool) -> None:
        """Another's case id answers as any id this actor cannot see (not found: nothing tells that
        it exists, nor with what content); one's own case with other content is a conflict."""
        self._refused(actor, "import", row["case_id"], 404 if others else 409)
        if others:
            error: WegwijzerError = NotFound(f"case id '{row['case_id']}' cannot be used; choose another pseudonym "
                                             "(casus-id niet te gebruiken)")
        else:
            error = Conflict(f"case '{row['case_id']}' is stored already with other content; add entries with "
                             f"'wegwijzer case add', or forget it first (casus bestaat al)")
        if raise_first:
            raise error
        result.failed.append((row["ref"], str(error)))

    @_guarded
    def list_cases(self, actor: Actor) -> list[CaseSummary]:
        self._may_hold(actor, "list")
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(cases, case_keys.c.key).join(case_keys, case_keys.c.case_id == cases.c.case_id)
                                .where(self._visible(actor)).order_by(cases.c.case_id)).all()
        self._audit_alone(actor, "list")
        return [_summary(r, _open(r)) for r in rows]

    def _read(self, actor: Actor, case_id: str, action: str) -> Any:
        with self.engine.connect() as conn:
            row = self._row(conn, actor, case_id, action)
        self._audit_alone(actor, action, case_id)
        return row

    @_guarded
    def get(self, actor: Actor, case_id: str, action: str = "read") -> Case:
        return Case.model_validate(_open(self._read(actor, case_id, action)))

    @_guarded
    def summary(self, actor: Actor, case_id: str) -> CaseSummary:
        row = self._read(actor, case_id, "read")
        return _summary(row, _open(row))

    def export(self, actor: Actor, case_id: str) -> dict[str, Any]:
        """Everything held about the case's client: the Case document (right of access)."""
        case = self.get(actor, case_id, "export")
        return case.model_dump(mode="json", by_alias=True, exclude_none=True)

    def add(self, actor: Actor, case_id: str, data: Any, retries: int = 50) -> str:
        """Add one entry; returns its kind. The whole resulting case is validated as the engine
        validates it. Retries when another writer changed the case meanwhile."""
        kind, entry = parse_entry(data)
        self._update(actor, case_id, "add_" + kind, lambda case: apply_entry(case, kind, entry), retries)
        return kind

    @_guarded
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

    @_guarded
    def close_case(self, actor: Actor, case_id: str, on: date, today: date | None = None) -> None:
        """Close the case on `on`: a day from its first assessment up to today (the caller's clock)."""
        today = today or date.today()
        with self.engine.connect() as conn:
            row = self._row(conn, actor, case_id, "close")
        first = min(date.fromisoformat(a["date"]) for a in _open(row)["assessments"])
        if not first <= on <= today:
            raise InputError([("on", f"a case closes between its first assessment ({first}) and today ({today}) "
                                     "(sluitdatum tussen de eerste meting en vandaag)")])
        with self.engine.begin() as conn:
            conn.execute(cases.update().where(cases.c.case_id == case_id).values(
                closed_on=on, updated_at=_now(), version=cases.c.version + 1))
            self._audit(conn, actor, "close", case_id)
        self.writable = True

    @_guarded
    def _update(self, actor: Actor, case_id: str, action: str, change: Any, retries: int) -> bool:
        for _ in range(retries):
            with self.engine.begin() as conn:
                row = self._row(conn, actor, case_id, action)
                stored = _open(row)
                case = change(Case.model_validate(stored))
                candidate = case_document(case)
                # validated as of its latest date, or the date an imported file was written if later:
                # that date is no ceiling for later visits
                candidate["as_of"] = max([*_dates(case), *([case.as_of] if case.as_of else [])]).isoformat()
                _, doc = self.checked(candidate, case_id)
                done = conn.execute(cases.update().where(cases.c.case_id == case_id, cases.c.version == row.version)
                                    .values(sealed=crypto.seal(row.key, case_id, doc), content_hash=crypto.content_hash(doc),
                                            version=row.version + 1, updated_at=_now())).rowcount
                if done == 1:
                    self._audit(conn, actor, action, case_id)
                    self.writable = True
                    return True
        raise WegwijzerError(f"case '{case_id}' kept changing under this write; try again")

    @_guarded
    def forget(self, actor: Actor, case_id: str) -> None:
        """Erase the case completely: its key first (so every old copy of the sealed document is
        unreadable), then its row. The audit keeps who, when, the action and the case id."""
        with self.engine.begin() as conn:
            self._row(conn, actor, case_id, "forget")
            conn.execute(case_keys.delete().where(case_keys.c.case_id == case_id))
            conn.execute(cases.delete().where(cases.c.case_id == case_id))
            self._erase_log(conn, [case_id])
            conn.execute(caseload.delete().where(caseload.c.case_id == case_id))  # what the list showed of it
            self._audit(conn, actor, "forget", case_id)
        self.writable = True

    @_guarded
    def purge(self, actor: Actor, retention_days: int, today: date) -> list[str]:
        """Erase every case closed more than `retention_days` before `today`; the ids erased."""
        if actor.role not in ("admin", "local"):
            self._refused(actor, "purge", None, 403)
            raise Forbidden("only an admin purges (alleen een beheerder)")
        if retention_days < 0:
            raise InputError([("retention", "must be 0 days or more")])
        limit = days_after(today, -retention_days)  # held at the calendar's start: never an overflow
        with self.engine.begin() as conn:
            ids = [r.case_id for r in conn.execute(sa.select(cases.c.case_id).where(
                cases.c.closed_on.is_not(None), cases.c.closed_on < limit))]
            if ids:
                conn.execute(case_keys.delete().where(case_keys.c.case_id.in_(ids)))
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
            self._refused(actor, "monitor", None, 403)
            raise Forbidden("the monitor is for a team lead (de monitor is voor een teamleider)")
        if municipality:
            where = sa.and_(where, cases.c.municipality == municipality)
        try:
            self._audit_alone(actor, "monitor")
            last = ""
            while True:  # keyset pagination: bounded memory on 100,000 cases
                with self.engine.connect() as conn:
                    rows = conn.execute(sa.select(cases.c.case_id, cases.c.sealed, cases.c.closed_on, case_keys.c.key)
                                        .join(case_keys, case_keys.c.case_id == cases.c.case_id)
                                        .where(where, cases.c.case_id > last).order_by(cases.c.case_id)
                                        .limit(chunk)).all()
                if not rows:
                    return
                for row in rows:
                    yield Case.model_validate(_open(row)), row.closed_on
                last = rows[-1].case_id
        except sa.exc.SQLAlchemyError as exc:
            raise _store_error(exc) from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Deleted content is overwritten with zeros in the file, not left in free pages; set here
    # rather than relying on how the SQLite library was built.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _open(row: Any) -> dict[str, Any]:
    return crypto.unseal(row.key, row.case_id, row.sealed)


def _dates(case: Case) -> list[date]:
    from ..case import dated_fields

    return [when for _, when in dated_fields(case)]


def _storable_id(case_id: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", case_id))


def _safe(text: str) -> str:
    """Text fit to repeat in a message: printable, short, no password of a URL."""
    text = re.sub(r"://([^/@:]*):[^/@]*@", r"://\1:***@", text)
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:120]


def _not_ours(url: str, why: str) -> str:
    return (f"de opslag is niet bruikbaar: '{_safe(url)}' is geen SQLite-bestand of postgresql+psycopg://-URL "
            f"(store unavailable: the store runs on SQLite or PostgreSQL; {why})")


def _not_found(case_id: str) -> str:
    shown = case_id if _storable_id(case_id) else _safe(case_id[:64]) + ("..." if len(case_id) > 64 else "")
    return f"case '{shown}' not found (casus niet gevonden)"


@dataclass
class ImportResult:
    stored: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = None  # type: ignore[assignment]
    ids: list[str] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.failed = self.failed if self.failed is not None else []
        self.ids = self.ids if self.ids is not None else []


def _summary(row: Any, document: dict[str, Any]) -> CaseSummary:
    dates = [a["date"] for a in document["assessments"]]
    return CaseSummary(row.case_id, row.municipality, len(dates), min(dates), max(dates), row.closed_on,
                       row.owner, row.team)
