"""Input safety (issue 17, items 1, 2, 3, 6, 7): dates at the calendar's edges, YAML keys that
are lists, alias bombs in case files, the store's readers as strict as `recommend`'s, and
files that are not text. Each refused input is one clear error naming the field (or file and
line), exit 2, never a traceback; the store tests run on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Engine, InputError
from engine.case import days_after
from engine.caseload import parse_yaml, read_case
from engine.errors import RuleError
from engine.model import EARLIEST_DATE, LATEST_DATE
from engine.store import LOCAL, Store
from engine.yamlload import load_with_lines
from store_cases import case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
ENGINE = Engine.load()
CASE = {"municipality": "tilburg", "case_id": "d-1",
        "assessments": [{"date": "2025-01-06", "domains": {"finances": {"self_reliance": 2}}}]}


def wegwijzer(*argv: str, stdin: str | bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "WEGWIJZER_SHARED": "0", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "engine.cli", *argv], input=stdin.encode() if isinstance(stdin, str) else stdin,
                         capture_output=True, env=env, timeout=180, cwd=cwd)
    return subprocess.CompletedProcess(out.args, out.returncode, out.stdout.decode("utf-8", "replace"),
                                       out.stderr.decode("utf-8", "replace"))


@pytest.fixture
def cli_db(db_url):  # noqa: F811
    """A store the CLI opens single-user: a program creates it so (recorded in the store; no
    variable turns a PostgreSQL store's access control off)."""
    Store(db_url, shared=False).close()
    return db_url


def no_traceback(out: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in out.stderr and "Error:" not in out.stderr.replace("wegwijzer", ""), out.stderr


# ------------------------------------------------------------------ 17.1 dates at the calendar's end

FAR = "9999-12-30"
AT_THE_END = [
    ("goal set_on", {"goals": [{"id": "g1", "domain": "finances", "set_on": FAR}]}, "goals[0].set_on"),
    ("declined entry", {"interventions_log": [{"id": "debt_counselling", "started": FAR, "status": "declined"}]},
     "interventions_log[0].started"),
    ("profile record", {"profile_history": [{"date": FAR, "id": "income_support"}]}, "profile_history[0].date"),
    ("as_of at the start", {"as_of": "0001-01-05"}, "as_of"),
    ("assessment", {"assessments": [{"date": "1899-12-31", "domains": {"finances": {"self_reliance": 2}}}]},
     "assessments[0].date"),
]


@pytest.mark.parametrize(("change", "field"), [a[1:] for a in AT_THE_END], ids=[a[0] for a in AT_THE_END])
def test_a_date_outside_the_sane_range_is_refused_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(InputError) as info:
        ENGINE.recommend({**CASE, **change})
    problems = dict(info.value.problems)
    assert field in problems, problems
    assert str(LATEST_DATE) in problems[field] and "datum" in problems[field]


def test_the_edges_of_the_range_are_accepted() -> None:
    case = {**CASE, "assessments": [{"date": str(EARLIEST_DATE), "domains": {"finances": {"self_reliance": 2}}}],
            "goals": [{"id": "g1", "domain": "finances", "set_on": str(LATEST_DATE)}],
            "interventions_log": [{"id": "debt_counselling", "started": str(LATEST_DATE), "status": "declined"}],
            "profile_history": [{"date": str(LATEST_DATE), "id": "income_support"}], "as_of": str(LATEST_DATE)}
    rec = ENGINE.recommend(case)
    assert rec.progress is not None and rec.progress.since == EARLIEST_DATE


def test_a_far_date_on_the_command_line_is_exit_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**CASE, **AT_THE_END[0][1]}))
    out = wegwijzer("recommend", str(path))
    assert out.returncode == 2 and "goals[0].set_on" in out.stderr
    no_traceback(out)


@given(st.integers(-10**7, 10**7), st.dates())
def test_a_date_sum_never_overflows(days: int, day: date) -> None:
    later = days_after(day, days)
    assert date.min <= later <= date.max
    assert (later >= day) if days >= 0 else (later <= day)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["goal", "declined", "profile", "review_on", "as_of", "contact"]), st.dates())
def test_any_date_in_any_field_is_advice_or_an_input_error(where: str, day: date) -> None:
    text = day.isoformat()
    case = json.loads(json.dumps(CASE))
    if where == "goal":
        case["goals"] = [{"id": "g1", "domain": "finances", "set_on": text}]
    elif where == "review_on":
        case["goals"] = [{"id": "g1", "domain": "finances", "set_on": "2025-01-06", "review_on": text}]
    elif where == "declined":
        case["interventions_log"] = [{"id": "debt_counselling", "started": text, "status": "declined"}]
    elif where == "profile":
        case["profile_history"] = [{"date": text, "id": "income_support"}]
    elif where == "contact":
        case["contacts"] = [{"date": text, "kind": "phone", "reached": True}]
    else:
        case["as_of"] = text
    try:
        ENGINE.recommend(case)
    except InputError as exc:
        assert exc.fields, exc
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        with pytest.raises(InputError):
            ENGINE.recommend(case)


def test_a_far_date_never_reaches_the_store(db_url) -> None:  # noqa: F811
    store = Store(db_url)
    try:
        with pytest.raises(InputError) as info:
            store.import_case(LOCAL, case_doc("far-1", goals=[{"id": "g1", "domain": "finances", "set_on": FAR}]))
        assert "set_on" in str(info.value) and str(LATEST_DATE) in str(info.value)
        assert [s.case_id for s in store.list_cases(LOCAL)] == []
        # the purge's date sum is held at the calendar's start, whatever the retention
        assert store.purge(LOCAL, 10**7, date(1900, 1, 2)) == []
    finally:
        store.close()


def test_purge_with_absurd_numbers_is_one_line_and_exit_2(cli_db) -> None:  # noqa: F811
    for argv in (("--retention-days", "99999999999"), ("--retention-days", "30", "--today", "0001-01-05"),
                 ("--retention-days", "-1")):
        out = wegwijzer("case", "purge", "--db", cli_db, *argv)
        assert out.returncode == 2, (argv, out.stderr)
        assert "retention-days" in out.stderr or "--today" in out.stderr
        no_traceback(out)


# ------------------------------------------------------------------ 17.2 keys that are lists or maps


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "municipality: tilburg\nassessments:\n  - ? {a: 1}\n    : 2\n",
                                  "{[a]: 1}\n"])
def test_a_key_that_is_a_list_or_a_mapping_is_refused_with_its_line(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_yaml(text, "case.yaml")
    assert "a key must be text" in str(info.value) and "line " in str(info.value) and "column " in str(info.value)
    path = tmp_path / "case.yaml"
    path.write_text(text)
    out = wegwijzer("recommend", str(path))
    assert out.returncode == 2 and "a key must be text" in out.stderr
    no_traceback(out)


def test_a_list_key_in_a_rule_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: a\n    ? [x, y]\n    : 1\n")
    with pytest.raises(RuleError) as info:
        load_with_lines(path, "rules.yaml")
    assert info.value.line == 3 and "a key must be text" in info.value.detail


# ------------------------------------------------------------------ 17.3 alias bombs in case files

BOMB = "".join(f"{name}: &{name} [{', '.join([prev] * 9)}]\n" for name, prev in
               zip("abcdefgh", ['"x"', "*a", "*b", "*c", "*d", "*e", "*f", "*g"]))


def test_a_case_file_whose_aliases_expand_without_end_is_refused_unexpanded(tmp_path: Path) -> None:
    assert len(BOMB) < 600  # a few hundred bytes that would expand to 9**8 values
    with pytest.raises(InputError) as info:
        parse_yaml(BOMB, "bomb.yaml")
    assert "aliases" in str(info.value)
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    out = wegwijzer("recommend", str(path))
    assert out.returncode == 2 and "aliases" in out.stderr
    no_traceback(out)


def test_an_alias_loop_in_a_case_file_is_refused() -> None:
    with pytest.raises(InputError):
        parse_yaml("a: &a [*a]\n", "loop.yaml")


def test_a_few_honest_aliases_in_a_case_still_work() -> None:
    text = ("municipality: tilburg\nassessments:\n  - date: 2025-01-06\n    domains: &d {finances: {self_reliance: 2}}\n"
            "  - date: 2025-06-06\n    domains: *d\n")
    assert ENGINE.recommend(parse_yaml(text, "ok.yaml")).progress is not None


# ------------------------------------------------------------------ 17.7 files that are not text


def _rules_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return rules


def test_a_rule_file_with_a_nul_byte_names_file_and_line(tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    with open(rules / "trajectory.yaml", "ab") as stream:
        stream.write(b"\nx: \x00\n")
    lines = (rules / "trajectory.yaml").read_bytes().count(b"\n")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    for argv in (("recommend", str(path), "--rules", str(rules)), ("check", "--rules", str(rules))):
        out = wegwijzer(*argv)
        assert out.returncode in (1, 2), out.stderr  # check: 1 (the rules have errors); recommend: 2
        assert f"trajectory.yaml:{lines}" in out.stderr + out.stdout and "#x0000" in out.stderr + out.stdout
        no_traceback(out)


def test_a_scenario_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    with open(rules / "trajectory.test.yaml", "ab") as stream:
        stream.write(b"# \xff\xfe caf\xe9\n")
    out = wegwijzer("test", "--rules", str(rules))
    assert out.returncode != 0
    assert "trajectory.test.yaml" in out.stdout + out.stderr and "not UTF-8" in out.stdout + out.stderr
    no_traceback(out)


def test_a_case_file_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"municipality: tilburg\x00\n")
    with pytest.raises(InputError):
        read_case(str(path))


# ------------------------------------------------------------------ 17.6 `case import` reads as strictly as `recommend`

IMPORT_CASE = case_doc("imp-1")


def test_import_refuses_a_key_given_twice_on_stdin_and_in_json_lines(cli_db, tmp_path: Path) -> None:  # noqa: F811
    twice = json.dumps(IMPORT_CASE)[:-1] + ', "municipality": "tilburg"}'
    lines = tmp_path / "twice.jsonl"
    lines.write_text(json.dumps(case_doc("imp-0")) + "\n" + twice + "\n")
    for out in (wegwijzer("case", "import", "-", "--db", cli_db, stdin=twice),
                wegwijzer("case", "import", "-", "--db", cli_db, stdin=json.dumps(case_doc("imp-0")) + "\n" + twice + "\n"),
                wegwijzer("case", "import", str(lines), "--db", cli_db)):
        assert out.returncode != 0 and "municipality" in out.stderr and "twice" in out.stderr, out.stderr
        no_traceback(out)
    listed = wegwijzer("case", "list", "--db", cli_db, "--format", "json")
    assert [c["case_id"] for c in json.loads(listed.stdout)] == ["imp-0"]  # the good record is stored, once


def test_import_reads_yaml_12_on_stdin(cli_db) -> None:  # noqa: F811
    text = ("case_id: 077\nmunicipality: leiden\nassessments:\n  - date: 2026-01-05\n"
            "    domains: {finances: {self_reliance: 2}}\n")
    out = wegwijzer("case", "import", "-", "--db", cli_db, stdin=text)
    assert out.returncode == 0 and out.stdout.strip() == "077", out.stderr  # text, not octal 63
    out = wegwijzer("case", "import", "-", "--db", cli_db, stdin=text.replace("077", "c-no") + "    consent_to_share: no\n")
    assert out.returncode != 0 and "consent_to_share" in out.stderr and "boolean" in out.stderr, out.stderr  # 'no' is text, not false
    no_traceback(out)


@pytest.mark.parametrize("command", ["import", "monitor"])
def test_a_json_line_nested_without_end_is_an_error_not_a_recursion(cli_db, tmp_path: Path, command: str) -> None:  # noqa: F811
    lines = tmp_path / "deep.jsonl"
    lines.write_text(json.dumps(case_doc("ok-1")) + "\n" + "[" * 100_000 + "\n")
    if command == "import":
        out = wegwijzer("case", "import", str(lines), "--db", cli_db)
    else:
        out = wegwijzer("monitor", "--caseload", str(lines), "--out", str(tmp_path / "monitor"))
    assert out.returncode == 1 and "deep.jsonl:2" in out.stderr and "nested deeper than" in out.stderr, out.stderr
    no_traceback(out)


def test_import_caps_a_document_on_stdin(cli_db) -> None:  # noqa: F811
    out = wegwijzer("case", "import", "-", "--db", cli_db, stdin="x: " + "a" * (2 << 20) + "\n")
    assert out.returncode != 0 and "larger than 1,048,576 bytes" in out.stderr
    no_traceback(out)


def test_import_of_json_lines_on_stdin_streams_every_record(cli_db) -> None:  # noqa: F811
    text = "\n".join(json.dumps(case_doc(f"s-{i}")) for i in range(3)) + "\n\n"
    out = wegwijzer("case", "import", "-", "--db", cli_db, stdin=text)
    assert out.returncode == 0 and "stored): 3" in out.stdout, out.stderr


# ------------------------------------------------------------------ 17.5 inconsistent histories are never silent

HISTORY = {"municipality": "tilburg", "case_id": "h-1",
           "assessments": [{"date": "2025-03-03", "domains": {"finances": {"self_reliance": 2}, "leisure": {"self_reliance": 3}}},
                           {"date": "2025-09-01", "domains": {"finances": {"self_reliance": 3}, "leisure": {"self_reliance": 3}}}]}
GOAL_A = {"id": "doel-1", "domain": "finances", "set_on": "2025-03-03"}
ENTRY = {"id": "debt_counselling", "started": "2025-04-01", "status": "running"}

CONTRADICTIONS = [
    ("the same goal id twice", {"goals": [GOAL_A, {**GOAL_A, "domain": "leisure"}]}, "goals[1].id"),
    ("the same start both running and declined",
     {"interventions_log": [ENTRY, {**ENTRY, "status": "declined", "ended": "2025-04-01"}]}, "interventions_log[1].started"),
    ("the same start with two results",
     {"interventions_log": [{**ENTRY, "status": "completed", "ended": "2025-06-01", "result": "improved"},
                            {**ENTRY, "status": "completed", "ended": "2025-06-01", "result": "worse"}]},
     "interventions_log[1].started"),
]


@pytest.mark.parametrize(("change", "field"), [c[1:] for c in CONTRADICTIONS], ids=[c[0] for c in CONTRADICTIONS])
def test_a_contradiction_in_the_history_is_an_error_naming_the_field(change: dict, field: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        ENGINE.recommend({**HISTORY, **change})
    assert field in info.value.fields, info.value.problems
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**HISTORY, **change}))
    out = wegwijzer("recommend", str(path))
    assert out.returncode == 2 and field in out.stderr
    no_traceback(out)


SLIPS = [
    ("a log entry before the first assessment", {"interventions_log": [{**ENTRY, "started": "2025-01-02"}]},
     "log_entry_before_first_assessment", "interventions_log[0].started"),
    ("a goal before the first assessment", {"goals": [{**GOAL_A, "set_on": "2025-02-01"}]},
     "goal_before_first_assessment", "goals[0].set_on"),
    ("a GAS score without review_on", {"goals": [{**GOAL_A, "gas_score": 1}]}, "goal_score_without_review_on",
     "goals[0].review_on"),
    ("a result on a running entry", {"interventions_log": [{**ENTRY, "result": "improved"}]}, "result_before_the_end",
     "interventions_log[0].result"),
    ("a log entry listed twice", {"interventions_log": [ENTRY, ENTRY]}, "log_entry_twice", "interventions_log[1]"),
]


@pytest.mark.parametrize(("change", "code", "field"), [s[1:] for s in SLIPS], ids=[s[0] for s in SLIPS])
def test_a_probable_slip_is_a_warning_naming_the_field(change: dict, code: str, field: str) -> None:
    rec = ENGINE.recommend({**HISTORY, **change})
    found = [w for w in rec.warnings if w.code == code]
    assert [w.field for w in found] == [field]
    assert found[0].message_nl and found[0].message_en
    clean = ENGINE.recommend(HISTORY)  # and silent without the slip
    assert code not in {w.code for w in clean.warnings}


def test_a_goal_is_counted_once_and_a_sound_history_has_no_history_warning() -> None:
    sound = {**HISTORY, "goals": [{**GOAL_A, "review_on": "2025-09-01", "gas_score": 0}],
             "interventions_log": [{**ENTRY, "status": "completed", "ended": "2025-08-01", "result": "improved"},
                                   {**ENTRY, "started": "2025-08-15"}]}
    rec = ENGINE.recommend(sound)
    assert rec.progress is not None and rec.progress.goals.total == 1
    history_codes = {s[2] for s in SLIPS}
    assert not history_codes & {w.code for w in rec.warnings}


# ------------------------------------------------------------------ 17.8 / 17.17 no control character raw, no markup from a name

NASTY = "<img src=x onerror=alert(1)>\x1b[2J\nnext\u202e"
LINK = "[x](javascript:alert(1))\x1b]0;title\x07"
# Helmond, where a trusted care provider takes the lead, so its name is printed on the lead's own
# line; the link goes into that name too, since consent_to_share_with takes social-map ids only
NAMED = {"municipality": "helmond", "case_id": "n-1",
         "domains": {"finances": {"self_reliance": 2}, "mental_health": {"self_reliance": 1}},
         "circumstances": {"psychological_complaints": "severe"},
         "existing_support": [{"kind": "mental_health_care", "organisation": NASTY + " " + LINK, "trusted": True}],
         "consent_to_share": True}
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def assert_no_raw_control(text: str) -> None:
    assert not any(char in text for char in RAW), repr(text)


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    from engine.safetext import markdown_text, printable

    import unicodedata

    for shown in (printable(text), markdown_text(text)):
        assert not any(unicodedata.category(c) == "Cc" for c in shown)
    assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in printable(text, keep_lines=True))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_names_with_control_characters_are_escaped_in_the_advice(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(NAMED))
    out = wegwijzer("recommend", str(path), "--format", fmt)
    assert out.returncode == 0, out.stderr
    assert_no_raw_control(out.stdout)
    shown = "\\x1b[2J\\nnext" if fmt == "text" else "\\\\x1b\\[2J\\\\nnext"  # Markdown escapes the backslash too
    assert shown in out.stdout  # shown, escaped, on the lead's own line
    assert not any(line.startswith("next") for line in out.stdout.splitlines())


def test_markdown_never_turns_a_name_into_html_or_a_link(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(NAMED))
    advice = wegwijzer("recommend", str(path), "--format", "markdown").stdout
    case = {"municipality": "helmond", "case_id": "n-2",
            "assessments": [{"date": "2025-01-06", **{k: v for k, v in NAMED.items() if k not in ("municipality", "case_id")}}]}
    path.write_text(json.dumps(case))
    report = wegwijzer("report", str(path), "--format", "markdown")
    assert report.returncode == 0, report.stderr
    for text in (advice, report.stdout):
        assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(javascript", text), text  # only escaped: \<img, \](
        assert "\\<img src=x onerror=alert(1)\\>" in text and "\\[x\\](javascript:alert(1))" in text
        assert_no_raw_control(text)


def test_errors_escape_what_they_echo(tmp_path: Path) -> None:
    bad = {"municipality": "tilburg", "domains": {"finances": {"self_reliance": 2}}, "x\x1b[2J\ny": 1}
    path = tmp_path / "evil\x1b[2J.json"
    path.write_text(json.dumps(bad))
    out = wegwijzer("recommend", str(path))
    assert out.returncode == 2
    assert_no_raw_control(out.stderr)
    assert "x\\x1b[2J\\ny: unknown field" in out.stderr and "evil\\x1b[2J.json" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_workbench_output_escapes_file_names_and_ids(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a\x1b[2J\nb.yaml").write_text("municipality: tilburg\ndomains: {finances: {self_reliance: 2}\n")  # broken
    (folder / "ok.json").write_text(json.dumps({**CASE, "case_id": "ok-1"}))
    for argv in (("stats", str(folder)), ("explain", str(folder / "a\x1b[2J\nb.yaml"))):
        out = wegwijzer(*argv)
        assert_no_raw_control(out.stdout + out.stderr)
        no_traceback(out)


def test_a_list_key_on_the_four_case_pages_is_a_4xx_not_a_500() -> None:
    import warnings

    from engine.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    client = TestClient(create_app(ENGINE, token=""))
    token = client.get("/casus").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    bad = "? [a, b]\n: 1\n"
    answers = [client.post("/casus", data={"csrf_token": token, "document_text": bad})]
    answers += [client.post(path, data={"csrf_token": token, "document": bad})
                for path in ("/casus/toevoegen", "/casus/download", "/rapport")]
    assert [a.status_code for a in answers if not 400 <= a.status_code < 500] == []
    assert "Traceback" not in "".join(a.text for a in answers)
