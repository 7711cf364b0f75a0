"""The coach's case page (/casus): load a case file, the advice with progress, add to the history."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from engine import Engine
from engine.web.app import create_app

with __import__("warnings").catch_warnings():
    __import__("warnings").simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
STEADY = ROOT / "examples" / "cases" / "leiden_gestage_voortgang.yaml"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Engine.load(), token=""))


def token(client: TestClient) -> str:
    return client.get("/casus").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def document_of(page: str) -> dict:
    return json.loads(html.unescape(re.search(r'name="document" value="([^"]*)"', page).group(1)))


def plan_of(page: str) -> str:
    """The 'Wat nu?' section: the step plan only."""
    return page.split('id="kop-wat"', 1)[1].split("</section>", 1)[0]


def errors_of(page: str) -> str:
    return html.unescape(page.split('id="fouten"', 1)[1].split("</div>", 1)[0])


def load(client: TestClient, text: str) -> "object":
    return client.post("/casus", data={"csrf_token": token(client), "document_text": text})


def test_the_load_form_has_an_upload_a_textarea_and_a_token(client: TestClient) -> None:
    page = client.get("/casus")
    assert page.status_code == 200
    assert 'type="file"' in page.text and "<textarea" in page.text and 'enctype="multipart/form-data"' in page.text
    assert "bewaart niets" in page.text


def test_pasting_a_case_gives_the_plan_and_the_progress(client: TestClient) -> None:
    page = load(client, STEADY.read_text(encoding="utf-8"))
    assert page.status_code == 200
    assert "Voortgang" in page.text and "Van 4 maart 2025 tot 2 december 2025" in page.text
    assert "Trede participatieladder: 1 → 3" in page.text
    plan = plan_of(page.text)
    assert '<h3 class="phase phase-now">Nu</h3>' in plan and "Toeleiding naar vrijwilligerswerk" in plan
    assert "Toeleiding naar schuldhulpverlening" not in plan  # running in the log: not suggested again
    # the case travels in the page, as the file gave it
    assert document_of(page.text) == json.loads(json.dumps(yaml.safe_load(STEADY.read_text()), default=str))
    assert 'action="/rapport"' in page.text and 'action="/casus/download"' in page.text
    # the report opens beside the case page, which keeps the case (the server keeps nothing)
    assert 'action="/rapport" target="_blank"' in page.text


def test_uploading_the_file_works_like_pasting(client: TestClient) -> None:
    page = client.post("/casus", data={"csrf_token": token(client)},
                       files={"document_file": (STEADY.name, STEADY.read_bytes(), "application/yaml")})
    assert page.status_code == 200
    assert "Voortgang" in page.text and "casus leiden-traject-01" in page.text


def test_json_and_a_plain_assessment_are_read_too(client: TestClient) -> None:
    assessment = {"schema_version": 1, "municipality": "tilburg",
                  "domains": {"finances": {"self_reliance": 2}}, "circumstances": {"problematic_debt": True}}
    page = load(client, json.dumps(assessment))
    assert page.status_code == 200
    assert "Toeleiding naar schuldhulpverlening" in plan_of(page.text)
    assert "kop-voortgang" not in page.text and 'action="/casus/toevoegen"' not in page.text
    assert "losse meting" in page.text


def test_bad_yaml_is_a_dutch_422_naming_the_line(client: TestClient) -> None:
    page = load(client, "municipality: leiden\nassessments: [1\ncase_id: x\n")
    assert page.status_code == 422
    assert "Regel 3" in errors_of(page.text) and "geen geldige YAML of JSON" in errors_of(page.text)
    assert "municipality: leiden" in page.text  # the pasted text is kept for correcting


def test_a_key_given_twice_and_a_wrong_field_are_named_in_dutch(client: TestClient) -> None:
    twice = load(client, "municipality: leiden\nmunicipality: tilburg\nassessments: []\n")
    assert twice.status_code == 422
    assert "Regel 2: Het veld 'municipality' staat twee keer in één object" in errors_of(twice.text)
    text = STEADY.read_text(encoding="utf-8").replace("finances: {self_reliance: 2,", "finances: {self_reliance: 7,", 1)
    wrong = load(client, text)
    assert wrong.status_code == 422
    assert "assessments[0].domains.finances.self_reliance" in errors_of(wrong.text)
    assert "Meting 1, Financiën, zelfredzaamheid" in errors_of(wrong.text)
    assert "Vul een getal van 1 tot en met 5 in." in errors_of(wrong.text)
    order = load(client, STEADY.read_text(encoding="utf-8").replace("date: 2025-07-08", "date: 2024-07-08"))
    assert order.status_code == 422 and "assessments[1].date" in errors_of(order.text)
    assert "vóór die van de vorige meting" in errors_of(order.text)
    assert load(client, "").status_code == 422 and "Kies een bestand" in load(client, "  ").text
    assert load(client, "- 1\n- 2\n").status_code == 422


def test_a_log_entry_is_kept_in_the_document_and_changes_the_advice(client: TestClient) -> None:
    first = load(client, STEADY.read_text(encoding="utf-8"))
    assert "Toeleiding naar vrijwilligerswerk" in plan_of(first.text)
    page = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(document_of(first.text)), "what": "log",
        "id": "volunteering", "started": "2025-12-03", "ended": "", "status": "running", "result": ""})
    assert page.status_code == 200 and "De interventie is vastgelegd." in page.text
    doc = document_of(page.text)
    assert doc["interventions_log"][-1] == {"id": "volunteering", "started": "2025-12-03", "status": "running"}
    assert "Toeleiding naar vrijwilligerswerk" not in plan_of(page.text)  # running: not suggested again


def test_a_follow_up_assessment_and_a_contact_are_appended(client: TestClient) -> None:
    doc = document_of(load(client, STEADY.read_text(encoding="utf-8")).text)
    page = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "assessment", "date": "2026-03-03",
        "conversations_held": "18", "ladder_rung": "4", "domains.finances.self_reliance": "4"})
    assert page.status_code == 200
    new = document_of(page.text)["assessments"][-1]
    assert new["date"] == "2026-03-03" and new["ladder_rung"] == 4 and new["conversations_held"] == 18
    assert new["domains"]["finances"] == {"self_reliance": 4, "satisfaction": 3, "priority": 3}  # rest carried over
    assert "Trede participatieladder: 1 → 4" in page.text and "Van 4 maart 2025 tot 3 maart 2026" in page.text
    contact = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "contact", "date": "2025-12-10",
        "kind": "phone", "reached": "false"})
    assert contact.status_code == 200
    assert document_of(contact.text)["contacts"][-1] == {"date": "2025-12-10", "kind": "phone", "reached": False}


def test_an_addition_that_does_not_fit_keeps_the_case_and_says_why(client: TestClient) -> None:
    doc = document_of(load(client, STEADY.read_text(encoding="utf-8")).text)
    page = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "log", "id": "volunteering",
        "started": "2025-12-03", "ended": "2025-12-01", "status": "completed"})
    assert page.status_code == 422
    assert "interventions_log[3].ended" in errors_of(page.text)
    assert "De einddatum ligt vóór de startdatum." in errors_of(page.text)
    assert document_of(page.text) == doc  # unchanged
    early = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "assessment", "date": "2025-01-01"})
    assert early.status_code == 422 and "assessments[3].date" in errors_of(early.text)
    no_status = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "log", "id": "volunteering",
        "started": "2025-12-03", "status": ""})
    assert no_status.status_code == 422
    assert ("Interventie 4, status (interventions_log[3].status): Kies een van de mogelijkheden uit de lijst."
            in re.sub(r"<[^>]+>", "", errors_of(no_status.text)))
    no_date = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "contact", "date": "", "kind": "phone",
        "reached": "true"})
    assert no_date.status_code == 422 and "contacts[4].date" in errors_of(no_date.text)


def test_the_updated_case_downloads_as_an_attachment_that_loads_again(client: TestClient) -> None:
    doc = document_of(load(client, STEADY.read_text(encoding="utf-8")).text)
    got = client.post("/casus/download", data={"csrf_token": token(client), "document": json.dumps(doc)})
    assert got.status_code == 200
    assert got.headers["content-disposition"] == 'attachment; filename="leiden-traject-01.yaml"'
    assert load(client, got.text).status_code == 200


def test_the_progress_report_comes_from_the_same_document(client: TestClient) -> None:
    doc = document_of(load(client, STEADY.read_text(encoding="utf-8")).text)
    got = client.post("/rapport", data={"csrf_token": token(client), "document": json.dumps(doc)})
    assert got.status_code == 200 and got.text.lstrip().lower().startswith("<!doctype html")
    assert "leiden-traject-01" in got.text and "<svg" in got.text
    assert "script-src" not in got.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/casus", "/casus/toevoegen", "/casus/download", "/rapport"])
def test_every_post_needs_the_token(client: TestClient, path: str) -> None:
    client.get("/casus")  # the cookie is set; the form field is missing
    doc = json.dumps({"municipality": "leiden"})
    refused = client.post(path, data={"document": doc, "document_text": "municipality: leiden"})
    assert refused.status_code == 403 and "verlopen" in refused.text
    wrong = client.post(path, data={"document": doc, "csrf_token": "x" * 43})
    assert wrong.status_code == 403


def test_an_entry_after_the_case_as_of_moves_as_of_up_to_it(client: TestClient) -> None:
    declined = ROOT / "examples" / "cases" / "leiden_weigert_dan_terug.yaml"
    doc = document_of(load(client, declined.read_text(encoding="utf-8")).text)
    assert doc["as_of"] == "2025-09-12"
    page = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "contact", "date": "2025-10-01",
        "kind": "home_visit", "reached": "true"})
    assert page.status_code == 200 and "De peildatum van de casus is nu 2025-10-01." in page.text
    assert document_of(page.text)["as_of"] == "2025-10-01"
    same_day = client.post("/casus/toevoegen", data={
        "csrf_token": token(client), "document": json.dumps(doc), "what": "contact", "date": "2025-09-01",
        "kind": "phone", "reached": "true"})
    assert same_day.status_code == 200 and "peildatum" not in same_day.text.split('role="status"', 1)[1][:200]
    assert document_of(same_day.text)["as_of"] == "2025-09-12"


def test_a_pasted_case_over_the_cap_is_a_dutch_422_and_a_huge_form_a_413(client: TestClient) -> None:
    big = load(client, "municipality: leiden\n# " + "x" * (1 << 20) + "\n")
    assert big.status_code == 422 and "te groot" in errors_of(big.text)
    huge = client.post("/casus", data={"csrf_token": token(client), "document_text": "x" * (5 << 20)})
    assert huge.status_code == 413 and "te groot" in huge.text and 'lang="nl"' in huge.text


def test_a_report_of_a_case_that_does_not_fit_is_a_dutch_422(client: TestClient) -> None:
    doc = document_of(load(client, STEADY.read_text(encoding="utf-8")).text)
    doc["goals"][0]["review_on"] = "2025-01-01"  # before set_on
    got = client.post("/rapport", data={"csrf_token": token(client), "document": json.dumps(doc)})
    assert got.status_code == 422
    assert "Doel 1, beoordeeld op (goals[0].review_on): Deze datum ligt vóór de datum waarop het doel gesteld is." \
        in html.unescape(got.text)
