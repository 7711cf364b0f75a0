"""The store's own policy, a key per case (crypto-shredding), a content hash per case.

- `store_settings`: policy the store holds itself, so no caller's flag or variable overrides
  it: whether the store is shared (recorded once; a shared store stays shared), the monitor's
  threshold. A store that has users already was shared: it is recorded so here.
- `case_keys`: each case's own AES-GCM key. The document moves from `cases.document` (plain
  JSON) to `cases.sealed` (encrypted with that key); `forget` and `purge` delete the key, so
  whatever copy of the sealed bytes survives (old pages, WAL, a backup) cannot be read.
- `cases.content_hash`: the hash of the stored document, so an import that resumes compares
  hashes instead of decrypting every stored case; a case imported without an id gets one
  derived from it (a rerun finds the same id).
- `audit.detail`: what a row is about beyond the case id (which user and role were added, which
  setting, the refusal's status), never case content.

Revision ID: 0003
Revises: 0002
"""
import json

from alembic import context, op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the package's own crypto, handed over by migrate.py (a migration file cannot import the package relatively)
    crypto = context.config.attributes["crypto"]
    content_hash, new_key, seal = crypto.content_hash, crypto.new_key, crypto.seal

    op.create_table(
        "store_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_table(
        "case_keys",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.LargeBinary, nullable=False),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch.create_index("ix_cases_content_hash", ["content_hash"])
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("detail", sa.String(100), nullable=True))

    conn = op.get_bind()
    old = sa.table("cases", sa.column("case_id", sa.String), sa.column("document", sa.JSON),
                   sa.column("sealed", sa.LargeBinary), sa.column("content_hash", sa.String))
    keys = sa.table("case_keys", sa.column("case_id", sa.String), sa.column("key", sa.LargeBinary))
    for row in conn.execute(sa.select(old.c.case_id, old.c.document)).all():
        document = row.document if isinstance(row.document, dict) else json.loads(row.document)
        key = new_key()
        conn.execute(keys.insert().values(case_id=row.case_id, key=key))
        conn.execute(old.update().where(old.c.case_id == row.case_id).values(
            sealed=seal(key, row.case_id, document), content_hash=content_hash(document)))
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("sealed", existing_type=sa.LargeBinary, nullable=False)
        batch.drop_column("document")
    if conn.execute(sa.text("SELECT count(*) FROM users")).scalar():
        conn.execute(sa.text("INSERT INTO store_settings (key, value) VALUES ('shared', '1')"))


def downgrade() -> None:
    raise NotImplementedError("revision 0003 encrypts every case; going back would write them in plain text")
