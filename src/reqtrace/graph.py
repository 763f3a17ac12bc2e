"""The evidence graph: one snapshot's requirements, records and baselines, linked.

The one module that builds it (networkx, imported only here and by the
commands that query the graph). Nodes are item ids — baselines are
`baseline/NAME` — with a `kind`; every edge has a `type`:

    parent       requirement -> the requirement it derives from
    source       requirement or request -> the record it came from
    refs         record -> any item it mentions; baseline -> a sign-off's evidence
    affects      request -> requirement it would change
    decides      meeting or email -> request (`decision`: approved | rejected)
    thread       email -> the email it replies to
    in-baseline  requirement -> baseline that holds it

Links to ids that do not exist are left out (`reqtrace check` reports them).
Cycles are allowed in the data — every walk here keeps a visited set.
"""

from __future__ import annotations

import gc
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Snapshot

if TYPE_CHECKING:
    import networkx as nx

    from .config import SpecRepo

PARENT = "parent"
SOURCE = "source"
REFS = "refs"
AFFECTS = "affects"
DECIDES = "decides"
THREAD = "thread"
IN_BASELINE = "in-baseline"
EDGE_TYPES = (PARENT, SOURCE, REFS, AFFECTS, DECIDES, THREAD, IN_BASELINE)

_DIGITS = re.compile(r"(\d+)")

# Shared attribute dicts for the plain edges: 100,000 edges need not own 100,000 dicts.
_PLAIN = {kind: {"type": kind} for kind in EDGE_TYPES}


@dataclass(frozen=True)
class Signoff:
    """A sign-off in force (revoked ones are left out)."""

    signer: str
    meaning: str
    role: str | None = None
    date: str | None = None
    path: str | None = None
    evidence: str | None = None  # the document id of a recorded sign-off's evidence


@dataclass(frozen=True)
class BaselineInfo:
    name: str
    requirements: tuple[str, ...]
    date: str | None = None
    commit: str | None = None
    signoffs: tuple[Signoff, ...] = ()

    @property
    def node(self) -> str:
        return baseline_node(self.name)


def natural_key(text: str) -> tuple[Any, ...]:
    """REQ-2 before REQ-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(text))


def baseline_node(name: str) -> str:
    return f"baseline/{name}"


# --- baselines ------------------------------------------------------------------------


def load_baseline_infos(repo: SpecRepo | None, snapshot: Snapshot) -> list[BaselineInfo]:
    """The baselines the graph shows: the one place the graph learns about them.

    Every baseline the baseline module reads at the snapshot's revision (its
    manifest, and its sign-offs that are not revoked), plus `baseline/*` tags
    that have no manifest there — reading at the tagged commit itself, whose
    manifest only the next commit adds.
    """
    if repo is None:
        return []
    infos = {info.name: info for info in _module_baselines(repo, snapshot)}
    if repo.git_top is not None:
        for info in _tag_baselines(repo, snapshot, skip=set(infos)):
            infos[info.name] = info
    return [infos[name] for name in sorted(infos)]


def _module_baselines(repo: SpecRepo, snapshot: Snapshot) -> list[BaselineInfo]:
    from .baseline import folder_of, scan_baselines

    found = []
    for baseline in scan_baselines(repo, snapshot.commit).baselines:  # broken ones are check's business
        found.append(
            BaselineInfo(
                name=folder_of(baseline) or baseline.name,
                requirements=tuple(entry.id for entry in baseline.requirements),
                date=baseline.created,
                commit=baseline.commit,
                signoffs=tuple(
                    Signoff(s.signer, s.meaning, s.role, s.time, s.path, s.evidence.document if s.evidence else None)
                    for s in baseline.active_signoffs
                ),
            )
        )
    return found


def _tag_baselines(repo: SpecRepo, snapshot: Snapshot, skip: set[str]) -> list[BaselineInfo]:
    from . import gitio
    from .snapshot import load_snapshot

    assert repo.git_top is not None
    proc = gitio.run_git(
        repo.git_top,
        "for-each-ref",
        "--format=%(refname:strip=3)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)",
        "refs/tags/baseline/",
        check=False,
    )
    found = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        name, tag_object, peeled, date = (line.split("\x00") + ["", "", "", ""])[:4]
        commit = peeled or tag_object
        if not name or name in skip or not commit:
            continue
        if snapshot.commit is not None and not _is_ancestor(repo, commit, snapshot.commit):
            continue  # a baseline made after the revision being read
        try:
            ids = tuple(sorted(load_snapshot(repo, commit).requirements))
        except Exception:  # noqa: BLE001 - an unreadable baseline commit must not stop trace
            ids = ()
        found.append(BaselineInfo(name=name, requirements=ids, date=date or None, commit=commit))
    return found


def _is_ancestor(repo: SpecRepo, ancestor: str, commit: str) -> bool:
    from . import gitio

    assert repo.git_top is not None
    return gitio.run_git(repo.git_top, "merge-base", "--is-ancestor", ancestor, commit, check=False).returncode == 0


# --- building -------------------------------------------------------------------------


def _request_state(request: Any) -> str:
    return request.decision.status if request.decision is not None and request.decision.status else "open"


def _decision_text(request: Any) -> str | None:
    """'approved as change by Li Wei on 2026-06-10 in MTG-2026-06-10', or None when open."""
    decision = request.decision
    if decision is None or not decision.status:
        return None
    parts = [decision.status]
    for label, value in (("as", decision.as_), ("by", decision.by), ("on", decision.on), ("in", decision.in_)):
        if value:
            parts.append(f"{label} {value}")
    return " ".join(parts)


def _node_attrs(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    for req in snapshot.requirements.values():
        nodes[req.id] = {"kind": "requirement", "title": req.title, "status": req.status, "path": req.path}
    for request in snapshot.requests.values():
        nodes[request.id] = {"kind": "request", "title": request.title, "date": request.received, "status": _request_state(request), "decision": _decision_text(request), "path": request.path}
    for meeting in snapshot.meetings.values():
        nodes[meeting.id] = {"kind": "meeting", "title": meeting.title, "date": meeting.date, "path": meeting.path}
    for mail in snapshot.emails.values():
        nodes[mail.id] = {"kind": "email", "title": mail.title, "date": mail.date, "from": mail.from_, "path": mail.path}
    for document in snapshot.documents.values():
        nodes[document.id] = {"kind": "document", "title": document.title, "date": document.date, "path": document.path}
    return nodes


def graph_edges(snapshot: Snapshot, baselines: Iterable[BaselineInfo] = ()) -> Iterable[tuple[str, str, str, dict[str, Any]]]:
    """(from, to, type, attributes) for every link in the snapshot, dangling ones included."""
    for req in snapshot.requirements.values():
        for parent in req.parents:
            yield req.id, parent, PARENT, _PLAIN[PARENT]
        for source in req.sources:
            yield req.id, source, SOURCE, _PLAIN[SOURCE]
    for request in snapshot.requests.values():
        for source in request.sources:
            yield request.id, source, SOURCE, _PLAIN[SOURCE]
        for ref in request.refs:
            yield request.id, ref, REFS, _PLAIN[REFS]
        for target in request.affects:
            yield request.id, target, AFFECTS, _PLAIN[AFFECTS]
        decision = request.decision
        if decision is not None and decision.in_ and decision.status in ("approved", "rejected"):
            attrs = {"type": DECIDES, "decision": decision.status}
            if decision.on:
                attrs["date"] = decision.on
            if decision.by:
                attrs["by"] = decision.by
            yield decision.in_, request.id, DECIDES, attrs
    for meeting in snapshot.meetings.values():
        for ref in meeting.refs:
            yield meeting.id, ref, REFS, _PLAIN[REFS]
        for entry in meeting.decisions:
            for ref in entry.refs:
                yield meeting.id, ref, REFS, {"type": REFS, "decision": entry.text}
            for target in entry.approves:
                yield meeting.id, target, DECIDES, {"type": DECIDES, "decision": "approved", "text": entry.text, "date": meeting.date}
            for target in entry.rejects:
                yield meeting.id, target, DECIDES, {"type": DECIDES, "decision": "rejected", "text": entry.text, "date": meeting.date}
    by_message_id = {mail.message_id: mail.id for mail in snapshot.emails.values() if mail.message_id}
    for mail in snapshot.emails.values():
        for ref in mail.refs:
            yield mail.id, ref, REFS, _PLAIN[REFS]
        parents = dict.fromkeys(mail.thread)
        for message_id in mail.in_reply_to:
            if message_id in by_message_id:
                parents[by_message_id[message_id]] = None
        for parent in parents:
            if parent != mail.id:
                yield mail.id, parent, THREAD, _PLAIN[THREAD]
    for document in snapshot.documents.values():
        for ref in document.refs:
            yield document.id, ref, REFS, _PLAIN[REFS]
    for baseline in baselines:
        node = baseline.node
        for req_id in baseline.requirements:
            yield req_id, node, IN_BASELINE, _PLAIN[IN_BASELINE]
        for signoff in baseline.signoffs:
            if signoff.evidence:  # the scan or letter a recorded sign-off rests on
                yield node, signoff.evidence, REFS, {"type": REFS, "signoff": f"{signoff.meaning} by {signoff.signer}", "date": signoff.date}


def build_graph(snapshot: Snapshot, baselines: Iterable[BaselineInfo] = ()) -> nx.MultiDiGraph:
    """The evidence graph of one snapshot: a networkx MultiDiGraph keyed by edge type."""
    # Building makes hundreds of thousands of small dicts and frees none; the cyclic
    # garbage collector would walk them again and again for nothing (half the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_graph(snapshot, list(baselines))
    finally:
        if collecting:
            gc.enable()


def _build_graph(snapshot: Snapshot, baselines: list[BaselineInfo]) -> nx.MultiDiGraph:
    import networkx as nx

    nodes = _node_attrs(snapshot)
    for baseline in baselines:
        nodes[baseline.node] = {"kind": "baseline", "title": baseline.name, "date": baseline.date, "commit": baseline.commit}
    # Filled directly rather than through add_edges_from, which is about twice as
    # slow at 100,000+ edges; tests compare the result with the public API's.
    succ: dict[str, dict[str, dict[str, dict[str, Any]]]] = {node: {} for node in nodes}
    pred: dict[str, dict[str, dict[str, dict[str, Any]]]] = {node: {} for node in nodes}
    for source, target, kind, attrs in graph_edges(snapshot, baselines):
        if source not in nodes or target not in nodes:
            continue
        keyed = succ[source].get(target)
        if keyed is None:
            keyed = succ[source][target] = pred[target][source] = {}
        if kind in keyed:
            merged = {**keyed[kind], **attrs}  # e.g. minutes approve it and the request names them
            if merged != keyed[kind]:
                keyed[kind] = merged
        else:
            keyed[kind] = attrs
    graph = nx.MultiDiGraph()
    graph._node = nodes  # noqa: SLF001
    graph._adj = succ  # noqa: SLF001
    graph._succ = succ  # noqa: SLF001
    graph._pred = pred  # noqa: SLF001
    return graph


def build_graph_slowly(snapshot: Snapshot, baselines: Iterable[BaselineInfo] = ()) -> nx.MultiDiGraph:
    """The same graph through networkx's public API; the tests' reference."""
    import networkx as nx

    baselines = list(baselines)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(_node_attrs(snapshot).items())
    for baseline in baselines:
        graph.add_node(baseline.node, kind="baseline", title=baseline.name, date=baseline.date, commit=baseline.commit)
    for source, target, kind, attrs in graph_edges(snapshot, baselines):
        if source in graph and target in graph:
            if graph.has_edge(source, target, key=kind):
                graph.edges[source, target, kind].update(attrs)
            else:
                graph.add_edge(source, target, key=kind, **attrs)
    return graph


def load_graph(repo: SpecRepo | None, snapshot: Snapshot) -> nx.MultiDiGraph:
    """The graph of a snapshot, baselines included."""
    return build_graph(snapshot, load_baseline_infos(repo, snapshot))


# --- walking --------------------------------------------------------------------------


def reachable(graph: nx.MultiDiGraph, start: str, kinds: Iterable[str], *, backwards: bool = False) -> list[str]:
    """Every node reachable from `start` over edges of `kinds` (against their direction
    with `backwards`), nearest first; safe on cycles."""
    wanted = set(kinds)
    adjacency = graph._pred if backwards else graph._succ  # noqa: SLF001
    seen = {start}
    order = []
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for other, keyed in adjacency.get(node, {}).items():
            if other not in seen and wanted.intersection(keyed):
                seen.add(other)
                order.append(other)
                queue.append(other)
    return order


def neighbourhood(graph: nx.MultiDiGraph, focus: str, depth: int) -> nx.MultiDiGraph:
    """The subgraph of items within `depth` links of `focus`, either direction."""
    # networkx's ego_graph(undirected=True) first copies the whole graph undirected.
    seen = {focus}
    frontier = [focus]
    for _ in range(depth):
        reached = []
        for node in frontier:
            for other in (*graph._succ[node], *graph._pred[node]):  # noqa: SLF001
                if other not in seen:
                    seen.add(other)
                    reached.append(other)
        frontier = reached
    return graph.subgraph(seen)
