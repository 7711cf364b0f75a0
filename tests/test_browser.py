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
    page.get_by_label("Gemeente").select_option("leiden")
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
    assert page.locator("svg.radar polygon.self-reliance").count() == 1
    assert page.locator("svg.radar polygon.satisfaction").count() == 1
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
    page.get_by_label("Gemeente").select_option("tilburg")
    page.get_by_label("Wonen: tevredenheid").select_option("2")  # no self-reliance for housing
    with page.expect_navigation():
        page.get_by_role("button", name="Advies opstellen").click()
    alert = page.get_by_role("alert")
    assert "Wonen, zelfredzaamheid" in alert.inner_text()
    page.close()
