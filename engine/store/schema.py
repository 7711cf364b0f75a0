"""The store's tables as SQLAlchemy Core metadata, used by the repository to build queries.

The tables themselves are created and changed only by the Alembic migrations in
`migrations/versions/`; this module describes the head revision. Kept in step by
tests/test_store_migrations.py (the migrated schema must match this metadata).

Privacy by construction: a case is one validated Case document (no free-text fields, see
README), sealed with its own key, plus who holds it; the audit trail names who, when, what action and which case id,
never content.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

cases = sa.Table(
    "cases", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("municipality", sa.String(16), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency: bumped on every write
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # revision 0002: who holds the case, and when it was closed (retention counts from then)
    sa.Column("owner", sa.String(64), nullable=True, index=True),
    sa.Column("team", sa.String(64), nullable=True, index=True),
    sa.Column("closed_on", sa.Date, nullable=True),
    # revision 0003: the Case document (validated as the engine validates it), AES-GCM sealed with
    # the case's own key in case_keys; and its hash, so a resumed import need not open it
    sa.Column("sealed", sa.LargeBinary, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=True, index=True),
)

# revision 0003: one key per case; forget/purge delete it (crypto-shredding: every surviving copy of
# the sealed document, in old pages, WAL or a backup, is unreadable without it)
case_keys = sa.Table(
    "case_keys", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=False),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("case_id", sa.String(64), nullable=True, index=True),  # a refusal's: masked (privacy.masked_id)
    # revision 0003: what beyond the case id (the user and role added, the setting, a refusal's
    # status); never case content
    sa.Column("detail", sa.String(100), nullable=True),
)

users = sa.Table(
    "users", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("token_hash", sa.String(255), nullable=False),  # scrypt; the token itself is never stored
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# revision 0003: the store's own policy (shared mode, the monitor's threshold): no caller's flag
# or variable overrides what is recorded here; only an admin (or the local user) changes it.
store_settings = sa.Table(
    "store_settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)
