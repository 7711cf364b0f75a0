"""The store's own policy and keys: settings (shared mode, thresholds), a key per case
(crypto-shredding), a content hash per case (idempotent import).

- `store_settings`: small key/value policy the store holds itself, so no flag or variable of
  a caller overrides it (the shared mode recorded at creation; the monitor's threshold).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_settings")
