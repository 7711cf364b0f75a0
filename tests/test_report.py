"""The progress report (voortgangsrapportage): content, escaping, offline, and in Chromium at
1280 and 375 px and printed to A4. Screenshots and the PDF land in artifacts/ (gitignored)."""
from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import pytest
import yaml

from engine import Engine
from engine.cli import main
from engine.errors import InputError
from engine.report import render_report

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
ENGINE = Engine.load()
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"


def load_case(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_the_report_shows_what_the_pilots_measured(path):
    data = load_case(path)
    rec = ENGINE.recommend(data)
    html = render_report(ENGINE, data, "html")
    for heading in ("Voortgangsrapportage", "Leefgebieden: zelfredzaamheid", "Participatieladder",
                    "Doelen (Goal Attainment Scaling)", "Interventies en resultaat", "Tijdlijn", "Het stappenplan nu"):
        assert heading in html, heading
    # each assessment drawn once: a closed shape when every domain was scored, else lines broken at the gaps
    for which in ("first", "latest"):
        assert html.count(f'<polygon class="{which}"') == 1 or html.count(f'<polyline class="{which}"') >= 1, which
    for item in rec.interventions:
        assert item.label_nl.replace("'", "&#39;") in html
    for due in rec.due:
        assert "Wat staat er open" in html and due.reason_nl.replace("'", "&#39;") in html
    if rec.progress.igm:
        assert "Integratief Gedragsmodel" in html
    markdown = render_report(ENGINE, data, "markdown")
    assert markdown.startswith("# Voortgangsrapportage") and "| Leefgebied | Begin | Nu | Verschil |" in markdown
    assert "### Nu" in markdown and "### Daarna" in markdown and "### Later" in markdown


def test_the_report_is_offline_and_printable():
    html = render_report(ENGINE, load_case(CASES[0]), "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    assert "@page { size: A4" in html and "@media print" in html


def test_text_from_the_case_is_escaped():
    data = load_case(next(p for p in CASES if "helmond" in p.name))
    data = copy.deepcopy(data)
    for a in data["assessments"]:
        a["existing_support"] = [{"kind": "mental_health_care", "organisation": "<script>alert(1)</script>", "trusted": True}]
    html = render_report(ENGINE, data, "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_same_case_gives_the_same_report():
    data = load_case(CASES[1])
    assert render_report(ENGINE, data, "html") == render_report(Engine.load(), copy.deepcopy(data), "html")


def test_the_report_command(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(CASES[0]), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["report", str(CASES[0]), "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("# Voortgangsrapportage")
    plain = ROOT / "examples" / "leiden_weigert.yaml"
    assert main(["report", str(plain)]) == 2
    err = capsys.readouterr().err
    assert "assessments" in err and "Traceback" not in err
    with pytest.raises(InputError):
        render_report(ENGINE, load_case(CASES[0]), "pdf")


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing: apt-get install chromium")
def test_the_report_in_chromium_at_1280_and_375_and_on_a4():
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    html = render_report(ENGINE, load_case(next(p for p in CASES if "stagnatie" in p.name)), "html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        try:
            for width in (1280, 375):
                page = browser.new_page(viewport={"width": width, "height": 900})
                requests: list[str] = []
                page.on("request", lambda request: requests.append(request.url))
                page.set_content(html, wait_until="load")
                assert [u for u in requests if not u.startswith(("data:", "about:"))] == []  # offline
                # nothing wider than the screen but the tables' own scroll boxes
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                assert page.locator("svg.radar").bounding_box()["width"] > 250
                columns = page.locator(".plan > section").all()
                assert [c.locator("h3").inner_text() for c in columns] == ["Nu", "Daarna", "Later"]
                boxes = [c.bounding_box() for c in columns]
                if width == 1280:  # side by side
                    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"]
                else:  # stacked
                    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
                page.screenshot(path=str(ARTIFACTS / f"report_{width}.png"), full_page=True)
                if width == 1280:
                    page.emulate_media(media="print")
                    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
                    (ARTIFACTS / "report.pdf").write_bytes(pdf)
                    boxes_a4 = re.findall(rb"/MediaBox \[0 0 (\d+)\.?\d* (\d+)\.?\d*\]", pdf)
                    assert boxes_a4 and all((int(w), int(h)) == (594, 841) for w, h in boxes_a4)  # A4 in points
                    assert 2 <= len(boxes_a4) <= 6
                page.close()
        finally:
            browser.close()


def test_radar_breaks_a_line_at_an_unscored_domain_and_never_draws_it_at_the_centre():
    from engine.report.radar import CENTRE_X, CENTRE_Y, radar_svg

    first = {"housing": 2, "finances": 3, "social_contacts": 2}
    latest = {d: 4 for d in ("housing", "daytime_activities", "social_network", "finances", "physical_health",
                             "mental_health", "leisure", "safety", "social_contacts")}
    svg = radar_svg(first, latest, "eerste", "laatste")
    assert svg.count('<polygon class="latest"') == 1  # every domain scored: one closed shape
    assert '<polygon class="first"' not in svg and svg.count('<polyline class="first"') == 1  # social_contacts-housing
    assert f"{CENTRE_X:.1f},{CENTRE_Y:.1f}" not in svg
    only_some = radar_svg(first, first, "eerste", "laatste")
    assert only_some.count("niet gevraagd") == 6
