"""What a pack build no longer holds whole gives what the whole gave: data/files.json written a
few thousand members at a time (pack/build.py `_files_chunks`), the traceability matrix's
records kept as lists per column (pack/report.py `_traceability_matrix`), and the trace
graph's first nodes picked without sorting them all (pack/svg.py `choose_nodes`). Each is
checked against the plain computation it replaced. The pack's bytes as a whole are checked
by the pack tests (tests/test_pack_json_beside.py, tests/test_pack_same_bytes_any_hash.py)."""

from __future__ import annotations

from types import SimpleNamespace

from reqtrace.core.model import SCHEMA_VERSION, natural_key
from reqtrace.pack import svg
from reqtrace.pack.build import _files_chunks, _json_chunks
from reqtrace.pack.contents import Event, GraphEdge, GraphNode, MadeAsWalked, plain
from reqtrace.pack.report import _traceability_matrix, anchor


def test_files_json_in_pieces_is_the_whole_document():
    for count in (0, 1, 2047, 2048, 4097):
        origins = {
            f"data/records/files/m{n:05d}-预约\"<{n}.eml": {"path": f"records/m{n}.eml", "commit": None if n % 3 else "abc"}
            if n % 2 else {"path": f"records/m{n}.eml", "attachment": "a “b”.pdf", "commit": "abc"}
            for n in range(count, 0, -1)  # not in name order: the document sorts them
        }
        whole = b"".join(_json_chunks({"schema_version": SCHEMA_VERSION, "files": dict(sorted(origins.items()))}))
        assert b"".join(_files_chunks(origins)) == whole


def _plain_matrix_rows(contents, links):
    """The matrix's rows as the page made them before: a dict of four sets per requirement."""
    base, to, graph = contents.base, contents.to, contents.graph
    related: dict[str, dict[str, set[str]]] = {}
    kinds = {node.id: node.kind for node in graph.nodes.values()}
    for edge in graph.edges:
        for req_side, other in ((edge.target, edge.source), (edge.source, edge.target)):
            if kinds.get(req_side) != "requirement" or kinds.get(other) in (None, "requirement", "baseline"):
                continue
            bucket = related.setdefault(req_side, {"request": set(), "meeting": set(), "email": set(), "document": set()})
            bucket[kinds[other]].add(other)
    rows = []
    for rid in sorted(set(to.requirements) | set(base.requirements), key=natural_key):
        req = to.requirements.get(rid) or base.requirements[rid]
        bucket = related.get(rid, {})
        rows.append({
            "id": rid, "href": "#" + anchor(rid), "title": req.title, "in_baseline": rid in contents.baseline.digests,
            "at_to": rid in to.requirements, "sources": links.links(req.sources),
            "requests": links.links(sorted(bucket.get("request", ()), key=natural_key)),
            "meetings": links.links(sorted(bucket.get("meeting", ()), key=natural_key)),
            "emails": links.links(sorted(set(bucket.get("email", ())) | set(bucket.get("document", ())), key=natural_key)),
        })
    return rows


def test_the_matrix_rows_are_the_plain_ones():
    def req(rid):
        return SimpleNamespace(id=rid, title=f"title of {rid}", sources=["MAIL-1"] if rid.endswith("2") else [])

    to = {rid: req(rid) for rid in ("REQ-1", "REQ-2", "REQ-10", "REQ-12")}
    base = {rid: req(rid) for rid in ("REQ-1", "REQ-2", "REQ-3")}
    kinds = {"RQ-1": "request", "RQ-2": "request", "MTG-1": "meeting", "MAIL-1": "email", "DOC-1": "document", "v1": "baseline"}
    nodes = {rid: GraphNode(rid, "requirement", rid) for rid in {*to, *base}} | {n: GraphNode(n, kind, n) for n, kind in kinds.items()}
    edges = [
        GraphEdge("RQ-2", "REQ-1", "affects"), GraphEdge("RQ-1", "REQ-1", "affects"), GraphEdge("REQ-1", "RQ-1", "refs"),  # both ways: once
        GraphEdge("MTG-1", "REQ-2", "decides"), GraphEdge("MAIL-1", "REQ-2", "source"), GraphEdge("REQ-2", "DOC-1", "refs"),
        GraphEdge("DOC-1", "REQ-3", "refs"), GraphEdge("REQ-1", "REQ-2", "parent"), GraphEdge("REQ-1", "v1", "in-baseline"),
        GraphEdge("GONE-1", "REQ-10", "refs"), GraphEdge("REQ-12", "MAIL-1", "refs"), GraphEdge("REQ-12", "MAIL-1", "thread"),
    ]
    contents = SimpleNamespace(base=SimpleNamespace(requirements=base), to=SimpleNamespace(requirements=to),
                               graph=SimpleNamespace(nodes=nodes, edges=edges), baseline=SimpleNamespace(digests={"REQ-1": "d", "REQ-2": "d"}))
    links = SimpleNamespace(links=lambda ids: [(i, "#" + anchor(i)) for i in ids])
    matrix = _traceability_matrix(contents, links)
    rows = list(matrix)
    assert len(matrix) == 5
    assert rows == _plain_matrix_rows(contents, links)
    assert [row["id"] for row in rows] == ["REQ-1", "REQ-2", "REQ-3", "REQ-10", "REQ-12"]
    assert [i for i, _ in rows[0]["requests"]] == ["RQ-1", "RQ-2"]  # an edge each way: listed once
    assert [i for i, _ in rows[1]["emails"]] == ["DOC-1", "MAIL-1"] and [i for i, _ in rows[1]["meetings"]] == ["MTG-1"]
    assert [i for i, _ in rows[4]["emails"]] == ["MAIL-1"] and rows[3]["requests"] == []


def test_the_graph_keeps_the_first_nodes_of_the_plain_order():
    nodes = {f"RQ-{n}": GraphNode(f"RQ-{n}", "request", "") for n in range(40)}
    nodes |= {f"REQ-{n}": GraphNode(f"REQ-{n}", "requirement", "") for n in range(40)}
    edges = [GraphEdge(f"RQ-{n}", f"REQ-{n * 7 % 40}", "affects") for n in range(0, 40, 3)]
    focus = {"REQ-5", "REQ-33", "RQ-17"}
    keep = {n for n, node in nodes.items() if node.kind != "requirement"} | focus
    keep |= {e.target for e in edges}
    for cap in (1, 10, 45, 60):
        plain = sorted(keep, key=lambda n: (nodes[n].kind == "requirement", n not in focus, natural_key(n)))[:cap]
        assert svg.choose_nodes(nodes, edges, focus, cap=cap) == plain


def test_a_slotted_node_edge_or_event_gives_the_dict_vars_gave():
    """`plain` of each: its fields in order, as vars() gave them before they had slots (the
    documents' JSON and the timeline's rows are made from it)."""
    for value, fields in (
        (GraphNode("REQ-1", "requirement", "预约 <b>"), {"id": "REQ-1", "kind": "requirement", "label": "预约 <b>", "date": None}),
        (GraphEdge("RQ-1", "REQ-1", "decides", "approved"), {"source": "RQ-1", "target": "REQ-1", "type": "decides", "detail": "approved"}),
        (Event("2026-01-02", "RQ-1", "request", "received", "x"), {"date": "2026-01-02", "id": "RQ-1", "kind": "request", "relation": "received", "summary": "x"}),
    ):
        assert plain(value) == fields and list(plain(value)) == list(fields)
        assert not hasattr(value, "__dict__")


def test_rows_made_as_written_give_the_document_of_the_list():
    """A requirements document's rows made one at a time as it is written (MadeAsWalked): the same
    document as the list of them, for none, one, and more than one piece's worth."""
    for count in (0, 1, 2048, 4100):
        rows = [{"id": f"REQ-{n}", "fields": {"title": "预约 \"<x>\"", "n": n}} for n in range(count)]
        lazy = MadeAsWalked(count, lambda rows=rows: iter(rows))
        assert b"".join(_json_chunks({"schema_version": 1, "requirements": lazy})) == b"".join(_json_chunks({"schema_version": 1, "requirements": rows}))
