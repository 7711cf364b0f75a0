"""The decision log: which advice a coach was shown, and what the coach decided per suggestion.

    advice_id = store.log_advice(actor, "c-17", recommendation)
    store.record_decision(actor, "c-17", advice_id, "debt_counselling", "not_now", reason="waiting_list")
    store.decisions(actor, "c-17")

An entry holds the advice's receipt (engine.model.Receipt), the coach's pseudonymous name,
the case's masked id and the suggestions shown (id, rule, phase): never what the case holds.
The rows are erased with their case (forget, purge) and otherwise kept for the log retention
(`log_retention_days`, at least six months: AI Act Art. 26(6) asks a deployer to keep the
logs of a high-risk system that long). The rule files of every rules version advised with
are kept too (`rule_snapshots`), so a past advice can be replayed (`wegwijzer replay`).

The Store (repo.py) takes this class as a base; it uses the Store's engine, access checks and
audit.
"""
from __future__ import annotations

import os
import re
import secrets
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import InputError, WegwijzerError
from ..decisionlog import shown_of
from . import crypto
from .schema import advice_log, case_keys, cases, decisions, rule_snapshots

LOG_RETENTION_ENV = "WEGWIJZER_LOG_RETENTION_DAYS"
MIN_LOG_RETENTION_DAYS = 183  # six months: AI Act Art. 26(6)
COMMENT_MAX = 500
# a comment is for the coach's own note on the decision: no phone number, e-mail or BSN
_CONTACT_DETAIL = re.compile(r"@|\d{4,}")
# A comment is the store's one free text outside a case document: it is sealed with the case's
# own key (engine/store/crypto.py), so forgetting the case makes every copy of it unreadable.
_SEALED = "sealed:"


def _seal_comment(key: bytes, case_id: str, comment: str) -> str:
    import base64

    return _SEALED + base64.b64encode(crypto.seal(key, case_id, comment)).decode("ascii")


def _open_comment(key: bytes | None, case_id: str, stored: str | None) -> str | None:
    import base64

    if stored is None or not stored.startswith(_SEALED):
        return stored  # none, or written before comments were sealed
    if key is None:
        return None  # its key is gone: the case was forgotten
    return crypto.unseal(key, case_id, base64.b64decode(stored[len(_SEALED):]))


def log_retention_days(given: int | None = None) -> int:
    """The decision log's retention in days: the argument, else $WEGWIJZER_LOG_RETENTION_DAYS,
    else six months; never less than six months."""
    if given is None:
        text = os.environ.get(LOG_RETENTION_ENV)
        if not text:
            return MIN_LOG_RETENTION_DAYS
        try:
            given = int(text)
        except ValueError:
            raise InputError([(LOG_RETENTION_ENV, f"'{text}' is not a whole number of days")]) from None
    if given < MIN_LOG_RETENTION_DAYS:
        raise InputError([("log_retention_days", f"{given} days is too short: the decision log is kept at least "
                                                 f"{MIN_LOG_RETENTION_DAYS} days (six months, AI Act Art. 26(6))")])
    return given


def rule_files(directory: Path) -> dict[str, str]:
    """The rule files that make up a rules version (rulebook.RULE_FILES and the municipality
    packs, inside the folder or from $WEGWIJZER_PACKS, each by its name in the rules:
    municipalities/<id>/<file>), as text."""
    from ..rulebook import rule_file_paths

    return {name: path.read_text(encoding="utf-8") for name, path in rule_file_paths(directory).items()}


def version_of(files: dict[str, str]) -> str:
    """The rules version of a snapshot, as rulebook.rules_version names its folder."""
    from ..rulebook import version_of_files

    return version_of_files({name: text.encode("utf-8") for name, text in files.items()})


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DecisionLog:
    """Mixed into Store: needs `engine`, `_row`, `_audit`, `_may_hold`."""

    engine: sa.Engine
    _snapshotted: set[str]
    _reasons: dict[str, Any]

    # ---------------------------------------------------------------- rules kept for replay
    def keep_rules(self, directory: Path | str | None = None) -> str:
        """Store the rule files of `directory` (default: the shipped rules) under their rules
        version, once; return that version."""
        from ..rulebook import default_rules_dir

        files = rule_files(Path(directory) if directory else default_rules_dir())
        version = version_of(files)
        self._keep_snapshot(version, files)
        return version

    def _keep_snapshot(self, version: str, files: dict[str, str]) -> None:
        known = self.__dict__.setdefault("_snapshotted", set())
        if version in known:
            return
        with self.engine.begin() as conn:
            if conn.execute(sa.select(rule_snapshots.c.rules_version)
                            .where(rule_snapshots.c.rules_version == version)).first() is None:
                try:
                    with conn.begin_nested():
                        conn.execute(rule_snapshots.insert().values(rules_version=version, files=files,
                                                                    created_at=_now()))
                except sa.exc.IntegrityError:
                    pass  # another process kept the same version meanwhile: the same files
        known.add(version)

    def rule_snapshot(self, rules_version: str) -> dict[str, str] | None:
        """The rule files of a rules version advised with (file name -> text), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(rule_snapshots.c.files)
                               .where(rule_snapshots.c.rules_version == rules_version)).first()
        return dict(row.files) if row else None

    def rules_versions(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r.rules_version for r in conn.execute(
                sa.select(rule_snapshots.c.rules_version).order_by(rule_snapshots.c.created_at))]

    # ---------------------------------------------------------------- the log
    def _log_access(self, conn: sa.Connection, actor: Any, case_id: str, action: str) -> bool:
        """May `actor` log or read the log of `case_id`? A stored case: whoever may see it. A case
        another system holds (CDS Hooks), not in this store: a coach (or the local user), who then
        sees only the entries they logged themselves. Returns whether to keep to those."""
        if conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id == case_id)).first() is not None:
            self._row(conn, actor, case_id, action)
            return False
        self._may_hold(actor, action, case_id)
        return actor.role != "local"

    def log_advice(self, actor: Any, case_id: str, recommendation: Any, rules: Path | str | None = None) -> str:
        """Log that `actor` was shown `recommendation` for the stored case; return its advice id.
        The rule files it was made with (`rules`, default the shipped rules) are kept under
        its rules version; advice made with other rules than those is refused."""
        receipt = getattr(recommendation, "receipt", None)
        if receipt is None:
            raise InputError([("receipt", "the advice has no receipt; log an advice made by this engine")])
        if recommendation.case_id not in (None, case_id):
            raise InputError([("case_id", f"the advice is for case '{recommendation.case_id}', not '{case_id}'")])
        if receipt.rules_version not in self.__dict__.get("_snapshotted", ()):
            from ..rulebook import default_rules_dir

            directory = Path(rules) if rules else default_rules_dir()
            files = rule_files(directory)
            found = version_of(files)
            if found != receipt.rules_version:
                raise InputError([("rules_version", f"the advice was made with rules {receipt.rules_version}, but the "
                                                    f"rules in {directory} are {found}; pass the rules it was made with")])
            self._keep_snapshot(found, files)
        from .privacy import check_case_id

        check_case_id(case_id)
        advice_id = secrets.token_hex(12)
        with self.engine.begin() as conn:
            self._log_access(conn, actor, case_id, "log_advice")
            ref = conn.execute(sa.select(advice_log.c.case_ref).where(advice_log.c.case_id == case_id).limit(1)).first()
            conn.execute(advice_log.insert().values(
                advice_id=advice_id, at=_now(), actor=actor.name, case_id=case_id,
                case_ref=ref.case_ref if ref else "m-" + secrets.token_hex(8),
                municipality=recommendation.municipality, rules_version=receipt.rules_version,
                receipt=receipt.model_dump(mode="json"), shown=shown_of(recommendation)))
            self._audit(conn, actor, "log_advice", case_id)
        return advice_id

    def _reasons_of(self, rules_version: str) -> Any:
        """override_reasons.yaml as it was in `rules_version` (the advice's own reasons)."""
        cache = self.__dict__.setdefault("_reasons", {})
        if rules_version not in cache:
            import yaml

            from ..rulebook import OverrideReasonsFile

            files = self.rule_snapshot(rules_version) or {}
            text = files.get("override_reasons.yaml")
            if text is None:
                raise WegwijzerError(f"the rules {rules_version} have no override_reasons.yaml")
            cache[rules_version] = OverrideReasonsFile.model_validate(yaml.safe_load(text))
        return cache[rules_version]

    def record_decision(self, actor: Any, case_id: str, advice_id: str, intervention_id: str, decision: str,
                        reason: str | None = None, comment: str | None = None) -> int:
        """The coach's decision on one suggestion of a logged advice: accepted, not_now or other.
        Setting a suggestion aside (not_now, other) needs a reason from override_reasons.yaml;
        accepting takes none. `comment`: the coach's own note, at most 500 characters, no contact
        details; erased with the case and never shown to trainers. Returns the decision's id."""
        problems: list[tuple[str, str]] = []
        with self.engine.begin() as conn:
            mine_only = self._log_access(conn, actor, case_id, "decide")
            logged = conn.execute(sa.select(advice_log).where(advice_log.c.advice_id == advice_id,
                                                              advice_log.c.case_id == case_id)).first()
            if logged is None or (mine_only and logged.actor != actor.name):
                raise InputError([("advice_id", f"no advice '{advice_id}' was logged for case '{case_id}'")])
            book = self._reasons_of(logged.rules_version)
            shown = [item["id"] for item in logged.shown]
            if intervention_id not in shown:
                problems.append(("intervention_id", f"'{intervention_id}' was not suggested in this advice; "
                                                    f"it suggested {', '.join(shown) or 'nothing'}"))
            reasons = [r.id for r in book.reasons]
            if decision not in book.decisions:
                problems.append(("decision", f"'{decision}' is not a decision; one of {', '.join(book.decisions)}"))
            elif book.decisions[decision].needs_reason and reason is None:
                problems.append(("reason", f"'{decision}' needs a reason: one of {', '.join(reasons)}"))
            elif not book.decisions[decision].needs_reason and reason is not None:
                problems.append(("reason", f"'{decision}' takes no reason"))
            if reason is not None and reason not in reasons:
                problems.append(("reason", f"unknown reason '{reason}'; one of {', '.join(reasons)}"))
            if comment is not None:
                if len(comment) > COMMENT_MAX:
                    problems.append(("comment", f"at most {COMMENT_MAX} characters"))
                if _CONTACT_DETAIL.search(comment):
                    problems.append(("comment", "no numbers of four digits or more and no e-mail address: a note on "
                                                "the decision, never contact details or a BSN"))
            if problems:
                raise InputError(problems)
            sealed = _seal_comment(self._comment_key(conn, case_id), case_id, comment) if comment else None
            done = conn.execute(decisions.insert().values(
                advice_id=advice_id, case_id=case_id, at=_now(), actor=actor.name, intervention_id=intervention_id,
                decision=decision, reason=reason, comment=sealed))
            self._audit(conn, actor, "decide", case_id)
        return int(done.inserted_primary_key[0])

    def _comment_key(self, conn: sa.Connection, case_id: str) -> bytes:
        """The case's key; a case this store does not hold (advised over CDS Hooks) gets one of its
        own here, erased with its log (forget_log) and taken over if the case is imported later."""
        key = conn.execute(sa.select(case_keys.c.key).where(case_keys.c.case_id == case_id)).scalar()
        if key is None:
            key = crypto.new_key()
            conn.execute(case_keys.insert().values(case_id=case_id, key=key))
        return key

    def record_decision_on(self, actor: Any, advice_id: str, position: int, decision: str,
                           reason: str | None = None, comment: str | None = None) -> int:
        """record_decision for the step at `position` of a logged advice (CDS Hooks feedback names
        the card, not the case)."""
        with self.engine.connect() as conn:
            logged = conn.execute(sa.select(advice_log.c.case_id, advice_log.c.shown)
                                  .where(advice_log.c.advice_id == advice_id)).first()
        if logged is None or not 0 <= position < len(logged.shown):
            raise InputError([("card", "no such card was given by this service (or its log was erased)")])
        return self.record_decision(actor, logged.case_id, advice_id, logged.shown[position]["id"], decision,
                                    reason, comment)

    def decisions(self, actor: Any, case_id: str) -> list[dict[str, Any]]:
        """The case's decisions, oldest first, each with its advice's rules version and the rule
        that chose the suggestion."""
        with self.engine.begin() as conn:
            mine = [advice_log.c.actor == actor.name] if self._log_access(conn, actor, case_id, "read_decisions") else []
            rows = conn.execute(
                sa.select(decisions, advice_log.c.rules_version, advice_log.c.shown)
                .join(advice_log, advice_log.c.advice_id == decisions.c.advice_id)
                .where(decisions.c.case_id == case_id, *mine).order_by(decisions.c.id)).all()
            key = conn.execute(sa.select(case_keys.c.key).where(case_keys.c.case_id == case_id)).scalar()
            self._audit(conn, actor, "read_decisions", case_id)
        out = []
        for r in rows:
            rule = next((item["rule"] for item in r.shown if item["id"] == r.intervention_id), None)
            out.append({"id": r.id, "advice_id": r.advice_id, "at": r.at.isoformat(), "actor": r.actor,
                        "intervention_id": r.intervention_id, "rule": rule, "decision": r.decision,
                        "reason": r.reason, "comment": _open_comment(key, case_id, r.comment),
                        "rules_version": r.rules_version})
        return out

    def logged_advice(self, actor: Any, case_id: str) -> list[dict[str, Any]]:
        """The advice logged for a case, oldest first: advice id, when, who, receipt, shown."""
        with self.engine.begin() as conn:
            mine = [advice_log.c.actor == actor.name] if self._log_access(conn, actor, case_id, "read_log") else []
            rows = conn.execute(sa.select(advice_log).where(advice_log.c.case_id == case_id, *mine)
                                .order_by(advice_log.c.at, advice_log.c.advice_id)).all()
            self._audit(conn, actor, "read_log", case_id)
        return [{"advice_id": r.advice_id, "at": r.at.isoformat(), "actor": r.actor, "case_ref": r.case_ref,
                 "municipality": r.municipality, "receipt": r.receipt, "shown": r.shown} for r in rows]

    # ---------------------------------------------------------------- erasure
    def _erase_log(self, conn: sa.Connection, case_ids: list[str]) -> None:
        """A case's log goes with it (forget, purge)."""
        conn.execute(decisions.delete().where(decisions.c.case_id.in_(case_ids)))
        conn.execute(advice_log.delete().where(advice_log.c.case_id.in_(case_ids)))

    def forget_log(self, actor: Any, case_id: str) -> int:
        """Erase the log of a case this store does not hold (advised over CDS Hooks): a coach
        erases the entries they logged, an admin (or the local user) all; how many advice
        entries went. A stored case's log goes with `forget`."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id == case_id)).first() is not None:
                raise InputError([("case_id", f"case '{case_id}' is in the store: forget the case, and its log goes with it")])
            if actor.role not in ("admin", "local"):
                self._may_hold(actor, "forget_log", case_id)
            mine = [advice_log.c.actor == actor.name] if actor.role not in ("admin", "local") else []
            ids = [r.advice_id for r in conn.execute(sa.select(advice_log.c.advice_id)
                                                     .where(advice_log.c.case_id == case_id, *mine))]
            if ids:
                conn.execute(decisions.delete().where(decisions.c.advice_id.in_(ids)))
                conn.execute(advice_log.delete().where(advice_log.c.advice_id.in_(ids)))
            self._drop_log_keys(conn)
            self._audit(conn, actor, "forget_log", case_id)
        return len(ids)

    def purge_log(self, actor: Any, today: date, retention_days: int | None = None) -> int:
        """Erase log entries (and their decisions) older than the log retention; how many advice
        entries went."""
        if actor.role not in ("admin", "local"):
            from .repo import Forbidden

            raise Forbidden("only an admin purges (alleen een beheerder)")
        days = log_retention_days(retention_days)
        limit = datetime.combine(today - timedelta(days=days), datetime.min.time(), timezone.utc)
        with self.engine.begin() as conn:
            old = [r.advice_id for r in conn.execute(sa.select(advice_log.c.advice_id).where(advice_log.c.at < limit))]
            if old:
                conn.execute(decisions.delete().where(decisions.c.advice_id.in_(old)))
                conn.execute(advice_log.delete().where(advice_log.c.advice_id.in_(old)))
            self._drop_log_keys(conn)
            self._audit(conn, actor, "purge_log")
        return len(old)

    def _drop_log_keys(self, conn: sa.Connection) -> None:
        """A key kept only for a log's comments goes when no case and no log entry needs it."""
        conn.execute(case_keys.delete().where(
            case_keys.c.case_id.not_in(sa.select(cases.c.case_id)),
            case_keys.c.case_id.not_in(sa.select(decisions.c.case_id))))

    # ---------------------------------------------------------------- for trainers
    def feedback_entries(self, actor: Any, municipality: str | None = None,
                         rules_version: str | None = None) -> list[tuple[str, str, list, dict]]:
        """Per logged advice: (municipality, rules version, suggestions shown, {intervention id:
        (latest decision, reason)}), for `wegwijzer feedback`; never a case id, a coach or a
        comment. A team lead counts the team's cases; an admin (or the local user) all."""
        from .repo import Forbidden
        from .schema import cases

        where = []
        if actor.role == "team_lead":
            where.append(advice_log.c.case_id.in_(sa.select(cases.c.case_id).where(cases.c.team == actor.team)))
        elif actor.role not in ("admin", "local"):
            raise Forbidden("the coaches' feedback is for a team lead or an admin (voor een teamleider of beheerder)")
        if municipality:
            where.append(advice_log.c.municipality == municipality)
        if rules_version:
            where.append(advice_log.c.rules_version == rules_version)
        self._audit_alone(actor, "feedback")
        with self.engine.connect() as conn:
            logged = conn.execute(sa.select(advice_log.c.advice_id, advice_log.c.municipality,
                                            advice_log.c.rules_version, advice_log.c.shown)
                                  .where(*where).order_by(advice_log.c.advice_id)).all()
            decided: dict[str, dict[str, tuple[str, str | None]]] = {}
            for row in conn.execute(sa.select(decisions.c.advice_id, decisions.c.intervention_id,
                                              decisions.c.decision, decisions.c.reason)
                                    .where(decisions.c.advice_id.in_(sa.select(advice_log.c.advice_id).where(*where)))
                                    .order_by(decisions.c.id)):
                decided.setdefault(row.advice_id, {})[row.intervention_id] = (row.decision, row.reason)  # latest wins
        return [(row.municipality, row.rules_version, row.shown, decided.get(row.advice_id, {})) for row in logged]
