"""override_reasons.yaml: loaded by the rulebook, every problem found by `check` at its line."""
from __future__ import annotations

import shutil

import pytest

from engine.errors import RuleError
from engine.rulebook import default_rules_dir, load
from engine.workbench.check import check_rules


def test_the_shipped_reasons_load():
    book = load()
    assert [r.id for r in book.override_reasons.reasons] == [
        "client_declines", "does_not_fit", "already_arranged", "waiting_list", "other"]
    assert book.override_reasons.reasons[0].label_nl == "deelnemer wil dit niet"
    assert {d: v.needs_reason for d, v in book.override_reasons.decisions.items()} == {
        "accepted": False, "not_now": True, "other": True}


def _rules_with(tmp_path, old: str, new: str):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "override_reasons.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return rules, text[:text.index(old)].count("\n") + 1


def test_a_duplicate_reason_is_an_error_at_its_line(tmp_path):
    rules, line = _rules_with(tmp_path, "  - id: does_not_fit", "  - id: client_declines")
    errors = [f for f in check_rules(rules) if f.severity == "error"]
    assert [(f.file.endswith("override_reasons.yaml"), f.line) for f in errors] == [(True, line)]
    assert "duplicate reason id 'client_declines'" in errors[0].message
    with pytest.raises(RuleError, match="duplicate reason id"):
        load(rules)


def test_a_reason_without_source_or_a_decision_left_out_is_an_error(tmp_path):
    rules, _ = _rules_with(tmp_path, "    source: practice\n", "")
    assert any("no source" in f.message for f in check_rules(rules) if f.severity == "error")
    rules2, _ = _rules_with(tmp_path / "b", "  other:\n    label_nl: anders\n    label_en: something else\n    needs_reason: true\n", "")
    errors = [f for f in check_rules(rules2) if f.severity == "error"]
    assert any("missing other" in f.message for f in errors), errors


def test_rules_from_before_the_reasons_still_load_but_check_asks_for_them(tmp_path):
    """`wegwijzer diff HEAD~5 rules` loads a revision from before override_reasons.yaml."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    (rules / "override_reasons.yaml").unlink()
    assert load(rules).override_reasons is None
    assert [f.message for f in check_rules(rules) if f.severity == "error"] == ["rule file missing"]
