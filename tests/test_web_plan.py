"""The stored case's progress report, and "Mijn plan": one printable page in plain Dutch (B1).

Readability is measured with Flesch-Douma, the Dutch adaptation of Flesch Reading Ease
(Douma 1960: 206.835 - 0.93 x words per sentence - 77 x syllables per word), as the
textstat package computes it for `nl` (syllables by pyphen's Dutch dictionary). Douma's
scale: 60-70 "vrij gemakkelijk", 70-80 "gemakkelijk" (read by a 12-year-old), 80+ "zeer
gemakkelijk". B1 is the level most Dutch adults read with ease, about what a pupil leaving
primary school reads (the 12-year-old's band), so the plan must score at least 70. Every
plain sentence in plain_nl.yaml is held to the same bar, and to sentences of at most 15
words; and the coach's jargon stays out.
"""
from __future__ import annotations

import html
import re

import pytest
import textstat

from engine.web import page
from engine.web.plan import plain_steps
from test_web_visit import TODAY, _case_ids, client, engine, stored  # noqa: F401  (fixtures)
from store_db import db_url, pg_server  # noqa: F401  (fixtures: SQLite and PostgreSQL)

B1_AT_LEAST = 70
JARGON = ("toeleiding", "interventie", "traject", "regievoerder", "participatie", "casus", "klantprofiel",
          "zelfredzaam", "regel ", "sha256")
# in the plain sentences only: on the page an organisation is named as it is on its door (Wmo-loket, GGZ-aanbieder)
ABBREVIATIONS = ("wmo", "ggz")


def douma(text: str) -> float:
    textstat.set_lang("nl")
    return textstat.flesch_reading_ease(text)


def visible_plan(page: str) -> str:
    part = page.split("<!-- plan -->", 1)[1].split("<!-- /plan -->", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part))).strip()


def test_douma_is_the_dutch_formula_and_tells_easy_from_hard() -> None:
    easy = "Wij gaan samen naar de buurt. Daar drinkt u koffie. U praat met mensen."
    hard = ("Gezien de multiproblematiek wordt geadviseerd een integrale toeleiding naar specialistische "
            "schuldhulpverlening te realiseren, teneinde de zelfredzaamheid op het leefgebied financiën te bevorderen.")
    assert douma(easy) >= 80 > B1_AT_LEAST > 40 > douma(hard)
    words, sentences = textstat.lexicon_count(easy), textstat.sentence_count(easy)
    assert sentences == 3 and words >= 14
    assert douma(easy) == pytest.approx(206.835 - 0.93 * words / sentences - 77 * textstat.syllable_count(easy) / words,
                                        abs=0.1)


@pytest.mark.parametrize("step", sorted(plain_steps()))
def test_every_plain_step_is_b1(step: str) -> None:
    text = plain_steps()[step]
    assert douma(text) >= B1_AT_LEAST, (step, douma(text))
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        assert len(sentence.split()) <= 15, sentence
    assert not any(word in text.lower() for word in JARGON + ABBREVIATIONS), text


def test_my_plan_gives_the_now_steps_with_who_and_when_in_plain_dutch(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = client.get(f"/deelnemers/{case_id}/mijn-plan")
    assert page.status_code == 200
    text = visible_plan(page.text)
    advice = client.get(f"/deelnemers/{case_id}/advies").text
    now = re.findall(r'id="besluit-([a-z0-9_]+)"', advice)
    assert 1 <= len(now) <= 3 and text.count("Wie helpt u?") == len(now) == text.count("Wanneer?")
    for step in now:
        assert plain_steps()[step] in text
    assert douma(text) >= B1_AT_LEAST, (douma(text), text)
    assert not any(word in text.replace(case_id, "").lower() for word in JARGON), text  # the id is a pseudonym
    assert "Dat spreekt u samen met uw coach af." in text
    # the coach fills in when, and the printed page says it in Dutch
    dated = client.get(f"/deelnemers/{case_id}/mijn-plan", params={f"wanneer.{now[0]}": "2026-03-10"}).text
    assert "Op 10 maart 2026." in visible_plan(dated)


def test_an_accepted_step_is_listed_as_begun_and_an_empty_plan_says_what_to_do(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    advice = client.get(f"/deelnemers/{case_id}/advies").text
    step = re.findall(r'id="besluit-([a-z0-9_]+)"', advice)[0]
    block = advice.split(f'id="besluit-{step}"', 1)[1].split("</form>", 1)[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', block))
    assert client.post(f"/deelnemers/{case_id}/besluit", data={**hidden, "decision": "accepted"},
                       follow_redirects=False).status_code == 303
    text = visible_plan(client.get(f"/deelnemers/{case_id}/mijn-plan").text)
    begun = text.split("Hier bent u al mee bezig", 1)[1]
    assert plain_steps()[step] in begun and "U bent begonnen op 2 maart 2026." in begun
    assert douma(text) >= B1_AT_LEAST
    empty = visible_plan(page.render("my_plan.html", title="Mijn plan", case=stored(client, case_id), today=TODAY,
                                     steps=[], begun=[], agreed={}, step_labels={}))
    assert "Er staat nu geen nieuwe stap in uw plan." in empty and "Praat met uw coach" in empty
    assert douma(empty) >= B1_AT_LEAST


def test_the_stored_cases_report_is_the_voortgangsrapportage(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = client.get(f"/deelnemers/{case_id}/rapport")
    assert page.status_code == 200
    assert "<title>Voortgangsrapportage" in page.text and case_id in page.text
    assert "'unsafe-inline'" in page.headers["content-security-policy"]  # its own inline stylesheet
