"""The coach's page in Debian's headless Chromium, driven by Playwright, against uvicorn on loopback.

Fills the form with the keyboard and the mouse as a coach would, submits it without any
script of ours, and checks the result page. The screenshot lands in artifacts/ (gitignored).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine import Engine
from engine.web.app import create_app
from web_server import ServerThread

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server():
    with ServerThread(create_app(Engine.load(), token="")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--no-first-run"])
        yield browser
        browser.close()


def test_coach_gets_debt_counselling_and_a_consent_warning(server: ServerThread, browser) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label("Gemeente", exact=True).select_option("leiden")
    page.get_by_label("Casusnummer").fill("browser-1")
    page.get_by_label("Financiën: zelfredzaamheid").select_option("2")
    page.get_by_label("Financiën: tevredenheid").select_option("1")
    page.get_by_label("Financiën: belangrijkheid").select_option("1")
    page.get_by_label("Sociale contacten: zelfredzaamheid").select_option("2")
    page.get_by_label("Sociale contacten: tevredenheid").select_option("2")
    page.get_by_label("Wonen: zelfredzaamheid").select_option("3")
    page.get_by_label("Problematische schulden").check()
    page.get_by_label("Meer sociaal contact").check()
    consent = page.get_by_label("De deelnemer geeft toestemming om gegevens te delen met andere organisaties")
    assert not consent.is_checked()
    # keyboard: the submit button is reachable and pressable
    page.get_by_role("button", name="Advies opstellen").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith("/advies")
    main = page.locator("main")
    assert "schuldhulpverlening" in main.inner_text().lower()
    assert page.get_by_text("Toestemming nodig").first.is_visible()
    # three domains asked, six not: the score line runs only between neighbouring asked domains
    # (sociale contacten - financiën are not neighbours; wonen - ... neither), the rest is "niet gevraagd"
    assert page.locator("svg.radar circle.self-reliance").count() == 3
    assert page.locator("svg.radar polygon.self-reliance").count() == 0  # never a closed shape through the centre
    assert page.locator("svg.radar tspan.not-asked").count() == 6
    assert page.locator("svg.radar circle.satisfaction").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "advies.png"), full_page=True)
    page.locator("svg.radar").screenshot(path=str(ARTIFACTS / "radar.png"))
    page.emulate_media(media="print")
    assert not page.locator("form").first.is_visible()  # the print stylesheet hides the form
    assert page.get_by_role("heading", name="Wat nu? (eerst bovenaan)").is_visible()
    page.close()


def test_input_error_reshows_the_form_naming_the_field(server: ServerThread, browser) -> None:
    page = browser.new_page()
    page.goto(server.url + "/")
    page.get_by_label("Gemeente", exact=True).select_option("tilburg")
    page.get_by_label("Wonen: tevredenheid").select_option("2")  # no self-reliance for housing
    with page.expect_navigation():
        page.get_by_role("button", name="Advies opstellen").click()
    alert = page.get_by_role("alert")
    assert "Wonen, zelfredzaamheid" in alert.inner_text()
    page.close()


# ---------------------------------------------------------------- phone and desktop widths

WIDTHS = {"phone": 375, "desktop": 1280}
NO_SIDEWAYS = "document.scrollingElement.scrollWidth <= window.innerWidth"


def _fill_case(page) -> None:
    page.get_by_label("Gemeente", exact=True).select_option("tilburg")
    page.get_by_label("Casusnummer").fill("breed-smal-1")
    page.get_by_label("Financiën: zelfredzaamheid").select_option("1")
    page.get_by_label("Financiën: belangrijkheid").select_option("1")
    page.get_by_label("Wonen: zelfredzaamheid").select_option("3")
    page.get_by_label("Sociale contacten: zelfredzaamheid").select_option("2")
    page.get_by_label("Sociale contacten: tevredenheid").select_option("2")
    page.get_by_label("Dagbesteding: zelfredzaamheid").select_option("2")
    page.get_by_label("Problematische schulden").check()


@pytest.mark.parametrize("name", WIDTHS)
def test_no_sideways_scrolling_and_screenshots(server: ServerThread, browser, name: str) -> None:
    width = WIDTHS[name]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
               else (outside.append(route.request.url), route.abort()))
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(server.url + "/")
    assert page.evaluate(NO_SIDEWAYS), page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    domain_row = page.locator("table.domains tbody tr").first.bounding_box()
    if width < 640:  # one block per domain: the row is as wide as the table, its cells stacked
        cell = page.locator("table.domains tbody tr").first.locator("td").nth(1).bounding_box()
        assert cell["y"] > domain_row["y"] + 20
        label = page.locator("table.domains td .cell-label").first
        assert label.bounding_box()["width"] > 50 and "Zelfredzaamheid" in label.inner_text()  # the cell names itself
    page.screenshot(path=str(ARTIFACTS / f"form-{name}.png"), full_page=True)

    _fill_case(page)
    page.get_by_label("Leeftijd").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Advies opstellen").click()
    alert = page.get_by_role("alert").inner_text()
    assert "Vul een getal van 16 tot en met 120 in." in alert and "Input" not in alert
    assert page.evaluate(NO_SIDEWAYS)
    page.screenshot(path=str(ARTIFACTS / f"errors-{name}.png"), full_page=True)

    page.get_by_label("Leeftijd").fill("38")
    with page.expect_navigation():
        page.get_by_role("button", name="Advies opstellen").click()
    assert page.url.endswith("/advies")
    assert page.evaluate(NO_SIDEWAYS), page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert page.get_by_role("heading", name="Nu", exact=True).is_visible()
    # the skip link is the first thing the keyboard reaches, and it leads to the advice
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#advies"
    page.screenshot(path=str(ARTIFACTS / f"advies-{name}.png"), full_page=True)
    page.locator("svg.radar").screenshot(path=str(ARTIFACTS / f"radar-{name}.png"))
    radar = page.locator("svg.radar").bounding_box()
    assert radar["x"] >= 0 and radar["x"] + radar["width"] <= width
    assert outside == []  # nothing but this server was asked for
    context.close()


def test_docs_and_redoc_render_offline(server: ServerThread, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
               else (outside.append(route.request.url), route.abort()))
    page.goto(server.url + "/docs")
    page.locator(".opblock").first.wait_for(timeout=20000)
    assert page.locator(".opblock").count() >= 4
    page.screenshot(path=str(ARTIFACTS / "docs.png"))
    page.goto(server.url + "/redoc")
    page.get_by_text("Advice for one assessment").first.wait_for(timeout=20000)
    page.screenshot(path=str(ARTIFACTS / "redoc.png"))
    assert outside == [], outside
    context.close()


CASE_FILE = Path(__file__).resolve().parent.parent / "examples" / "cases" / "leiden_gestage_voortgang.yaml"


@pytest.mark.parametrize("name", WIDTHS)
def test_case_page_upload_log_an_outcome_and_open_the_report(server: ServerThread, browser, name: str) -> None:
    """A coach loads a case file, logs that volunteering started, downloads the case, opens the report."""
    width = WIDTHS[name]
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True, locale="nl-NL")
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server.url + "/casus")
    assert page.evaluate(NO_SIDEWAYS), page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(ARTIFACTS / f"casus-laden-{name}.png"), full_page=True)
    page.get_by_label("Bestand kiezen").set_input_files(str(CASE_FILE))
    with page.expect_navigation():
        page.get_by_role("button", name="Advies opstellen").click()
    assert page.locator("h2", has_text="Voortgang").count() == 1
    assert page.locator("#kop-wat + h3 + ol").get_by_text("Toeleiding naar vrijwilligerswerk").count() == 1
    assert page.evaluate(NO_SIDEWAYS), page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(ARTIFACTS / f"casus-{name}.png"), full_page=True)

    page.get_by_label("Interventie", exact=True).select_option("volunteering")
    page.get_by_label("Gestart op").fill("2025-12-03")
    page.get_by_label("Status").select_option("running")
    with page.expect_navigation():
        page.get_by_role("button", name="Interventie vastleggen").click()
    assert page.get_by_role("status").inner_text().startswith("De interventie is vastgelegd.")
    assert page.locator("section[aria-labelledby=kop-wat]").get_by_text("Toeleiding naar vrijwilligerswerk").count() == 0
    assert page.evaluate(NO_SIDEWAYS), page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(ARTIFACTS / f"casus-na-toevoegen-{name}.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Casus downloaden (YAML)").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "leiden-traject-01.yaml"
    assert "id: volunteering" in saved and "status: running" in saved

    # the report opens in a new tab; the case page stays as it was behind it
    with context.expect_page() as opened:
        page.get_by_role("button", name="Voortgangsrapportage").click()
    report = opened.value
    report.wait_for_load_state()
    assert report.title().startswith("Voortgangsrapportage leiden-traject-01")
    assert page.locator("h2", has_text="Voortgang").count() == 1
    # the report's inline stylesheet applies (the CSP of /rapport allows it): its accent border under the header
    assert report.evaluate("getComputedStyle(document.querySelector('header.report')).borderBottomWidth") == "3px"
    assert report.evaluate(NO_SIDEWAYS), report.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    report.screenshot(path=str(ARTIFACTS / f"casus-rapport-{name}.png"), full_page=True)
    context.close()
