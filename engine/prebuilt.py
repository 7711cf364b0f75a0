"""The engine's pydantic models, completed from schemas kept in the rulebook cache.

A model of engine.model and engine.casemodel is built when first used (`defer_build`): pydantic
generates its core schema in Python, then pydantic-core builds a validator and a serializer
from it. On a warm start of `wegwijzer recommend` that generation, and pydantic's lookup of
plugins (which imports importlib.metadata and reads every installed package's metadata), cost
some 95 M of 871 M instructions (issue 22.5, benchmarks/RESULTS.md). The schema is plain data,
the same on every start, so the rulebook cache keeps it beside the rules (rulecache: its key
holds these modules' source and pydantic's version) and `complete` gives the model
pydantic-core's validator and serializer of that schema: what `BaseModel.model_rebuild` sets,
without generating the schema again.

A schema is kept as JSON, never as a pickle: reading one calls nothing and builds nothing but
JSON's own values, and JSON has no cycles and no shared parts, so reading is linear in its
size. Where the schema holds Python objects, the JSON names them ({"$ref": "module:qualname"},
{"$method": ["module:qualname", name]}, {"$builtin": "list"}), and a name is taken only from
the list `allowed()` makes of the models' own classes and the validator functions their
fields and decorators name; a schema naming anything else, larger than MAX_BYTES, nested
deeper than json reads (Python's recursion limit), or that pydantic-core refuses, is not
used, and pydantic builds that model as if there were no cache.

No pydantic plugin is asked about a model completed here. With a plugin installed when an entry
is written nothing is kept (`schemas` finds the validator the plugin wrapped), so pydantic
builds every model, with its plugins; a plugin installed later is not asked until the entry is
replaced (any change of the rules, the engine or pydantic's version; `WEGWIJZER_CACHE_DIR=off`
has pydantic build every model). `complete` copies what pydantic's own completion sets, so it
is used only with the pydantic minor versions it was checked against (PYDANTIC_CHECKED).
"""
from __future__ import annotations

import dataclasses
import json
import sys
import threading
import typing
from functools import partial
from typing import Any

import pydantic
from pydantic import BaseModel
from pydantic_core import SchemaSerializer, SchemaValidator

_PACKAGE = __name__.rpartition(".")[0]  # `wegwijzer` installed, `engine` in a checkout
MODULES = (f"{_PACKAGE}.model", f"{_PACKAGE}.casemodel")  # whose models are kept: rulecache.ENTRY_SOURCES holds both
PYDANTIC_CHECKED = ("2.14.",)  # complete() mirrors complete_model_class of these; others build as usual
MAX_BYTES = 1 << 20  # the engine's largest schema is some 15 KB; JSON read is linear in its size
ENABLED = pydantic.VERSION.startswith(PYDANTIC_CHECKED)

_offered: dict[str, bytes] = {}  # module.qualname -> its schema as JSON, from a cache entry
_completed: set[type] = set()  # the models completed here (a miss keeps none of them: schemas())
_lock = threading.Lock()


class Unusable(Exception):
    """A schema that cannot be kept as JSON, or JSON that is not a schema of the models."""


def offer(table: dict[str, bytes] | None) -> None:
    """Keep a cache entry's schemas (`schemas()`) for the models not yet built."""
    global _offered
    _offered = dict(table or {})


def complete(cls: type[BaseModel]) -> bool:
    """Complete `cls` from its offered schema: True when done, False when pydantic must build
    it (no schema offered for it, one that does not read, or it is built already)."""
    if not ENABLED or not _offered:
        return False
    with _lock:  # one thread completes a model; another waiting here finds it complete
        data = _offered.pop(f"{cls.__module__}.{cls.__qualname__}", None)
        if data is None or cls.__pydantic_complete__ or not cls.__pydantic_fields_complete__:
            return False
        try:
            schema, config = read(data)
            validator, serializer = SchemaValidator(schema, config), SchemaSerializer(schema, config)
        except Exception:  # noqa: BLE001 - a schema that does not read or build: pydantic builds the model
            return False
        # what pydantic's complete_model_class sets (PYDANTIC_CHECKED)
        from pydantic._internal._signature import generate_pydantic_signature
        from pydantic._internal._utils import LazyClassAttribute

        cls.__pydantic_computed_fields__ = {k: v.info for k, v in cls.__pydantic_decorators__.computed_fields.items()}
        cls.__pydantic_core_schema__ = schema
        cls.__pydantic_validator__ = validator
        cls.__pydantic_serializer__ = serializer
        cls.__signature__ = LazyClassAttribute("__signature__", partial(
            generate_pydantic_signature, init=cls.__init__, fields=cls.__pydantic_fields__,
            validate_by_alias=cls.model_config.get("validate_by_alias", True), extra=cls.model_config.get("extra")))
        cls.__pydantic_complete__ = True
        _completed.add(cls)
    cls.__pydantic_on_complete__()
    return True


def schemas() -> dict[str, bytes]:
    """Every public model of MODULES, built by pydantic, as module.qualname -> its (core schema,
    core config) as JSON, each kept only when it reads back equal; empty when pydantic wrapped a
    validator (a plugin). Each is kept apart, so that completing one needs only the modules its
    schema names (a plain assessment never imports engine.casemodel). A model completed from an
    earlier entry in this process is not kept again: its schema was not checked here."""
    import importlib

    if not ENABLED:
        return {}
    found: dict[str, bytes] = {}
    for module_name in MODULES:
        importlib.import_module(module_name)
    names = allowed()
    for cls in _models():
        if cls.__name__.startswith("_") or cls in _completed or any(info.deprecated for info in cls.__pydantic_fields__.values()):
            continue  # (a deprecated field's warning is set by pydantic's completion only)
        cls.model_rebuild()
        validator = cls.__pydantic_validator__
        if type(validator) is not SchemaValidator:
            return {}
        _, (schema, config, *_) = validator.__reduce__()
        try:
            data = json.dumps([_encode(schema, names), _encode(config, names)], allow_nan=False,
                              separators=(",", ":")).encode()
            if read(data) != (schema, config):
                continue
        except (Unusable, ValueError, TypeError, RecursionError):
            continue  # a schema with what JSON cannot name: pydantic builds that model
        found[f"{cls.__module__}.{cls.__qualname__}"] = data
    return found


def _models() -> list[type[BaseModel]]:
    """The model classes of MODULES imported so far, the private bases too."""
    return [cls for module_name in MODULES if module_name in sys.modules
            for cls in vars(sys.modules[module_name]).values()
            if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == module_name]


_ALLOWED: dict[tuple[str, ...], dict[str, Any]] = {}


def allowed() -> dict[str, Any]:
    """What a schema may name: the models' classes, the validator functions their fields'
    annotations and their decorators hold, their decorator methods and pydantic's JSON-schema
    hook on them, `list` and `dict` (default factories). Name -> object; made once for each
    set of MODULES imported."""
    loaded = tuple(m for m in MODULES if m in sys.modules)
    if loaded not in _ALLOWED:
        _ALLOWED[loaded] = _allowed()
    return _ALLOWED[loaded]


def _allowed() -> dict[str, Any]:
    names: dict[str, Any] = {"$builtin:list": list, "$builtin:dict": dict}
    for cls in _models():
        names[_ref(cls)] = cls
        names[f"$method:{_qualified(cls)}:__get_pydantic_json_schema__"] = cls.__get_pydantic_json_schema__
        infos = cls.__pydantic_decorators__  # a dataclass of kind -> {name: Decorator}
        for kind in dataclasses.fields(infos):
            for decorator in getattr(infos, kind.name).values():
                func = getattr(decorator, "func", None)
                if func is None or getattr(func, "__module__", None) not in MODULES:
                    continue
                if not hasattr(func, "__self__"):  # a bound method is named by its class and name below
                    names[_ref(func)] = func
                bound = getattr(cls, decorator.cls_var_name, None)
                if callable(bound):
                    names[f"$method:{_qualified(cls)}:{decorator.cls_var_name}"] = bound
        for info in cls.__pydantic_fields__.values():
            for func in _validator_functions([info.annotation, *info.metadata]):
                names[_ref(func)] = func
    return names


def _validator_functions(roots: list[Any]) -> list[Any]:
    """The functions of MODULES that pydantic's validator markers (BeforeValidator(f), ...)
    hold anywhere in these annotations and their metadata."""
    found, todo, seen = [], list(roots), set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        func = getattr(item, "func", None)
        if callable(func) and getattr(func, "__module__", None) in MODULES and not isinstance(item, type):
            found.append(func)
        todo.extend(typing.get_args(item))
        todo.extend(getattr(item, "__metadata__", ()))
    return found


def _ref(thing: Any) -> str:
    return f"$ref:{_qualified(thing)}"


def _qualified(thing: Any) -> str:
    return f"{thing.__module__}:{thing.__qualname__}"


def _encode(value: Any, names: dict[str, Any]) -> Any:
    """A schema as JSON's values; a Python object in it as its name in `names`."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value) is list:
        return [_encode(v, names) for v in value]
    if type(value) is dict:
        if not all(type(k) is str and not k.startswith("$") for k in value):
            raise Unusable("a key JSON cannot keep")
        return {k: _encode(v, names) for k, v in value.items()}
    for name, known in names.items():
        if known is value or (callable(known) and known == value):
            kind, _, rest = name[1:].partition(":")
            if kind == "method":
                owner, _, method = rest.rpartition(":")
                return {"$method": [owner, method]}
            return {f"${kind}": rest}
    raise Unusable(f"not one of the models' own: {value!r}")


def read(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (core schema, core config) kept as JSON in `data`; Unusable when it is not one of
    the models' (an unknown name, larger than MAX_BYTES, nested deeper than Python's recursion
    limit lets json read)."""
    if len(data) > MAX_BYTES:
        raise Unusable("too large")
    names = allowed()

    def named(value: dict[str, Any]) -> Any:  # json calls it for every object, innermost first
        for key in value:
            if key[:1] == "$":
                break
        else:
            return value
        if len(value) == 1:
            name = value[key]
            if key == "$method" and type(name) is list and len(name) == 2 and all(type(n) is str for n in name):
                return _named(names, f"$method:{name[0]}:{name[1]}")
            if key in ("$ref", "$builtin") and type(name) is str:
                return _named(names, f"{key}:{name}")
        raise Unusable("an unknown $ name")

    try:
        found = json.loads(data, object_hook=named)
    except (ValueError, RecursionError) as error:
        raise Unusable(str(error)) from None
    if type(found) is not list or len(found) != 2 or type(found[0]) is not dict or type(found[1]) is not dict:
        raise Unusable("not a schema and a config")
    return found[0], found[1]


def _named(names: dict[str, Any], name: str) -> Any:
    if name not in names:
        raise Unusable(f"not one of the models' own: {name}")
    return names[name]
