"""A layered drawing of the trace graph, as numbers for an inline SVG.

Columns follow the story left to right: documents and emails, meetings,
requests, then requirements by depth below their parents, then baselines.
Within a column, nodes sit near the average row of their neighbours already
placed (one barycentre sweep), which untangles most edges of a project-sized
graph without any layout library. The template draws the result; every text
stays text there.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from typing import Any

from reqtrace.core.model import natural_key as _natural

MAX_GRAPH_NODES = 300  # beyond this a drawing is no longer readable on a page
NODE_WIDTH = 176
NODE_HEIGHT = 44  # the id, then up to two lines of title
COLUMN_GAP = 64
ROW_GAP = 10
MARGIN = 12
LABEL_CHARS = 27  # per caption line, in half-width characters (a CJK glyph counts two)
CAPTION_LINES = 2
_KIND_COLUMN = {"document": 0, "email": 0, "meeting": 1, "request": 2, "requirement": 3}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    width = 0
    for index, char in enumerate(text):
        width += 2 if ord(char) > 0x2E80 else 1  # CJK glyphs are about twice as wide
        if width > limit:
            return text[:index].rstrip() + "…"
    return text


def _caption_lines(text: str, limit: int = LABEL_CHARS, lines: int = CAPTION_LINES) -> list[str]:
    """A title in up to `lines` lines of `limit`, broken at spaces (or between CJK glyphs);
    only what is left after the last line is cut, with an ellipsis (the tooltip has it all)."""
    words = re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+", " ".join(text.split()))
    result: list[str] = []
    current = ""
    for index, word in enumerate(words):
        joined = current + ("" if not current or _cjk(word) or _cjk(current[-1]) else " ") + word
        if _width(joined) <= limit:
            current = joined
            continue
        if current:
            result.append(current)
        if len(result) == lines:
            shortened = _shorten(result[-1] + " " + " ".join(words[index:]), limit)
            space = shortened.rfind(" ")
            # Cut before the word that does not fit, not inside it, when that keeps half the line.
            result[-1] = shortened[:space] + " …" if space > len(shortened) // 2 and not _cjk(shortened[-2]) else shortened
            return result
        current = word if _width(word) <= limit else _shorten(word, limit)
    if current:
        result.append(current)
    return result


def _cjk(char: str) -> bool:
    return ord(char[0]) > 0x2E80


def _width(text: str) -> int:
    return sum(2 if _cjk(char) else 1 for char in text)


def choose_nodes(nodes: dict[str, Any], edges: Iterable[Any], focus: set[str], cap: int = MAX_GRAPH_NODES) -> list[str]:
    """All nodes when they fit; else the records, the changed requirements and their neighbours."""
    # Baseline membership is the matrix's job: as edges it would tie every requirement to one box.
    nodes = {n: node for n, node in nodes.items() if node.kind != "baseline"}
    if len(nodes) <= cap:
        return list(nodes)
    edge_list = list(edges)
    keep = {n for n, node in nodes.items() if node.kind not in ("requirement", "baseline")} | (focus & set(nodes))
    for edge in edge_list:
        if edge.source in keep and edge.target in nodes and nodes[edge.target].kind == "requirement":
            keep.add(edge.target)
    order = {"requirement": 1}
    # The first `cap` in this order, as sorted(...)[:cap] gives them, without sorting the
    # rest: at 100,000 requirements `keep` holds every record (50,000 and more).
    return heapq.nsmallest(cap, keep, key=lambda n: (order.get(nodes[n].kind, 0), n not in focus, _natural(n)))


def layout_graph(nodes: dict[str, Any], edges: list[Any], focus: set[str] | None = None) -> dict[str, Any]:
    chosen = set(choose_nodes(nodes, edges, focus or set()))
    shown_edges = [e for e in edges if e.source in chosen and e.target in chosen]
    parents: dict[str, list[str]] = {}
    for edge in shown_edges:
        if edge.type == "parent":
            parents.setdefault(edge.target, []).append(edge.source)

    depth: dict[str, int] = {}

    def requirement_depth(node_id: str) -> int:
        # Iterative, cycle-safe: a parent cycle (reported by check) must not hang the build.
        if node_id in depth:
            return depth[node_id]
        stack, seen = [node_id], {node_id}
        while stack:
            current = stack[-1]
            pending = [p for p in parents.get(current, []) if p not in depth and p not in seen]
            if pending:
                seen.update(pending)
                stack.extend(pending)
                continue
            stack.pop()
            depth[current] = 1 + max((depth.get(p, 0) for p in parents.get(current, [])), default=-1)
        return depth[node_id]

    columns: dict[int, list[str]] = {}
    for node_id in chosen:
        kind = nodes[node_id].kind
        if kind == "requirement":
            column = 3 + min(requirement_depth(node_id), 4)
        else:
            column = _KIND_COLUMN.get(kind, 8)
        columns.setdefault(column, []).append(node_id)
    used = sorted(columns)
    column_of = {n: used.index(c) for c, ids in columns.items() for n in ids}

    neighbours: dict[str, list[str]] = {}
    for edge in shown_edges:
        neighbours.setdefault(edge.source, []).append(edge.target)
        neighbours.setdefault(edge.target, []).append(edge.source)
    # Barycentre sweeps: left to right, right to left, left to right again; each column
    # is sorted by the mean row of its neighbours in the columns already ordered.
    row: dict[str, float] = {}
    for column in used:
        for position, node_id in enumerate(sorted(columns[column], key=_natural)):
            row[node_id] = position
    for sweep in (used, used[::-1], used):
        done: set[str] = set()
        for column in sweep:
            def barycentre(node_id: str, done: set[str] = done) -> tuple[float, tuple[Any, ...]]:
                rows = [row[n] for n in neighbours.get(node_id, []) if n in done]
                return (sum(rows) / len(rows) if rows else row[node_id], _natural(node_id))

            for position, node_id in enumerate(sorted(columns[column], key=barycentre)):
                row[node_id] = position
            done.update(columns[column])
    placed: list[dict[str, Any]] = []
    height = 0
    for index, column in enumerate(used):
        ordered = sorted(columns[column], key=lambda n: row[n])
        for position, node_id in enumerate(ordered):
            node = nodes[node_id]
            x = MARGIN + index * (NODE_WIDTH + COLUMN_GAP)
            y = MARGIN + position * (NODE_HEIGHT + ROW_GAP)
            placed.append(
                {
                    "id": node_id,
                    "kind": node.kind,
                    "label": node.id,  # an id is never cut: it is what a reader looks up
                    "caption": _caption_lines(node.label or ""),
                    "title": f"{node.id}: {node.label}" if node.label else node.id,
                    "x": x,
                    "y": y,
                    "focus": node_id in (focus or set()),
                }
            )
            height = max(height, y + NODE_HEIGHT)
    where = {p["id"]: p for p in placed}
    drawn = []
    for edge in shown_edges:
        a, b = where[edge.source], where[edge.target]
        if column_of[edge.source] > column_of[edge.target]:
            a, b = b, a
        x1, y1 = a["x"] + NODE_WIDTH, a["y"] + NODE_HEIGHT / 2
        x2, y2 = b["x"], b["y"] + NODE_HEIGHT / 2
        if column_of[edge.source] == column_of[edge.target]:
            # Same column (a request citing another): a loop out to the right.
            x2 = b["x"] + NODE_WIDTH
            bend = x1 + 40
            d = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        else:
            mid = (x1 + x2) / 2
            d = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        kind = edge.type if edge.type != "decides" else f"decides-{edge.detail or 'pending'}"
        drawn.append({"d": d, "type": re.sub(r"[^a-z-]", "", kind), "label": f"{edge.source} {edge.type} {edge.target}"})
    width = MARGIN * 2 + max(len(used), 1) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP
    return {
        "width": width,
        "height": height + MARGIN,
        "nodes": placed,
        "edges": drawn,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
        "shown": len(placed),
        "total": sum(1 for node in nodes.values() if node.kind != "baseline"),
    }
