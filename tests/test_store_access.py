"""Who may see what in a shared store: personal tokens, roles, and an audit of every attempt.

Every test runs on SQLite (in shared mode) and on PostgreSQL (shared by default); a coach
cannot read another coach's case by id, list, report or export, through the API, the CLI
and HTTP.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.store import Forbidden, NotFound, Unauthorised
from store_cases import CONTACT, case_doc, team_store
from store_db import db_url, pg_server  # noqa: F401  (fixtures)


@pytest.fixture
def shared(db_url):  # noqa: F811
    store, tokens = team_store(db_url)
    yield store, tokens, db_url
    store.close()


def test_a_coach_sees_only_own_cases(shared):
    store, tokens, _ = shared
    anna, bram = store.actor(tokens["anna"]), store.actor(tokens["bram"])
    assert store.get(anna, "anna-1").case_id == "anna-1"
    assert [s.case_id for s in store.list_cases(bram)] == []
    for call in (lambda: store.get(bram, "anna-1"), lambda: store.export(bram, "anna-1"),
                 lambda: store.get(bram, "anna-1", "report"), lambda: store.add(bram, "anna-1", CONTACT),
                 lambda: store.forget(bram, "anna-1")):
        with pytest.raises(NotFound):  # the same answer as for a case that does not exist
            call()
    assert len(store.get(anna, "anna-1").contacts) == 0
    refused = [(r["actor"], r["action"]) for r in store.audit_trail("anna-1") if r["actor"] == "bram"]
    assert refused == [("bram", "read_refused"), ("bram", "export_refused"), ("bram", "report_refused"),
                       ("bram", "add_contact_refused"), ("bram", "forget_refused")]


def test_a_team_lead_gets_the_aggregate_and_no_single_case(shared):
    store, tokens, _ = shared
    lead = store.actor(tokens["lead"])
    with pytest.raises(Forbidden):
        store.get(lead, "anna-1")
    with pytest.raises(Forbidden):
        store.list_cases(lead)
    assert [case.case_id for case, _ in store.monitor_cases(lead)] == ["anna-1"]
    with pytest.raises(Forbidden):
        list(store.monitor_cases(store.actor(tokens["anna"])))


def test_admin_manages_users_and_reads_no_case(shared):
    store, tokens, _ = shared
    admin, anna = store.actor(tokens["admin"]), store.actor(tokens["anna"])
    with pytest.raises(Forbidden):
        store.get(admin, "anna-1")
    with pytest.raises(Forbidden):
        store.add_user(anna, "eve", "admin")  # the bootstrap is over: a coach adds nobody
    assert {u["name"] for u in store.list_users(admin)} == {"beheer", "anna", "bram", "lotte"}
    with pytest.raises(Forbidden):
        store.list_users(anna)


def test_tokens_are_stored_only_as_a_hash_and_checked(shared):
    store, tokens, _ = shared
    with store.engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(sa.text("SELECT token_hash FROM users"))]
    assert all(h.startswith("scrypt$") for h in stored)
    assert not any(token.split(".")[1] in h for token in tokens.values() for h in stored)
    for bad in (None, "", "anna.wrong", tokens["anna"] + "x", "nobody." + tokens["anna"].split(".")[1]):
        with pytest.raises(Unauthorised):
            store.actor(bad)


def _cli(db: str, token: str, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WEGWIJZER_USER_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "engine.cli", "case", *argv, "--db", db, "--shared"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_the_cli_refuses_another_coachs_case(shared):
    store, tokens, url = shared
    for action in ("show", "export", "report", "next"):
        out = _cli(url, tokens["bram"], action, "anna-1")
        assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr, (action, out.stderr)
        assert "anna-1" not in out.stdout
    assert _cli(url, tokens["bram"], "list").stdout == ""
    out = _cli(url, tokens["anna"], "export", "anna-1")
    assert out.returncode == 0 and '"case_id": "anna-1"' in out.stdout
    out = _cli(url, "", "list")
    assert out.returncode == 2 and "personal token" in out.stderr


def test_http_refuses_another_coachs_case(shared):
    from engine.web.app import create_app

    store, tokens, _ = shared
    app = create_app()
    app.state.case_store = store
    client = TestClient(app)

    def as_(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    assert client.get("/v1/cases").status_code == 401
    assert client.get("/v1/cases", headers=as_("bram")).json() == []
    for path in ("/v1/cases/anna-1", "/v1/cases/anna-1/export", "/v1/cases/anna-1/report", "/v1/cases/anna-1/next"):
        response = client.get(path, headers=as_("bram"))
        assert response.status_code == 404 and "anna-1" not in response.text.replace("'anna-1' not found", ""), path
    assert client.delete("/v1/cases/anna-1", headers=as_("bram")).status_code == 404
    assert client.get("/v1/cases/anna-1", headers=as_("lead")).status_code == 403
    assert client.get("/v1/cases/anna-1/export", headers=as_("anna")).json()["case_id"] == "anna-1"
    assert [c["case_id"] for c in client.get("/v1/cases", headers=as_("anna")).json()] == ["anna-1"]


def test_only_an_admin_sets_the_stores_policy_and_it_is_audited(shared):
    store, tokens, _ = shared
    admin, lead = store.actor(tokens["admin"]), store.actor(tokens["lead"])
    assert store.setting("monitor.min_group") is None
    with pytest.raises(Forbidden):
        store.set_setting(lead, "monitor.min_group", "2")  # a team lead cannot lower the threshold
    assert store.setting("monitor.min_group") is None
    store.set_setting(admin, "monitor.min_group", "10")
    store.set_setting(admin, "monitor.min_group", "12")  # a second write replaces the first
    assert store.setting("monitor.min_group") == "12"
    trail = [(r["actor"], r["action"]) for r in store.audit_trail() if r["action"].startswith("setting")]
    assert trail == [("lotte", "setting_refused"), ("beheer", "setting:monitor.min_group"),
                     ("beheer", "setting:monitor.min_group")]


def test_a_shared_sqlite_file_opened_without_shared_still_wants_a_token(shared):
    store, tokens, url = shared
    env = {**os.environ, "WEGWIJZER_USER_TOKEN": "", "WEGWIJZER_SHARED": "0"}
    out = subprocess.run([sys.executable, "-m", "engine.cli", "case", "list", "--db", url], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 2 and "personal token" in out.stderr and "anna-1" not in out.stdout


def test_posting_another_coachs_id_is_a_404_like_any_unseen_case(shared):
    from engine.web.app import create_app

    store, tokens, _ = shared
    app = create_app()
    app.state.case_store = store
    client = TestClient(app)
    bram = {"Authorization": f"Bearer {tokens['bram']}"}
    posted = client.post("/v1/cases", json=case_doc("anna-1", rung=5), headers=bram)
    read = client.get("/v1/cases/anna-1", headers=bram)
    assert posted.status_code == read.status_code == 404
    assert posted.json()["type"] == read.json()["type"] and "other content" not in posted.text
    assert client.get("/v1/cases", headers={"Authorization": "Bearer bram.wrong"}).status_code == 401
    actions = [(r["actor"], r["action"], r["detail"]) for r in store.audit_trail() if r["action"].endswith("refused")]
    assert actions[-3:] == [("bram", "import_refused", "404"), ("bram", "read_refused", "404"),
                            ("bram", "auth_refused", "401")]
