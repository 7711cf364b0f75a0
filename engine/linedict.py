"""Loaded rule data that knows its lines: the mapping type and the helpers that read it.

Apart from engine.yamlload (which makes them, with PyYAML) so that a rulebook read from the
cache (engine.rulecache), whose raw files are these mappings, and a case given as JSON need
not import PyYAML: its import is about a twelfth of a plain `wegwijzer recommend`'s start.
engine.yamlload answers every name here as before.
"""
from __future__ import annotations

from typing import Any

LINE = "__line__"


class LineDict(dict):
    """A mapping from a rule file that knows the line it started on (`.line`) and the line of
    each of its keys (`.key_lines`), so a message can point at `yes:` rather than `- id:`."""

    line: int | None = None
    key_lines: dict[Any, int] = {}

    def key_line(self, key: Any) -> int | None:
        """The line of `key` in this mapping, else the mapping's own line."""
        return self.key_lines.get(key) or self.line


def strip_lines(value: Any) -> Any:
    """A plain copy (for data handed to users)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest key along `loc` (a pydantic error location) in raw loaded data:
    a bad value points at its own key's line, a missing key at its mapping's line."""
    line = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, LineDict):
            line = node.key_lines.get(part) or line
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", None) or line
    return line
