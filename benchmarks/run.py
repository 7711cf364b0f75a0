"""Wegwijzer benchmark: the engine against its floor and a plain-Python reference, in one run.

    python benchmarks/run.py              # table
    python benchmarks/run.py --n 2000 --json

On one synthetic caseload (engine.synth, the three municipalities interleaved), it measures
- engine: `Engine.recommend(dict)` end to end (validation, fact, durable-rules, resolution);
  cases/s and per-case p50 / p99 latency;
- core floor: durable-rules' C engine alone on the same compiled rulesets (Matcher.rulesets)
  and the same facts as the engine asserts them (Matcher.durable_fact, prepared before
  timing): per case and rule set, encode the fact, assert it, run the agenda without
  reading it (start, give the state back, complete-and-start the next), delete the session.
  No engine that asks the C engine about every rule set can do less to learn what fired;
  the engine now can beat it, as it does not ask at all on a memo hit (engine/matcher.py);
- API floor: the same through durable-rules' own Python layer (Host.assert_fact, actions
  that do nothing: own Host subclass), which decodes state and fact for every firing. This
  was the floor until the engine ran the agenda itself (engine/matcher.py says why); the
  issues' target engine/floor <= 1.5 was set against it, so it is kept, and the engine
  now runs below it;
- reference: engine.conditions.holds over every decision, profile and lead condition on
  the same facts (plain Python, no durable-rules);
- matcher: the engine's matching alone (Matcher.match_assessment on validated assessments:
  building the facts, durable-rules, reading the firings), a Matcher of its own;
- memo: the matcher remembers each rule set's firings per projected fact (engine/matcher.py).
  The repeats replay the same caseload, so the engine's memo and the matcher's are emptied
  before each repeat (the trajectory's are put back before each call as they were after the
  caseload): every figure is for cases the memo has not seen. Printed: each rule set's hit
  rate (median over the repeats);
- zen-engine (GoRules' ZEN, a Rust core; a peer, not a floor): the same compiled rule sets
  translated into one decision table (hit policy collect, one row per rule, its condition
  one ZEN expression), evaluated on the same facts (prepared before timing). Before timing,
  its firings are checked equal to the matcher's on every case of the caseload; a
  difference stops the run. Reported as matcher/zen-engine (target <= 1.5) and engine/zen;
  left out, with a line saying so, when zen-engine is not installed (the dev extras have it);
- RSS growth (VmRSS from /proc/self/status) over --rss-n recommend calls (default
  100,000; the caseload is cycled), after a warm-up;
- rules load + compile time (Engine.load, warm imports);
- cold start of `wegwijzer recommend CASE --format json` as a subprocess;
- trajectory: `Engine.recommend(case)` for one case with history (engine.trajectory_synth.long_case:
  10 assessments, 40 intervention log entries, goals, contacts, profiles), p50 / p99 over
  --trajectory-n calls per repeat, each repeat interleaved with the engine's own runs, the
  memo emptied before each call (untimed).
Timings are medians over --repeats runs; within a run the four take turns on chunks of
--chunk cases (250), so that the drift of a shared machine hits all alike, and each
engine/floor is the median of each run's own ratio. Nothing here asserts a
target: it reports.
"""
from __future__ import annotations

import argparse
import copy
import durable_rules_engine
import gc
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from engine.api import Engine, parse_assessment  # noqa: E402
from engine.conditions import holds  # noqa: E402
from engine.facts import build_fact  # noqa: E402
from engine.matcher import Matcher, SyncHost  # noqa: E402
from engine.synth import MUNICIPALITIES, generate  # noqa: E402
from engine.trajectory_synth import long_case  # noqa: E402

# engine_over_floor is engine over the API floor (the target's own floor, see above)
TARGETS = {"engine_over_floor": 1.5, "matcher_over_zen": 1.5, "recommend_p50_us": 150.0, "p50_ms": 1.0, "rss_growth_mb": 10.0, "load_ms": 100.0, "cold_start_ms": 500.0,
           "trajectory_p50_ms": 2.0}


def caseload(n: int, seed: int) -> list[dict[str, Any]]:
    """n cases, the three municipalities interleaved (deterministic)."""
    streams = [generate(m, (n + 2) // 3, seed + i) for i, m in enumerate(MUNICIPALITIES)]
    cases = [case for trio in zip(*streams) for case in trio]
    return cases[:n]


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ------------------------------------------------------------------ the three contenders


def time_engine(engine: Engine, cases: list[dict[str, Any]]) -> tuple[float, list[float]]:
    """(seconds in total, per-case latencies in ms)."""
    latencies = []
    clock = time.perf_counter_ns
    recommend = engine.recommend
    start = clock()
    for case in cases:
        t0 = clock()
        recommend(case)
        latencies.append((clock() - t0) / 1e6)
    return (clock() - start) / 1e9, latencies


class _NullHost(SyncHost):
    """Every action does nothing: the cost of durable-rules itself (with the same host
    set-up as the engine: no background dispatch threads, see engine.matcher.SyncHost)."""

    def get_action(self, action_name: str):
        def action(_context: Any) -> None:
            return None

        return action


class Floor:
    """The engine's compiled rulesets in a host of its own, renamed so they never collide."""

    _ids = itertools.count(1)

    def __init__(self, matcher: Matcher):
        prefix = f"floor{next(self._ids)}_"
        self.matcher = matcher
        # (the matcher's rule set, this host's name for it): every part of every rule file
        self.kinds = [(name, f"{prefix}{name}") for name in matcher.rulesets]
        self.host = _NullHost()
        self.host.set_rulesets({own: copy.deepcopy(matcher.rulesets[name]) for name, own in self.kinds})
        self.handles = {own: self.host.get_ruleset(own)._handle for _, own in self.kinds}
        self.sids = itertools.count(1)

    def prepare(self, facts: list[dict[str, Any]]) -> list[list[tuple[str, dict[str, Any]]]]:
        """Per case, per rule set, exactly the fact the engine's matcher asserts (untimed)."""
        return [[(own, self.matcher.durable_fact(name, fact, "")) for name, own in self.kinds] for fact in facts]

    def run_core(self, prepared: list[list[tuple[str, dict[str, Any]]]]) -> float:
        """The C engine alone: what durable-rules' Python layer calls, minus decoding anything."""
        native, handles, sids, dumps = durable_rules_engine, self.handles, self.sids, json.dumps
        start = time.perf_counter()
        for case in prepared:
            for name, fact in case:
                handle = handles[name]
                sid = str(next(sids))
                fact["sid"] = sid
                # every fact is handled (the compiled rulesets carry the catch-all rule, see
                # engine/matcher.py), so its session exists and deleting it is safe
                code, state_handle = native.assert_fact(handle, dumps(fact, ensure_ascii=False))
                started = native.start_action_for_state(handle, state_handle)
                if started:
                    state, messages = started[0], started[1]
                    while messages:
                        native.update_state(handle, state)
                        messages = native.complete_and_start_action(handle, state_handle)
                native.delete_state(handle, sid)
        return time.perf_counter() - start

    def run_api(self, prepared: list[list[tuple[str, dict[str, Any]]]]) -> float:
        """Through durable-rules' Python layer, actions that do nothing."""
        host, sids = self.host, self.sids
        start = time.perf_counter()
        for case in prepared:
            for name, fact in case:
                sid = str(next(sids))
                fact["sid"] = sid
                host.assert_fact(name, fact)
                host.delete_state(name, sid)
        return time.perf_counter() - start


class Zen:
    """The engine's compiled rule sets as one ZEN decision table (see the module docstring)."""

    OPS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=", "$neq": "!="}

    def __init__(self, matcher: Matcher):
        import zen  # zen-engine, a dev extra

        from engine.matcher import EVERY_CASE

        self.matcher = matcher
        keys = sorted({key for keys in matcher._keys.values() for key in keys})
        # fact keys hold dots (`domains.finances.self_reliance`), which ZEN reads as paths:
        # each gets a plain name of its own
        self.names = {key: f"k{index}" for index, key in enumerate(keys)}
        rows = []
        for ruleset_name, ruleset in matcher.rulesets.items():
            kind = matcher.kind_of(ruleset_name)
            for rule_id, rule in ruleset.items():
                if rule_id == EVERY_CASE:
                    continue
                rows.append({"_id": f"r{len(rows)}", "when": self.expression(rule["all"][0]["m"]),
                             "rule": json.dumps(f"{kind}:{rule_id}")})
        content = {"hitPolicy": "collect", "inputs": [{"id": "when", "name": "when", "field": ""}],
                   "outputs": [{"id": "rule", "name": "rule", "field": "rule"}], "rules": rows}
        graph = {"nodes": [{"id": "in", "type": "inputNode", "name": "fact", "position": {"x": 0, "y": 0}},
                           {"id": "rules", "type": "decisionTableNode", "name": "rules", "position": {"x": 0, "y": 0},
                            "content": content},
                           {"id": "out", "type": "outputNode", "name": "fired", "position": {"x": 0, "y": 0}}],
                 "edges": [{"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
                           {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"}]}
        self.rows = len(rows)
        self.decision = zen.ZenEngine().create_decision(json.dumps(graph))

    def expression(self, expr: dict[str, Any]) -> str:
        """A durable-rules expression (engine.conditions.to_durable) as a ZEN expression. A
        comparison on a key the fact lacks does not hold, as in durable-rules."""
        (key, value), = expr.items()
        if key in ("$and", "$or"):
            joined = " and " if key == "$and" else " or "
            return joined.join(f"({self.expression(part)})" for part in value)
        if key in self.OPS:
            (field, literal), = value.items()
            name = self.names[field]
            return f"{name} != null and {name} {self.OPS[key]} {json.dumps(literal)}"
        return f"{self.names[key]} == {json.dumps(value)}"

    def prepare(self, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{self.names[key]: value for key, value in fact.items() if key in self.names} for fact in facts]

    def fired(self, prepared: dict[str, Any]) -> dict[str, set[str]]:
        fired: dict[str, set[str]] = {kind: set() for kind in self.matcher.KINDS}
        for row in self.decision.evaluate(prepared)["result"]:
            kind, _, rule_id = row["rule"].partition(":")
            fired[kind].add(rule_id)
        return fired

    def run(self, prepared: list[dict[str, Any]]) -> float:
        evaluate = self.decision.evaluate
        start = time.perf_counter()
        for fact in prepared:
            evaluate(fact)
        return time.perf_counter() - start


def time_matcher(matcher: Matcher, assessments: list[Any]) -> float:
    match = matcher.match_assessment
    start = time.perf_counter()
    for assessment in assessments:
        match(assessment)
    return time.perf_counter() - start


def reference_conditions(engine: Engine) -> list[Any]:
    book = engine.book
    conds = [n.when for n in book.flowchart.nodes.values() if n.type == "decision"]
    conds += [r.when for r in book.profile_rules] + [r.when for r in book.lead_rules]
    return conds


def time_trajectory(engine: Engine, case: dict[str, Any], n: int) -> list[float]:
    """Per-call latencies (ms) of advising one case with history, n times, each as never seen
    by an engine that has advised what it advised before this call (the caseload): the memos
    are put back as they were before every call. A just-loaded engine, its memos empty, pays
    more (benchmarks/RESULTS.md, eighth session, memo: +52 % instructions a case)."""
    latencies = []
    clock = time.perf_counter_ns
    matcher = engine._matcher
    before = matcher.memo_snapshot()
    recommend = engine.recommend
    for _ in range(n):
        matcher.restore_memo(before)
        t0 = clock()
        recommend(case)
        latencies.append((clock() - t0) / 1e6)
    return latencies


def time_reference(conds: list[Any], facts: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for fact in facts:
        for cond in conds:
            holds(cond, fact)
    return time.perf_counter() - start


# ------------------------------------------------------------------ memory, load, cold start


def rss_growth_mb(engine: Engine, cases: list[dict[str, Any]], n: int) -> float:
    recommend = engine.recommend
    for case in cases[: min(len(cases), 1000)]:  # warm up: caches, allocator arenas
        recommend(case)
    gc.collect()
    before = rss_kb()
    for case in itertools.islice(itertools.cycle(cases), n):
        recommend(case)
    gc.collect()
    return (rss_kb() - before) / 1024


def load_ms(repeats: int) -> float:
    Engine.load()  # imports and first-time setup out of the way
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Engine.load()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cold_start_ms(case: dict[str, Any], repeats: int) -> float | None:
    exe = shutil.which("wegwijzer", path=str(Path(sys.executable).parent)) or shutil.which("wegwijzer")
    command = [exe] if exe else [sys.executable, "-m", "engine.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.json"
        path.write_text(json.dumps(case), encoding="utf-8")
        times = []
        for _ in range(repeats + 1):
            start = time.perf_counter()
            done = subprocess.run([*command, "recommend", str(path), "--format", "json"],
                                  capture_output=True, cwd=tmp, env={**os.environ, "WEGWIJZER_CACHE_DIR": tmp})
            times.append((time.perf_counter() - start) * 1000)
            if done.returncode != 0:
                sys.stderr.write(done.stderr.decode(errors="replace"))
                return None
    # the first run warms the page cache and fills this run's own rulebook cache (engine.rulecache):
    # the median is a warm start, as every start after the first; benchmarks/coldstart.py has the others
    return statistics.median(times[1:])


# ------------------------------------------------------------------ main


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    cases = caseload(args.n, args.seed)
    engine = Engine.load()
    assessments = [parse_assessment(case) for case in cases]
    facts = [build_fact(assessment) for assessment in assessments]
    floor = Floor(engine._matcher)
    prepared = floor.prepare(facts)
    conds = reference_conditions(engine)
    try:
        zen_peer: Zen | None = Zen(engine._matcher)
    except ImportError:
        zen_peer = None
    zen_prepared: list[dict[str, Any]] = []
    if zen_peer is not None:
        zen_prepared = zen_peer.prepare(facts)
        for case, assessment, zen_fact in zip(cases, assessments, zen_prepared):
            ours, theirs = engine._matcher.match_assessment(assessment), zen_peer.fired(zen_fact)
            if ours != theirs:
                raise SystemExit(f"zen-engine fires differently on {case.get('case_id')}: "
                                 f"{ {k: sorted(ours[k] ^ theirs[k]) for k in ours if ours[k] != theirs[k]} }")

    # warm-up, then repeats; within each repeat the three contenders take turns on chunks of
    # --chunk cases, so that the machine's drift (shared CPUs vary by tens of percent within
    # seconds) hits all three alike instead of whichever ran during a slow spell
    time_engine(engine, cases[:200])
    floor.run_core(prepared[:200])
    floor.run_api(prepared[:200])
    time_reference(conds, facts[:200])
    matcher = Matcher(engine.book)  # the matcher contender's own memo, apart from the engine's
    time_matcher(matcher, assessments[:200])
    if zen_peer is not None:
        zen_peer.run(zen_prepared[:200])
    trajectory = long_case("tilburg", args.seed, assessments=10, entries=40, engine=engine)
    time_trajectory(engine, trajectory, 50)
    engine_runs, floor_runs, core_runs, reference_runs, ratios, core_ratios, p50s, p99s = [], [], [], [], [], [], [], []
    trajectory_p50s, trajectory_p99s = [], []
    matcher_runs, zen_runs, matcher_zen_ratios, engine_zen_ratios = [], [], [], []
    hit_rates: list[dict[str, float]] = []
    for _ in range(args.repeats):
        # the repeats replay the same cases: nothing remembered from the last one (nor from
        # the zen check and the warm-up), so each figure is for cases the memo has not seen
        engine._matcher.clear_memo()
        matcher.clear_memo()
        gc.collect()
        engine_s = floor_s = core_s = reference_s = matcher_s = zen_s = 0.0
        latencies: list[float] = []
        chunk = args.chunk or len(cases)
        for start in range(0, len(cases), chunk):
            end = start + chunk
            seconds, chunk_latencies = time_engine(engine, cases[start:end])
            engine_s += seconds
            latencies += chunk_latencies
            core_s += floor.run_core(prepared[start:end])
            floor_s += floor.run_api(prepared[start:end])
            reference_s += time_reference(conds, facts[start:end])
            matcher_s += time_matcher(matcher, assessments[start:end])
            if zen_peer is not None:
                zen_s += zen_peer.run(zen_prepared[start:end])
        hit_rates.append(engine._matcher.memo_hit_rates())
        matcher_runs.append(len(cases) / matcher_s)
        if zen_peer is not None:
            zen_runs.append(len(cases) / zen_s)
            matcher_zen_ratios.append(matcher_s / zen_s)
            engine_zen_ratios.append(engine_s / zen_s)
        engine_runs.append(len(cases) / engine_s)
        floor_runs.append(len(cases) / floor_s)
        core_runs.append(len(cases) / core_s)
        core_ratios.append(engine_s / core_s)
        reference_runs.append(len(cases) / reference_s)
        ratios.append(engine_s / floor_s)
        p50s.append(percentile(latencies, 0.50))
        p99s.append(percentile(latencies, 0.99))
        gc.collect()
        trajectory_latencies = time_trajectory(engine, trajectory, args.trajectory_n)
        trajectory_p50s.append(percentile(trajectory_latencies, 0.50))
        trajectory_p99s.append(percentile(trajectory_latencies, 0.99))

    result: dict[str, Any] = {
        "n": len(cases),
        "repeats": args.repeats,
        "chunk": args.chunk,
        "cases_per_s": round(statistics.median(engine_runs), 1),
        "p50_ms": round(statistics.median(p50s), 4),
        "p99_ms": round(statistics.median(p99s), 4),
        "floor_cases_per_s": round(statistics.median(floor_runs), 1),
        "core_floor_cases_per_s": round(statistics.median(core_runs), 1),
        "reference_cases_per_s": round(statistics.median(reference_runs), 1),
    }
    result["p50_us"] = round(result["p50_ms"] * 1000, 1)
    result["matcher_cases_per_s"] = round(statistics.median(matcher_runs), 1)
    prefix = len(engine._matcher._prefix) + 1
    result["memo_hit_rates"] = {name[prefix:]: round(statistics.median(run[name] for run in hit_rates), 3)
                                for name in engine._matcher.rulesets}
    result["zen_rows"] = zen_peer.rows if zen_peer is not None else None
    result["zen_cases_per_s"] = round(statistics.median(zen_runs), 1) if zen_runs else None
    result["matcher_over_zen"] = round(statistics.median(matcher_zen_ratios), 3) if zen_runs else None
    result["engine_over_zen"] = round(statistics.median(engine_zen_ratios), 3) if zen_runs else None
    # the median of each repeat's own ratio: both halves of a ratio measured side by side
    result["engine_over_floor"] = round(statistics.median(ratios), 3)
    result["engine_over_core_floor"] = round(statistics.median(core_ratios), 3)
    result["engine_over_reference"] = round(result["reference_cases_per_s"] / result["cases_per_s"], 3)
    result["trajectory_assessments"] = len(trajectory["assessments"])
    result["trajectory_log_entries"] = len(trajectory["interventions_log"])
    result["trajectory_p50_ms"] = round(statistics.median(trajectory_p50s), 4)
    result["trajectory_p99_ms"] = round(statistics.median(trajectory_p99s), 4)
    rss_n = args.rss_n if args.rss_n is not None else args.n if args.n < 2000 else 100_000
    result["rss_n"] = rss_n
    result["rss_growth_mb"] = round(rss_growth_mb(engine, cases, rss_n), 2)
    result["load_ms"] = round(load_ms(args.repeats), 1)
    cold = None if args.no_cold_start else cold_start_ms(cases[0], max(3, args.repeats))
    result["cold_start_ms"] = round(cold, 1) if cold is not None else None
    result["cpus"] = os.cpu_count()
    result["python"] = sys.version.split()[0]
    return result


def table(result: dict[str, Any]) -> str:
    rows = [
        ("engine  Engine.recommend", f"{result['cases_per_s']:>10,.0f} cases/s",
         f"p50 {result['p50_ms']:.3f} ms   p99 {result['p99_ms']:.3f} ms  (target p50 <= {TARGETS['recommend_p50_us']:.0f} µs)"),
        ("core floor  C engine alone", f"{result['core_floor_cases_per_s']:>10,.0f} cases/s",
         f"engine/core floor {result['engine_over_core_floor']:.2f}  (no target: the engine's own share)"),
        ("API floor  durable's Python API", f"{result['floor_cases_per_s']:>10,.0f} cases/s",
         f"engine/floor {result['engine_over_floor']:.2f}  (target <= {TARGETS['engine_over_floor']})"),
        ("reference  conditions.holds", f"{result['reference_cases_per_s']:>10,.0f} cases/s",
         f"engine/reference {result['engine_over_reference']:.2f}"),
        ("matcher  facts + durable-rules", f"{result['matcher_cases_per_s']:>10,.0f} cases/s",
         f"{1e6 / result['matcher_cases_per_s']:.0f} µs a case"),
    ]
    if result["zen_cases_per_s"] is not None:
        rows.append(("zen-engine  one decision table", f"{result['zen_cases_per_s']:>10,.0f} cases/s",
                     f"engine/zen {result['engine_over_zen']:.2f}   matcher/zen {result['matcher_over_zen']:.2f}"
                     f"  (target <= {TARGETS['matcher_over_zen']}; same firings on every case)"))
    else:
        rows.append(("zen-engine", "not installed", "pip install zen-engine (the dev extras have it)"))
    turns = f"alternating in chunks of {result['chunk']}" if result["chunk"] else "each on the whole caseload in turn"
    lines = [f"Wegwijzer benchmark: {result['n']:,} synthetic cases, median of {result['repeats']} runs "
             f"({turns}), {result['cpus']} CPUs, Python {result['python']}", ""]
    lines += [f"{a:<33}{b:<22}{c}" for a, b, c in rows]
    hits = result["memo_hit_rates"]
    lines.append(f"{'memo hits, cases never seen':<33}{len(hits)} rule sets{'':<9}"
                 + " ".join(f"{name.replace('flowchart', 'fc').replace('_part', '.')} {rate:.0%}" for name, rate in hits.items()))
    shape = f"{result['trajectory_assessments']} assess., {result['trajectory_log_entries']} log"
    lines.append(f"{'trajectory  one case':<33}{shape:<22}"
                 f"p50 {result['trajectory_p50_ms']:.3f} ms   p99 {result['trajectory_p99_ms']:.3f} ms  (target p50 <= {TARGETS['trajectory_p50_ms']} ms)")
    lines += [
        "",
        f"RSS growth over {result['rss_n']:,} cases   {result['rss_growth_mb']:.2f} MB   (target < {TARGETS['rss_growth_mb']:.0f} MB)",
        f"rules load + compile            {result['load_ms']:.1f} ms   (target < {TARGETS['load_ms']:.0f} ms)",
    ]
    if result["cold_start_ms"] is not None:
        lines.append(f"cold start `wegwijzer recommend` {result['cold_start_ms']:.0f} ms   (target < {TARGETS['cold_start_ms']:.0f} ms)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="cases in the timed caseload (default 5,000)")
    parser.add_argument("--rss-n", type=int, default=None,
                        help="recommend calls for the RSS measurement (default 100,000; --n when --n < 2,000)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; medians are reported (default 5)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--chunk", type=int, default=250,
                        help="cases per turn as engine, floors and reference alternate (default 250; "
                             "0: each runs the whole caseload in turn)")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the subprocess cold-start timing")
    parser.add_argument("--trajectory-n", type=int, default=500,
                        help="calls per repeat for the trajectory timing (default 500)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1 or args.chunk < 0:
        parser.error("--n and --repeats must be at least 1, --chunk at least 0")
    result = measure(args)
    print(json.dumps(result, sort_keys=True) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
