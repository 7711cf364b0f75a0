"""Issue 17.3, the web side: no document is parsed in the event loop. A coach's case document
is read by the app's reader (a process with a memory limit and a deadline under `wegwijzer
serve`), forms are counted before they are parsed, and /healthz answers while a heavy
document is being read. Loopback only; every wait is bounded."""
from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from engine import Engine
from engine.caseload import MAX_INPUT_BYTES
from engine.errors import InputError
from engine.web import intake
from engine.web.app import create_app
from engine.web.intake import ReaderPool, ThreadReader
from web_server import ServerThread

READ_TIMEOUT = 3.0
CASE = ("case_id: r-1\nmunicipality: leiden\nas_of: 2026-03-01\nassessments:\n"
        "  - date: 2026-01-05\n    domains:\n      finances: {self_reliance: 2}\n")


def alias_bomb(levels: int) -> str:
    """A few hundred bytes that expand to 9**levels strings (the issue's 447-byte file has 9 levels)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def heavy_yaml() -> str:
    """Legal YAML just under the 1 MiB cap: seconds of parsing, far more than the reader's deadline."""
    lines = ["case_id: zwaar", "municipality: leiden", "notes:"]
    size, i = sum(len(line) + 1 for line in lines), 0
    while size < MAX_INPUT_BYTES - 100:
        line = f"  - {{a: {i}, b: [x, y, z], c: {{d: e}}}}"
        lines.append(line)
        size += len(line) + 1
        i += 1
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module")
def reader():
    pool = ReaderPool(size=1, timeout=READ_TIMEOUT)
    yield pool
    pool.close()


def _form_token(client: httpx.Client | TestClient) -> str:
    html = client.get("/casus").text
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_the_reader_pool_reads_a_case_and_refuses_an_alias_bomb_within_its_deadline(reader) -> None:
    assert asyncio.run(reader.read(CASE))["assessments"][0]["date"] == "2026-01-05"
    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        asyncio.run(reader.read(alias_bomb(9)))
    assert time.monotonic() - started < READ_TIMEOUT + 30  # killed at the deadline (or refused sooner by the reader)
    assert refused.value.problems[0][0] == ""
    assert asyncio.run(reader.read(CASE))["case_id"] == "r-1"  # the reader that replaced it reads on


def allocate(_: object, kind: str, size: int) -> int:
    return len(bytearray(size))


def test_a_reader_process_cannot_grow_past_its_memory_limit() -> None:
    from engine.web.workers import WorkerPool

    pool = WorkerPool(None, size=1, timeout=30, task=allocate, setup=intake._reader_setup)
    try:
        assert pool.call("casus", 50 * 1024 * 1024) == 50 * 1024 * 1024  # room for a real document
        with pytest.raises(RuntimeError, match="MemoryError"):
            pool.call("casus", intake.READ_MEMORY + 64 * 1024 * 1024)
        assert pool.call("casus", 1024) == 1024
    finally:
        pool.close()


def test_what_a_document_expands_to_is_capped_while_it_is_encoded() -> None:
    row = ["lol"] * 1000
    shared = [row] * 1000  # a million strings held as one list of one list: what aliases make
    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        intake._Capped(intake.MAX_EXPANDED).within(shared)
    assert "expands to more than" in str(refused.value)
    assert time.monotonic() - started < 10
    assert intake._Capped(intake.MAX_EXPANDED).within([row] * 10).count("lol") == 10_000


def test_the_coach_reads_why_a_document_was_refused_in_dutch() -> None:
    from engine.web import dutch

    assert dutch.input_message("", intake.TOO_COSTLY).startswith("Het lezen van dit document kost te veel tijd")
    with pytest.raises(InputError) as refused:
        intake._Capped(10).within(["lol"] * 10)
    assert dutch.input_message("", refused.value.problems[0][1]).startswith("Het document wordt bij het lezen te groot")


def test_a_multipart_form_of_many_parts_is_refused_before_it_is_parsed(engine, monkeypatch) -> None:
    def must_not_parse(*args):
        raise AssertionError("the multipart parser ran")

    monkeypatch.setattr(intake, "_parse_multipart", must_not_parse)
    client = TestClient(create_app(engine, token=""))
    _form_token(client)
    body = b"".join(b"--b\r\nContent-Disposition: form-data;name=x\r\n\r\n\r\n" for _ in range(83_884)) + b"--b--\r\n"
    assert len(body) < 4 * MAX_INPUT_BYTES
    response = client.post("/casus", content=body, headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 422 and "<html" in response.text.lower()


def test_lines_of_a_file_that_start_with_dashes_are_not_taken_for_parts(engine) -> None:
    client = TestClient(create_app(engine, token=""))
    token = _form_token(client)
    dashes = "".join(f"--{i}\n" for i in range(150))  # 150 lines starting with "--" in the file's own text
    page = client.post("/casus", data={"csrf_token": token},
                       files={"document_file": ("casus.yaml", (CASE + dashes).encode(), "application/yaml")})
    assert page.status_code == 422
    assert "te veel velden" not in page.text and "geen geldige YAML" in page.text  # the file was read, and refused


def test_the_case_page_reads_through_the_apps_reader(engine) -> None:
    seen = []

    class Noting(ThreadReader):
        async def read(self, text: str, source: str = "casus"):
            seen.append(len(text))
            return await super().read(text, source)

    client = TestClient(create_app(engine, token="", reader=Noting()))
    token = _form_token(client)
    page = client.post("/casus", data={"csrf_token": token, "document_text": CASE})
    assert page.status_code == 200 and "Advies voor de casus" in page.text
    assert seen == [len(CASE)]  # and the hidden document of the next post goes the same way
    hidden = page.text.split('name="document" value="', 1)[1].split('"', 1)[0]
    import html

    client.post("/casus/download", data={"csrf_token": token, "document": html.unescape(hidden)})
    assert len(seen) == 2


def test_healthz_answers_while_a_heavy_document_and_a_bomb_are_being_read(engine, reader) -> None:
    app = create_app(engine, token="", reader=reader)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        token = _form_token(client)
        answers: dict[str, tuple[int, float]] = {}

        def post(name: str, document: str) -> None:
            response = client.post("/casus", data={"csrf_token": token},
                                   files={"document_file": (f"{name}.yaml", document.encode(), "application/yaml")})
            answers[name] = (response.status_code, time.monotonic())

        heavy = threading.Thread(target=post, args=("heavy", heavy_yaml()))
        bomb = threading.Thread(target=post, args=("bomb", alias_bomb(9)))
        heavy.start()
        time.sleep(0.5)
        bomb.start()
        time.sleep(0.5)
        with httpx.Client(base_url=server.url, timeout=5) as probe:  # a generous bound; the loop must be free
            health = probe.get("/healthz")
        answered = time.monotonic()
        assert health.status_code == 200
        heavy.join(timeout=READ_TIMEOUT + 60)
        bomb.join(timeout=READ_TIMEOUT + 60)
        assert answers["heavy"][0] == 422 and answers["bomb"][0] == 422  # refused with a Dutch page, not a 500
        assert answered < answers["heavy"][1], "healthz waited for the heavy document"
        assert client.post("/casus", data={"csrf_token": token, "document_text": CASE}).status_code == 200
