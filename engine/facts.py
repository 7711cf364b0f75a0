"""Assessment -> one flat fact, and the catalogue of fields that rule conditions may name.

Field names in conditions are the assessment's own paths (`domains.finances.self_reliance`,
`circumstances.problematic_debt`), a few list fields tested with `contains`, and a few
derived summaries. Nothing here knows any rule.
"""
from __future__ import annotations

import typing
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any, Callable, Iterable

from .model import (
    DOMAIN_IDS, Assessment, Circumstances, IgmFactor, SupportKind, Wish,
)
from .record import frozen_record

ALWAYS = "case"  # a key present in every fact, for rules without a condition


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class FieldSpec:
    """What a condition may say about one field."""

    kind: str  # bool | number | enum | set
    optional: bool = False  # may be absent from a case; comparisons on it then do not hold
    values: tuple[str, ...] = ()  # for enum and set
    low: float | None = None
    high: float | None = None


def _literal_values(annotation: Any) -> tuple[str, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(typing.get_args(annotation))
    for arg in typing.get_args(annotation) or (annotation,):
        if typing.get_origin(arg) is typing.Literal:
            return tuple(typing.get_args(arg))
    return ()


def _build_fields() -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {
        # its values are the rulebook's municipality ids (its packs), which the loader
        # gives conditions.parse (conditions.with_municipalities); none are known here
        "municipality": FieldSpec("enum"),
        "age": FieldSpec("number", True, low=16, high=120),
        "ladder_rung": FieldSpec("number", True, low=1, high=6),
        "years_on_benefit": FieldSpec("number", True, low=0, high=None),
        "wage_value_pct": FieldSpec("number", True, low=0, high=100),
        "conversations_held": FieldSpec("number", True, low=0, high=None),
        "open_to_support": FieldSpec("bool"),
        "consent_to_share": FieldSpec("bool"),
        "household.single": FieldSpec("bool", True),
        "household.member_speaks_dutch": FieldSpec("bool", True),
        "household.children_under_18": FieldSpec("number", True, low=0, high=None),
        "wishes": FieldSpec("set", values=_literal_values(Wish)),
        "existing_support": FieldSpec("set", values=_literal_values(SupportKind)),
        "trusted_support": FieldSpec("set", values=_literal_values(SupportKind)),
        # derived summaries
        "lowest_self_reliance": FieldSpec("number", low=1, high=5),
        "lowest_satisfaction": FieldSpec("number", True, low=1, high=5),
        "existing_support_count": FieldSpec("number", low=0, high=None),
        "trusted_support_count": FieldSpec("number", low=0, high=None),
        # self-reliance of the life domain the client ranked 1 (absent when none is ranked 1)
        "top_priority_self_reliance": FieldSpec("number", True, low=1, high=5),
    }
    for domain in DOMAIN_IDS:
        fields[f"domains.{domain}.self_reliance"] = FieldSpec("number", True, low=1, high=5)
        fields[f"domains.{domain}.satisfaction"] = FieldSpec("number", True, low=1, high=5)
        fields[f"domains.{domain}.priority"] = FieldSpec("number", True, low=1, high=9)
    for name, info in Circumstances.model_fields.items():
        values = _literal_values(info.annotation)
        key = f"circumstances.{name}"
        fields[key] = FieldSpec("enum", True, values=values) if values else FieldSpec("bool")
    for factor in _literal_values(IgmFactor):
        fields[f"igm.{factor}"] = FieldSpec("number", True, low=1, high=10)
    return fields


FIELDS: dict[str, FieldSpec] = _build_fields()


def present_key(field: str) -> str:
    """Key that says whether an optional field was given (durable-rules cannot test absence safely)."""
    return f"has.{field}"


def set_key(field: str, member: str) -> str:
    return f"{field}.{member}"


def build_fact(assessment: Assessment) -> dict[str, Any]:
    """The flat fact for one case: every field in FIELDS (in that order), optional ones with a
    presence flag."""
    return _FULL(assessment)


def fact_builder(keys: Iterable[str]) -> Callable[[Assessment], dict[str, Any]]:
    """A builder of the fact restricted to `keys` (in that order): the same keys and values as
    build_fact would give for them, without computing the rest (values_builder's values, the
    absent ones, None, dropped)."""
    keys = tuple(keys)
    values_of = values_builder(keys)

    def build(assessment: Assessment) -> dict[str, Any]:
        values = values_of(assessment)
        # an absent optional field has no key, only its presence flag
        return dict(compress(zip(keys, values), map(is_not, values, _NONES)))

    return build


def values_builder(keys: Iterable[str]) -> Callable[[Assessment], tuple[Any, ...]]:
    """A reader of the fact's values at `keys`, in that order, None where the fact has no such
    key: fact_builder's values, without the dict. The matcher reads the values some rule set
    reads this way (hot path: once a case) and makes a dict only of what it asserts.

    (speed) The keys are read in groups, not one reader call each: the plain attribute paths
    by one attrgetter, the life domains' scores in one pass, the set fields' members against
    one set of what the case holds, a presence flag from its field's value; the values are
    then put in the keys' order by one itemgetter."""
    keys = tuple(keys)
    paths: list[str] = []  # attribute paths read by one attrgetter
    scores: list[tuple[str, str]] = []  # (domain, attribute)
    members: dict[str, list[str]] = {"wishes": [], "existing_support": [], "trusted_support": []}
    household: list[str] = []  # attributes of the household (absent: no household given)
    igm: list[str] = []  # factors of the IGM scores (absent: none given)
    calls: list[Callable[[Assessment], Any]] = []  # the rest: their READERS entry
    summaries: list[str] = []  # what the life domains' scores sum up (DOMAIN_SUMMARIES)
    groups: dict[str, list[Any]] = {"attr": paths, "score": scores, "household": household, "igm": igm,
                                    "summary": summaries, "call": calls, **members}
    where: dict[str, tuple[str, int]] = {}  # key -> (group, index in it)

    def place(key: str) -> None:
        if key in where:
            return
        source = _SOURCES[key]
        if source[0] == "present":
            place(source[1])  # a presence flag is its field's value tested; the field is read
            where[key] = ("present", 0)
            return
        group = groups[source[0]]
        where[key] = (source[0], len(group))
        group.append(source[1])

    for key in keys:
        place(key)
    # the values in one row, in `groups` order (build below appends them in that order), then the presence flags
    offsets: dict[str, int] = {}
    width = 0
    for group, items in groups.items():
        offsets[group] = width
        width += len(items)
    flags = [_SOURCES[key][1] for key in keys if _SOURCES[key][0] == "present"]
    flag_fields = _row_getter([offsets[where[f][0]] + where[f][1] for f in flags])
    offsets["present"] = width
    flag_index = {key: index for index, key in enumerate(k for k in keys if _SOURCES[k][0] == "present")}
    order = _row_getter([offsets["present"] + flag_index[key] if where[key][0] == "present"
                         else offsets[where[key][0]] + where[key][1] for key in keys])
    read_paths = _row_getter_of(paths)
    wishes, existing, trusted = (tuple(members[f]) for f in ("wishes", "existing_support", "trusted_support"))
    no_existing = [False] * (len(existing) + len(trusted))
    calls_ = tuple(calls)
    scores_ = tuple(scores)
    household_, no_household = _row_getter(household), [None] * len(household)
    igm_, no_igm = tuple(igm), [None] * len(igm)
    summarise = _summaries_reader(summaries) if summaries else None

    def build(assessment: Assessment) -> dict[str, Any]:
        row = [*read_paths(assessment)]
        if scores_:
            get = assessment.domains.get
            row += [getattr(score, attribute) if (score := get(domain)) is not None else None
                    for domain, attribute in scores_]
        if household:
            given = assessment.household
            row += household_(given.__dict__) if given is not None else no_household
        if igm_:
            given = assessment.igm
            row += [given.get(factor) for factor in igm_] if given else no_igm
        if summarise is not None:
            row += summarise(assessment)
        if calls_:
            row += [read(assessment) for read in calls_]
        if wishes:
            given = assessment.wishes
            row += [member in given for member in wishes]
        if existing or trusted:
            support = assessment.existing_support
            if support:
                kinds = {s.kind for s in support}
                row += [member in kinds for member in existing]
                kinds = {s.kind for s in support if s.trusted}
                row += [member in kinds for member in trusted]
            else:
                row += no_existing
        if flags:
            row += [value is not None for value in flag_fields(row)]
        return order(row)

    return build


def _row_getter(indexes: list[int]) -> Callable[[Any], tuple[Any, ...]]:
    """itemgetter that always gives a tuple (itemgetter of one index gives the item itself)."""
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes)


def _row_getter_of(paths: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values at the attribute `paths` of a model, as a tuple (attrgetter's values).

    (speed) A pydantic model's attribute goes through its class's __getattr__ hook, some ten
    times dearer than a dict's item; its fields are the items of its __dict__. So the paths
    are read as items, the fields of one model (the assessment's, its circumstances') by one
    itemgetter of its __dict__, then put back in the paths' order."""
    if not paths:
        return lambda a: ()
    parents: dict[str, list[str]] = {}  # a model's path ('' the model itself) -> its fields read
    for path in paths:
        parent, _, name = path.rpartition(".")
        parents.setdefault(parent, []).append(name)
    if any("." in parent for parent in parents):  # deeper than a field's field: read as attributes
        getter = attrgetter(*paths)
        return (lambda a: (getter(a),)) if len(paths) == 1 else getter
    read = tuple((parent, _row_getter(names)) for parent, names in parents.items())
    flat = [f"{parent}.{name}" if parent else name for parent, names in parents.items() for name in names]
    order = _row_getter([flat.index(path) for path in paths])

    def get(model: Any) -> tuple[Any, ...]:
        fields = model.__dict__
        values: list[Any] = []
        for parent, items in read:
            values += items(fields[parent].__dict__ if parent else fields)
        return order(values)

    return get


# what the life domains' scores sum up: read together, in one pass (fact_builder's "summary" group)
DOMAIN_SUMMARIES = ("lowest_self_reliance", "lowest_satisfaction", "top_priority_self_reliance")
_FIELDS_OF = attrgetter("__dict__")
_SELF_RELIANCE_ITEM, _SATISFACTION_ITEM, _PRIORITY_ITEM = map(itemgetter, ("self_reliance", "satisfaction", "priority"))
_GIVEN = partial(is_not, None)


def _summaries_reader(fields: list[str]) -> Callable[[Assessment], tuple[Any, ...]]:
    """The DOMAIN_SUMMARIES `fields`, in that order: the same values as their READERS, read from
    each score's fields once (hot path: no generator, no attribute hook per score and summary)."""
    pick = _row_getter([DOMAIN_SUMMARIES.index(field) for field in fields])

    def read(assessment: Assessment) -> tuple[Any, ...]:
        scores = [*map(_FIELDS_OF, assessment.domains.values())]
        self_reliance = [*map(_SELF_RELIANCE_ITEM, scores)]
        priorities = [*map(_PRIORITY_ITEM, scores)]
        return pick((min(self_reliance),
                     min(filter(_GIVEN, map(_SATISFACTION_ITEM, scores)), default=None),
                     self_reliance[priorities.index(1)] if 1 in priorities else None))

    return read


_NONES = repeat(None)


def _plain_number(value: Any) -> Any:
    """Floats as durable-rules can read them: its JSON parser refuses exponents (1e-05, 1e+16).
    Whole floats become ints; others are rounded to 4 decimals, which never prints an exponent
    within the model's bounds."""
    if isinstance(value, float):
        value = round(value, 4)
        return int(value) if value.is_integer() else value
    return value


_SELF_RELIANCE = attrgetter("self_reliance")


def _field_reader(field: str) -> Callable[[Assessment], Any]:
    """How to read one field of FIELDS from an assessment; None when the case does not give it."""
    head, _, rest = field.partition(".")
    if head == "domains":
        domain, attribute = rest.split(".")
        read = attrgetter(attribute)
        return lambda a: read(score) if (score := a.domains.get(domain)) is not None else None
    if head == "household":
        return lambda a: getattr(a.household, rest) if a.household is not None else None
    if head == "circumstances":
        return attrgetter(field)  # always present (defaults)
    if head == "igm":
        return lambda a: a.igm.get(rest) if a.igm else None
    derived: dict[str, Callable[[Assessment], Any]] = {
        "years_on_benefit": lambda a: _plain_number(a.years_on_benefit),  # the only float field
        "lowest_self_reliance": lambda a: min(map(_SELF_RELIANCE, a.domains.values())),
        "lowest_satisfaction": lambda a: min(
            (s.satisfaction for s in a.domains.values() if s.satisfaction is not None), default=None),
        "existing_support_count": lambda a: len(a.existing_support),
        "trusted_support_count": lambda a: sum(1 for s in a.existing_support if s.trusted),
        "top_priority_self_reliance": lambda a: next(
            (s.self_reliance for s in a.domains.values() if s.priority == 1), None),
    }
    if field in derived:
        return derived[field]
    return attrgetter(field)


def _member_reader(field: str, member: str) -> Callable[[Assessment], bool]:
    """Whether a set field (wishes, existing or trusted support) holds one member."""
    if field == "wishes":
        return lambda a: member in a.wishes
    # (hot path) most cases list little or no support: an empty list is answered without a generator
    if field == "existing_support":
        return lambda a: bool(a.existing_support) and any(s.kind == member for s in a.existing_support)
    if field == "trusted_support":
        return lambda a: bool(a.existing_support) and any(s.kind == member and s.trusted for s in a.existing_support)
    raise ValueError(f"no reader for set field '{field}'")


def _readers() -> tuple[dict[str, Callable[[Assessment], Any]], dict[str, tuple[str, Any]]]:
    """Every fact key, in FIELDS order, with how to read it: set fields as one flag per member,
    optional fields preceded by their presence flag. Beside it, per key, how fact_builder
    reads it in a group: ("attr", path), ("score", (domain, attribute)), ("household", attribute),
    ("igm", factor), ("summary", field), (set field, member),
    ("present", field) or ("call", its reader)."""
    always = lambda a: True  # noqa: E731
    readers: dict[str, Callable[[Assessment], Any]] = {ALWAYS: always}
    sources: dict[str, tuple[str, Any]] = {ALWAYS: ("call", always)}
    for field, spec in FIELDS.items():
        if spec.kind == "set":
            for member in spec.values:
                readers[set_key(field, member)] = _member_reader(field, member)
                sources[set_key(field, member)] = (field, member)
            continue
        read = _field_reader(field)
        if spec.optional:
            readers[present_key(field)] = lambda a, read=read: read(a) is not None
            sources[present_key(field)] = ("present", field)
        readers[field] = read
        sources[field] = _field_source(field, read)
    return readers, sources


def _field_source(field: str, read: Callable[[Assessment], Any]) -> tuple[str, Any]:
    """How fact_builder reads one field of FIELDS in a group (the same value as `read`)."""
    head, _, rest = field.partition(".")
    if head == "domains":
        domain, attribute = rest.split(".")
        return "score", (domain, attribute)
    if head in ("household", "igm"):
        return head, rest
    if field in DOMAIN_SUMMARIES:
        return "summary", field
    if read.__class__ is attrgetter:  # a plain attribute path (circumstances.*, municipality, age, ...)
        return "attr", field
    return "call", read


READERS: dict[str, Callable[[Assessment], Any]]
_SOURCES: dict[str, tuple[str, Any]]
READERS, _SOURCES = _readers()
_FULL = fact_builder(READERS)
