"""Two `wegwijzer serve` processes on one PostgreSQL database serve the same coach: a session
made on one is used on the other, and signing out on the second ends it on the first."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

from store_db import new_pg_database, pg_server  # noqa: F401  (fixtures)
from web_signin import PASSWORD, csrf_of, store_with_users


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "WEGWIJZER_DB": url}
    env.pop("WEGWIJZER_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wegwijzer serve stopped: {process.stderr.read()[-800:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail("wegwijzer serve did not come up within 120 s")


def test_a_session_made_on_one_instance_is_used_on_the_other(pg_server):  # noqa: F811
    url = new_pg_database(pg_server)
    store_with_users(url).close()
    ports = (_free_port(), _free_port())
    processes = [_serve(url, port) for port in ports]
    try:
        first, second = (f"http://127.0.0.1:{port}" for port in ports)
        for base, process in zip((first, second), processes):
            _wait_until_up(base, process)
        with httpx.Client(base_url=first) as one:
            token = csrf_of(one.get("/aanmelden").text)
            signed_in = one.post("/aanmelden", data={"csrf_token": token, "name": "anna", "password": PASSWORD})
            assert signed_in.status_code == 303
            session = one.cookies.get("wegwijzer_sessie")
        with httpx.Client(base_url=second, cookies={"wegwijzer_sessie": session}) as two:
            page = two.get("/deelnemers")
            assert page.status_code == 200 and "Mijn deelnemers" in page.text and re.search(r">anna<", page.text)
            out = two.post("/afmelden", data={"csrf_token": csrf_of(page.text)})
            assert out.status_code == 303
        with httpx.Client(base_url=first, cookies={"wegwijzer_sessie": session}) as again:
            assert again.get("/deelnemers").status_code == 303  # signed out on the other instance
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
