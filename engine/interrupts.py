"""Ctrl-C while a command is still starting ends it at once, quietly.

While the command imports its modules and loads the rules there is nothing to clean up, and
a KeyboardInterrupt raised there is not reliably quiet: it escapes before the CLI's handler
(a traceback from an import), or a library's callback swallows it ("Exception ignored in:
...", pydantic-core building a schema) and the command runs on. So until a command is ready
to be interrupted (its output open, its workers started), SIGINT ends the process with the
CLI's one line and exit status 130; after that it raises KeyboardInterrupt as usual, so that
the command's `finally` blocks run. A worker forked in that window inherits the handler and
ends silently: only the process that started the command says "interrupted".
"""
from __future__ import annotations

import os
import signal
import threading
from typing import Any

MESSAGE = b"wegwijzer: interrupted\n"
_owner = os.getpid()


def _quit_now(signum: int, frame: Any) -> None:
    if os.getpid() == _owner:
        os.write(2, MESSAGE)
    os._exit(130)


def quit_now_on_interrupt() -> Any:
    """From here on, Ctrl-C ends this process at once. Returns what `restore` needs: the
    handler before, or None when nothing was changed (not the main thread, where signals
    cannot be handled; or SIGINT ignored, as a shell starts a background job: left so)."""
    global _owner
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        return None
    _owner = os.getpid()
    signal.signal(signal.SIGINT, _quit_now)
    return previous


def restore(previous: Any) -> None:
    """Ctrl-C as before `quit_now_on_interrupt` (for the CLI: raise KeyboardInterrupt)."""
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)
