"""wegwijzer graph: mermaid and dot always; svg only where Graphviz is installed."""
from __future__ import annotations

import shutil

import pytest

from workbench_helpers import run_cli


def test_mermaid(capsys):
    code, out, _ = run_cli(capsys, "graph")
    assert code == 0 and out.startswith("flowchart TD")
    assert 'n_q_declines{"Wil de deelnemer nu geen ondersteuning?<br/>(q_declines)"}' in out
    assert "n_q_declines -->|ja| n_q_review_declined" in out
    assert "n_q_review_declined -->|nee| n_a_reapproach_later" in out
    assert '["Volgende maand opnieuw bellen<br/>(a_reapproach_later)"]' in out


def test_dot_english(capsys):
    code, out, _ = run_cli(capsys, "graph", "--format", "dot", "--lang", "en")
    assert code == 0 and out.startswith("digraph flowchart {")
    assert '"q_declines" -> "q_review_declined" [label="yes"];' in out
    assert '"q_review_declined" -> "a_reapproach_later" [label="no"];' in out
    assert '"q_declines" [shape=diamond' in out and '"a_reapproach_later" [shape=box' in out


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_svg(capsys):
    code, out, _ = run_cli(capsys, "graph", "--format", "svg")
    assert code == 0 and "<svg" in out


def test_svg_without_graphviz(capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = run_cli(capsys, "graph", "--format", "svg")
    assert code == 2 and "apt-get install graphviz" in err
