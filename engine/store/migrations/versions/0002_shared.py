"""Shared mode: users with roles and hashed tokens; each case's owner and team; closing date.

Cases stored before this revision were kept by the single local user, so they get the owner
'local' (a data migration: tests/test_store_migrations.py upgrades a database with cases in it).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("team", sa.String(64), nullable=True))
        batch.add_column(sa.Column("closed_on", sa.Date, nullable=True))
        batch.create_index("ix_cases_owner", ["owner"])
        batch.create_index("ix_cases_team", ["team"])
    op.execute(sa.text("UPDATE cases SET owner = 'local' WHERE owner IS NULL"))
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("token_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("users")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_team")
        batch.drop_index("ix_cases_owner")
        batch.drop_column("closed_on")
        batch.drop_column("team")
        batch.drop_column("owner")
