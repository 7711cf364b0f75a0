"""Issue 9 item 6: a rule set that passes `wegwijzer check` always loads into the engine.

Nasty rule files (numbers durable-rules mishandles, nesting, wide conditions, alias bombs,
loops) either fail `check` with an error naming the file and a line, or load and advise.
"""
from __future__ import annotations

import signal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api import Engine
from engine.conditions import MAX_EXACT_INTEGER
from engine.errors import RuleError
from engine.workbench import check
from engine.workbench.check import check_rules
from workbench_helpers import copy_rules, edit, run_cli

FLOW = "leiden_flowchart.yaml"
UNSAFE_WHEN = "    when:\n      any:\n        - {circumstances.unsafe_at_home: true}\n        - {domains.safety.self_reliance: {lte: 1}}\n"
CASES = [
    {"municipality": "leiden", "conversations_held": 4, "domains": {"safety": {"self_reliance": 1}}},
    {"municipality": "helmond", "conversations_held": 5, "domains": {"finances": {"self_reliance": 5}}},
    {"municipality": "tilburg", "ladder_rung": 2, "domains": {"finances": {"self_reliance": 2}},
     "circumstances": {"problematic_debt": True}},
]


def nested(depth: int) -> str:
    cond = "{domains.safety.self_reliance: {lte: 1}}"
    for level in range(depth):
        key = "any" if level % 2 else "all"
        cond = f"{{{key}: [{cond}, {{age: {{gte: {20 + level}}}}}]}}"
    return cond


NASTY_WHEN = {
    "exponent, small": "{domains.safety.self_reliance: {lt: 0.00001}}",
    "exponent, large": "{conversations_held: {lt: 1.0e+20}}",
    "infinity": "{conversations_held: {lt: .inf}}",
    "minus infinity": "{conversations_held: {gt: -.inf}}",
    "not a number": "{conversations_held: {neq: .nan}}",
    "2**53 + 1": f"{{conversations_held: {{lt: {MAX_EXACT_INTEGER + 1}}}}}",
    "2**63": "{conversations_held: {gte: 9223372036854775808}}",
    "int64 in a list": "{conversations_held: {in: [1, 9223372036854775807]}}",
    "huge negative": "{years_on_benefit: {gt: -99999999999999999999}}",
    "nested 20 deep": nested(20),
    "nested 13 deep": nested(13),
    "wide any": "{any: [" + ", ".join(f"{{conversations_held: {n}}}" for n in range(100)) + "]}",
    "and of eight pairs": "{all: [" + ", ".join(f"{{any: [{{conversations_held: {n}}}, {{age: {20 + n}}}]}}" for n in range(8)) + "]}",
    "not of wide all": "{not: {all: [" + ", ".join(f"{{conversations_held: {{neq: {n}}}}}" for n in range(70)) + "]}}",
    "fine: small fraction": "{domains.safety.self_reliance: {lt: 1.5}}",
    "fine: nested 6 deep": nested(6),
    "fine: exactly 2**53": f"{{conversations_held: {{lt: {MAX_EXACT_INTEGER}}}}}",
}


def check_or_load(rules):
    """The property: check fails with file and line on every error, or the rules load and advise."""
    findings = check_rules(rules)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        for finding in errors:
            assert finding.file.startswith(str(rules)) and finding.line, str(finding)
        return "refused"
    engine = Engine.load(rules)
    for case in CASES:
        engine.recommend(case)
    return "loaded"


def test_each_nasty_condition_fails_check_with_a_line_or_loads(tmp_path):
    verdicts = {}
    for label, when in NASTY_WHEN.items():
        rules = copy_rules(tmp_path, label.replace(" ", "_").replace(":", "").replace(",", "").replace("*", ""))
        edit(rules / FLOW, UNSAFE_WHEN, f"    when: {when}\n")
        verdicts[label] = check_or_load(rules)
    assert {label for label, verdict in verdicts.items() if verdict == "loaded"} == {
        label for label in NASTY_WHEN if label.startswith("fine")}


def test_number_errors_name_the_rule_and_say_why(tmp_path):
    rules = copy_rules(tmp_path)
    line = edit(rules / FLOW, UNSAFE_WHEN, "    when: {conversations_held: {lt: 1.0e+20}}\n")
    found = [str(f) for f in check_rules(rules)]
    assert f"{rules / FLOW}:{line}: error: [q_unsafe] 'conversations_held' lt 1e+20: too large or too small: the rule engine reads no exponent notation (write it out, e.g. 0.0001)" in found


BOMB = "".join(
    f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}" if i else "lol"] * 9) + "]\n" for i in range(9))


def test_alias_bomb_loop_and_deep_yaml_are_refused_with_a_line(tmp_path, capsys):
    shapes = {
        "bomb": (BOMB, 6, "expands to more than 200,000 values through its aliases"),
        "loop": ("a: &a\n  - b: *a\n", 1, "an alias refers to the value that holds it (a loop)"),
        "deep": ("x: " + "[" * 60 + "]" * 60 + "\n", 1, "nested more than 40 deep"),
    }
    for label, (text, line, message) in shapes.items():
        rules = copy_rules(tmp_path, label)
        (rules / "resolution.yaml").write_text(text + (rules / "resolution.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        assert check_or_load(rules) == "refused"
        code, out, _ = run_cli(capsys, "check", "--rules", str(rules), "--lang", "en")
        assert code == 1
        assert f"{rules / 'resolution.yaml'}:{line}: error: {message}" in out


def test_check_compiles_in_a_child_and_reports_a_native_crash(tmp_path, monkeypatch):
    rules = copy_rules(tmp_path)
    monkeypatch.setattr(check, "_COMPILE", f"import os; os.kill(os.getpid(), {int(signal.SIGSEGV)})")
    found = [str(f) for f in check_rules(rules)]
    assert f"{rules}: error: the rule engine (durable-rules) crashed compiling the rules (signal {int(signal.SIGSEGV)})" in found


def test_a_condition_durable_rules_refuses_is_named_by_rule_file_and_line():
    from engine.matcher import _ProbeHost, compile_rulesets, install
    from engine.rulebook import load

    book = load()
    rulesets = compile_rulesets(book, "refused")
    node = book.flowchart.nodes["q_declines"]
    rulesets["refused_flowchart"]["q_declines"]["all"][0]["m"] = {"$lt": {"conversations_held": 1e-05}}
    try:
        install(_ProbeHost(), rulesets, book)
    except RuleError as exc:
        assert (exc.file, exc.line, exc.rule_id) == (node.file, node.line, "q_declines")
        assert "error code: 204" in str(exc)
    else:
        raise AssertionError("durable-rules accepted an exponent")


numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 5, 2**53, 2**53 + 1, 2**63, 1e-05, 1e16, 0.0001]))
leaf = st.builds(lambda op, n: f"{{conversations_held: {{{op}: {n!r}}}}}".replace("inf", ".inf").replace("nan", ".nan"),
                 st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte"]), numbers)
conditions = st.recursive(leaf, lambda inner: st.builds(
    lambda key, parts: f"{{{key}: [{', '.join(parts)}]}}", st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=9)),
    max_leaves=120)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(when=conditions)
def test_generated_conditions_fail_check_with_a_line_or_load(tmp_path_factory, when):
    rules = copy_rules(tmp_path_factory.mktemp("gen"))
    edit(rules / FLOW, UNSAFE_WHEN, f"    when: {when}\n")
    check_or_load(rules)
