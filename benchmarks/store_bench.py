"""Scale of the case store and the monitor: import N synthetic trajectories and run the monitor,
on SQLite and on PostgreSQL (a throwaway cluster from Debian's binaries, or --pg-url).

    .venv/bin/python benchmarks/store_bench.py --n 100000

Runs the real CLI (`wegwijzer case import`, `wegwijzer monitor`) as subprocesses and prints
wall-clock seconds per step as JSON. Figures of a real run: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from store_synth import trajectories  # noqa: E402


def _timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {out.stderr[-2000:]}")
    return round(time.perf_counter() - started, 1)


def _pg_cluster(root: str) -> tuple[str, list[str]]:
    bindir = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1])
    wrap = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = f"{root}/data"
    subprocess.run([*wrap, f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust"], check=True,
                   capture_output=True)
    subprocess.run([*wrap, f"{bindir}/pg_ctl", "-D", data, "-l", f"{root}/log", "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}", "start"],
                   check=True, capture_output=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", [*wrap, f"{bindir}/pg_ctl", "-D", data,
                                                                        "-m", "fast", "stop"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--pg-url", help="use this PostgreSQL database instead of a throwaway cluster")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="wegwijzer-bench-")
    caseload = Path(work) / "cases.jsonl"
    started = time.perf_counter()
    with caseload.open("w") as f:
        for case in trajectories(args.n):
            f.write(json.dumps(case, separators=(",", ":")) + "\n")
    results: dict = {"n": args.n, "generate_s": round(time.perf_counter() - started, 1),
                     "caseload_mb": round(caseload.stat().st_size / 1e6, 1)}
    cli = [sys.executable, "-m", "engine.cli"]
    env = {**os.environ, "WEGWIJZER_SHARED": "0"}
    targets = [("sqlite", f"sqlite:///{work}/cases.sqlite")]
    stop = None
    pg_root = None
    if not args.skip_pg:
        if args.pg_url:
            targets.append(("postgresql", args.pg_url))
        else:
            pg_root = tempfile.mkdtemp(prefix="wegwijzer-bench-pg-")
            url, stop = _pg_cluster(pg_root)
            targets.append(("postgresql", url))
    try:
        for name, url in targets:
            results[name] = {
                "import_s": _timed([*cli, "case", "import", str(caseload), "--db", url], env),
                "import_again_s": _timed([*cli, "case", "import", str(caseload), "--db", url], env),
                "monitor_no_advice_s": _timed([*cli, "monitor", "--db", url, "--no-advice", "--out",
                                               f"{work}/{name}-plain"], env),
                "monitor_with_advice_s": _timed([*cli, "monitor", "--db", url, "--out", f"{work}/{name}-advice"], env),
            }
            print(json.dumps({name: results[name]}), file=sys.stderr)
        results["monitor_caseload_no_advice_s"] = _timed(
            [*cli, "monitor", "--caseload", str(caseload), "--no-advice", "--out", f"{work}/file"], env)
    finally:
        if stop:
            subprocess.run(stop, capture_output=True)
        if pg_root:
            shutil.rmtree(pg_root, ignore_errors=True)
    print(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
