"""CDS Hooks: discovery, cards for a case, feedback into the decision log; every document
checked against the specification's JSON shapes (tests/cds_hooks_schema.py)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from cds_hooks_schema import DISCOVERY, FEEDBACK, REQUEST, RESPONSE
from engine import cds
from engine.feedback import feedback as trainers_feedback
from engine.rulebook import load
from engine.store import LOCAL, Store
from store_cases import case_doc

SERVICE = f"/cds-services/{cds.SERVICE_ID}"


def valid(schema, document):
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(document))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    return document


@pytest.fixture
def client(tmp_path):
    from engine.web.app import create_app

    app = create_app()
    app.state.case_store = Store.open(str(tmp_path / "cases.sqlite"), shared=False)
    yield TestClient(app), app.state.case_store
    app.state.case_store.close()


def _request(case, where="context"):
    body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/coach1", "patientId": case.get("case_id", "x")}}
    if where == "context":
        body["context"]["case"] = case
    else:
        body["prefetch"] = {"case": case}
    return valid(REQUEST, body)


def test_discovery_names_the_service(client):
    http, _ = client
    body = valid(DISCOVERY, http.get("/cds-services").json())
    assert [(s["id"], s["hook"]) for s in body["services"]] == [(cds.SERVICE_ID, "patient-view")]


@pytest.mark.parametrize("where", ["context", "prefetch"])
def test_cards_for_a_case_follow_the_spec_and_the_step_plan(client, where):
    http, store = client
    response = http.post(SERVICE, json=_request(case_doc("cds-1"), where))
    assert response.status_code == 200, response.text
    body = valid(RESPONSE, response.json())
    advice = http.post("/v1/recommend", json=case_doc("cds-1")).json()
    steps = body["cards"][1:]
    assert [c["source"]["topic"]["code"] for c in steps] == [i["id"] for i in advice["interventions"]]
    assert all(len(c["summary"]) < 140 for c in body["cards"])
    assert steps[0]["summary"].startswith("Nu: ")
    assert steps[0]["source"]["label"] == advice["interventions"][0]["source_label"]
    assert all(cds.OVERSIGHT_NL in c["detail"] for c in body["cards"])
    reasons = load().override_reasons.reasons
    assert [(r["code"], r["display"]) for r in steps[0]["overrideReasons"]] == [(r.id, r.label_nl) for r in reasons]
    assert all(len(c["suggestions"]) == 1 and c["selectionBehavior"] == "at-most-one" for c in steps)
    assert len(store.logged_advice(LOCAL, "cds-1")) == 1  # the advice shown is logged


def test_feedback_is_stored_as_the_coaches_decisions(client):
    http, store = client
    cards = http.post(SERVICE, json=_request(case_doc("cds-2"))).json()["cards"][1:]
    body = valid(FEEDBACK, {"feedback": [
        {"card": cards[0]["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": cards[0]["suggestions"][0]["uuid"]}],
         "outcomeTimestamp": "2026-03-01T10:00:00Z"},
        {"card": cards[1]["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-03-01T10:01:00Z",
         "overrideReason": {"reason": {"system": cds.REASON_SYSTEM, "code": "waiting_list", "display": "wachtlijst"},
                            "userComment": "na de zomer"}},
        {"card": cards[2]["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-03-01T10:02:00Z",
         "overrideReason": {"reason": {"system": cds.REASON_SYSTEM, "code": "no_such_reason"}}},
    ]})
    response = http.post(f"{SERVICE}/feedback", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["recorded"] == 2 and [r["field"] for r in answer["refused"]] == ["feedback[2].overrideReason.reason"]
    decided = store.decisions(LOCAL, "cds-2")
    assert [(d["intervention_id"], d["decision"], d["reason"], d["comment"]) for d in decided] == [
        (cards[0]["source"]["topic"]["code"], "accepted", None, None),
        (cards[1]["source"]["topic"]["code"], "other", "waiting_list", "na de zomer")]
    rows = trainers_feedback(store, LOCAL, threshold=1).rows("intervention")
    assert {r["key"]: r["set_aside"] for r in rows}[cards[1]["source"]["topic"]["code"]] == 1


def test_bad_requests_name_the_field(client):
    http, _ = client
    response = http.post(SERVICE, json={"hook": "patient-view", "hookInstance": "x", "context": {}})
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["context.case"]
    response = http.post(SERVICE, json=_request({**case_doc("cds-3"), "municipality": "atlantis"}))
    assert response.status_code == 422 and "municipality" in [e["field"] for e in response.json()["errors"]]
    response = http.post(f"{SERVICE}/feedback", json={"feedback": [{"card": "not-a-card", "outcome": "maybe"}]})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"feedback[0].card", "feedback[0].outcome",
                                                               "feedback[0].outcomeTimestamp"}
    assert http.post(f"{SERVICE}/feedback", json={}).status_code == 422


def test_an_advice_without_case_id_gives_cards_without_uuid(client):
    http, _ = client
    case = case_doc("x")
    del case["case_id"]
    body = valid(RESPONSE, http.post(SERVICE, json=_request(case)).json())
    assert body["cards"] and all("uuid" not in c for c in body["cards"])


def test_card_uuids_round_trip():
    assert cds.card_position(cds.card_uuid("ab" * 12, 3)) == ("ab" * 12, 3)
    assert cds.card_position(cds.card_uuid("ab" * 12, 0xFFFFFFFF)) == ("ab" * 12, -1)
    assert cds.card_position("urn:uuid:" + cds.card_uuid("0f" * 12, 7)) == ("0f" * 12, 7)
    assert cds.card_position("123") is None


def test_the_case_api_logs_the_advice_and_takes_decisions(client):
    from engine.web.cases import ADVICE_ID_HEADER

    http, store = client
    assert http.post("/v1/cases", json=case_doc("api-1")).status_code == 201
    shown = http.get("/v1/cases/api-1/next")
    advice_id, step = shown.headers[ADVICE_ID_HEADER], shown.json()["interventions"][0]["id"]
    assert [e["advice_id"] for e in store.logged_advice(LOCAL, "api-1")] == [advice_id]
    made = http.post("/v1/cases/api-1/decisions", json={"advice_id": advice_id, "intervention_id": step,
                                                         "decision": "not_now", "reason": "waiting_list"})
    assert made.status_code == 201, made.text
    assert [(d["decision"], d["reason"]) for d in http.get("/v1/cases/api-1/decisions").json()] == [("not_now", "waiting_list")]
    bad = http.post("/v1/cases/api-1/decisions", json={"advice_id": advice_id, "intervention_id": step, "decision": "other",
                                                        "colour": "red"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["colour"]
    bad = http.post("/v1/cases/api-1/decisions", json={"advice_id": advice_id, "intervention_id": step, "decision": "other"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["reason"]
    assert http.delete("/v1/cases/api-1").status_code == 204
    assert store.logged_advice(LOCAL, "api-1") == []  # the log went with the case


def test_a_summary_stays_under_140_characters():
    assert cds._summary("x" * 139) == "x" * 139
    cut = cds._summary("x" * 140)
    assert len(cut) == 139 and cut.endswith("…")
