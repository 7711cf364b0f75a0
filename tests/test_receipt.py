"""Every advice carries its receipt, and `wegwijzer replay` gives a past advice again byte for
byte with the rules of that time, after the rules changed."""
from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

import engine as package
from engine.api import Engine
from engine.cli import main
from engine.errors import InputError, WegwijzerError
from engine.replay import replay
from engine.rulebook import default_rules_dir
from engine.store import LOCAL, Store
from engine.store.advise import advise, case_document
from store_cases import case_doc

ASSESSMENT = {"municipality": "leiden", "conversations_held": 4,
              "domains": {"finances": {"self_reliance": 2}, "social_network": {"self_reliance": 2}},
              "circumstances": {"problematic_debt": True}}
OLD_LABEL, NEW_LABEL = "label_nl: Toeleiding naar schuldhulpverlening", "label_nl: Naar de schuldhulp"


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


def test_the_receipt_names_versions_input_and_the_rules_that_held(engine):
    rec = engine.recommend(ASSESSMENT)
    receipt = rec.receipt
    assert receipt.engine_version == package.__version__
    assert receipt.rules_version == rec.rules_version == engine.rules_version
    assert receipt.schema_version == 1 and receipt.as_of is None  # an Assessment's advice has no date
    _, _, fired = engine.evaluate(ASSESSMENT)
    assert receipt.fired == {kind: sorted(ids) for kind, ids in fired.items()}
    assert receipt.input_hash.startswith("sha256:") and len(receipt.input_hash) == 7 + 64


def test_the_input_hash_is_over_the_validated_input(engine):
    same = json.loads(json.dumps(ASSESSMENT))
    same.update({"schema_version": 1, "open_to_support": True, "wishes": []})  # defaults written out
    assert engine.recommend(same).receipt.input_hash == engine.recommend(ASSESSMENT).receipt.input_hash
    other = {**ASSESSMENT, "conversations_held": 5}
    assert engine.recommend(other).receipt.input_hash != engine.recommend(ASSESSMENT).receipt.input_hash
    assert engine.recommend(ASSESSMENT).to_json() == engine.recommend(ASSESSMENT).to_json()


def test_a_cases_receipt_has_its_as_of_and_the_history_rules_that_fired(engine):
    doc = case_doc(interventions_log=[{"id": "debt_counselling", "started": "2026-01-10", "status": "running"}])
    rec = engine.recommend(doc)
    assert str(rec.receipt.as_of) == "2026-01-10"  # the case's latest date: no clock
    assert "running_not_suggested_again" in rec.receipt.fired["trajectory"]
    assert rec.receipt.fired["trajectory"] == sorted(
        {step.rule.split("/", 1)[1] for step in rec.trace if step.rule.startswith("trajectory/")})


def test_the_package_version_is_the_projects():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert package.__version__ == pyproject["project"]["version"]


@pytest.fixture
def rules(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), folder, ignore=shutil.ignore_patterns("*.test.yaml"))
    return folder


def _change_a_rule(folder: Path) -> None:
    path = folder / "interventions.yaml"
    text = path.read_text(encoding="utf-8")
    assert OLD_LABEL in text
    path.write_text(text.replace(OLD_LABEL, NEW_LABEL), encoding="utf-8")


def test_an_advice_from_january_replays_in_june_after_a_rule_change(rules, tmp_path, capsys):
    db = str(tmp_path / "cases.sqlite")
    store = Store.open(db)
    store.import_case(LOCAL, case_doc("jan-1"))
    from datetime import date

    january = advise(store.get(LOCAL, "jan-1"), engine=Engine.load(rules), today=date(2026, 1, 20))
    store.log_advice(LOCAL, "jan-1", january, rules=rules)
    case = store.export(LOCAL, "jan-1")  # the case as it was advised (without the day asked)
    store.close()
    _change_a_rule(rules)
    june = advise(Store.open(db).get(LOCAL, "jan-1"), engine=Engine.load(rules), today=date(2026, 1, 20))
    assert june.to_json() != january.to_json() and "Naar de schuldhulp" in june.to_json()

    (tmp_path / "receipt.json").write_text(january.to_json(), encoding="utf-8")
    (tmp_path / "case.json").write_text(json.dumps(case), encoding="utf-8")
    code = main(["replay", str(tmp_path / "receipt.json"), str(tmp_path / "case.json"), "--db", db])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out == january.to_json() + "\n"
    # the library says the same, with the store's copy of the rules
    with_store = Store.open(db)
    assert replay(january.receipt, case, store=with_store).to_json() == january.to_json()
    with_store.close()


def test_replay_refuses_other_input_and_unknown_rules(rules, engine):
    rec = engine.recommend(ASSESSMENT)
    with pytest.raises(InputError) as caught:
        replay(rec.receipt, {**ASSESSMENT, "conversations_held": 5})
    assert caught.value.fields == ["input"]
    assert replay(rec, ASSESSMENT).to_json() == rec.to_json()  # the shipped rules are that version
    _change_a_rule(rules)
    changed = Engine.load(rules).recommend(ASSESSMENT)
    with pytest.raises(WegwijzerError, match="are not in the shipped rules"):
        replay(changed.receipt, ASSESSMENT)
    assert replay(changed.receipt, ASSESSMENT, rules=rules).to_json() == changed.to_json()


def test_replay_finds_the_default_store_and_makes_none(rules, tmp_path, capsys, monkeypatch):
    from engine.store.repo import default_db_path

    monkeypatch.delenv("WEGWIJZER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _change_a_rule(rules)
    changed = Engine.load(rules).recommend(ASSESSMENT)
    (tmp_path / "r.json").write_text(changed.to_json(), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(ASSESSMENT), encoding="utf-8")
    assert main(["replay", str(tmp_path / "r.json"), str(tmp_path / "a.json")]) == 2
    assert "are not in the shipped rules" in capsys.readouterr().err
    assert not default_db_path().exists()  # no store made by looking
    store = Store.open()  # the coach's default store, which advised with those rules
    store.keep_rules(rules)
    store.close()
    assert main(["replay", str(tmp_path / "r.json"), str(tmp_path / "a.json")]) == 0
    assert capsys.readouterr().out == changed.to_json() + "\n"


def test_replay_of_a_bad_receipt_names_the_field(tmp_path, capsys):
    (tmp_path / "r.json").write_text(json.dumps({"rules_version": "x"}), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(ASSESSMENT), encoding="utf-8")
    assert main(["replay", str(tmp_path / "r.json"), str(tmp_path / "a.json")]) == 2
    err = capsys.readouterr().err
    assert "receipt.input_hash" in err and "Traceback" not in err


def test_a_case_hashes_alike_with_its_as_of_left_out_or_written(engine):
    doc = case_doc()
    written = {**doc, "as_of": "2026-01-05"}  # the latest date in the case
    assert engine.recommend(doc).to_json() == engine.recommend(written).to_json()
    assert engine.recommend({**doc, "as_of": "2026-02-01"}).receipt.input_hash != engine.recommend(doc).receipt.input_hash
