"""benchmarks/run.py runs and reports every figure (no timing is asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KEYS = {"cases_per_s", "p50_ms", "p99_ms", "floor_cases_per_s", "reference_cases_per_s", "engine_over_floor",
        "core_floor_cases_per_s", "engine_over_core_floor",
        "rss_growth_mb", "load_ms", "cold_start_ms", "engine_over_reference",
        "trajectory_p50_ms", "trajectory_p99_ms", "trajectory_assessments", "trajectory_log_entries"}


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
