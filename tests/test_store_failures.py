"""No traceback from the store (issue 17, item 7): a database that is not there, not one, or full.

A full disk is real on SQLite (the store on a 1 MiB tmpfs, filled up; mounting needs root, as
the PostgreSQL fixture does) and on PostgreSQL the error class itself: triggers raise SQLSTATE
53100 (disk_full) on every write, as a full disk makes PostgreSQL do.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.store import LOCAL, Store
from store_cases import CONTACT, FOLLOW_UP, case_doc
from store_db import _free_port, db_url, pg_server  # noqa: F401  (fixtures)

READS = (("list",), ("show", "c-1"), ("export", "c-1"), ("next", "c-1"), ("report", "c-1"))


def wegwijzer(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *argv], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "WEGWIJZER_SHARED": "0"}, timeout=180)


def _one_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    return out.stderr


def test_a_database_that_is_no_store_is_one_line(tmp_path, pg_server):  # noqa: F811
    not_a_database = tmp_path / "notes.sqlite"
    not_a_database.write_text("this is a text file, not a database\n" * 50)
    for db in ("mysql://user@localhost/cases", str(not_a_database), "nosuchdriver://x/y",
               f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/gone"):
        for argv in (("case", "list"), ("case", "import", "-"), ("user", "list")):
            message = _one_line(wegwijzer(*argv, "--db", db, stdin=json.dumps(case_doc())))
            assert "opslag" in message or "store" in message, (db, message)


def _mount_small_tmpfs(path: str) -> None:
    if os.geteuid() != 0:
        pytest.fail("a real full disk for SQLite needs a small tmpfs, and mounting one needs root", pytrace=False)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", path], check=True, timeout=30)


def _fill(folder: str) -> None:
    try:
        with open(os.path.join(folder, "filler"), "wb") as handle:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
    except OSError:
        pass  # ENOSPC: full


@pytest.fixture
def full_store(db_url, tmp_path) -> Iterator[str]:  # noqa: F811
    """The URL of a single-user store holding case c-1, whose disk is full."""
    if db_url.startswith("sqlite"):
        small = tmp_path / "small"
        small.mkdir()
        _mount_small_tmpfs(str(small))
        url = f"sqlite:///{small / 'cases.sqlite'}"
    else:
        url = db_url
    store = Store(url, shared=False)
    store.import_case(LOCAL, case_doc())
    if url.startswith("sqlite"):
        store.close()
        _fill(str(small))
    else:
        with store.engine.begin() as conn:
            conn.execute(sa.text("CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                 "RAISE EXCEPTION 'could not extend file: No space left on device' "
                                 "USING ERRCODE = 'disk_full'; END $$"))
            for table in ("cases", "case_keys", "audit", "users", "store_settings"):
                conn.execute(sa.text(f"CREATE TRIGGER full_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                                     "FOR EACH STATEMENT EXECUTE FUNCTION disk_full()"))
        store.close()
    try:
        yield url
    finally:
        if url.startswith("sqlite"):
            subprocess.run(["umount", "-l", str(small)], timeout=30)


def test_on_a_full_disk_reads_work_and_writes_are_one_dutch_line(full_store):
    db = full_store.removeprefix("sqlite:///")
    for argv in READS:
        out = wegwijzer("case", *argv, "--db", db)
        assert out.returncode == 0 and "Traceback" not in out.stderr, (argv, out.stderr)
        assert "c-1" in out.stdout or argv[0] == "report", argv
    for argv, stdin in ((("add", "c-1", "-"), json.dumps(FOLLOW_UP)), (("import", "-"), json.dumps(case_doc("c-2"))),
                        (("close", "c-1", "--on", "2026-02-01"), None), (("forget", "c-1"), None)):
        assert "de opslag is vol" in _one_line(wegwijzer("case", *argv, "--db", db, stdin=stdin)), argv
    assert len(json.loads(wegwijzer("case", "export", "c-1", "--db", db).stdout)["assessments"]) == 1


def test_on_a_full_disk_http_answers_503_and_healthz_says_so(full_store):
    from engine.web.app import create_app

    app = create_app()
    app.state.case_store = Store(full_store, shared=False)
    client = TestClient(app)
    assert "store" not in client.get("/healthz").json() or client.get("/healthz").json()["store"] == "ok"
    assert client.get("/v1/cases/c-1").status_code == 200
    response = client.post("/v1/cases/c-1/entries", json=CONTACT)
    assert response.status_code == 503 and response.headers["content-type"].startswith("application/problem+json")
    assert "vol" in response.json()["detail"] and "Retry-After" in response.headers
    assert client.get("/healthz").json()["store"].startswith("cannot write")
    assert client.get("/v1/cases/c-1/export").status_code == 200  # reading goes on
    app.state.case_store.close()


def test_an_id_that_cannot_be_stored_is_a_404_not_a_500(db_url):  # noqa: F811
    from engine.web.app import create_app

    app = create_app()
    app.state.case_store = Store(db_url, shared=False)
    client = TestClient(app, raise_server_exceptions=False)
    for case_id in ("x" * 65, "a%1B%5B2J%0Ab", "%C3%A9" * 40):
        for method, path in (("get", ""), ("get", "/next"), ("post", "/entries"), ("delete", "")):
            kwargs = {"json": CONTACT} if method == "post" else {}
            response = getattr(client, method)(f"/v1/cases/{case_id}{path}", **kwargs)
            assert response.status_code == 404, (case_id, path, response.status_code)
            assert "\x1b" not in response.text
    assert all(len(r["case_id"] or "") <= 64 for r in app.state.case_store.audit_trail())
    out = wegwijzer("case", "show", "y" * 65, "--db", db_url)
    assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr
    app.state.case_store.close()
