"""`Engine.recommend(dict)` p50 of this tree against earlier trees, in one run (issue 22 item 4):

    .venv/bin/python benchmarks/p50_before.py --before /tmp/base            # 7 rounds of 1,500 cases
    .venv/bin/python benchmarks/p50_before.py --before /tmp/base --rounds 11 --n 3000

The goal of issue 22 item 4 ("`recommend` end to end <= 150 µs p50 on the benchmark's machine
state, today about 230 µs") was set on another machine state than this one's: this script
measures the tree the issue was filed against (`git archive c9d5978 | tar -x -C /tmp/base`)
and this one on the same cases in the same minutes, so that the ratio of the two p50s can be
read against the goal's 150/230 = 0.65.

Each round runs one fresh process per tree, one tree after the other (so a shared machine's
drift hits both alike); each process loads the engine, advises one case outside the timed
ones (imports, first-time set-up), then times `Engine.recommend` on each of the n cases, none
seen before by that process (a memo, where a tree has one, starts empty). The cases are made
once, by the earliest tree's generator (engine.synth, the three municipalities interleaved),
so every tree reads them. Prints each round's p50s and ratio, and their medians; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261203

MAKE_CASES = """
import json, sys
from engine.synth import MUNICIPALITIES, generate
n = int(sys.argv[1])
streams = [generate(m, (n + 2) // 3, int(sys.argv[2]) + i) for i, m in enumerate(MUNICIPALITIES)]
json.dump([case for trio in zip(*streams) for case in trio][:n], open(sys.argv[3], "w"))
"""

TIME_TREE = """
import json, sys, time
from engine.api import Engine
cases = json.load(open(sys.argv[1]))
engine = Engine.load()
engine.recommend(cases[-1])  # not timed: imports and first-time set-up
recommend, clock, latencies = engine.recommend, time.perf_counter_ns, []
for case in cases[:-1]:
    start = clock()
    recommend(case)
    latencies.append(clock() - start)
latencies.sort()
print(json.dumps({"p50_us": latencies[len(latencies) // 2] / 1e3, "mean_us": sum(latencies) / len(latencies) / 1e3}))
"""


def run(tree: Path, code: str, *args: str) -> str:
    # -c with the tree as the working directory: its engine/ comes first on sys.path
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{tree}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, action="append", required=True,
                        help="a source tree (with engine/ and rules/) to compare; the first makes the cases")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n", type=int, default=1500, help="timed cases a process (default 1,500)")
    args = parser.parse_args()
    trees = {**{f"before {i + 1} ({tree.name})": tree.resolve() for i, tree in enumerate(args.before)}, "now": ROOT}
    p50s: dict[str, list[float]] = {label: [] for label in trees}
    with tempfile.TemporaryDirectory(prefix="wegwijzer-p50-") as scratch:
        cases = Path(scratch) / "cases.json"
        run(args.before[0].resolve(), MAKE_CASES, str(args.n + 1), str(SEED), str(cases))
        print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        for round_ in range(1, args.rounds + 1):
            line = []
            for label, tree in trees.items():
                p50 = json.loads(run(tree, TIME_TREE, str(cases)))["p50_us"]
                p50s[label].append(p50)
                line.append(f"{label} {p50:7.1f} µs")
            ratio = p50s["now"][-1] / p50s[next(iter(trees))][-1]
            print(f"round {round_:2d}: " + ", ".join(line) + f"   now/before 1 {ratio:.3f}")
        print("uptime after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    first = next(iter(trees))
    ratios = [now / before for now, before in zip(p50s["now"], p50s[first])]
    for label, values in p50s.items():
        print(f"{label:32s} p50 median {statistics.median(values):7.1f} µs  (min {min(values):.1f}, max {max(values):.1f})")
    print(f"now/before 1, per round: median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f});"
          f" the goal's 150/230 = {150 / 230:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
