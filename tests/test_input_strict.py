"""No silent coercion and bounded input (issue 9, items 4 and 5): every bad input gets an
error naming the field, through the Python API, the CLI (exit 2, no traceback) and the
JSON Lines readers, and an oversized or endless input is refused within a bounded read."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import Engine, InputError
from engine.caseload import MAX_DEPTH, MAX_INPUT_BYTES, iter_cases, parse_json, read_case
from engine.model import Case

ROOT = Path(__file__).resolve().parent.parent
BASE = {"municipality": "leiden", "domains": {"finances": {"self_reliance": 3}}}
YAML_BASE = "municipality: leiden\ndomains: {finances: {self_reliance: 3}}\n"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def problem(engine: Engine, data) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        engine.recommend(data)
    return dict(info.value.problems)


# ------------------------------------------------------------------ strict types (Python / JSON API)

STRICT = [
    ("score as quoted number", {"domains": {"finances": {"self_reliance": "3"}}}, "domains.finances.self_reliance", "not text"),
    ("age as quoted number", {"age": "40"}, "age", "not text"),
    ("bool as a score", {"domains": {"finances": {"self_reliance": True}}}, "domains.finances.self_reliance", "not true/false"),
    ("bool as age", {"age": True}, "age", "not true/false"),
    ("bool as years", {"years_on_benefit": False}, "years_on_benefit", "not true/false"),
    ("2.0 as a rung", {"ladder_rung": 2.0}, "ladder_rung", "not a fraction"),
    ("number as a bool", {"open_to_support": 1}, "open_to_support", "not a number"),
    ("text as a bool", {"consent_to_share": "true"}, "consent_to_share", "not text"),
    ("bool as schema version", {"schema_version": True}, "schema_version", "not true/false"),
    ("text as igm score", {"igm": {"motivation": "7"}}, "igm.motivation", "not text"),
    ("NaN years", {"years_on_benefit": float("nan")}, "years_on_benefit", "finite"),
    ("infinite years", {"years_on_benefit": float("inf")}, "years_on_benefit", "finite"),
]


@pytest.mark.parametrize(("change", "field", "words"), [s[1:] for s in STRICT], ids=[s[0] for s in STRICT])
def test_nothing_is_silently_coerced(engine: Engine, change, field: str, words: str) -> None:
    problems = problem(engine, {**BASE, **change})
    assert field in problems, problems
    assert words in problems[field]


def test_a_float_field_takes_an_integer_and_ints_stay_ints(engine: Engine) -> None:
    rec = engine.recommend({**BASE, "years_on_benefit": 3, "age": 40})
    assert rec.municipality == "leiden"


def test_case_dates_are_text_or_dates_never_numbers() -> None:
    good = {"municipality": "leiden", "assessments": [{"date": "2024-01-02", "domains": {"finances": {"self_reliance": 3}}}]}
    assert str(Case.model_validate(good).assessments[0].date) == "2024-01-02"
    bad = {**good, "assessments": [{**good["assessments"][0], "date": 0}]}
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        Case.model_validate(bad)


# ------------------------------------------------------------------ YAML and JSON text


def yaml_problem(tmp_path: Path, text: str) -> str:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        Engine.load().recommend(read_case(str(path)))
    except InputError as exc:
        return str(exc)
    raise AssertionError("accepted")


@pytest.mark.parametrize(("value", "shown"), [("077", "age"), ("0x2", "age"), ("1:10", "age"), ("1_000", "age"), ("+40", "age")])
def test_yaml_12_numbers_only(tmp_path: Path, value: str, shown: str) -> None:
    message = yaml_problem(tmp_path, YAML_BASE + f"age: {value}\n")
    assert f"{shown}: Input should be a valid integer, not text" in message


def test_yaml_infinity_is_not_a_number(tmp_path: Path) -> None:
    assert "years_on_benefit: Input should be a valid number, not text" in yaml_problem(tmp_path, YAML_BASE + "years_on_benefit: .inf\n")


def test_yaml_plain_decimals_are_still_numbers(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(YAML_BASE + "age: 40\nyears_on_benefit: 2.5\n", encoding="utf-8")
    assert read_case(str(path))["age"] == 40


def test_yaml_duplicate_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    message = yaml_problem(tmp_path, YAML_BASE + "age: 40\nage: 41\n")
    assert "line 4: key 'age' appears twice in one mapping (first on line 3)" in message


def test_json_duplicate_key_names_the_field() -> None:
    with pytest.raises(InputError) as info:
        parse_json('{"municipality": "leiden", "domains": {"finances": {"self_reliance": 3, "self_reliance": 2}}}')
    assert info.value.fields == ["domains.finances.self_reliance"]
    assert "given twice" in str(info.value)


SAME_READING = [
    '{"a": 1, "a" : 2}', '{"a": 1, "a"\n:\t2}', '{"note": "x: y", "a": 1, "a": 2}', '{"note": "x\\":", "b": 1}',
    '[{"a": 1}, {"b": [{"c": 1, "c": 2}]}]', '{"a": {"b": 1}, "a": {"b": 1}}', '{"": 1, "": 1}', '"text: only"', "3",
    "null", "[]", "{}", '{"a": "\\u003a", "b": 2}', '{"x": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}",
    '{"x": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}", '{"a": NaN}', '{"a": 1,}', "\ufeff{\"a\": 1}",
    '{"a": 1e999}', '{"b": 1, "a": 1, "b": 1, "c": "::"}',
]


@pytest.mark.parametrize("text", SAME_READING)
def test_json_fast_reading_gives_the_careful_readings_data_or_message(text: str, monkeypatch) -> None:
    """loads_checked reads a case with the C parser and a count of keys against the text's
    colons; whenever that cannot vouch for the text, the careful reading (a hook on every
    object) decides. Both must agree: the same data, or the same message."""
    from engine import caseload

    def read() -> object:
        try:
            return caseload.loads_checked(text)
        except (ValueError, InputError) as exc:
            return f"{type(exc).__name__}: {exc}"

    fast = read()
    monkeypatch.setattr(caseload, "_loads_plain", lambda text: None)  # the careful reading alone
    careful = read()
    assert fast == careful and type(fast) is type(careful)


def test_json_fast_reading_takes_an_ordinary_case_and_leaves_the_doubtful_ones() -> None:
    from engine.caseload import _loads_plain
    from engine.synth import generate

    for case in generate("leiden", 50, seed=2):
        assert _loads_plain(json.dumps(case)) == case
    assert _loads_plain('{"a": 1, "a": 2}') is None and _loads_plain('{"note": "a: b"}') is None


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_not_numbers(constant: str) -> None:
    with pytest.raises(InputError, match="not a JSON number"):
        parse_json('{"years_on_benefit": %s}' % constant)


# ------------------------------------------------------------------ bounded input

LISTS = [
    ("wishes", {"wishes": ["paid_work", "volunteering", "social_contact", "learn_language", "learn_digital",
                           "exercise", "structure", "help_others", "paid_work"]}),
    ("existing_support", {"existing_support": [{"kind": "other"}] * 21}),
    ("current_interventions", {"current_interventions": [f"x_{i}" for i in range(51)]}),
    ("consent_to_share_with", {"consent_to_share_with": [f"org_{i}" for i in range(51)]}),
]


@pytest.mark.parametrize(("field", "change"), LISTS, ids=[f for f, _ in LISTS])
def test_list_lengths_are_bounded(engine: Engine, field: str, change) -> None:
    problems = problem(engine, {**BASE, **change})
    assert "at most" in problems[field]


def test_list_bounds_leave_room_for_real_cases(engine: Engine) -> None:
    wishes = ["paid_work", "volunteering", "social_contact", "learn_language", "learn_digital", "exercise", "structure", "help_others"]
    assert engine.recommend({**BASE, "wishes": wishes, "existing_support": [{"kind": "other"}] * 20})


@pytest.mark.parametrize("field", ["assessments", "interventions_log", "goals", "contacts", "profile_history"])
def test_case_lists_are_bounded(field: str) -> None:
    item = {
        "assessments": {"date": "2024-01-01", "domains": {"finances": {"self_reliance": 3}}},
        "interventions_log": {"id": "debt_counselling", "started": "2024-01-01", "status": "running"},
        "goals": {"id": "g1", "domain": "finances", "set_on": "2024-01-01"},
        "contacts": {"date": "2024-01-01", "kind": "phone", "reached": True},
        "profile_history": {"date": "2024-01-01", "id": "income_support"},
    }[field]
    limit = Case.model_fields[field].metadata
    most = next(m.max_length for m in limit if hasattr(m, "max_length"))
    case = {"municipality": "leiden", "assessments": [item if field == "assessments" else
                                                      {"date": "2024-01-01", "domains": {"finances": {"self_reliance": 3}}}]}
    Case.model_validate({**case, field: [item] * most})
    with pytest.raises(ValueError, match=f"{field}\n.*at most {most}"):
        Case.model_validate({**case, field: [item] * (most + 1)})


@pytest.mark.parametrize(("field", "value"), [("conversations_held", 10**30), ("household", {"children_under_18": 10**30})])
def test_integers_without_a_natural_bound_have_one(engine: Engine, field: str, value) -> None:
    problems = problem(engine, {**BASE, field: value})
    assert any("less than or equal" in msg for msg in problems.values()), problems


def test_an_integer_too_long_to_read_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too long to read"):
        parse_json('{"age": %s}' % ("9" * 5000))
    path = tmp_path / "case.yaml"
    path.write_text(YAML_BASE + "age: " + "9" * 5000 + "\n")
    with pytest.raises(InputError, match="too long to read"):
        read_case(str(path))


@pytest.mark.parametrize("kind", ["json", "yaml-flow", "yaml-block"])
def test_deep_nesting_is_refused_naming_where(tmp_path: Path, kind: str) -> None:
    depth = 5000 if kind != "yaml-block" else 300
    if kind == "json":
        text = '{"municipality": "leiden", "x": ' + "[" * depth + "]" * depth + "}"
    elif kind == "yaml-flow":
        text = YAML_BASE + "x: " + "[" * depth + "]" * depth + "\n"
    else:
        text = YAML_BASE + "x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, depth)) + " " * depth + "v: 1\n"
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_case(str(path)) if kind != "json" else parse_json(text)
    assert f"nested deeper than {MAX_DEPTH} levels" in str(info.value)


def run_cli(*args: str, stdin=None, input_bytes: bytes | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], stdin=stdin, input=input_bytes,
                          capture_output=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize("source", ["yes", "zero", "big-file"])
def test_oversized_or_endless_input_is_refused_quickly(tmp_path: Path, source: str) -> None:
    started = time.monotonic()
    if source == "yes":
        feeder = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
        try:
            proc = run_cli("recommend", "-", stdin=feeder.stdout)
        finally:
            feeder.kill()
            feeder.wait()
    elif source == "zero":
        with open("/dev/zero", "rb") as zero:
            proc = run_cli("recommend", "-", stdin=zero)
    else:
        big = tmp_path / "big.yaml"
        with open(big, "wb") as stream:
            stream.write(YAML_BASE.encode())
            stream.truncate(200 * 1024 * 1024)  # 200 MB (sparse: cheap to make)
        proc = run_cli("recommend", str(big))
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert f"larger than {MAX_INPUT_BYTES:,} bytes" in stderr
    assert "Traceback" not in stderr
    assert time.monotonic() - started < 20


def test_cli_duplicate_key_is_exit_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(YAML_BASE + "age: 40\nage: 41\n")
    proc = run_cli("recommend", str(path))
    assert proc.returncode == 2
    assert b"appears twice" in proc.stderr and b"Traceback" not in proc.stderr


def test_jsonl_caseload_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    good = json.dumps(BASE)
    path = tmp_path / "cases.jsonl"
    line_sep = "\u2028"
    with_sep = json.dumps({**BASE, "case_id": "a"}, ensure_ascii=False)[:-1] + f', "x{line_sep}": 1}}'
    path.write_bytes(("\ufeff" + good + "\n" + "x" * (MAX_INPUT_BYTES + 10) + "\n" + with_sep + "\n"
                      + '{"age": 1, "age": 2}\n' + good + "\n").encode())
    cases = list(iter_cases(path))
    assert [ref for ref, _ in cases] == ["cases.jsonl:1", "cases.jsonl:2", "cases.jsonl:3", "cases.jsonl:4", "cases.jsonl:5"]
    assert cases[0][1] == BASE  # the BOM is not part of the record
    assert "larger than" in str(cases[1][1])
    assert isinstance(cases[2][1], dict) and f"x{line_sep}" in cases[2][1]  # U+2028 does not end a line
    assert "given twice" in str(cases[3][1])
    assert cases[4][1] == BASE


# ------------------------------------------------------------------ the HTTP API is as strict


@pytest.fixture(scope="module")
def client(engine: Engine):
    import warnings

    from engine.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    return TestClient(create_app(engine, token=""))


@pytest.mark.parametrize(("body", "field"), [
    ('{"municipality": "leiden", "domains": {"finances": {"self_reliance": "3"}}}', "domains.finances.self_reliance"),
    ('{"municipality": "leiden", "municipality": "tilburg", "domains": {"finances": {"self_reliance": 3}}}', "municipality"),
    ('{"municipality": "leiden", "years_on_benefit": NaN, "domains": {"finances": {"self_reliance": 3}}}', ""),
    ('{"municipality": "leiden", "x": ' + "[" * 20_000 + "]" * 20_000 + "}", ""),
    ('{"municipality": "leiden", "age": ' + "9" * 5000 + ', "domains": {"finances": {"self_reliance": 3}}}', ""),
], ids=["quoted score", "duplicate key", "NaN", "deep", "long integer"])
def test_http_api_refuses_with_a_4xx_naming_the_field(client, body: str, field: str) -> None:
    response = client.post("/v1/recommend", content=body.encode(), headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text[:300]
    if field:
        assert field in response.text
