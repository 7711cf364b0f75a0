"""Cold start of `wegwijzer recommend FILE --format json` (issue 22.5), beside what no Wegwijzer
can start below, in one run:

    .venv/bin/python benchmarks/coldstart.py                       # 20 rounds
    .venv/bin/python benchmarks/coldstart.py --before /tmp/old     # and a source tree of an earlier commit (repeatable)
    .venv/bin/python benchmarks/coldstart.py --instructions        # once each under valgrind (callgrind)

Each round runs, one after the other (so that the drift of a shared machine hits all alike):
- `python -c pass`: the interpreter's own start;
- the pydantic floor: import pydantic, define one model, validate one value (what any
  start that validates its input with pydantic pays; Wegwijzer's models and rules come on top);
- `python -m engine.cli recommend EXAMPLE` of this checkout: with the rulebook cache off
  (WEGWIJZER_CACHE_DIR=off), on a first run (an empty cache: a miss, which loads, checks and
  stores the rules) and warm (every later start);
- with --before DIR (repeatable), the same command in DIR (e.g. `git archive OLD | tar -x -C DIR`),
  cache off and warm.
A tree's bytecode counts: with PYTHONDONTWRITEBYTECODE set, Python compiles every module
of a tree without __pycache__ on every start (`make install` compiles the checkout's).
Prints median, min and max wall time per command, the median CPU time (user + sys) of the
child, how far each start's median lies above the pydantic floor's, and `uptime`.
--instructions counts each command's instructions once instead (valgrind's callgrind, with
PYTHONHASHSEED=0): the same code gives the same count within about 0.1 % whatever else the
shared machine runs, where the wall times of one run spread by a third. Nothing here asserts
a target.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
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


FLOOR_LABEL = "pydantic floor (import, 1 model, 1 validation)"


def commands(before: list[Path], warm: str, fmt: str = "json", case: str = EXAMPLE) -> dict[str, tuple[list[str], Path, Any]]:
    """label -> (argv, cwd, cache dir: a path, 'off', or a callable giving a fresh one)."""
    py = sys.executable
    recommend = [py, "-m", "engine.cli", "recommend", case, "--format", fmt]
    found: dict[str, tuple[list[str], Path, Any]] = {
        "python -c pass": ([py, "-c", "pass"], ROOT, "off"),
        FLOOR_LABEL: ([py, "-c", FLOOR], ROOT, "off"),
    }
    for tree in before:  # a tree's entries have keys of their own (its engine's source is in the key)
        found[f"{tree.name}, cache off"] = (recommend, tree, "off")
        found[f"{tree.name}, warm cache"] = (recommend, tree, warm)
    found["now, cache off"] = (recommend, ROOT, "off")
    found["now, first run (empty cache)"] = (recommend, ROOT, lambda: tempfile.mkdtemp(prefix="wegwijzer-cold-"))
    found["now, warm cache"] = (recommend, ROOT, warm)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="a source tree (with engine/, rules/, examples/) to compare")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="recommend's output (default json)")
    parser.add_argument("--case", default=EXAMPLE,
                        help=f"the case file, relative to each tree or absolute (default {EXAMPLE}; a .json one reads without PyYAML)")
    parser.add_argument("--instructions", action="store_true", help="count instructions once each (valgrind) instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wegwijzer-warm-") as warm:
        runs = commands(args.before, warm, args.format, args.case)
        if args.instructions:
            return count_instructions(runs)
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
    floor = statistics.median(wall[FLOOR_LABEL])
    print(f"{args.rounds} rounds; ms          {'median':>8} {'min':>8} {'max':>8} {'cpu med':>8} {'> floor':>8}")
    for label, times in wall.items():
        above = f"{statistics.median(times) - floor:+8.1f}" if label not in ("python -c pass", FLOOR_LABEL) else ""
        print(f"{label:48s} {statistics.median(times):8.1f} {min(times):8.1f} {max(times):8.1f} "
              f"{statistics.median(cpu[label]):8.1f} {above}")
    return 0


def count_instructions(runs: dict[str, tuple[list[str], Path, Any]]) -> int:
    """Each command once under callgrind (a warm cache filled first), its instruction count."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.stderr.write("--instructions needs valgrind (apt-get install valgrind)\n")
        return 1
    counts: dict[str, int] = {}
    for label, (argv, cwd, cache) in runs.items():
        env = {**os.environ, "PYTHONHASHSEED": "0", "WEGWIJZER_CACHE_DIR": cache() if callable(cache) else cache}
        if label.endswith("warm cache"):
            subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)  # fills it
        done = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                              cwd=cwd, env=env, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or found is None:
            sys.stderr.write(f"{label}: exit {done.returncode}\n{done.stderr[-2000:]}")
            return 1
        counts[label] = int(found.group(1))
    floor = counts[FLOOR_LABEL]
    print(f"instructions (callgrind, once each)           {'count':>15} {'> floor':>15}")
    for label, count in counts.items():
        above = f"{count - floor:+15,d}" if label not in ("python -c pass", FLOOR_LABEL) else ""
        print(f"{label:48s} {count:15,d} {above}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
