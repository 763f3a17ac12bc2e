"""The evidence graph: one snapshot's requirements, records and baselines, linked.

The one module that builds it, as an `EvidenceGraph`: plain adjacency maps of
our own, which the queries (trace, impact, status), the graph cache and its
patches read and write directly. networkx is only for what needs a library —
an export (GraphML) or an algorithm — through `EvidenceGraph.to_networkx`.
Nodes are item ids — baselines are `baseline/NAME` — with a `kind`; every
edge has a `type`:

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
from collections import deque
from collections.abc import Collection, Iterable, Iterator, MutableMapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reqtrace.core.model import Snapshot
from reqtrace.graph.status_facts import status_facts

if TYPE_CHECKING:
    import networkx as nx

    from reqtrace.baselines.baseline import Baseline, SignOff
    from reqtrace.core.config import SpecRepo

PARENT = "parent"
SOURCE = "source"
REFS = "refs"
AFFECTS = "affects"
DECIDES = "decides"
THREAD = "thread"
IN_BASELINE = "in-baseline"
EDGE_TYPES = (PARENT, SOURCE, REFS, AFFECTS, DECIDES, THREAD, IN_BASELINE)


# Shared attribute dicts for the plain edges: 100,000 edges need not own 100,000 dicts.
_PLAIN = {kind: {"type": kind} for kind in EDGE_TYPES}

_PLAIN_PARENT, _PLAIN_SOURCE, _PLAIN_REFS = _PLAIN[PARENT], _PLAIN[SOURCE], _PLAIN[REFS]

Link = tuple[str, str, str, dict[str, Any]]  # (from, to, type, attributes)
Keyed = dict[str, dict[str, Any]]  # edge type -> attributes: every link between two nodes
Record = tuple[str, str, dict[str, Any], tuple[Link, ...], tuple[Any, ...] | None, tuple[Any, ...]]  # see item_record


def baseline_node(name: str) -> str:
    return f"baseline/{name}"


# The graph holds baselines as baselines.baseline.Baseline (issue 15: one baseline type);
# what it reads of one is below.


def node_of(baseline: Baseline) -> str:
    return baseline_node(baseline.name)


def baseline_date(baseline: Baseline) -> str | None:
    """When the baseline was made (a tag's date for a tag without a manifest); None if unknown."""
    return baseline.created or None


def signoff_evidence(signoff: SignOff) -> str | None:
    """The document id of the scan or letter a recorded sign-off rests on, if any."""
    return signoff.evidence.document if signoff.evidence else None


def baseline_facts(baseline: Baseline) -> tuple[Any, ...]:
    """Everything the graph reads of a baseline, as plain data: what the graph cache keeps
    (`baseline_of_facts` reads it back) and what a patch compares to see a baseline moved."""
    return (
        baseline.name,
        baseline.requirement_ids,
        baseline_date(baseline),
        baseline.commit,
        tuple((s.signer, s.meaning, s.role, s.time, s.path, signoff_evidence(s)) for s in baseline.active_signoffs),
    )


def baseline_of_facts(facts: tuple[Any, ...] | list[Any]) -> Baseline:
    """A Baseline with what `baseline_facts` kept, and nothing else: no digests, no
    signatures, only the sign-offs in force."""
    from reqtrace.baselines.baseline import BaselineEntry, Evidence, SignOff, revision_baseline

    name, requirements, date, commit, signoffs = facts
    return replace(
        revision_baseline(name, commit),
        created=date or "",
        requirements=tuple(BaselineEntry(req_id, "", "") for req_id in requirements),
        signoffs=tuple(
            SignOff(id="", path=path, baseline=name, algorithm="", root_digest="", signer=signer, meaning=meaning, time=time,
                    method="", statement="", role=role, evidence=Evidence("", "", evidence) if evidence else None)
            for signer, meaning, role, time, path, evidence in signoffs
        ),
    )



class EvidenceGraph:
    """A directed graph with typed links, kept as plain maps:

        nodes[id]            the node's attributes (`kind`, `title`, ...)
        succ[u][v], pred[v][u]  the same dict: edge type -> that link's attributes
        facts[id]            status_facts.status_facts of an item's node, when kept beside
                             it (a graph from the cache); None when not kept

    At most one link of each type goes from one node to another. The maps are
    public: building fills them, a patch (graph/patch.py) edits them in place,
    and the cache (graph_cache.LazyGraph) gives maps that read each node when it
    is first visited.
    """

    def __init__(
        self,
        nodes: MutableMapping[str, dict[str, Any]] | None = None,
        succ: MutableMapping[str, Any] | None = None,
        pred: MutableMapping[str, Any] | None = None,
        facts: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.nodes: MutableMapping[str, dict[str, Any]] = {} if nodes is None else nodes
        self.succ: MutableMapping[str, dict[str, Keyed]] = {} if succ is None else succ
        self.pred: MutableMapping[str, dict[str, Keyed]] = {} if pred is None else pred
        self.facts = facts

    def __contains__(self, node: object) -> bool:
        return node in self.nodes

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def number_of_nodes(self) -> int:
        return len(self)

    def number_of_edges(self) -> int:
        return sum(len(keyed) for node in self for keyed in self.succ[node].values())

    def edges(self) -> Iterator[Link]:
        """(from, to, type, attributes) of every link."""
        for source in self:
            for target, keyed in self.succ[source].items():
                for kind, attrs in keyed.items():
                    yield source, target, kind, attrs

    def linked(self, node: str, kinds: frozenset[str], *, backwards: bool = False) -> Iterator[str]:
        """The nodes `node` links to (with `backwards`, those linking to it) by a link of
        one of `kinds`; none for a node that is not there."""
        adjacency = self.pred if backwards else self.succ
        for other, keyed in adjacency.get(node, {}).items():
            if not kinds.isdisjoint(keyed):
                yield other

    def link(self, source: str, target: str, kind: str) -> dict[str, Any] | None:
        """The attributes of the link of type `kind` from `source` to `target`; None when there is none."""
        return self.succ.get(source, {}).get(target, {}).get(kind)  # type: ignore[no-any-return]

    def add_node(self, node: str, **attrs: Any) -> None:
        if node in self.nodes:
            self.nodes[node].update(attrs)
        else:
            self.nodes[node] = attrs
            self.succ[node], self.pred[node] = {}, {}

    def add_edge(self, source: str, target: str, kind: str, **attrs: Any) -> None:
        """Link two nodes that exist; a second link of the same type adds its attributes."""
        keyed = self.succ[source].get(target)
        if keyed is None:
            keyed = self.succ[source][target] = self.pred[target][source] = {}
        merge_link(keyed, kind, attrs)

    def subgraph(self, keep: Collection[str]) -> EvidenceGraph:
        """The nodes in `keep` and the links among them (attributes shared, not copied)."""
        kept = {node: self.nodes[node] for node in self if node in keep}
        succ = {node: {other: keyed for other, keyed in self.succ[node].items() if other in kept} for node in kept}
        pred = {node: {other: keyed for other, keyed in self.pred[node].items() if other in kept} for node in kept}
        return EvidenceGraph(kept, succ, pred)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The same graph as a networkx MultiDiGraph keyed by edge type (its own copies of
        the attributes), for what needs the library: an export, an algorithm."""
        import networkx as nx  # only the exports need it: not loaded by trace, impact or status

        graph = nx.MultiDiGraph()
        graph.add_nodes_from((node, dict(self.nodes[node])) for node in self)
        graph.add_edges_from((source, target, kind, dict(attrs)) for source, target, kind, attrs in self.edges())
        return graph


# --- baselines ------------------------------------------------------------------------


def load_graph_baselines(repo: SpecRepo | None, snapshot: Snapshot) -> list[Baseline]:
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


def _module_baselines(repo: SpecRepo, snapshot: Snapshot) -> list[Baseline]:
    from reqtrace.baselines.baseline import baselines_of, folder_of, scan_baselines

    # Scanned once per snapshot (baselines_of): `status` reads the same scan after the graph's.
    scanned = baselines_of(snapshot) if snapshot.repo is repo else scan_baselines(repo, snapshot.commit)
    # broken ones are check's business; the graph names a baseline by its folder, as status does
    return [replace(baseline, name=folder_of(baseline) or baseline.name) for baseline in scanned.baselines]


def _tag_baselines(repo: SpecRepo, snapshot: Snapshot, skip: set[str]) -> list[Baseline]:
    from reqtrace.baselines.baseline import BaselineEntry, revision_baseline
    from reqtrace.core.snapshot import load_snapshot
    from reqtrace.io import gitio

    assert repo.git_top is not None
    found = []
    for tag in gitio.list_tags(repo.git_top, "baseline/"):
        name, commit = tag.name, tag.commit
        if name in skip:
            continue
        if snapshot.commit is not None and not _is_ancestor(repo, commit, snapshot.commit):
            continue  # a baseline made after the revision being read
        try:
            ids = sorted(load_snapshot(repo, commit).requirements)
        except Exception:  # noqa: BLE001 - an unreadable baseline commit must not stop trace
            ids = []
        # No manifest yet, so no digests: the graph reads only which requirements it holds.
        entries = tuple(BaselineEntry(req_id, "", "") for req_id in ids)
        found.append(replace(revision_baseline(name, commit), created=tag.created or "", requirements=entries))
    return found


def _is_ancestor(repo: SpecRepo, ancestor: str, commit: str) -> bool:
    from reqtrace.io import gitio

    assert repo.git_top is not None
    return gitio.is_ancestor(repo.git_top, ancestor, commit)


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


def node_attrs(item: Any) -> dict[str, Any]:
    """The attributes of an item's node."""
    kind = item.kind
    if kind == "requirement":
        return {"kind": "requirement", "title": item.title, "status": item.status, "path": item.path}
    if kind == "request":
        attrs = {"kind": "request", "title": item.title, "date": item.received, "status": _request_state(item), "decision": _decision_text(item), "path": item.path}
        if item.decision is not None and item.decision.on:
            attrs["decided_on"] = item.decision.on  # the decision is an event of its own in a timeline
        return attrs
    if kind == "meeting":
        return {"kind": "meeting", "title": item.title, "date": item.date, "path": item.path}
    if kind == "email":
        return {"kind": "email", "title": item.title, "date": item.date, "from": item.from_, "path": item.path}
    return {"kind": "document", "title": item.title, "date": item.date, "path": item.path}


def item_links(item: Any) -> tuple[Link, ...]:
    """(from, to, type, attributes) for every link one item makes, dangling ones included —
    except an email's thread links, which depend on the other emails (see `thread_links`).

    Most links go from the item; a request's decision goes from the record that decided it.
    """
    # Plain loops: this runs for every item of a 60,000-item graph.
    item_id = item.id
    kind = item.kind
    links: list[Link] = []
    add = links.append
    if kind == "requirement":
        if item.reviewed:
            # A review stamp rides on its link, so that trace and impact can tell a
            # suspect link (changes/suspect.py) without reading the child's file again.
            stamps = dict(item.reviewed)
            for parent in item.parents:
                stamp = stamps.get(parent)
                add((item_id, parent, PARENT, {"type": PARENT, "reviewed": stamp} if stamp else _PLAIN_PARENT))
        else:
            for parent in item.parents:
                add((item_id, parent, PARENT, _PLAIN_PARENT))
        for source in item.sources:
            add((item_id, source, SOURCE, _PLAIN_SOURCE))
    elif kind == "request":
        for source in item.sources:
            add((item_id, source, SOURCE, _PLAIN_SOURCE))
        for ref in item.refs:
            add((item_id, ref, REFS, _PLAIN_REFS))
        for target in item.affects:
            add((item_id, target, AFFECTS, _PLAIN[AFFECTS]))
        decision = item.decision
        if decision is not None and decision.in_ and decision.status in ("approved", "rejected"):
            attrs = {"type": DECIDES, "decision": decision.status}
            if decision.on:
                attrs["date"] = decision.on
            if decision.by:
                attrs["by"] = decision.by
            add((decision.in_, item_id, DECIDES, attrs))
    elif kind == "meeting":
        for ref in item.refs:
            add((item_id, ref, REFS, _PLAIN_REFS))
        for entry in item.decisions:
            for ref in entry.refs:
                add((item_id, ref, REFS, {"type": REFS, "decision": entry.text}))
            for target in entry.approves:
                add((item_id, target, DECIDES, {"type": DECIDES, "decision": "approved", "text": entry.text, "date": item.date}))
            for target in entry.rejects:
                add((item_id, target, DECIDES, {"type": DECIDES, "decision": "rejected", "text": entry.text, "date": item.date}))
    else:  # email, document
        for ref in item.refs:
            add((item_id, ref, REFS, _PLAIN_REFS))
    return tuple(links)


def item_record(item: Any) -> Record:
    """What the graph (and the status beside it) takes from one item:
    (id, kind, node attributes, links, thread data, status facts).

    Thread data, for emails only: (Message-ID, thread ids, In-Reply-To ids); status
    facts: status_facts.status_facts. Plain tuples, dicts and text, so that the graph
    cache can store them.
    """
    mail = (item.message_id, item.thread, item.in_reply_to) if item.kind == "email" else None
    return (item.id, item.kind, node_attrs(item), item_links(item), mail, status_facts(item))


def snapshot_records(snapshot: Snapshot) -> list[Record]:
    """The records of every item, in the order the graph is built from."""
    return [item_record(item) for items in (snapshot.requirements, *snapshot.record_maps()) for item in items.values()]


def message_ids(records: Iterable[Record]) -> dict[str, str]:
    """Message-ID -> the id of the email that has it (the last one, when several do)."""
    return {record[4][0]: record[0] for record in records if record[4] is not None and record[4][0]}


def thread_links(record: Record, by_message_id: dict[str, str]) -> Iterator[Link]:
    """An email's links to the emails it replies to: its `thread` ids, then its In-Reply-To resolved."""
    mail_id, mail = record[0], record[4]
    if mail is None:
        return
    _message_id, thread, in_reply_to = mail
    parents = dict.fromkeys(thread)
    for message_id in in_reply_to:
        if message_id in by_message_id:
            parents[by_message_id[message_id]] = None
    for parent in parents:
        if parent != mail_id:
            yield mail_id, parent, THREAD, _PLAIN[THREAD]


def resolved_links(record: Record, by_message_id: dict[str, str]) -> Iterator[Link]:
    yield from record[3]
    if record[4] is not None:
        yield from thread_links(record, by_message_id)


def baseline_attrs(baseline: Baseline) -> dict[str, Any]:
    return {"kind": "baseline", "title": baseline.name, "date": baseline_date(baseline), "commit": baseline.commit}


def baseline_links(baseline: Baseline) -> Iterator[Link]:
    node = node_of(baseline)
    for entry in baseline.requirements:
        yield entry.id, node, IN_BASELINE, _PLAIN[IN_BASELINE]
    for signoff in baseline.active_signoffs:
        evidence = signoff_evidence(signoff)
        if evidence:
            yield node, evidence, REFS, {"type": REFS, "signoff": f"{signoff.meaning} by {signoff.signer}", "date": signoff.time}


def graph_edges(snapshot: Snapshot, baselines: Iterable[Baseline] = ()) -> Iterable[Link]:
    """(from, to, type, attributes) for every link in the snapshot, dangling ones included."""
    return records_edges(snapshot_records(snapshot), baselines)


def records_edges(records: list[Record], baselines: Iterable[Baseline] = ()) -> Iterator[Link]:
    by_message_id = message_ids(records)
    for record in records:
        yield from record[3]
        if record[4] is not None:
            yield from thread_links(record, by_message_id)
    for baseline in baselines:
        yield from baseline_links(baseline)


def merge_link(keyed: dict[str, dict[str, Any]], kind: str, attrs: dict[str, Any]) -> None:
    """Add one link to the links between two nodes, keyed by type; a second link of the
    same type adds its attributes (e.g. minutes approve it and the request names them)."""
    if kind in keyed:
        merged = {**keyed[kind], **attrs}
        if merged != keyed[kind]:
            keyed[kind] = merged  # a new dict: the first may be shared (_PLAIN)
    else:
        keyed[kind] = attrs


def build_graph(snapshot: Snapshot, baselines: Iterable[Baseline] = ()) -> EvidenceGraph:
    """The evidence graph of one snapshot."""
    return build_graph_and_records(snapshot, baselines)[0]


def build_graph_and_records(snapshot: Snapshot, baselines: Iterable[Baseline] = ()) -> tuple[EvidenceGraph, list[Record]]:
    """The evidence graph of one snapshot, and the records (`item_record`) it was built from."""
    # Building makes hundreds of thousands of small dicts and frees none; the cyclic
    # garbage collector would walk them again and again for nothing (half the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        records = snapshot_records(snapshot)
        return _build_graph(records, list(baselines)), records
    finally:
        if collecting:
            gc.enable()


def _build_graph(records: list[Record], baselines: list[Baseline]) -> EvidenceGraph:
    nodes = {record[0]: record[2] for record in records}
    for baseline in baselines:
        nodes[node_of(baseline)] = baseline_attrs(baseline)
    # The maps filled inline rather than through add_edge (a call per link costs a
    # third more at 100,000+ links); tests compare the result with networkx's.
    succ: dict[str, dict[str, Keyed]] = {node: {} for node in nodes}
    pred: dict[str, dict[str, Keyed]] = {node: {} for node in nodes}
    for source, target, kind, attrs in records_edges(records, baselines):
        if source not in nodes or target not in nodes:
            continue
        keyed = succ[source].get(target)
        if keyed is None:
            keyed = succ[source][target] = pred[target][source] = {}
        if kind in keyed:
            merge_link(keyed, kind, attrs)
        else:
            keyed[kind] = attrs
    return EvidenceGraph(nodes, succ, pred)


def build_graph_slowly(snapshot: Snapshot, baselines: Iterable[Baseline] = ()) -> nx.MultiDiGraph:
    """The same graph built independently, through networkx's public API: the tests' reference."""
    import networkx as nx

    baselines = list(baselines)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from((record[0], record[2]) for record in snapshot_records(snapshot))
    for baseline in baselines:
        graph.add_node(node_of(baseline), kind="baseline", title=baseline.name, date=baseline_date(baseline), commit=baseline.commit)
    for source, target, kind, attrs in graph_edges(snapshot, baselines):
        if source in graph and target in graph:
            if graph.has_edge(source, target, key=kind):
                graph.edges[source, target, kind].update(attrs)
            else:
                graph.add_edge(source, target, key=kind, **attrs)
    return graph


# --- walking --------------------------------------------------------------------------


def reachable(graph: EvidenceGraph, start: str, kinds: Iterable[str], *, backwards: bool = False) -> list[str]:
    """Every node reachable from `start` over edges of `kinds` (against their direction
    with `backwards`), nearest first; safe on cycles."""
    wanted = frozenset(kinds)
    seen = {start}
    order = []
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for other in graph.linked(node, wanted, backwards=backwards):
            if other not in seen:
                seen.add(other)
                order.append(other)
                queue.append(other)
    return order


def neighbourhood(graph: EvidenceGraph, focus: str, depth: int, *, stop_at: frozenset[str] = frozenset()) -> EvidenceGraph:
    """The subgraph of items within `depth` links of `focus`, either direction.

    Items of a kind in `stop_at` are reached but not walked through: a baseline
    links to every requirement it holds, so two links through it would pull in
    the whole project.
    """
    # A walk both ways; networkx's ego_graph(undirected=True) would first copy the whole graph.
    seen = {focus}
    frontier = [focus]
    for _ in range(depth):
        reached = []
        for node in frontier:
            if node != focus and graph.nodes[node].get("kind") in stop_at:
                continue
            for other in (*graph.succ[node], *graph.pred[node]):
                if other not in seen:
                    seen.add(other)
                    reached.append(other)
        frontier = reached
    return graph.subgraph(seen)
