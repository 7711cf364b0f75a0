"""The HTTP side of issue 17: no CSRF through the API (17.16), error bodies that never repeat
what was sent and no redirect to the Host header's name (17.17), per-client fairness and a
/healthz that reports saturation (17.19). In process, on an embedded SQLite store."""
from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from engine import Engine
from engine.store import Store
from engine.web.app import create_app
from store_cases import case_doc

ASSESSMENT = {"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}}
BSN = "123456782"  # passes the eleven-test
NOTE = "Mevrouw Jansen vertelde over haar schulden"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture
def shared(engine, tmp_path):
    """A shared store with one coach, whose personal token is the only credential."""
    app = create_app(engine, token="")
    store = Store(f"sqlite:///{tmp_path / 'cases.db'}", shared=True)
    admin = store.actor(store.add_user(None, "beheer", "admin"))
    token = store.add_user(admin, "anna", "coach", "noord")
    app.state.case_store = store
    client = TestClient(app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.post("/v1/cases", json=case_doc("h-1"), headers=bearer).status_code == 201
    yield client, token
    store.close()


def _basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"anna:{password}".encode()).decode()}


# ---------------------------------------------------------------- 17.16 no CSRF through the API

def test_the_api_refuses_basic_even_with_the_right_secret(shared) -> None:
    client, token = shared
    closed = client.post("/v1/cases/h-1/close?on=2026-08-01", headers=_basic(token))
    assert closed.status_code == 401 and closed.headers["www-authenticate"].startswith("Bearer")
    assert "Bearer" in closed.json()["detail"]
    assert client.get("/v1/cases", headers=_basic(token)).status_code == 401
    listed = client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).json()
    assert [c["closed_on"] for c in listed] == [None]  # the Basic close did not happen


def test_the_server_token_is_bearer_only_on_the_api_and_basic_stays_for_the_page(engine) -> None:
    client = TestClient(create_app(engine, token="s3cret"))
    assert client.post("/v1/recommend", json=ASSESSMENT, headers=_basic("s3cret")).status_code == 401
    assert client.post("/v1/recommend", json=ASSESSMENT, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/", headers=_basic("s3cret")).status_code == 200  # the page has its own CSRF token


def test_a_body_must_be_json_by_its_content_type(engine) -> None:
    client = TestClient(create_app(engine, token=""))
    text = json.dumps(ASSESSMENT).encode()
    for headers in ({"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"},
                    {"content-type": "multipart/form-data; boundary=x"}, {}):
        response = client.post("/v1/recommend", content=text, headers=headers)
        assert response.status_code == 415, headers
        assert response.json()["type"] == "urn:wegwijzer:problem:unsupported-media-type"
    assert client.post("/v1/recommend", content=text, headers={"content-type": "application/json"}).status_code == 200


def test_another_sites_origin_is_refused_and_this_ones_is_not(shared) -> None:
    client, token = shared
    bearer = {"Authorization": f"Bearer {token}"}
    for origin in ("http://127.0.0.1:9999", "http://evil.example", "null", "https://testserver.evil.example"):
        refused = client.post("/v1/cases/h-1/close?on=2026-08-01", headers={**bearer, "Origin": origin})
        assert refused.status_code == 403, origin
        assert refused.json()["type"] == "urn:wegwijzer:problem:forbidden-origin"
    assert client.get("/v1/cases", headers=bearer).json()[0]["closed_on"] is None
    same = client.post("/v1/cases/h-1/close?on=2026-08-01", headers={**bearer, "Origin": "http://testserver"})
    assert same.status_code == 200  # the server's own page (e.g. /docs) may call it
    assert client.get("/v1/cases", headers=bearer).status_code == 200  # no Origin: a program


# ---------------------------------------------------------------- 17.17 nothing sent comes back

def test_a_422_never_repeats_a_note_or_a_bsn(engine, tmp_path) -> None:
    app = create_app(engine, token="")
    app.state.case_store = Store(f"sqlite:///{tmp_path / 'cases.db'}", shared=False)
    client = TestClient(app)
    try:
        # the store's BSN check quotes the id it refused; the body must not
        response = client.post("/v1/cases", json=case_doc(f"c-{BSN}"))
        assert response.status_code == 422
        assert any(e["field"] == "case_id" for e in response.json()["errors"])
        assert BSN not in response.text
        # the model's own message quotes a value listed twice
        response = client.post("/v1/recommend", json={**ASSESSMENT, "consent_to_share_with": [NOTE, NOTE]})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "consent_to_share_with"
        assert "listed twice" in response.text and NOTE not in response.text and "Jansen" not in response.text
        # a value in a field that should not be there, and a number where text belongs
        response = client.post("/v1/recommend", json={**ASSESSMENT, "note": NOTE, "case_id": int(BSN)})
        assert response.status_code == 422 and NOTE not in response.text and BSN not in response.text
    finally:
        app.state.case_store.close()


def test_redirects_never_name_the_host_header(engine) -> None:
    client = TestClient(create_app(engine, token=""))
    for path in ("/v1/cases/", "/static/docs", "/v1/rules/"):
        response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        location = response.headers.get("location")
        if response.status_code in (301, 302, 303, 307, 308):
            assert location is not None and location.startswith("/") and not location.startswith("//"), location
            assert "evil.example" not in location
    response = client.get("/v1/cases/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/v1/cases"


# ---------------------------------------------------------------- 17.19 fairness, and a healthz that tells

def test_healthz_reports_the_load_and_says_busy_when_full(engine) -> None:
    app = create_app(engine, token="", max_requests=3, max_per_client=2)
    client = TestClient(app)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["requests"]["in_flight"] == 0 and body["requests"]["max_requests"] == 3
    load = app.state.load
    load.in_flight = 3  # as if three requests were being handled
    busy = client.get("/healthz")
    assert busy.status_code == 200  # liveness: a full server is alive
    assert busy.json()["status"] == "busy" and busy.json()["requests"]["saturated"] is True
    assert client.get("/v1/rules").status_code == 503
    load.in_flight = 2
    assert client.get("/healthz").json()["status"] == "ok"


def test_one_address_gets_its_share_and_the_others_theirs(engine) -> None:
    app = create_app(engine, token="", max_requests=10, max_per_client=2)
    load = app.state.load
    load.per_client["testclient"] = 2  # the test client's address already has two requests under way
    load.in_flight = 2
    client = TestClient(app)
    refused = client.get("/v1/rules")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["type"] == "urn:wegwijzer:problem:busy"
    assert client.get("/").status_code == 429  # a coach's page: the Dutch busy page
    assert client.get("/healthz").json()["requests"]["clients_at_cap"] == 1
    other = TestClient(app, client=("10.0.0.7", 50000))
    assert other.get("/v1/rules").status_code == 200
    load.per_client["testclient"] = 1
    assert client.get("/v1/rules").status_code == 200
