"""Synthetic trajectories for the store and monitor benchmarks: each case starts from an
assessment of engine.synth (drawn from the report's figures) and gets a plausible history
(follow-up assessments, an intervention log, GAS goals, contacts). Deterministic per seed.

For load only: the history's proportions are invented, not the report's.
MERGE: `wegwijzer synth --trajectories` (the trajectory helper) replaces this when it lands.

    python benchmarks/store_synth.py N > cases.jsonl
"""
from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from engine.synth import generate

PATHS = ["neighbourhood_meeting_place", "volunteering", "work_training", "language_course", "debt_counselling",
         "computer_course", "sports_activity", "social_work_team"]


def trajectories(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    cities = ("leiden", "helmond", "tilburg")
    sources = {m: generate(m, n // 3 + 1, seed) for m in cities}
    for index in range(n):
        municipality = cities[index % 3]
        first = next(sources[municipality])
        first.pop("municipality")
        first.pop("case_id", None)
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 300))
        first["date"] = start.isoformat()
        if municipality == "tilburg":
            first["igm"] = {f: rng.randint(2, 7) for f in ("practical_barriers", "attitude", "self_regulation",
                                                             "behaviour", "motivation", "perceived_control")}
        assessments = [first]
        rung = first.get("ladder_rung") or rng.randint(1, 3)
        first["ladder_rung"] = rung
        for k in range(rng.choice((0, 1, 1, 2))):
            follow = json.loads(json.dumps(first))
            follow["date"] = (start + timedelta(days=120 * (k + 1))).isoformat()
            rung = min(6, max(1, rung + rng.choice((-1, 0, 0, 1, 1, 2))))
            follow["ladder_rung"] = rung
            follow["current_interventions"] = []
            for d, score in follow["domains"].items():
                score["self_reliance"] = min(5, score["self_reliance"] + rng.choice((0, 0, 1)))
            if follow.get("igm"):
                follow["igm"] = {f: min(10, v + rng.choice((0, 0, 1, 1, 2))) for f, v in follow["igm"].items()}
            assessments.append(follow)
        log = []
        for j, intervention in enumerate(rng.sample(PATHS, rng.randint(0, 3))):
            started = start + timedelta(days=20 + 40 * j)
            status = rng.choice(("running", "completed", "completed", "stopped", "waiting_list", "declined"))
            entry: dict[str, Any] = {"id": intervention, "started": started.isoformat(), "status": status}
            if status in ("completed", "stopped"):
                entry["ended"] = (started + timedelta(days=60)).isoformat()
                entry["result"] = rng.choice(("improved", "no_change", "worse"))
            log.append(entry)
        goals = []
        if rng.random() < 0.6:
            goal: dict[str, Any] = {"id": "doel-1", "domain": rng.choice(list(first["domains"])),
                                    "set_on": start.isoformat()}
            if len(assessments) > 1:
                goal["review_on"] = (start + timedelta(days=182)).isoformat()
                goal["gas_score"] = rng.choice((-2, -1, -1, 0, 0, 1, 2))
            goals.append(goal)
        contacts = [{"date": (start - timedelta(days=10 - c)).isoformat(), "kind": "phone",
                     "reached": c == 2 or rng.random() < 0.4} for c in range(rng.randint(1, 3))]
        yield {"case_id": f"syn-{seed}-{index:06d}", "municipality": municipality, "assessments": assessments,
               "interventions_log": log, "goals": goals, "contacts": contacts}


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = sys.stdout
    for case in trajectories(count):
        out.write(json.dumps(case, separators=(",", ":")) + "\n")
