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
