"""benchmarks/run.py runs and reports every figure (no timing is asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KEYS = {"cases_per_s", "p50_ms", "p99_ms", "floor_cases_per_s", "reference_cases_per_s", "engine_over_floor",
        "core_floor_cases_per_s", "engine_over_core_floor",
        "rss_growth_mb", "load_ms", "cold_start_ms", "engine_over_reference",
        "trajectory_p50_ms", "trajectory_p99_ms", "trajectory_assessments", "trajectory_log_entries",
        "matcher_cases_per_s", "zen_cases_per_s", "matcher_over_zen", "engine_over_zen", "zen_rows"}


def test_benchmark_prints_all_keys():
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    done = subprocess.run([sys.executable, str(script), "--n", "200", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert KEYS <= set(result)
    for key in KEYS - {"rss_growth_mb"}:
        assert isinstance(result[key], (int, float)) and result[key] > 0, key
    assert isinstance(result["rss_growth_mb"], (int, float))
    assert (result["trajectory_assessments"], result["trajectory_log_entries"]) == (10, 40)


def test_benchmark_table_with_whole_caseload_turns():
    """--chunk 0: engine, floor and reference each run the whole caseload in turn (the table says so)."""
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    done = subprocess.run([sys.executable, str(script), "--n", "60", "--repeats", "1", "--chunk", "0", "--no-cold-start"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "each on the whole caseload in turn" in done.stdout
    assert "engine/floor" in done.stdout and "engine/core floor" in done.stdout and "cold start" not in done.stdout
    assert "engine/zen" in done.stdout and "matcher/zen" in done.stdout  # the peer, beside the floors


def test_zen_translation_fires_as_the_matcher_does_and_a_difference_stops_the_run():
    """The ZEN decision table is checked against the engine's firings before it is timed: the
    run stops on any case where they differ (here: one row's condition changed by hand)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import run as bench

    from engine.api import Engine, parse_assessment
    from engine.facts import build_fact

    engine = Engine.load()
    peer = bench.Zen(engine._matcher)
    assert peer.rows == sum(len(r) - 1 for r in engine._matcher.rulesets.values())  # every rule, no catch-all
    for case in bench.caseload(90, 3):
        assessment = parse_assessment(case)
        fact = peer.prepare([build_fact(assessment)])[0]
        assert peer.fired(fact) == engine._matcher.match_assessment(assessment)
    # a comparison on a key the case lacks holds in neither engine
    assert " != null and " in peer.expression({"$lt": {"age": 30}})
