"""Runs every rules/*.test.yaml case (one test per case) and asserts the cases cover every rule."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine
from engine.rulebook import load
from engine.scenarios import coverage, find_files, load_file, run_case, run_paths

RULES = Path(__file__).resolve().parent.parent / "rules"
BOOK = load(RULES)
CASES = [case for path in find_files([RULES]) for case in load_file(path, BOOK)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(BOOK)


def test_there_is_a_scenario_file_beside_each_rule_file() -> None:
    names = {p.name for p in find_files([RULES])}
    for stem in ("leiden_flowchart", "helmond_profiles", "lead_coordinator", "resolution"):
        assert f"{stem}.test.yaml" in names


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).stem.removesuffix('.test')}: {c.name}" for c in CASES])
def test_case(case, engine: Engine) -> None:
    result = run_case(case, engine)
    if result.status == "xfail":
        pytest.xfail(f"{case.where}: {case.xfail}")
    assert result.status == "pass", result.describe()


def test_every_rule_fires_and_stays_silent_somewhere(engine: Engine) -> None:
    report = coverage(run_paths([RULES], engine), engine.book)
    assert not report.missing, report.report()
    assert report.percent == 100.0
