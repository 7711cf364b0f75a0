"""Slow and greedy clients against a real `wegwijzer serve` on 127.0.0.1 (issue 9 item 3).

300 connections that send their request head a byte at a time do not stop /healthz from
answering, and are closed when the head deadline passes; a body that does not arrive gets
408; more requests at once than the cap get 503 with Retry-After; more open connections
than the cap get 503. Everything is loopback and every loop is bounded.
"""
from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from engine import Engine
from engine.web.app import create_app
from web_server import ServerThread

ROOT = Path(__file__).resolve().parent.parent
WEGWIJZER = Path(sys.executable).with_name("wegwijzer")
SLOW = 300
HEAD_TIMEOUT = 4.0
BODY_TIMEOUT = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    port = _free_port()
    process = subprocess.Popen(
        [str(WEGWIJZER), "serve", "--port", str(port), "--workers", "1", "--header-timeout", str(HEAD_TIMEOUT),
         "--body-timeout", str(BODY_TIMEOUT), "--max-requests", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "WEGWIJZER_TOKEN": "t0k3n"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("wegwijzer serve did not start: " + process.stderr.read().decode()[-2000:])
        time.sleep(0.2)
    yield port, url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _open_slow(port: int, n: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # a head that never ends
        socks.append(sock)
    return socks


def _closed_by_server(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1024) == b""
    except OSError:
        return True


def test_300_slow_heads_do_not_stop_healthz_and_are_cut_off(served) -> None:
    port, url = served
    socks = _open_slow(port, SLOW)
    try:
        started = time.monotonic()
        latencies = []
        with httpx.Client(base_url=url, timeout=5) as client:
            while time.monotonic() - started < HEAD_TIMEOUT - 1:  # trickle one byte per connection, as slowloris does
                for sock in socks:
                    sock.send(b"a")
                t0 = time.monotonic()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.monotonic() - t0)
                time.sleep(0.5)
        assert latencies and max(latencies) < 1.0, latencies
        # still trickling, yet the head deadline closes every one of them
        cutoff = time.monotonic() + HEAD_TIMEOUT + 4
        open_socks = list(socks)
        while open_socks and time.monotonic() < cutoff:
            for sock in open_socks:
                try:
                    sock.send(b"a")
                except OSError:
                    pass
            open_socks = [s for s in open_socks if not _closed_by_server(s)]
            time.sleep(0.3)
        assert open_socks == [], f"{len(open_socks)} of {SLOW} slow connections still open"
    finally:
        for sock in socks:
            sock.close()
    assert httpx.get(url + "/healthz", timeout=5).status_code == 200


def _slow_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t0k3n\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"municipality\": ")
    return sock


def _response_head(sock: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1")


def test_a_body_that_does_not_arrive_gets_408(served) -> None:
    port, _ = served
    sock = _slow_body(port)
    try:
        started = time.monotonic()
        head = _response_head(sock)
        assert head.startswith("HTTP/1.1 408"), head
        assert BODY_TIMEOUT - 0.5 < time.monotonic() - started < BODY_TIMEOUT + 5
        assert "application/problem+json" in head
    finally:
        sock.close()


def test_more_requests_than_the_cap_get_503_with_retry_after(served) -> None:
    port, url = served
    holders = [_slow_body(port), _slow_body(port)]  # the cap is 2: both are being handled (reading their body)
    try:
        time.sleep(0.3)
        auth = {"Authorization": "Bearer t0k3n"}
        busy = httpx.post(url + "/v1/recommend", json={"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}},
                          headers=auth, timeout=5)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["type"] == "urn:wegwijzer:problem:busy"
        assert httpx.get(url + "/healthz", timeout=5).status_code == 200  # liveness is not capped
        for sock in holders:
            assert _response_head(sock).startswith("HTTP/1.1 408")
    finally:
        for sock in holders:
            sock.close()
    ok = httpx.post(url + "/v1/recommend", json={"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}},
                    headers={"Authorization": "Bearer t0k3n"}, timeout=10)
    assert ok.status_code == 200


def test_more_open_connections_than_the_cap_get_503() -> None:
    with ServerThread(create_app(Engine.load(), token=""), max_connections=5) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(6)]
        try:
            time.sleep(0.3)
            with httpx.Client(base_url=server.url, timeout=5) as client:
                assert client.get("/healthz").status_code == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.3)
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def test_a_taken_port_is_one_line_and_exit_2(served) -> None:
    port, _ = served
    result = subprocess.run([str(WEGWIJZER), "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"port {port}" in result.stderr and "already in use" in result.stderr


def test_an_empty_token_variable_is_an_error_not_no_auth() -> None:
    result = subprocess.run([str(WEGWIJZER), "serve", "--port", str(_free_port())], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "WEGWIJZER_TOKEN": "  "})
    assert result.returncode == 2
    assert "WEGWIJZER_TOKEN is set but empty" in result.stderr and result.stderr.strip().count("\n") == 0


def test_a_hundred_slow_bodies_from_one_address_leave_room_for_the_others() -> None:
    """Issue 17 item 19: one address holding 100 slow bodies gets its share (429 beyond it);
    a client on another address is served at once, and /healthz reports the load."""
    app = create_app(Engine.load(), token="", body_timeout=20)
    with ServerThread(app) as server:
        slow = []
        try:
            for _ in range(100):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                sock.sendall(b"POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{\"municipality\": ")
                slow.append(sock)
            share = app.state.load.max_per_client
            heads: dict[int, str] = {}
            deadline = time.monotonic() + 10  # the refusals come at once; the bound is for a busy machine
            while len(heads) < 100 - share and time.monotonic() < deadline:
                readable, _, _ = select.select([s for i, s in enumerate(slow) if i not in heads], [], [], 0.2)
                for sock in readable:
                    heads[slow.index(sock)] = _response_head(sock)
            refused = [h for h in heads.values() if h.startswith("HTTP/1.1 429")]
            assert len(refused) == len(heads) == 100 - share, list(heads.values())[:3]
            assert all("retry-after: 1" in h.lower() for h in refused)
            other = httpx.Client(base_url=server.url, timeout=5, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
            with other:
                answer = other.post("/v1/recommend", json={"municipality": "leiden",
                                                           "domains": {"finances": {"self_reliance": 2}}})
                assert answer.status_code == 200
                health = other.get("/healthz").json()
            assert health["status"] == "ok" and health["requests"]["clients_at_cap"] == 1
            assert health["requests"]["in_flight"] == share  # the slow ones still hold their share
            assert health["requests"]["refused"] >= 100 - share
        finally:
            for sock in slow:
                sock.close()
