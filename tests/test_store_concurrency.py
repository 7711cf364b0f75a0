"""Loses nothing: parallel writer processes and a killed import, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from engine.model import Case
from engine.store import LOCAL, Store
from store_cases import case_doc
from store_db import db_url, pg_server, wait_for  # noqa: F401  (fixtures)

WORKER = str(Path(__file__).with_name("store_worker.py"))
ENV = {**os.environ, "WEGWIJZER_SHARED": "0", "PYTHONPATH": str(Path(__file__).parents[1])}


def test_parallel_writers_lose_no_update(db_url):  # noqa: F811
    store = Store(db_url, shared=False)
    workers, writes = 4, 15
    for w in range(workers):
        store.import_case(LOCAL, case_doc(f"own-{w}"))
    store.import_case(LOCAL, case_doc("together"))
    procs = [subprocess.Popen([sys.executable, WORKER, db_url, str(w), str(writes), f"own-{w}", "together"], env=ENV,
                              stderr=subprocess.PIPE, text=True) for w in range(workers)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    for w in range(workers):  # different cases: every write kept
        assert len(store.get(LOCAL, f"own-{w}").contacts) == writes
    # the same case from all writers at once: the version check made them retry, none overwrote another
    assert len(store.get(LOCAL, "together").contacts) == workers * writes
    store.close()


def test_a_killed_import_keeps_whole_cases_and_a_rerun_resumes(db_url, tmp_path):  # noqa: F811
    docs = [case_doc(f"bulk-{i:05d}", ["leiden", "helmond", "tilburg"][i % 3], rung=1 + i % 6) for i in range(6000)]
    caseload = tmp_path / "bulk.jsonl"
    caseload.write_text("".join(json.dumps(d) + "\n" for d in docs))
    store = Store(db_url, shared=False)

    def stored() -> int:
        with store.engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM cases")).scalar()

    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "case", "import", str(caseload), "--db", db_url],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: stored() > 0 or proc.poll() is not None, timeout=120)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    partial = stored()
    assert 0 < partial < len(docs), "the import must be killed midway for this test to mean anything"
    by_id = {d["case_id"]: d for d in docs}
    for case, _ in store.monitor_cases(LOCAL):  # every stored case is whole
        assert case == Case.model_validate(by_id[case.case_id])
    out = subprocess.run([sys.executable, "-m", "engine.cli", "case", "import", str(caseload), "--db", db_url],
                         env=ENV, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert f"stored): {len(docs) - partial}; al aanwezig (unchanged): {partial}" in out.stdout
    assert stored() == len(docs)
    store.close()


def test_processes_opening_a_new_store_at_once_all_get_it(db_url):  # noqa: F811
    code = ("import sys; from engine.store import Store, LOCAL; s = Store(sys.argv[1], shared=False); "
            "print(len(s.list_cases(LOCAL)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(proc.wait(timeout=300), proc.stdout.read().strip(), proc.stderr.read()[-500:]) for proc in procs]
    assert all(rc == 0 and out == "0" for rc, out, _ in results), results
