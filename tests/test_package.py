"""The package as an application embeds it (issue 13, item 5): `import wegwijzer` from a wheel
and from an editable install, next to the application's own `engine` module; py.typed;
model_dump() with the JSON's names; clean schema names; one valid JSON Schema document."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from engine import Engine
from engine.caseload import read_case
from engine.cli import schema_document
from engine.model import Recommendation, Referral

ROOT = Path(__file__).resolve().parent.parent
APP = """
import engine                       # the application's own module, not ours
assert engine.MINE == "the app's engine"
import wegwijzer
from wegwijzer import Engine, InputError
rec = Engine.load().recommend({"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}})
try:
    Engine.load().recommend({"municipality": "leiden", "domains": {}})
except InputError:
    pass
print(wegwijzer.__file__)
print(rec.rules_version)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)]
    out = subprocess.run([*command[:5], "--no-build-isolation", *command[5:]], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:  # hatchling not in this environment: let pip fetch it
        out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return next(folder.glob("wegwijzer-*.whl"))


def test_wheel_installs_wegwijzer_and_nothing_as_engine(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "wegwijzer/__init__.py" in names and "wegwijzer/py.typed" in names
    assert "wegwijzer/_rules/interventions.yaml" in names
    assert not [n for n in names if n.startswith("engine/")]
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "wegwijzer = wegwijzer.cli:main" in entry_points


def app_dir(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "engine.py").write_text('MINE = "the app\'s engine"\n')
    (app / "main.py").write_text(APP)
    return app


def test_an_app_with_its_own_engine_imports_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    app = app_dir(tmp_path)
    run = subprocess.run([sys.executable, "main.py"], cwd=app, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    location, version = run.stdout.split()
    assert location == str(target / "wegwijzer" / "__init__.py")  # the wheel's copy, not the checkout
    assert version.startswith("sha256:")
    # and its console script, from anywhere
    cli = subprocess.run([sys.executable, "-c", "import sys; from wegwijzer.cli import main; sys.exit(main(['schema', 'case']))"],
                         cwd=app, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(target)})
    assert cli.returncode == 0 and json.loads(cli.stdout)["title"] == "Case"


def test_an_app_with_its_own_engine_imports_the_editable_install(tmp_path: Path) -> None:
    """This environment has the checkout installed with `pip install -e .`."""
    app = app_dir(tmp_path)
    run = subprocess.run([sys.executable, "main.py"], cwd=app, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == str(ROOT / "engine" / "__init__.py")


def test_the_package_imports_itself_only_relatively() -> None:
    """An absolute `engine` import would break the installed `wegwijzer` (or load the app's engine)."""
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n == "engine" or n.startswith("engine.")]
    assert offenders == []


# ------------------------------------------------------------------ names


@pytest.fixture(scope="module")
def recommendation() -> Recommendation:
    case = read_case(str(ROOT / "examples" / "leiden_schulden_isolement.yaml"))
    rec = Engine.load().recommend(case)
    assert rec.referrals, "the example must refer"
    return rec


def test_model_dump_gives_the_json_names(recommendation: Recommendation) -> None:
    dumped = recommendation.model_dump()
    assert "for" in dumped["referrals"][0] and "for_" not in dumped["referrals"][0]
    assert dumped == json.loads(recommendation.to_json())  # the same names and values as the JSON
    assert recommendation.referrals[0].for_  # attribute access keeps working


def test_for_underscore_is_not_an_input_name(recommendation: Recommendation) -> None:
    data = recommendation.referrals[0].model_dump()
    data["for_"] = data.pop("for")
    with pytest.raises(ValueError):
        Referral.model_validate(data)


def test_public_schema_names_are_clean() -> None:
    text = json.dumps(schema_document())
    assert '"Warning"' in text
    assert "Warning_" not in text and "for_" not in text and "from_" not in text


# ------------------------------------------------------------------ one valid JSON Schema document


def test_schema_is_one_valid_2020_12_document_that_fits_the_engine(recommendation: Recommendation) -> None:
    from jsonschema import Draft202012Validator

    doc = schema_document()
    Draft202012Validator.check_schema(doc)
    validator = Draft202012Validator(doc)
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        data = read_case(str(example))
        assert not list(validator.iter_errors(json.loads(json.dumps(data, default=str)))), example.name
    case = {"municipality": "tilburg", "assessments": [
        {"date": "2024-01-10", "domains": {"finances": {"self_reliance": 2}}}], "as_of": "2024-06-01"}
    assert validator.is_valid(case)
    assert not validator.is_valid({"municipality": "leiden", "domains": {"finances": {"self_reliance": "3"}}})  # strict, as the engine
    assert not validator.is_valid({"municipality": "leiden"})
    output = Draft202012Validator({"$ref": "#/$defs/Recommendation", "$defs": doc["$defs"]})
    assert not list(output.iter_errors(json.loads(recommendation.to_json())))


@pytest.mark.parametrize("which", ["assessment", "case", "recommendation"])
def test_each_single_schema_is_valid_too(which: str) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema_document(which))
