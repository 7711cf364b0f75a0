"""The decision log as JSON Lines (library and batch): receipt, masked case id, never case content."""
from __future__ import annotations

import json

from engine.api import Engine
from engine.cli import main
from engine.decisionlog import log_entry, mask
from store_cases import case_doc


def test_an_entry_holds_the_receipt_and_a_masked_id():
    rec = Engine.load().recommend(case_doc("c-77"))
    entry = log_entry(rec, "coach7", mask(rec.case_id, b"key"))
    assert entry["receipt"] == rec.receipt.model_dump(mode="json")
    assert entry["case_ref"] == mask("c-77", b"key") != mask("c-77", b"other key")
    assert "c-77" not in json.dumps(entry)
    assert [s["id"] for s in entry["shown"]] == [i.id for i in rec.interventions]
    assert mask(None, b"key") is None


def test_batch_writes_the_log_beside_its_output(tmp_path, monkeypatch):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(case_doc(f"b-{i}")) for i in range(3)) + "\n{\"municipality\": 1}\n",
                     encoding="utf-8")
    monkeypatch.setenv("WEGWIJZER_LOG_KEY", "the municipality's key")
    out, log = tmp_path / "advice.jsonl", tmp_path / "log.jsonl"
    code = main(["batch", str(cases), "--out", str(out), "--workers", "1", "--decision-log", str(log), "--actor", "coach7"])
    assert code == 1  # the bad fourth line
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["case_ref"] for e in entries] == [mask(f"b-{i}", b"the municipality's key") for i in range(3)]
    assert {e["actor"] for e in entries} == {"coach7"}
    text = log.read_text(encoding="utf-8")
    assert "b-0" not in text and "self_reliance" not in text
