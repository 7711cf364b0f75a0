"""`@frozen_record`: `@dataclass(frozen=True)` for the classes every start defines, made cheaper.

dataclasses writes each method it adds as source text and compiles it (exec): some 1 M
instructions a method, about 6 M a frozen class, so the thirteen such classes a warm start of
`wegwijzer recommend` defines (the rulebook's, the conditions', FieldSpec) cost some 60 M of
its ~1,000 M (benchmarks/RESULTS.md, tenth session). A frozen_record is a dataclass all the same
(dataclasses.fields, replace and asdict work on it; its fields, defaults and factories are the
dataclass's own), whose __init__, __repr__, __eq__, __hash__, __setattr__ and __delattr__ are
shared functions bound to its fields instead of compiled ones. They behave as dataclass's
frozen ones do: __init__ takes the fields in order or by name, fills the defaults and calls the
factories; equality compares the compared fields of two objects of the same class, the hash is
that of the tuple of the hashed fields (the same number as dataclass's), the repr is
`Name(field=value, ...)`, and assigning or deleting a field raises FrozenInstanceError.
tests/test_record.py compares each with a plain frozen dataclass of the same fields.
(`__dataclass_params__` says init, repr and eq False: the methods are these, not its.)
"""
from __future__ import annotations

import dataclasses
import inspect
import reprlib
from operator import attrgetter
from typing import Any, Callable, TypeVar

_C = TypeVar("_C", bound=type)
_MISSING = dataclasses.MISSING


class _Factory:
    """A field with a default factory, in the signature (as dataclass shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of `names` as a tuple, always (as dataclass's methods compare and hash them)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        (only,) = names
        return lambda obj: (getattr(obj, only),)
    return lambda obj: ()


def frozen_record(cls: _C) -> _C:
    """`@dataclass(frozen=True)` without compiling its methods (see the module docstring)."""
    documented = bool(cls.__dict__.get("__doc__"))
    if not documented:
        cls.__doc__ = "-"  # dataclass would write one from a signature it does not have yet; below
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    all_names = frozenset(f.name for f in dataclasses.fields(cls))
    defaults = {f.name: f.default for f in fields if f.default is not _MISSING}
    factories = {f.name: f.default_factory for f in fields if f.default_factory is not _MISSING}
    compared = _getter(tuple(f.name for f in dataclasses.fields(cls) if f.compare))
    hashed = _getter(tuple(f.name for f in dataclasses.fields(cls) if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in dataclasses.fields(cls) if f.repr)
    qualname = cls.__qualname__
    set_field = object.__setattr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{qualname}.__init__() takes {len(names) + 1} positional arguments but {len(args) + 1} were given")
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in known:
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {name!r}")
            if name in values:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
            values[name] = value
        for name in names:
            if name in values:
                set_field(self, name, values[name])
            elif name in defaults:
                set_field(self, name, defaults[name])
            elif name in factories:
                set_field(self, name, factories[name]())
            else:
                raise TypeError(f"{qualname}.__init__() missing 1 required positional argument: {name!r}")

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        return self.__class__.__qualname__ + "(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in shown) + ")"

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in all_names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in all_names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=f.type,
                             default=f.default if f.default is not _MISSING
                             else _FACTORY if f.default_factory is not _MISSING else inspect.Parameter.empty)
           for f in fields],
        return_annotation=None)
    for method in (__init__, __repr__, __eq__, __hash__, __setattr__, __delattr__):
        method.__qualname__ = f"{qualname}.{method.__name__}"
        setattr(cls, method.__name__, method)
    if not documented:
        cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    return cls


class Plain:
    """A checked rule-file section as the Rulebook holds it (engine.ruleschema.plain): its schema's
    fields as attributes, nothing else, so that reading the rulebook back from the cache needs
    no schema class. Equal when of the same fields and values; unhashable and settable, as the
    pydantic objects it stands for."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __eq__(self, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return self.__dict__ == other.__dict__
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        return "Plain(" + ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items()) + ")"
