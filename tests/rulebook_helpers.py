"""Shared helper for the matcher tests: a rulebook with flowchart decisions added."""
from __future__ import annotations

import dataclasses

from engine.conditions import parse
from engine.rulebook import Node, Rulebook


def book_with_decisions(book: Rulebook, conditions: list[dict]) -> Rulebook:
    """`book` with these flowchart decisions added as `extra_0`, `extra_1`, ... (never on the
    walk: only matched), its cache empty."""
    extra = {f"extra_{i}": Node(id=f"extra_{i}", type="decision", file=book.flowchart.file, line=1, source="practice",
                                when=parse(cond, book.flowchart.file, 1, f"extra_{i}", book.fields))
             for i, cond in enumerate(conditions)}
    flowchart = dataclasses.replace(book.flowchart, nodes={**book.flowchart.nodes, **extra})
    return dataclasses.replace(book, flowchart=flowchart, cache={})
