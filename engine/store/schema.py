"""The store's tables as SQLAlchemy Core metadata, used by the repository to build queries.

The tables themselves are created and changed only by the Alembic migrations in
`migrations/versions/`; this module describes the head revision. Kept in step by
tests/test_store_migrations.py (the migrated schema must match this metadata).

Privacy by construction: a case is one validated Case document (no free-text fields, see
README) plus who holds it; the audit trail names who, when, what action and which case id,
never content.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

cases = sa.Table(
    "cases", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("municipality", sa.String(16), nullable=False, index=True),
    sa.Column("document", sa.JSON, nullable=False),  # the Case, validated by engine.model.Case
    sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency: bumped on every write
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # revision 0002: who holds the case, and when it was closed (retention counts from then)
    sa.Column("owner", sa.String(64), nullable=True, index=True),
    sa.Column("team", sa.String(64), nullable=True, index=True),
    sa.Column("closed_on", sa.Date, nullable=True),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("case_id", sa.String(64), nullable=True, index=True),
)

users = sa.Table(
    "users", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("token_hash", sa.String(255), nullable=False),  # scrypt; the token itself is never stored
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=True),  # revision 0004: scrypt, for the browser
)

# revision 0004: the browser's sessions (only a hash of the id), failed sign-ins, the caseload index
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # SHA-256 of the session id; the id is never stored
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
)

sign_in_failures = sa.Table(
    "sign_in_failures", metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # "user:NAME" or "address:IP"
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)

caseload = sa.Table(
    "caseload", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),  # the case's version this row was computed from
    sa.Column("owner", sa.String(64), nullable=True, index=True),
    sa.Column("last_visit", sa.Date, nullable=False),
    sa.Column("ladder_rung", sa.Integer, nullable=True),
    sa.Column("next_due", sa.Date, nullable=True),  # the earliest due date: the list's order
    sa.Column("due", sa.JSON, nullable=False),  # [{"id": ..., "due_on": "YYYY-MM-DD"}], the engine's due items
)

# revision 0005: the decision log. One row per advice shown: its receipt (engine.model.Receipt:
# versions, input hash, fired rule ids), the coach's pseudonymous name, the case's masked id
# (`case_ref`, random per case) and the suggestions shown (id, rule, phase); never what the case
# holds. `case_id` only links the rows to their case, so they are erased with it.
advice_log = sa.Table(
    "advice_log", metadata,
    sa.Column("advice_id", sa.String(32), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("case_id", sa.String(64), nullable=False, index=True),
    sa.Column("case_ref", sa.String(32), nullable=False),
    sa.Column("municipality", sa.String(64), nullable=False),
    sa.Column("rules_version", sa.String(64), nullable=False),
    sa.Column("receipt", sa.JSON, nullable=False),
    sa.Column("shown", sa.JSON, nullable=False),
)

# The coach's answer to one suggestion of a logged advice. `comment` is the only free text in
# the store: kept with the case, erased with it, never in what trainers see.
decisions = sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("advice_id", sa.String(32), nullable=False, index=True),
    sa.Column("case_id", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("intervention_id", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),  # accepted | not_now | other
    sa.Column("reason", sa.String(64), nullable=True),  # an id from override_reasons.yaml
    sa.Column("comment", sa.Text, nullable=True),
)

# The rule files of every rules version the store advised with, keyed by that version (their
# content hash), so that a past advice can be replayed after the rules changed.
rule_snapshots = sa.Table(
    "rule_snapshots", metadata,
    sa.Column("rules_version", sa.String(64), primary_key=True),
    sa.Column("files", sa.JSON, nullable=False),  # file name -> text
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
