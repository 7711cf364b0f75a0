"""The coach's page: hardening (issue 9 item 8), templates and the step plan (issue 11 item 5),
Dutch messages, radar, skip link, offline /docs and the new fields (issue 13 item 1)."""
from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import httpx
import pytest

from engine import Engine
from engine.model import DueItem, FromTo, GoalCounts, Progress
from engine.web import page
from engine.web.app import ConfigError, create_app
from engine.web.dutch import is_bsn
from engine.web.radar import RADIUS, LEVELS, geometry

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "engine" / "web"
FORM = {
    "municipality": "leiden", "case_id": "page-1", "domains.finances.self_reliance": "2",
    "domains.finances.satisfaction": "1", "domains.finances.priority": "1",
    "domains.social_contacts.self_reliance": "3", "circumstances.problematic_debt": "on", "open_to_support": "on",
}
# English library text and regular expressions that must never reach the coach's page
ENGLISH = ("Input should", "Field required", "String should", "pattern", "^[", "value_error", "Value error",
           "greater than", "less than", "valid integer", "unknown field", "Extra inputs")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture()
def client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine, token=""))


def token(client: TestClient) -> str:
    return client.get("/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def post(client: TestClient, data: dict, **headers: str) -> httpx.Response:
    return client.post("/advies", data={**data, "csrf_token": token(client)}, headers=headers)


def errors_of(html: str) -> dict[str, str]:
    """{field id: message} from the error summary."""
    return {m.group(1): re.sub(r"<[^>]+>", "", m.group(2)).strip()
            for m in re.finditer(r'<li><a href="#([^"]+)">[^<]*</a>: ([^<]*)</li>', html)}


# ---------------------------------------------------------------- hardening (issue 9 item 8)


def test_security_headers_on_pages_answers_and_errors(client: TestClient) -> None:
    for response in (client.get("/"), post(client, FORM), client.post("/v1/recommend", json={"municipality": "leiden"}),
                     client.get("/v1/nope")):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp  # the page runs no script at all
    css = client.get("/static/wegwijzer.css")
    assert css.headers.get("cache-control") != "no-store"  # no client data in the stylesheet


def test_no_inline_script_or_style_in_the_pages(client: TestClient) -> None:
    for html in (client.get("/").text, post(client, FORM).text, post(client, {**FORM, "age": "7"}).text):
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)  # no event handler attributes


def test_form_posts_need_the_token_and_a_matching_origin(client: TestClient) -> None:
    without = client.post("/advies", data=FORM)
    assert without.status_code == 403 and "verlopen" in without.text
    assert without.headers["content-type"].startswith("text/html")
    good = token(client)
    assert client.post("/advies", data={**FORM, "csrf_token": "x" * 43}).status_code == 403
    evil = client.post("/advies", data={**FORM, "csrf_token": good}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert client.post("/advies", data={**FORM, "csrf_token": good}, headers={"Origin": "null"}).status_code == 200
    assert client.post("/advies", data={**FORM, "csrf_token": good},
                       headers={"Origin": "http://testserver"}).status_code == 200
    cookie = client.get("/").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    fresh = TestClient(client.app)  # a token from another browser (no cookie) is refused
    assert fresh.post("/advies", data={**FORM, "csrf_token": good}).status_code == 403


def test_control_characters_in_logged_paths_are_escaped(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wegwijzer.web"):
        client.get("/x%0a2026-01-01 INFO wegwijzer.web: GET /forged 200%1b[2J")
    lines = [r.getMessage() for r in caplog.records if r.name == "wegwijzer.web"]
    assert lines and all("\n" not in line and "\x1b" not in line for line in lines)
    assert any("/x\\n2026-01-01" in line and "\\x1b" in line for line in lines), lines


def test_a_case_id_in_a_path_is_masked_in_the_access_log(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wegwijzer.web"):
        client.get("/v1/cases/client-4711/report")
        client.get("/v1/cases")
    lines = [r.getMessage() for r in caplog.records if r.name == "wegwijzer.web"]
    assert any("/v1/cases/{id}/report" in line for line in lines), lines
    assert any(line.startswith("GET /v1/cases ") for line in lines), lines
    assert not any("client-4711" in line for line in lines)


def test_an_empty_token_variable_is_an_error(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJZER_TOKEN", "")
    with pytest.raises(ConfigError, match="set but empty"):
        create_app(engine)
    monkeypatch.setenv("WEGWIJZER_TOKEN", "   ")
    with pytest.raises(ConfigError):
        create_app(engine)


def test_the_form_converts_its_own_fields_and_refuses_what_is_not_a_number(client: TestClient) -> None:
    ok = post(client, {**FORM, "age": "44", "years_on_benefit": "2,5", "household.children_under_18": "2",
                       "household.single": "true", "ladder_rung": "2"})
    assert ok.status_code == 200, errors_of(ok.text)
    bad = post(client, {**FORM, "age": "2.0", "conversations_held": "1e3", "domains.finances.self_reliance": "2.0",
                        "household.single": "misschien", "years_on_benefit": "twee"})
    assert bad.status_code == 422
    found = errors_of(bad.text)
    assert found["f-age"].startswith("Vul een heel getal in")
    assert found["f-conversations-held"].startswith("Vul een heel getal in")
    assert found["f-domains-finances-self-reliance"] == "Kies een van de mogelijkheden uit de lijst."
    assert found["f-household-single"] == "Kies een van de mogelijkheden uit de lijst."
    assert found["f-years-on-benefit"].startswith("Vul een getal in")


def test_more_than_1000_fields_is_a_dutch_422(client: TestClient) -> None:
    data = [("municipality", "leiden"), ("csrf_token", token(client))] + [("wishes", "x")] * 1001
    body = "&".join(f"{k}={v}" for k, v in data)
    response = client.post("/advies", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "te veel velden" in response.text


# ---------------------------------------------------------------- Dutch messages (issue 13 item 1)


@pytest.mark.parametrize("change, field, expected", [
    ({"age": "7"}, "f-age", "Vul een getal van 16 tot en met 120 in."),
    ({"age": "121"}, "f-age", "Vul een getal van 16 tot en met 120 in."),
    ({"wage_value_pct": "101"}, "f-wage-value-pct", "Vul een getal van 0 tot en met 100 in."),
    ({"years_on_benefit": "106"}, "f-years-on-benefit", "Vul een getal van 0 tot en met 105 in."),
    ({"domains.finances.self_reliance": "6"}, "f-domains-finances-self-reliance", "Vul een getal van 1 tot en met 5 in."),
    ({"domains.finances.priority": "10"}, "f-domains-finances-priority", "Vul een getal van 1 tot en met 9 in."),
    ({"case_id": "jan de vries"}, "f-case-id", "Gebruik alleen letters, cijfers"),
    ({"case_id": "111222333"}, "f-case-id", "Dit lijkt een BSN"),
    ({"municipality": ""}, "f-municipality", "Kies een gemeente."),
    ({"municipality": "amsterdam"}, "f-municipality", "Kies een gemeente."),
    ({"domains.housing.satisfaction": "2"}, "f-domains-housing-self-reliance", "Vul ook de zelfredzaamheid in"),
    ({"domains.housing.self_reliance": "3", "domains.housing.priority": "1"}, "f-domains-finances-priority",
     "Belangrijkheid 1 is al gegeven aan"),
    ({"igm.talent": "11"}, "f-igm-talent", "Vul een getal van 1 tot en met 10 in."),
    ({"circumstances.language_level": "c2"}, "f-circumstances-language-level", "Kies een van de mogelijkheden"),
])
def test_every_validation_message_is_plain_dutch(client: TestClient, change: dict, field: str, expected: str) -> None:
    response = post(client, {**FORM, **change})
    assert response.status_code == 422
    found = errors_of(response.text)
    assert field in found, found
    assert found[field].startswith(expected), found[field]
    assert not [word for word in ENGLISH if word in response.text]


def test_no_domains_at_all_is_a_dutch_message(client: TestClient) -> None:
    found = errors_of(post(client, {"municipality": "tilburg"}).text)
    assert list(found.values()) == ["Vul bij ten minste één leefgebied de zelfredzaamheid in."]


def test_the_api_keeps_its_english(client: TestClient) -> None:
    body = client.post("/v1/recommend", json={"municipality": "leiden", "age": 7, "domains": {"finances": {"self_reliance": 2}}}).json()
    assert body["errors"][0]["field"] == "age" and "greater than or equal" in body["errors"][0]["message"]


def test_bsn_eleven_test_on_both_sides() -> None:
    assert is_bsn("111222333") and is_bsn("123456782")
    assert not is_bsn("123456789") and not is_bsn("000000000") and not is_bsn("11122233") and not is_bsn("1112223334")


def test_a_nine_digit_case_number_that_is_not_a_bsn_is_accepted(client: TestClient) -> None:
    assert post(client, {**FORM, "case_id": "123456789"}).status_code == 200


# ---------------------------------------------------------------- templates and step plan (issue 11 item 5)


def test_python_builds_no_html() -> None:
    tag = re.compile(r"""["'][^"'\n]*<(div|p|h[1-6]|section|li|ul|ol|form|input|select|option|svg|table|tr|td|"""
                     r"""span|a|label|fieldset|main|header|footer|polygon|circle|text)[\s>/]""")
    offenders = [f"{path.name}:{n}" for path in sorted(WEB.glob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if tag.search(line)]
    assert offenders == []
    assert (WEB / "templates" / "base.html").exists() and (WEB / "static" / "wegwijzer.css").exists()


def test_templates_autoescape(engine: Engine) -> None:
    html = page.form_page(engine.book, {"case_id": ['"><script>x</script>']}, {"case_id": "<b>fout</b>"})
    assert "<script>x" not in html and "&lt;script&gt;" in html and "&lt;b&gt;fout" in html


def _recommendation(engine: Engine):
    data = {"municipality": "leiden", "conversations_held": 5, "open_to_support": True,
            "domains": {"finances": {"self_reliance": 2, "priority": 1}, "social_contacts": {"self_reliance": 2},
                        "daytime_activities": {"self_reliance": 2}},
            "circumstances": {"problematic_debt": True}, "wishes": ["social_contact", "volunteering"]}
    return data, engine.recommend(data)


def test_the_step_plan_is_grouped_by_phase_with_what_later_steps_wait_for(engine: Engine) -> None:
    data, rec = _recommendation(engine)
    assert len(rec.interventions) >= 3
    first, second, third = rec.interventions[:3]
    staged = rec.model_copy(update={"interventions": [
        first, second.model_copy(update={"phase": "next", "waits_for": [first.id]}),
        third.model_copy(update={"phase": "later", "waits_for": ["trust", first.id]}),
        *rec.interventions[3:]]})
    html = page.result_page(engine.book, staged, data["domains"], {})
    headings = re.findall(r'<h3 class="phase phase-(\w+)">(\w+)</h3>', html)
    assert headings == [("now", "Nu"), ("next", "Daarna"), ("later", "Later")]
    later = html.split('phase-later">Later</h3>', 1)[1]
    assert f"Wacht op: eerst vertrouwen opbouwen; {first.label_nl}" in later
    assert f"Wacht op: {first.label_nl}" in html.split('phase-next">Daarna</h3>', 1)[1].split("phase-later")[0]
    # a plan whose items are all 'now': one group, no waiting
    all_now = rec.model_copy(update={"interventions": [
        item.model_copy(update={"phase": "now", "waits_for": []}) for item in rec.interventions[:3]]})
    plain = page.result_page(engine.book, all_now, data["domains"], {})
    assert re.findall(r'<h3 class="phase phase-(\w+)">', plain) == ["now"] and "Wacht op" not in plain


def test_due_and_progress_are_shown_when_present_and_never_invented(engine: Engine) -> None:
    data, rec = _recommendation(engine)
    html = page.result_page(engine.book, rec, data["domains"], {})
    assert "Nu aan de beurt" not in html and "Voortgang" not in html
    due = DueItem(id="review_goals", reason_nl="De doelen zijn een half jaar geleden gesteld.", reason_en="x",
                  rule="due_review_goals", source="seed:L2982-2998")
    progress = Progress(since="2026-01-05", until="2026-07-01",
                        domains={"finances": FromTo(**{"from": 2, "to": 3})}, ladder=FromTo(**{"from": 1, "to": 2}),
                        igm={"attitude": FromTo(**{"from": 4, "to": 6})}, goals=GoalCounts(total=3, reviewed=2, achieved=1))
    html = page.result_page(engine.book, rec.model_copy(update={"due": [due], "progress": progress}), data["domains"], {})
    assert "Nu aan de beurt" in html and "De doelen zijn een half jaar geleden gesteld." in html
    assert "Voortgang" in html and "Van 5 januari 2026 tot 1 juli 2026." in html
    assert "Trede participatieladder: 1 → 2" in html and "IGM, Attitude (houding t.a.v. participatie): 4 → 6" in html
    assert "Doelen: 3 gesteld, 2 beoordeeld, 1 behaald" in html
    assert "Klantprofiel: " not in html.split("Voortgang", 1)[1].split("</section>", 1)[0]  # no profile given: none shown


# ---------------------------------------------------------------- radar, contrast, skip link


def _radius(point: str) -> float:
    from engine.web.radar import CENTRE_X, CENTRE_Y

    x, y = (float(v) for v in point.split(","))
    return ((x - CENTRE_X) ** 2 + (y - CENTRE_Y) ** 2) ** 0.5


def test_a_domain_not_asked_is_niet_gevraagd_never_below_acute() -> None:
    radar = geometry({"finances": 1, "housing": 3, "social_contacts": 2}, {"finances": 2})
    not_asked = [a for a in radar["axes"] if not a["asked"]]
    assert len(not_asked) == 6 and "Lichamelijke gezondheid" in radar["not_asked"]
    level_one = RADIUS / LEVELS
    for shape in radar["shapes"]:
        assert all(_radius(p) >= level_one - 0.5 for p in shape["points"].split())  # nothing inside 'acuut'
        assert not shape["closed"]  # the line breaks where a domain was not asked
    assert len([d for d in radar["dots"] if d["kind"] == "self-reliance"]) == 3
    assert "Lichamelijke gezondheid: niet gevraagd" in radar["description"]
    full = geometry({d: 3 for d in ("housing", "daytime_activities", "social_network", "finances", "physical_health",
                                    "mental_health", "leisure", "safety", "social_contacts")})
    assert [s["closed"] for s in full["shapes"]] == [True] and full["not_asked"] == []


def test_radar_on_the_page_marks_niet_gevraagd(client: TestClient) -> None:
    html = post(client, FORM).text
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count('<tspan class="not-asked"') == 7 and "niet gevraagd" in svg
    assert '<polygon class="self-reliance"' not in svg  # no closed shape through the centre


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_tick_labels_and_focus_ring_meet_wcag_aa() -> None:
    css = (WEB / "static" / "wegwijzer.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z]+):(#[0-9a-fA-F]{6})", css))
    assert ".radar .tick{font-size:11px;fill:var(--tick)}" in css
    assert contrast(colours["tick"], "#ffffff") >= 4.5  # small text: 4.5:1
    assert ":focus-visible{outline:3px solid var(--focus);outline-offset:2px;box-shadow:0 0 0 5px var(--halo)}" in css
    # The ring is a dark outline 2-5 px out, with the yellow halo filling the 2 px gap next to the control:
    # dark against the page, yellow against the control (the blue button too), dark against yellow. 3:1 each.
    for background in ("#ffffff", "#fafafa"):
        assert contrast(colours["focus"], background) >= 3
    for control in ("#ffffff", colours["accent"]):
        assert contrast(colours["halo"], control) >= 3 or contrast(colours["focus"], control) >= 3
    assert contrast(colours["halo"], colours["accent"]) >= 3 and contrast(colours["focus"], colours["halo"]) >= 3
    assert contrast(colours["muted"], "#ffffff") >= 4.5 and contrast(colours["warn"], colours["warnbg"]) >= 4.5
    assert contrast("#e0e0e0", "#ffffff") < 3  # the check can fail: a pale grey does not pass


def test_skip_link_to_the_advice(client: TestClient) -> None:
    html = post(client, FORM).text
    assert html.index('<a class="skip" href="#advies">Naar het advies</a>') < html.index("<header>")
    assert 'id="advies"' in html
    assert '<a class="skip" href="#inhoud">' in client.get("/").text


# ---------------------------------------------------------------- /docs offline, new fields


def test_docs_and_redoc_are_served_from_this_server(client: TestClient) -> None:
    for path, asset in (("/docs", "/static/docs/swagger-ui-bundle.js"), ("/redoc", "/static/docs/redoc.standalone.js")):
        html = client.get(path).text
        assert asset in html
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert external == [], external
        assert "fonts.googleapis" not in html
        assert client.get(asset).status_code == 200
    assert client.get("/static/docs/swagger-ui.css").status_code == 200
    assert "'unsafe-inline'" in client.get("/docs").headers["content-security-policy"]  # only the viewers


def test_the_form_asks_igm_consent_per_organisation_and_unaffordable_cost(client: TestClient, engine: Engine) -> None:
    html = client.get("/").text
    igm = re.findall(r'<select id="f-igm-([a-z-]+)"', html)
    assert len(igm) == 13
    assert "<details" in html.split("Integratief Gedragsmodel", 1)[1][:200]
    assert 'name="circumstances.unaffordable_cost"' in html
    assert 'name="consent_to_share_with" value="libertas"' in html
    response = post(client, {**FORM, "igm.talent": "4", "igm.attitude": "7", "circumstances.unaffordable_cost": "on",
                             "consent_to_share_with": "schuldhulp_leiden" if "schuldhulp_leiden" in
                             engine.book.municipalities["leiden"].organisations else "libertas"})
    assert response.status_code == 200, errors_of(response.text)
    assert 'id="f-igm-talent" name="igm.talent"' in response.text and '<option value="4" selected>' in response.text


def test_over_the_request_cap_a_coach_gets_a_dutch_page_and_a_program_json(engine: Engine) -> None:
    capped = TestClient(create_app(engine, token="", max_requests=0))  # every request is one too many
    page_answer = capped.get("/")
    assert page_answer.status_code == 503 and page_answer.headers["retry-after"] == "1"
    assert page_answer.headers["content-type"].startswith("text/html") and "erg druk" in page_answer.text
    api = capped.get("/v1/rules")
    assert api.status_code == 503 and api.headers["content-type"].startswith("application/problem+json")
    assert capped.get("/healthz").status_code == 200
