"""Invalid input: an InputError that names the field path, and via the CLI exit code 2 without a traceback."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Engine, InputError
from engine.cli import main

BASE = {"municipality": "leiden", "domains": {"finances": {"self_reliance": 3}}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def with_(**changes):
    return {**BASE, **changes}


# (id, assessment, field path the error must name, words the message must contain)
BAD = [
    ("unknown field", with_(wish=["paid_work"]), "wish", "did you mean 'wishes'"),
    ("unknown circumstance", with_(circumstances={"debts": True}), "circumstances.debts", "unknown field"),
    ("unknown domain score field", with_(domains={"finances": {"self_reliance": 3, "satisfactoin": 2}}),
     "domains.finances.satisfactoin", "did you mean 'satisfaction'"),
    ("unknown support field", with_(existing_support=[{"kind": "fact_team", "trustd": True}]),
     "existing_support[0].trustd", "did you mean 'trusted'"),
    ("score above 5", with_(domains={"finances": {"self_reliance": 6}}), "domains.finances.self_reliance", "5"),
    ("score below 1", with_(domains={"finances": {"self_reliance": 0}}), "domains.finances.self_reliance", "1"),
    ("satisfaction out of range", with_(domains={"finances": {"self_reliance": 3, "satisfaction": 9}}),
     "domains.finances.satisfaction", "5"),
    ("priority out of range", with_(domains={"finances": {"self_reliance": 3, "priority": 10}}),
     "domains.finances.priority", "9"),
    ("igm out of range", with_(igm={"motivation": 11}), "igm.motivation", "10"),
    ("unknown domain", with_(domains={"money": {"self_reliance": 3}}), "domains.money", "finances"),
    ("no domains", {"municipality": "leiden"}, "domains", "required"),
    ("empty domains", with_(domains={}), "domains", "at least 1"),
    ("unknown municipality", with_(municipality="amsterdam"), "municipality", "leiden"),
    ("unknown running intervention", with_(current_interventions=["literacy_course", "debt_councelling"]),
     "current_interventions[1]", "did you mean 'debt_counselling'"),
    ("duplicate priorities", with_(domains={"finances": {"self_reliance": 3, "priority": 2},
                                            "housing": {"self_reliance": 3, "priority": 2}}),
     "domains.housing.priority", "already given to domains.finances"),
    ("duplicate wish", with_(wishes=["paid_work", "paid_work"]), "wishes", "listed twice"),
    ("score as text", with_(domains={"finances": {"self_reliance": "high"}}), "domains.finances.self_reliance", "integer"),
    ("wishes not a list", with_(wishes="paid_work"), "wishes", "list"),
    ("bool as text", with_(open_to_support="maybe"), "open_to_support", "boolean"),
    ("age as text", with_(age="forty"), "age", "integer"),
    ("age too low", with_(age=15), "age", "16"),
    ("household not a mapping", with_(household=[]), "household", "dictionary"),
    ("fractional ladder rung", with_(ladder_rung=2.5), "ladder_rung", "integer"),
    ("unknown support kind", with_(existing_support=[{"kind": "ggz"}]), "existing_support[0].kind", "mental_health_care"),
    ("unknown language level", with_(circumstances={"language_level": "c1"}), "circumstances.language_level", "b1"),
    ("case id with a name in it", with_(case_id="Jan Jansen"), "case_id", "pattern"),
]


@pytest.mark.parametrize(("data", "field", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_input_error_names_the_field(engine: Engine, data, field: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        engine.recommend(data)
    assert field in info.value.fields, str(info.value)
    line = next(line for line in str(info.value).splitlines() if line.startswith(f"{field}:"))
    assert words in line


@pytest.mark.parametrize("data", [[1, 2], "leiden", None, 3], ids=["list", "text", "null", "number"])
def test_non_mapping_input_is_refused_at_the_root(engine: Engine, data) -> None:
    with pytest.raises(InputError) as info:
        engine.recommend(data)
    assert info.value.fields == [""]
    assert "must be a mapping" in str(info.value)


def test_every_problem_is_reported_at_once(engine: Engine) -> None:
    data = with_(age=15, domains={"finances": {"self_reliance": 6}}, wish=[])
    with pytest.raises(InputError) as info:
        engine.recommend(data)
    assert {"age", "domains.finances.self_reliance", "wish"} <= set(info.value.fields)


def test_source_is_named_in_the_message(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.recommend(with_(age=15), source="case.yaml")
    assert str(info.value).startswith("case.yaml: age:")


# ---------------------------------------------------------------- through the CLI


def write(tmp_path: Path, data, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


@pytest.mark.parametrize(("data", "field", "words"),
                         [b[1:] for b in BAD if b[0] in ("unknown field", "score above 5", "unknown running intervention",
                                                         "duplicate priorities", "unknown domain")],
                         ids=["unknown field", "score above 5", "unknown running intervention", "duplicate priorities",
                              "unknown domain"])
def test_cli_main_exits_2_and_names_the_field(tmp_path: Path, capsys, data, field: str, words: str) -> None:
    path = write(tmp_path, data)
    code = main(["recommend", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"{path}: {field}:" in err
    assert words in err
    assert "Traceback" not in err
    assert out == ""


def test_cli_subprocess_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, with_(current_interventions=["debt_councelling"]))
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "recommend", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "current_interventions[0]" in proc.stderr
    assert "did you mean 'debt_counselling'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(("text", "words"), [
    ("municipality: leiden\ndomains: {finances: {self_reliance: 3}\n", "not valid YAML"),
    ("- just\n- a list\n", "must be a mapping"),
], ids=["broken yaml", "a list"])
def test_cli_bad_file_content(tmp_path: Path, capsys, text: str, words: str) -> None:
    path = write(tmp_path, text)
    assert main(["recommend", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_cli_missing_file(tmp_path: Path, capsys) -> None:
    assert main(["recommend", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err


def test_cli_file_that_is_not_utf8(tmp_path: Path) -> None:
    """Was a UnicodeDecodeError traceback before recommend, explain and batch shared one reader."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("municipality: leiden\nnote: caf\u00e9\n".encode("latin-1"))
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "recommend", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{path}: (root): not UTF-8 text" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_valid_case_still_works(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, with_(circumstances={"problematic_debt": True}, conversations_held=3))
    assert main(["recommend", str(path), "--format", "json"]) == 0
    advice = json.loads(capsys.readouterr().out)
    assert advice["interventions"][0]["id"] == "debt_counselling"
