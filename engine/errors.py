"""One error family. Every error names its culprit: a field path or a rule file and line."""
from __future__ import annotations

from collections.abc import Iterable

from .safetext import printable


class WegwijzerError(Exception):
    """Base of every error the engine raises on purpose. The CLI prints it and exits 2."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(WegwijzerError):
    """An assessment that does not fit the contract. Carries every problem found, each with its field path."""

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None):
        self.problems = problems
        self.source = source
        # the message echoes what was given (a file name, a key, a value): escaped, so that no
        # control character reaches a terminal or a log; `problems` keeps the data as it was
        prefix = f"{printable(source)}: " if source else ""
        lines = [f"{prefix}{printable(path or '(root)')}: {printable(msg)}" for path, msg in problems]
        super().__init__("\n".join(lines))

    @property
    def fields(self) -> list[str]:
        return [path for path, _ in self.problems]


class RuleError(WegwijzerError):
    """A rule file that cannot be loaded or compiled. Carries file, line and (where known) rule id."""

    def __init__(self, file: str, line: int | None, message: str, rule_id: str | None = None):
        self.file = file
        self.line = line
        self.rule_id = rule_id
        self.detail = message
        where = f"{printable(file)}:{line}" if line else printable(file)
        rule = f" [{printable(rule_id)}]" if rule_id else ""
        super().__init__(f"{where}:{rule} {printable(message)}")


class EvaluationError(WegwijzerError):
    """A rule action failed while a case was evaluated; the case's session was cleaned up."""


def suggest(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest known name, or ''."""
    import difflib  # here: only a mistake needs it, not every start

    match = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
