"""Against a real uvicorn server on loopback: no assessment content in logs, concurrency, streamed bodies."""
from __future__ import annotations

import copy
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from engine import Engine
from engine.web.app import create_app
from web_server import ServerThread

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.yaml"))]
CANARY = "zz-canary-4711"


@pytest.fixture(scope="module")
def server():
    # 50 requests at once from this one address: each gets a slot (the per-address share,
    # engine.web.guard, is tested in test_web_slow_clients.py)
    with ServerThread(create_app(Engine.load(), token="", max_body=4096, max_per_client=64)) as running:
        yield running


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_no_assessment_content_in_any_log_line(server: ServerThread) -> None:
    capture = Capture()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "wegwijzer", "wegwijzer.web")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        lg.setLevel(logging.DEBUG)
    try:
        case = {**EXAMPLES[0], "case_id": CANARY}
        with httpx.Client(base_url=server.url) as client:
            assert client.post("/v1/recommend", json=case).status_code == 200
            assert client.post("/v1/explain", json=case).status_code == 200
            assert client.post("/v1/recommend", json={**case, CANARY.replace("-", "_"): 1, "age": CANARY}).status_code == 422
            assert client.post("/v1/recommend", content=f'{{"case_id": "{CANARY}"'.encode(),
                               headers={"content-type": "application/json"}).status_code == 400
            html = client.get("/").text
            token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            form = {"municipality": "leiden", "case_id": CANARY, "domains.finances.self_reliance": "2",
                    "csrf_token": token}
            assert client.post("/advies", data=form).status_code == 200
            assert client.post("/advies", data={**form, "age": CANARY}).status_code == 422
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(capture)
            lg.setLevel(level)
    assert any("POST /v1/recommend 200" in line for line in capture.lines), capture.lines
    assert any("POST /advies 422" in line for line in capture.lines), capture.lines
    leaked = [line for line in capture.lines if CANARY in line or CANARY.replace("-", "_") in line]
    assert leaked == []


def _cases(n: int) -> list[dict]:
    cases = []
    for i in range(n):
        case = copy.deepcopy(EXAMPLES[i % len(EXAMPLES)])
        case["case_id"] = f"concurrent-{i}"
        domains = case.setdefault("domains", {})
        finances = domains.setdefault("finances", {"self_reliance": 3})
        finances["self_reliance"] = 1 + (i // len(EXAMPLES)) % 5
        case["conversations_held"] = i % 6
        cases.append(case)
    return cases


def test_200_concurrent_requests_equal_sequential_ones(server: ServerThread) -> None:
    cases = _cases(200)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sequential = [client.post("/v1/recommend", json=case) for case in cases]
        assert all(r.status_code == 200 for r in sequential), [r.text for r in sequential if r.status_code != 200][:1]
        with ThreadPoolExecutor(max_workers=50) as pool:
            concurrent = list(pool.map(lambda case: client.post("/v1/recommend", json=case), cases))
    assert [r.status_code for r in concurrent] == [200] * len(cases)
    assert [r.json() for r in concurrent] == [r.json() for r in sequential]
    assert len({json.dumps(r.json()["interventions"]) for r in sequential}) > 5  # the cases really differ


def test_streamed_body_over_the_limit_is_413_without_content_length(server: ServerThread) -> None:
    def chunks():
        yield b'{"municipality": "leiden", "x": "'
        for _ in range(10):
            yield b"a" * 1024
        yield b'"}'

    response = httpx.post(f"{server.url}/v1/recommend", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("body-too-large")
