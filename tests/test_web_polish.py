"""What a new user found on the coach's pages (issue 18, item 9), each held by a test."""
from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pytest

from engine import Engine
from engine.web.app import create_app

with __import__("warnings").catch_warnings():
    __import__("warnings").simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
STEADY = ROOT / "examples" / "cases" / "leiden_gestage_voortgang.yaml"
CSS = ROOT / "engine" / "web" / "static" / "wegwijzer.css"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Engine.load(), token=""))


def token(client: TestClient, path: str = "/") -> str:
    return client.get(path).text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def advise(client: TestClient, **fields: str) -> str:
    data = {"csrf_token": token(client), "municipality": "leiden", "domains.finances.self_reliance": "2",
            "domains.social_network.self_reliance": "2", "circumstances.problematic_debt": "on",
            "wishes": "social_contact", "open_to_support": "on", **fields}
    answer = client.post("/advies", data=data)
    assert answer.status_code == 200, answer.text
    return answer.text


def visible(page: str) -> str:
    """The page's text outside the 'Waarom dit advies?' disclosure."""
    page = re.sub(r'<details class="card why">.*?</details>', "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_duplicate_ids_and_the_consent_list_is_the_chosen_municipalitys(client: TestClient) -> None:
    blank = client.get("/").text
    ids = Counter(re.findall(r' id="([^"]+)"', blank))
    assert [i for i, n in ids.items() if n > 1] == []
    # before a municipality is chosen every city is listed, each checkbox its own
    assert 'id="f-consent-to-share-with-leiden-huisarts"' in blank and 'id="f-consent-to-share-with-helmond-huisarts"' in blank
    page = advise(client)
    ids = Counter(re.findall(r' id="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    consent = page.split("Of: toestemming voor alleen deze organisaties", 1)[1].split("</details>", 1)[0]
    assert "Libertas" in consent and "helmond" not in consent and "tilburg" not in consent


def test_rule_ids_and_the_rules_version_only_behind_waarom_dit_advies(client: TestClient) -> None:
    page = advise(client)
    assert "Waarom dit advies?" in page and "Regels: " in page.split('<details class="card why">', 1)[1]
    shown = visible(page)
    why = page.split('<details class="card why">', 1)[1].split("</details>", 1)[0]
    rules = set(re.findall(r"<li>[^<]*: regel ([^;<\s]+)", why))
    assert len(rules) >= 3
    assert not [rule for rule in rules if rule in shown]
    assert "sha256" not in shown and "Regels:" not in shown


def test_the_consent_warning_once(client: TestClient) -> None:
    page = advise(client)
    assert visible(page).count("Toestemming nodig") == 1
    assert page.count("toestemming nog vragen") >= 1


def test_an_empty_plan_says_what_to_do() -> None:
    from engine.web import page as pages

    template = (ROOT / "engine" / "web" / "templates" / "advice.html").read_text(encoding="utf-8")
    assert "Geen nieuwe interventie." not in template
    assert "Bespreek met de deelnemer wat hij of zij zelf wil" in template
    assert pages._env.get_template("advice.html") is not None


def test_the_case_page_says_meting_gives_dutch_dates_and_an_empty_picker(client: TestClient) -> None:
    page = client.post("/casus", data={"csrf_token": token(client, "/casus"),
                                       "document_text": STEADY.read_text(encoding="utf-8")}).text
    text = visible(page)
    assert "beoordeling" not in text.lower() and "Vervolgmeting" in text
    assert "Van 4 maart 2025 tot 2 december 2025" in text
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), re.findall(r"\b20\d\d-\d\d-\d\d\b", text)
    picker = page.split('<select id="l-id" name="id">', 1)[1]
    assert picker.startswith('<option value="">— kies een interventie —</option>')


def test_pasted_case_errors_are_all_given_with_did_you_mean(client: TestClient) -> None:
    bad = """case_id: x-1
municipality: leidn
assessments:
  - date: 2025-01-01
    domans: {finances: {self_reliance: 2}}
    wishes: [socal_contact]
interventions_log:
  - {id: volunteering, started: 2025-01-02, statsu: running}
"""
    answer = client.post("/casus", data={"csrf_token": token(client, "/casus"), "document_text": bad})
    assert answer.status_code == 422
    errors = html.unescape(answer.text.split('id="fouten"', 1)[1].split("</div>", 1)[0])
    for meant in ("domains", "social_contact", "status", "leiden"):
        assert f"Bedoelt u '{meant}'?" in errors, meant
    assert errors.count("<li>") == 6  # every problem, as `wegwijzer recommend` lists them


def test_checkboxes_are_at_least_24_px() -> None:
    css = CSS.read_text(encoding="utf-8")
    rule = re.search(r"input\[type=checkbox\],input\[type=radio\]\{([^}]*)\}", css)
    assert rule and "min-width:24px" in rule.group(1) and "min-height:24px" in rule.group(1)
