"""`wegwijzer batch`: order, bad records, resume after a kill, whole lines, folder input."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.api import Engine
from engine.batch import run_batch
from engine.cli import main
from engine.errors import WegwijzerError
from engine.synth import generate

N = 150
BAD = {4: '{"municipality": "utrecht", "domains": {}}', 9: "not json at all", 20: '{"municipality": "leiden", "domains": {"finances": {"self_reliance": 2}}, "colour": "red"}'}


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


@pytest.fixture()
def caseload(tmp_path):
    """N synthetic cases as JSON Lines, three of them bad, and a blank line."""
    lines = [json.dumps(case, sort_keys=True) for case in generate("tilburg", N, seed=5)]
    for number, text in BAD.items():
        lines[number - 1] = text
    lines.insert(30, "")  # blank: skipped, but the line numbers after it count it
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def expected_lines(path: Path, engine: Engine) -> list[str]:
    out = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            rec = engine.recommend(json.loads(text))
        except (ValueError, WegwijzerError):
            continue
        out.append(f'{{"line":{number},"recommendation":{rec.to_json(indent=None)}}}')
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_order_kept_and_bad_records_reported_by_line(caseload, tmp_path, engine, workers):
    out = tmp_path / f"out{workers}.jsonl"
    summary = run_batch(caseload, out, workers=workers, chunksize=7)
    records = read_jsonl(out)
    assert len(records) == N and summary.answered == N - 3 and summary.errors == 3
    numbers = [r["line"] for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == N
    errors = read_jsonl(Path(str(out) + ".errors.jsonl"))
    assert [e["line"] for e in errors] == [4, 9, 20]
    assert "municipality" in errors[0]["error"] and "not valid JSON" in errors[1]["error"]
    assert "colour: unknown field" in errors[2]["error"]
    good = [line for line in out.read_text(encoding="utf-8").splitlines() if '"recommendation"' in line[:40]]
    assert good == expected_lines(caseload, engine)  # byte-identical to Engine.recommend, in input order


def test_resume_after_a_stop_loses_and_duplicates_nothing(caseload, tmp_path):
    whole = tmp_path / "whole.jsonl"
    run_batch(caseload, whole, workers=2, chunksize=5)
    out = tmp_path / "out.jsonl"
    first = run_batch(caseload, out, workers=2, chunksize=5, limit=57)  # stops as if killed
    assert first.done == 57
    second = run_batch(caseload, out, workers=1)
    assert second.resumed == 57 and second.done == N - 57
    assert out.read_bytes() == whole.read_bytes()
    assert Path(str(out) + ".errors.jsonl").read_bytes() == Path(str(whole) + ".errors.jsonl").read_bytes()


def test_a_half_written_last_line_is_cut_and_redone(caseload, tmp_path):
    whole = tmp_path / "whole.jsonl"
    run_batch(caseload, whole, workers=1)
    data = whole.read_bytes()
    out = tmp_path / "out.jsonl"
    cut = data.index(b"\n", len(data) // 2) + 40  # 40 bytes into a line
    out.write_bytes(data[:cut])
    errors = Path(str(out) + ".errors.jsonl")
    # an errors file that ran ahead of the output (killed between the two writes)
    errors.write_bytes(Path(str(whole) + ".errors.jsonl").read_bytes())
    run_batch(caseload, out, workers=2)
    assert out.read_bytes() == data
    assert errors.read_bytes() == Path(str(whole) + ".errors.jsonl").read_bytes()
    assert out.read_bytes().endswith(b"\n")


def test_resume_after_a_real_kill(caseload, tmp_path):
    """SIGKILL a running CLI batch mid-way, start it again: the same bytes as one clean run."""
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps(c) + "\n" for c in generate("leiden", 3000, seed=9)), encoding="utf-8")
    whole = tmp_path / "whole.jsonl"
    run_batch(big, whole, workers=2)
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "engine.cli", "batch", str(big), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(command, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 200_000):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, all at once
    proc.wait()
    killed_at = out.read_bytes().count(b"\n")
    assert 0 < killed_at < 3000, "the kill should land mid-run"
    assert subprocess.run(command, stderr=subprocess.DEVNULL).returncode == 0
    assert out.read_bytes() == whole.read_bytes()


def test_folder_input(tmp_path, engine):
    folder = tmp_path / "cases"
    folder.mkdir()
    cases = list(generate("helmond", 4, seed=3))
    (folder / "a.yaml").write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in cases[0].items()), encoding="utf-8")
    (folder / "b.json").write_text(json.dumps(cases[1]), encoding="utf-8")
    (folder / "c.yaml").write_text("municipality: [unclosed", encoding="utf-8")
    (folder / "d.json").write_text(json.dumps(cases[3]), encoding="utf-8")
    (folder / "notes.txt").write_text("not a case", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run_batch(folder, out, workers=2, chunksize=1)
    records = read_jsonl(out)
    assert [(r["line"], r["file"]) for r in records] == [(1, "a.yaml"), (2, "b.json"), (3, "c.yaml"), (4, "d.json")]
    assert summary.answered == 3 and summary.errors == 1 and "error" in records[2]
    assert records[1]["recommendation"] == json.loads(engine.recommend(cases[1]).to_json(indent=None))


def test_cli_exit_codes(caseload, tmp_path, capsys):
    assert main(["batch", str(caseload), "--out", str(tmp_path / "o.jsonl"), "--workers", "1"]) == 1  # some bad
    assert main(["batch", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "input not found" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(next(generate("leiden", 1, seed=1))) + "\n", encoding="utf-8")
    # an output that belongs to another input is refused, not silently 'resumed'
    assert main(["batch", str(other), "--out", str(tmp_path / "o.jsonl"), "--workers", "1"]) == 2
    assert main(["batch", str(other), "--out", str(tmp_path / "o.jsonl"), "--workers", "1", "--fresh"]) == 0


def test_compact_output_ids_and_phases_only_and_resumable(caseload, tmp_path, engine):
    """--compact: per case the ids and phases (no trace, no text), the same with one worker or
    two, a stopped run resumed to the same bytes; a resume in the other form is refused."""
    from engine.errors import InputError
    from engine.render import to_compact

    one, two, resumed = tmp_path / "one.jsonl", tmp_path / "two.jsonl", tmp_path / "resumed.jsonl"
    run_batch(caseload, one, workers=1, compact=True)
    run_batch(caseload, two, workers=2, compact=True, chunksize=7)
    assert one.read_bytes() == two.read_bytes()
    run_batch(caseload, resumed, workers=2, compact=True, chunksize=7, limit=40)
    run_batch(caseload, resumed, workers=2, compact=True, chunksize=7)
    assert resumed.read_bytes() == one.read_bytes()
    lines = one.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    good = [r for r in records if "recommendation" in r]
    assert len(good) == N - 3 and [r["line"] for r in records if "error" in r] == [4, 9, 20]
    first = good[0]["recommendation"]
    assert set(first) >= {"case_id", "municipality", "rules_version", "client_profile", "lead_coordinator",
                          "interventions", "referrals", "advice", "warnings"}
    assert "trace" not in first
    assert all(set(r["recommendation"]["interventions"]) <= {"now", "next", "later"} for r in good)  # ids by phase
    text = one.read_text(encoding="utf-8")
    assert "rationale" not in text and "label_nl" not in text and "message_nl" not in text
    # the same advice as the full form, in ids
    case = json.loads(caseload.read_text(encoding="utf-8").splitlines()[0])
    full = engine.recommend(case)
    assert good[0]["recommendation"] == json.loads(to_compact(full))
    plan = good[0]["recommendation"]["interventions"]
    assert [(iid, phase) for phase in ("now", "next", "later") for iid in plan.get(phase, [])] == \
        [(i.id, i.phase) for i in full.interventions]
    assert sum(len(line.encode()) for line in lines) / len(lines) <= 3000
    with pytest.raises(InputError, match="with --compact"):
        run_batch(caseload, one, workers=1)  # a full-form resume of a compact output


def test_compact_with_a_decision_log_is_refused_before_the_run(caseload, tmp_path, capsys):
    """A decision-log entry is an advice's receipt, which the compact form leaves out: one
    line and exit 2 before any case is advised, not a traceback after the whole run."""
    out = tmp_path / "out.jsonl"
    argv = ["batch", str(caseload), "--out", str(out), "--workers", "1", "--compact", "--decision-log", str(tmp_path / "log.jsonl")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--decision-log" in err and "without --compact" in err and "Traceback" not in err
    assert not out.exists()
