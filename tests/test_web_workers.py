"""A native crash in one request ends that request's worker only: 503 for it, 200 for the next.

The pool gets a task function that, for one marked case, kills its own process with SIGSEGV
as a durable-rules heap fault would (this hook lives in the test, not in the product). The
server is a real uvicorn on loopback; the workers are real spawned processes.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from engine import Engine
from engine.web.app import create_app
from engine.web.workers import WorkerPool, _run
from web_server import ServerThread

ROOT = Path(__file__).resolve().parent.parent
CASE = yaml.safe_load((ROOT / "examples" / "leiden_schulden_isolement.yaml").read_text(encoding="utf-8"))
FORM = {"municipality": "leiden", "domains.finances.self_reliance": "2"}


def segfault_on_marked_case(engine: Engine, kind: str, data: Any) -> Any:
    """Test-only task: a case whose case_id is 'crash-here' makes the worker die of SIGSEGV mid-request."""
    if isinstance(data, dict) and data.get("case_id") == "crash-here":
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(10)  # never reached
    if isinstance(data, dict) and data.get("case_id") == "hang-here":
        time.sleep(60)
    return _run(engine, kind, data)


@pytest.fixture(scope="module")
def pool():
    workers = WorkerPool(size=2, timeout=5, task=segfault_on_marked_case)
    yield workers
    workers.close()


@pytest.fixture(scope="module")
def server(pool: WorkerPool):
    with ServerThread(create_app(Engine.load(), token="", matcher=pool)) as running:
        yield running


def test_a_worker_killed_mid_request_costs_that_request_only(server: ServerThread, pool: WorkerPool) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.post("/v1/recommend", json=CASE).status_code == 200  # both workers warm
        before = pool.pids
        crashed = client.post("/v1/recommend", json={**CASE, "case_id": "crash-here"})
        assert crashed.status_code == 503, crashed.text
        assert crashed.headers["content-type"].startswith("application/problem+json")
        assert crashed.json()["type"] == "urn:wegwijzer:problem:worker-crashed"
        assert crashed.headers["retry-after"] == "1"
        assert pool.crashes == 1
        after = pool.pids
        assert len(after) == 2 and after != before  # the dead worker was replaced
        for _ in range(4):  # every worker, the new one included, answers
            nxt = client.post("/v1/recommend", json=CASE)
            assert nxt.status_code == 200
            assert nxt.json()["interventions"]
        assert client.get("/healthz").status_code == 200


def test_the_page_gets_a_dutch_503_page(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        page = client.get("/")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0] if "csrf_token" in page.text else ""
        form = {**FORM, "case_id": "crash-here", **({"csrf_token": token} if token else {})}
        crashed = client.post("/advies", data=form)
        assert crashed.status_code == 503
        assert crashed.headers["content-type"].startswith("text/html")
        assert "niet verwerkt" in crashed.text
        assert client.post("/advies", data={**form, "case_id": "na-crash"}).status_code == 200


def test_a_hung_worker_is_replaced_after_the_timeout(server: ServerThread, pool: WorkerPool) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        crashes = pool.crashes
        started = time.monotonic()
        hung = client.post("/v1/recommend", json={**CASE, "case_id": "hang-here"})
        assert hung.status_code == 503 and time.monotonic() - started < 30
        assert pool.crashes == crashes + 1
        assert client.post("/v1/recommend", json=CASE).status_code == 200


def test_input_errors_from_a_worker_are_422_naming_the_field(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        bad = client.post("/v1/recommend", json={**CASE, "age": 7})
        assert bad.status_code == 422
        assert [e["field"] for e in bad.json()["errors"]] == ["age"]
        explained = client.post("/v1/explain", json=CASE)
        assert explained.status_code == 200 and explained.json()["steps"]


def test_a_stored_case_is_advised_in_a_worker_too(pool: WorkerPool, tmp_path: Path) -> None:
    """/v1/cases/{id}/next and /report read the store in the server but match in the pool:
    a worker that dies on one stored case costs that request only (503), not the service."""
    from engine.store import Store

    app = create_app(Engine.load(), token="", matcher=pool)
    app.state.case_store = Store(f"sqlite:///{tmp_path / 'cases.db'}", shared=False)
    doc = {"municipality": "leiden", "assessments": [{"date": "2026-01-05", "conversations_held": 4,
                                                      "domains": {"finances": {"self_reliance": 2}}}]}
    try:
        with ServerThread(app) as running, httpx.Client(base_url=running.url, timeout=60) as client:
            for case_id in ("crash-here", "calm-1"):
                assert client.post("/v1/cases", json={**doc, "case_id": case_id}).status_code == 201
            crashes = pool.crashes
            crashed = client.get("/v1/cases/crash-here/next")
            assert crashed.status_code == 503, crashed.text
            assert crashed.json()["type"] == "urn:wegwijzer:problem:worker-crashed"
            assert pool.crashes == crashes + 1
            advice = client.get("/v1/cases/calm-1/next")
            assert advice.status_code == 200 and advice.json()["case_id"] == "calm-1"
            report = client.get("/v1/cases/calm-1/report")
            assert report.status_code == 200 and report.headers["content-type"].startswith("text/markdown")
            assert client.get("/v1/cases/crash-here/report").status_code == 503
            assert client.get("/healthz").status_code == 200
    finally:
        app.state.case_store.close()
