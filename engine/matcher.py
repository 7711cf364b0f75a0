"""The only module that touches durable-rules: rulesets compiled from the rule files, run per case.

Each case runs in fresh session state (its own sid) that is deleted afterwards, whatever
happens. durable-rules keeps its state in one C engine that is not safe to share between
threads, so one lock serialises the calls into it.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, Callable

import durable.engine as durable_engine

from .conditions import to_durable
from .errors import EvaluationError
from .rulebook import Rulebook

_host_ids = itertools.count(1)


class _Host(durable_engine.Host):
    """Resolves every action name to one recorder; actions only note which rule fired.

    durable-rules catches an exception raised inside an action and keeps it in the session
    state instead of raising it; the wrapper notes it in `failures` so it is never silent.
    """

    def __init__(self, record: Callable[[str], None]):
        self._record = record
        self.failures: list[BaseException] = []
        super().__init__()

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        host = self

        def action(_context: Any) -> None:
            try:
                host._record(action_name)
            except BaseException as exc:
                host.failures.append(exc)
                raise

        return action


def compile_rulesets(book: Rulebook, prefix: str) -> dict[str, dict[str, Any]]:
    """durable-rules rulesets, one per rule file: flowchart decisions, profile rules, lead rules."""
    def ruleset(rules: list[tuple[str, Any]]) -> dict[str, Any]:
        return {rid: {"all": [{"m": to_durable(cond)}], "run": rid} for rid, cond in rules}

    decisions = [(n.id, n.when) for n in book.flowchart.nodes.values() if n.type == "decision"]
    return {
        f"{prefix}_flowchart": ruleset(decisions),
        f"{prefix}_profiles": ruleset([(r.id, r.when) for r in book.profile_rules]),
        f"{prefix}_lead": ruleset([(r.id, r.when) for r in book.lead_rules]),
    }


class Matcher:
    """Matches one flat fact against the compiled rulesets and returns the rule ids that fired."""

    KINDS = ("flowchart", "profiles", "lead")

    def __init__(self, book: Rulebook):
        self._prefix = f"w{next(_host_ids)}"
        self._fired: list[str] = []
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self.rulesets = compile_rulesets(book, self._prefix)
        self._host = _Host(self._fired_append)
        self._host.set_rulesets(self.rulesets)

    def _fired_append(self, rule_id: str) -> None:
        self._fired.append(rule_id)

    def _delete(self, ruleset: str, sid: str) -> None:
        try:
            self._host.delete_state(ruleset, sid)
        except Exception:  # a session that never started has nothing to delete
            pass

    def match(self, fact: dict[str, Any]) -> dict[str, set[str]]:
        """{kind: ids of the rules whose condition held}, for kind in flowchart, profiles, lead."""
        fired: dict[str, set[str]] = {}
        with self._lock:
            for kind in self.KINDS:
                ruleset = f"{self._prefix}_{kind}"
                sid = str(next(self._sids))
                self._fired = []
                self._host.failures = []
                try:
                    self._host.assert_fact(ruleset, {**fact, "sid": sid})
                except durable_engine.MessageNotHandledException:
                    pass  # no rule of this set matched: an ordinary outcome
                except Exception as exc:
                    self._delete(ruleset, sid)
                    raise EvaluationError(f"the rule engine refused the case in {kind}: {exc}") from None
                self._delete(ruleset, sid)
                if self._host.failures:
                    raise EvaluationError(f"a rule action failed in {kind}: {self._host.failures[0]!r}")
                fired[kind] = set(self._fired)
        return fired
