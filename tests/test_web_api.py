"""The HTTP API and the page through the ASGI app: contract, problem+json, limits, token, escaping."""
from __future__ import annotations

import base64
import json
import warnings
from pathlib import Path

import httpx
import pytest
import yaml

from engine import Engine
from engine.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
CASE = yaml.safe_load((ROOT / "examples" / "leiden_schulden_isolement.yaml").read_text(encoding="utf-8"))
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module")
def client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine, token=""))


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_recommend_matches_the_library_and_uses_for(client: TestClient, engine: Engine) -> None:
    response = client.post("/v1/recommend", json=CASE)
    assert response.status_code == 200
    assert response.json() == json.loads(engine.recommend(CASE).to_json())
    assert all("for" in ref and "for_" not in ref for ref in response.json()["referrals"])


def test_explain_gives_the_flowchart_path(client: TestClient) -> None:
    body = client.post("/v1/explain", json=CASE).json()
    assert body["steps"][0]["node"] == "q_unsafe" and body["steps"][0]["outcome"] == "no"
    assert body["steps"][0]["file"] == "leiden_flowchart.yaml"
    assert body["steps"][-1]["kind"] == "end"
    assert body["profile"]["rule"] and body["lead"]["rule"]


def test_schema_rules_healthz_openapi(client: TestClient, engine: Engine) -> None:
    schemas = client.get("/v1/schema").json()
    # the first release's pair, and the Case beside it (added, nothing renamed), beside the one document
    assert {"assessment", "case", "recommendation"} <= set(schemas)
    assert schemas["oneOf"] == [{"$ref": "#/$defs/Assessment"}, {"$ref": "#/$defs/Case"}]
    assert {"assessments", "interventions_log", "as_of"} <= set(schemas["case"]["properties"])
    rules = client.get("/v1/rules").json()
    assert rules["rules_version"] == engine.rules_version
    assert {"nodes", "rules", "interventions", "organisations"} <= set(rules["counts"])
    assert client.get("/healthz").json()["status"] == "ok"
    doc = client.get("/openapi.json").json()
    # the second release: an Assessment or a Case, each with an example that the API advises
    body = doc["paths"]["/v1/recommend"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"oneOf": [{"$ref": "#/components/schemas/Assessment"}, {"$ref": "#/components/schemas/Case"}]}
    assert {"Assessment", "Case", "Recommendation"} <= set(doc["components"]["schemas"])
    assert set(body["examples"]) == {"assessment", "case"}
    from jsonschema import Draft202012Validator

    one = Draft202012Validator(schemas)  # GET /v1/schema is one JSON Schema document as well
    for example in body["examples"].values():
        assert list(one.iter_errors(example["value"])) == []
        answer = client.post("/v1/recommend", json=example["value"])
        assert answer.status_code == 200 and answer.json()["case_id"] == example["value"]["case_id"]
    assert list(one.iter_errors({"municipality": "leiden"}))  # neither an Assessment nor a Case


def test_malformed_json_is_400(client: TestClient) -> None:
    body = problem(client.post("/v1/recommend", content=b'{"municipality": ', headers={"content-type": "application/json"}), 400)
    assert "not valid JSON" in body["detail"]
    problem(client.post("/v1/recommend", content=b"\xff\xfe", headers={"content-type": "application/json"}), 400)


def test_wrong_types_and_unknown_fields_are_422_naming_the_field(client: TestClient) -> None:
    bad = {**CASE, "age": "old", "domainz": {}}
    bad["domains"] = {**CASE["domains"], "finances": {"self_reliance": 9}}
    errors = {e["field"]: e["message"] for e in problem(client.post("/v1/recommend", json=bad), 422)["errors"]}
    assert "age" in errors
    assert "domains.finances.self_reliance" in errors
    assert errors["domainz"] == "unknown field (did you mean 'domains'?)"
    assert problem(client.post("/v1/recommend", json=[1, 2]), 422)["errors"][0]["field"] == "(root)"
    problem(client.post("/v1/explain", json={"municipality": "leiden"}), 422)


def test_body_over_the_limit_is_413(engine: Engine) -> None:
    small = TestClient(create_app(engine, token="", max_body=1024))
    big = {**CASE, "existing_support": [{"kind": "other", "organisation": "x" * 100}] * 20}
    body = problem(small.post("/v1/recommend", json=big), 413)
    assert "1024" in body["detail"]
    problem(small.post("/v1/recommend", content=b"{}", headers={"content-type": "application/json", "content-length": "999999"}), 413)
    assert small.post("/v1/recommend", json=CASE).status_code == 200


def test_other_media_type_is_415(client: TestClient) -> None:
    problem(client.post("/v1/recommend", content=b"municipality=leiden",
                        headers={"content-type": "application/x-www-form-urlencoded"}), 415)


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    problem(client.get("/v1/nope"), 404)
    problem(client.get("/v1/recommend"), 405)


def test_token_guards_api_and_page_but_not_healthz(engine: Engine) -> None:
    guarded = TestClient(create_app(engine, token="s3cret"))
    body = problem(guarded.post("/v1/recommend", json=CASE), 401)
    assert "Bearer" in body["detail"]
    assert guarded.post("/v1/recommend", json=CASE, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.post("/v1/recommend", json=CASE, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert guarded.get("/v1/rules").status_code == 401
    assert guarded.get("/healthz").status_code == 200
    page = guarded.get("/")
    assert page.status_code == 401 and page.headers["www-authenticate"].startswith("Basic")
    basic = base64.b64encode(b"coach:s3cret").decode()
    assert guarded.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_token_comes_from_the_environment(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJZER_TOKEN", "from-env")
    guarded = TestClient(create_app(engine))
    assert guarded.get("/v1/rules").status_code == 401
    assert guarded.get("/v1/rules", headers={"Authorization": "Bearer from-env"}).status_code == 200


# ---------------------------------------------------------------- the page

def form_token(client: TestClient) -> str:
    """GET / as a browser does first: the CSRF cookie lands in the client, the same token in the form."""
    html = client.get("/").text
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def post_form(client: TestClient, data: dict) -> httpx.Response:
    return client.post("/advies", data={**data, "csrf_token": form_token(client)})


FORM = {
    "municipality": "leiden", "case_id": "web-1", "domains.finances.self_reliance": "2",
    "domains.finances.satisfaction": "1", "domains.finances.priority": "1",
    "domains.social_contacts.self_reliance": "3", "circumstances.problematic_debt": "on", "open_to_support": "on",
}


def test_page_is_dutch_labelled_and_printable(client: TestClient) -> None:
    html = client.get("/").text
    assert '<html lang="nl">' in html
    assert '<label for="f-municipality">Gemeente</label>' in html
    assert 'for="f-domains-finances-self_reliance"'.replace("_", "-") in html
    assert "<legend>Leefgebieden</legend>" in html
    assert '<link rel="stylesheet" href="/static/wegwijzer.css">' in html  # the CSS is a static file now
    css = client.get("/static/wegwijzer.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "@media print" in css.text
    assert 'action="/advies"' in html and "<script" not in html


def test_form_post_gives_the_result_with_consent_warning_and_radar(client: TestClient) -> None:
    response = post_form(client, FORM)
    assert response.status_code == 200, response.text
    html = response.text
    assert "schuldhulpverlening" in html.lower()
    assert "Toestemming nodig" in html
    assert "<svg" in html and 'class="radar"' in html and "Financiën" in html


def test_form_errors_reshow_the_form_naming_the_field(client: TestClient) -> None:
    response = post_form(client, {**FORM, "age": "twaalf", "domains.housing.satisfaction": "2"})
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html
    assert 'href="#f-age"' in html and "Leeftijd" in html
    assert 'href="#f-domains-housing-self-reliance"' in html  # satisfaction without self-reliance
    assert 'id="f-age" name="age" class="invalid" aria-invalid="true"' in html
    assert 'value="twaalf"' in html  # what the coach typed is kept
    twice = post_form(client, {**FORM, "domains.housing.self_reliance": "3", "domains.housing.priority": "1"})
    assert twice.status_code == 422 and 'href="#f-domains-finances-priority"' in twice.text


def test_page_escapes_everything(client: TestClient) -> None:
    evil = '<script>alert("x")</script>'
    data = {**FORM, "existing_support[0].kind": "mental_health_care", "existing_support[0].organisation": evil,
            "existing_support[0].trusted": "on", "circumstances.psychological_complaints": "severe"}
    html = post_form(client, data).text
    assert evil not in html
    assert "&lt;script&gt;" in html
    bad = post_form(client, {**FORM, "case_id": evil}).text
    assert evil not in bad and "&lt;script&gt;" in bad


def test_page_errors_are_pages(engine: Engine) -> None:
    small = TestClient(create_app(engine, token="", max_body=256))
    response = post_form(small, {**FORM, "case_id": "x" * 400})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html") and "Terug naar het formulier" in response.text
