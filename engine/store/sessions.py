"""Passwords, sign-in and sessions for the coach's browser, kept in the store.

    accounts = Accounts(store)
    accounts.set_password(admin, "anna", "…")              # scrypt, as the tokens (privacy.py)
    session_id, actor = accounts.sign_in("anna", "…", "10.0.0.7")
    accounts.actor_of(session_id)                          # the Actor, or None (unknown, expired)
    accounts.sign_out(session_id)

Sessions live in the database, not in a process, so two app instances on one PostgreSQL
serve the same coach. Only the SHA-256 of a session id is stored: the id is 256 random bits,
so a fast hash is enough, and a copy of the table signs no one in.

Failed sign-ins are counted per user name and per address; from FREE_FAILURES (per name) or
FREE_FAILURES_PER_ADDRESS on, the next try waits a delay that doubles with every failure (at
most MAX_DELAY). An address is allowed more: behind a reverse proxy, or in one office, many
coaches share one. An unknown user costs
the same scrypt as a wrong password, so the answer's time does not tell which it was.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
import sqlalchemy as sa

from ..errors import InputError, WegwijzerError
from . import privacy
from .repo import Actor, Forbidden, NotFound, Store
from .schema import sessions, sign_in_failures, users

IDLE_ENV = "WEGWIJZER_SESSION_IDLE_MINUTES"
DEFAULT_IDLE = timedelta(minutes=30)
MAX_AGE = timedelta(hours=12)  # even an active session is signed out after a working day
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most once a minute per session
FREE_FAILURES = 3
FREE_FAILURES_PER_ADDRESS = 10
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(hours=24)
MIN_PASSWORD = 10

# A hash to check an unknown user's password against: the same work as a real check.
_DUMMY_HASH = privacy.hash_token(secrets.token_urlsafe(16))


class SignInRefused(WegwijzerError):
    """Wrong name or password, or too many failures: `wait` says how long before the next try."""

    def __init__(self, message: str, wait: timedelta | None = None, locked: bool = False):
        super().__init__(message)
        self.wait = wait
        self.locked = locked  # refused for too many failures, before the password was looked at


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf_token: str  # tied to the session: HMAC of the session id, never stored


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of every form in this session: derived from the session id, so a page
    of another session (or none) cannot post here, and nothing extra is stored."""
    return hmac.new(session_id.encode(), b"wegwijzer-csrf", hashlib.sha256).hexdigest()


def idle_timeout() -> timedelta:
    text = os.environ.get(IDLE_ENV)
    if not text:
        return DEFAULT_IDLE
    try:
        minutes = int(text)
    except ValueError:
        raise InputError([(IDLE_ENV, f"'{text}' is not a whole number of minutes")]) from None
    if minutes < 1:
        raise InputError([(IDLE_ENV, "at least 1 minute")])
    return timedelta(minutes=minutes)


def delay_after(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """How long the next try waits after `failures` failures in a row: none for the first
    `free`, then 30 s, 1 min, 2 min, ... up to 15 min."""
    if failures < free:
        return timedelta(0)
    return min(MAX_DELAY, FIRST_DELAY * (2 ** min(failures - free, 20)))


class Accounts:
    def __init__(self, store: Store, idle: timedelta | None = None):
        self.store = store
        self.engine = store.engine
        self.idle = idle or idle_timeout()

    # ---------------------------------------------------------------- passwords
    def set_password(self, actor: Actor | None, name: str, password: str) -> None:
        """An admin sets anyone's password; a signed-in user their own."""
        if actor is None or (actor.role not in ("admin", "local") and actor.name != name):
            raise Forbidden("only an admin sets another user's password (alleen een beheerder)")
        check_password(password)
        with self.engine.begin() as conn:
            done = conn.execute(users.update().where(users.c.name == name)
                                .values(password_hash=privacy.hash_token(password))).rowcount
            if done != 1:
                raise NotFound(f"no user '{name}' (gebruiker onbekend)")
            # a new password ends the user's sessions elsewhere
            conn.execute(sessions.delete().where(sessions.c.user_name == name))
            self.store._audit(conn, actor, "password_set")

    # ---------------------------------------------------------------- sign in and out
    def sign_in(self, name: str, password: str, address: str, now: datetime | None = None) -> tuple[str, Session]:
        """A new session id and its Session, or SignInRefused (the same message for an unknown
        user and a wrong password)."""
        now = now or _now()
        keys = [f"user:{name[:64]}", f"address:{address[:64]}"]
        wait = self._wait(keys, now)
        if wait > timedelta(0):
            raise SignInRefused("too many failed sign-ins; wait before trying again", wait, locked=True)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first() if name else None
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        good = privacy.verify_token(password, stored) and row is not None and bool(row.password_hash)
        if not good:
            self._fail(keys, now)
            raise SignInRefused("unknown user or wrong password", self._wait(keys, now))
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(sign_in_failures.delete().where(sign_in_failures.c.key == keys[0]))
            conn.execute(sessions.insert().values(id_hash=id_hash(session_id), user_name=row.name, created_at=now,
                                                  last_seen=now))
            conn.execute(sessions.delete().where(sessions.c.last_seen < now - self.idle))  # tidy the expired
            self.store._audit(conn, Actor(row.name, row.role, row.team), "sign_in")
        return session_id, Session(Actor(row.name, row.role, row.team), csrf_token(session_id))

    def session(self, session_id: str | None, now: datetime | None = None) -> Session | None:
        """The signed-in user of this session id, or None (unknown, idle too long, too old)."""
        if not session_id or not re.fullmatch(r"[A-Za-z0-9_-]{20,100}", session_id):
            return None
        now = now or _now()
        key = id_hash(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sessions, users.c.role, users.c.team)
                               .join(users, users.c.name == sessions.c.user_name)
                               .where(sessions.c.id_hash == key)).first()
        if row is None:
            return None
        last_seen, created = _aware(row.last_seen), _aware(row.created_at)
        if now - last_seen > self.idle or now - created > MAX_AGE:
            with self.engine.begin() as conn:
                conn.execute(sessions.delete().where(sessions.c.id_hash == key))
            return None
        if now - last_seen > TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(sessions.update().where(sessions.c.id_hash == key).values(last_seen=now))
        return Session(Actor(row.user_name, row.role, row.team), csrf_token(session_id))

    def sign_out(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(sessions.c.user_name).where(sessions.c.id_hash == id_hash(session_id))).first()
            conn.execute(sessions.delete().where(sessions.c.id_hash == id_hash(session_id)))
            if row is not None:
                self.store._audit(conn, Actor(row.user_name, "coach"), "sign_out")  # the audit names who only

    # ---------------------------------------------------------------- failures
    def _wait(self, keys: list[str], now: datetime) -> timedelta:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sign_in_failures).where(sign_in_failures.c.key.in_(keys))).all()
        wait = timedelta(0)
        for row in rows:
            free = FREE_FAILURES_PER_ADDRESS if row.key.startswith("address:") else FREE_FAILURES
            until = _aware(row.last_at) + delay_after(row.failures, free)
            wait = max(wait, until - now)
        return wait

    def _fail(self, keys: list[str], now: datetime) -> None:
        for key in keys:
            for _ in range(5):  # two instances failing the same key at once: one inserts, the other updates
                try:
                    with self.engine.begin() as conn:
                        row = conn.execute(sa.select(sign_in_failures).where(sign_in_failures.c.key == key)).first()
                        if row is None:
                            conn.execute(sign_in_failures.insert().values(key=key, failures=1, last_at=now))
                        else:
                            stale = now - _aware(row.last_at) > FORGET_FAILURES_AFTER
                            conn.execute(sign_in_failures.update().where(sign_in_failures.c.key == key).values(
                                failures=1 if stale else sign_in_failures.c.failures + 1, last_at=now))
                    break
                except sa.exc.IntegrityError:
                    continue


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError([("password", f"at least {MIN_PASSWORD} characters (minstens {MIN_PASSWORD} tekens)")])
    if len(password) > 1024:
        raise InputError([("password", "at most 1024 characters")])
