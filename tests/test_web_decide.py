"""The advice at the visit with the coach's decision on each "Nu" step (/deelnemers/{id}/advies)."""
from __future__ import annotations

import html
import re

from test_web_visit import ANNA, TODAY, _case_ids, client, engine, stored  # noqa: F401  (fixtures)
from store_db import db_url, pg_server  # noqa: F401  (fixtures: SQLite and PostgreSQL)


def _page(client, case_id: str) -> str:
    answer = client.get(f"/deelnemers/{case_id}/advies")
    assert answer.status_code == 200, answer.text
    return answer.text


def _form_of(page: str, step: str) -> dict[str, str]:
    block = page.split(f'id="besluit-{step}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', block))


def _now_steps(page: str) -> list[str]:
    return re.findall(r'id="besluit-([a-z0-9_]+)"', page)


def test_every_now_step_gets_a_decision_form_with_the_reasons_from_the_rules(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = _page(client, case_id)
    steps = _now_steps(page)
    assert steps, "the advice has steps in Nu"
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # each step's choices are its own: a label belongs to one radio button
    assert len(re.findall(r'<input type="radio"', page)) == 3 * len(steps)
    for label in ("deelnemer wil dit niet", "past niet bij de situatie", "al geregeld", "wachtlijst"):
        assert label in page
    # the advice is logged with its rules version and the rule of each step
    logged = client.app.state.case_store.logged_advice(ANNA, case_id)
    assert len(logged) == 1 and [s["id"] for s in logged[0]["shown"] if s["phase"] == "now"] == steps
    assert all(s["rule"] for s in logged[0]["shown"])


def test_not_now_needs_a_reason_and_is_stored_with_rule_and_rules_version(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = _page(client, case_id)
    step = _now_steps(page)[0]
    hidden = _form_of(page, step)
    refused = client.post(f"/deelnemers/{case_id}/besluit", data={**hidden, "decision": "not_now", "reason": "",
                                                                 "comment": "volgende keer"}, follow_redirects=False)
    assert refused.status_code == 422
    assert "Kies een reden uit de lijst" in html.unescape(refused.text)
    assert 'value="volgende keer"' in refused.text  # the comment typed is kept
    assert client.app.state.case_store.decisions(ANNA, case_id) == []
    page = _page(client, case_id)
    hidden = _form_of(page, step)
    done = client.post(f"/deelnemers/{case_id}/besluit", data={**hidden, "decision": "not_now",
                                                              "reason": "waiting_list", "comment": "na de zomer"},
                       follow_redirects=False)
    assert done.status_code == 303
    [row] = client.app.state.case_store.decisions(ANNA, case_id)
    assert (row["intervention_id"], row["decision"], row["reason"], row["comment"]) == \
        (step, "not_now", "waiting_list", "na de zomer")
    assert row["rule"] and row["rules_version"] == client.app.state.engine.rules_version
    again = client.get(done.headers["location"]).text
    assert "Besluit: <strong>niet nu</strong> — wachtlijst" in again


def test_an_accepted_step_becomes_a_running_log_entry_from_today(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = _page(client, case_id)
    step = _now_steps(page)[0]
    answer = client.post(f"/deelnemers/{case_id}/besluit", data={**_form_of(page, step), "decision": "accepted",
                                                                "reason": "does_not_fit"}, follow_redirects=False)
    assert answer.status_code == 303
    [row] = client.app.state.case_store.decisions(ANNA, case_id)
    assert (row["decision"], row["reason"]) == ("accepted", None)  # accepting takes no reason
    log = stored(client, case_id).interventions_log
    assert (step, TODAY, "running") in [(e.id, e.started, e.status) for e in log]
    assert step not in _now_steps(_page(client, case_id))  # begun: no longer suggested


def test_a_comment_with_a_phone_number_is_refused_in_dutch(client) -> None:
    case_id = _case_ids(client)["tilburg"]
    page = _page(client, case_id)
    step = _now_steps(page)[0]
    answer = client.post(f"/deelnemers/{case_id}/besluit", data={**_form_of(page, step), "decision": "other",
                                                                "reason": "other", "comment": "bel 0612345678"},
                         follow_redirects=False)
    assert answer.status_code == 422 and "geen telefoonnummer" in html.unescape(answer.text)
