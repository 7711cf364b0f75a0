"""A writer process for tests/test_store_concurrency.py: adds contacts to cases, one write at a time.

    python tests/store_worker.py URL WORKER N CASE [CASE ...]
"""
from __future__ import annotations

import sys
from datetime import date, timedelta

from engine.store import LOCAL, Store


def main() -> None:
    url, worker, n, *case_ids = sys.argv[1:]
    store = Store(url, shared=False, migrate=False)
    start = date(2026, 1, 1) + timedelta(days=int(worker) * 100)
    for i in range(int(n)):
        for case_id in case_ids:
            store.add(LOCAL, case_id, {"date": (start + timedelta(days=i)).isoformat(), "kind": "phone",
                                       "reached": bool(i % 2)})
    store.close()


if __name__ == "__main__":
    main()
