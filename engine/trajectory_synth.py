"""Synthetic cases with a history (`wegwijzer synth --trajectories`), deterministic per seed.

Each case starts from a synthetic first assessment (engine.synth, the report's target-group
figures) and follows one course over follow-up assessments: what the engine advised is
started, and goes well or not as the course says. The figures:

- participation often takes six to twelve months (seed:L1553-1554): follow-ups every 3 to 6
  months, 1 to 4 of them (practice);
- three to four calls before an appointment (seed:L1574-1576): 0-4 unanswered calls first;
- Leiden: 77% rose one or more rungs on the Participatieladder (seed:L553-554), so a rung
  up at a follow-up with a chance that gives about that share over a case (practice);
- GAS after half a year (seed:L2982-2984): 40% reached the goal (0, 1, 2), almost 40% -1, a
  little under a fifth stayed at the start, -2 (seed:L2994-2996);
- Helmond re-calibrates the client profile periodically (seed:L2688-2690);
- courses (steady progress, stalled, declined then back, closing) and their shares are
  practice, as are every other value. For load tests and statistics, never to tune rules to.
"""
from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import date as Date, timedelta
from typing import Any

from .synth import MUNICIPALITIES, _assessment

EPOCH = Date(2024, 1, 8)  # a fixed start: cases never depend on the day they are made
COURSES = ("steady", "stalled", "declined_then_back", "closing")
_COURSE_WEIGHTS = (45, 25, 10, 20)  # practice
_GAS = ((1, 2, 0), (-1,), (-2,))  # reached (0..2), less than the goal, stayed at the start
_GAS_WEIGHTS = (40, 40, 20)  # seed:L2994-2996


def _follow_up(rng: random.Random, previous: dict[str, Any], course: str, municipality: str, step: int) -> dict[str, Any]:
    nxt = copy.deepcopy(previous)
    better = {"steady": 0.45, "stalled": 0.08, "declined_then_back": 0.3, "closing": 0.7}[course]  # practice
    for domain, score in nxt["domains"].items():
        if rng.random() < better:
            score["self_reliance"] = min(5, score["self_reliance"] + 1)
        elif course == "stalled" and rng.random() < 0.1:
            score["self_reliance"] = max(1, score["self_reliance"] - 1)
        if course == "closing" and step >= 1:
            score["self_reliance"] = max(score["self_reliance"], 4)
        if "satisfaction" in score:
            score["satisfaction"] = max(1, min(5, score["self_reliance"] + rng.choice((-1, 0, 0, 1))))
    rise = {"leiden": 0.45, "tilburg": 0.35, "helmond": 0.3}[municipality] if course != "stalled" else 0.05
    if rng.random() < rise or (course == "closing" and step == 1):
        nxt["ladder_rung"] = min(6, nxt.get("ladder_rung", 1) + 1)
    nxt["conversations_held"] = nxt.get("conversations_held", 0) + rng.randint(2, 6)
    nxt["open_to_support"] = True
    if "years_on_benefit" in nxt:
        nxt["years_on_benefit"] = round(nxt["years_on_benefit"] + 0.4, 1)
    if nxt.get("igm"):
        nxt["igm"] = {f: max(1, min(10, v + rng.choice((0, 0, 1, 1, 2) if course != "stalled" else (-1, 0, 0, 1))))
                      for f, v in nxt["igm"].items()}
    if course == "closing" and "paid_work" not in nxt.get("wishes", []) and rng.random() < 0.5:
        nxt["wishes"] = sorted(set(nxt.get("wishes", [])) | {"volunteering"})
    return nxt


def _case(engine: Any, rng: random.Random, municipality: str, index: int, label: str | None = None) -> dict[str, Any]:
    """One case drawn from `municipality`'s figures and practices, for `label` (default: the same)."""
    label = label or municipality
    first = _assessment(rng, municipality, index, label)
    first["open_to_support"] = True
    first["current_interventions"] = []
    course = rng.choices(COURSES, weights=_COURSE_WEIGHTS)[0]
    top = {key: first.pop(key) for key in ("schema_version", "case_id", "municipality", "age", "household") if key in first}
    top["case_id"] = f"{label}-{course}-{index:06d}"  # the course drawn, for grouping results
    day = EPOCH + timedelta(days=rng.randint(0, 365))
    contacts: list[dict[str, Any]] = []
    calls_day = day - timedelta(days=21)
    for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(20, 25, 25, 20, 10))[0]):  # seed:L1574-1576
        contacts.append({"date": calls_day.isoformat(), "kind": "phone", "reached": False})
        calls_day += timedelta(days=rng.randint(2, 5))
    contacts.append({"date": calls_day.isoformat(), "kind": rng.choice(("phone", "home_visit")), "reached": True})

    assessments = []
    log: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    current = first
    follow_ups = rng.randint(1, 4)
    for step in range(follow_ups + 1):
        current["date"] = day.isoformat()
        assessments.append(current)
        plain = {k: v for k, v in current.items() if k != "date"}
        plain["municipality"] = label
        plain["current_interventions"] = [e["id"] for e in log if e["status"] in ("running", "waiting_list")]
        rec = engine.recommend(plain)
        if municipality == "helmond" and (step == 0 or rng.random() < 0.5):  # seed:L2688-2690
            profiles.append({"date": day.isoformat(), "id": rec.client_profile.id})
        next_day = day + timedelta(days=rng.randint(90, 180))  # seed:L1553-1554; practice
        # what was running ends now, as the course goes
        for entry in log:
            if entry["status"] == "running" and rng.random() < 0.7:
                entry["ended"] = min(day, Date.fromisoformat(entry["started"]) + timedelta(days=rng.randint(30, 150))).isoformat()
                entry["ended"] = max(entry["ended"], entry["started"])
                if course == "stalled":
                    entry["status"], entry["result"] = rng.choice((("stopped", "no_change"), ("completed", "no_change"), ("stopped", "worse")))
                else:
                    entry["status"], entry["result"] = "completed", rng.choice(("improved", "improved", "no_change"))
        for item in [i for i in rec.interventions if i.phase == "now"][:2]:
            started = day + timedelta(days=rng.randint(3, 28))
            if started >= next_day or any(e["id"] == item.id and e["status"] in ("running", "waiting_list") for e in log):
                continue
            if course == "declined_then_back" and step == 0:
                log.append({"id": item.id, "started": started.isoformat(), "ended": started.isoformat(), "status": "declined"})
                contacts.append({"date": (started + timedelta(days=31)).isoformat(), "kind": "phone", "reached": True})
                continue
            status = "waiting_list" if rng.random() < 0.1 else "running"
            log.append({"id": item.id, "started": started.isoformat(), "status": status})
        if step == 0 and (municipality == "tilburg" or rng.random() < 0.3):  # GAS: Tilburg's practice (seed:L2982-2984)
            domain = min(current["domains"], key=lambda d: current["domains"][d]["self_reliance"])
            goals.append({"id": f"doel-{len(goals) + 1}", "domain": domain, "set_on": day.isoformat()})
        if step < follow_ups:
            for goal in goals:
                if "gas_score" not in goal and (next_day - Date.fromisoformat(goal["set_on"])).days >= 182:
                    goal["review_on"] = next_day.isoformat()
                    goal["gas_score"] = rng.choice(rng.choices(_GAS, weights=_GAS_WEIGHTS)[0])
            contacts.append({"date": next_day.isoformat(), "kind": "meeting", "reached": True})
            current = _follow_up(rng, current, course, municipality, step + 1)
            day = next_day
    if course == "stalled" and rng.random() < 0.5:  # the client stops answering
        for n in range(rng.randint(2, 4)):
            contacts.append({"date": (day + timedelta(days=7 * (n + 1))).isoformat(), "kind": "phone", "reached": False})
    contacts.sort(key=lambda c: c["date"])
    dates = [c["date"] for c in contacts] + [e.get("ended", e["started"]) for e in log] + [day.isoformat()]
    as_of = Date.fromisoformat(max(dates)) + timedelta(days=rng.randint(0, 60))
    case = {**top, "assessments": assessments, "interventions_log": log, "goals": goals, "contacts": contacts,
            "as_of": as_of.isoformat()}
    if profiles:
        case["profile_history"] = profiles
    return case


def generate_cases(municipality: str, n: int, seed: int = 0, engine: Any = None,
                   figures_of: str | None = None) -> Iterator[dict[str, Any]]:
    """`n` cases with history for one municipality; the same seed and rules give the same cases.
    The case_id names the course drawn (e.g. `tilburg-stalled-000003`). `figures_of`: the pilot
    whose figures a municipality without published figures of its own draws from."""
    from .errors import InputError

    figures = figures_of or municipality
    if figures not in MUNICIPALITIES:
        raise InputError([("municipality", f"unknown municipality '{figures}'; one of {list(MUNICIPALITIES)}")])
    if n < 0:
        raise InputError([("n", "must be 0 or more")])
    if engine is None:
        from .api import Engine

        engine = Engine.load()
    rng = random.Random(seed)
    for index in range(1, n + 1):
        yield _case(engine, rng, figures, index, municipality)


def long_case(municipality: str = "tilburg", seed: int = 0, assessments: int = 10, entries: int = 40,
              engine: Any = None) -> dict[str, Any]:
    """One long case for the benchmark: `assessments` assessments 60 days apart and `entries` log
    entries over the catalogue, every status and result among them; deterministic per seed."""
    if engine is None:
        from .api import Engine

        engine = Engine.load()
    rng = random.Random(seed)
    first = _assessment(rng, municipality, 1)
    first["open_to_support"] = True
    first["current_interventions"] = []
    top = {key: first.pop(key) for key in ("schema_version", "case_id", "municipality", "age", "household") if key in first}
    day = EPOCH
    rows, current = [], first
    for step in range(assessments):
        current["date"] = day.isoformat()
        rows.append(current)
        current = _follow_up(rng, current, "steady", municipality, step + 1)
        day += timedelta(days=60)
    last = Date.fromisoformat(rows[-1]["date"])
    ids = sorted(engine.book.interventions)
    statuses = ("completed", "completed", "stopped", "declined", "completed", "running", "waiting_list")
    log = []
    for n in range(entries):
        started = EPOCH + timedelta(days=(n * (last - EPOCH).days) // entries)
        status = statuses[n % len(statuses)]
        entry: dict[str, Any] = {"id": ids[(n * 7) % len(ids)], "started": started.isoformat(), "status": status}
        if status in ("completed", "stopped"):
            entry["ended"] = min(last, started + timedelta(days=rng.randint(20, 90))).isoformat()
            entry["result"] = rng.choice(("improved", "no_change", "worse"))
        log.append(entry)
    goals = [{"id": f"doel-{k}", "domain": next(iter(rows[0]["domains"])), "set_on": rows[k]["date"]} for k in range(0, assessments, 3)]
    contacts = [{"date": rows[k]["date"], "kind": "meeting", "reached": True} for k in range(assessments)]
    contacts += [{"date": (last + timedelta(days=d)).isoformat(), "kind": "phone", "reached": False} for d in (7, 14, 21)]
    profiles = [{"date": rows[k]["date"], "id": "social_activation"} for k in range(0, assessments, 4)]
    return {**top, "assessments": rows, "interventions_log": log, "goals": goals, "contacts": contacts,
            "profile_history": profiles, "as_of": (last + timedelta(days=30)).isoformat()}
