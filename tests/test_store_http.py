"""/v1/cases over HTTP on an embedded store (SQLite and PostgreSQL): the same store as the CLI."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.store import Store
from store_cases import FOLLOW_UP, LOG_ENTRY, case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)


@pytest.fixture
def client(db_url):  # noqa: F811
    from engine.web.app import create_app

    app = create_app()
    app.state.case_store = Store(db_url, shared=False)
    yield TestClient(app)
    app.state.case_store.close()


def test_the_whole_round(client):
    response = client.post("/v1/cases", json=case_doc("h-1"))
    assert response.status_code == 201 and response.json() == {"case_id": "h-1"}
    assert client.post("/v1/cases/h-1/entries", json=FOLLOW_UP).json() == {"case_id": "h-1", "added": "assessment"}
    assert client.post("/v1/cases/h-1/entries", json=LOG_ENTRY).json()["added"] == "intervention"
    body = client.get("/v1/cases/h-1").json()
    assert body["summary"]["assessments"] == 2 and len(body["case"]["interventions_log"]) == 1
    advice = client.get("/v1/cases/h-1/next").json()
    assert advice["case_id"] == "h-1" and "neighbourhood_meeting_place" not in [i["id"] for i in advice["interventions"]]
    report_text = client.get("/v1/cases/h-1/report").text  # the voortgangsrapportage
    assert "Van trede 2 (" in report_text and ") naar trede 3 (" in report_text
    assert client.get("/v1/cases/h-1/export").json()["assessments"][1]["ladder_rung"] == 3
    assert client.post("/v1/cases/h-1/close?on=2026-08-01").json()["closed_on"] == "2026-08-01"
    assert client.delete("/v1/cases/h-1").status_code == 204
    assert client.get("/v1/cases/h-1").status_code == 404
    assert client.get("/v1/cases").json() == []


def test_bad_input_is_a_problem_naming_the_field(client):
    response = client.post("/v1/cases", json=case_doc("123456782"))
    assert response.status_code == 422 and any(e["field"] == "case_id" for e in response.json()["errors"])
    client.post("/v1/cases", json=case_doc("h-2"))
    response = client.post("/v1/cases/h-2/entries", json={**LOG_ENTRY, "status": "paused"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "intervention.status"
    assert client.post("/v1/cases", json=case_doc("h-2", rung=5)).status_code == 409
    assert client.post("/v1/cases/h-2/close?on=later").status_code == 422
    assert client.post("/v1/cases", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400


def test_no_case_content_reaches_a_log(client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client.post("/v1/cases", json=case_doc("h-3"))
    client.post("/v1/cases/h-3/entries", json=FOLLOW_UP)
    client.get("/v1/cases/h-3/next")
    client.get("/v1/cases/h-3/export")
    client.post("/v1/cases/h-3/entries", json={**LOG_ENTRY, "status": "paused"})  # an error too
    client.delete("/v1/cases/h-3")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for content in ("self_reliance", "problematic_debt", "2026-01-05", "2026-07-01", "neighbourhood_meeting_place",
                    "paused", "social_contact", "ladder_rung"):
        assert content not in logged
