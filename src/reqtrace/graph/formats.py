"""The evidence graph as text other tools read: Graphviz dot, GraphML, JSON, Mermaid.

Every label is repository or mail text, so each format escapes it its own way;
control characters (which XML 1.0 cannot carry at all) are dropped first.
Output is sorted, so the same graph gives the same bytes.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from reqtrace.core.model import SCHEMA_VERSION, natural_key

if TYPE_CHECKING:
    from reqtrace.graph.graph import EvidenceGraph

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SHAPES = {"requirement": "box", "request": "hexagon", "meeting": "ellipse", "email": "note", "document": "folder", "baseline": "doubleoctagon"}
_COLOURS = {"requirement": "#dbeafe", "request": "#fde68a", "meeting": "#d1fae5", "email": "#e9d5ff", "document": "#e5e7eb", "baseline": "#fecaca"}
MAX_LABEL = 60


def clean(text: Any) -> str:
    return _CONTROL.sub("", "" if text is None else str(text))


def short(text: Any, limit: int = MAX_LABEL) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _nodes(graph: EvidenceGraph) -> list[tuple[str, dict[str, Any]]]:
    return sorted(graph.nodes.items(), key=lambda item: natural_key(item[0]))


def _edges(graph: EvidenceGraph) -> list[tuple[str, str, str, dict[str, Any]]]:
    return sorted(graph.edges(), key=lambda e: (natural_key(e[0]), natural_key(e[1]), e[2]))


def _edge_label(kind: str, attrs: dict[str, Any]) -> str:
    return f"{kind}: {attrs['decision']}" if kind == "decides" and attrs.get("decision") else kind


def to_json(graph: EvidenceGraph) -> dict[str, Any]:
    return {
        "nodes": [{"id": node, **{k: v for k, v in attrs.items() if v is not None}} for node, attrs in _nodes(graph)],
        "edges": [{"source": u, "target": v, **{k: val for k, val in attrs.items() if val is not None}} for u, v, _k, attrs in _edges(graph)],
    }


def _dot_quote(text: str) -> str:
    # Inside a double-quoted dot string only '"' and '\' are special; newlines become \n.
    return '"' + clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n") + '"'


def to_dot(graph: EvidenceGraph) -> str:
    lines = ["digraph reqtrace {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10, style=filled];', '  edge [fontname="Helvetica", fontsize=9];']
    for node, attrs in _nodes(graph):
        kind = attrs.get("kind", "")
        label = f"{node}\n{short(attrs.get('title'))}" if attrs.get("title") and attrs.get("title") != node else node
        lines.append(f"  {_dot_quote(node)} [label={_dot_quote(label)}, shape={_SHAPES.get(kind, 'box')}, fillcolor={_dot_quote(_COLOURS.get(kind, '#ffffff'))}];")
    for u, v, kind, attrs in _edges(graph):
        style = ", style=dashed" if kind in ("refs", "thread") else ""
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(_edge_label(kind, attrs))}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid reads entity codes inside quoted labels; '#' starts one, so it goes first.
    text = " ".join(clean(text).split())
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"), ("|", "#124;"), ("[", "#91;"), ("]", "#93;"), ("{", "#123;"), ("}", "#125;")):
        text = text.replace(char, code)
    return text


def to_mermaid(graph: EvidenceGraph) -> str:
    # Ids like MTG-2026-01-15 or baseline/v1 are not Mermaid identifiers: number the nodes.
    names: dict[str, str] = {}
    lines = ["flowchart LR"]
    for index, (node, attrs) in enumerate(_nodes(graph)):
        names[node] = f"n{index}"
        label = f"{node}: {short(attrs.get('title'))}" if attrs.get("title") and attrs.get("title") != node else node
        lines.append(f'  n{index}["{_mermaid_text(label)}"]:::{attrs.get("kind") or "item"}')
    for u, v, kind, attrs in _edges(graph):
        arrow = "-.->" if kind in ("refs", "thread") else "-->"
        lines.append(f'  {names[u]} {arrow}|"{_mermaid_text(_edge_label(kind, attrs))}"| {names[v]}')
    for kind, colour in _COLOURS.items():
        lines.append(f"  classDef {kind} fill:{colour}")
    return "\n".join(lines) + "\n"


def to_graphml(graph: EvidenceGraph) -> bytes:
    import io

    import networkx as nx

    # GraphML attributes must be text or numbers, never None; XML cannot carry control characters.
    plain = nx.MultiDiGraph()
    for node, attrs in _nodes(graph):
        plain.add_node(clean(node), **{k: clean(v) if isinstance(v, str) else v for k, v in attrs.items() if v is not None})
    for u, v, kind, attrs in _edges(graph):
        plain.add_edge(clean(u), clean(v), key=kind, **{k: clean(val) if isinstance(val, str) else val for k, val in attrs.items() if val is not None})
    stream = io.BytesIO()
    nx.write_graphml(plain, stream, encoding="utf-8", prettyprint=True)
    return stream.getvalue()


def render(graph: EvidenceGraph, fmt: str, *, rev: str | None = None) -> bytes:
    """The graph in `fmt`; `rev` (the commit read, None for the working tree) goes into the JSON."""
    if fmt == "dot":
        return to_dot(graph).encode("utf-8")
    if fmt == "mermaid":
        return to_mermaid(graph).encode("utf-8")
    if fmt == "graphml":
        return to_graphml(graph)
    if fmt == "json":
        return (json.dumps({"schema_version": SCHEMA_VERSION, "ok": True, "rev": rev, **to_json(graph)}, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
    raise ValueError(fmt)
