"""`wegwijzer serve`: the web page and the HTTP API with uvicorn, on loopback unless told otherwise.

What the server promises under load and bad input (README, docs/web.md):
- the matching runs in worker processes (engine.web.workers): a native crash ends one
  request (503) and that worker is restarted;
- a coach's case document is parsed in reader processes with a memory limit and a
  --read-timeout (engine.web.intake.ReaderPool), never in the event loop;
- a request head must be complete within --header-timeout seconds, else the connection is
  closed (uvicorn itself has no such timeout: HeadTimeoutH11 adds it); a body must arrive
  within --body-timeout seconds, else 408 (engine.web.guard);
- at most --max-connections open connections (uvicorn limit_concurrency: 503 beyond) and
  --max-requests requests being handled at once (503 with Retry-After beyond);
  at most --max-per-client of those from one client address (429 with Retry-After beyond),
  so a hundred slow bodies from one address leave the other clients room;
  /healthz does not count against the request caps and reports the load ("busy" when full).
"""
from __future__ import annotations

import argparse
import errno
import socket
import sys
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from .guard import DEFAULT_MAX_PER_CLIENT
from .intake import READ_TIMEOUT

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--workers", type=int, default=2, help="matching worker processes (default 2)")
    parser.add_argument("--header-timeout", type=float, default=DEFAULT_HEADER_TIMEOUT,
                        help=f"seconds a client has to send a request head (default {DEFAULT_HEADER_TIMEOUT:g})")
    parser.add_argument("--body-timeout", type=float, default=30.0,
                        help="seconds a client has to send a request body (default 30)")
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS,
                        help=f"open connections at most (default {DEFAULT_MAX_CONNECTIONS})")
    parser.add_argument("--max-requests", type=int, default=64,
                        help="requests handled at once at most; more get 503 with Retry-After (default 64)")
    parser.add_argument("--read-timeout", type=float, default=READ_TIMEOUT,
                        help=f"seconds one case document may take to read, in a reader process with a memory limit "
                             f"(default {READ_TIMEOUT:g})")
    parser.add_argument("--max-per-client", type=int, default=DEFAULT_MAX_PER_CLIENT,
                        help="requests handled at once from one client address; more get 429 with Retry-After "
                             f"(default {DEFAULT_MAX_PER_CLIENT}; behind a reverse proxy every client has the proxy's "
                             "address: let the proxy limit per client and raise this to --max-requests)")


class HeadTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for the request head.

    A client that opens a connection (or keeps one alive after a response) and sends its
    head byte by byte would otherwise hold the connection for ever: uvicorn's keep-alive
    timer restarts on every byte. The timer here starts when the server waits for a head and
    stops only when a whole head has been parsed.
    """

    head_timeout = DEFAULT_HEADER_TIMEOUT

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        self._head_timer: Any = None
        super().connection_made(transport)
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if getattr(self, "_head_timer", None) is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a whole head arrived: a request is under way
            self._disarm_head_timer()

    def on_response_complete(self) -> None:
        self._arm_head_timer()  # the next head on this keep-alive connection; a pipelined one disarms it at once
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)


def protocol_with_head_timeout(seconds: float) -> type[HeadTimeoutH11]:
    return type("HeadTimeoutH11", (HeadTimeoutH11,), {"head_timeout": seconds})


def log_config() -> dict[str, Any]:
    """uvicorn's loggers plus ours. uvicorn's access log is off: engine.web.guard logs method, path and status only."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "wegwijzer": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


def config(app: Any, host: str = "127.0.0.1", port: int = 8000, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
           max_connections: int = DEFAULT_MAX_CONNECTIONS) -> Any:
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, access_log=False, log_config=log_config(),
                          server_header=False, proxy_headers=False, http=protocol_with_head_timeout(header_timeout),
                          limit_concurrency=max_connections, timeout_keep_alive=5)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is loaded, so a taken port is one clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..api import Engine
    from .app import ConfigError, create_app, token_from_environment
    from .intake import ReaderPool
    from .workers import WorkerPool

    try:
        token_from_environment()
    except ConfigError as exc:
        print(f"wegwijzer: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"wegwijzer: port {args.port} on {args.host} is already in use; stop the other program "
                  f"or choose another port with --port", file=sys.stderr)
        else:
            print(f"wegwijzer: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    engine = Engine.load(args.rules)
    pool = WorkerPool(args.rules, size=args.workers)
    reader = ReaderPool(size=args.workers, timeout=args.read_timeout)
    app = create_app(engine, matcher=pool, max_requests=args.max_requests, body_timeout=args.body_timeout,
                     max_per_client=args.max_per_client, reader=reader)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        print(f"wegwijzer: listening on {args.host}, not only on this machine; set WEGWIJZER_TOKEN "
              "and put TLS in front", file=sys.stderr)
    try:
        uvicorn.Server(config(app, args.host, args.port, args.header_timeout, args.max_connections)).run(sockets=[sock])
    finally:
        pool.close()
        reader.close()
        sock.close()
    return 0
