"""Alembic, shipped inside the package: `upgrade(engine)` brings a store to the head revision."""
from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from . import crypto

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_WAIT_S = 60  # how long to wait for another process that is creating the same store


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["crypto"] = crypto  # revision 0003 seals the documents stored before it
    return config


def head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()  # type: ignore[return-value]


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade to `revision` (default head); a no-op when the store is there already."""
    if revision == "head" and current(engine) == head():
        return
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), revision)
    except sa.exc.DBAPIError:
        # Two processes opening a new store at once: the other one is migrating it, and our
        # CREATE TABLE met its table. SQLite (pysqlite) runs DDL outside the transaction, so
        # the other's revision may not be written yet: wait for it rather than fail.
        if revision != "head":
            raise
        deadline = time.monotonic() + MIGRATION_WAIT_S
        while current(engine) != head():
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
