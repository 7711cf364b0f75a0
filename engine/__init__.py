"""Wegwijzer: explained next-step advice for long-term social-assistance clients.

    from wegwijzer import Engine
    advice = Engine.load().recommend({"municipality": "leiden", "domains": {...}})

Installed, this package is `wegwijzer` (the source folder is engine/; a checkout's tests
import it as `engine`). It imports itself only relatively, so it works under either name.
Imports are lazy so that `wegwijzer --help` and the CLI start fast.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The package's version, as pyproject.toml gives it (tests/test_receipt.py holds them equal);
# every advice's receipt names it (engine_version).
__version__ = "0.1.0"

__all__ = ["__version__", "Engine", "Assessment", "Recommendation", "WegwijzerError", "InputError", "RuleError"]

if TYPE_CHECKING:
    from .api import Engine
    from .errors import InputError, RuleError, WegwijzerError
    from .model import Assessment, Recommendation


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from .api import Engine
        return Engine
    if name in ("Assessment", "Recommendation"):
        from . import model
        return getattr(model, name)
    if name in ("WegwijzerError", "InputError", "RuleError"):
        from . import errors
        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
