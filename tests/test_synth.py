"""The synthetic caseload: deterministic per seed, valid, and roughly the report's figures."""
from __future__ import annotations

import json
import statistics

import pytest

from engine.api import parse_assessment
from engine.cli import main
from engine.errors import WegwijzerError
from engine.synth import MUNICIPALITIES, generate

N = 2000


@pytest.fixture(scope="module")
def caseloads():
    return {m: list(generate(m, N, seed=11)) for m in MUNICIPALITIES}


def share(cases, predicate):
    return sum(1 for c in cases if predicate(c)) / len(cases)


def test_same_seed_same_cases_other_seed_other_cases():
    assert list(generate("tilburg", 50, 3)) == list(generate("tilburg", 50, 3))
    assert list(generate("tilburg", 50, 3)) != list(generate("tilburg", 50, 4))


def test_every_case_is_a_valid_assessment_with_a_pseudonymous_id(caseloads):
    for municipality, cases in caseloads.items():
        for index, case in enumerate(cases, start=1):
            assessment = parse_assessment(case)
            assert assessment.case_id == f"{municipality}-{index:06d}"
            assert assessment.municipality == municipality


def test_unknown_municipality_is_an_expected_error():
    with pytest.raises(WegwijzerError):
        list(generate("amsterdam", 1, 0))


# generous tolerances: 2,000 draws, figures from seed:L946-1003 and seed:L2910-2932
def test_tilburg_follows_the_report(caseloads):
    cases = caseloads["tilburg"]
    assert share(cases, lambda c: c["age"] >= 50) == pytest.approx(0.58, abs=0.05)
    assert share(cases, lambda c: c["household"]["single"]) == pytest.approx(0.63, abs=0.05)
    assert share(cases, lambda c: c["years_on_benefit"] >= 10) == pytest.approx(0.42, abs=0.05)
    assert share(cases, lambda c: c["ladder_rung"] <= 3) == pytest.approx(0.74, abs=0.05)
    assert share(cases, lambda c: c["circumstances"].get("illiterate", False)) == pytest.approx(0.24, abs=0.05)
    assert all(c["age"] >= 27 for c in cases)


def test_leiden_follows_the_report(caseloads):
    cases = caseloads["leiden"]
    assert share(cases, lambda c: c["age"] >= 50) == pytest.approx(0.44, abs=0.05)
    assert share(cases, lambda c: c["ladder_rung"] == 2) == pytest.approx(0.58, abs=0.05)
    assert share(cases, lambda c: c["ladder_rung"] == 1) == pytest.approx(0.38, abs=0.05)
    below_b1 = {"below_a1", "a1", "a2"}
    assert share(cases, lambda c: c["circumstances"].get("language_level") in below_b1) == pytest.approx(0.62, abs=0.05)
    assert share(cases, lambda c: c["circumstances"].get("physical_limitation") in ("mild", "severe")) == pytest.approx(0.37, abs=0.05)
    assert share(cases, lambda c: "physical_limitation" not in c["circumstances"]) == pytest.approx(0.52, abs=0.05)
    mental = [c["domains"]["mental_health"]["self_reliance"] for c in cases if "mental_health" in c["domains"]]
    assert sum(s <= 2 for s in mental) / len(mental) == pytest.approx(0.27, abs=0.05)
    assert statistics.median(c["years_on_benefit"] for c in cases) >= 1.5


def test_helmond_follows_the_report(caseloads):
    cases = caseloads["helmond"]
    assert share(cases, lambda c: c["age"] < 27) == pytest.approx(1 / 3, abs=0.05)
    assert share(cases, lambda c: c["household"]["single"]) == pytest.approx(2 / 3, abs=0.05)
    assert share(cases, lambda c: "wmo_support" in c.get("current_interventions", [])) == pytest.approx(0.48, abs=0.05)
    assert share(cases, lambda c: c["wage_value_pct"] <= 30) == pytest.approx(0.9, abs=0.05)
    assert share(cases, lambda c: not c["open_to_support"]) == pytest.approx(0.33, abs=0.05)


def test_cli_writes_sorted_compact_json_lines(tmp_path, capsys):
    out = tmp_path / "cases.jsonl"
    assert main(["synth", "--municipality", "leiden", "--n", "5", "--seed", "2", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    expected = list(generate("leiden", 5, 2))
    for line, case in zip(lines, expected):
        assert line == json.dumps(case, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert main(["synth", "--municipality", "leiden", "--n", "5", "--seed", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
