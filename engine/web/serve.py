"""`wegwijzer serve`: the web page and the HTTP API with uvicorn, on loopback unless told otherwise."""
from __future__ import annotations

import argparse
import sys
from typing import Any

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")


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


def config(app: Any, host: str = "127.0.0.1", port: int = 8000) -> Any:
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, access_log=False, log_config=log_config(),
                          server_header=False, proxy_headers=False)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..api import Engine
    from .app import create_app

    app = create_app(Engine.load(args.rules))
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        print(f"wegwijzer: listening on {args.host}, not only on this machine; set WEGWIJZER_TOKEN "
              "and put TLS in front", file=sys.stderr)
    uvicorn.Server(config(app, args.host, args.port)).run()
    return 0
