"""Issue 17.13: the monitor's smallest group is the store's policy, not the caller's, and what
the monitor publishes cannot be worked out further: no hidden cell follows from a total minus
the cells shown, and two runs over caseloads that differ by one new case do not tell that
case's cell."""
from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import Engine
from engine.model import Case
from engine.monitor.aggregate import BATCH, REACH_KEYS, Aggregator, hide
from engine.monitor.report import numbers, write_report
from engine.store import Store
from test_monitor import trajectory

BOOK = Engine.load().book
PARTITIONS = ("ladder", "gas", "profiles")


def _varied(i: int, rng: random.Random) -> dict:
    doc = trajectory(i, climb=rng.choice([-1, 0, 1, 1, 2, 3]), gas=rng.choice([None, -2, -1, 0, 0, 1, 2]),
                     status=rng.choice(["running", "completed", "stopped"]))
    doc["assessments"][0]["date"] = f"2026-01-{1 + i % 28:02d}"  # first assessments spread over a month
    doc["case_id"] = f"m-{i:04d}"
    if rng.random() < 0.1:
        doc["contacts"] = []
    return doc


def _published(docs: list[dict], threshold: int = 10) -> list[tuple]:
    agg = Aggregator(book=BOOK, batch=BATCH)
    for doc in docs:
        agg.add(Case.model_validate(doc))
    agg.finish()
    fig = agg.figures["tilburg"]
    return [(s.id, s.base, tuple((r.key, r.count, r.percent) for r in s.rows)) for s in numbers(fig, threshold, BOOK)]


# ---------------------------------------------------------------- complementary suppression

@pytest.mark.parametrize("seed", range(40))
def test_a_total_minus_the_cells_shown_never_gives_a_hidden_cell(seed: int) -> None:
    rng = random.Random(seed)
    docs = [_varied(i, rng) for i in range(rng.randrange(20, 90))]
    for section_id, base, rows in _published(docs):
        if section_id in PARTITIONS and base is not None:
            hidden = [key for key, count, _ in rows if count is None]
            rest = base - sum(count for _, count, _ in rows if count is not None)
            # hidden cells are whole numbers >= 0 summing to `rest`: each can be 0 or `rest` (and
            # all between) unless it is hidden alone, or nothing is left to share
            assert len(hidden) != 1, (section_id, rows)
            assert not hidden or rest >= 1, (section_id, rows)
        if section_id == "reach":
            counts = dict((key, count) for key, count, _ in rows)
            for key in REACH_KEYS:
                if counts[key] is not None:
                    assert not 0 < base - counts[key] < 10, (key, counts)  # the few outside a cell
            if counts["contacted"] is not None and counts["reached"] is not None:
                assert not 0 < counts["contacted"] - counts["reached"] < 10


def test_hide_on_each_side_of_the_threshold() -> None:
    assert hide([10, 9, 0], 10, 19, partition=True) == [10, None, None]  # 9 hidden, and a zero with it
    assert hide([10, 10, 0], 10, 20, partition=True) == [10, 10, 0]  # nothing small: nothing hidden
    assert hide([30, 12, 3], 10, 45, partition=True) == [30, None, None]  # the next smallest joins the 3
    assert hide([25, 24, 5], 10, 25) == [25, None, None]  # not a partition: 24 of 25 singles the one out
    assert hide([25, 15, 0], 10, 25) == [25, 15, 0]


# ---------------------------------------------------------------- differencing two runs

@pytest.mark.parametrize("seed", range(12))
def test_two_runs_differing_by_one_new_case_do_not_tell_its_cell(seed: int) -> None:
    rng = random.Random(1000 + seed)
    docs = [_varied(i, rng) for i in range(rng.randrange(20, 60))]
    newcomer = _varied(len(docs), rng)
    newcomer["assessments"][0]["date"] = "2026-02-01"  # the newest: a client who just came in
    before, after = _published(docs), _published([*docs, newcomer])
    if (len(docs) + 1) % BATCH:
        assert after == before  # not one published number moved
    else:
        counted = [dict((key, count) for key, count, _ in rows) for sid, _, rows in (before[0], after[0])]
        assert counted[1]["cases"] - counted[0]["cases"] == BATCH  # ten came in at once, the newcomer among them


def test_a_newcomer_is_counted_once_its_batch_is_whole(tmp_path: Path) -> None:
    rng = random.Random(7)
    docs = [_varied(i, rng) for i in range(19)]
    agg = Aggregator(book=BOOK, batch=BATCH)
    for doc in docs:
        agg.add(Case.model_validate(doc))
    fig = agg.finish().figures["tilburg"]
    assert (fig.cases, fig.waiting) == (10, 9)
    write_report(agg, tmp_path, 10, "test", None)
    assert "De 9 nieuwste casussen tellen nog niet mee" in (tmp_path / "tilburg.html").read_text()


# ---------------------------------------------------------------- the policy is the store's

def _monitor(db: str, token: str, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", "monitor", "--db", db, "--shared", "--no-advice",
                           "--out", str(out), *extra], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "WEGWIJZER_USER_TOKEN": token, **(env or {})})


def test_a_team_lead_cannot_lower_the_threshold_only_an_admin_sets_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    store = Store(db, shared=True)
    admin_token = store.add_user(None, "beheer", "admin")
    admin = store.actor(admin_token)
    coach = store.actor(store.add_user(admin, "anna", "coach", "noord"))
    lead = store.add_user(admin, "lotte", "team_lead", "noord")
    store.import_many(coach, [(f"t-{i}", trajectory(i, climb=1 if i < 14 else 2)) for i in range(20)])
    store.close()

    lowered = _monitor(db, lead, tmp_path / "a", "--threshold", "3")
    assert lowered.returncode == 2 and "--threshold" in lowered.stderr and "below the store's" in lowered.stderr
    lowered = _monitor(db, lead, tmp_path / "b", env={"WEGWIJZER_MONITOR_THRESHOLD": "3"})
    assert lowered.returncode == 2 and "WEGWIJZER_MONITOR_THRESHOLD" in lowered.stderr
    refused = _monitor(db, lead, tmp_path / "c", "--set-threshold", "3")
    assert refused.returncode == 2 and "beheerder" in refused.stderr

    ok = _monitor(db, lead, tmp_path / "d")
    assert ok.returncode == 0, ok.stderr
    ladder = {r["key"]: r["count"] for r in csv.DictReader((tmp_path / "d" / "monitor.csv").open())
              if r["section"] == "ladder"}
    assert ladder["1"] == "14" and ladder["2"] == "x"  # 6 is under the store's 10

    assert _monitor(db, admin_token, tmp_path / "e", "--set-threshold", "15").returncode == 0
    ok = _monitor(db, lead, tmp_path / "f")
    ladder = {r["key"]: r["count"] for r in csv.DictReader((tmp_path / "f" / "monitor.csv").open())
              if r["section"] == "ladder"}
    assert ladder["1"] == "x"  # 14 is now under the store's 15; no flag brings it back
    assert _monitor(db, lead, tmp_path / "g", "--threshold", "10").returncode == 2
    assert _monitor(db, lead, tmp_path / "h", "--threshold", "20").returncode == 0  # raising is allowed

    store = Store(db, shared=True)
    trail = [(r["actor"], r["action"]) for r in store.audit_trail() if r["action"].startswith("setting")]
    store.close()
    assert trail == [("lotte", "setting_refused"), ("beheer", "setting:monitor.min_group")]
