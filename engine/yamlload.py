"""Safe YAML loading that remembers where each mapping stood, so errors can name file and line."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import RuleError

LINE = "__line__"


class LineDict(dict):
    """A mapping from a rule file that knows the line it started on (`.line`)."""

    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """yaml.SafeLoader whose mappings are LineDicts; refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen and not getattr(key_node, "_merged", False):
            raise RuleError(
                loader.name, key_node.start_mark.line + 1,
                f"key '{key}' appears twice in one mapping (first on line {seen[key]})",
            )
        seen[key] = key_node.start_mark.line + 1
    mapping = LineDict(yaml.SafeLoader.construct_mapping(loader, node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.2 booleans: only true/false. In YAML 1.1 a flowchart's `yes:` and `no:` keys
# would silently turn into booleans.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _LineLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )

# YAML 1.2 numbers, as JSON writes them. PyYAML follows YAML 1.1, where `077` is octal 63,
# `0x2` is 2, `1_000` is 1000, `1:10` is 70 (base 60) and `.inf` is infinity: a typo or a
# time would silently become some number. Here only plain decimals are numbers; anything
# else stays text, and validation then names the field that wanted a number.
_INT = re.compile(r"^-?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$")
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NUMBER_TAGS]
    for first, resolvers in _LineLoader.yaml_implicit_resolvers.items()
}
for _first in "-0123456789":
    _LineLoader.yaml_implicit_resolvers.setdefault(_first, []).extend(
        [("tag:yaml.org,2002:int", _INT), ("tag:yaml.org,2002:float", _FLOAT)]
    )


# libyaml, when present, parses the rule files about ten times faster (it is most of the
# load time). Same constructor, same resolvers, so the same data; on any error the file is
# parsed again by the pure-Python loader, so error messages are the same with or without it.
_CLineLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):
    class _CLineLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """_LineLoader on libyaml's parser."""

    _CLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _CLineLoader.yaml_implicit_resolvers = _LineLoader.yaml_implicit_resolvers


def load_with_lines(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file safely. Mappings carry `.line`. Syntax errors become RuleError with the line."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(name, None, f"cannot read: {exc.strerror}") from None
    if _CLineLoader is not None:
        fast = _CLineLoader(text)
        fast.name = name
        try:
            return fast.get_single_data()
        except (yaml.YAMLError, RuleError):
            pass  # report it exactly as the pure-Python loader does, below
        finally:
            fast.dispose()
    loader = _LineLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleError(name, line, f"YAML syntax: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise RuleError(name, None, f"YAML: {exc}") from None
    finally:
        loader.dispose()


def load_case_yaml(text: str, name: str) -> Any:
    """One case from YAML (or JSON) text with the rule files' loader: safe, duplicate keys
    refused, YAML 1.2 numbers. Raises RuleError (with the line) or yaml.YAMLError; the
    caller turns them into the case's InputError. Pure Python on purpose: its recursion is
    bounded by Python's (a RecursionError), where libyaml's C stack is not."""
    loader = _LineLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def strip_lines(value: Any) -> Any:
    """A plain copy (for data handed to users)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest mapping along `loc` (a pydantic error location) in raw loaded data."""
    line = getattr(data, "line", None)
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", None) or line
    return line
