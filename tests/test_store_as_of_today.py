"""A stored case is advised as of today (issue 18, item 5): a case file's `as_of` is the day it
was written, never a ceiling for a later visit. Every example case goes import -> add -> next."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.caseload import read_case
from engine.store import LOCAL, Store
from engine.store.advise import advise, case_document
from engine.errors import InputError
from test_store_cli import wegwijzer

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples", "cases").glob("*.yaml"))
TODAY = date(2026, 12, 3)


def _follow_up(case: dict, on: str) -> dict:
    """A later assessment: the latest one again, dated `on` (a visit after the file's as_of)."""
    latest = dict(case["assessments"][-1])
    latest["date"] = on
    return json.loads(json.dumps(latest, default=str))


@pytest.fixture(scope="module")
def engine():
    from engine.api import Engine

    return Engine.load()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_case_goes_import_add_next(path, tmp_path, engine):
    data = json.loads(json.dumps(read_case(str(path)), default=str))
    store = Store(f"sqlite:///{tmp_path / 'cases.sqlite'}", shared=False)
    case_id = store.import_case(LOCAL, data)
    store.add(LOCAL, case_id, _follow_up(data, "2026-12-01"))
    case = store.get(LOCAL, case_id)
    # the file's as_of is the day it was written: kept as such (or left out), never moved to a later visit
    assert case.as_of in ((date.fromisoformat(str(data["as_of"])) if "as_of" in data else None), None)
    rec = advise(case, engine, today=TODAY)
    assert rec.case_id == case_id and rec.progress is not None and rec.progress.until == date(2026, 12, 1)
    assert case_document(case, TODAY)["as_of"] == "2026-12-03"  # today, not the file's as_of
    store.close()


def test_a_pinned_date_is_the_coachs_and_before_a_visit_is_refused_naming_the_field(tmp_path, engine):
    data = json.loads(json.dumps(read_case(str(EXAMPLES[0])), default=str))
    store = Store(f"sqlite:///{tmp_path / 'cases.sqlite'}", shared=False)
    case_id = store.import_case(LOCAL, data)
    store.add(LOCAL, case_id, _follow_up(data, "2026-12-01"))
    case = store.get(LOCAL, case_id)
    assert case_document(case, TODAY, pinned=date(2026, 12, 2))["as_of"] == "2026-12-02"
    with pytest.raises(InputError) as err:
        advise(case, engine, today=TODAY, pinned=date(2026, 11, 30))
    assert any("2026-12-01 is after as_of (2026-11-30)" in message for _, message in err.value.problems)
    store.close()


def test_the_reported_cli_round_now_works(tmp_path):
    """The issue's reproduction: import tilburg_stagnatie.yaml, add an assessment dated 2026-12-01, next."""
    db = str(tmp_path / "cases.sqlite")
    path = Path(__file__).parent.parent / "examples" / "cases" / "tilburg_stagnatie.yaml"
    out = wegwijzer("case", "import", str(path), "--db", db)
    assert out.returncode == 0, out.stderr
    case_id = out.stdout.strip()
    data = json.loads(json.dumps(read_case(str(path)), default=str))
    out = wegwijzer("case", "add", case_id, "-", "--db", db, stdin=json.dumps(_follow_up(data, "2026-12-01")))
    assert out.returncode == 0, out.stderr
    out = wegwijzer("case", "next", case_id, "--db", db, "--format", "json", "--as-of", "2026-12-02")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["progress"]["until"] == "2026-12-01"
    out = wegwijzer("case", "next", case_id, "--db", db, "--as-of", "2026-11-01")
    assert out.returncode == 2 and "is after as_of (2026-11-01)" in out.stderr
