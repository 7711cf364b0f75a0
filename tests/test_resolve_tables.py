"""What engine.resolve and engine.api build once per rulebook or without validating again
(the hot path, issue 22) agrees with what the slow way gives, on every rule and case."""
from __future__ import annotations

import pytest

from engine.api import Engine
from engine.model import Advice, Receipt, Recommendation, SuggestedIntervention, built
from engine.synth import MUNICIPALITIES, generate


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


def _cases():
    return [case for i, municipality in enumerate(MUNICIPALITIES) for case in generate(municipality, 60, seed=40 + i)]


def test_built_models_are_the_validated_ones(engine):
    """built(cls, **values) gives what cls(**values) gives: the same fields in the same order,
    the same fields set, equal, dumped alike; a default factory's value made anew each time."""
    for case in _cases():
        rec = engine.recommend(case)
        values = {name: getattr(rec, name) for name in rec.model_fields_set}
        for cls, given, item in ((Recommendation, values, rec),
                                 (Receipt, {n: getattr(rec.receipt, n) for n in rec.receipt.model_fields_set}, rec.receipt)):
            made, validated = built(cls, **given), cls(**given)
            assert list(made.__dict__) == list(validated.__dict__) == list(cls.model_fields)
            assert made == validated == item
            assert made.model_fields_set == validated.model_fields_set == item.model_fields_set
            assert made.model_dump_json() == validated.model_dump_json()
    first, second = built(Recommendation, **values), built(Recommendation, **values)
    assert first.due == [] and first.due is not second.due  # a factory's list: each its own


def test_built_refuses_unknown_and_missing_fields():
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        built(Advice, id="a", text_nl="x", text_en="x", rule="r", source="s", colour="red")
    with pytest.raises(TypeError, match="missing fields \\['source'\\]"):
        built(Advice, id="a", text_nl="x", text_en="x", rule="r")
    # defaults filled in as validation fills them
    item = built(SuggestedIntervention, id="a", label_nl="x", label_en="x", domain=None, rationale="", rule="r", source="s")
    assert item == SuggestedIntervention(id="a", label_nl="x", label_en="x", domain=None, rationale="", rule="r", source="s")
    assert item.model_fields_set == {"id", "label_nl", "label_en", "domain", "rationale", "rule", "source"}
