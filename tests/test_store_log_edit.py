"""Correcting a wrong intervention log entry in the store (edit, delete), on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.store import LOCAL, NotFound, Store
from store_cases import LOG_ENTRY, case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)


@pytest.fixture
def store(db_url):  # noqa: F811
    s = Store(db_url)
    yield s
    s.close()


def _log(store: Store) -> list[tuple[str, str, str]]:
    return [(e.id, e.started.isoformat(), e.status) for e in store.get(LOCAL, "c-1").interventions_log]


def test_a_wrong_log_entry_is_edited_then_deleted_and_audited(store):
    store.import_case(LOCAL, case_doc())
    store.add(LOCAL, "c-1", LOG_ENTRY)
    store.add(LOCAL, "c-1", {"id": "debt_counselling", "started": "2026-02-01", "status": "running"})
    key = (LOG_ENTRY["id"], LOG_ENTRY["started"])
    # the wrong start date and status are corrected: the entry moves, nothing else changes
    store.change_log_entry(LOCAL, "c-1", key, {**LOG_ENTRY, "started": "2026-01-20", "status": "declined"})
    assert _log(store) == [("neighbourhood_meeting_place", "2026-01-20", "declined"),
                           ("debt_counselling", "2026-02-01", "running")]
    store.change_log_entry(LOCAL, "c-1", ("neighbourhood_meeting_place", "2026-01-20"), None)
    assert _log(store) == [("debt_counselling", "2026-02-01", "running")]
    actions = [row["action"] for row in store.audit_trail("c-1") if row["action"] != "read"]
    assert actions[-2:] == ["edit_intervention", "delete_intervention"]


def test_editing_refuses_an_unknown_entry_and_a_bad_one(store):
    store.import_case(LOCAL, case_doc())
    store.add(LOCAL, "c-1", LOG_ENTRY)
    with pytest.raises(NotFound):
        store.change_log_entry(LOCAL, "c-1", ("debt_counselling", "2026-02-01"), None)
    with pytest.raises(InputError, match="status"):  # the model of a log entry
        store.change_log_entry(LOCAL, "c-1", (LOG_ENTRY["id"], LOG_ENTRY["started"]), {**LOG_ENTRY, "status": "gedaan"})
    assert len(store.get(LOCAL, "c-1").interventions_log) == 1  # nothing lost
