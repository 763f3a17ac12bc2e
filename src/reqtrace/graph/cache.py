"""Built evidence graphs, kept in `.git/reqtrace/graph/`, so that `trace` and `impact`
answer without reading 60,000 files again — also right after an edit.

It is one of the kept results of core/cachestore.py, under its key scheme: the
entry's name is the code stamp (reqtrace's version and the code of the
modules that compute what is kept) and a hash of the kind `graph` and the
entry's id — the spec repo's place in the git tree and the slot (below). Edited
code reads other names, and writing removes the entries other code wrote.

A cached graph records the state it was built from: the commit read (for the
working tree: HEAD plus the content hash of every spec file git reports as
changed, untracked or ignored) and the `baseline/*` tags. When the state asked
for is the cached one, the graph is used as it is.
When it differs by a few files (an edit, a new record, a commit, another
revision), those files are parsed again and the graph is patched
(graph/patch.py), which gives exactly the graph a fresh build would. Only
when nothing cached is close is the whole snapshot loaded and built.

The cache is a hint, never evidence (the rules of io/cachefile.py):

- safe to delete at any time; written atomically, so concurrent runs see a
  whole old or a whole new file;
- opened only when it is a regular file (a FIFO or link in its place is no cache);
- each section carries a sha256 over its bytes, the code stamp and the entry's
  id: a file that does not verify (a flipped bit, a truncated copy, another
  entry's file) is ignored and rebuilt;
- it holds only plain dicts, tuples and text, loaded with an unpickler that
  refuses every class, so a planted file cannot run code;
- the working tree's state is what `git status` reports plus every file whose
  index entry is marked assume-unchanged or skip-worktree (git does not look
  at those), hashed by content: an edit always shows;
- outside git, or with very many uncommitted changes, there is no cache.

Two slots, one for the working tree and one for `--rev`. Each is one entry of
five sealed pickles (cachestore.store_sections): a small header (the state),
the graph — one pickled blob per node (its attributes, its links out and in),
so that a query unpickles only the nodes it visits — the maps a patch needs
(graph_update.GraphIndex), the fields `status` reads of every node, in one
map (status reads them all, and only them), and every requirement's parents
(trace and impact walk the whole hierarchy below a requirement without
reading the nodes they pass).
"""

from __future__ import annotations

import gc
import io
import os
import pickle  # noqa: S403 - loaded only through _PlainUnpickler below
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reqtrace.core import cachestore
from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import Config, Snapshot
from reqtrace.core.worktree_state import SpecState, current_state, spec_folders
from reqtrace.errors import GitError, InputError, ReqtraceError
from reqtrace.graph.graph import (
    PARENT,
    EvidenceGraph,
    baseline_facts,
    baseline_of_facts,
    build_graph_and_records,
    item_record,
    load_graph_baselines,
)
from reqtrace.io import gitio
from reqtrace.io.cachefile import Sealed, note
from reqtrace.io.fork_map import fork_beside

if TYPE_CHECKING:
    from reqtrace.baselines.baseline import Baseline
    from reqtrace.graph.graph import Record
    from reqtrace.graph.patch import GraphIndex

GRAPH_KIND = "graph"
FORMAT = 5  # of the sections below; in the entry's id
MAX_PATCH_FILES = 2000  # files differing from a cached graph beyond which a build is cheaper
MAX_CHECKED_NODES = 1000  # visited item nodes checked against their files (~0.1 ms each)
_PARENT_ONLY = frozenset({PARENT})


@dataclass
class GraphBundle:
    graph: EvidenceGraph  # a LazyGraph when read from the cache (whole_graph loads every node)
    baselines: list[Baseline]
    commit: str | None  # None: the working tree
    snapshot: Snapshot | None = None  # only when the graph was built, not taken from the cache
    how: str = "built"  # built | cached | patched
    patched_files: int = 0  # with how == "patched": the files read again
    index: GraphIndex | None = field(default=None, repr=False)  # what a patch needs, when known
    records: list[Record] | None = field(default=None, repr=False)  # with how == "built"
    config: Config | None = field(default=None, repr=False)
    # What it was read from (HEAD, the spec files that differ from it, the tags), when the
    # cache could name it: a key for other results computed from the same files.
    state: SpecState | None = field(default=None, repr=False)
    # Waits for the graph being written beside the question (a built graph, on the second
    # core): `answer` calls it before it returns.
    written: Callable[[], None] = field(default=lambda: None, repr=False)


class DamagedCache(Exception):
    """A cached node turned out unreadable while a question was being answered."""


def _decode_node(blob: bytes) -> list[Any]:
    try:
        entry = _PlainUnpickler(io.BytesIO(blob)).load()
    except Exception as error:  # noqa: BLE001 - whatever is wrong with it, it is not used
        raise DamagedCache(str(error)) from None
    if not (isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[0], dict) and isinstance(entry[1], dict) and isinstance(entry[2], dict)):
        raise DamagedCache("not a node")
    return list(entry)


def _decode_map(data: bytes | memoryview) -> dict[str, Any]:
    try:
        found = _load_plain(data)
    except Exception as error:  # noqa: BLE001 - whatever is wrong with it, it is not used
        raise DamagedCache(str(error)) from None
    if not isinstance(found, dict):
        raise DamagedCache("not a map of nodes")
    return found


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}: the graph cache holds plain data only")


def _entry_id(repo: SpecRepo, worktree: bool) -> str:
    # One entry per spec repo and slot: the working tree's graph, and the last --rev's.
    slot = "worktree" if worktree else "rev"
    return "\x00".join([str(FORMAT), slot, str(repo.root), repo.prefix])


def cache_file(repo: SpecRepo, *, worktree: bool) -> Path | None:
    """The file of the graph cached for the working tree (or for `--rev`); None outside git."""
    return cachestore.entry_path(repo.git_top, GRAPH_KIND, _entry_id(repo, worktree), ".bin")


def graph_is_kept(repo: SpecRepo) -> bool:
    """True when a graph is kept in either slot (whether it is current or not): a question
    is then answered from it or from a patch of it, not from every file."""
    return any(path is not None and path.is_file() for path in (cache_file(repo, worktree=True), cache_file(repo, worktree=False)))


def discard_cached(repo: SpecRepo) -> None:
    """Remove both cached graphs: one was found wrong."""
    for worktree in (True, False):
        cachestore.discard(repo.git_top, GRAPH_KIND, _entry_id(repo, worktree))


# --- reading and writing --------------------------------------------------------------


def _plain_baselines(baselines: list[Baseline]) -> list[tuple[Any, ...]]:
    return [baseline_facts(b) for b in baselines]


def _baselines_from_plain(rows: list[tuple[Any, ...]]) -> list[Baseline]:
    return [baseline_of_facts(row) for row in rows]


class LazyGraph(EvidenceGraph):
    """An evidence graph read from the cache: each node is unpickled when first visited.

    Its `nodes`, `succ` and `pred` maps (readable and, for patching, writable)
    read a node's blob the first time any of them is asked about it; `loaded()`
    gives a plain EvidenceGraph of every node. The status facts of every node
    are kept apart, one map read whole when first asked for (status reads them
    all, trace none): `facts`.
    """

    def __init__(self, blobs: dict[str, bytes], facts: Callable[[], dict[str, Any]], parents: Callable[[], dict[str, Any]]) -> None:
        self._blobs = blobs
        self._read_parents = parents
        self._parent_links: tuple[dict[str, Any], dict[str, list[str]]] | None = None
        # node -> [attributes, links out, links in], once visited or made
        self._open: dict[str, list[Any]] = {}
        self._gone: set[str] = set()
        self._read_facts = facts
        self._facts: dict[str, Any] | None = None
        super().__init__(_NodeMap(self, 0), _NodeMap(self, 1), _NodeMap(self, 2), _FactsMap(self))

    def __contains__(self, node: object) -> bool:
        return node in self._open or (node in self._blobs and node not in self._gone)

    def __iter__(self) -> Iterator[str]:
        for node in self._blobs:
            if node not in self._gone:
                yield node
        for node in self._open:
            if node not in self._blobs:
                yield node

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _entry(self, node: str) -> list[Any]:
        entry = self._open.get(node)
        if entry is None:
            if node in self._gone or node not in self._blobs:
                raise KeyError(node)
            entry = self._open[node] = _decode_node(self._blobs[node])
        return entry

    def _set(self, node: str, part: int, value: Any) -> None:
        entry = self._entry(node) if node in self else self._open.setdefault(node, [{}, {}, {}])
        self._gone.discard(node)
        entry[part] = value

    def _pop(self, node: str, part: int) -> Any:
        entry = self._entry(node)
        if part == 0:  # the node itself goes
            self._gone.add(node)
            del self._open[node]
            return entry[0]
        value, entry[part] = entry[part], {}
        return value

    def parent_links(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """(child -> its parents, parent -> its children) by `parent` links, as kept: true
        of every node not visited since (a link that changes visits both its ends)."""
        if self._parent_links is None:
            parents = self._read_parents()
            children: dict[str, list[str]] = {}
            for child, its_parents in parents.items():
                for parent in its_parents:
                    children.setdefault(parent, []).append(child)
            self._parent_links = parents, children
        return self._parent_links

    def linked(self, node: str, kinds: frozenset[str], *, backwards: bool = False) -> Iterator[str]:
        # Walking the requirement hierarchy (trace, impact) reads no node it passes.
        if kinds == _PARENT_ONLY and node not in self._open and node in self:
            parents, children = self.parent_links()
            return iter((children if backwards else parents).get(node, ()))
        return super().linked(node, kinds, backwards=backwards)

    def plain_parents(self) -> dict[str, tuple[str, ...]]:
        kept = self.parent_links()[0]
        found = {}
        for node in self:
            entry = self._open.get(node)
            its_parents = tuple(target for target, keyed in entry[1].items() if PARENT in keyed) if entry is not None else tuple(kept.get(node, ()))
            if its_parents:
                found[node] = its_parents
        return found

    def facts_by_node(self) -> dict[str, Any]:
        """node -> status facts (None for a baseline), for the nodes there are now."""
        if self._facts is None:
            self._facts = self._read_facts()
        return self._facts

    def all_facts(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """(id, status facts) of every item's node, without reading the nodes."""
        for node, facts in self.facts_by_node().items():
            if facts is not None and node in self:  # a node a patch removed keeps its old entry here
                yield node, facts

    def blobs(self) -> dict[str, bytes]:
        """Every node's blob, the visited ones pickled again (they may have changed)."""
        pickler = _BlobPickler()
        return {node: pickler.dumps(tuple(self._open[node])) if node in self._open else self._blobs[node] for node in self}

    def plain_facts(self) -> dict[str, Any]:
        facts = self.facts_by_node()
        return {node: facts.get(node) for node in self}

    def loaded(self) -> EvidenceGraph:
        """Every node read: a plain EvidenceGraph of the same maps."""

        def load() -> EvidenceGraph:
            nodes, succ, pred = {}, {}, {}
            for node in self:
                nodes[node], succ[node], pred[node] = self._entry(node)
            return EvidenceGraph(nodes, succ, pred, self.plain_facts())

        return _without_gc(load)  # type: ignore[no-any-return]


class _FactsMap(MutableMapping[str, Any]):
    """A LazyGraph's status facts: node -> status_facts.status_facts (None for a baseline)."""

    def __init__(self, graph: LazyGraph) -> None:
        self._graph = graph

    def __getitem__(self, node: str) -> Any:
        if node not in self._graph:
            raise KeyError(node)
        return self._graph.facts_by_node().get(node)

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph)

    def __len__(self) -> int:
        return len(self._graph)

    def __setitem__(self, node: str, value: Any) -> None:
        self._graph.facts_by_node()[node] = value

    def __delitem__(self, node: str) -> None:
        self._graph.facts_by_node().pop(node, None)


class _NodeMap(MutableMapping[str, Any]):
    """One of a LazyGraph's maps: node -> attributes, links out, or links in."""

    def __init__(self, graph: LazyGraph, part: int) -> None:
        self._graph, self._part = graph, part

    def __getitem__(self, node: str) -> Any:
        entry = self._graph._open.get(node)  # noqa: SLF001 - the common case, kept short: impact visits every node
        return (entry if entry is not None else self._graph._entry(node))[self._part]  # noqa: SLF001

    def get(self, node: str, default: Any = None) -> Any:
        entry = self._graph._open.get(node)  # noqa: SLF001
        if entry is None:
            if node not in self._graph:
                return default
            entry = self._graph._entry(node)  # noqa: SLF001
        return entry[self._part]

    def __contains__(self, node: object) -> bool:
        return node in self._graph

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph)

    def __len__(self) -> int:
        return len(self._graph)

    def __setitem__(self, node: str, value: Any) -> None:
        self._graph._set(node, self._part, value)  # noqa: SLF001

    def pop(self, node: str, *default: Any) -> Any:
        if node not in self._graph:
            if default:
                return default[0]
            raise KeyError(node)
        return self._graph._pop(node, self._part)  # noqa: SLF001

    def __delitem__(self, node: str) -> None:
        self.pop(node)


def whole_graph(graph: EvidenceGraph) -> EvidenceGraph:
    """The graph with every node read, for the commands that need all of it (export, --focus)."""
    return graph.loaded() if isinstance(graph, LazyGraph) else graph


class _BlobPickler:
    """Pickles many small values; one pickler, its memo cleared between them."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, protocol=pickle.HIGHEST_PROTOCOL)

    def dumps(self, value: Any) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pickler.clear_memo()
        self._pickler.dump(value)
        return self._buffer.getvalue()


def _blobs_of(graph: EvidenceGraph) -> dict[str, bytes]:
    if isinstance(graph, LazyGraph):
        return graph.blobs()
    pickler = _BlobPickler()
    nodes, succ, pred = graph.nodes, graph.succ, graph.pred
    return {node: pickler.dumps((attrs, succ[node], pred[node])) for node, attrs in nodes.items()}


def _parents_of(graph: EvidenceGraph) -> dict[str, tuple[str, ...]]:
    if isinstance(graph, LazyGraph):
        return graph.plain_parents()
    found = {}
    for node in graph:
        its_parents = tuple(target for target, keyed in graph.succ[node].items() if PARENT in keyed)
        if its_parents:
            found[node] = its_parents
    return found


def _facts_of(graph: EvidenceGraph, records: list[Record] | None) -> dict[str, Any]:
    if isinstance(graph, LazyGraph):
        return graph.plain_facts()
    facts = {record[0]: record[5] for record in records or ()}
    return {node: facts.get(node) for node in graph.nodes}


@dataclass
class _Cached:
    file: Path
    sealed: Sealed  # the entry's sections: header, graph, index
    state: SpecState


def _load_plain(data: bytes | memoryview) -> Any:
    return _PlainUnpickler(io.BytesIO(data)).load()


def _read_header(repo: SpecRepo, worktree: bool) -> _Cached | None:
    """The state the graph cached in a slot was built from, checked against its hash;
    the graph itself is checked when it is read."""
    entry_id = _entry_id(repo, worktree)
    found = cachestore.load_sections(repo.git_top, GRAPH_KIND, entry_id, 5)
    if found is None:
        return None
    file, sealed = found
    stamp = cachestore.seal_stamp(GRAPH_KIND, entry_id)
    try:
        header = _load_plain(sealed.section(0))
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("stamp") != stamp:
            raise ValueError("another format")
        commit, worktree, changes, tags = header["state"]
        if not (isinstance(commit, str) and isinstance(worktree, bool) and isinstance(changes, dict) and isinstance(tags, str)):
            raise ValueError("not a state")
        return _Cached(file, sealed, SpecState(commit, worktree, changes, tags))
    except Exception as error:  # noqa: BLE001 - a damaged or foreign cache is simply not used
        note(file, str(error))
        return None


def _without_gc(load: Any) -> Any:
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of objects, none of them garbage
    try:
        return load()
    finally:
        if collecting:
            gc.enable()


def _read_graph(cached: _Cached, *, with_index: bool = False) -> tuple[LazyGraph, list[Baseline], GraphIndex | None] | None:
    """The cached graph (and, `with_index`, the maps a patch needs); None when damaged."""

    def load() -> tuple[LazyGraph, list[Baseline], GraphIndex | None]:
        blobs, baselines = _load_plain(cached.sealed.section(1))
        index = None
        if with_index:
            # Imported here: only a patch needs the patcher's index.
            from reqtrace.graph.patch import GraphIndex

            index = GraphIndex.from_plain(_load_plain(cached.sealed.section(2)))
        if not isinstance(blobs, dict):
            raise TypeError("not a graph")
        graph = LazyGraph(
            blobs,
            facts=lambda: _without_gc(lambda: _decode_map(_checked_section(cached, 3))),
            parents=lambda: _without_gc(lambda: _decode_map(_checked_section(cached, 4))),
        )
        return graph, _baselines_from_plain(baselines), index

    try:
        return _without_gc(load)  # type: ignore[no-any-return]
    except Exception as error:  # noqa: BLE001 - damaged: not used
        note(cached.file, str(error))
        return None


def _checked_section(cached: _Cached, number: int) -> memoryview:
    try:
        return cached.sealed.section(number)
    except ValueError as error:
        raise DamagedCache(str(error)) from None


def _write(repo: SpecRepo, state: SpecState, graph: EvidenceGraph, baselines: list[Baseline], index: GraphIndex | None, records: list[Record] | None = None) -> None:
    """Keep a graph with its index (and, for a built graph, the `records` it was built
    from, for their status facts) in its state's slot; never fail the command."""
    entry_id = _entry_id(repo, state.worktree)
    if index is None:  # a graph that cannot be patched is not worth keeping: the state says what it is
        cachestore.discard(repo.git_top, GRAPH_KIND, entry_id)
        return
    header = {"format": FORMAT, "stamp": cachestore.seal_stamp(GRAPH_KIND, entry_id), "state": state.plain()}

    def sections() -> tuple[bytes, ...]:
        return _dumps(header), _dumps((_blobs_of(graph), _plain_baselines(baselines))), _dumps(index.as_plain()), _dumps(_facts_of(graph, records)), _dumps(_parents_of(graph))

    cachestore.store_sections(repo.git_top, GRAPH_KIND, entry_id, *_without_gc(sections))


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


# --- patching -------------------------------------------------------------------------


def _differing_paths(repo: SpecRepo, config: Config, base: SpecState, target: SpecState) -> set[str]:
    """The git paths whose content may differ between two states."""
    assert repo.git_top is not None
    committed: set[str] = set()
    if base.commit != target.commit:
        committed = {change.path for change in gitio.diff_commits(repo.git_top, base.commit, target.commit, spec_folders(repo, config))}
    differing = set()
    for path in committed | base.changes.keys() | target.changes.keys():
        if path in base.changes and path in target.changes and base.changes[path] == target.changes[path]:
            continue  # the same uncommitted content in both, whatever the commits hold
        differing.add(path)
    return differing


def _items_at(repo: SpecRepo, config: Config, commit: str | None, paths: list[str]) -> dict[str, tuple[Any, ...]]:
    """Each path's items at `commit` (None: the working tree); none for a file that is gone."""
    from reqtrace.core.snapshot import parse_named

    found: dict[str, tuple[Any, ...]] = dict.fromkeys(paths, ())
    for parsed_file in parse_named(repo, config, commit, paths):
        # A document's _document.yaml is structure, not an item of the graph.
        found[parsed_file.source.path] = tuple(item for item in parsed_file.parsed.items if item.kind != "spec-document")
    return found


def _records_at(repo: SpecRepo, config: Config, commit: str | None, paths: list[str]) -> dict[str, tuple[Record, ...]]:
    """Each path's records at `commit` (None: the working tree); none for a file that is gone."""
    return {path: tuple(item_record(item) for item in items) for path, items in _items_at(repo, config, commit, paths).items()}


def requirement_digests(repo: SpecRepo, bundle: GraphBundle, ids: set[str]) -> dict[str, str]:
    """The current digests of the requirements `ids` where the graph was read: from the
    snapshot it was built from, else by reading just their files (suspect links of
    trace and impact compare review stamps with these)."""
    from reqtrace.core.digest import known_digest, requirement_digest

    if bundle.snapshot is not None:
        requirements = bundle.snapshot.requirements
        return {rid: known_digest(requirements[rid]) for rid in ids if rid in requirements}
    assert bundle.config is not None
    nodes = bundle.graph.nodes
    paths = sorted({nodes[rid]["path"] for rid in ids if rid in nodes and nodes[rid].get("kind") == "requirement" and isinstance(nodes[rid].get("path"), str)})
    found: dict[str, str] = {}
    for items in _items_at(repo, bundle.config, bundle.commit, paths).values():
        for item in items:
            # The first of two items with one id is the one the graph holds (snapshot.add_parsed).
            if item.kind == "requirement" and item.id in ids and item.id not in found:
                found[item.id] = requirement_digest(item)
    return found


def _patch(repo: SpecRepo, config: Config, cached: _Cached, target: SpecState, commit: str | None, differing: set[str]) -> GraphBundle | None:
    from reqtrace.graph.patch import CannotPatch, patch_graph

    base = cached.state
    if repo.git_path(CONFIG_FILE) in differing:
        return None  # another configuration: other folders, other ids
    paths = sorted(path[len(repo.prefix) :] for path in differing if path.startswith(repo.prefix))
    read = _read_graph(cached, with_index=True)
    if read is None:
        return None
    graph, old_baselines, index = read
    assert index is not None
    baselines_folder = config.baselines_dir + "/"
    same_baselines = (
        base.tags == target.tags
        and base.worktree == target.worktree
        and (target.worktree or base.commit == target.commit)
        and not any(path.startswith(baselines_folder) for path in paths)
    )
    if same_baselines:
        new_baselines = old_baselines
    else:
        new_baselines = load_graph_baselines(repo, Snapshot(config=config, commit=commit, repo=repo))
    changed = _records_at(repo, config, commit, paths)

    def read_records(more: list[str]) -> dict[str, tuple[Record, ...]]:
        return _records_at(repo, config, commit, more)

    try:
        report = _without_gc(lambda: patch_graph(graph, index, changed, old_baselines, new_baselines, read_records, max_reads=MAX_PATCH_FILES))
    except CannotPatch:
        return None
    return GraphBundle(graph, new_baselines, commit, how="patched", patched_files=report.files + report.read, index=index, config=config)


# --- the one entry point --------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a graph at a revision is read from: the commit (None: the working tree), its
    configuration and the spec files' state; config and state None when nothing may be kept
    (REQTRACE_NO_CACHE, outside git, too many changes, an unreadable reqtrace.yaml)."""

    commit: str | None
    config: Config | None
    state: SpecState | None


def target_of(repo: SpecRepo, rev: str | None) -> Target:
    """The Target of `rev` (None: the working tree): one `git status` for the working tree.
    Asked once per command, so that the graph and the results kept beside it share it."""
    commit = _commit_of(repo, rev)
    if os.environ.get("REQTRACE_NO_CACHE") is not None or repo.git_top is None:
        return Target(commit, None, None)
    try:
        if commit is None:
            config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())
        else:
            from reqtrace.core.snapshot import Reader

            config, _ = parse_config(Reader(repo, commit).read_config())
        state = current_state(repo, config, commit) if cache_file(repo, worktree=True) is not None else None
    except (ReqtraceError, OSError):
        return Target(commit, None, None)
    return Target(commit, config, state)


def _commit_of(repo: SpecRepo, rev: str | None) -> str | None:
    if rev is None:
        return None
    # Imported here: the snapshot's loader is needed only for --rev or a build.
    from reqtrace.core.snapshot import resolve_revision

    return resolve_revision(repo, rev)


def load_graph_bundle(repo: SpecRepo, rev: str | None = None, *, use_cache: bool = True, target: Target | None = None, beside: bool = False, baselines: list[Baseline] | None = None, texts: Mapping[str, bytes] | None = None) -> GraphBundle:
    """The evidence graph at `rev` (None: the working tree), from the cache when it can be;
    `target`: `target_of(repo, rev)` when the caller has asked already.

    From the cache, `graph` is a LazyGraph; `whole_graph` reads all of it. `beside`: a
    graph built afresh may still be being kept when this returns (by a forked child, while
    the caller answers its question); the caller then calls `bundle.written()` before it ends.
    `baselines`: `load_graph_baselines` at `rev`, when the caller has read them already;
    `texts`: spec files' bytes the caller has read already at `rev`, by path (a build parses them).
    """
    if not use_cache:
        return _build(repo, target.commit if target is not None else _commit_of(repo, rev), parse_cache=False)
    if target is None:
        target = target_of(repo, rev)
    if target.state is None or target.config is None:
        return _build(repo, target.commit, baselines=baselines, texts=texts)
    return _cached_or_built(repo, target.commit, target.config, target.state, beside=beside, baselines=baselines, texts=texts)


def _cached_or_built(repo: SpecRepo, commit: str | None, config: Config, target: SpecState, *, beside: bool = False, baselines: list[Baseline] | None = None, texts: Mapping[str, bytes] | None = None) -> GraphBundle:
    for worktree in (target.worktree, not target.worktree):  # its own slot first
        cached = _read_header(repo, worktree)
        if cached is None:
            continue
        if cached.state.plain() == target.plain():
            read = _read_graph(cached)
            if read is not None:
                return GraphBundle(read[0], read[1], commit, how="cached", config=config, state=target)
            continue
        try:
            differing = _differing_paths(repo, config, cached.state, target)
        except (GitError, InputError):
            continue
        if len(differing) > MAX_PATCH_FILES:
            continue
        try:
            bundle = _patch(repo, config, cached, target, commit, differing)
        except (ReqtraceError, OSError):
            bundle = None
        except Exception as error:  # noqa: BLE001 - a cached index that does not fit: built afresh
            note(cached.file, f"patch failed: {type(error).__name__}: {error}")
            bundle = None
        if bundle is None:
            continue
        # Saved, so that the next question at this state starts from it (only the
        # nodes the patch visited are pickled again).
        _write(repo, target, bundle.graph, bundle.baselines, bundle.index)
        bundle.state = target
        return bundle
    bundle = _build(repo, commit, baselines=baselines, texts=texts)
    snapshot, records = bundle.snapshot, bundle.records
    assert snapshot is not None and records is not None

    def keep() -> None:
        _write(repo, target, bundle.graph, bundle.baselines, _index_of(snapshot, records, bundle.baselines), records)

    # Making the index and pickling every node (a quarter of a second at 10,000
    # requirements) needs nothing the question needs: the second core does it meanwhile.
    if beside:
        bundle.written = fork_beside(keep, items=len(bundle.graph))
    else:
        keep()
    bundle.state = target
    return bundle


def answer(repo: SpecRepo, rev: str | None, question: Callable[[GraphBundle], Any], *, target: Target | None = None, baselines: list[Baseline] | None = None, texts: Mapping[str, bytes] | None = None, wait: bool = True) -> tuple[GraphBundle, Any]:
    """`question(bundle)` asked of the graph at `rev` (`target`: `target_of(repo, rev)`, when
    known; `baselines`: the graph's, when read already; `texts`: as `load_graph_bundle`); when the cached graph turns out damaged on the way (its nodes are read only
    when visited), the cache is removed and the question asked again of a graph built afresh.
    A graph built afresh is kept by a child meanwhile: waited for here, or with `wait=False`
    by the caller, which then calls `bundle.written()` when its answer is out (and on failure)."""
    bundle = load_graph_bundle(repo, rev, target=target, beside=True, baselines=baselines, texts=texts)
    finished = False
    try:
        # Visiting thousands of nodes unpickles as many: no garbage, nothing for the collector.
        result = _without_gc(lambda: question(bundle))
        if not _agrees_with_files(repo, bundle):
            raise DamagedCache("a visited node differs from its file")
        finished = True
        return bundle, result
    except DamagedCache:
        discard_cached(repo)
        rebuilt = load_graph_bundle(repo, rev, use_cache=False)
        return rebuilt, question(rebuilt)
    finally:
        if wait or not finished:
            bundle.written()  # a built graph kept meanwhile: written before the command goes on


def _agrees_with_files(repo: SpecRepo, bundle: GraphBundle) -> bool:
    """True when every item node the question visited in a cached graph holds what its
    file holds (at the commit, or in the working tree) — what trace shows as titles,
    dates and states is checked against git, not believed. A question that visits more
    than MAX_CHECKED_NODES items (impact of a root) is answered from the hash-checked
    cache alone: checking them all would cost what a build does."""
    graph = bundle.graph
    if not isinstance(graph, LazyGraph) or bundle.config is None or bundle.how == "built":
        return True
    visited = {node: entry[0] for node, entry in graph._open.items() if isinstance(entry[0].get("path"), str)}  # noqa: SLF001
    if not visited or len(visited) > MAX_CHECKED_NODES:
        return True
    try:
        found = _records_at(repo, bundle.config, bundle.commit, sorted({attrs["path"] for attrs in visited.values()}))
    except (ReqtraceError, OSError):
        return False
    for node, attrs in visited.items():
        if not any(record[0] == node and record[2] == attrs for record in found.get(attrs["path"], ())):
            note(f"graph node {node}", "it differs from its file; the graph is built afresh")
            return False
    return True


def status_snapshot(repo: SpecRepo, bundle: GraphBundle) -> Snapshot:
    """The snapshot `status` reads: the one the graph was built from, or — from the
    cache — one made of the status facts kept beside each node (status_facts.snapshot_from_facts)."""
    from reqtrace.graph.status_facts import snapshot_from_facts

    if bundle.snapshot is not None:
        return bundle.snapshot
    assert bundle.config is not None and isinstance(bundle.graph, LazyGraph)
    graph, config = bundle.graph, bundle.config

    def load() -> Snapshot:
        return snapshot_from_facts(graph.all_facts(), Snapshot(config=config, commit=bundle.commit, repo=repo))

    return _without_gc(load)  # type: ignore[no-any-return]


# Whether a graph's whole reading digests every requirement beside its parse. No: the graph
# holds no digest, and what its questions compare — a trace's or an impact's suspect links
# (only links stamped `reviewed`), status's approval diffs (the requirements changed since a
# baseline) — is digested when asked (graph.cache.requirement_digests, digest.known_digest),
# by the same function. Digesting all of them cost a cold `status` or a root's `impact` about
# 0.16 s of CPU at 10,000 requirements (16 µs each), half of it on the parent's path; the
# parse pack such a run writes then holds no digests (a later command digests what it reads).
GRAPH_DIGESTS = False


def whole_snapshot(repo: SpecRepo, target: Target) -> tuple[Snapshot, Callable[[], None]]:
    """Every spec and record file at `target` parsed (through the parse cache), for a question
    that reads only the snapshot — `status` — when no graph is kept: (the snapshot, a function
    that waits for the graph). The graph is built from the snapshot and kept by a forked child
    while the caller answers (at 10,000 requirements its build and its index are a tenth of a
    second this process no longer spends before its answer), so that the next `trace` or
    `impact` reads it as if this run had built it here. `target.state` must be known."""
    from reqtrace.baselines.baseline import ManifestsAlongside
    from reqtrace.core.parse_cache import PackedParseCache
    from reqtrace.core.snapshot import load_snapshot

    assert target.state is not None
    state = target.state
    cache = PackedParseCache.for_git(repo.git_top)
    try:
        # The manifests are read while the parse's worker parses (the other core would idle).
        scan = ManifestsAlongside(repo, target.commit)
        snapshot: Snapshot = _without_gc(lambda: load_snapshot(repo, target.commit, cache=cache, digests=GRAPH_DIGESTS, alongside=scan))
        scan.hand_to(snapshot)
        # Read here: the question reads the same baselines (baselines/baseline.py keeps them per process).
        baselines = load_graph_baselines(repo, snapshot)
    except BaseException:
        cache.flush()  # what was parsed is kept, as a `with` block around the parse kept it
        raise

    def keep() -> None:
        # The parse pack is written by the child too: nothing in this answer reads it again,
        # and at 100,000 requirements sealing and writing it (~90 MB) is a few tenths of a second.
        cache.flush()
        graph, records = build_graph_and_records(snapshot, baselines)
        _write(repo, state, graph, baselines, _index_of(snapshot, records, baselines), records)

    return snapshot, fork_beside(lambda: _without_gc(keep), items=len(snapshot.files))


def _build(repo: SpecRepo, commit: str | None, *, parse_cache: bool = True, baselines: list[Baseline] | None = None, texts: Mapping[str, bytes] | None = None) -> GraphBundle:
    from reqtrace.baselines.baseline import ManifestsAlongside
    from reqtrace.core.parse_cache import PackedParseCache
    from reqtrace.core.snapshot import load_snapshot

    # The manifests, when needed, are read while the parse's worker parses.
    scan = ManifestsAlongside(repo, commit) if baselines is None else None
    with PackedParseCache.for_git(repo.git_top if parse_cache else None) as cache:
        snapshot = load_snapshot(repo, commit, cache=cache, texts=texts, digests=GRAPH_DIGESTS, alongside=scan)
    if scan is not None:
        scan.hand_to(snapshot)
    if baselines is None:
        baselines = load_graph_baselines(repo, snapshot)
    graph, records = build_graph_and_records(snapshot, baselines)
    return GraphBundle(graph, baselines, snapshot.commit, snapshot, records=records, config=snapshot.config)


def _index_of(snapshot: Snapshot, records: list[Record], baselines: list[Baseline]) -> GraphIndex | None:
    """The maps that let the graph be patched later; None when they cannot be made."""
    from reqtrace.core.snapshot import kind_of
    from reqtrace.graph.patch import BASELINE_PREFIX, build_index

    if any(record[0].startswith(BASELINE_PREFIX) for record in records):
        return None
    shadowed: dict[str, tuple[Record, ...]] = {}
    for path in sorted({f.path for f in snapshot.findings if f.code == "duplicate-id" and f.path}):
        # The loader keeps only the first of two items with one id; the index needs both.
        kind = kind_of(path, snapshot.config)
        if kind is None or snapshot.read_bytes is None:
            return None
        try:
            data = snapshot.read_bytes(path)
        except ReqtraceError:
            return None
        if gitio.blob_id(data) != snapshot.files.get(path):
            return None  # changed since it was loaded
        shadowed[path] = tuple(item_record(item) for item in kind.parser(path, data, snapshot.config).items)
    return _without_gc(lambda: build_index(records, baselines, shadowed))  # type: ignore[no-any-return]
