"""The coach's caseload in the browser (issue 18, items 2, 3, 8 and the stored-case page), on
SQLite and PostgreSQL: Mijn deelnemers with what is due, a new participant from the intake,
the stored case's advice as of today, export and forget; another coach sees none of it."""
from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient

from engine.store import Actor
from store_cases import case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)
from web_signin import csrf_of, sign_in, store_with_users

ANNA = Actor("anna", "coach", "noord")
TODAY = date(2026, 12, 3)
INTAKE = {"municipality": "leiden", "case_id": "lei-nieuw-1", "age": "45", "ladder_rung": "2",
          "domains.finances.self_reliance": "2", "domains.finances.satisfaction": "2",
          "domains.social_network.self_reliance": "2", "circumstances.problematic_debt": "on",
          "wishes": "social_contact", "open_to_support": "on"}


@pytest.fixture
def app(db_url, monkeypatch):  # noqa: F811
    from engine.web import caseload
    from engine.web.app import create_app

    monkeypatch.setattr(caseload, "today", lambda: TODAY)
    app = create_app()
    app.state.case_store = store_with_users(db_url)
    yield app
    app.state.case_store.close()


def _coach(app, name: str = "anna") -> TestClient:
    client = TestClient(app)
    assert sign_in(client, name).status_code == 303
    return client


def test_a_new_participant_from_the_intake_becomes_a_stored_case(app):
    client = _coach(app)
    form = client.get("/")
    assert "Opslaan als nieuwe deelnemer" in form.text and 'formaction="/deelnemers/nieuw"' in form.text
    response = client.post("/deelnemers/nieuw", data={**INTAKE, "csrf_token": csrf_of(form.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/deelnemers/lei-nieuw-1?nieuw=1"
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "De deelnemer is opgeslagen" in page.text
    stored = app.state.case_store.get(ANNA, "lei-nieuw-1")
    assert stored.assessments[0].domains["finances"].self_reliance == 2
    assert app.state.case_store.summary(ANNA, "lei-nieuw-1").owner == "anna"
    # the advice shown is the stored case's: the same as the engine's for the stored case today
    from engine.store.advise import advise

    rec = advise(stored, app.state.engine, today=TODAY)
    assert rec.interventions and rec.interventions[0].label_nl in page.text
    twice = client.post("/deelnemers/nieuw", data={**INTAKE, "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert twice.headers["location"] == "/deelnemers/lei-nieuw-1?nieuw=1"  # a double click stores it once
    other = client.post("/deelnemers/nieuw", data={**INTAKE, "age": "46", "csrf_token": csrf_of(form.text)})
    assert other.status_code == 422 and "al in gebruik" in other.text  # nothing overwritten
    assert app.state.case_store.get(ANNA, "lei-nieuw-1").assessments[0].age == 45


def test_without_an_id_one_is_made_and_a_bad_intake_is_refused_in_dutch_keeping_what_was_typed(app):
    client = _coach(app)
    token = csrf_of(client.get("/").text)
    response = client.post("/deelnemers/nieuw", data={**INTAKE, "case_id": "", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/deelnemers/c-")
    bad = client.post("/deelnemers/nieuw", data={**INTAKE, "case_id": "x-2", "age": "drie", "csrf_token": token})
    assert bad.status_code == 422 and "Vul een heel getal in" in bad.text and 'value="x-2"' in bad.text
    assert len(app.state.case_store.list_cases(ANNA)) == 1


def test_mijn_deelnemers_lists_only_ones_own_with_whats_due_most_urgent_first(app):
    store = app.state.case_store
    # declined on 2026-11-10: the reapproach is due 30 days later, 2026-12-10 (this week from 2026-12-03)
    soon = case_doc("a-soon", interventions_log=[{"id": "neighbourhood_meeting_place", "started": "2026-11-10",
                                                  "status": "declined", "ended": "2026-11-10"}])
    # a goal set 2026-01-05 without a score: its review was due long ago
    late = case_doc("a-late", goals=[{"id": "g1", "domain": "finances", "set_on": "2026-01-05"}])
    quiet = case_doc("a-quiet", "tilburg")
    for doc in (soon, late, quiet):
        store.import_case(ANNA, doc)
    store.import_case(Actor("bram", "coach", "noord"), case_doc("b-own"))
    client = _coach(app)
    page = client.get("/deelnemers").text
    order = [page.index(f'href="/deelnemers/{cid}"') for cid in ("a-late", "a-soon", "a-quiet")]
    assert order == sorted(order) and "b-own" not in page
    assert "Doelen evalueren" in page and "Opnieuw benaderen: 10 december 2026" in page
    assert "Laatste bezoek" in page and "5 januari 2026" in page
    week = client.get("/deelnemers?filter=week").text
    assert "a-late" in week and "a-soon" in week and "a-quiet" not in week


def test_the_index_follows_a_write_made_elsewhere(app):
    store = app.state.case_store
    store.import_case(ANNA, case_doc("a-1"))
    client = _coach(app)
    assert "Doelen evalueren" not in client.get("/deelnemers").text
    store.add(ANNA, "a-1", {"id": "g1", "domain": "finances", "set_on": "2026-02-01"})  # e.g. by the CLI
    assert "Doelen evalueren" in client.get("/deelnemers").text


def test_the_stored_case_page_is_advised_as_of_today_or_a_pinned_date(app):
    store = app.state.case_store
    store.import_case(ANNA, case_doc("a-2", as_of="2026-01-05"))  # a file written on 2026-01-05
    store.add(ANNA, "a-2", {"date": "2026-11-20", "domains": {"finances": {"self_reliance": 3},
                                                             "social_network": {"self_reliance": 3}}})
    client = _coach(app)
    page = client.get("/deelnemers/a-2")
    assert page.status_code == 200 and "Advies op 3 december 2026 (vandaag)" in page.text
    pinned = client.get("/deelnemers/a-2?peildatum=2026-11-25")
    assert "Advies op 25 november 2026 (een datum die u koos" in pinned.text
    before = client.get("/deelnemers/a-2?peildatum=2026-11-01")
    assert before.status_code == 422 and "Advies op 3 december 2026 (vandaag)" in before.text


def test_another_coachs_case_is_not_found_like_a_missing_one(app):
    app.state.case_store.import_case(ANNA, case_doc("a-3"))
    bram = _coach(app, "bram")
    theirs, missing = bram.get("/deelnemers/a-3"), bram.get("/deelnemers/bestaat-niet")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace("a-3", "X") == missing.text.replace("bestaat-niet", "X")
    for path in ("/export.json", "/rapport", "/vergeten"):
        assert bram.get(f"/deelnemers/a-3{path}").status_code == 404
    token = csrf_of(bram.get("/deelnemers").text)
    assert bram.post("/deelnemers/a-3/vergeten", data={"csrf_token": token, "bevestig": "a-3"}).status_code == 404
    assert app.state.case_store.get(ANNA, "a-3").case_id == "a-3"
    lead = _coach(app, "tess")
    assert lead.get("/deelnemers/a-3").status_code == 403


def test_export_and_forget_are_the_participants_and_audited(app):
    store = app.state.case_store
    store.import_case(ANNA, case_doc("a-4"))
    client = _coach(app)
    exported = client.get("/deelnemers/a-4/export.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    body = json.loads(exported.text)
    assert body["case"]["case_id"] == "a-4" and body["stored"]["owner"] == "anna"
    assert "import" in [row["action"] for row in body["audit"]]
    report = client.get("/deelnemers/a-4/rapport")
    assert report.status_code == 200 and "Voortgangsrapportage" in report.text
    confirm = client.get("/deelnemers/a-4/vergeten")
    assert "Definitief wissen" in confirm.text
    token = csrf_of(confirm.text)
    wrong = client.post("/deelnemers/a-4/vergeten", data={"csrf_token": token, "bevestig": "a-5"})
    assert wrong.status_code == 422 and store.get(ANNA, "a-4")  # not yet
    done = client.post("/deelnemers/a-4/vergeten", data={"csrf_token": token, "bevestig": "a-4"},
                       follow_redirects=False)
    assert done.status_code == 303 and client.get("/deelnemers/a-4").status_code == 404
    assert "Deelnemer a-4 is gewist" in client.get(done.headers["location"]).text
    actions = [row["action"] for row in store.audit_trail("a-4")]
    assert {"export", "report", "forget"} <= set(actions)
    import sqlalchemy as sa

    with store.engine.connect() as conn:  # nothing of it is left in the caseload index
        assert conn.execute(sa.text("SELECT count(*) FROM caseload WHERE case_id = 'a-4'")).scalar() == 0


def test_the_team_lead_sees_the_monitor_of_the_team_and_no_case(app):
    store = app.state.case_store
    for i in range(20):  # whole batches: cases enter the monitor's counts ten at a time (issue 17.13)
        store.import_case(ANNA, case_doc(f"m-{i}"))
    lead = _coach(app, "tess")
    home = lead.get("/monitor/")
    assert home.status_code == 200 and "Monitor — team noord" in home.text and "20 casussen" in home.text
    leiden = lead.get("/monitor/leiden.html")
    assert leiden.status_code == 200 and "m-1" not in leiden.text  # counts, never a case
    assert lead.get("/monitor/../etc.html").status_code == 404
    assert lead.get("/monitor/monitor.csv").headers["content-type"].startswith("text/csv")
    assert _coach(app).get("/monitor/").status_code == 403
