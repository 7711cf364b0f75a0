"""Cold start of `wegwijzer recommend FILE` (issue 22.5), beside what no Wegwijzer can start
below, in one run:

    .venv/bin/python benchmarks/coldstart.py                       # 20 rounds
    .venv/bin/python benchmarks/coldstart.py --before /tmp/old     # and a source tree of an earlier commit (repeatable)

Each round runs, one after the other (so that the drift of a shared machine hits all alike):
- `python -c pass`: the interpreter's own start;
- the pydantic floor: import pydantic, define one model, validate one value (what any
  start that validates its input with pydantic pays; Wegwijzer's models and rules come on top);
- `python -m engine.cli recommend EXAMPLE` of this checkout: with the rulebook cache off
  (WEGWIJZER_CACHE_DIR=off), on a first run (an empty cache: a miss, which loads, checks and
  stores the rules) and warm (every later start);
- with --before DIR (repeatable), the same command in DIR (e.g. `git archive OLD | tar -x -C DIR`),
  cache off.
A tree's bytecode counts: with PYTHONDONTWRITEBYTECODE set, Python compiles every module
of a tree without __pycache__ on every start (`make install` compiles the checkout's).
Prints median, min and max wall time per command and the median CPU time (user + sys)
of the child, and `uptime`. Nothing here asserts a target.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/leiden_schulden_isolement.yaml"
FLOOR = "from pydantic import BaseModel\nclass A(BaseModel):\n    x: int\nA(x=1)\n"


def commands(before: list[Path], warm: str) -> dict[str, tuple[list[str], Path, Any]]:
    """label -> (argv, cwd, cache dir: a path, 'off', or a callable giving a fresh one)."""
    py = sys.executable
    recommend = [py, "-m", "engine.cli", "recommend", EXAMPLE]
    found: dict[str, tuple[list[str], Path, Any]] = {
        "python -c pass": ([py, "-c", "pass"], ROOT, "off"),
        "pydantic floor (import, 1 model, 1 validation)": ([py, "-c", FLOOR], ROOT, "off"),
    }
    for tree in before:
        found[f"{tree.name}, cache off"] = (recommend, tree, "off")
    found["now, cache off"] = (recommend, ROOT, "off")
    found["now, first run (empty cache)"] = (recommend, ROOT, lambda: tempfile.mkdtemp(prefix="wegwijzer-cold-"))
    found["now, warm cache"] = (recommend, ROOT, warm)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="a source tree (with engine/, rules/, examples/) to compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wegwijzer-warm-") as warm:
        runs = commands(args.before, warm)
        wall: dict[str, list[float]] = {label: [] for label in runs}
        cpu: dict[str, list[float]] = {label: [] for label in runs}
        print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        for round_ in range(args.rounds + 1):  # round 0 warms the page cache and fills the warm cache
            for label, (argv, cwd, cache) in runs.items():
                env = {**os.environ, "WEGWIJZER_CACHE_DIR": cache() if callable(cache) else cache}
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
                elapsed = (time.perf_counter() - start) * 1000
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if done.returncode != 0:
                    sys.stderr.write(f"{label}: exit {done.returncode}\n{done.stderr.decode(errors='replace')}")
                    return 1
                if round_:
                    wall[label].append(elapsed)
                    cpu[label].append((after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime) * 1000)
        print("uptime after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"{args.rounds} rounds; ms          {'median':>8} {'min':>8} {'max':>8} {'cpu med':>8}")
    for label, times in wall.items():
        print(f"{label:48s} {statistics.median(times):8.1f} {min(times):8.1f} {max(times):8.1f} "
              f"{statistics.median(cpu[label]):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
