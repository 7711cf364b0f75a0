"""`wegwijzer batch --compact` on N synthetic cases, with 1 and with 2 workers, in one run.

    python benchmarks/batch_bench.py --n 100000          # both, in turn
    python benchmarks/batch_bench.py --n 20000 --workers 2

The caseload is engine.synth's (the three municipalities interleaved, sorted keys, as
`wegwijzer synth` writes it), made once before timing. Each run is the batch of
engine.batch.run_batch in a fresh process (as the CLI runs it, `--fresh`), which reports its
own CPU time and its workers' (resource.getrusage; the workers are waited for when the pool
ends). Printed per run: wall time, cases/s, what 400,000 cases would take at that rate, CPU
a case of the batch process and of its workers, and bytes a case of the output (average
and largest). Then the 1 -> 2 worker ratio of cases/s, whether the outputs are the same
bytes, and the engine's own share: the advice's CPU a case (what Engine.recommend does, less
the receipt the compact form leaves out), timed inside the 1-worker run (process_time around
each call), against that run's CPU a case.

The machine may be shared: wall-clock rates depend on what else runs (load average printed
before and after each run); CPU a case depends far less on it. The figures a case take off
a 12-case run's start-up; below some 10,000 cases that start-up's own noise shows in them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_CASES, TARGET_SECONDS = 400_000, 60.0

# Runs in a fresh interpreter: the batch as the CLI runs it, then its own and its workers' CPU.
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from engine.api import Engine
from engine.batch import run_batch
in_recommend = [0.0]
if {workers} == 1:  # in this process: time the advice itself, in the same run
    # batch --compact makes an assessment's advice with Engine._advise (recommend's, less the
    # receipt the compact form leaves out) and a Case's with Engine.recommend_case
    def timer(method):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                in_recommend[0] += time.process_time() - started
        return timed
    Engine._advise, Engine.recommend_case = timer(Engine._advise), timer(Engine.recommend_case)
started = time.perf_counter()
summary = run_batch({source!r}, {out!r}, workers={workers}, fresh=True, compact=True{chunk})
wall = time.perf_counter() - started
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"wall": wall, "done": summary.done, "errors": summary.errors, "recommend_cpu": in_recommend[0],
                  "parent_cpu": me.ru_utime + me.ru_stime, "workers_cpu": kids.ru_utime + kids.ru_stime}}))
"""

def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_caseload(path: Path, n: int) -> None:
    from engine.synth import MUNICIPALITIES, generate

    streams = [generate(m, -(-n // len(MUNICIPALITIES)), seed=7) for m in MUNICIPALITIES]
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < n:
            for stream in streams:
                if written == n:
                    break
                out.write(json.dumps(next(stream), sort_keys=True, ensure_ascii=False) + "\n")
                written += 1


def startup_cpu(workers: int, source: Path, tmp: Path, chunksize: int | None) -> tuple[float, float]:
    """The batch process's CPU for a run of 12 cases: its start-up, taken off the figures a case."""
    small = tmp / "small.jsonl"
    with open(source, encoding="utf-8") as full, open(small, "w", encoding="utf-8") as out:
        for _ in range(12):
            out.write(full.readline())
    result = run_child(workers, small, tmp / "small-out.jsonl", chunksize)
    return result["parent_cpu"], result["workers_cpu"]


def run_child(workers: int, source: Path, out: Path, chunksize: int | None) -> dict:
    chunk = f", chunksize={chunksize}" if chunksize else ""
    code = _CHILD.format(root=str(ROOT), source=str(source), out=str(out), workers=workers, chunk=chunk)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def output_sizes(path: Path) -> tuple[float, int]:
    total = largest = lines = 0
    with open(path, "rb") as stream:
        for line in stream:
            total += len(line)
            largest = max(largest, len(line))
            lines += 1
    return total / max(lines, 1), largest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="cases (default 20,000)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, in turn (default 1,2)")
    parser.add_argument("--chunksize", type=int, default=None, help="cases a chunk (default: the batch's own)")
    parser.add_argument("--keep", metavar="DIR", help="write the caseload and outputs here, and keep them")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wegwijzer-batch-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    source = tmp / "cases.jsonl"
    started = time.perf_counter()
    make_caseload(source, args.n)
    print(f"caseload: {args.n:,} synthetic cases, {source.stat().st_size / args.n:,.0f} bytes a case "
          f"(made in {time.perf_counter() - started:.1f} s); {os.cpu_count()} CPUs")

    engine_us = None
    rates: dict[int, float] = {}
    cpu_a_case: dict[int, float] = {}
    outputs: dict[int, bytes] = {}
    for workers in counts:
        base_parent, base_workers = startup_cpu(workers, source, tmp, args.chunksize)
        out = tmp / f"advice-{workers}.jsonl"
        before = load_average()
        result = run_child(workers, source, out, args.chunksize)
        after = load_average()
        done = result["done"]
        rate = done / result["wall"]
        parent = (result["parent_cpu"] - base_parent) / done * 1e6
        in_workers = (result["workers_cpu"] - base_workers) / done * 1e6
        average, largest = output_sizes(out)
        rates[workers] = rate
        if workers == 1:
            engine_us = result["recommend_cpu"] / done * 1e6
        cpu_a_case[workers] = parent + in_workers
        outputs[workers] = out.read_bytes() if args.n <= 200_000 else b""
        print(f"\n--workers {workers}: {done:,} cases ({result['errors']} bad) in {result['wall']:.1f} s = {rate:,.0f} cases/s"
              f"   400,000 would take {TARGET_CASES / rate:,.0f} s (target {TARGET_SECONDS:.0f} s)")
        print(f"  CPU a case: batch process {parent:,.0f} µs, workers {in_workers:,.0f} µs (start-up taken off)")
        print(f"  output: {average:,.0f} bytes a case on average, the largest line {largest:,} bytes "
              f"({out.stat().st_size / 1e6:,.1f} MB; 400,000 cases: {average * TARGET_CASES / 1e9:.2f} GB)")
        print(f"  load average before {before}, after {after}")
        if not args.keep:
            out.unlink()

    print()
    if 1 in rates and 2 in rates:
        print(f"1 -> 2 workers: {rates[2] / rates[1]:.2f}x cases/s (2.00x would be both cores, each as fast as one alone)")
        print(f"  CPU a case, all processes: {cpu_a_case[1]:,.0f} µs with 1 worker, {cpu_a_case[2]:,.0f} µs with 2: "
              f"given two free cores, 2 workers would give {2 * cpu_a_case[1] / cpu_a_case[2]:.2f}x")
    if len(outputs) > 1 and all(outputs.values()):
        same = len(set(outputs.values())) == 1
        print(f"outputs of {', '.join(map(str, outputs))} workers: {'the same bytes' if same else 'DIFFERENT'}")
    if engine_us is not None:
        print(f"The advice's own share (recommend less the receipt), timed inside the 1-worker run: {engine_us:,.0f} µs CPU a case = "
              f"{engine_us / cpu_a_case[1]:.0%} of that run's {cpu_a_case[1]:,.0f} µs a case; the rest ("
              f"{cpu_a_case[1] - engine_us:,.0f} µs) is reading, parsing, encoding and writing")
    best = max(rates.values())
    met = TARGET_CASES / best <= TARGET_SECONDS
    print(f"400,000 cases in {TARGET_SECONDS:.0f} s: {'met' if met else 'NOT met'} on this machine in this run "
          f"(best {TARGET_CASES / best:,.0f} s); it needs {TARGET_CASES / TARGET_SECONDS:,.0f} cases/s")
    if not args.keep:
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
