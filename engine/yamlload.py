"""Safe YAML loading that remembers where each mapping stood, so errors can name file and line."""
from __future__ import annotations

import re
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import Any

# PyYAML's reader compiles, when it is imported, a pattern of the characters a YAML stream may
# not hold, written as the complement of the long ranges it may: compiling that class costs 57 M
# instructions (~15 ms), over half of `import yaml` and a twentieth of a warm `wegwijzer
# recommend case.yaml`. The same characters written as themselves (a few short ranges) compile
# in 4 M; put in re's cache under PyYAML's pattern text before yaml is first imported, its
# import takes that one. The two match exactly the same characters (tests/test_coldstart.py
# compares them on every code point). Where re keeps its cache otherwise (another Python),
# or yaml is loaded already, nothing is done: PyYAML compiles its own, as before.
YAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
NON_PRINTABLE = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"
if "yaml" not in sys.modules and isinstance(getattr(re, "_cache", None), dict):
    re._cache.setdefault((str, YAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))  # type: ignore[attr-defined]

import yaml  # noqa: E402 - after the pattern above is in re's cache

from .errors import RuleError
from .linedict import LINE, LineDict, line_of, strip_lines  # noqa: F401 - their old home answers too

# A rule file nests about 8 deep and expands to a few thousand values. The caps refuse a
# file that would exhaust the stack or memory: deep nesting, and aliases that multiply
# (the "billion laughs": ten anchors each aliasing the previous one ten times).
MAX_NESTING = 40
MAX_VALUES = 200_000


class _LineLoader(yaml.SafeLoader):
    """yaml.SafeLoader whose mappings are LineDicts; refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            # `? [a, b]` or `? {a: 1}`: a key that is a list or a mapping names no field
            mark = key_node.start_mark
            raise RuleError(loader.name, mark.line + 1,
                            f"a key must be text, not a list or a mapping (column {mark.column + 1})")
        if key in seen and not getattr(key_node, "_merged", False):
            raise RuleError(
                loader.name, key_node.start_mark.line + 1,
                f"key '{key}' appears twice in one mapping (first on line {seen[key]})",
            )
        seen[key] = key_node.start_mark.line + 1
    mapping = LineDict(yaml.SafeLoader.construct_mapping(loader, node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = seen
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


def _check_shape(root: yaml.Node | None, name: str, max_nesting: int = MAX_NESTING) -> None:
    """Refuse nesting deeper than `max_nesting` and aliases that expand past MAX_VALUES or loop."""
    sizes: dict[int, tuple[int, int]] = {}  # node id -> (values it expands to, its height)
    open_nodes: set[int] = set()

    def line(node: yaml.Node) -> int:
        return node.start_mark.line + 1

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        if node.__class__ is yaml.ScalarNode:  # most nodes: no children, nothing to remember
            if depth > max_nesting:
                raise RuleError(name, line(node), f"nested more than {max_nesting} deep")
            return 1, 1
        key = id(node)
        if key in open_nodes:
            raise RuleError(name, line(node), "an alias refers to the value that holds it (a loop)")
        if key in sizes:
            size, height = sizes[key]
        else:
            if depth > max_nesting:
                raise RuleError(name, line(node), f"nested more than {max_nesting} deep")
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            open_nodes.add(key)
            size, height = 1, 1
            for child in children:
                if child.__class__ is yaml.ScalarNode:  # the common case, without a call
                    size += 1
                    height = height if height > 1 else 2
                    continue
                child_size, child_height = measure(child, depth + 1)
                size += child_size
                height = height if height > child_height else child_height + 1
                if size > MAX_VALUES:
                    raise RuleError(name, line(node), f"expands to more than {MAX_VALUES:,} values through its aliases (*name); write them out or use fewer")
            open_nodes.discard(key)
            sizes[key] = size, height
        if depth + height - 1 > max_nesting:
            raise RuleError(name, line(node), f"nested more than {max_nesting} deep")
        return size, height

    if root is not None:
        measure(root, 1)


def _load(loader: Any, max_nesting: int = MAX_NESTING) -> Any:
    node = loader.get_single_node()
    _check_shape(node, loader.name, max_nesting)
    return loader.construct_document(node) if node is not None else None


def load_with_lines(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file safely. Mappings carry `.line`. Syntax errors become RuleError with the line."""
    name = display_name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RuleError(name, None, f"cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(name, data[:exc.start].count(b"\n") + 1,
                        f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8") from None
    if _CLineLoader is not None:
        fast = _CLineLoader(text)
        fast.name = name
        try:
            return _load(fast)
        except (yaml.YAMLError, RuleError, RecursionError):
            pass  # report it exactly as the pure-Python loader does, below
        finally:
            fast.dispose()
    try:
        loader = _LineLoader(text)  # the reader refuses a NUL or another control character here
    except yaml.reader.ReaderError as exc:
        raise RuleError(name, text[:exc.position].count("\n") + 1, _unreadable(exc)) from None
    loader.name = name
    try:
        return _load(loader)
    except RecursionError:
        raise RuleError(name, None, f"nested more than {MAX_NESTING} deep") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleError(name, line, f"YAML syntax: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise RuleError(name, None, f"YAML: {exc}") from None
    finally:
        loader.dispose()


def _unreadable(exc: yaml.reader.ReaderError) -> str:
    character = exc.character
    shown = f"#x{character:04x}" if isinstance(character, int) else repr(character)
    return f"YAML: the character {shown} is not allowed in a YAML file (a NUL or another control character)"


def load_case_yaml(text: str, name: str) -> Any:
    """One case from YAML (or JSON) text with the rule files' loader: safe, duplicate keys
    refused, YAML 1.2 numbers, the same caps on nesting and on what aliases expand to (a
    "billion laughs" of a few hundred bytes is refused, not expanded). Raises RuleError
    (with the line) or yaml.YAMLError; the caller turns them into the case's InputError.
    Pure Python on purpose: its recursion is bounded by Python's (a RecursionError), where
    libyaml's C stack is not."""
    loader = _LineLoader(text)
    loader.name = name
    try:
        # nesting: the caller's own bound (engine.caseload.MAX_DEPTH) names the field; here
        # only what aliases expand to, and a depth no honest case comes near
        return _load(loader, max_nesting=10 * MAX_NESTING)
    finally:
        loader.dispose()
