"""A store a municipality can trust (issue 17), on SQLite and on PostgreSQL: nothing stored that
the engine refuses, pseudonyms only, a resumable import, a bounded close date, and audited refusals."""
from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from engine.api import Engine
from engine.errors import InputError
from engine.store import LOCAL, Forbidden, NotFound, Store, Unauthorised
from engine.store import privacy
from engine.store.advise import advise
from store_cases import FOLLOW_UP, LOG_ENTRY, case_doc, team_store
from store_db import db_url, pg_server  # noqa: F401  (fixtures)

ENGINE = Engine.load()


@pytest.fixture
def store(db_url):  # noqa: F811
    s = Store(db_url, shared=False, engine=ENGINE)
    yield s
    s.close()


def _with(**changes) -> dict:
    doc = case_doc("bad")
    for key, value in changes.items():
        doc[key] = value
    return doc


def _second(date_: str) -> list[dict]:
    return [case_doc()["assessments"][0], {**FOLLOW_UP, "date": date_}]


# What the engine refuses, each kind once (item 17.4): stored, they made `case next` fail for good.
REFUSED_DOCUMENTS = {
    "unknown municipality": (_with(municipality="amsterdam"), "municipality"),
    "assessments out of order": (_with(assessments=list(reversed(_second("2026-07-01")))), "assessments[1].date"),
    "two assessments on one date": (_with(assessments=_second("2026-01-05")), "assessments[1].date"),
    "ended before started": (_with(interventions_log=[{**LOG_ENTRY, "status": "completed", "ended": "2026-01-20"}]),
                             "interventions_log[0].ended"),
    "running with an end date": (_with(interventions_log=[{**LOG_ENTRY, "ended": "2026-03-01"}]),
                                 "interventions_log[0].ended"),
    "unknown intervention in the log": (_with(interventions_log=[{**LOG_ENTRY, "id": "yoga_retreat"}]),
                                        "interventions_log[0].id"),
    "goal on an unassessed domain": (_with(goals=[{"id": "g1", "domain": "housing", "set_on": "2026-01-05"}]),
                                     "goals[0].domain"),
    "as_of before the dates": (_with(as_of="2025-12-31"), "assessments[0].date"),
    "unknown current intervention": (_with(assessments=[{**case_doc()["assessments"][0],
                                                         "current_interventions": ["yoga_retreat"]}]),
                                     "assessments[0].current_interventions[0]"),
    "goal reviewed before it was set": (_with(goals=[{"id": "g1", "domain": "finances", "set_on": "2026-01-05",
                                                      "review_on": "2026-01-01"}]), "goals[0].review_on"),
    "consent to an organisation not on the social map": (
        _with(assessments=[{**case_doc()["assessments"][0], "consent_to_share_with": ["huisarts_jansen"]}]),
        "assessments[0].consent_to_share_with[0]"),
}

REFUSED_ENTRIES = {
    "log entry of an unknown intervention": {**LOG_ENTRY, "id": "yoga_retreat"},
    "log entry ended before it started": {**LOG_ENTRY, "status": "completed", "ended": "2026-01-20"},
    "running log entry with an end": {**LOG_ENTRY, "ended": "2026-03-01"},
    "goal on an unassessed domain": {"id": "g2", "domain": "housing", "set_on": "2026-01-05"},
    "goal reviewed before it was set": {"id": "g3", "domain": "finances", "set_on": "2026-03-05",
                                        "review_on": "2026-03-01"},
    "assessment naming an unknown intervention": {**FOLLOW_UP, "current_interventions": ["yoga_retreat"]},
    "assessment consenting to an organisation not on the social map": {
        **FOLLOW_UP, "consent_to_share_with": ["not_on_any_map"]},
}


@pytest.mark.parametrize("name", REFUSED_DOCUMENTS)
def test_the_store_refuses_a_case_the_engine_refuses_with_the_engines_message(store, name):
    doc, field = REFUSED_DOCUMENTS[name]
    with pytest.raises(InputError) as engine_says:
        ENGINE.recommend(doc)
    with pytest.raises(InputError) as store_says:
        store.import_case(LOCAL, doc)
    assert field in store_says.value.fields
    assert store_says.value.problems == engine_says.value.problems  # the engine's own words
    assert store.list_cases(LOCAL) == []


def test_the_store_refuses_an_entry_that_makes_the_case_one_the_engine_refuses(store):
    store.import_case(LOCAL, case_doc())
    for name, entry in REFUSED_ENTRIES.items():
        with pytest.raises(InputError):
            store.add(LOCAL, "c-1", entry)
        case = store.get(LOCAL, "c-1")
        assert (len(case.assessments), case.interventions_log, case.goals) == (1, [], []), name
        assert advise(case, ENGINE, today=date(2026, 12, 1)).case_id == "c-1"  # `case next` still works


def test_as_of_is_the_day_a_file_was_written_not_a_ceiling_for_later_visits(store):
    store.import_case(LOCAL, case_doc(as_of="2026-01-10"))
    store.add(LOCAL, "c-1", FOLLOW_UP)  # half a year after the file's as_of: accepted
    case = store.get(LOCAL, "c-1")
    assert case.as_of is None and len(case.assessments) == 2
    assert advise(case, ENGINE, today=date(2026, 12, 1)).progress.ladder.to == 3


@pytest.mark.parametrize("case_id", ["111.222.333", "111-222-333", "c-111.222.333", "06-12345678", "0612345678",
                                     "0031612345678"])
def test_case_ids_refuse_a_bsn_or_phone_number_in_any_punctuation(store, case_id):
    with pytest.raises(InputError) as exc:
        store.import_case(LOCAL, case_doc(case_id))
    assert exc.value.fields == ["case_id"] and case_id not in str(exc.value)  # the value is not repeated


@pytest.mark.parametrize("text", ["jan@example.nl", "jan(at)example.nl", "jan [at] example.nl", "jan＠example.nl",
                                  "06 123 456 78", "+31 6 1234 5678", "111.222.333"])
def test_organisation_names_refuse_contact_details_in_any_form(store, text):
    doc = case_doc()
    doc["assessments"][0]["existing_support"] = [{"kind": "fact_team", "organisation": f"GGZ {text}"}]
    with pytest.raises(InputError) as exc:
        store.import_case(LOCAL, doc)
    assert exc.value.fields == ["assessments.0.existing_support.0.organisation"]


def test_goal_ids_and_consent_hold_pseudonyms_and_social_map_ids_only(store):
    doc = case_doc(goals=[{"id": "111-222-333", "domain": "finances", "set_on": "2026-01-05"}])
    with pytest.raises(InputError) as exc:
        store.import_case(LOCAL, doc)
    assert "goals.0.id" in exc.value.fields
    for org in ("jan@example.nl", "piet", "111222333"):
        doc = case_doc()
        doc["assessments"][0]["consent_to_share_with"] = [org]
        with pytest.raises(InputError) as exc:
            store.import_case(LOCAL, doc)
        assert "assessments[0].consent_to_share_with[0]" in exc.value.fields, org
    doc = case_doc()
    doc["assessments"][0]["consent_to_share_with"] = ["schuldhulp_leiden"]  # on the social map: kept
    assert store.import_case(LOCAL, doc) == "c-1"


def test_near_misses_stay_usable_pseudonyms():
    for text in ("123456789", "c-2026-01-05", "bulk-00001", "k-17", "GGZ Oost Brabant", "team 24-7"):
        privacy.check_pseudonym(text, "id")


def test_an_import_without_ids_stores_each_case_once_when_run_again(store):
    docs = []
    for i in range(30):
        doc = case_doc(rung=1 + i % 6)
        del doc["case_id"]
        doc["assessments"][0]["conversations_held"] = i
        docs.append((f"l{i}", doc))
    first = store.import_many(LOCAL, docs[:12])  # killed after 12
    again = store.import_many(LOCAL, docs)  # the rerun
    assert (first.stored, again.stored, again.unchanged) == (12, 18, 12)
    assert sorted(again.ids) == sorted(s.case_id for s in store.list_cases(LOCAL))
    assert all(not any(ch.isdigit() for ch in case_id[2:]) for case_id in again.ids)  # nothing BSN-like
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 30
        assert conn.execute(sa.text("SELECT count(*) FROM cases WHERE content_hash IS NULL")).scalar() == 0


def test_a_resumed_import_reads_no_stored_document(store, monkeypatch):
    items = [(f"l{i}", case_doc(f"r-{i}")) for i in range(5)]
    store.import_many(LOCAL, items)
    from engine.store import crypto

    def no_opening(*args):
        raise AssertionError("a resumed import compares hashes; it must not decrypt stored cases")

    monkeypatch.setattr(crypto, "unseal", no_opening)
    assert store.import_many(LOCAL, items).unchanged == 5


def test_close_takes_a_date_from_the_first_assessment_to_today(store):
    store.import_case(LOCAL, case_doc())
    for day in (date(2026, 1, 4), date(2027, 1, 2)):
        with pytest.raises(InputError) as exc:
            store.close_case(LOCAL, "c-1", day, today=date(2027, 1, 1))
        assert exc.value.fields == ["on"]
    store.close_case(LOCAL, "c-1", date(2026, 1, 5), today=date(2027, 1, 1))  # the first day and today hold
    store.close_case(LOCAL, "c-1", date(2027, 1, 1), today=date(2027, 1, 1))
    assert store.summary(LOCAL, "c-1").closed_on == date(2027, 1, 1)


def test_purge_with_a_retention_past_the_calendar_erases_nothing(store):
    store.import_case(LOCAL, case_doc())
    store.close_case(LOCAL, "c-1", date(2026, 2, 1))
    assert store.purge(LOCAL, 99999999999, date(2026, 12, 1)) == []
    assert store.purge(LOCAL, 365, date(1, 1, 5)) == []


# ---------------------------------------------------------------- shared stores: roles, refusals, audit


@pytest.fixture
def shared(db_url):  # noqa: F811
    store, tokens = team_store(db_url, engine=ENGINE)
    yield store, tokens, db_url
    store.close()


def test_a_store_created_shared_stays_shared_whatever_the_switch(shared, monkeypatch):
    store, tokens, url = shared
    monkeypatch.setenv("WEGWIJZER_SHARED", "0")
    for again in (Store(url, engine=ENGINE), Store(url, shared=False, engine=ENGINE)):
        assert again.shared
        with pytest.raises(Unauthorised):
            again.actor(None)
        with pytest.raises(NotFound):
            again.get(again.actor(tokens["bram"]), "anna-1")
        again.close()
    assert store.setting("shared") == "1"
    with pytest.raises(InputError):
        store.set_setting(store.actor(tokens["admin"]), "shared", "0")


def test_a_new_postgresql_store_is_shared_even_with_the_switch_off(db_url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WEGWIJZER_SHARED", "0")
    store = Store(db_url, engine=ENGINE)
    assert store.shared is (not db_url.startswith("sqlite"))  # a SQLite file is single-user unless asked
    store.close()


def test_another_coachs_id_answers_as_any_id_you_cannot_see_and_is_audited(shared):
    store, tokens, _ = shared
    bram = store.actor(tokens["bram"])
    for doc in (case_doc("anna-1"), case_doc("anna-1", rung=5)):  # the same content or another: one answer
        with pytest.raises(NotFound) as exc:
            store.import_case(bram, doc)
        assert "other content" not in str(exc.value)
    with pytest.raises(NotFound):
        store.get(bram, "anna-1")
    refusals = [(r["actor"], r["action"], r["case_id"], r["detail"]) for r in store.audit_trail("anna-1")
                if r["actor"] == "bram"]
    masked = privacy.masked_id("anna-1")
    assert refusals == [("bram", "import_refused", masked, "404"), ("bram", "import_refused", masked, "404"),
                        ("bram", "read_refused", masked, "404")]
    assert store.get(store.actor(tokens["anna"]), "anna-1").assessments[0].ladder_rung == 2


def test_every_refusal_is_audited_with_who_what_and_a_safe_id(shared):
    store, tokens, _ = shared
    anna, lead = store.actor(tokens["anna"]), store.actor(tokens["lead"])
    for call, error in ((lambda: store.actor("anna.wrong"), Unauthorised), (lambda: store.actor(None), Unauthorised),
                        (lambda: store.get(lead, "anna-1"), Forbidden),
                        (lambda: store.purge(anna, 1, date(2026, 12, 1)), Forbidden),
                        (lambda: store.add_user(anna, "eve", "admin"), Forbidden),
                        (lambda: store.import_case(anna, case_doc("anna-1", rung=5)), Exception),
                        (lambda: store.get(anna, "x" * 65), NotFound),
                        (lambda: store.get(anna, "a\x1b[2J\nb"), NotFound)):
        with pytest.raises(error):
            call()
    rows = [(r["actor"], r["action"], r["case_id"], r["detail"]) for r in store.audit_trail()
            if r["action"].endswith("_refused")]
    assert rows == [("anna", "auth_refused", None, "401"), ("(no token)", "auth_refused", None, "401"),
                    ("lotte", "read_refused", privacy.masked_id("anna-1"), "403"),
                    ("anna", "purge_refused", None, "403"), ("anna", "user_add_refused", None, "403"),
                    ("anna", "import_refused", privacy.masked_id("anna-1"), "409"),
                    ("anna", "read_refused", privacy.masked_id("x" * 65), "404"),
                    ("anna", "read_refused", privacy.masked_id("a\x1b[2J\nb"), "404")]
    assert all(r["case_id"] is None or len(r["case_id"]) <= 64 for r in store.audit_trail())


def test_user_add_audits_which_user_and_role(shared):
    store, _, _ = shared
    added = [r["detail"] for r in store.audit_trail() if r["action"] == "user_add"]
    assert added == ["user=beheer role=admin", "user=anna role=coach team=noord", "user=bram role=coach team=noord",
                     "user=lotte role=team_lead team=noord"]


def test_a_wrong_user_name_costs_the_same_hash_as_a_wrong_secret(shared, monkeypatch):
    store, tokens, _ = shared
    checked: list[str] = []
    real = privacy.verify_token

    def counting(token: str, stored: str) -> bool:
        checked.append(stored)
        return real(token, stored)

    monkeypatch.setattr(privacy, "verify_token", counting)
    secret = tokens["anna"].split(".", 1)[1]
    for token in ("anna.wrong", "nobody." + secret, "no-dot-at-all", "x" * 100 + ".y"):
        with pytest.raises(Unauthorised):
            store.actor(token)
    assert len(checked) == 4  # one scrypt check for each: a known name and an unknown one alike
    assert checked[1:] == [privacy.dummy_hash()] * 3 and checked[0] != privacy.dummy_hash()


def test_only_an_admin_sets_the_threshold_policy(shared):
    store, tokens, _ = shared
    with pytest.raises(Forbidden):
        store.set_setting(store.actor(tokens["lead"]), "monitor.min_group", "1")
    store.set_setting(store.actor(tokens["admin"]), "monitor.min_group", "15")
    assert store.setting("monitor.min_group") == "15"
    rows = [(r["actor"], r["action"], r["detail"]) for r in store.audit_trail() if "setting" in r["action"]]
    assert rows == [("lotte", "setting_refused", "403"), ("beheer", "setting:monitor.min_group", "monitor.min_group=15")]


def test_the_document_is_sealed_and_other_columns_hold_no_content(store):
    doc = case_doc()
    doc["assessments"][0]["existing_support"] = [{"kind": "fact_team", "organisation": "Kanarie Zorg"}]
    store.import_case(LOCAL, doc)
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM cases")).mappings().one()
    held = json.dumps({k: v for k, v in row.items() if k != "sealed"}, default=str)
    assert "Kanarie" not in held and "Kanarie".encode() not in bytes(row["sealed"])
    assert "finances" not in held and b"finances" not in bytes(row["sealed"])


# ---------------------------------------------------------------- forget really forgets (crypto-shredding)

CANARY = "KanarieVogelZorgXq"  # an organisation's name: the one free text a case holds


def _database_files(store: Store) -> list[str]:
    """Every file that holds this database's bytes: the SQLite file with its -wal/-journal, or
    the PostgreSQL database's folder, pg_wal and global (after a CHECKPOINT)."""
    import glob
    import os

    if store.engine.dialect.name == "sqlite":
        path = store.engine.url.database
        return [p for p in glob.glob(path + "*") if os.path.isfile(p)]
    with store.engine.connect() as conn:
        conn.execute(sa.text("CHECKPOINT"))
        data = conn.execute(sa.text("SHOW data_directory")).scalar()
        oid = conn.execute(sa.text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar()
    if not os.access(data, os.R_OK):
        pytest.fail(f"the test needs to read PostgreSQL's data directory {data} (run as root or its owner)",
                    pytrace=False)
    return [os.path.join(root, name) for folder in (f"base/{oid}", "pg_wal", "global")
            for root, _, names in os.walk(os.path.join(data, folder)) for name in names]


def _files_holding(files: list[str], needle: bytes) -> list[str]:
    found = []
    for path in files:
        try:
            with open(path, "rb") as handle:
                if needle in handle.read():
                    found.append(path)
        except OSError:  # a WAL segment recycled while we looked
            continue
    return found


def test_forget_leaves_no_readable_trace_in_the_database_files(store):
    doc = case_doc("kanarie-1")
    doc["assessments"][0]["existing_support"] = [{"kind": "fact_team", "organisation": CANARY}]
    store.import_case(LOCAL, doc)
    store.add(LOCAL, "kanarie-1", FOLLOW_UP)  # an update writes a new sealed version (old pages, WAL)
    assert store.get(LOCAL, "kanarie-1").assessments[0].existing_support[0].organisation == CANARY
    with store.engine.connect() as conn:
        key = bytes(conn.execute(sa.text("SELECT key FROM case_keys WHERE case_id = 'kanarie-1'")).scalar())
    store.forget(LOCAL, "kanarie-1")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM case_keys")).scalar() == 0
    files = _database_files(store)
    assert _files_holding(files, b"kanarie-1"), "the scan must see what is there: the audit keeps the case id"
    assert _files_holding(files, CANARY.encode()) == []  # never written in plain text, not before forget either
    assert _files_holding(files, b"self_reliance") == []
    if store.engine.dialect.name == "sqlite":  # secure_delete: the key's bytes are overwritten in the file
        assert _files_holding(files, key) == []
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA secure_delete")).scalar() == 1


def test_http_and_cli_writes_are_refused_as_the_engine_refuses(db_url, tmp_path):  # noqa: F811
    import os
    import subprocess
    import sys

    from fastapi.testclient import TestClient

    from engine.web.app import create_app

    app = create_app()
    app.state.case_store = Store(db_url, shared=False, engine=ENGINE)
    client = TestClient(app)
    bad, field = REFUSED_DOCUMENTS["unknown municipality"]
    response = client.post("/v1/cases", json=bad)
    assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]]
    assert client.post("/v1/cases", json=case_doc("h-1")).status_code == 201
    response = client.post("/v1/cases/h-1/entries", json=REFUSED_ENTRIES["log entry of an unknown intervention"])
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["interventions_log[0].id"]
    assert client.post("/v1/cases/h-1/close?on=2025-01-01").status_code == 422  # before the first assessment
    assert client.get("/v1/cases/h-1/next").status_code == 200
    app.state.case_store.close()

    def cli(*argv: str, stdin: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "engine.cli", "case", *argv, "--db", db_url], input=stdin,
                              capture_output=True, text=True, env={**os.environ, "WEGWIJZER_SHARED": "0"}, timeout=180)

    out = cli("import", "-", stdin=json.dumps(REFUSED_DOCUMENTS["ended before started"][0]))
    assert out.returncode == 1 and "interventions_log[0].ended" in out.stderr and "Traceback" not in out.stderr
    out = cli("add", "h-1", "-", stdin=json.dumps(REFUSED_ENTRIES["goal on an unassessed domain"]))
    assert out.returncode == 2 and "goals[0].domain" in out.stderr and "Traceback" not in out.stderr
