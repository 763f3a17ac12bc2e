"""Bringing a built evidence graph up to date with the files that changed since.

A graph is a function of its snapshot's items, and every item comes from one
file, parsed on its own. Given the files that differ between the state a graph
was built from and the state asked for, only those files are parsed again —
plus the files of the few items whose links must be redone with them — and
only the nodes and links that depend on them change. The rules are those of
`graph.build_graph`, so the result equals a fresh build (the tests compare
the two, after thousands of random edits):

- an id defined twice belongs to its first definition, by file path and then
  position in the file (the loader's rule); the others are shadowed;
- the links between two nodes come only from those two nodes' items (or
  baselines): `u -> v` is made by `u` itself, or by `v` when `v` is a request
  (its decision names the record that decided it) or a baseline (it holds a
  requirement). So when anything about a pair may have changed, it is rebuilt
  from its two ends, merged in the order a build meets them (kind, then path,
  then position);
- a link to an id that is not a node is left out, and comes back when the id
  does: `GraphIndex.dangling` remembers who may link to a missing id;
- an email's In-Reply-To resolves through the Message-IDs of all emails (the
  last email, in the build's order, that has one is the one it names).

What a patch needs beyond the graph is kept in a `GraphIndex` of plain maps,
stored in the graph cache and so a hint like it (graph/cache.py, io/cachefile.py):
checked by its content hash before use, and an index that fails a patch in
any way means a fresh build, never a crash.
The graph's maps (`EvidenceGraph.nodes`, `succ`, `pred`, and `facts` where
kept) are patched in place; new nodes come last, so the graph equals a fresh
build's as a graph (same nodes, links and attributes), not in dict order — the
queries sort what they show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reqtrace.graph.graph import (
    DECIDES,
    THREAD,
    EvidenceGraph,
    Link,
    Record,
    baseline_attrs,
    baseline_facts,
    baseline_links,
    merge_link,
    message_ids,
    node_of,
    resolved_links,
)

if TYPE_CHECKING:
    from reqtrace.baselines.baseline import Baseline

KIND_ORDER = {"requirement": 0, "request": 1, "meeting": 2, "email": 3, "document": 4}
BASELINE_RANK = len(KIND_ORDER)  # baselines' links come after every item's
BASELINE_PREFIX = "baseline/"
LINKED_INTO = ("request",)  # item kinds whose records also make links that end at them

Definition = tuple[str, int, Record]  # (path, position in the file, record)
ReadRecords = Callable[[list[str]], dict[str, tuple[Record, ...]]]


class CannotPatch(Exception):
    """The change is one this module does not follow; build the graph afresh."""


@dataclass
class GraphIndex:
    """What patching a graph needs beyond the graph: plain maps, all kept up to date."""

    ids_by_path: dict[str, tuple[str, ...]]  # spec path -> the ids whose (winning) item it holds
    shadowed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> every file defining it, when several do
    dangling: dict[str, tuple[str, ...]] = field(default_factory=dict)  # missing id -> items that may link to it
    message_holder: dict[str, str] = field(default_factory=dict)  # Message-ID -> the email it names (graph.message_ids)
    message_mails: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Message-ID -> every email that has it
    replies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Message-ID -> emails that may reply to it

    def as_plain(self) -> tuple[Any, ...]:
        return (self.ids_by_path, self.shadowed, self.dangling, self.message_holder, self.message_mails, self.replies)

    @classmethod
    def from_plain(cls, data: tuple[Any, ...]) -> GraphIndex:
        return cls(*data)


def build_index(records: list[Record], baselines: list[Baseline], shadowed_files: dict[str, tuple[Record, ...]]) -> GraphIndex:
    """The index of a graph freshly built from `records` (the snapshot's items, in build order).

    `shadowed_files`: the records of every file holding an item the loader left
    out for a duplicate id (the snapshot does not keep those).
    """
    ids_by_path: dict[str, list[str]] = {}
    for record in records:
        ids_by_path.setdefault(record[2]["path"], []).append(record[0])
    index = GraphIndex({path: tuple(ids) for path, ids in ids_by_path.items()})
    where: dict[str, set[str]] = {}
    for path, found in shadowed_files.items():
        for record in found:
            where.setdefault(record[0], set()).add(path)
    winners = {record[0]: record[2]["path"] for record in records if record[0] in where} if where else {}
    for item_id, paths in where.items():
        every = paths | ({winners[item_id]} if item_id in winners else set())
        if len(every) > 1:
            index.shadowed[item_id] = tuple(sorted(every))
    nodes = {record[0] for record in records} | {node_of(baseline) for baseline in baselines}
    holders = message_ids(records)
    index.message_holder = holders
    dangling: dict[str, set[str]] = {}
    mails: dict[str, list[str]] = {}
    replies: dict[str, list[str]] = {}
    for record in records:
        for source, target, _kind, _attrs in resolved_links(record, holders):
            for end in (source, target):
                if end not in nodes:
                    dangling.setdefault(end, set()).add(record[0])
        if record[4] is not None:
            message_id, _thread, in_reply_to = record[4]
            if message_id:
                mails.setdefault(message_id, []).append(record[0])
            for replied in in_reply_to:
                replies.setdefault(replied, []).append(record[0])
    for baseline in baselines:
        for source, target, _kind, _attrs in baseline_links(baseline):
            for end in (source, target):
                if end not in nodes:
                    dangling.setdefault(end, set()).add(node_of(baseline))
    index.dangling = {item_id: tuple(sorted(makers)) for item_id, makers in dangling.items()}
    index.message_mails = {message_id: tuple(found) for message_id, found in mails.items()}
    index.replies = {message_id: tuple(found) for message_id, found in replies.items()}
    return index


@dataclass
class PatchReport:
    files: int = 0  # changed files parsed
    read: int = 0  # unchanged files parsed for the records of linked items
    items: int = 0  # items defined in the changed files, before or after
    links: int = 0  # node pairs whose links were rebuilt


def patch_graph(
    graph: EvidenceGraph,
    index: GraphIndex,
    changed: dict[str, tuple[Record, ...]],
    old_baselines: list[Baseline],
    new_baselines: list[Baseline],
    read_records: ReadRecords,
    *,
    max_reads: int | None = None,
) -> PatchReport:
    """Update `graph` (an EvidenceGraph, or the cache's LazyGraph) and
    `index` in place: the files in `changed` now hold those records (none: the file is
    gone or holds no items), the baselines are `new_baselines`. `read_records` parses
    unchanged files, at most `max_reads` of them (else CannotPatch)."""
    patch = _Patch(graph, index, changed, old_baselines, new_baselines, read_records, max_reads)
    patch.find_ids_in_play()
    patch.move_ids_between_files()
    reresolved = _update_message_ids(index, patch.nodes, patch.in_play, patch.existed, patch.after, patch.read, patch.first_definition)
    patch.find_pairs_to_relink(reresolved)
    patch.update_nodes()
    patch.relink_pairs()
    return patch.report


class _Patch:
    """One patch, in the stages `patch_graph` runs: what each stage finds, the next reads."""

    def __init__(
        self,
        graph: EvidenceGraph,
        index: GraphIndex,
        changed: dict[str, tuple[Record, ...]],
        old_baselines: list[Baseline],
        new_baselines: list[Baseline],
        read_records: ReadRecords,
        max_reads: int | None,
    ) -> None:
        self.nodes, self.succ, self.pred = graph.nodes, graph.succ, graph.pred
        self.facts = graph.facts  # status facts beside each node, where the graph keeps them
        self.index, self.changed = index, changed
        self.old_baselines, self.new_baselines = old_baselines, new_baselines
        self.old_by_node = {node_of(baseline): baseline for baseline in old_baselines}
        self.new_by_node = {node_of(baseline): baseline for baseline in new_baselines}
        self.read_records, self.max_reads = read_records, max_reads
        self.report = PatchReport(files=len(changed))
        self.files: dict[str, tuple[Record, ...]] = dict(changed)  # every file read in this patch
        self.in_play: set[str] = set()  # ids whose definitions may change
        self.existed: dict[str, bool] = {}  # id in play -> it was a node before
        self.after: dict[str, Definition | None] = {}  # id in play -> where it is defined now
        self.pairs: set[tuple[str, str]] = set()  # node pairs whose links are rebuilt
        self.new_links: list[tuple[str, Link]] = []  # (maker, link) made now
        self.moved_baselines: list[str] = []

    def read(self, paths: Iterable[str]) -> None:
        missing = sorted({path for path in paths if path not in self.files})
        if not missing:
            return
        self.report.read += len(missing)
        if self.max_reads is not None and self.report.read > self.max_reads:
            raise CannotPatch(f"{self.report.read} linked files to read")
        found = self.read_records(missing)
        for path in missing:
            self.files[path] = found.get(path, ())

    def first_definition(self, item_id: str, paths: Iterable[str]) -> Definition | None:
        for path in sorted(paths):
            for position, record in enumerate(self.files[path]):
                if record[0] == item_id:
                    return path, position, record
        return None

    def find_ids_in_play(self) -> None:
        """1. The ids whose definitions may change: defined in a changed file, before or after."""
        nodes, index, changed, in_play = self.nodes, self.index, self.changed, self.in_play
        defined_now: dict[str, set[str]] = {}
        for path, records in changed.items():
            in_play.update(index.ids_by_path.get(path, ()))
            for record in records:
                in_play.add(record[0])
                defined_now.setdefault(record[0], set()).add(path)
        in_play.update(item_id for item_id, paths in index.shadowed.items() if not changed.keys().isdisjoint(paths))
        if any(item_id.startswith(BASELINE_PREFIX) for item_id in in_play) or any(
            node in nodes and node not in self.old_by_node for node in self.new_by_node
        ):
            raise CannotPatch("an item id looks like a baseline's node")
        self.report.items = len(in_play)
        self.existed = existed = {item_id: item_id in nodes for item_id in in_play}
        old_paths: dict[str, tuple[str, ...]] = {}
        for item_id in in_play:
            old_paths[item_id] = index.shadowed.get(item_id) or ((nodes[item_id]["path"],) if existed[item_id] else ())
        new_paths = {
            item_id: sorted({path for path in old_paths[item_id] if path not in changed} | defined_now.get(item_id, set()))
            for item_id in in_play
        }
        self.read(path for paths in new_paths.values() for path in paths)
        self.after = {item_id: self.first_definition(item_id, new_paths[item_id]) for item_id in in_play}
        for item_id, paths in new_paths.items():
            if len(paths) > 1:
                index.shadowed[item_id] = tuple(paths)
            else:
                index.shadowed.pop(item_id, None)

    def move_ids_between_files(self) -> None:
        """2. Which file holds each id's item now."""
        nodes, index, changed, after = self.nodes, self.index, self.changed, self.after
        for item_id in self.in_play:
            old_path = nodes[item_id]["path"] if self.existed[item_id] else None
            now = after[item_id]
            new_path = now[0] if now is not None else None
            if old_path is not None and old_path != new_path:
                _drop(index.ids_by_path, old_path, item_id)
            if new_path is not None and new_path != old_path:
                index.ids_by_path[new_path] = (*index.ids_by_path.get(new_path, ()), item_id)
        for path in changed:
            index.ids_by_path.pop(path, None)
            winners = tuple(record[0] for position, record in enumerate(changed[path]) if after[record[0]] == (path, position, record))
            if winners:
                index.ids_by_path[path] = winners

    def find_pairs_to_relink(self, reresolved: set[str]) -> None:
        """4. The node pairs whose links may change: everything an item in play made before
        (its links out, and a request's decision into it) and makes now; and the emails
        whose replies resolve elsewhere (`reresolved`, step 3), and the baselines that moved."""
        nodes, succ, pred, index, after = self.nodes, self.succ, self.pred, self.index, self.after
        pairs, new_links = self.pairs, self.new_links
        for item_id in self.in_play:
            if self.existed[item_id]:
                pairs.update((item_id, target) for target in succ[item_id])
                pairs.update((source, item_id) for source, keyed in pred[item_id].items() if DECIDES in keyed)
            now = after[item_id]
            if now is not None:
                new_links.extend((item_id, link) for link in resolved_links(now[2], index.message_holder))
        for mail_id in reresolved:
            pairs.update((mail_id, target) for target, keyed in succ[mail_id].items() if THREAD in keyed)
            definition = _definition_of(mail_id, nodes, index, self.read, self.first_definition)
            new_links.extend((mail_id, link) for link in resolved_links(definition[2], index.message_holder))
        old_by_node, new_by_node = self.old_by_node, self.new_by_node
        # Compared by what the graph reads of them: one from the cache keeps nothing else.
        old_facts = {node: baseline_facts(baseline) for node, baseline in old_by_node.items()}
        new_facts = {node: baseline_facts(baseline) for node, baseline in new_by_node.items()}
        self.moved_baselines = sorted(node for node in old_facts.keys() | new_facts.keys() if old_facts.get(node) != new_facts.get(node))
        for node in self.moved_baselines:
            if node in old_by_node:
                pairs.update((source, target) for source, target, _kind, _attrs in baseline_links(old_by_node[node]))
            if node in new_by_node:
                new_links.extend((node, link) for link in baseline_links(new_by_node[node]))
        pairs.update((link[0], link[1]) for _maker, link in new_links)

    def update_nodes(self) -> None:
        """5. Nodes: gone, new, or with new attributes; links to a node that is back."""
        nodes, succ, pred, index, after, facts = self.nodes, self.succ, self.pred, self.index, self.after, self.facts
        new_by_node = self.new_by_node
        appeared: list[str] = []
        for item_id in sorted(self.in_play):
            found = after[item_id]
            if found is None:
                if self.existed[item_id]:
                    _remove_node(item_id, nodes, succ, pred, index)
            else:
                if not self.existed[item_id]:
                    nodes[item_id] = found[2][2]
                    succ[item_id], pred[item_id] = {}, {}
                    appeared.append(item_id)
                elif nodes[item_id] != found[2][2]:
                    nodes[item_id] = found[2][2]
                if facts is not None:
                    facts[item_id] = found[2][5]
        for node in self.moved_baselines:
            if node not in new_by_node:
                _remove_node(node, nodes, succ, pred, index)
            elif node not in self.old_by_node:
                nodes[node] = baseline_attrs(new_by_node[node])
                succ[node], pred[node] = {}, {}
                appeared.append(node)
            else:
                nodes[node] = baseline_attrs(new_by_node[node])
        for node in appeared:
            # Links that pointed at this id while it did not exist are back.
            makers = index.dangling.pop(node, ())
            self.read(nodes[maker]["path"] for maker in makers if maker in nodes and maker not in new_by_node and maker not in after)
            for maker in makers:
                made = _links_of(maker, nodes, index, new_by_node, after, self.read, self.first_definition)
                self.pairs.update((source, target) for source, target, _kind, _attrs in made if node in (source, target))
        for maker, (source, target, _kind, _attrs) in self.new_links:
            for end in (source, target):
                if end not in nodes:
                    _add(index.dangling, end, maker)

    def relink_pairs(self) -> None:
        """6. Rebuild the links of every pair touched, from the pair's two ends."""
        nodes, succ, pred, index, after, new_by_node = self.nodes, self.succ, self.pred, self.index, self.after, self.new_by_node
        pairs = self.pairs
        self.read(
            nodes[end]["path"]
            for source, target in pairs
            if source in nodes and target in nodes
            for end in (source, target)
            if end not in new_by_node and end not in after and (end == source or nodes[end].get("kind") in LINKED_INTO)
        )
        for source, target in pairs:
            if source not in nodes or target not in nodes:
                continue  # a missing end: removed with the node, or never there
            makers = (source,) if source == target else (source, target)
            ranked = []
            for maker in makers:
                if maker != source and maker not in new_by_node and nodes[maker].get("kind") not in LINKED_INTO:
                    continue
                ranked.append((_rank(maker, nodes, index, new_by_node, after, self.first_definition), maker))
            keyed: dict[str, dict[str, Any]] = {}
            for _rank_of, maker in sorted(ranked):
                for link_source, link_target, kind, attrs in _links_of(maker, nodes, index, new_by_node, after, self.read, self.first_definition):
                    if link_source == source and link_target == target:
                        merge_link(keyed, kind, attrs)
            if keyed:
                succ[source][target] = keyed
                pred[target][source] = keyed
            else:
                succ[source].pop(target, None)
                pred[target].pop(source, None)
        self.report.links = len(pairs)


def _drop(table: dict[str, tuple[str, ...]], key: str, value: str) -> None:
    kept = tuple(item for item in table.get(key, ()) if item != value)
    if kept:
        table[key] = kept
    else:
        table.pop(key, None)


def _add(table: dict[str, tuple[str, ...]], key: str, value: str) -> None:
    present = table.get(key, ())
    if value not in present:
        table[key] = (*present, value)


def _remove_node(node: str, nodes: Any, succ: Any, pred: Any, index: GraphIndex) -> None:
    # Its neighbours may link to it again when it comes back.
    for neighbour in (*succ[node], *pred[node]):
        if neighbour != node:
            _add(index.dangling, node, neighbour)
            if neighbour in pred and node in pred[neighbour]:
                pred[neighbour].pop(node)
            if neighbour in succ and node in succ[neighbour]:
                succ[neighbour].pop(node)
    succ.pop(node)
    pred.pop(node)
    nodes.pop(node)


def _definition_of(item_id: str, nodes: Any, index: GraphIndex, read: Callable[[Iterable[str]], None], first_definition: Any) -> Definition:
    """Where an item that is not in play is defined now (its file did not change)."""
    paths = index.shadowed.get(item_id) or (nodes[item_id]["path"],)
    read(paths)
    found = first_definition(item_id, paths)
    if found is None:  # pragma: no cover - an unchanged file still defines its items
        raise CannotPatch(f"no file defines {item_id}")
    return found  # type: ignore[no-any-return]


def _links_of(maker: str, nodes: Any, index: GraphIndex, baselines: dict[str, Baseline], after: dict[str, Definition | None], read: Any, first_definition: Any) -> list[Link]:
    if maker in baselines:
        return list(baseline_links(baselines[maker]))
    if maker in after:
        found = after[maker]
        return list(resolved_links(found[2], index.message_holder)) if found is not None else []
    if maker not in nodes:
        return []
    return list(resolved_links(_definition_of(maker, nodes, index, read, first_definition)[2], index.message_holder))


def _rank(maker: str, nodes: Any, index: GraphIndex, baselines: dict[str, Baseline], after: dict[str, Definition | None], first_definition: Any) -> tuple[int, str, int]:
    if maker in baselines:
        return (BASELINE_RANK, maker, 0)
    found = after[maker] if maker in after else first_definition(maker, index.shadowed.get(maker) or (nodes[maker]["path"],))
    assert found is not None
    return (KIND_ORDER[found[2][1]], found[0], found[1])


def _update_message_ids(
    index: GraphIndex,
    nodes: Any,
    in_play: set[str],
    existed: dict[str, bool],
    after: dict[str, Definition | None],
    read: Callable[[Iterable[str]], None],
    first_definition: Any,
) -> set[str]:
    """Bring the Message-ID maps up to date; the emails not in play whose thread links change."""
    wanted: set[str] = set()
    in_play_mails = [item_id for item_id in in_play if existed[item_id] and nodes[item_id].get("kind") == "email"]
    if in_play_mails:
        for message_id, mails in index.message_mails.items():
            for mail_id in mails:
                if mail_id in in_play:
                    wanted.add(message_id)
    for item_id in in_play:
        found = after[item_id]
        if found is not None and found[2][4] is not None:
            message_id, _thread, in_reply_to = found[2][4]
            if message_id:
                wanted.add(message_id)
            for replied in in_reply_to:
                _add(index.replies, replied, item_id)
    if not wanted:
        return set()
    moved: set[str] = set()
    for message_id in sorted(wanted):
        holders = [mail_id for mail_id in index.message_mails.get(message_id, ()) if mail_id not in in_play]
        holders += [item_id for item_id in sorted(in_play) if after[item_id] is not None and after[item_id][2][4] is not None and after[item_id][2][4][0] == message_id]  # type: ignore[index]
        if holders:
            index.message_mails[message_id] = tuple(holders)
        else:
            index.message_mails.pop(message_id, None)
        ranked = []
        for mail_id in holders:
            found = after[mail_id] if mail_id in after else None
            if found is None:
                paths = index.shadowed.get(mail_id) or (nodes[mail_id]["path"],)
                read(paths)
                found = first_definition(mail_id, paths)
            assert found is not None
            ranked.append(((found[0], found[1]), mail_id))
        holder = max(ranked)[1] if ranked else None
        if index.message_holder.get(message_id) != holder:
            moved.add(message_id)
            if holder is None:
                index.message_holder.pop(message_id, None)
            else:
                index.message_holder[message_id] = holder
    return {mail_id for message_id in moved for mail_id in index.replies.get(message_id, ()) if mail_id not in in_play and mail_id in nodes and nodes[mail_id].get("kind") == "email"}
