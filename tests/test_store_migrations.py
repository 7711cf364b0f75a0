"""Migrations: an older store WITH DATA upgrades to head with its data intact (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.store import LOCAL, Store
from engine.store.migrate import current, head, upgrade
from engine.store.schema import metadata
from store_cases import FOLLOW_UP, case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)


def test_upgrade_from_the_first_revision_keeps_the_cases(db_url):  # noqa: F811
    engine = sa.create_engine(db_url)
    upgrade(engine, "0001")
    assert current(engine) == "0001"
    now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    rows = [{"case_id": f"old-{i}", "municipality": "helmond", "document": json.dumps(case_doc(f"old-{i}", "helmond")),
             "version": 3, "created_at": now, "updated_at": now} for i in range(5)]
    with engine.begin() as conn:  # written the way revision 0001's code wrote them: plain SQL, no ORM of today
        conn.execute(sa.text("INSERT INTO cases (case_id, municipality, document, version, created_at, updated_at) "
                             "VALUES (:case_id, :municipality, :document, :version, :created_at, :updated_at)"), rows)
        conn.execute(sa.text("INSERT INTO audit (at, actor, action, case_id) VALUES (:at, 'local', 'import', 'old-0')"),
                     {"at": now})
    engine.dispose()

    store = Store(db_url)  # opening upgrades to head
    assert current(store.engine) == head() == "0005"
    assert sorted(s.case_id for s in store.list_cases(LOCAL)) == [f"old-{i}" for i in range(5)]
    assert store.export(LOCAL, "old-3")["assessments"][0]["igm"] == {"attitude": 4, "behaviour": 3}
    summary = store.summary(LOCAL, "old-0")
    assert (summary.owner, summary.team, summary.closed_on) == ("local", None, None)  # the data migration
    store.add(LOCAL, "old-0", FOLLOW_UP)  # and the upgraded rows take new writes
    assert len(store.get(LOCAL, "old-0").assessments) == 2
    assert [r["action"] for r in store.audit_trail("old-0")][:1] == ["import"]
    token = store.add_user(None, "beheer", "admin")  # the new table works
    assert token.startswith("beheer.")
    store.close()


def test_the_migrations_build_what_schema_py_describes(db_url):  # noqa: F811
    engine = sa.create_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")] == []


def test_a_store_with_users_before_revision_0003_is_recorded_shared(db_url):  # noqa: F811
    engine = sa.create_engine(db_url)
    upgrade(engine, "0002")
    with engine.begin() as conn:  # a shared store of revision 0002: users, and a case in plain JSON
        conn.execute(sa.text("INSERT INTO users (name, role, team, token_hash, created_at) "
                             "VALUES ('beheer', 'admin', NULL, 'scrypt$x', :at)"), {"at": datetime.now(timezone.utc)})
        conn.execute(sa.text("INSERT INTO cases (case_id, municipality, document, version, created_at, updated_at, "
                             "owner) VALUES ('old-1', 'leiden', :doc, 1, :at, :at, 'anna')"),
                     {"doc": json.dumps(case_doc("old-1")), "at": datetime.now(timezone.utc)})
    engine.dispose()
    store = Store(db_url, shared=False)  # neither the argument nor the variable turns it single-user
    assert store.shared and store.setting("shared") == "1"
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT sealed, content_hash FROM cases")).one()
    assert b"leiden" not in bytes(row.sealed) and len(row.content_hash) == 64  # sealed by the migration
    store.close()
