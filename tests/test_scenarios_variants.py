"""The step plan's policy is data: a municipality picks its variant (its pack's `variant:`, one of
resolution.yaml's `variants:`), and the
numbers the plan and the flowchart share agree."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import Engine
from engine.conditions import leaves
from engine.errors import RuleError
from engine.rulebook import default_rules_dir, load

SAME_CLIENT = {
    "conversations_held": 4, "ladder_rung": 2, "years_on_benefit": 5,
    "domains": {"finances": {"self_reliance": 2}, "social_contacts": {"self_reliance": 2},
                "physical_health": {"self_reliance": 3}, "daytime_activities": {"self_reliance": 3}},
    "circumstances": {"problematic_debt": True, "language_level": "a2"},
}


def _rules_with(tmp_path: Path, old: str, new: str, file: str = "municipalities/tilburg/municipality.yaml") -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def _now(engine: Engine, municipality: str) -> list[str]:
    rec = engine.recommend({**SAME_CLIENT, "municipality": municipality})
    return [i.id for i in rec.interventions if i.phase == "now"]


def test_a_municipality_picks_its_variant_by_configuration(tmp_path: Path) -> None:
    shipped = Engine.load()
    assert _now(shipped, "tilburg")[0] == "debt_counselling"  # Tilburg: debts often first
    # the same Tilburg case, with Tilburg configured to take Leiden's variant: no Python changed
    rules = _rules_with(tmp_path, "variant: existing_offers_participation", "variant: new_low_threshold_offers")
    configured = Engine.load(rules)
    assert _now(configured, "tilburg")[0] == "language_course"  # participation before the problems
    assert _now(configured, "leiden") == _now(shipped, "leiden")


def test_a_variant_that_does_not_exist_is_refused_with_file_and_line(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, "variant: existing_offers_participation", "variant: tilburg_variant")
    with pytest.raises(RuleError) as err:
        load(rules)
    line = (rules / "municipalities/tilburg/municipality.yaml").read_text(encoding="utf-8").splitlines().index("variant: tilburg_variant") + 1
    assert f"municipalities/tilburg/municipality.yaml:{line}:" in str(err.value) and "variant: 'tilburg' needs one of" in str(err.value)


def test_the_flowchart_and_the_step_plan_agree_on_three_conversations() -> None:
    book = load()
    node = book.flowchart.nodes["q_few_conversations"]
    bounds = [leaf.value for leaf in leaves(node.when) if leaf.field == "conversations_held"]
    assert bounds == [book.resolution.step_plan.conversations_for_trust]


def test_every_igm_factor_is_read_by_some_rule() -> None:
    from engine.facts import FIELDS

    book = load()
    conditions = [n.when for n in book.flowchart.nodes.values() if n.when is not None]
    conditions += [r.when for r in book.profile_rules + book.lead_rules]
    read = {leaf.field for cond in conditions for leaf in leaves(cond)}
    factors = [field for field in FIELDS if field.startswith("igm.")]
    assert len(factors) == 13
    assert [f for f in factors if f not in read] == []
