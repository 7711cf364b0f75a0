"""The decision log: every advice shown (its receipt), the coach's decision per suggestion, and
the rule files of every rules version advised with (content-addressed, for replay).

Revision ID: 0005
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"  # chained after i18-auth's 0004 on this branch (the integrator re-chains)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advice_log",
        sa.Column("advice_id", sa.String(32), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("case_ref", sa.String(32), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("receipt", sa.JSON, nullable=False),
        sa.Column("shown", sa.JSON, nullable=False),
    )
    op.create_index("ix_advice_log_case_id", "advice_log", ["case_id"])
    op.create_index("ix_advice_log_at", "advice_log", ["at"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("advice_id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("intervention_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
    )
    op.create_index("ix_decisions_advice_id", "decisions", ["advice_id"])
    op.create_index("ix_decisions_case_id", "decisions", ["case_id"])
    op.create_table(
        "rule_snapshots",
        sa.Column("rules_version", sa.String(64), primary_key=True),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rule_snapshots")
    op.drop_table("decisions")
    op.drop_table("advice_log")
