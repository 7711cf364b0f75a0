"""The only module that touches durable-rules: rulesets compiled from the rule files, run per case.

Each case runs in fresh session state (its own sid) that is deleted afterwards. durable-rules
keeps its state in one C engine that is not safe to share between threads, so one lock
serialises the calls into it.

Why every rule set has a catch-all rule: durable-rules creates a session only when a fact is
handled by some rule. A fact that matches nothing raises MessageNotHandledException and leaves
no session behind, and `delete_state` on such a sid corrupts the C heap (SIGSEGV or SIGABRT
at random, seen on calm cases: one domain at self-reliance 5). So each rule set gets one rule,
`_every_case`, whose condition holds for every fact: every assertion is handled, every case
creates its session, and deleting it is always safe. Its firing is not reported. Should the
engine still refuse a fact (not handled, or any other error inside durable-rules), whether a
session exists is unknown, so it is never deleted: the whole host is replaced instead.

Why rulesets are freed: durable-rules keeps every ruleset it compiled in its C engine for
the life of the process (about 0.65 MB for these three); the Python layer has no way to
drop one. `Engine.load()` a thousand times (as `diff`, `test --mutate` or a reloading
server do) grew the process by 0.64 MB per load. The C module's `delete_ruleset` frees
one, so each host's rulesets are freed when the host is dropped (its Matcher discarded,
or replaced after a refused fact; deleting a whole ruleset does not touch single
sessions, and was run 3,000 times after unhandled facts here without a fault).

Why the agenda is run here and not by durable-rules' Python layer: for every firing, that
layer decodes the session state and the whole matched fact from JSON, builds a Closure,
runs the action through a Promise and encodes the state again; about three quarters of
the time of a case went there, and the engine's actions only note the rule's name. So
`_Host.assert_fact` makes the same calls into the C engine that layer makes (assert,
start the first action, then update the state and complete-and-start the next one until
none is left) and reads only the rule name from each firing. durable-rules is pinned at
2.0.28; tests compare these firings with durable's own dispatch.

Why the firings are memoised: each case runs in fresh session state, so what fires in one
rule set is a pure function of the fact projected onto the keys its rules read (the text
the C engine is given, the sid appended last). Finer still: a rule compares a number only
with the numbers written in the rules, so two values no such number lies between (and
neither equals one) make every rule come out the same. The memo's key is the tuple of the
rule set's keys' values in their fixed order, None for a key the fact lacks, and each
number the rules compare with numbers replaced by its class among those numbers
(numeric_bounds, value_class): an age of 34 and one of 52 are one key where the rules
only ask "60 or older?". On a hit the C engine is not asked at all. Each Matcher (so each
rulebook: a new Engine.load starts empty) keeps one memo per rule set, under the lock the
C calls take, of at most MEMO_SIZE entries; a full memo is emptied and starts over
(simple, deterministic). Only facts the engine handled are remembered: a refused fact
raises as before, every time; and a fact given whole to `match` is remembered only when it
holds at each key what the fact builders put there (Matcher._as_built).

Why a rule set has a second memo, keyed coarser (Matcher._coarse): the first memo's key
classes a number among the numbers any rule compares it with, so that one key serves every
rule set (made once a case, cheap on a hit). One rule set's rules compare it with fewer
numbers (ladder_rung with 3 alone, where others ask about 1 too), and name fewer of an
enum's values (psychological_complaints: 'moderate' or 'severe'; 'none' and 'mild' then
compare alike: unequal to both), and a class on a number goes with its neighbours where
only `<=` or `<` is asked (`igm.motivation <= 4`: 4 is one with 2). So on a first-memo miss
the key is coarsened to this rule set's own comparisons (a number by which of its rules'
comparisons of it hold; a text none of its rules names, compared only by equality, one
value) and looked up in the rule set's second memo; only a miss there asks the C engine.
The same argument as the first memo's, with the rule set's own comparisons: every one its
rules make comes out the same for two facts with one coarse key. Some 40 % fewer
assertions on cases never seen (benchmarks/RESULTS.md, tenth session).

Why the rule files are cut the way they are (split_by_width): a memo only pays where the
projection repeats. Most rules read a few flags or small scores, and a rule set made of
such rules has few possible projections; one reading eighteen keys has millions. So each
file's rules are cut into narrow rule sets whose keys' value counts (from the model's field
types and the rules' numbers, value_counts; never from a caseload) multiply to at most
MEMO_SIZE, narrowest rules first, and wide ones, each alone or with rules reading no
other keys. More rule sets cost more assertions when a case is new to them, but their
memos soon answer nearly every case (benchmarks/RESULTS.md, ninth session, has the counts
and the cost of a fact new to every rule set).
"""
from __future__ import annotations

import functools
import itertools
import json
import math
import operator
import threading
from bisect import bisect_left
from typing import Any, Callable, Iterable, Iterator

import weakref

import durable.engine as durable_engine
import durable_rules_engine as _native  # the C engine: the agenda (see above) and freeing rulesets

from .conditions import MAX_ALTERNATIVES, MAX_EXACT_INTEGER, alternatives, to_durable
from .errors import EvaluationError, RuleError
from .facts import ALWAYS, FIELDS, fact_builder, values_builder
from .model import Assessment
from .rulebook import Rulebook

_host_ids = itertools.count(1)

# a rule id the rule files cannot use (theirs start with a letter); its condition always holds
EVERY_CASE = "_every_case"
_CATCH_ALL = frozenset((EVERY_CASE,))

# entries a rule set's memo holds at most (see Matcher), and the width up to which a rule set
# is narrow (split_by_width): a narrow one then never needs more. A key is a short tuple of
# flags, texts and small ints (some 300 bytes for the widest rule set, 27 keys), so a full
# memo of the widest holds about a megabyte.
MEMO_SIZE = 4096


class SyncHost(durable_engine.Host):
    """A durable-rules Host without its background dispatch threads.

    durable.engine.Host.__init__ calls `_run()`, which starts two timer threads that wake
    every 0.2 s and run any pending action of any session (`Ruleset.dispatch`). Everything
    here runs synchronously inside `assert_fact`, so those threads only race with it: seen
    here about once in 20,000 cases under load, an action ran on the timer thread, firings
    were lost from one rule set or recorded under the next one, and durable-rules logged
    "Could not complete and start action, error code: 307". No timers, no async actions
    are used, so the threads are not started at all (durable-rules is pinned at 2.0.28).
    """

    _handles: dict[str, int]  # rule set name -> its handle in the C engine (set by `install`)

    def _run(self) -> None:
        return None


class _Host(SyncHost):
    """Compiled rulesets, each fact run through its ruleset's agenda by direct calls into
    durable-rules' C engine (the module docstring says why); only the rule names are read."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return _nothing  # durable-rules wants an action per rule; the agenda is run in assert_fact

    def assert_fact(self, ruleset_name: str, fact: dict[str, Any]) -> list[str]:  # type: ignore[override]
        """The names of the rules that fired on `fact`, in firing order (the catch-all included).

        Raises durable-rules' MessageNotHandledException when no rule handled the fact, and
        whatever the C engine raises; the caller then drops this host (see Matcher._run)."""
        handle = self._handles[ruleset_name]
        code, state_handle = _native.assert_fact(handle, _fact_json(fact))
        if code == 1:
            raise durable_engine.MessageNotHandledException(fact)
        if code == 2:
            raise durable_engine.MessageObservedException(fact)
        if code == 3:  # as durable.engine.Ruleset._handle_result
            state_handle = 0
        fired: list[str] = []
        started = _native.start_action_for_state(handle, state_handle)
        if not started:
            return fired
        state, messages = started[0], started[1]
        while messages:
            fired.append(_rule_name(messages))
            _native.update_state(handle, state)  # the actions change nothing: the state goes back as it came
            messages = _native.complete_and_start_action(handle, state_handle)
        return fired

    def delete_session(self, ruleset_name: str, sid: str) -> None:
        """durable-rules' Host.delete_state without its three Python layers (hot path: per case and rule set)."""
        _native.delete_state(self._handles[ruleset_name], sid)


# One encoder, made once: json.dumps with options builds a new encoder on every call (five
# times a case); no spaces after separators: less text for durable-rules to parse. Where the
# C encoder exists (CPython), it is the one JSONEncoder.encode would make anew for every fact,
# made once here: the same text for these flat facts (no indent; no circular check needed),
# without two Python calls and an encoder object per fact.
if json.encoder.c_make_encoder is not None:
    _fact_chunks = json.encoder.c_make_encoder(None, json.JSONEncoder().default, json.encoder.encode_basestring,
                                               None, ":", ",", False, False, True)

    def _fact_json(fact: dict[str, Any]) -> str:
        return "".join(_fact_chunks(fact, 0))
else:
    _fact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _rule_name(messages: str) -> str:
    """The rule of one firing: the first key of `{"<rule id>": {...}}`. Rule ids need no JSON
    escapes (the rule files' pattern, and EVERY_CASE), so the text up to the next quote is
    the id; anything else is decoded in full."""
    if messages.startswith('{"'):
        end = messages.find('"', 2)
        if end > 2 and "\\" not in messages[2:end]:
            return messages[2:end]
    return next(iter(json.loads(messages)))


def _nothing(_context: Any) -> None:
    return None


def _free_rulesets(handles: list[int]) -> None:
    for handle in handles:
        _native.delete_ruleset(handle)


def install(host: SyncHost, rulesets: dict[str, dict[str, Any]], book: Rulebook | None = None) -> None:
    """`host.set_rulesets` on a copy; every ruleset compiled is freed when the host is dropped.

    durable-rules refuses some conditions only when it compiles them (error codes, no rule
    named): the refusal becomes a RuleError naming the rule file, line and rule, found by
    compiling each rule of the failing set alone."""
    try:
        _compile_into(host, rulesets)
    except Exception as exc:
        raise _locate(rulesets, book, exc) from None


def _compile_into(host: SyncHost, rulesets: dict[str, dict[str, Any]]) -> None:
    try:
        # durable-rules consumes its argument (it deletes each rule's 'run' and keeps the rest,
        # unchanged): give it copies of the rule mappings (a deepcopy cost 8 M instructions a start)
        host.set_rulesets({name: {rule_id: dict(rule) for rule_id, rule in ruleset.items()}
                           for name, ruleset in rulesets.items()})
    except Exception:
        _free_rulesets([ruleset._handle for ruleset in host._ruleset_list])
        raise
    finalizer = weakref.finalize(host, _free_rulesets, [ruleset._handle for ruleset in host._ruleset_list])
    # each rule set's handle in the C engine, by name: what _Host's direct calls take
    host._handles = {name: ruleset._handle for name, ruleset in host._ruleset_directory.items()}
    finalizer.atexit = False  # the process is ending: nothing to give back


class _ProbeHost(SyncHost):
    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return _nothing


def _locate(rulesets: dict[str, dict[str, Any]], book: Rulebook | None, exc: Exception) -> RuleError:
    rules = {}
    if book is not None:
        rules = {n.id: (n.file, n.line) for n in book.flowchart.nodes.values()}
        rules.update({r.id: (r.file, r.line) for r in [*book.profile_rules, *book.lead_rules]})
    for name, ruleset in rulesets.items():
        for rule_id, rule in ruleset.items():
            if rule_id == EVERY_CASE:
                continue
            try:
                _compile_into(_ProbeHost(), {f"probe{next(_host_ids)}": {rule_id: dict(rule)}})
            except Exception:
                file, line = rules.get(rule_id, (str(book.directory) if book else name, None))
                return RuleError(file, line, f"the rule engine (durable-rules) cannot compile this condition: {exc}", rule_id)
    where = str(book.directory) if book is not None else "rules"
    return RuleError(where, None, f"the rule engine (durable-rules) cannot compile the rules: {exc}")


# book.cache's key of a rulebook's rule sets without their names' prefix (ruleset_parts):
# engine.rulecache stores them with the rulebook, so that a warm start does not compute them
RULESET_PARTS = ("matcher", "ruleset_parts")


def compile_rulesets(book: Rulebook, prefix: str) -> dict[str, dict[str, Any]]:
    """durable-rules rulesets per rule file, named `<prefix>_<kind>[_part<n>]` (ruleset_parts)."""
    parts = book.cache.get(RULESET_PARTS)  # a rulebook read from engine.rulecache holds them
    if parts is None:
        parts = ruleset_parts(book)
    return {ruleset_name(prefix, kind, number): ruleset for kind, number, ruleset in parts}


def ruleset_parts(book: Rulebook) -> list[tuple[str, int, dict[str, Any]]]:
    """durable-rules rulesets per rule file: flowchart decisions, profile rules, lead rules,
    as (kind, part number, rule set).

    durable-rules refuses an assertion on which one rule set fires more than 64 times (error
    303), and every alternative of a rule (its `any`s multiplied out) fires on its own; the
    flowchart's decisions have up to 104 alternatives that can hold together. So a file's
    rules are cut into parts whose alternatives (plus the catch-all rule) add up to at most
    MAX_ALTERNATIVES: no case can reach the limit; which rules share a part is split_by_width's
    choice (narrow rules together, for the memo). A part is its own rule set
    (`<prefix>_<kind>`, then `<prefix>_<kind>_part2`, ...); firings are read part after part.
    Each part has the `_every_case` rule besides its own (see the module docstring)."""
    def ruleset(rules: list[tuple[str, Any]]) -> dict[str, Any]:
        compiled = {rid: {"all": [{"m": expr}], "run": rid} for rid, expr in rules}
        compiled[EVERY_CASE] = {"all": [{"m": {ALWAYS: True}}], "run": EVERY_CASE}
        return compiled

    kinds = {
        "flowchart": [(n.id, n.when) for n in book.flowchart.nodes.values() if n.type == "decision"],
        "profiles": [(r.id, r.when) for r in book.profile_rules],
        "lead": [(r.id, r.when) for r in book.lead_rules],
    }
    exprs = {kind: [(rid, to_durable(cond)) for rid, cond in rules] for kind, rules in kinds.items()}
    sizes = value_counts(book, numeric_bounds(expr for rules in exprs.values() for _, expr in rules))
    return [(kind, number, ruleset(part)) for kind, rules in exprs.items()
            for number, part in enumerate(split_by_width(rules, sizes), start=1)]


def ruleset_name(prefix: str, kind: str, part: int = 1) -> str:
    return f"{prefix}_{kind}" if part == 1 else f"{prefix}_{kind}_part{part}"


def value_counts(book: Rulebook, bounds: dict[str, tuple[float, ...]] | None = None) -> Callable[[str], float]:
    """How many values a fact key can take, absence counted as one, from the model's field
    types alone (facts.FIELDS): a flag 2, an enum its values, a bounded number its range; inf
    for a number FIELDS gives no upper bound (years on benefit, the only float; counts) or a
    key FIELDS does not know. Given the rules' `bounds` (numeric_bounds), a number the rules
    compare with k numbers counts as the 2k + 1 classes the memo tells apart (value_class),
    where that is fewer. Only the memo's hit rate depends on it, never a firing."""
    def count(key: str) -> float:
        by_type = count_by_type(key)
        if bounds and key in bounds:
            spec = FIELDS.get(key)
            return min(by_type, 2 * len(bounds[key]) + 1 + (1 if spec is None or spec.optional else 0))
        return by_type

    def count_by_type(key: str) -> float:
        if key == ALWAYS:
            return 1
        spec = FIELDS.get(key)
        if spec is None:
            field, _, _member = key.rpartition(".")
            if key.startswith("has.") or (field in FIELDS and FIELDS[field].kind == "set"):
                return 2  # a presence flag, or a set field's member flag
            return math.inf
        absent = 1 if spec.optional else 0
        if spec.kind == "bool":
            return 2 + absent
        if spec.kind == "enum":
            return len(spec.values or book.municipalities) + absent
        if spec.kind == "number" and spec.low is not None and spec.high is not None:
            return int(spec.high - spec.low) + 1 + absent
        return math.inf

    return count


def split_by_width(rules: list[tuple[str, Any]], count: Callable[[str], float], limit: int | None = None,
                   budget: int = MAX_ALTERNATIVES - 1) -> list[list[tuple[str, Any]]]:
    """One rule file's compiled rules cut into rule sets for the memo (Matcher), each within the
    firing budget: their alternatives add up to at most `budget` (one firing of the limit is
    the catch-all rule's; compile_rulesets says why). A rule is never cut (conditions.parse
    refuses one over the budget, which would fail every case on which all its alternatives
    hold); one over it all the same goes alone. Always at least one rule set.

    A rule set's firings are memoised on the fact projected onto the keys its rules read, so
    a rule set hits its memo only as often as that projection repeats. Its width, the product
    of its keys' value counts (value_counts), bounds how many projections there can be: a
    rule set no wider than `limit` (the memo's size) ends up answering every case from its
    memo. So the narrow rules, narrowest first (then in file order), go first-fit into
    rule sets that stay within the limit and the budget; a rule that fits in none but is
    itself within the limit opens a new one. A wider rule's projections can still repeat
    (a caseload's cases are alike in most of its keys), but two wide rules in one rule set
    repeat only as often as both do together: so a wide rule, in file order, joins a wide
    rule set only where one's keys hold all of the other's (the joint projection then
    repeats as the wider one's does), within the budget; otherwise it opens its own.
    Computed from the rules and the model's field types alone, so the same rules always
    give the same rule sets."""
    limit = MEMO_SIZE if limit is None else limit
    keyed = [(rule_id, expr, referenced_keys(expr)) for rule_id, expr in rules]
    widths = [math.prod(map(count, keys)) for _, _, keys in keyed]
    Part = tuple[list[int], set[str], int]  # its rules (their places in `rules`), their keys, alternatives

    def first_fit(parts: list[Part], index: int, fits: Callable[[set[str], set[str]], bool]) -> None:
        keys, needed = keyed[index][2], alternatives(keyed[index][1])
        for place, (part, part_keys, used) in enumerate(parts):
            if used + needed <= budget and fits(part_keys, keys):
                parts[place] = ([*part, index], part_keys | keys, used + needed)
                return
        parts.append(([index], set(keys), needed))

    narrow: list[Part] = []
    for index in sorted(range(len(keyed)), key=lambda i: (widths[i], i)):
        if widths[index] <= limit and alternatives(keyed[index][1]) <= budget:
            first_fit(narrow, index, lambda part_keys, keys: math.prod(map(count, part_keys | keys)) <= limit)
    placed = {index for part, _, _ in narrow for index in part}
    wide: list[Part] = []
    for index in range(len(keyed)):
        if index not in placed:  # a wide rule, or one over the budget (it goes alone)
            first_fit(wide, index, lambda part_keys, keys: keys <= part_keys or part_keys <= keys)
    return [[rules[index] for index in sorted(part)] for part, _, _ in narrow + wide] or [[]]


def numeric_bounds(exprs: Iterable[Any]) -> dict[str, tuple[float, ...]]:
    """Per fact key the compiled expressions compare with numbers only: those numbers, sorted,
    each once. Between two of them (or beyond the last) every comparison a rule makes of the
    key comes out the same, which is what lets the memo key a number by its class (value_class)."""
    found: dict[str, set[Any]] = {}
    for expr in exprs:
        for key, _, value in _operations(expr):
            found.setdefault(key, set()).add(value)
    return {key: tuple(sorted(values)) for key, values in sorted(found.items())
            if all(type(value) in (int, float) for value in values)}


def value_class(value: int | float, bounds: tuple[float, ...]) -> int:
    """Which of the 2k + 1 classes `bounds` (k numbers, sorted) cut the number line into holds
    `value`: even below, between or above them, odd on one. Two numbers of one class compare
    alike with every bound, so with every rule (their fact otherwise equal, the same firings)."""
    place = bisect_left(bounds, value)
    return 2 * place + 1 if place < len(bounds) and bounds[place] == value else 2 * place


def referenced_keys(expr: Any) -> set[str]:
    """The fact keys a durable-rules expression reads (operators start with '$')."""
    return {key for key, _, _ in _operations(expr)}


def _tuple_getter(keys: tuple[Any, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values at `keys` (a dict's keys, or a row's places) as a tuple, always (itemgetter
    gives a lone key's value bare)."""
    if len(keys) == 1:
        (only,) = keys
        return lambda values: (values[only],)
    return operator.itemgetter(*keys)


def _operations(expr: Any, operator_: str | None = None) -> Iterator[tuple[str, str | None, Any]]:
    """(fact key, operator, value) for every comparison in a compiled durable-rules expression
    (`{key: value}` under `$and`/`$or` lists and `{"$lt": {key: value}}` alike); the operator
    None for plain equality, else durable-rules' own ('$lt', '$neq', ...)."""
    if isinstance(expr, list):
        for item in expr:
            yield from _operations(item, operator_)
    elif isinstance(expr, dict):
        for key, value in expr.items():
            if key in ("$and", "$or"):
                yield from _operations(value, None)
            elif key.startswith("$"):
                yield from _operations(value, key)
            else:
                yield key, operator_, value


# how durable-rules compares a fact's number with a rule's (as Python does: tests/test_matcher_memo_review.py)
_COMPARE: dict[str | None, Callable[[Any, Any], bool]] = {
    None: operator.eq, "$neq": operator.ne, "$lt": operator.lt, "$lte": operator.le, "$gt": operator.gt, "$gte": operator.ge,
}


class _Unnamed:
    """The coarse memo key's value for a text none of a rule set's rules names (Matcher._coarse)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<a text no rule of the rule set names>"


UNNAMED = _Unnamed()


def _coarsener(keys: tuple[str, ...], exprs: list[Any], bounds: dict[str, tuple[float, ...]],
               texts_of: dict[str, tuple[type, ...]]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """The first memo's key of a rule set (values at `keys`, numbers classed by all the rules'
    `bounds`) turned into its coarse key. A number: which of this rule set's comparisons of it
    (`exprs`: `< 4`, `>= 3`, `== 1`, ...) hold, as a small number looked up from its class
    among all the rules' numbers (5 and 9 are one where the rules only ask `<= 4`; so are 4 and 2).
    A text key (`texts_of`: the types the builders give each key) these rules compare only by
    equality, with texts: UNNAMED when none of them names its value. None when nothing
    becomes coarser."""
    compared: dict[str, set[tuple[str | None, Any]]] = {}
    texts: dict[str, set[str]] = {}
    other: set[str] = set()  # compared by another operator or with another kind of value
    for key, operator_, value in _operations(exprs):
        if type(value) in (int, float) and operator_ in _COMPARE:
            compared.setdefault(key, set()).add((operator_, value))
        elif type(value) is str and operator_ in (None, "$neq"):
            texts.setdefault(key, set()).add(value)
        else:
            other.add(key)
    tables: list[tuple[int, tuple[int, ...]]] = []  # (place in the key, coarse class by class among all)
    named: list[tuple[int, frozenset[str]]] = []  # (place in the key, the texts the rules name)
    for place, key in enumerate(keys):
        if key in bounds and key in compared and key not in other and key not in texts:
            tests = sorted(compared[key], key=repr)
            signatures: dict[tuple[bool, ...], int] = {}
            table = tuple(signatures.setdefault(tuple(_COMPARE[op](number, value) for op, value in tests), len(signatures))
                          for number in _class_members(bounds[key]))
            if len(signatures) < len(table):
                tables.append((place, table))
        elif key in texts and key not in other and key not in compared and texts_of.get(key) == (str,):
            named.append((place, frozenset(texts[key])))
    if not tables and not named:
        return None

    def coarse(key: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(key)
        for place, table in tables:
            value = values[place]
            if value is not None:
                values[place] = table[value]
        for place, names in named:
            value = values[place]
            if value is not None and value not in names:
                values[place] = UNNAMED
        return tuple(values)

    return coarse


def _class_members(bounds: tuple[float, ...]) -> list[float]:
    """One number of each class value_class tells apart, in class order: below the first bound,
    on it, between it and the next, ... above the last. Every number of a class compares
    alike with each bound, so with each rule's number (a subset of them)."""
    members: list[float] = [bounds[0] - 1]
    for low, high in zip(bounds, (*bounds[1:], None)):
        members += [low, low + 1 if high is None else (low + high) / 2]
    return members


def _projector(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What a rule set is given of a whole fact: the keys it reads (`keys`) that the fact has."""
    return lambda fact: {key: fact[key] for key in keys if key in fact}


def _row_projector(places: tuple[tuple[str, int], ...]) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """What a rule set is given of match_assessment's row: its keys (`places`: each with its
    place in the row) whose value is not None, in its keys' order, as durable_fact gives them."""
    return lambda row: {key: value for key, place in places if (value := row[place]) is not None}


def _expected_types(key: str, numeric: bool) -> tuple[type, ...]:
    """The Python types the fact builders give a key: what Matcher._as_built accepts there."""
    if numeric:
        return (int, float)
    spec = FIELDS.get(key)
    if spec is None or spec.kind in ("bool", "set"):
        return (bool,)  # ALWAYS, a presence flag, a set field's member flag
    if spec.kind == "enum":
        return (str,)
    return (int, float)


class Matcher:
    """Matches one flat fact against the compiled rulesets and returns the rule ids that fired,
    each rule set's firings memoised on its projected fact (the module docstring says why)."""

    KINDS = ("flowchart", "profiles", "lead")

    def __init__(self, book: Rulebook):
        self._prefix = f"w{next(_host_ids)}"
        self._book = book
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self.rulesets = compile_rulesets(book, self._prefix)
        # the fact goes into the C engine as JSON and comes back as JSON with every firing, so
        # each rule set is given only the keys its conditions read: the same matches, less JSON
        self._keys = {
            name: tuple(sorted(set().union(*(referenced_keys([term["m"] for term in rule["all"]]) for rule in ruleset.values()))))
            for name, ruleset in self.rulesets.items()
        }
        # per rule set, in order: its kind, its name, a getter of the values of the keys it
        # reads, as a tuple (its memo's key, from _memo_keys' dict), and what is asserted (the
        # fact's keys it reads): what _run walks for `match`
        self._parts = tuple((self.kind_of(name), name, _tuple_getter(self._keys[name]), _projector(self._keys[name]))
                            for name in self.rulesets)
        # every key any rule set reads, once, in one order: match_assessment reads their values
        # (None: absent) into one row, and each rule set's key and assertion from it by place
        read_order = tuple(dict.fromkeys(key for keys in self._keys.values() for key in keys))
        self._read_values = values_builder(read_order)
        place = {key: index for index, key in enumerate(read_order)}
        self._row_parts = tuple((kind, name, _tuple_getter(tuple(place[key] for key in self._keys[name])),
                                 _row_projector(tuple((key, place[key]) for key in self._keys[name])))
                                for kind, name, _, _ in self._parts)
        self._host = self._new_host()
        # the numbers each numeric key is compared with (the memo keys a number by its class)
        self.bounds = numeric_bounds(term["m"] for ruleset in self.rulesets.values()
                                     for rule in ruleset.values() for term in rule["all"])
        read = {key for keys in self._keys.values() for key in keys}
        self._classed = tuple((key, bounds) for key, bounds in self.bounds.items() if key in read)
        self._classed_at = tuple((place[key], bounds) for key, bounds in self._classed)
        self._absent = dict.fromkeys(sorted(read))  # None: the memo's key for a key the fact lacks
        # what a whole fact given to `match` must hold at each key to be remembered (see _memo_keys)
        self._expected = tuple((key, _expected_types(key, key in self.bounds)) for key in sorted(read))
        # per rule set, its first memo's key made coarser to its own rules' numbers and texts
        # (None: no coarser); its second memo is keyed so (module docstring)
        self._coarse = {name: _coarsener(self._keys[name], [term["m"] for rule in ruleset.values() for term in rule["all"]],
                                         self.bounds, dict(self._expected))
                        for name, ruleset in self.rulesets.items()}
        # entries each rule set's memo may hold (see MEMO_SIZE)
        self.memo_sizes = dict.fromkeys(self._keys, MEMO_SIZE)
        self.clear_memo()

    @functools.cached_property
    def _plan(self) -> tuple[tuple[str, str, Callable[[Assessment], dict[str, Any]]], ...]:
        """Per rule set, in order (a kind's parts one after the other): its kind, its durable-rules
        name and a builder of exactly the keys it reads. Tests and tools read it; matching builds
        every key once into a row, so it is made only when asked for (not on every start)."""
        return tuple((self.kind_of(name), name, fact_builder(self._keys[name])) for name in self.rulesets)

    def clear_memo(self) -> None:
        """Forget every memoised firing (benchmarks do, to time cases never seen), and the counts."""
        with self._lock:
            self._memos: dict[str, dict[tuple[Any, ...], frozenset[str]]] = {name: {} for name in self.rulesets}
            # the second memos, keyed by the coarse key (_coarse); only where it is coarser
            self._coarse_memos: dict[str, dict[tuple[Any, ...], frozenset[str]]] = {
                name: {} for name, coarse in self._coarse.items() if coarse is not None}
            self._firing_sets: dict[frozenset[str], frozenset[str]] = {}
            self.memo_misses = dict.fromkeys(self.rulesets, 0)  # assertions the C engine made, per rule set
            self.memo_cases = 0  # cases matched

    def memo_snapshot(self) -> dict[str, tuple[dict[tuple[Any, ...], frozenset[str]], ...]]:
        """A copy of what the memos hold now, for restore_memo (a benchmark times a case as new
        to an engine that has advised others, again and again): per rule set its memo, and its
        second memo where it has one."""
        with self._lock:
            return {name: (dict(memo), *((dict(self._coarse_memos[name]),) if name in self._coarse_memos else ()))
                    for name, memo in self._memos.items()}

    def restore_memo(self, snapshot: dict[str, tuple[dict[tuple[Any, ...], frozenset[str]], ...]]) -> None:
        """The memos as `snapshot` holds them (a copy: the snapshot can be restored again)."""
        with self._lock:
            self._memos = {name: dict(snapshot[name][0]) if name in snapshot else {} for name in self.rulesets}
            self._coarse_memos = {name: dict(snapshot[name][1]) if len(snapshot.get(name, ())) > 1 else {}
                                  for name in self._coarse_memos}

    def memo_hit_rates(self) -> dict[str, float]:
        """Per rule set, the share of cases answered from its memo since the last clear_memo."""
        with self._lock:
            cases = self.memo_cases
            return {name: (cases - misses) / cases if cases else 0.0 for name, misses in self.memo_misses.items()}

    def kind_of(self, ruleset: str) -> str:
        """flowchart, profiles or lead: which rule file a compiled rule set (or part of one) holds."""
        return ruleset[len(self._prefix) + 1:].split("_part")[0]

    def _new_host(self) -> _Host:
        host = _Host()
        # `rulesets` stays the complete compiled form, reusable by tools and benchmarks
        install(host, self.rulesets, self._book)
        return host

    def durable_fact(self, ruleset: str, fact: dict[str, Any], sid: str) -> dict[str, Any]:
        """What is asserted into one rule set: the keys its conditions read, plus the session id."""
        projected = _projector(self._keys[ruleset])(fact)
        projected["sid"] = sid
        return projected

    def match(self, fact: dict[str, Any]) -> dict[str, set[str]]:
        """{kind: ids of the rules whose condition held}, for kind in flowchart, profiles, lead."""
        # any fact may be given here: only one whose every read key holds what the fact
        # builders would put there is remembered (the memo's key relies on it, see _memo_keys)
        return self._run(fact, self._memo_keys(fact) if self._as_built(fact) else None, self._parts)

    def match_assessment(self, assessment: Assessment) -> dict[str, set[str]]:
        """As `match(build_fact(assessment))`, reading only the values some rule set reads, each
        once (many are read by several rule sets), into one row: the same memo keys (each from
        the row by place) and the same assertions (a dict made on a miss only) as `match`."""
        values = self._read_values(assessment)
        classes = [*values]
        for place, bounds in self._classed_at:
            value = classes[place]
            if value is not None:
                # value_class, inline (hot path: a dozen values a case), as _memo_keys
                at = bisect_left(bounds, value)
                classes[place] = 2 * at + 1 if at < len(bounds) and bounds[at] == value else 2 * at
        return self._run(values, classes, self._row_parts)

    def _as_built(self, fact: dict[str, Any]) -> bool:
        """Whether each key a rule set reads is absent or holds a value of the type the fact
        builders give it (a flag a bool, an enum a text, a number one durable-rules reads as
        written: no null, no exponent, no bool, within 2**53)."""
        read = fact.get
        for key, types in self._expected:
            value = read(key)
            if value is None:
                if key in fact:
                    return False  # a null, unlike an absent key, is something durable-rules compares
                continue
            kind = type(value)
            if kind not in types:
                return False
            if kind is float and ("e" in (text := repr(value)) or "n" in text):
                return False  # 1e-05, inf, nan: durable-rules refuses them or compares them wrongly
            if (kind is int or kind is float) and not -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
                return False
        return True

    def _memo_keys(self, fact: dict[str, Any]) -> dict[str, Any]:
        """The fact as the memo keys it: each number the rules compare with numbers replaced by
        its class among those numbers (value_class). A rule set's memo key is then the tuple of
        these values at its keys, None where the fact has none: two facts with one key hold the
        same values of each type (bools, texts) and numbers that every rule compares alike, so
        the C engine fires the same rules on both (it compares 3 and 3.0 as equal; tested)."""
        classes = {**self._absent, **fact}  # every read key there: a rule set's itemgetter takes its values
        for key, bounds in self._classed:
            value = classes.get(key)
            if value is not None:
                # value_class, inline (hot path: a dozen keys a case)
                place = bisect_left(bounds, value)
                classes[key] = 2 * place + 1 if place < len(bounds) and bounds[place] == value else 2 * place
        return classes

    def _run(self, fact: Any, classes: Any, parts: tuple[tuple[str, str, Callable[[Any], tuple[Any, ...]],
                                                           Callable[[Any], dict[str, Any]]], ...]) -> dict[str, set[str]]:
        """The firings. `fact` and `classes`: a whole fact and its _memo_keys dict (`parts`:
        self._parts), or match_assessment's row of values and its classes (self._row_parts);
        `classes` is None for a fact not to be remembered."""
        fired: dict[str, set[str]] = {kind: set() for kind in self.KINDS}  # every kind has a rule set
        with self._lock:
            memos, sizes, same = self._memos, self.memo_sizes, self._firing_sets  # clear_memo replaces them
            coarse_memos, coarseners = self._coarse_memos, self._coarse
            host = self._host
            sid = ""
            for kind, ruleset, values, project in parts:
                memo = memos[ruleset]
                if classes is not None:
                    key = values(classes)
                    names = memo.get(key)
                    if names is None:
                        coarsen = coarseners[ruleset]
                        if coarsen is not None:  # the second memo, keyed coarser (module docstring)
                            coarse_memo = coarse_memos[ruleset]
                            coarse_key = coarsen(key)
                            names = coarse_memo.get(coarse_key)
                            if names is not None:
                                if len(memo) >= sizes[ruleset]:
                                    memo.clear()
                                memo[key] = names
                else:
                    names = None
                if names is None:
                    if not sid:
                        sid = str(next(self._sids))  # one per case; each rule set keeps its own sessions
                    projected = project(fact)
                    projected["sid"] = sid
                    try:
                        found = host.assert_fact(ruleset, projected)
                    except Exception as exc:
                        # whether durable-rules made a session, or left one mid-agenda, is unknown:
                        # deleting one it did not make crashes natively, so start over with a host
                        # of clean state instead (the old one's rulesets, sessions included, are freed)
                        self._host = self._new_host()
                        message = "no rule handled it" if isinstance(exc, durable_engine.MessageNotHandledException) else exc
                        raise EvaluationError(f"the rule engine refused the case in {kind}: {message}") from None
                    # handled (the catch-all rule saw to it), so the session exists: safe to delete
                    host.delete_session(ruleset, sid)
                    names = frozenset(found) - _CATCH_ALL
                    names = same.setdefault(names, names)  # one object for equal firings: less memory
                    if classes is not None:
                        if len(memo) >= sizes[ruleset]:
                            memo.clear()  # full: start the rule set's memo over (simple, deterministic, O(1) a case)
                        memo[key] = names
                        if coarsen is not None:
                            if len(coarse_memo) >= sizes[ruleset]:
                                coarse_memo.clear()
                            coarse_memo[coarse_key] = names
                    self.memo_misses[ruleset] += 1
                if names:  # most rule sets fire nothing on a case
                    fired[kind] |= names
            self.memo_cases += 1
        return fired
