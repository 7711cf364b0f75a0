"""A coach's whole journey in Debian's Chromium, at a phone's width (375 px) and a laptop's (1280 px):
sign in -> a new participant from the intake -> three visits over months (metingen, contacts, a
goal and its GAS score, a wrong log entry corrected) -> decisions on the advice -> the progress
report -> Mijn plan for the participant -> sign out.

Every page on the way is checked by axe-core (tests/a11y, installed by `make install-dev`,
injected into the page): no serious or critical violation. Every page fits the width (no
sideways scrolling), and a screenshot of each lands in artifacts/ (gitignored) to be looked at.
This test fails, not skips, when Chromium, Playwright or axe-core is missing.
"""
from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright import sync_api  # a missing Playwright is a collection error: a failure, never a skip

from engine import Engine
from engine.web.app import create_app
from web_server import ServerThread
from web_signin import PASSWORD, store_with_users

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
WIDTHS = {"telefoon": 375, "laptop": 1280}
NO_SIDEWAYS = "document.scrollingElement.scrollWidth <= window.innerWidth"
BLOCKING = ("serious", "critical")


def test_the_tools_are_there() -> None:
    """Said once, plainly, before the journeys fail on it."""
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    assert AXE.exists(), f"{AXE} is missing: make install-dev (it runs npm ci in tests/a11y)"


@pytest.fixture(scope="module")
def clock():
    """The server's 'today' (engine.web.caseload.today), moved on between the visits."""
    from engine.web import caseload

    now = {"day": date.today()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caseload, "today", lambda: now["day"])
        yield now


@pytest.fixture(scope="module")
def server(tmp_path_factory, clock):
    app = create_app(Engine.load(), token="")
    app.state.case_store = store_with_users(f"sqlite:///{tmp_path_factory.mktemp('journey') / 'cases.sqlite'}")
    with ServerThread(app) as running:
        running.app = app
        yield running
    app.state.case_store.close()


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--no-first-run"])
        yield launched
        launched.close()


def test_axe_is_injected_and_finds_a_missing_label(browser) -> None:
    """The check below is real: on a page with an unlabelled field and an image without text it fails."""
    page = browser.new_page()
    page.set_content('<!DOCTYPE html><html lang="nl"><title>x</title><main><img src="a.png">'
                     '<input type="text" name="q"></main></html>')
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations.map(v => [v.id, v.impact])")
    assert ["image-alt", "critical"] in found and ["label", "critical"] in found
    page.close()


class Journey:
    """One coach's tab, with the checks every page on the way gets."""

    def __init__(self, page, width: int, name: str):
        self.page, self.width, self.name, self.step = page, width, name, 0
        self.checked: list[str] = []

    def look(self, what: str) -> None:
        """axe-core on this page (no serious or critical violation), no sideways scrolling, a screenshot."""
        page = self.page
        page.wait_for_load_state()
        assert page.evaluate(NO_SIDEWAYS), (what, page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]"))
        shown = page.locator("body").inner_text()
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", shown), (what, re.findall(r"\b\d{4}-\d{2}-\d{2}\b", shown))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        blocking = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
                    for v in result["violations"] if v["impact"] in BLOCKING]
        assert blocking == [], (what, page.url, blocking)
        self.step += 1
        page.screenshot(path=str(ARTIFACTS / f"reis-{self.name}-{self.step:02d}-{what}.png"), full_page=True)
        self.checked.append(what)

    def submit(self, button: str, scope=None) -> None:
        with self.page.expect_navigation():
            (scope or self.page).get_by_role("button", name=button, exact=True).click()

    def notice(self) -> str:
        return self.page.get_by_role("status").first.inner_text()


def _visit(j: Journey, case_id: str, day: date, finances: str, social: str) -> None:
    """One visit: a contact, then a new meting with what changed (the rest carried over)."""
    page = j.page
    page.goto(j.base + f"/deelnemers/{case_id}")
    page.get_by_role("link", name="Bezoek vastleggen").click()
    page.wait_for_load_state()
    contact = page.locator("form[action$='/contact']")
    assert contact.get_by_label("Datum").input_value() == day.isoformat()  # today's date, filled in
    contact.get_by_label("Soort contact").select_option("home_visit")
    contact.get_by_label("Bereikt").select_option("true")
    j.submit("Contact opslaan", contact)
    assert j.notice() == "Het contact is opgeslagen."
    meting = page.locator("form[action$='/meting']")
    assert meting.get_by_label("Datum van de meting").input_value() == day.isoformat()
    meting.get_by_label("Financiën: zelfredzaamheid").select_option(finances)
    meting.get_by_label("Sociaal netwerk: zelfredzaamheid").select_option(social)
    j.submit("Meting opslaan", meting)
    assert j.notice() == "De meting is opgeslagen."


def _decide(j: Journey, case_id: str, answers: list[tuple[str, str]]) -> list[str]:
    """On the advice page: each answer (decision label, reason label or '') for the next Nu step in turn."""
    page = j.page
    page.goto(j.base + f"/deelnemers/{case_id}/advies")
    decided = []
    for label, reason in answers:
        undecided = page.locator("div.decision").filter(has_not=page.locator("p.decided"))
        block = undecided.first if undecided.count() else page.locator("div.decision").first  # else decide anew
        step = block.get_attribute("id").removeprefix("besluit-")
        block.get_by_label(label, exact=True).check()
        if reason:
            block.get_by_label("Reden").select_option(label=reason)
        with page.expect_navigation():
            block.get_by_role("button", name=re.compile(r"^Besluit opslaan")).click()
        assert j.notice().startswith("Het besluit is opgeslagen")
        decided.append(step)
    return decided


@pytest.mark.parametrize("name", WIDTHS)
def test_a_coachs_journey_over_three_visits(server: ServerThread, browser, clock, name: str) -> None:
    assert AXE.exists(), f"{AXE} is missing: make install-dev (it runs npm ci in tests/a11y)"
    ARTIFACTS.mkdir(exist_ok=True)
    width = WIDTHS[name]
    start = date.today()
    clock["day"] = start
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="nl-NL",
                                  bypass_csp=True)  # axe is injected as a script; the pages themselves run none
    outside: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
                  else (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    j = Journey(page, width, name)
    j.base = server.url
    case_id = f"reis-{width}"

    # sign in
    page.goto(server.url + "/deelnemers")
    assert "/aanmelden" in page.url
    j.look("aanmelden")
    page.get_by_label("Gebruikersnaam").fill("anna")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    j.submit("Aanmelden")
    assert page.url.endswith("/deelnemers")
    j.look("mijn-deelnemers")

    # a new participant from the intake
    page.get_by_role("link", name="Nieuwe deelnemer").click()
    page.wait_for_load_state()
    j.look("intake")
    page.get_by_label("Gemeente", exact=True).select_option("leiden")
    page.get_by_label("Casusnummer").fill(case_id)
    page.get_by_label("Leeftijd").fill("44")
    page.get_by_label("Trede participatieladder").first.select_option("1")
    page.get_by_label("Financiën: zelfredzaamheid").select_option("2")
    page.get_by_label("Financiën: tevredenheid").select_option("1")
    page.get_by_label("Financiën: belangrijkheid").select_option("1")
    page.get_by_label("Sociaal netwerk: zelfredzaamheid").select_option("2")
    page.get_by_label("Sociale contacten: zelfredzaamheid").select_option("2")
    page.get_by_label("Problematische schulden").check()
    page.get_by_label("Meer sociaal contact").check()
    j.submit("Opslaan als nieuwe deelnemer")
    assert page.url.endswith(f"/deelnemers/{case_id}?nieuw=1")
    j.look("deelnemer-nieuw")

    # visit 1, three months on: a contact, a meting, decisions on the advice
    clock["day"] = start + timedelta(days=91)
    _visit(j, case_id, clock["day"], finances="2", social="3")
    j.look("bezoek-1")
    accepted, set_aside = _decide(j, case_id, [("akkoord", ""), ("niet nu", "wachtlijst")])
    text = page.locator("main").inner_text()
    assert "Besluit: niet nu — wachtlijst" in text
    j.look("besluit-1")

    # a save the engine refuses comes back filled in, in Dutch
    page.goto(server.url + f"/deelnemers/{case_id}/bezoek")
    new_goal = page.locator("form[action$='/doel']").last
    new_goal.get_by_label("Korte naam van het doel").fill("vaker-buiten")
    new_goal.get_by_label("Leefgebied").select_option("social_network")
    new_goal.get_by_label("Beoordelen op").fill((clock["day"] - timedelta(days=30)).isoformat())
    j.submit("Doel opslaan", new_goal)
    alert = page.get_by_role("alert").first.inner_text()
    assert "vóór de datum waarop het doel gesteld is" in alert
    assert page.locator("form[action$='/doel']").last.get_by_label("Korte naam van het doel").input_value() == "vaker-buiten"
    j.look("bezoek-fout")
    new_goal = page.locator("form[action$='/doel']").last
    new_goal.get_by_label("Beoordelen op").fill((clock["day"] + timedelta(days=180)).isoformat())
    j.submit("Doel opslaan", new_goal)
    assert j.notice() == "Het doel is opgeslagen."

    # visit 2, six months on
    clock["day"] = start + timedelta(days=182)
    _visit(j, case_id, clock["day"], finances="3", social="3")
    # the accepted step was logged as running from visit 1; correct it: it stopped, without result
    page.get_by_role("link", name=re.compile("wijzigen of verwijderen")).first.click()
    page.wait_for_load_state()
    edit = page.locator("form[action$='/interventie/wijzigen']")
    edit.get_by_label("Status").select_option("completed")
    edit.get_by_label("Beëindigd op").fill(clock["day"].isoformat())
    edit.get_by_label("Resultaat").select_option("improved")
    j.submit("Wijziging opslaan", edit)
    assert j.notice() == "De interventie is gewijzigd."
    assert "afgerond" in page.locator("#kop-interventies").locator("xpath=..").inner_text()
    j.look("bezoek-2")

    # visit 3, nine months on: the goal's GAS score, another decision
    clock["day"] = start + timedelta(days=273)
    _visit(j, case_id, clock["day"], finances="4", social="4")
    goal = page.locator("form.goal").first
    goal.get_by_label("GAS-score").select_option("1")
    j.submit("Doel bijwerken (vaker-buiten)", goal)
    assert j.notice() == "Het doel is opgeslagen."
    j.look("bezoek-3")
    _decide(j, case_id, [("anders", "past niet bij de situatie")])
    j.look("besluit-3")

    # the progress report, from the participant's page
    page.goto(server.url + f"/deelnemers/{case_id}")
    j.look("deelnemer")
    page.get_by_role("link", name="Voortgangsrapportage").first.click()
    page.wait_for_load_state()
    assert page.title().startswith("Voortgangsrapportage")
    report = page.locator("body").inner_text()
    assert "4 metingen" in report  # the intake and three visits
    j.look("rapport")

    # Mijn plan: a date agreed for the first step, printed
    page.goto(server.url + f"/deelnemers/{case_id}/mijn-plan")
    first = page.locator("form.no-print input[type=date]").first
    first.fill((clock["day"] + timedelta(days=7)).isoformat())
    j.submit("Plan bijwerken")
    plan = page.locator("article.my-plan").inner_text()
    assert "Wie helpt u?" in plan and "Wanneer?" in plan and "Op " in plan
    assert "Hier bent u al mee bezig" not in plan or "U bent begonnen op" in plan
    j.look("mijn-plan")
    page.emulate_media(media="print")
    assert not page.locator("form.no-print").is_visible() and page.locator("article.my-plan").is_visible()
    assert not page.locator("body > header").is_visible()  # no 'bijstandsgerechtigden' on the participant's page
    page.screenshot(path=str(ARTIFACTS / f"reis-{name}-mijn-plan-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # sign out: the pages ask to sign in again
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_load_state()
    assert "U bent afgemeld." in page.locator("main").inner_text()
    j.look("afgemeld")
    page.goto(server.url + f"/deelnemers/{case_id}/bezoek")
    assert "/aanmelden" in page.url

    # what was stored: three visits after the intake, each saved through the store
    from engine.store import Actor

    case = server.app.state.case_store.get(Actor("anna", "coach", "noord"), case_id)
    assert len(case.assessments) == 4 and len(case.contacts) == 3 and len(case.goals) == 1
    assert case.goals[0].gas_score == 1
    decisions = server.app.state.case_store.decisions(Actor("anna", "coach", "noord"), case_id)
    assert [d["decision"] for d in decisions] == ["accepted", "not_now", "other"]
    assert decisions[0]["intervention_id"] == accepted and decisions[1]["intervention_id"] == set_aside
    assert outside == []  # nothing but this server was asked for
    assert len(j.checked) >= 12
    context.close()
