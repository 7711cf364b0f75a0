"""Where the web app runs the matching: in worker processes, so a native crash costs one request.

Why: durable-rules is C. A fault in its heap (issue 9 showed SIGSEGV and SIGABRT from
`delete_state`) kills the process it happens in. Run in the server process, one bad case
would end every coach's request and the service with it. So `wegwijzer serve` keeps a small
pool of worker processes, each with its own loaded Engine. A request takes an idle worker,
sends it the plain input over a pipe and waits for the answer. When the worker dies (the
pipe closes) or does not answer within `timeout` seconds, that worker is killed and a fresh
one started in its place; only that request fails, with a 503 problem document. Requests
on other workers go on: each worker has its own pipe, unlike
concurrent.futures.ProcessPoolExecutor, which fails every pending call of the pool when one
worker dies.

Workers are started with the "spawn" method: forking a server that runs threads is unsafe,
and a spawned child shares no durable-rules state with the parent.

`InProcess` has the same interface and calls an Engine directly (threadpool): for tests,
embedding and `create_app(engine)` without a pool.
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
from pathlib import Path
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool

from ..api import Engine
from ..errors import InputError

DEFAULT_TIMEOUT = 30.0  # seconds one answer may take; a case takes milliseconds


def _report_kind(fmt: str) -> str:
    return {"html": "report", "markdown": "report_markdown"}[fmt]


class WorkerCrashed(Exception):
    """The worker that had this request died or hung; it has been replaced."""


class PoolBusy(Exception):
    """No worker became free in time."""


# ---------------------------------------------------------------- the child side


def _run(engine: Engine, kind: str, data: Any) -> Any:
    if kind == "recommend":
        return engine.recommend(data)
    if kind == "explain":
        from ..workbench.explain import explain_case

        return explain_case(engine, data).as_dict()
    if kind in ("report", "report_markdown"):  # the progress report of a case: a full HTML page, or Markdown
        from ..report.render import render_report

        return render_report(engine, data, "markdown" if kind == "report_markdown" else "html")
    raise ValueError(f"unknown kind {kind!r}")


def _load_engine(rules_dir: str | None) -> Engine:
    return Engine.load(rules_dir)


def _worker_main(conn: Any, rules_dir: str | None, task: Callable[[Any, str, Any], Any],
                 setup: Callable[[str | None], Any] = _load_engine) -> None:
    """The loop of one worker: `setup` once (load the rules), then answer (kind, data) messages until the pipe closes."""
    try:
        engine = setup(rules_dir)
    except Exception as exc:  # noqa: BLE001 - reported to the parent by type only
        conn.send(("failed", type(exc).__name__))
        return
    conn.send(("ready", None))
    while True:
        try:
            kind, data = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            conn.send(("ok", task(engine, kind, data)))
        except InputError as exc:
            conn.send(("input_error", (exc.problems, exc.source)))
        except Exception as exc:  # noqa: BLE001 - type only: the message could quote input
            conn.send(("error", type(exc).__name__))


# ---------------------------------------------------------------- the parent side


class _Worker:
    def __init__(self, context: Any, rules_dir: str | None, task: Callable[[Any, str, Any], Any],
                 setup: Callable[[str | None], Any] = _load_engine):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, rules_dir, task, setup), daemon=True,
                                       name="wegwijzer-worker")
        self.process.start()
        child.close()
        self.ready = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def ask(self, kind: str, data: Any, timeout: float) -> Any:
        """The answer, or WorkerCrashed when the process dies or stays silent past `timeout`."""
        try:
            if not self.ready:  # the first call waits for the rules to load (seconds at most)
                if not self.conn.poll(max(timeout, 60.0)):
                    raise WorkerCrashed("worker did not start")
                status, detail = self.conn.recv()
                if status != "ready":
                    raise WorkerCrashed(f"worker could not load the rules ({detail})")
                self.ready = True
            self.conn.send((kind, data))
            if not self.conn.poll(timeout):
                raise WorkerCrashed("worker did not answer in time")
            status, payload = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            raise WorkerCrashed(f"worker ended ({type(exc).__name__})") from None
        if status == "ok":
            return payload
        if status == "input_error":
            problems, source = payload
            raise InputError(problems, source)
        raise RuntimeError(f"worker raised {payload}")

    def stop(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class WorkerPool:
    """`size` worker processes, each with a loaded Engine (or what `setup` makes); a dead or hung
    worker is replaced."""

    def __init__(self, rules_dir: str | Path | None = None, size: int = 2, timeout: float = DEFAULT_TIMEOUT,
                 task: Callable[[Any, str, Any], Any] = _run, setup: Callable[[str | None], Any] = _load_engine):
        self.rules_dir = None if rules_dir is None else str(rules_dir)
        self.size = max(1, size)
        self.timeout = timeout
        self.task = task
        self.setup = setup
        self.crashes = 0
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(self.size):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self.rules_dir, self.task, self.setup)
        with self._lock:
            self._all.add(worker)
        return worker

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all if w.pid is not None)

    def call(self, kind: str, data: Any) -> Any:
        """Blocking: run one request on an idle worker."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise PoolBusy("no worker free") from None
        try:
            answer = worker.ask(kind, data, self.timeout)
        except WorkerCrashed:
            self.crashes += 1
            worker.stop()
            with self._lock:
                self._all.discard(worker)
            if not self._closed:
                self._idle.put(self._start())
            raise
        except BaseException:
            self._idle.put(worker)
            raise
        self._idle.put(worker)
        return answer

    async def recommend(self, data: Any) -> Any:
        return await run_in_threadpool(self.call, "recommend", data)

    async def explain(self, data: Any) -> Any:
        return await run_in_threadpool(self.call, "explain", data)

    async def report(self, data: Any, fmt: str = "html") -> Any:
        return await run_in_threadpool(self.call, _report_kind(fmt), data)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


class InProcess:
    """The same interface over an Engine in this process (no crash isolation): tests and embedding."""

    def __init__(self, engine: Engine):
        self.engine = engine

    async def recommend(self, data: Any) -> Any:
        return await run_in_threadpool(_run, self.engine, "recommend", data)

    async def explain(self, data: Any) -> Any:
        return await run_in_threadpool(_run, self.engine, "explain", data)

    async def report(self, data: Any, fmt: str = "html") -> Any:
        return await run_in_threadpool(_run, self.engine, _report_kind(fmt), data)

    def close(self) -> None:
        pass
