"""The monitor: the figures' numbers from known cases, small groups hidden on both sides of the
threshold, the CSV holding what the page shows, and the store's view for a team lead."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import Engine
from engine.model import Case
from engine.monitor.aggregate import Aggregator, ladder_bucket
from engine.monitor.report import numbers, write_report
from engine.store import Store
from store_db import db_url, pg_server  # noqa: F401  (fixtures)

BOOK = Engine.load().book


def trajectory(i: int, municipality: str = "tilburg", climb: int = 1, gas: int | None = 0,
               igm: tuple[int, int] | None = (4, 6), status: str = "running") -> dict:
    first = {"date": "2026-01-05", "ladder_rung": 2, "domains": {"finances": {"self_reliance": 2}}}
    last = {"date": "2026-07-05", "ladder_rung": 2 + climb, "domains": {"finances": {"self_reliance": 3}}}
    if igm:
        first["igm"], last["igm"] = {"attitude": igm[0]}, {"attitude": igm[1]}
    doc = {"case_id": f"m-{municipality}-{i}", "municipality": municipality, "assessments": [first, last],
           "interventions_log": [{"id": "debt_counselling", "started": "2026-02-10", "status": status}],
           "contacts": [{"date": "2026-01-02", "kind": "phone", "reached": i % 2 == 0}],
           "profile_history": [{"date": "2026-01-05", "id": "social_activation"}]}
    if gas is not None:
        doc["goals"] = [{"id": "g", "domain": "finances", "set_on": "2026-01-05", "gas_score": gas}]
    return doc


def aggregate(docs: list[dict], advice: bool = False) -> Aggregator:
    engine = Engine.load() if advice else None
    agg = Aggregator(book=BOOK, engine=engine)
    for doc in docs:
        agg.add(Case.model_validate(doc))
    return agg


@pytest.mark.parametrize("steps,bucket", [(-1, "gedaald"), (0, "0"), (1, "1"), (2, "2"), (3, "3 of meer"), (5, "3 of meer")])
def test_ladder_buckets(steps, bucket):
    assert ladder_bucket(steps) == bucket


def test_the_figures_count_what_the_cases_say():
    docs = [trajectory(i, climb=1 if i < 12 else 2, gas=0 if i < 15 else -1, igm=(4, 6)) for i in range(20)]
    fig = aggregate(docs).figures["tilburg"]
    assert fig.cases == 20 and dict(fig.ladder) == {"1": 12, "2": 8}
    assert dict(fig.gas) == {0: 15, -1: 5}
    assert fig.igm() == {"attitude": (20, 4.0, 6.0)}
    assert fig.reach["contacted"] == 20 and fig.reach["reached"] == 10 and fig.reach["active"] == 20
    assert fig.running == {"debt_counselling": 20} and fig.profiles == {"social_activation": 20}
    organisation = BOOK.municipalities["tilburg"].services["debt_counselling"].organisation
    assert fig.referrals == {(organisation, "2026-02"): 20}


def test_one_assessment_gives_no_ladder_step_and_no_igm_change():
    doc = trajectory(1)
    doc["assessments"] = doc["assessments"][:1]
    fig = aggregate([doc]).figures["tilburg"]
    assert not fig.ladder and not fig.igm()


def test_small_counts_are_hidden_on_one_side_of_the_threshold_and_shown_on_the_other():
    docs = [trajectory(i, climb=1 if i < 10 else 2) for i in range(19)]  # 10 climbed one, 9 climbed two
    sections = {s.id: s for s in numbers(aggregate(docs).figures["tilburg"], 10, BOOK)}
    ladder = {r.key: r.count for r in sections["ladder"].rows}
    assert ladder["1"] == 10 and ladder["2"] is None  # 10 is shown, 9 is not
    assert sections["ladder"].base == 19


def test_a_section_under_the_threshold_is_not_shown():
    docs = [trajectory(i, gas=None if i >= 9 else 1) for i in range(12)]  # 9 reviewed goals
    sections = {s.id: s for s in numbers(aggregate(docs).figures["tilburg"], 10, BOOK)}
    assert sections["gas"].rows == [] and "minder dan 10" in sections["gas"].note
    docs = [trajectory(i, gas=None if i >= 10 else 1) for i in range(12)]  # 10 reviewed goals
    sections = {s.id: s for s in numbers(aggregate(docs).figures["tilburg"], 10, BOOK)}
    assert [(r.key, r.count) for r in sections["gas"].rows if r.count] == [("1", 10)]


def test_a_municipality_under_the_threshold_is_not_shown(tmp_path):
    docs = [trajectory(i) for i in range(10)] + [trajectory(i, "leiden") for i in range(9)]
    paths = write_report(aggregate(docs), tmp_path, 10, "test", None)
    leiden = (tmp_path / "leiden.html").read_text()
    assert "Minder dan 10 casussen" in leiden and "<svg" not in leiden
    assert "<svg" in (tmp_path / "tilburg.html").read_text()
    rows = list(csv.DictReader((tmp_path / "monitor.csv").open()))
    assert [r for r in rows if r["municipality"] == "leiden"] == [
        {"municipality": "leiden", "section": "group", "key": "cases", "label": "casussen", "count": "<10",
         "percent": "", "t0": "", "t1": ""}]
    assert tmp_path / "index.html" in paths


def test_the_csv_holds_the_numbers_the_page_shows(tmp_path):
    docs = [trajectory(i, climb=i % 3, gas=(i % 5) - 2) for i in range(60)]
    write_report(aggregate(docs, advice=True), tmp_path, 10, "test", "2026-07-05")
    page = (tmp_path / "tilburg.html").read_text()
    rows = [r for r in csv.DictReader((tmp_path / "monitor.csv").open()) if r["municipality"] == "tilburg"]
    assert {r["section"] for r in rows} >= {"reach", "ladder", "gas", "igm", "profiles", "suggested", "running",
                                            "referrals"}
    for row in rows:
        shown = "&lt; 10" if row["count"] == "<10" else row["count"]
        assert re.search(rf"<td>{re.escape(row['label'].replace('&', '&amp;'))}</td>\s*<td class=\"n\">{re.escape(shown)}</td>",
                         page), row
    gas = {r["key"]: r["count"] for r in rows if r["section"] == "gas"}
    assert gas == {"-2": "12", "-1": "12", "0": "12", "1": "12", "2": "12"}


def test_the_page_names_no_case_and_works_offline(tmp_path):
    docs = [trajectory(i) for i in range(12)]
    write_report(aggregate(docs), tmp_path, 10, "test", None)
    for page in tmp_path.glob("*.html"):
        text = page.read_text()
        assert "m-tilburg" not in text
        assert not re.search(r"(src|href)=\"https?://", text)  # no external resource


def test_the_monitor_over_the_store_for_a_team_lead(db_url, tmp_path):  # noqa: F811
    store = Store(db_url, shared=True)
    admin = store.actor(store.add_user(None, "beheer", "admin"))
    coach_token = store.add_user(admin, "anna", "coach", "noord")
    other = store.actor(store.add_user(admin, "bram", "coach", "zuid"))
    lead_token = store.add_user(admin, "lotte", "team_lead", "noord")
    store.import_many(store.actor(coach_token), [(str(i), trajectory(i)) for i in range(12)])
    store.import_many(other, [(str(i), trajectory(100 + i, climb=3)) for i in range(12)])
    env = {**os.environ, "WEGWIJZER_USER_TOKEN": lead_token}
    out = subprocess.run([sys.executable, "-m", "engine.cli", "monitor", "--db", db_url, "--shared", "--no-advice",
                          "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader((tmp_path / "monitor.csv").open()))
    assert {(r["key"], r["count"]) for r in rows if r["section"] == "ladder"} >= {("1", "12"), ("3 of meer", "0")}
    assert "team noord" in (tmp_path / "tilburg.html").read_text()
    env["WEGWIJZER_USER_TOKEN"] = coach_token
    out = subprocess.run([sys.executable, "-m", "engine.cli", "monitor", "--db", db_url, "--shared", "--out",
                          str(tmp_path / "x")], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2 and "team lead" in out.stderr
    # the monitor's read, then the decision log's for its feedback page: both audited
    assert [r["action"] for r in store.audit_trail() if r["actor"] == "lotte"] == ["monitor", "feedback"]
    store.close()


def test_a_bad_line_in_the_caseload_is_reported_and_the_rest_counted(tmp_path):
    caseload = tmp_path / "c.jsonl"
    caseload.write_text("\n".join([json.dumps(trajectory(i)) for i in range(11)] + ['{"municipality": "x"}']) + "\n")
    out = subprocess.run([sys.executable, "-m", "engine.cli", "monitor", "--caseload", str(caseload), "--no-advice",
                          "--out", str(tmp_path / "m")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and "c.jsonl:12" in out.stderr and "11 casussen" in out.stdout
