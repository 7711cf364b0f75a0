"""A visit on a stored case (/deelnemers/{id}/bezoek): every part saved to the store, validated as
the engine validates, and a refused save comes back filled in as typed."""
from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from engine import Engine
from engine.store import Actor
from engine.web.app import create_app
from store_db import db_url, pg_server  # noqa: F401  (fixtures: every test on SQLite and PostgreSQL)
from web_signin import sign_in, store_with_users

with __import__("warnings").catch_warnings():
    __import__("warnings").simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 2)
ANNA = Actor("anna", "coach", "noord")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture
def client(engine, db_url, monkeypatch) -> TestClient:  # noqa: F811
    """Anna, a coach, signed in; she holds two example cases. The server's clock says TODAY."""
    from engine.web import caseload

    monkeypatch.setattr(caseload, "today", lambda: TODAY)
    app = create_app(engine, token="")
    app.state.case_store = store_with_users(db_url)
    for name in ("tilburg_stagnatie", "helmond_profiel_herijkt"):
        app.state.case_store.import_case(ANNA, yaml.safe_load((ROOT / "examples" / "cases" / f"{name}.yaml").read_text()))
    with TestClient(app) as test_client:
        assert sign_in(test_client, "anna").status_code == 303
        yield test_client
    app.state.case_store.close()


def stored(client: TestClient, case_id: str):
    return client.app.state.case_store.get(ANNA, case_id)


def token_of(client: TestClient, case_id: str) -> str:
    page = client.get(f"/deelnemers/{case_id}/bezoek")
    assert page.status_code == 200, page.text
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def form_values(page: str, action: str) -> list[tuple[str, str]]:
    """What a browser would send for the form posting to `action`: every field as the page fills it."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    pairs: list[tuple[str, str]] = []
    for tag in re.finditer(r"<input [^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        if "name" not in attrs:
            continue
        if attrs.get("type") == "checkbox" and " checked" not in tag.group(0):
            continue
        pairs.append((attrs["name"], html.unescape(attrs.get("value", ""))))
    for select in re.finditer(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(2))
        pairs.append((select.group(1), html.unescape(chosen.group(1)) if chosen else ""))
    return pairs


def post(client: TestClient, case_id: str, what: str, data) -> object:
    if isinstance(data, list):  # (name, value) pairs, a name repeated as a browser repeats it
        token = token_of(client, case_id)
        grouped: dict[str, list[str]] = {"csrf_token": [token]}
        for name, value in data:
            grouped.setdefault(name, []).append(value)
        data = grouped
    return client.post(f"/deelnemers/{case_id}/{what}", data=data, follow_redirects=False)


def test_the_visit_page_has_every_form_and_the_meting_prefilled(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    text = client.get(f"/deelnemers/{case_id}/bezoek").text
    for heading in ("Contact", "Interventies", "Doelen (GAS)", "Nieuwe meting"):
        assert f">{heading}</h2>" in text
    latest = stored(client, case_id).assessments[-1]
    sent = dict(form_values(text, f"/deelnemers/{case_id}/meting"))
    # the meting starts as the latest one: every score and circumstance carried over, dated today
    assert sent["date"] == TODAY.isoformat()
    for domain, score in latest.domains.items():
        assert sent[f"domains.{domain}.self_reliance"] == str(score.self_reliance)
    ids = re.findall(r' id="([^"]+)"', text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # the consent list holds the case's municipality's organisations only
    assert "Huisarts" in text and "Libertas" not in text


def test_the_stored_cases_page_leads_to_the_visit_the_decisions_and_the_plan(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    text = client.get(f"/deelnemers/{case_id}").text
    for path in ("bezoek", "advies", "mijn-plan"):
        assert f'href="/deelnemers/{case_id}/{path}"' in text


def _case_ids(client: TestClient) -> dict[str, str]:
    return {s.municipality: s.case_id for s in client.app.state.case_store.list_cases(ANNA)}


def test_a_follow_up_meting_is_stored_with_every_field(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = client.get(f"/deelnemers/{case_id}/bezoek").text
    sent = [(k, v) for k, v in form_values(page, f"/deelnemers/{case_id}/meting")
            if k not in ("date", "domains.finances.self_reliance", "ladder_rung", "conversations_held")]
    sent += [("date", "2026-02-20"), ("domains.finances.self_reliance", "4"), ("ladder_rung", "3"),
             ("conversations_held", "12"), ("wishes", "volunteering")]
    before = stored(client, case_id).assessments[-1]
    answer = post(client, case_id, "meting", sent)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/deelnemers/{case_id}/bezoek?opgeslagen=meting")
    latest = stored(client, case_id).assessments[-1]
    assert latest.date == date(2026, 2, 20) and latest.domains["finances"].self_reliance == 4
    assert latest.ladder_rung == 3 and latest.conversations_held == 12 and "volunteering" in latest.wishes
    # what the coach did not change is kept as it was
    assert latest.circumstances == before.circumstances and latest.igm == before.igm
    assert {d: s.satisfaction for d, s in latest.domains.items() if d != "finances"} == \
        {d: s.satisfaction for d, s in before.domains.items() if d != "finances"}
    assert "De meting is opgeslagen." in client.get(answer.headers["location"]).text


def test_a_refused_meting_comes_back_filled_in_and_nothing_is_stored(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = client.get(f"/deelnemers/{case_id}/bezoek").text
    sent = [(k, v) for k, v in form_values(page, f"/deelnemers/{case_id}/meting")
            if k not in ("date", "age", "domains.housing.priority", "domains.finances.priority")]
    sent += [("date", "2026-02-21"), ("age", "12"), ("domains.housing.priority", "1"),
             ("domains.finances.priority", "1"), ("wishes", "help_others")]
    count = len(stored(client, case_id).assessments)
    answer = post(client, case_id, "meting", sent)
    assert answer.status_code == 422
    alert = html.unescape(answer.text.split('id="fouten-meting"', 1)[1].split("</div>", 1)[0])
    assert "Vul een getal van 16 tot en met 120 in." in alert
    # nothing typed is lost: the age, the date and the added wish are in the form again
    again = dict(form_values(answer.text, f"/deelnemers/{case_id}/meting"))
    assert again["age"] == "12" and again["date"] == "2026-02-21"
    assert ("wishes", "help_others") in form_values(answer.text, f"/deelnemers/{case_id}/meting")
    assert len(stored(client, case_id).assessments) == count
    # with the age right, the same priority twice is the model's refusal, in Dutch
    fixed = [(k, "38" if k == "age" else v) for k, v in form_values(answer.text, f"/deelnemers/{case_id}/meting")]
    answer = post(client, case_id, "meting", fixed)
    assert answer.status_code == 422 and "Belangrijkheid 1 is al gegeven aan" in html.unescape(answer.text)
    assert len(stored(client, case_id).assessments) == count


def test_a_meting_before_the_last_one_or_in_the_future_is_refused_in_dutch(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = client.get(f"/deelnemers/{case_id}/bezoek").text
    base = [(k, v) for k, v in form_values(page, f"/deelnemers/{case_id}/meting") if k != "date"]
    future = post(client, case_id, "meting", base + [("date", "2026-04-01")])
    assert future.status_code == 422 and "Deze datum ligt na vandaag" in html.unescape(future.text)
    missing = post(client, case_id, "meting", base + [("date", "")])
    assert missing.status_code == 422 and "Vul de datum van de meting in." in html.unescape(missing.text)


def test_contact_log_goal_and_profile_are_stored(client: TestClient) -> None:
    case_id = _case_ids(client)["helmond"]
    token = token_of(client, case_id)
    assert post(client, case_id, "contact", {"csrf_token": token, "date": "2026-02-02", "kind": "phone",
                                            "reached": "false"}).status_code == 303
    assert post(client, case_id, "interventie", {"csrf_token": token, "id": "volunteering", "started": "2026-02-03",
                                                "status": "declined", "ended": "", "result": ""}).status_code == 303
    assert post(client, case_id, "doel", {"csrf_token": token, "id": "doel-9", "domain": "finances",
                                         "set_on": "2026-02-03", "review_on": "2026-08-03"}).status_code == 303
    assert post(client, case_id, "doel", {"csrf_token": token, "review": "1", "id": "doel-9", "domain": "finances",
                                         "set_on": "2026-02-03", "review_on": "2026-03-01",
                                         "gas_score": "-1"}).status_code == 303
    assert post(client, case_id, "profiel", {"csrf_token": token, "date": "2026-02-04",
                                            "id": "work_activation"}).status_code == 303
    case = stored(client, case_id)
    assert (case.contacts[-1].kind, case.contacts[-1].reached) == ("phone", False)
    assert ("volunteering", "declined") in [(e.id, e.status) for e in case.interventions_log]
    assert [(g.gas_score, g.review_on) for g in case.goals if g.id == "doel-9"] == [(-1, date(2026, 3, 1))]
    assert case.profile_history[-1].id == "work_activation"
    page = client.get(f"/deelnemers/{case_id}/bezoek").text
    assert "2 februari 2026: gebeld, niet bereikt" in page  # Dutch dates on the page


def test_the_profile_form_is_only_where_the_rules_recalibrate_profiles(client: TestClient) -> None:
    ids = _case_ids(client)
    assert 'id="kop-profiel"' in client.get(f"/deelnemers/{ids['helmond']}/bezoek").text
    assert 'id="kop-profiel"' not in client.get(f"/deelnemers/{ids['tilburg']}/bezoek").text


def test_a_wrong_log_entry_is_corrected_then_deleted(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    token = token_of(client, case_id)
    post(client, case_id, "interventie", {"csrf_token": token, "id": "volunteering", "started": "2026-02-03",
                                         "status": "running"})
    edit = client.get(f"/deelnemers/{case_id}/bezoek", params={"id": "volunteering", "started": "2026-02-03"}).text
    assert "Wijzigen: " in edit and "Deze regel verwijderen" in edit
    # an end before the start is the engine's refusal, in Dutch, and the typed values stay
    wrong = post(client, case_id, "interventie/wijzigen", {
        "csrf_token": token, "original_id": "volunteering", "original_started": "2026-02-03", "id": "volunteering",
        "started": "2026-02-03", "status": "stopped", "ended": "2026-01-01"})
    assert wrong.status_code == 422 and "De einddatum ligt vóór de startdatum." in html.unescape(wrong.text)
    assert 'value="2026-01-01"' in wrong.text
    right = post(client, case_id, "interventie/wijzigen", {
        "csrf_token": token, "original_id": "volunteering", "original_started": "2026-02-03", "id": "volunteering",
        "started": "2026-02-01", "status": "stopped", "ended": "2026-02-20", "result": "no_change"})
    assert right.status_code == 303
    entries = [(e.started.isoformat(), e.status) for e in stored(client, case_id).interventions_log if e.id == "volunteering"]
    assert entries == [("2026-02-01", "stopped")]
    gone = post(client, case_id, "interventie/wijzigen", {"csrf_token": token, "original_id": "volunteering",
                                                         "original_started": "2026-02-01", "delete": "1"})
    assert gone.status_code == 303 and "opgeslagen=verwijderd" in gone.headers["location"]
    assert all(e.id != "volunteering" for e in stored(client, case_id).interventions_log)
    # a second tab deleting it again finds it gone: the page as it is, nothing else touched
    again = post(client, case_id, "interventie/wijzigen", {"csrf_token": token, "original_id": "volunteering",
                                                          "original_started": "2026-02-01", "delete": "1"})
    assert again.status_code == 303 and "opgeslagen" not in again.headers["location"]


def test_small_forms_refuse_with_dutch_messages_and_keep_the_values(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    token = token_of(client, case_id)
    before = stored(client, case_id)
    contact = post(client, case_id, "contact", {"csrf_token": token, "date": "2026-02-02", "kind": "phone"})
    assert contact.status_code == 422 and "Bereikt: Vul dit veld in." in html.unescape(contact.text)
    log = post(client, case_id, "interventie", {"csrf_token": token, "id": "volunteering", "started": "2026-02-03",
                                               "status": "running", "ended": "2026-02-10"})
    assert log.status_code == 422 and "heeft geen einddatum" in html.unescape(log.text)
    goal = post(client, case_id, "doel", {"csrf_token": token, "id": "doel-1", "domain": "leisure",
                                         "set_on": "2026-02-03", "review_on": "2026-01-03"})
    assert goal.status_code == 422
    assert "Deze datum ligt vóór de datum waarop het doel gesteld is." in html.unescape(goal.text)
    assert 'value="doel-1"' in goal.text
    after = stored(client, case_id)
    assert (len(after.contacts), len(after.interventions_log), len(after.goals)) == \
        (len(before.contacts), len(before.interventions_log), len(before.goals))


def test_posts_need_the_sessions_token_and_an_unknown_case_is_a_dutch_404(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    token_of(client, case_id)
    refused = post(client, case_id, "contact", {"csrf_token": "x" * 40, "date": "2026-02-02", "kind": "phone",
                                               "reached": "true"})
    assert refused.status_code == 403
    missing = client.get("/deelnemers/bestaat-niet/bezoek")
    assert missing.status_code == 404 and "bestaat niet of hoort niet bij uw deelnemers" in missing.text


def test_another_coach_sees_and_changes_none_of_it_and_without_signing_in_it_asks_to(client: TestClient) -> None:
    case_id = _case_ids(client)["tilburg"]
    count = len(stored(client, case_id).contacts)
    with TestClient(client.app) as bram:
        assert sign_in(bram, "bram").status_code == 303
        for path in ("bezoek", "advies", "mijn-plan"):
            assert bram.get(f"/deelnemers/{case_id}/{path}").status_code == 404
        token = re.search(r'name="csrf_token" value="([^"]+)"', bram.get("/deelnemers").text).group(1)
        answer = bram.post(f"/deelnemers/{case_id}/contact", data={"csrf_token": token, "date": "2026-02-02",
                                                                  "kind": "phone", "reached": "true"})
        assert answer.status_code == 404
    assert len(stored(client, case_id).contacts) == count
    with TestClient(client.app) as nobody:
        answer = nobody.get(f"/deelnemers/{case_id}/bezoek", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/aanmelden?terug=")


@pytest.mark.parametrize("path", sorted((ROOT / "examples" / "cases").glob("*.yaml")), ids=lambda p: p.stem)
def test_a_meting_goes_into_the_form_and_back_unchanged(path: Path) -> None:
    """Every field of a stored meting is in the visit's form: the form's values of the last meting,
    read back as the form reads them, give that meting again."""
    from engine.model import CaseAssessment
    from engine.web.form import to_assessment
    from engine.web.visit import meting_values

    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    for assessment in case["assessments"]:
        stored_meting = CaseAssessment.model_validate(assessment)
        values = meting_values(stored_meting.model_dump(mode="json", exclude_unset=True))
        data, _, errors = to_assessment(values)
        assert errors == {}
        data = {k: v for k, v in data.items() if k not in ("municipality", "schema_version")}
        again = CaseAssessment.model_validate({**data, "date": assessment["date"]})
        assert again == stored_meting, path.stem


def test_a_meting_with_more_professionals_than_the_form_first_offers_keeps_them_all(client: TestClient) -> None:
    """A meting with six professionals involved: the visit's form shows all six and an empty row,
    and saving it unchanged stores all six (the form once held four rows and dropped the rest)."""
    case = yaml.safe_load((ROOT / "examples" / "cases" / "tilburg_stagnatie.yaml").read_text())
    kinds = ["general_practitioner", "debt_counselling", "social_work_team", "client_support",
             "housing_support", "financial_administration"]
    case["case_id"] = "zes-professionals"
    case["assessments"][-1]["existing_support"] = [
        {"kind": kind, "trusted": i % 2 == 0, "organisation": f"Organisatie {i + 1}"} for i, kind in enumerate(kinds)]
    client.app.state.case_store.import_case(ANNA, case)
    case_id = next(s.case_id for s in client.app.state.case_store.list_cases(ANNA) if s.case_id == "zes-professionals")
    page = client.get(f"/deelnemers/{case_id}/bezoek").text
    form = page.split(f'action="/deelnemers/{case_id}/meting"', 1)[1]
    assert "Professional 7: soort" in form and "Professional 8: soort" not in form
    sent = [(k, v) for k, v in form_values(page, f"/deelnemers/{case_id}/meting") if k != "date"]
    answer = post(client, case_id, "meting", sent + [("date", TODAY.isoformat())])
    assert answer.status_code == 303, answer.text
    latest = stored(client, case_id).assessments[-1]
    assert [(s.kind, s.trusted, s.organisation) for s in latest.existing_support] == \
        [(kind, i % 2 == 0, f"Organisatie {i + 1}") for i, kind in enumerate(kinds)]


def test_a_new_form_offers_four_empty_professional_rows() -> None:
    from engine.web.form import support_rows

    assert support_rows({}, 20) == range(4)
    assert support_rows({"existing_support[2].kind": ["fact_team"]}, 20) == range(4)  # 3 filled: still 4
    assert support_rows({"existing_support[3].kind": ["fact_team"]}, 20) == range(5)  # 4 filled: one empty more
    assert support_rows({"existing_support[3].kind": [""]}, 20) == range(4)  # an empty row counts for nothing
    assert support_rows({"existing_support[40].kind": ["fact_team"]}, 20) == range(20)  # never past the contract's maximum
