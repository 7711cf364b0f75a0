"""Hypothesis strategies over the whole Assessment schema, shared by the property tests and
the native-safety sweep (which runs them in child processes)."""
from __future__ import annotations

import typing

from hypothesis import strategies as st

from engine.model import DOMAIN_IDS, Circumstances, IgmFactor, SupportKind, Wish
from engine.rulebook import load

_BOOK = load()
INTERVENTION_IDS = sorted(_BOOK.interventions)
# every organisation on any municipality's map, so consent may name one of another map too
_ORGANISATIONS = sorted({org for m in _BOOK.municipalities.values() for org in m.organisations})


def _choices(annotation) -> list[str]:
    args = typing.get_args(annotation)
    for arg in args:
        if typing.get_origin(arg) is typing.Literal:
            return list(typing.get_args(arg))
    return list(args)


def _circumstances() -> st.SearchStrategy[dict]:
    optional = {}
    for name, info in Circumstances.model_fields.items():
        values = _choices(info.annotation)
        optional[name] = st.sampled_from(values) if values else st.booleans()
    return st.fixed_dictionaries({}, optional=optional)


_SUPPORT = st.fixed_dictionaries(
    {"kind": st.sampled_from(_choices(SupportKind))},
    optional={"organisation": st.sampled_from(["GGZ", "MEE", "Woonbegeleiding", "Huisarts"]), "trusted": st.booleans()},
)
# built once: hypothesis validates a strategy when it is first drawn from, which dominated
# the cost of a draw while these were rebuilt inside the composite on every example
_OPTIONAL = st.fixed_dictionaries({}, optional={
    "case_id": st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True),
    "age": st.integers(16, 120),
    "household": st.fixed_dictionaries({}, optional={
        "single": st.booleans(), "children_under_18": st.integers(0, 8), "member_speaks_dutch": st.booleans()}),
    "ladder_rung": st.integers(1, 6),
    "years_on_benefit": st.one_of(st.integers(0, 60), st.floats(0, 105, allow_nan=False)),
    "wage_value_pct": st.integers(0, 100),
    "conversations_held": st.integers(0, 10),
    "open_to_support": st.booleans(),
    "consent_to_share": st.booleans(),
    "consent_to_share_with": st.lists(st.sampled_from(_ORGANISATIONS), unique=True, max_size=3),
    "circumstances": _circumstances(),
    "wishes": st.lists(st.sampled_from(_choices(Wish)), unique=True),
    "existing_support": st.lists(_SUPPORT, max_size=3),
    "current_interventions": st.lists(st.sampled_from(INTERVENTION_IDS), unique=True, max_size=5),
    "igm": st.dictionaries(st.sampled_from(_choices(IgmFactor)), st.integers(1, 10)),
})
_DOMAIN_IDS = st.lists(st.sampled_from(DOMAIN_IDS), min_size=1, max_size=9, unique=True)
_PRIORITIES = st.permutations(list(range(1, 10)))
_LEVEL = st.integers(1, 5)
_MUNICIPALITY = st.sampled_from(list(_BOOK.municipalities))  # the packs' ids, by folder name


@st.composite
def assessments(draw) -> dict:
    """A valid assessment: any municipality, 1-9 domains, optional everything else."""
    domain_ids = draw(_DOMAIN_IDS)
    priorities = draw(_PRIORITIES)
    domains = {}
    for index, domain in enumerate(domain_ids):
        score = {"self_reliance": draw(_LEVEL)}
        if draw(st.booleans()):
            score["satisfaction"] = draw(_LEVEL)
        if draw(st.booleans()):
            score["priority"] = priorities[index]  # unique by construction
        domains[domain] = score
    base = {"municipality": draw(_MUNICIPALITY), "domains": domains}
    return {**base, **draw(_OPTIONAL)}
