"""Speed of the coach's caseload page (issue 18, item 11): "Mijn deelnemers" with 500 cases, and
a visit save, on SQLite and on PostgreSQL (a throwaway cluster from Debian's binaries, or --pg-url).

    .venv/bin/python benchmarks/caseload_bench.py --n 500 --views 40

One coach holds N synthetic trajectories (benchmarks/store_synth.py: assessments, log,
goals, contacts). The app runs in this process (the Engine in-process as matcher, the
store on the database), driven through Starlette's TestClient with a signed-in session, so
a figure is the whole request: session lookup, the query, the render. Reported:

- first_view_s: the first "Mijn deelnemers" after the import, which indexes all N cases
  (the engine once per case; a one-off after a bulk import by the CLI);
- list_p50_ms / list_p95_ms: the page afterwards (target p50 <= 300 ms), and the same with
  the filter "deze week";
- visit_save_p50_ms: a follow-up assessment stored (Store.add) plus that case indexed again
  (the engine once, the row written): what a visit costs (target p50 <= 100 ms);
  store_add_p50_ms: the Store.add alone.

Figures of a real run: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from store_bench import _pg_cluster  # noqa: E402
from store_synth import trajectories  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(url: str, n: int, views: int, saves: int) -> dict:
    from fastapi.testclient import TestClient

    from engine import Engine
    from engine.store import Actor
    from engine.store import caseload_index as index
    from engine.web import caseload
    from engine.web.app import create_app
    from web_signin import sign_in, store_with_users

    store = store_with_users(url)
    anna = Actor("anna", "coach", "noord")
    cases = [dict(case, case_id=f"bench-{i:05d}") for i, case in enumerate(trajectories(n))]
    result = store.import_many(anna, [(c["case_id"], c) for c in cases])
    assert result.stored == n, result.failed[:3]
    engine = Engine.load()
    app = create_app(engine)
    app.state.case_store = store
    client = TestClient(app)
    assert sign_in(client, "anna").status_code == 303
    started = time.perf_counter()
    first = client.get("/deelnemers")
    first_view = time.perf_counter() - started
    assert first.status_code == 200 and first.text.count('href="/deelnemers/bench-') == n

    def timed(path: str) -> list[float]:
        out = []
        for _ in range(views):
            started = time.perf_counter()
            response = client.get(path)
            out.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        return out

    listing, week = timed("/deelnemers"), timed("/deelnemers?filter=week")

    save, added = [], []
    for i in range(saves):
        case_id = f"bench-{i:05d}"
        case = store.get(anna, case_id)
        follow_up = case.assessments[-1].model_dump(mode="json", by_alias=True, exclude_none=True)
        follow_up["date"] = "2027-01-%02d" % (1 + i % 28)
        started = time.perf_counter()
        store.add(anna, case_id, follow_up)
        added.append((time.perf_counter() - started) * 1000)
        # what caseload.refresh does for the one changed case (there through the app's matcher,
        # here the Engine called directly: no event loop to start per save)
        for stale_id, version, stale_case in index.stale(store, anna):
            due = caseload.due_of(engine.recommend(caseload.horizon_document(stale_case)), stale_case)
            index.record(store, stale_id, version, "anna", *index.summary_of(stale_case), due)
        save.append((time.perf_counter() - started) * 1000)
    assert not index.stale(store, anna)
    store.close()
    return {"first_view_s": round(first_view, 2),
            "list_p50_ms": round(statistics.median(listing), 1), "list_p95_ms": round(_percentile(listing, 0.95), 1),
            "week_p50_ms": round(statistics.median(week), 1),
            "visit_save_p50_ms": round(statistics.median(save), 1),
            "visit_save_p95_ms": round(_percentile(save, 0.95), 1),
            "store_add_p50_ms": round(statistics.median(added), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--views", type=int, default=40)
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--pg-url", help="an empty PostgreSQL database instead of a throwaway cluster")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="wegwijzer-caseload-bench-")
    results: dict = {"n": args.n, "views": args.views, "saves": args.saves, "cpus": os.cpu_count(),
                     "load_average": [round(x, 2) for x in os.getloadavg()]}
    stop, pg_root = None, None
    try:
        results["sqlite"] = measure(f"sqlite:///{work}/cases.sqlite", args.n, args.views, args.saves)
        print(json.dumps({"sqlite": results["sqlite"]}), file=sys.stderr)
        if not args.skip_pg:
            if args.pg_url:
                url = args.pg_url
            else:
                pg_root = tempfile.mkdtemp(prefix="wegwijzer-caseload-bench-pg-")
                url, stop = _pg_cluster(pg_root)
            results["postgresql"] = measure(url, args.n, args.views, args.saves)
    finally:
        if stop:
            subprocess.run(stop, capture_output=True)
        if pg_root:
            shutil.rmtree(pg_root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
