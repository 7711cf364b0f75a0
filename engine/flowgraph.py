"""The flowchart as a networkx DiGraph: one graph for `check` (analysis) and `graph` (drawing).

Nodes carry the flowchart Node as `node`; a target that no node defines is still added,
with `missing=True`, so that callers can report dangling references. Edges carry `branch`:
`yes`, `no` or `next`.
"""
from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from .rulebook import Flowchart, Node

BRANCHES = ("yes", "no", "next")


def from_nodes(nodes: Iterable[Node], start: str | None = None) -> nx.DiGraph:
    """A graph from flowchart nodes (the last of two nodes with one id wins)."""
    graph = nx.DiGraph(start=start)
    nodes = list(nodes)
    for node in nodes:
        graph.add_node(node.id, node=node, missing=False)
    for node in nodes:
        for branch in BRANCHES:
            target = getattr(node, branch, None)
            if not target:
                continue
            if target not in graph:
                graph.add_node(target, node=None, missing=True)
            if graph.has_edge(node.id, target):  # yes and no to one node: keep both labels
                graph.edges[node.id, target]["branch"] += "/" + branch
            else:
                graph.add_edge(node.id, target, branch=branch)
    return graph


def build(flowchart: Flowchart) -> nx.DiGraph:
    """The graph of a loaded (already checked) flowchart."""
    return from_nodes(flowchart.nodes.values(), flowchart.start)


def end_nodes(graph: nx.DiGraph) -> list[str]:
    return [n for n, data in graph.nodes(data=True) if data.get("node") is not None and data["node"].type == "end"]


def reaches(graph: nx.DiGraph, source: str, target: str) -> bool:
    return source in graph and target in graph and nx.has_path(graph, source, target)
