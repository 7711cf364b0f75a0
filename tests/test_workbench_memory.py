"""Issue 9 item 9: loading the rules again and again does not grow memory without bound.

durable-rules keeps every compiled ruleset in its C engine; before the matcher freed them,
1,000 `Engine.load()` calls grew the process by about 640 MB. Measured in a child process
(resident set size from /proc), so the suite's own memory does not blur it.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap


LOADS = 1000
BOUND_MB = 20

SCRIPT = textwrap.dedent(f"""
    import gc
    from engine.api import Engine

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 1e6

    case = {{"municipality": "helmond", "conversations_held": 5, "domains": {{"finances": {{"self_reliance": 2}}}}}}
    for _ in range(20):  # warm-up: imports, pydantic and allocator caches
        Engine.load().recommend(case)
    gc.collect()
    before = rss_mb()
    for _ in range({LOADS}):
        Engine.load().recommend(case)
    gc.collect()
    print(rss_mb() - before)
""")


def test_a_thousand_loads_stay_within_bounded_memory():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    growth = float(done.stdout.strip().splitlines()[-1])
    assert growth < BOUND_MB, f"{LOADS} loads grew the process by {growth:.1f} MB"
