"""`wegwijzer case` end to end through the CLI, on SQLite and PostgreSQL (both as a single-user store:
a PostgreSQL store is single-user only when a program created it so, `Store(url, shared=False)`;
shared mode is tested in test_store_access.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from engine.store import Store
from store_cases import FOLLOW_UP, case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)


def wegwijzer(*argv: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *argv], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "WEGWIJZER_SHARED": "0", **(env or {})}, timeout=180)


def test_help_states_where_the_store_is():
    out = wegwijzer("case", "import", "--help")
    assert "WEGWIJZER_DB" in out.stdout and "cases.sqlite" in out.stdout and "--db" in out.stdout


def test_default_place_follows_xdg_data_home(tmp_path):
    out = wegwijzer("case", "import", "-", stdin=json.dumps(case_doc("x-1")), env={"XDG_DATA_HOME": str(tmp_path),
                                                                                 "WEGWIJZER_DB": ""})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "wegwijzer" / "cases.sqlite").is_file()


def single_user(db_url: str) -> str:
    Store(db_url, shared=False).close()  # recorded in the store: the CLI then opens it single-user
    return db_url


def test_a_caseload_over_the_cli(db_url, tmp_path):  # noqa: F811
    single_user(db_url)
    lines = tmp_path / "caseload.jsonl"
    lines.write_text("\n".join(json.dumps(case_doc(f"k-{i}")) for i in range(3)) + "\n{broken\n")
    out = wegwijzer("case", "import", str(lines), "--db", db_url)
    assert out.returncode == 1 and "stored): 3" in out.stdout and "caseload.jsonl:4" in out.stderr
    out = wegwijzer("case", "import", str(lines), "--db", db_url)  # again: resumes, stores nothing twice
    assert "stored): 0; al aanwezig (unchanged): 3" in out.stdout
    out = wegwijzer("case", "add", "k-1", "-", "--db", db_url, stdin=json.dumps(FOLLOW_UP))
    assert out.returncode == 0 and "assessment" in out.stdout
    out = wegwijzer("case", "list", "--db", db_url, "--format", "json")
    assert [(c["case_id"], c["assessments"]) for c in json.loads(out.stdout)] == [("k-0", 1), ("k-1", 2), ("k-2", 1)]
    out = wegwijzer("case", "next", "k-1", "--db", db_url, "--format", "json")
    assert json.loads(out.stdout)["case_id"] == "k-1"
    report_text = wegwijzer("case", "report", "k-1", "--db", db_url).stdout  # the voortgangsrapportage
    assert "Van trede 2 (" in report_text and ") naar trede 3 (" in report_text
    exported = json.loads(wegwijzer("case", "export", "k-1", "--db", db_url).stdout)
    assert len(exported["assessments"]) == 2
    assert wegwijzer("case", "close", "k-0", "--on", "2026-01-10", "--db", db_url).returncode == 0
    out = wegwijzer("case", "purge", "--db", db_url)
    assert out.returncode == 2 and "--retention-days" in out.stderr
    out = wegwijzer("case", "purge", "--db", db_url, "--today", "2027-01-10", env={"WEGWIJZER_RETENTION_DAYS": "365"})
    assert "purged): 0" in out.stdout  # closed exactly 365 days before: kept
    out = wegwijzer("case", "purge", "--db", db_url, "--today", "2027-01-11", env={"WEGWIJZER_RETENTION_DAYS": "365"})
    assert "purged): 1" in out.stdout
    assert wegwijzer("case", "forget", "k-2", "--db", db_url).returncode == 0
    out = wegwijzer("case", "show", "k-2", "--db", db_url)
    assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr
    out = wegwijzer("case", "list", "--db", db_url)
    assert out.stdout.split("\t")[0] == "k-1"


def test_a_bsn_is_refused_with_a_clear_message(db_url):  # noqa: F811
    single_user(db_url)
    out = wegwijzer("case", "import", "-", "--db", db_url, stdin=json.dumps(case_doc("111222333")))
    assert out.returncode == 1 and "BSN" in out.stderr and "Traceback" not in out.stderr


def test_the_coach_decides_on_the_advice_next_gave(db_url):  # noqa: F811
    Store(db_url, shared=False).close()  # recorded in the store: the CLI then opens it single-user
    assert wegwijzer("case", "import", "-", "--db", db_url, stdin=json.dumps(case_doc("d-1"))).returncode == 0
    out = wegwijzer("case", "next", "d-1", "--db", db_url, "--format", "json")
    advice_id = out.stderr.split("advies-id (advice id): ", 1)[1].split()[0]
    step = json.loads(out.stdout)["interventions"][0]["id"]
    out = wegwijzer("case", "decide", "d-1", advice_id, step, "not_now", "--db", db_url)
    assert out.returncode == 2 and "reason" in out.stderr and "Traceback" not in out.stderr
    out = wegwijzer("case", "decide", "d-1", advice_id, step, "not_now", "--reason", "waiting_list", "--db", db_url)
    assert out.returncode == 0, out.stderr
    decided = json.loads(wegwijzer("case", "decisions", "d-1", "--db", db_url).stdout)
    assert [(d["intervention_id"], d["decision"], d["reason"]) for d in decided] == [(step, "not_now", "waiting_list")]
    out = wegwijzer("case", "purge", "--db", db_url, "--retention-days", "30")
    assert "decision log entries purged: 0" in out.stdout  # kept at least six months
