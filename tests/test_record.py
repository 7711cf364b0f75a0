"""engine.record.frozen_record behaves as @dataclass(frozen=True): each class made with it
against a frozen dataclass of the same fields, and the rulebook's own classes."""
from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from engine import conditions, facts, rulebook
from engine.record import frozen_record


def twins(body: dict[str, Any], annotations: dict[str, Any], doc: str | None = None) -> tuple[type, type]:
    """The same class body made by frozen_record and by dataclass(frozen=True)."""
    made = []
    for decorate in (frozen_record, dataclasses.dataclass(frozen=True)):
        namespace = {**body, "__annotations__": dict(annotations), "__qualname__": "Thing", "__module__": __name__}
        if doc is not None:
            namespace["__doc__"] = doc
        made.append(decorate(type("Thing", (), namespace)))
    return made[0], made[1]


FIELD_SETS = [
    ({}, {}),
    ({"line": None}, {"line": "int | None"}),
    ({}, {"part": "Any"}),
    ({"line": None}, {"field": "str", "op": "str", "value": "Any", "line": "int | None"}),
    ({"tags": dataclasses.field(default_factory=dict), "note": dataclasses.field(default="", compare=False, repr=False)},
     {"id": "str", "tags": "dict[str, str]", "note": "str"}),
    ({"count": dataclasses.field(default=0, hash=False)}, {"id": "str", "count": "int"}),
]


@pytest.mark.parametrize("body, annotations", FIELD_SETS)
def test_frozen_record_behaves_as_a_frozen_dataclass(body: dict[str, Any], annotations: dict[str, Any]) -> None:
    ours, theirs = twins(body, annotations)
    names = list(annotations)
    required = [n for n in names if n not in body]
    argsets = [tuple(f"v{i}" for i in range(len(required)))]
    argsets.append(tuple([1.5, float("nan"), (1, 2), None][i % 4] for i in range(len(required))))
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert ours.__match_args__ == theirs.__match_args__
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert ours.__doc__ == theirs.__doc__
    for args in argsets:
        a, b = ours(*args), theirs(*args)
        assert repr(a).replace("ours", "") == repr(b)
        assert vars(a) == vars(b) and list(vars(a)) == list(vars(b))
        assert (a == ours(*args)) == (b == theirs(*args))
        assert (a == b) is False and a != b  # another class: not equal, as dataclass's
        hashable = all(isinstance(v, (str, int, float, tuple, type(None))) for v in vars(b).values())
        if hashable:
            assert hash(a) == hash(b)
        else:
            with pytest.raises(TypeError):
                hash(b)
            with pytest.raises(TypeError):
                hash(a)
        for name in names + ["other"]:
            for obj in (a, b):
                with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field"):
                    setattr(obj, name, 1)
                with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field"):
                    delattr(obj, name)
        if names:
            changed = dataclasses.replace(a, **{names[0]: "x"})
            assert type(changed) is ours and getattr(changed, names[0]) == "x"
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
        assert vars(copy.deepcopy(a)).keys() == vars(a).keys()
        assert (ours(*args, **{}) == a) == (theirs(*args) == b)
    for bad in (lambda c: c(*range(len(names) + 1)), lambda c: c(*argsets[0], unknown=1)):
        with pytest.raises(TypeError):
            bad(ours)
        with pytest.raises(TypeError):
            bad(theirs)
    if required:
        for cls in (ours, theirs):
            with pytest.raises(TypeError, match=required[-1]):
                cls(*argsets[0][:-1])
            with pytest.raises(TypeError, match="multiple values"):
                cls(*argsets[0], **{required[0]: 1})


def test_factories_make_a_new_value_each_time() -> None:
    ours, _ = twins(*FIELD_SETS[4])
    one, two = ours("a"), ours("b")
    assert one.tags == {} and one.tags is not two.tags


def test_a_subclass_instance_may_set_new_attributes_as_dataclass_allows() -> None:
    ours, theirs = twins(*FIELD_SETS[1])
    for cls in (ours, theirs):
        sub = type("Sub", (cls,), {})()
        sub.extra = 1  # not a field, not the class itself: allowed
        assert sub.extra == 1
        with pytest.raises(dataclasses.FrozenInstanceError):
            sub.line = 2


def test_the_engine_classes_are_frozen_records_that_compare_as_before() -> None:
    book = rulebook.load()
    node = next(iter(book.flowchart.nodes.values()))
    assert dataclasses.is_dataclass(node) and node == copy.deepcopy(node) and hash(node) == hash(copy.deepcopy(node))
    assert repr(conditions.Compare("age", "gte", 60, 3)) == "Compare(field='age', op='gte', value=60, line=3)"
    assert facts.FieldSpec("bool") == facts.FieldSpec("bool", False, (), None, None)
    assert pickle.loads(pickle.dumps(book)) == book
    with pytest.raises(dataclasses.FrozenInstanceError):
        book.version = "x"  # type: ignore[misc]
