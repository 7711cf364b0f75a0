"""The engine's pydantic models, completed from schemas kept in the rulebook cache.

A model of engine.model and engine.casemodel is built when first used (`defer_build`): pydantic
generates its core schema in Python, then pydantic-core builds a validator and a serializer
from it. On a warm start of `wegwijzer recommend` that generation, and pydantic's lookup of
plugins (which imports importlib.metadata and reads every installed package's metadata), cost
some 95 M of 871 M instructions (issue 22.5, benchmarks/RESULTS.md). The schema is plain data, the same on every start, so the
rulebook cache keeps it beside the rules (rulecache: its key holds these modules' source and
pydantic's version) and `complete` gives the model pydantic-core's validator and serializer
of that schema: what `BaseModel.model_rebuild` sets, without generating the schema again.

No pydantic plugin is asked about a model completed here. With a plugin installed nothing is
kept (`schemas` finds the validator the plugin wrapped), so pydantic builds every model, with
its plugins; `WEGWIJZER_CACHE_DIR=off` has pydantic build every model too.
"""
from __future__ import annotations

import io
import sys
from functools import partial
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaSerializer, SchemaValidator

try:  # the C unpickler itself, as in rulecache
    from _pickle import Unpickler, UnpicklingError
except ImportError:  # a Python without it
    from pickle import Unpickler, UnpicklingError

_PACKAGE = __name__.rpartition(".")[0]  # `wegwijzer` installed, `engine` in a checkout
MODULES = (f"{_PACKAGE}.model", f"{_PACKAGE}.casemodel")  # whose models are kept: rulecache.ENTRY_SOURCES holds both

_offered: dict[str, bytes] = {}  # module.qualname -> its pickled (core schema, core config), from a cache entry


def offer(table: dict[str, bytes] | None) -> None:
    """Keep a cache entry's schemas (`schemas()`) for the models not yet built."""
    global _offered
    _offered = dict(table or {})


def complete(cls: type[BaseModel]) -> bool:
    """Complete `cls` from its offered schema: True when done, False when pydantic must build
    it (no schema offered for it, one that does not read, or it is built already)."""
    data = _offered.pop(f"{cls.__module__}.{cls.__qualname__}", None)
    if data is None or cls.__pydantic_complete__ or not cls.__pydantic_fields_complete__:
        return False
    found = read(data)
    if found is None:
        return False
    schema, config = found
    # what pydantic's complete_model_class sets (pydantic 2.14; the cache's key holds the version)
    from pydantic._internal._signature import generate_pydantic_signature
    from pydantic._internal._utils import LazyClassAttribute

    cls.__pydantic_computed_fields__ = {k: v.info for k, v in cls.__pydantic_decorators__.computed_fields.items()}
    cls.__pydantic_core_schema__ = schema
    cls.__pydantic_validator__ = SchemaValidator(schema, config)
    cls.__pydantic_serializer__ = SchemaSerializer(schema, config)
    cls.__signature__ = LazyClassAttribute("__signature__", partial(
        generate_pydantic_signature, init=cls.__init__, fields=cls.__pydantic_fields__,
        validate_by_alias=cls.model_config.get("validate_by_alias", True), extra=cls.model_config.get("extra")))
    cls.__pydantic_complete__ = True
    cls.__pydantic_on_complete__()
    return True


def schemas() -> dict[str, bytes]:
    """Every public model of MODULES, built by pydantic, as module.qualname -> its pickled
    (core schema, core config), each kept only when it reads back equal; empty when pydantic
    wrapped a validator (a plugin). Each is pickled apart so that completing one needs only
    the modules its schema names (a plain assessment never imports engine.casemodel)."""
    import importlib
    import pickle

    found: dict[str, bytes] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, cls in vars(module).items():
            if not (isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == module_name) or name.startswith("_"):
                continue
            cls.model_rebuild()
            validator = cls.__pydantic_validator__
            if type(validator) is not SchemaValidator:
                return {}
            _, (schema, config, *_) = validator.__reduce__()
            try:
                data = pickle.dumps((schema, config), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - a schema that cannot be pickled is built by pydantic
                continue
            if read(data) == (schema, config):
                found[f"{module_name}.{cls.__qualname__}"] = data
    return found


class _SchemaUnpickler(Unpickler):
    """Builds the classes and functions of MODULES only (a schema names its models, their
    validator functions and methods), `list` and `dict` (default factories), and the methods
    of those models; anything else in the stream is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module in MODULES and module in sys.modules:
            found: Any = sys.modules[module]
            for part in name.split("."):
                found = None if part.startswith("__") else getattr(found, part, None)
            if callable(found) and getattr(found, "__module__", None) == module:
                return found
        elif (module, name) in (("builtins", "list"), ("builtins", "dict")):
            return list if name == "list" else dict
        elif (module, name) == ("builtins", "getattr"):
            return _model_method  # a bound method is pickled as getattr(its class, its name)
        raise UnpicklingError(f"not a model schema's class: {module}.{name}")


def _model_method(cls: Any, name: str) -> Any:
    if isinstance(cls, type) and cls.__module__ in MODULES and type(name) is str:
        found = getattr(cls, name, None)
        # a validator of the model's own, or the JSON-schema hook pydantic keeps in its metadata
        if name == "__get_pydantic_json_schema__" or (
                not name.startswith("__") and callable(found) and getattr(found, "__module__", None) in MODULES):
            return found
    raise UnpicklingError(f"not a model schema's method: {name}")


def read(data: bytes) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (core schema, core config) pickled in `data`, or None when it does not read (then
    pydantic builds the model)."""
    try:
        found = _SchemaUnpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - any unreadable part is a miss
        return None
    if type(found) is not tuple or len(found) != 2 or type(found[0]) is not dict or type(found[1]) is not dict:
        return None
    return found
