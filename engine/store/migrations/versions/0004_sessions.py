"""The coach's browser: a password per user, sessions, sign-in failures, and each case's caseload row.

- users.password_hash: scrypt, as the tokens (NULL: the user signs in with no password yet);
- sessions: only the SHA-256 of a session id (256 random bits) is stored, so a copy of the
  database signs no one in; kept here, not in a process, so app instances share them;
- sign_in_failures: failed sign-ins per user and per address, for the growing delay;
- caseload: per case what "Mijn deelnemers" lists (last visit, ladder rung, the due items
  with their dates), written by the engine through the store after each write, so that a
  page view runs no engine. `version` is the case's version it was computed from.

Revision ID: 0004
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sessions_user_name", "sessions", ["user_name"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "caseload",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("last_visit", sa.Date, nullable=False),
        sa.Column("ladder_rung", sa.Integer, nullable=True),
        sa.Column("next_due", sa.Date, nullable=True),
        sa.Column("due", sa.JSON, nullable=False),
    )
    op.create_index("ix_caseload_owner", "caseload", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_caseload_owner", "caseload")
    op.drop_table("caseload")
    op.drop_table("sign_in_failures")
    op.drop_index("ix_sessions_user_name", "sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_hash")
