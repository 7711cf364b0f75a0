"""The libyaml fast path reads every rule file exactly as the pure-Python loader does."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import yamlload
from engine.errors import RuleError
from engine.rulebook import default_rules_dir

pytestmark = pytest.mark.skipif(yamlload._CLineLoader is None, reason="PyYAML built without libyaml")


def pure(path: Path, monkeypatch) -> object:
    with monkeypatch.context() as m:
        m.setattr(yamlload, "_CLineLoader", None)
        return yamlload.load_with_lines(path)


def same(a, b) -> None:
    assert type(a) is type(b) and a == b
    if isinstance(a, dict):
        assert a.line == b.line
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, list):
        for x, y in zip(a, b):
            same(x, y)


@pytest.mark.parametrize("path", sorted(default_rules_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_same_data_and_lines(path, monkeypatch):
    same(yamlload.load_with_lines(path), pure(path, monkeypatch))


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "a: [1, 2\nb: 3\n", "yes: 1\nno: true\nx: off\n"])
def test_same_errors_and_yaml_1_2_booleans(tmp_path, monkeypatch, text):
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    outcomes = []
    for fast in (True, False):
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(yamlload, "_CLineLoader", None)
            try:
                outcomes.append(("ok", yamlload.load_with_lines(path)))
            except RuleError as exc:
                outcomes.append(("error", str(exc)))
    assert outcomes[0] == outcomes[1]
