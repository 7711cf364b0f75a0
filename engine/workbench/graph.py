"""`wegwijzer graph`: the flowchart as Mermaid, Graphviz dot, or SVG (via Graphviz `dot`).

Decisions are diamonds named by their question, actions are boxes named by the
intervention's label, each with its node id; edges carry yes/no (ja/nee).

    from engine.workbench.graph import to_mermaid
    print(to_mermaid(engine.rulebook.load()))
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from typing import Any

from .. import flowgraph
from ..errors import WegwijzerError
from ..rulebook import Rulebook, load

EDGE_WORDS = {"nl": {"yes": "ja", "no": "nee", "next": ""}, "en": {"yes": "yes", "no": "no", "next": ""}}


def _label(book: Rulebook, node: Any, lang: str) -> str:
    if node.type == "decision":
        text = (node.question_nl if lang == "nl" else node.question_en) or node.id
    elif node.type == "action":
        item = book.interventions.get(node.intervention)
        text = (item.label_nl if lang == "nl" else item.label_en) if item else node.intervention
    else:
        text = "einde" if lang == "nl" else "end"
    return f"{text}\n({node.id})"


def _edges(graph: Any, lang: str) -> list[tuple[str, str, str]]:
    words = EDGE_WORDS[lang]
    return [(u, v, "/".join(words[b] for b in data["branch"].split("/")).strip("/"))
            for u, v, data in graph.edges(data=True)]


def to_mermaid(book: Rulebook, lang: str = "nl") -> str:
    graph = flowgraph.build(book.flowchart)

    def mid(node_id: str) -> str:
        return f"n_{node_id}"  # 'end' is a keyword in Mermaid

    def text(value: str) -> str:
        return value.replace('"', "#quot;").replace("\n", "<br/>")

    out = ["flowchart TD"]
    for node_id, data in graph.nodes(data=True):
        node = data["node"]
        label = text(_label(book, node, lang))
        shape = {"decision": '{{"{}"}}', "action": '["{}"]'}.get(node.type, '(["{}"])')
        out.append(f"    {mid(node_id)}{shape.format(label)}")
    for u, v, word in _edges(graph, lang):
        out.append(f"    {mid(u)} -->|{word}| {mid(v)}" if word else f"    {mid(u)} --> {mid(v)}")
    return "\n".join(out) + "\n"


def to_dot(book: Rulebook, lang: str = "nl") -> str:
    graph = flowgraph.build(book.flowchart)

    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    out = ["digraph flowchart {", '    rankdir=TB;', '    node [fontname="Helvetica", fontsize=10];',
           '    edge [fontname="Helvetica", fontsize=9];']
    for node_id, data in graph.nodes(data=True):
        node = data["node"]
        shape = {"decision": "diamond", "action": "box"}.get(node.type, "oval")
        style = ', style="rounded,filled", fillcolor="#eef5ff"' if node.type == "action" else ""
        out.append(f"    {quote(node_id)} [shape={shape}, label={quote(_label(book, node, lang))}{style}];")
    for u, v, word in _edges(graph, lang):
        label = f" [label={quote(word)}]" if word else ""
        out.append(f"    {quote(u)} -> {quote(v)}{label};")
    out.append("}")
    return "\n".join(out) + "\n"


def to_svg(book: Rulebook, lang: str = "nl") -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise WegwijzerError("svg needs Graphviz's `dot` on PATH: apt-get install graphviz (or use --format dot or mermaid)")
    done = subprocess.run([dot, "-Tsvg"], input=to_dot(book, lang).encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise WegwijzerError(f"Graphviz dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode()


RENDERERS = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=tuple(RENDERERS), default="mermaid")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(RENDERERS[args.format](load(args.rules), args.lang))
    return 0
