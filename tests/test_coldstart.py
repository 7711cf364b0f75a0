"""Cold start of `wegwijzer recommend FILE` (issue 22.5), without timing anything: a plain
assessment imports only what it needs, and the rulebook kept between runs
(engine.rulecache) is the rulebook the files give, read again whenever they change, and
never hides a rule error. The times are measured in benchmarks/ (RESULTS.md)."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import prebuilt, rulebook, rulecache
from engine.cli import main
from engine.errors import RuleError
from engine.model import Assessment, _Strict
from engine.yamlload import LineDict

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLE = ROOT / "examples" / "leiden_schulden_isolement.yaml"

# What a plain assessment never needs: the case history and its rules, ZRM, the store, the
# web server and its templates, the workbench, the reports, batch runs, graphs.
NOT_FOR_A_PLAIN_ASSESSMENT = (
    "engine.history", "engine.progress", "engine.zrm", "engine.trajectory_synth", "engine.synth",
    "engine.store", "engine.web", "engine.workbench", "engine.report", "engine.monitor", "engine.batch",
    "engine.scenarios", "engine.flowgraph", "engine.hsds", "engine.register", "engine.replay",
    "engine.decisionlog", "engine.feedback", "engine.cds",
    "engine.casemodel",  # the Case models: for a case with a history only
    "sqlalchemy", "alembic", "psycopg", "psycopg2", "fastapi", "starlette", "uvicorn", "jinja2", "networkx",
    "httpx", "tqdm", "multiprocessing", "concurrent.futures", "sqlite3",
    "difflib",  # for "did you mean", on a mistake only
)
# ...and, when the rulebook comes from the cache, what only loading the rule files needs: the
# schemas of the files whose objects the book does not hold.
NOT_FROM_THE_CACHE = ("engine.ruleschema",)


def modules_after(args: list[str], cache: Path | str) -> set[str]:
    """The modules loaded by `wegwijzer ARGS` in a fresh interpreter."""
    code = ("import io, json, sys, contextlib\n"
            "from engine.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    code = main({args!r})\n"
            "assert code == 0, code\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    env = {**os.environ, "WEGWIJZER_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("cache", ["off", "warm"])
def test_a_plain_recommend_imports_only_what_it_needs(cache: str, tmp_path: Path) -> None:
    where: Path | str = "off" if cache == "off" else tmp_path
    args = ["recommend", str(EXAMPLE)]
    if cache == "warm":
        modules_after(args, where)  # fills the cache
        assert list(tmp_path.glob("rulebook-*.pickle"))
    loaded = modules_after(args, where)
    assert "engine.api" in loaded  # the check looks at the right names
    unwanted = NOT_FOR_A_PLAIN_ASSESSMENT + (NOT_FROM_THE_CACHE if cache == "warm" else ())
    needless = sorted(m for m in loaded for name in unwanted if m == name or m.startswith(name + "."))
    assert needless == []
    if cache == "off":
        assert set(NOT_FROM_THE_CACHE) <= loaded  # loading the files does use them
    else:
        assert "pickle" not in loaded  # an entry is read with _pickle; the pure-Python module writes one


def test_a_json_case_is_read_without_pyyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A case given as JSON, with the rulebook from the cache, imports no PyYAML (with the cache
    off the rule files are YAML), and gets the advice the same case gets as YAML."""
    import yaml

    case = tmp_path / "case.json"
    case.write_text(json.dumps(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), indent=2), encoding="utf-8")
    args = ["recommend", str(case), "--format", "json"]
    modules_after(args, tmp_path / "cache")  # fills the cache
    loaded = modules_after(args, tmp_path / "cache")
    assert "engine.api" in loaded and not {"yaml", "engine.yamlload"} & loaded
    assert "yaml" in modules_after(["recommend", str(EXAMPLE)], tmp_path / "cache")  # a YAML case does need it
    outputs = []
    monkeypatch.setenv("WEGWIJZER_CACHE_DIR", "off")
    for given in (case, EXAMPLE):
        assert main(["recommend", str(given), "--format", "json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_pyyaml_reads_with_the_cheaper_pattern_of_the_same_characters() -> None:
    """engine.yamlload hands PyYAML's reader its pattern of non-printable characters written as
    those characters (cheaper to compile): the same characters on every code point, and the one
    PyYAML's reader uses when yaml is first imported through it. Fails when PyYAML writes its
    pattern otherwise: then update YAML_NON_PRINTABLE (until then its import only costs more)."""
    import re

    from engine.yamlload import NON_PRINTABLE, YAML_NON_PRINTABLE

    every = "".join(map(chr, range(0x110000)))  # surrogates included: a str can hold them
    theirs = [m.start() for m in re.compile(YAML_NON_PRINTABLE).finditer(every)]
    ours = [m.start() for m in re.compile(NON_PRINTABLE).finditer(every)]
    assert theirs == ours and len(ours) == 2111
    code = ("import engine.yamlload, yaml.reader, re\n"
            "print(yaml.reader.Reader.NON_PRINTABLE.pattern == engine.yamlload.NON_PRINTABLE,\n"
            "      yaml.reader.Reader.NON_PRINTABLE is re.compile(engine.yamlload.YAML_NON_PRINTABLE))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True"], done.stderr


def same_typed(a: Any, b: Any) -> bool:
    """Equal with equal types all the way down (1 == 1.0 == True would hide a difference)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_typed(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_typed(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)


# mostly what a case holds (printable ASCII; a colon sends the text to the YAML loader, so
# rarely), sometimes what YAML reads otherwise (controls, DEL, escapes, non-ASCII)
_TEXT = (st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters=":"), max_size=12)
         | st.text(st.characters(min_codepoint=0, max_codepoint=0x7F) | st.sampled_from("\u00eb\u2028\ud83d\U0001f600"),
                   max_size=6))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-10**400, 10**400)
    | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _JSON, max_size=6), st.sampled_from([None, 2]), st.sampled_from([(", ", ": "), (",", ":")]),
       st.booleans())
def test_json_read_without_pyyaml_is_what_yaml_reads(doc: dict[str, Any], indent: int | None,
                                                     separators: tuple[str, str], ascii_only: bool) -> None:
    """Whatever JSON text caseload reads without PyYAML, the YAML loader reads to the same data
    (types too); what it leaves to the YAML loader (None) is read there, as before."""
    from engine.caseload import _as_yaml_would_read_it, parse_yaml

    text = json.dumps(doc, indent=indent, separators=separators, ensure_ascii=ascii_only)
    fast = _as_yaml_would_read_it(text)
    if fast is None:
        return
    assert same_typed(fast, parse_yaml(text, "case.json"))


def test_json_with_what_yaml_reads_otherwise_is_left_to_yaml() -> None:
    from engine.caseload import _as_yaml_would_read_it

    for text in ('{"a": "\\ud83d\\ude00"}', '{"a": "\u00eb"}', '{"a":\t1}', '{"a": "\x7f"}', '{"a": 1, "a": 2}',
                 '[1]', '"text"', '{"a": 1} x', '{"a": NaN}', "{'a': 1}", "a: 1"):
        assert _as_yaml_would_read_it(text) is None, text
    assert _as_yaml_would_read_it(' \r\n{"a": [1, 2.5, "x-y", null, true]}\n') == {"a": [1, 2.5, "x-y", None, True]}


def test_a_case_with_history_still_loads_what_it_needs(tmp_path: Path) -> None:
    case = ROOT / "examples" / "cases" / "tilburg_stagnatie.yaml"
    assert {"engine.history", "engine.progress"} <= modules_after(["recommend", str(case)], tmp_path)


# ------------------------------------------------------------------ the rulebook kept between runs


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("WEGWIJZER_CACHE_DIR", str(where))
    return where


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def loads_from_files(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every call of rulebook.load that load_cached makes (a miss)."""
    calls: list[Path] = []
    real = rulebook.load

    def load(directory: Any = None, packs: Any = None) -> rulebook.Rulebook:
        calls.append(directory)
        return real(directory, packs)

    monkeypatch.setattr(rulebook, "load", load)
    return calls


def same_lines(a: Any, b: Any, where: str = "") -> None:
    """Equal data with equal lines, all the way down (== on a LineDict ignores its lines)."""
    assert type(a) is type(b), where
    if isinstance(a, LineDict):
        assert (a.line, a.key_lines) == (b.line, b.key_lines), where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same_lines(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            same_lines(x, y, f"{where}[{index}]")
    else:
        assert a == b, where


def test_the_cached_rulebook_is_the_one_the_files_give(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = rulebook.load(RULES)
    calls = loads_from_files(monkeypatch)
    first = rulecache.load_cached(RULES)
    second = rulecache.load_cached(RULES)
    assert calls == [RULES]  # the first run loaded the files, the second read the cache
    assert len(list(cache.glob("rulebook-*.pickle"))) == 1
    assert "raw" not in vars(second)  # read from the entry when first asked for (comparing asks)
    assert first == fresh and second == fresh
    assert second is not first and first.cache == {}
    # what the cache keeps beside the book: the rule sets the matcher compiles from it
    from engine.matcher import RULESET_PARTS, compile_rulesets, ruleset_parts

    assert second.cache == {RULESET_PARTS: ruleset_parts(fresh)}
    assert compile_rulesets(second, "w") == compile_rulesets(fresh, "w")
    same_lines(second.raw, fresh.raw)
    assert vars(second)["raw"] is second.raw
    assert second.fields == fresh.fields and second.override_reasons == fresh.override_reasons
    assert [n.when for n in second.flowchart.nodes.values()] == [n.when for n in fresh.flowchart.nodes.values()]


def test_the_cli_gives_the_same_advice_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for where in ("off", str(cache), str(cache)):  # no cache, a miss that fills it, a hit
        monkeypatch.setenv("WEGWIJZER_CACHE_DIR", where)
        assert main(["recommend", str(EXAMPLE), "--format", "json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2]
    assert json.loads(outputs[0])["receipt"]["rules_version"] == rulebook.rules_version(RULES)


def test_the_key_holds_the_source_of_every_module_that_makes_an_entry(cache: Path) -> None:
    """ENTRY_SOURCES names every module of the package that loading the rules, compiling the
    matcher's rule sets and writing an entry run (a fresh interpreter, as a miss), so that an
    edit of any of them is a miss; and an edit of one is."""
    code = ("import sys\n"
            "from engine import rulecache\n"
            "rulecache.load_cached(sys.argv[1])\n"
            "print(' '.join(sorted(m for m in sys.modules if m == 'engine' or m.startswith('engine.'))))\n")
    env = {**os.environ, "WEGWIJZER_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code, str(RULES)], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(cache.glob("rulebook-*.pickle"))  # it was a miss that wrote an entry
    used = {"__init__.py" if m == "engine" else m.split(".", 1)[1].replace(".", "/") + ".py" for m in done.stdout.split()}
    assert used <= set(rulecache.ENTRY_SOURCES), sorted(used - set(rulecache.ENTRY_SOURCES))
    assert all((ROOT / "engine" / name).is_file() for name in rulecache.ENTRY_SOURCES)


def test_an_edit_of_a_module_that_makes_an_entry_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = tmp_path / "engine"
    shutil.copytree(ROOT / "engine", code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(rulecache, "__file__", str(code / "rulecache.py"))
    before = rulecache._key(RULES, [])
    for name in ("matcher.py", "record.py", "batch.py"):
        (code / name).write_text((code / name).read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        after = rulecache._key(RULES, [])
        assert (after != before) == (name in rulecache.ENTRY_SOURCES), name  # batch.py makes no entry
        before = after


def test_a_changed_rule_file_is_read_again(cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = rulecache.load_cached(rules)
    path = rules / "interventions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "label_nl: Toeleiding naar schuldhulpverlening", "label_nl: Naar de schuldhulp"), encoding="utf-8")
    calls = loads_from_files(monkeypatch)
    after = rulecache.load_cached(rules)
    assert calls == [rules]
    assert before.interventions["debt_counselling"].label_nl == "Toeleiding naar schuldhulpverlening"
    assert after.interventions["debt_counselling"].label_nl == "Naar de schuldhulp"
    assert after == rulebook.load(rules) and after.version != before.version


def test_any_file_in_the_rules_folder_is_part_of_the_key(cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a folder per municipality (rules/municipalities/<id>/...) is covered without knowing it
    rulecache.load_cached(rules)
    (rules / "municipalities" / "leiden" / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    calls = loads_from_files(monkeypatch)
    rulecache.load_cached(rules)
    rulecache.load_cached(rules)
    assert calls == [rules]


def test_packs_outside_the_rules_are_part_of_the_key(cache: Path, rules: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`recommend --packs DIR` (WEGWIJZER_PACKS): a book cached without the outside packs is not
    given with them, nor one with them without them, and a change in an outside pack is read again."""
    from workbench_helpers import add_pack

    outside = tmp_path / "packs"
    add_pack(outside, "proefstad", "  - id: gemeente_proefstad\n    name: Gemeente Proefstad\n    source: practice\n    services: []\n")
    assert "proefstad" not in rulecache.load_cached(rules).municipalities
    monkeypatch.setenv("WEGWIJZER_PACKS", str(outside))
    assert "proefstad" in rulecache.load_cached(rules).municipalities
    assert "proefstad" in rulecache.load_cached(rules, [outside]).municipalities
    monkeypatch.delenv("WEGWIJZER_PACKS")
    assert "proefstad" not in rulecache.load_cached(rules).municipalities
    main_file = outside / "proefstad" / "municipality.yaml"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace("name: Proefstad", "name: Proefstad aan Zee"), encoding="utf-8")
    assert rulecache.load_cached(rules, [outside]).municipalities["proefstad"].name == "Proefstad aan Zee"


@pytest.mark.parametrize("broken", [
    ("interventions.yaml", "    step: 2\n", "    step: 7\n"),  # the schema
    ("leiden_flowchart.yaml", "intervention: domestic_safety\n", "intervention: domestic_safetyx\n"),  # a cross check
    ("helmond_profiles.yaml", "{lte: 2}", "{lteq: 2}"),  # a condition
    ("resolution.yaml", "ranking:", "ranking: [unclosed\n"),  # YAML syntax
])
def test_a_rule_error_is_never_hidden_by_the_cache(broken: tuple[str, str, str], cache: Path, rules: Path) -> None:
    rulecache.load_cached(rules)  # the good rules are in the cache
    name, old, new = broken
    path = rules / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleError) as plain:
        rulebook.load(rules)
    for _ in range(2):  # and again: a bad rulebook is never stored
        with pytest.raises(RuleError) as cached:
            rulecache.load_cached(rules)
        assert str(cached.value) == str(plain.value)
        assert (cached.value.file, cached.value.line) == (plain.value.file, plain.value.line)
    assert len(list(cache.glob("rulebook-*.pickle"))) == 1


def test_the_folder_as_named_is_part_of_the_key(cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the rulebook writes its file names (the trace's `file`) with the folder as it was given
    monkeypatch.chdir(rules.parent)
    by_name = rulecache.load_cached("rules")
    by_path = rulecache.load_cached(rules)
    assert by_name.flowchart.file == str(Path("rules") / "leiden_flowchart.yaml")
    assert by_path.flowchart.file == str(rules / "leiden_flowchart.yaml")


def entry(cache: Path) -> Path:
    [found] = cache.glob("rulebook-*.pickle")
    return found


RAN: list[str] = []


def _code_in_an_entry() -> None:
    RAN.append("ran")


class _Foreign:
    def __reduce__(self) -> Any:
        return (_code_in_an_entry, ())


def test_an_entry_with_anything_but_rulebook_classes_is_refused(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rulecache.load_cached(RULES)
    path = entry(cache)
    header = path.read_bytes().split(b"\n", 2)
    path.write_bytes(header[0] + b"\n" + header[1] + b"\n" + pickle.dumps(_Foreign()))
    assert pickle.loads(pickle.dumps(_Foreign())) is None and RAN == ["ran"]  # a plain unpickler runs it
    RAN.clear()
    fresh = rulebook.load(RULES)
    calls = loads_from_files(monkeypatch)
    assert rulecache.load_cached(RULES) == fresh
    assert RAN == [] and len(calls) == 1  # refused unread: a miss, loaded from the files


def test_a_damaged_or_foreign_entry_is_a_miss(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rulecache.load_cached(RULES)
    path = entry(cache)
    data = path.read_bytes()
    fresh = rulebook.load(RULES)
    calls = loads_from_files(monkeypatch)
    in_raw = data.rindex(b"Toeleiding")  # in `raw`, pickled apart (the files as read)
    in_models = data.rindex(b"engine.model.Assessment")  # in the models' schemas, pickled apart
    assert in_models > in_raw  # (the schemas are pickled after `raw`)
    for damaged in (data[: len(data) // 2], b"", data.replace(rulecache.FORMAT, b"wegwijzer-rulebook 0\n", 1),
                    data[:25] + bytes([data[25] ^ 1]) + data[26:],  # a cut, empty, old format, another key
                    data[:in_raw] + b"t" + data[in_raw + 1:],  # `raw` changed: its digest no longer agrees
                    data[:in_models] + b"E" + data[in_models + 1:]):  # the schemas changed: theirs neither
        path.write_bytes(damaged)
        assert rulecache.load_cached(RULES) == fresh
    assert len(calls) == 6


def test_off_or_an_unusable_cache_folder_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = rulebook.load(RULES)
    monkeypatch.setenv("WEGWIJZER_CACHE_DIR", "off")
    assert rulecache.load_cached(RULES) == fresh
    assert rulecache.cache_dir() is None
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("WEGWIJZER_CACHE_DIR", str(blocked / "cache"))
    assert rulecache.load_cached(RULES) == fresh
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_the_default_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WEGWIJZER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert rulecache.cache_dir() == tmp_path / "wegwijzer"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert rulecache.cache_dir() == Path.home() / ".cache" / "wegwijzer"


def test_only_the_newest_entries_are_kept(cache: Path, rules: Path) -> None:
    path = rules / "interventions.yaml"
    text = path.read_text(encoding="utf-8")
    for round_ in range(rulecache.KEEP_ENTRIES + 3):
        path.write_text(text + f"# {round_}\n", encoding="utf-8")
        rulecache.load_cached(rules)
    assert len(list(cache.glob("rulebook-*.pickle"))) == rulecache.KEEP_ENTRIES
    assert not list(cache.glob(".rulebook-*"))  # no temporary file left behind


def test_a_huge_rules_folder_is_not_hashed_nor_cached(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rulecache, "MAX_RULES_BYTES", 1000)
    assert rulecache.load_cached(RULES) == rulebook.load(RULES)
    assert not cache.exists()


# ------------------------------------------------------------------ models completed from the cache (engine.prebuilt)

# Every model's JSON schemas, signature and answers to good and bad input, in a fresh
# interpreter: the same whether pydantic built the models (cache off) or the cache's schemas
# completed them (warm). Bad input: each example with one field made wrong in turn.
_MODELS_REPORT = r'''
import inspect, json, re, sys, yaml
from pathlib import Path
from pydantic import BaseModel, ValidationError
from engine import prebuilt, rulecache
rulecache.load_cached()
import engine.casemodel, engine.model
report = {}
def answer(cls, doc):
    try:
        return cls.model_validate(doc).model_dump_json()
    except ValidationError as error:
        return error.errors(include_url=False)
docs = {path.name: yaml.safe_load(path.read_text()) for path in sorted(Path("examples").glob("**/*.yaml"))}
for file, doc in docs.items():
    cls = engine.casemodel.Case if "history" in doc or "assessments" in doc else engine.model.Assessment
    answers = [answer(cls, doc)]
    for key in doc:
        for wrong in ("3", 2.5, None, [], {"x": 1}):
            answers.append(answer(cls, {**doc, key: wrong}))
    report[file] = answers
models = [cls for module in (engine.model, engine.casemodel) for name, cls in sorted(vars(module).items())
          if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__ and name[0] != "_"]
for cls in models:
    cls.model_rebuild()
# asked before any JSON schema: making one uses pydantic's TypeAdapter (for defaults), built by pydantic
report["built by pydantic"] = "pydantic.plugin._loader" in sys.modules
for cls in models:
    report[cls.__name__] = [cls.model_json_schema(mode="validation"), cls.model_json_schema(mode="serialization"),
                            re.sub(" at 0x[0-9a-f]+", "", str(inspect.signature(cls)))]
print(json.dumps(report, default=str))
'''


def models_report(cache: Path | str) -> dict[str, Any]:
    env = {**os.environ, "WEGWIJZER_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _MODELS_REPORT], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_models_completed_from_the_cache_are_the_models_pydantic_builds(tmp_path: Path) -> None:
    built = models_report("off")
    models_report(tmp_path)  # a miss: fills the cache
    completed = models_report(tmp_path)
    assert built.pop("built by pydantic") is True and completed.pop("built by pydantic") is False
    assert completed == built
    assert {"Assessment", "Case", "Recommendation", "leiden_schulden_isolement.yaml", "tilburg_stagnatie.yaml"} <= set(built)
    wrong = built["leiden_schulden_isolement.yaml"]
    assert isinstance(wrong[0], str) and any(isinstance(answer, list) for answer in wrong[1:])  # good and bad input


@pytest.mark.parametrize("cache", ["off", "warm"])
def test_a_warm_start_builds_no_model_with_pydantic(cache: str, tmp_path: Path) -> None:
    """pydantic builds a validator through its plugin lookup (pydantic.plugin._loader, which
    imports importlib.metadata): a warm start of a plain assessment completes every model it
    uses from the cache. (A case with a history still has pydantic build the schema of
    rules/trajectory.yaml, which the cache does not hold; its Case models come from the cache:
    the test above.)"""
    where: Path | str = "off" if cache == "off" else tmp_path
    args = ["recommend", str(EXAMPLE)]
    if cache == "warm":
        modules_after(args, where)
    assert ("pydantic.plugin._loader" in modules_after(args, where)) is (cache == "off")


def _json(schema: Any, config: Any = None) -> bytes:
    return json.dumps([schema, {} if config is None else config]).encode()


def _naming(name: Any) -> bytes:
    return _json({"type": "function-plain", "function": {"type": "no-info", "function": name}})


def _nested(depth: int) -> bytes:  # written as text: json.dumps cannot nest 20,000 deep
    return b"[" + b'{"type":"list","items_schema":' * depth + b'{"type":"int"}' + b"}" * depth + b",{}]"


@pytest.mark.parametrize("data", [
    _naming({"$ref": "posix:system"}), _naming({"$builtin": "eval"}), _naming({"$ref": "builtins:eval"}),
    _naming({"$ref": "engine.model:built"}),  # a function of the module, but no validator of a model
    _naming({"$ref": "engine.rulecache:load_cached"}),
    _naming({"$method": ["engine.model:Assessment", "model_validate"]}),  # the model's, but pydantic's method
    _naming({"$method": ["engine.model:Assessment", "__init__"]}),
    _naming({"$method": ["engine.model:Assessment", "to_json"]}),
    _naming({"$ref": "engine.model:Assessment", "x": 1}),  # a name beside other keys
    _naming({"$other": "x"}), _naming({"$ref": ["engine.model:Assessment"]}),
    _nested(20_000),  # too deep for json to read (pydantic-core would crash on it)
    _json({"type": "union", "choices": [{"type": "int"}] * (prebuilt.MAX_BYTES // 10)}),  # too large
    b"", b"not json", b"[1, 2, 3]", _json(["a list"]), json.dumps([{}, []]).encode(), b"\xff\xfe",
], ids=["os.system", "eval", "builtins-eval", "module-function", "other-module", "pydantic-method", "dunder",
        "own-method-not-a-validator", "name-with-keys", "unknown-$", "name-not-a-string", "very-deep",
        "too-large", "empty", "garbage", "three", "a-list", "config-not-a-dict", "not-utf8"])
def test_a_schema_naming_anything_but_the_models_own_is_refused(data: bytes) -> None:
    with pytest.raises(prebuilt.Unusable):
        prebuilt.read(data)


def test_what_a_schema_may_name_is_the_models_own() -> None:
    names = prebuilt.allowed()
    import engine.model as model

    assert names["$ref:engine.model:Assessment"] is Assessment
    assert names["$ref:engine.model:_date_text"] is model._date_text  # InputDate's BeforeValidator
    assert names["$method:engine.model:Assessment:_no_duplicates"] == Assessment._no_duplicates
    assert "$ref:engine.model:built" not in names and "$ref:engine.model:_plan" not in names
    assert all(getattr(obj, "__module__", None) in prebuilt.MODULES or obj in (list, dict)
               or name.endswith(":__get_pydantic_json_schema__") for name, obj in names.items())


def test_a_model_schema_reads_back_with_its_validators() -> None:
    table = prebuilt.schemas()
    assert {"engine.model.Assessment", "engine.model.Recommendation", "engine.casemodel.Case"} <= set(table)
    assert not any(name.rpartition(".")[2].startswith("_") for name in table)
    schema, config = prebuilt.read(table["engine.model.Assessment"])
    Assessment.model_rebuild()
    assert (schema, config) == Assessment.__pydantic_validator__.__reduce__()[1][:2]
    assert b'{"$method":["engine.model:Assessment","_no_duplicates"]}' in table["engine.model.Assessment"]


# In a fresh interpreter (where no model is built yet): a schema that reads but that
# pydantic-core refuses leaves the model to pydantic, whole; and 16 threads first using one
# model complete it once.
_REFUSED_AND_THREADS = r'''
import json, threading
from engine import prebuilt
from engine.model import Assessment, Household
prebuilt.offer({"engine.model.Household": json.dumps([{"type": "no such type"}, {}]).encode()})
assert Household(single=True).single is True
assert Household.__pydantic_core_schema__["type"] == "model"
from engine import rulecache
rulecache.load_cached()
assert "engine.model.Assessment" in prebuilt._offered
calls = []
Assessment.__pydantic_on_complete__ = classmethod(lambda cls: calls.append(cls))
start = threading.Barrier(16)
threads = [threading.Thread(target=lambda: (start.wait(), Assessment.__pydantic_validator__.title)) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
assert calls == [Assessment], calls
assert Assessment in prebuilt._completed
print("ok")
'''


def test_a_refused_schema_leaves_the_model_to_pydantic_and_threads_complete_a_model_once(cache: Path) -> None:
    rulecache.load_cached(RULES)  # an entry to offer
    done = subprocess.run([sys.executable, "-c", _REFUSED_AND_THREADS], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "WEGWIJZER_CACHE_DIR": str(cache)}, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_an_entry_others_may_write_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rulecache.load_cached(RULES)
    path = entry(cache)
    path.chmod(0o646)
    fresh = rulebook.load(RULES)
    calls = loads_from_files(monkeypatch)
    assert rulecache.load_cached(RULES) == fresh
    assert len(calls) == 1  # a miss: read from the files, and written anew, the user's own again
    assert entry(cache).stat().st_mode & 0o777 == 0o600
    assert rulecache.load_cached(RULES) is not None and len(calls) == 1


class _Late(_Strict):
    """A model of the tests' own, not built yet, for completing from an offered schema."""
    number: int


def test_a_schema_that_does_not_read_leaves_the_model_to_pydantic() -> None:
    name = f"{_Late.__module__}.{_Late.__qualname__}"
    prebuilt.offer({name: b"damaged"})
    try:
        assert not _Late.__pydantic_complete__
        assert _Late(number=3).number == 3  # built by pydantic: the schema offered did not read
        assert _Late.__pydantic_complete__ and name not in prebuilt._offered
    finally:
        prebuilt.offer(None)



def test_with_a_pydantic_it_was_not_checked_against_every_model_is_built_by_pydantic(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert prebuilt.ENABLED  # the pinned pydantic is one complete() was checked against
    table = prebuilt.schemas()
    monkeypatch.setattr(prebuilt, "ENABLED", False)
    assert prebuilt.schemas() == {}
    prebuilt.offer({f"{_Late.__module__}.{_Late.__qualname__}": table["engine.model.Household"]})
    try:
        assert prebuilt.complete(_Late) is False and prebuilt._offered  # not even looked at
    finally:
        prebuilt.offer(None)
