"""The human-oversight statement is shown with every advice: text, Markdown, the coach's pages, the report."""
from __future__ import annotations

from fastapi.testclient import TestClient

from engine.api import Engine
from engine.render import OVERSIGHT, render
from store_cases import case_doc

ASSESSMENT = {"municipality": "helmond", "domains": {"finances": {"self_reliance": 2}}}


def test_text_and_markdown_say_the_coach_decides():
    rec = Engine.load().recommend(ASSESSMENT)
    assert OVERSIGHT["nl"] == "Advies; de coach beslist samen met de deelnemer."
    assert render(rec, "text").splitlines()[2] == OVERSIGHT["nl"]
    assert f"*{OVERSIGHT['nl']}*" in render(rec, "markdown")
    assert OVERSIGHT["en"] in render(rec, "text", "en")
    assert OVERSIGHT["nl"] not in render(rec, "json")  # the data stays data


def test_the_pages_and_the_report_say_it_too():
    from engine.report.render import render_report
    from engine.web.app import create_app

    engine = Engine.load()
    client = TestClient(create_app(engine))
    token = client.get("/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    page = client.post("/advies", data={"municipality": "helmond", "domains.finances.self_reliance": "2",
                                        "csrf_token": token})
    assert page.status_code == 200, page.text[:500]
    assert OVERSIGHT["nl"] in page.text
    for fmt in ("markdown", "html"):
        assert OVERSIGHT["nl"] in render_report(engine, case_doc(), fmt)
