"""A question of the evidence graph answered from only the files it reads.

A cold `trace ID` or `impact ID` (no graph kept yet) would otherwise parse every file
of the repo to tell one item's story. Here the graph is grown round by round:

1. the files that name a set of ids are found without parsing them — a byte scan for
   each id as a whole word, the scan of changes/id_search.py (git grep's `-w` under
   LC_ALL=C) — and only those are parsed, by the parsers and rules a whole reading
   uses (core/snapshot.py `parse_sources`, `add_parsed`), in the order it reads them;
2. the graph of those files is built by the one builder (graph/graph.py) and the
   question is asked of it, every node it reads and every node whose links it reads
   noted;
3. when every node read is *scanned* (each file naming it parsed: so its node and
   every link to or from it are what the whole graph holds) and every node whose
   links were read has its linked nodes scanned too (so the builder's "links to ids
   that do not exist are left out" decides as it would on the whole repo), the answer
   is the whole graph's answer. Otherwise the nodes missing are scanned and the
   question asked again.

Every link is written in a file that names both its ends, so the scan is a superset
filter and the parse decides. The exceptions are handled apart: an e-mail's replies
found by Message-ID (every e-mail sidecar is read when an e-mail's links are), a
file in which YAML could spell an id other than as its bytes (a backslash escape:
such files are always parsed), and an id YAML could read from other text (one that
starts with a digit or a sign, holds a space or a quote, or is a YAML 1.1 boolean:
then the whole graph is built). When the question reaches much of the repo — the
impact of a root requirement lists every requirement below it — growing it round by
round costs more than reading everything once: past `SCOPE_LIMIT` of the files the
caller builds the whole graph, as before. Unless the walk that fans out reads only
parent links, as the trace of a root does (the requirements below it, and the other
links of a few nodes): parent links are written in requirement files only, so every
requirement file is parsed, and of the records only those naming a node whose other
links are read, or holding an item of an id read — of the others only the id each
files its item under is read (parse.record_id), to tell. A record and a requirement
may share an id; the first read keeps it, and the records folder sorts first by default.

The baselines' manifests are read only when a question needs them: its first rounds are
grown without them (`_grown`), so that a question that reaches far reads them while a
parse's worker parses (the whole graph's, or every requirement file's), not alone before.

Nothing is kept by such a run but the answer (the graph is kept by the runs that build
it whole: `status`, `graph`, a trace past the limit); a kept graph, current or close
enough to patch, is used first. `REQTRACE_NO_SCOPED=1` turns this path off (the tests
of the graph cache set it, to reach the cache through `trace`).
"""

from __future__ import annotations

import bisect
import functools
import gc
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from reqtrace.changes import id_search
from reqtrace.core.model import Snapshot
from reqtrace.core.parse import record_id
from reqtrace.core.snapshot import (
    ParsedFile,
    Reader,
    add_parsed,
    check_folder_access,
    check_folders,
    kind_finder,
    parse_sources,
    scanned_folders,
)
from reqtrace.errors import ReqtraceError
from reqtrace.graph.graph import (
    PARENT,
    EvidenceGraph,
    build_graph_and_records,
    load_graph_baselines,
    node_of,
    records_edges,
    signoff_evidence,
)
from reqtrace.io.fork_map import fork_map
from reqtrace.io.yamlio import MAX_FILE_BYTES

if TYPE_CHECKING:
    from reqtrace.baselines.baseline import Baseline
    from reqtrace.core.config import SpecRepo
    from reqtrace.core.model import Config
    from reqtrace.graph.graph import Record

# Past this share of the repo's item files (parsed, or ids still to scan), the whole
# graph is cheaper: each round scans every file's bytes once more.
SCOPE_LIMIT = 1 / 16
MAX_ROUNDS = 24
_PARENT_ONLY = frozenset({PARENT})
# An id YAML could make out of other text (a number, a date, a boolean, folded lines,
# a quoted quote) is not looked for by its bytes.
_YAML_WORDS = frozenset("y n yes no true false on off null".split())
_UNSAFE = re.compile(r"[\s'\x00]")


# The ids SpecFiles.record_ids finds: an id, None for no item, False for a kind whose ids it
# cannot read; as JSON from the forked half.
Found = str | bool | None


def scoping_allowed() -> bool:
    """False when REQTRACE_NO_SCOPED is set: questions build (or read) the whole graph."""
    return os.environ.get("REQTRACE_NO_SCOPED") is None


class Unscoped(Exception):
    """The question reaches too far, or reads what a scan cannot find: build the whole graph."""


class _TooFar(Unscoped):
    """The files to parse would pass the limit."""


def scannable_id(word: str) -> bool:
    """Whether every file that makes `word` an id or a link holds it as a whole word."""
    return (
        bool(word)
        and word[0] not in "0123456789+-.~!&*|>%@`\"'[{"
        and word.lower() not in _YAML_WORDS
        and not _UNSAFE.search(word)
        and len(word.encode("utf-8", "surrogateescape")) <= id_search.MAX_WORD_BYTES
    )


@dataclass
class Reads:
    """What a question read of a graph: nodes, and whose links (out, in; all, or parents only)."""

    nodes: set[str]
    out: set[str]
    into: set[str]
    parents: set[str]
    children: set[str]

    def all(self) -> set[str]:
        return self.nodes | self.out | self.into | self.parents | self.children


class _Watched(Mapping[str, Any]):
    """One of a graph's maps, noting every key asked for."""

    def __init__(self, inner: Mapping[str, Any], noted: set[str]) -> None:
        self._inner, self._noted = inner, noted

    def __getitem__(self, node: str) -> Any:
        self._noted.add(node)
        return self._inner[node]

    def get(self, node: str, default: Any = None) -> Any:
        self._noted.add(node)
        return self._inner.get(node, default)

    def __contains__(self, node: object) -> bool:
        if isinstance(node, str):
            self._noted.add(node)
        return node in self._inner

    def __iter__(self) -> Iterator[str]:
        raise Unscoped("a question that walks every node")

    def __len__(self) -> int:
        raise Unscoped("a question that counts every node")


class WatchedGraph(EvidenceGraph):
    """An EvidenceGraph that notes what a question reads of it (`reads`)."""

    def __init__(self, graph: EvidenceGraph) -> None:
        self.reads = Reads(set(), set(), set(), set(), set())
        self._plain = graph
        super().__init__(
            _Watched(graph.nodes, self.reads.nodes),  # type: ignore[arg-type]
            _Watched(graph.succ, self.reads.out),  # type: ignore[arg-type]
            _Watched(graph.pred, self.reads.into),  # type: ignore[arg-type]
        )

    def __contains__(self, node: object) -> bool:
        if isinstance(node, str):
            self.reads.nodes.add(node)
        return node in self._plain

    def __iter__(self) -> Iterator[str]:
        raise Unscoped("a question that walks every node")

    def __len__(self) -> int:
        raise Unscoped("a question that counts every node")

    def link(self, source: str, target: str, kind: str) -> dict[str, Any] | None:
        # A parent link's attributes are its child's (its review stamps): whole once both ends are.
        (self.reads.parents if kind == PARENT else self.reads.out).add(source)
        self.reads.nodes.add(target)
        return self._plain.link(source, target, kind)

    def linked(self, node: str, kinds: frozenset[str], *, backwards: bool = False) -> Iterator[str]:
        if kinds == _PARENT_ONLY:
            # Walking the hierarchy reads only parent links: their ends, not every neighbour.
            (self.reads.children if backwards else self.reads.parents).add(node)
            return self._plain.linked(node, kinds, backwards=backwards)
        (self.reads.into if backwards else self.reads.out).add(node)
        return self._plain.linked(node, kinds, backwards=backwards)


@dataclass
class ScopedGraph:
    """The graph of the files read, with what tells which of its parts are whole."""

    graph: EvidenceGraph
    snapshot: Snapshot
    baselines: list[Baseline]
    files: int  # how many item files were parsed
    records: list[Record]
    scope: _Scope

    def missing(self, reads: Reads) -> set[str] | None:
        """The ids still to scan for `reads` to be what the whole graph gives (empty: none);
        None when every e-mail sidecar must be read first (an e-mail's links were read)."""
        if not self.scope.all_emails and any(self.graph.nodes[node].get("kind") == "email" for node in reads.out | reads.into if node in self.graph):
            return None
        needed = _needed(reads, self.records, self.scope.files.baseline_links, self.linked_ids) - self.scope.scanned
        if self.scope.defined is None:
            return needed
        # Every requirement file is read (_Scope.read_requirements): a node read, or whose
        # parent links were read, is the whole graph's unless a file not read holds an item
        # of its id (the first of two items with one id is kept, and records come first
        # in the default folders); a node whose links of every kind were read needs every
        # file naming it.
        linked = reads.out | reads.into
        return {node for node in needed if node in linked or self.scope.defined_unread(node)}

    @functools.cached_property
    def linked_ids(self) -> tuple[dict[str, set[str]], ...]:
        """`_linked_ids` of the records read: asked of the probe's reads and the question's."""
        return _linked_ids(self.records)

    def covers(self, reads: Reads) -> bool:
        return self.missing(reads) == set()


class _JoinedTexts(Mapping[str, bytes]):
    """A view by path of files' bytes held one after another (each followed by a line break)."""

    def __init__(self, paths: list[str], starts: list[int], joined: bytearray) -> None:
        self._index = {path: i for i, path in enumerate(paths)}
        self._starts, self._joined = starts, joined

    def __getitem__(self, path: str) -> bytes:
        i = self._index[path]
        return bytes(memoryview(self._joined)[self._starts[i]:self._starts[i + 1] - 1])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class SpecFiles:
    """The item files of a spec repo at a commit (None: the working tree) — listed, their
    bytes read, parsed when first asked for — and the baselines the graph shows: what
    every question asked of them shares."""

    def __init__(self, repo: SpecRepo, config: Config, commit: str | None) -> None:
        assert repo.git_top is not None
        self.repo, self.config, self.commit = repo, config, commit
        self.reader = Reader(repo, commit)
        if commit is None:
            check_folder_access(repo, config)
        # The files a whole reading lists, in its order: the order decides which of two
        # items with one id is kept (snapshot.add_parsed).
        sources = self.reader.list_files(scanned_folders(config), sizes=False)
        self.listed = sources  # every file listed (the baselines' too: what their reading costs)
        check_folders(self.reader, config, sources, [])  # a requirements folder that cannot be read stops here too
        # Only files of an item kind can hold items; a link, or a name that is not UTF-8, never does.
        kind_of = kind_finder(config)
        self.kind_of = kind_of
        self.sources = [source for source in sources if source.symlink_target is None and kind_of(source.path) is not None]
        self.order = {source.path: index for index, source in enumerate(self.sources)}
        self.by_path = {source.path: source for source in self.sources}
        # The item files' bytes one after another, a line break after each (no id holds one, and
        # to the scan it is no word byte, as the start and end of a file are not): each round
        # scans them in one pass, a match named by its file's start (at 100,000 requirements,
        # 64 MB: 0.04-0.05 s a round instead of 0.075 s file by file). Gathered as they are read,
        # so that they are not held twice. A backslash may spell an id as escapes in a quoted
        # YAML scalar: such files are always read.
        self.paths: list[str] = []
        self.escaped: set[str] = set()
        self._joined = bytearray()
        self._starts = [0]
        for path, data in self._texts():
            self.paths.append(path)
            self._joined += data
            self._joined += b"\n"
            self._starts.append(len(self._joined))
            if b"\\" in data:
                self.escaped.add(path)
        self.limit = max(64, int(len(self.sources) * SCOPE_LIMIT))
        self._parsed: dict[str, ParsedFile] = {}
        # The baselines are read by `read_baselines` when a question is to be grown with them
        # (`_grown`): one that goes to the whole graph first reads them beside its parse.
        self.baselines: list[Baseline] = []
        self.baseline_links = _BaselineLinks([])
        self.baselines_read = False

    def read_baselines(self) -> None:
        """The baselines the graph shows (graph.load_graph_baselines), read once."""
        if not self.baselines_read:
            self.baselines = load_graph_baselines(self.repo, Snapshot(config=self.config, commit=self.commit, repo=self.repo))
            self.baseline_links = _BaselineLinks(self.baselines)
            self.baselines_read = True

    @functools.cached_property
    def texts(self) -> Mapping[str, bytes]:
        """The item files' bytes by path, as read: what the rounds parse, and a whole graph built
        after a fallback, take from here rather than reading the files again."""
        return _JoinedTexts(self.paths, self._starts, self._joined)

    def _texts(self) -> Iterator[tuple[str, bytes]]:
        """Each item file's bytes, as a whole reading reads them: at a commit git's blobs (one
        `cat-file` stream), in the working tree the files."""
        for source, data in self.reader.read(self.sources):
            # A file over the size limit is never parsed into items (a finding instead).
            if data is not None and len(data) <= MAX_FILE_BYTES:
                yield source.path, data

    def naming(self, words: list[str]) -> list[str]:
        """The files that may name one of `words` as a whole word (those that do, and those
        with an escape); [] for no word."""
        # One pass per first byte: with a single first byte the expression engine skips ahead to
        # the bytes that may start an id (id_search.id_pattern), with several it tries every place
        # (6.3 MB at 10,000 requirements: 39 ms for ids of three first bytes at once, 6 ms in
        # three passes). Every id is looked for either way, and each pass finds what it finds alone.
        by_first: dict[bytes, list[str]] = {}
        for word in words:
            by_first.setdefault(word.encode("utf-8", "surrogateescape")[:1], []).append(word)
        patterns = [pattern for group in by_first.values() if (pattern := id_search.id_pattern(group)) is not None]
        if not patterns:
            return []
        paths, starts = self.paths, self._starts
        found = {paths[bisect.bisect_right(starts, match.start()) - 1] for pattern in patterns for match in pattern.finditer(self._joined)}
        return [path for path in paths if path in self.escaped or path in found]

    def in_requirements_folder(self, path: str) -> bool:
        """Whether `path` is a file of the requirements folder (a requirement, a document)."""
        kind = self.kind_of(path)
        return kind is not None and kind.folder == "requirements_dir"

    def record_ids(self, paths: Sequence[str]) -> list[Found]:
        """The id each of `paths` (record files) files its item under (parse.record_id):
        None for no item, False for a kind record_id does not read."""
        texts, kind_of = self.texts, self.kind_of
        found: list[Found] = []
        for path in paths:
            kind = kind_of(path)
            try:
                found.append(record_id(kind.name, path, texts[path]))  # type: ignore[union-attr]
            except KeyError:
                found.append(False)
        return found

    def parsed(self, paths: list[str], *, with_baselines: bool = False) -> dict[str, ParsedFile]:
        """Each of `paths` parsed, by the parsers of a whole reading (once per path).
        `with_baselines`: the baselines read too (`read_baselines`), while a forked worker
        parses (core/snapshot.py `parse_sources(alongside=…)`); what their reading raises is
        raised after the parse, as it would have been."""
        wanted = sorted((path for path in paths if path not in self._parsed), key=self.order.__getitem__)
        beside, cost = None, 0.0
        if with_baselines and not self.baselines_read:
            from reqtrace.baselines.baseline import ManifestsAlongside

            beside = self.read_baselines
            cost = ManifestsAlongside(self.repo, self.commit).cost(self.config, self.listed)
        for parsed_file in parse_sources(self.reader, self.config, [self.by_path[path] for path in wanted], texts=self.texts, alongside=beside, alongside_cost=cost):
            self._parsed[parsed_file.source.path] = parsed_file
        return {path: self._parsed[path] for path in paths if path in self._parsed}


def _dump_ids(ids: list[Found]) -> bytes:
    return json.dumps(ids).encode("utf-8", "surrogatepass")


def _load_ids(data: bytes) -> list[Found]:
    ids = json.loads(data.decode("utf-8", "surrogatepass"))
    if not (isinstance(ids, list) and all(item_id is None or item_id is False or isinstance(item_id, str) for item_id in ids)):
        raise ValueError("not a list of ids")
    return ids


class _Scope:
    """The files one question has read so far, and the ids every file naming them was read for."""

    def __init__(self, files: SpecFiles) -> None:
        self.files = files
        self.scanned: set[str] = set()
        self.parsed: dict[str, ParsedFile] = {}
        self.all_emails = False
        # Set by read_requirements: the id each record file not parsed then files its item
        # under -> those files; the requirement files parsed then (not counted in the limit).
        self.defined: dict[str, list[str]] | None = None
        self.requirement_files = 0

    def read_requirements(self) -> None:
        """Parse every file of the requirements folder (a walk of parent links that fans out
        reads most of them), and read only the id of every other file (record_id): which of
        them could hold an item of an id the question reads. Parent links are written in
        requirement files only, so a walk of them needs no record but those naming the
        nodes whose other links it reads, or holding an item of an id it reads."""
        files = self.files
        requirements = [path for path in files.paths if files.in_requirements_folder(path) and path not in self.parsed]
        # The baselines, when not read yet (`_grown`'s first rounds), while the worker parses.
        self.parsed.update(files.parsed(requirements, with_baselines=True))
        self.requirement_files = sum(1 for path in self.parsed if files.in_requirements_folder(path))
        others = [path for path in files.paths if path not in self.parsed]
        defined: dict[str, list[str]] = {}
        unknown = []
        # On both cores, as the parse: a tenth of a second at 10,000 requirements.
        for path, item_id in zip(others, fork_map(files.record_ids, others, _load_ids, dump=_dump_ids), strict=True):
            if item_id is False:  # a kind record_id does not read: parsed whole
                unknown.append(path)
            elif isinstance(item_id, str):
                defined.setdefault(item_id, []).append(path)
        self._parse(unknown)
        self.defined = defined

    def defined_unread(self, node: str) -> bool:
        """Whether a file not parsed holds an item of id `node` (after read_requirements)."""
        assert self.defined is not None
        return any(path not in self.parsed for path in self.defined.get(node, ()))

    def scan(self, words: set[str]) -> None:
        """Parse every file that names one of `words` (those not scanned yet)."""
        new = sorted(words - self.scanned)
        if not new:
            return
        if not all(scannable_id(word) for word in new):
            raise Unscoped("an id YAML could spell otherwise")
        self._parse([path for path in self.files.naming(new) if path not in self.parsed])
        self.scanned.update(new)

    def read_emails(self) -> None:
        """Every e-mail sidecar: an e-mail's replies are found by its Message-ID."""
        if not self.all_emails:
            self.all_emails = True
            folder = self.files.config.emails_dir + "/"
            self._parse([path for path in self.files.paths if path.startswith(folder) and path not in self.parsed])

    def _parse(self, paths: list[str]) -> None:
        if len(self.parsed) - self.requirement_files + len(paths) > self.files.limit:
            raise _TooFar("the question reaches much of the repo")
        self.parsed.update(self.files.parsed(paths))

    def graph(self) -> ScopedGraph:
        files = self.files
        snapshot = Snapshot(config=files.config, commit=files.commit, repo=files.repo)
        for path in sorted(self.parsed, key=files.order.__getitem__):
            parsed_file = self.parsed[path]
            if parsed_file.read:
                snapshot.files[path] = parsed_file.oid or ""
            add_parsed(snapshot, parsed_file.parsed)
        # Every baseline's node, and its links to the requirements read: the builder
        # leaves out the links to the others, which a baseline holds by the thousand.
        present = {item_id for items in (snapshot.requirements, *snapshot.record_maps()) for item_id in items}
        graph, records = build_graph_and_records(snapshot, files.baseline_links.trimmed(files.baselines, present))
        return ScopedGraph(graph, snapshot, files.baselines, len(self.parsed), records, self)


class _BaselineLinks:
    """The links baselines make (graph.baseline_links), by node: worked out once."""

    def __init__(self, baselines: list[Baseline]) -> None:
        # Per baseline: each id it holds -> its place among the baseline's entries.
        self.places = {node_of(baseline): {req_id: place for place, req_id in enumerate(baseline.requirement_ids)} for baseline in baselines}
        self.evidence = {node_of(baseline): {document for signoff in baseline.active_signoffs if (document := signoff_evidence(signoff))} for baseline in baselines}

    def out(self, node: str) -> set[str]:
        return {*(baseline for baseline, places in self.places.items() if node in places), *self.evidence.get(node, ())}

    def into(self, node: str) -> set[str]:
        return {*self.places.get(node, ()), *(baseline for baseline, documents in self.evidence.items() if node in documents)}

    def trimmed(self, baselines: list[Baseline], present: set[str]) -> list[Baseline]:
        """The baselines with only their entries for the ids in `present`, in their order."""
        kept = []
        for baseline in baselines:
            places = self.places[node_of(baseline)]
            entries = baseline.requirements
            kept.append(replace(baseline, requirements=tuple(entries[place] for place in sorted(places[req_id] for req_id in present if req_id in places))))
        return kept


def _linked_ids(records: list[Record]) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """Every link the files read make, dangling ones included: (out, in, parents, children)."""
    out: dict[str, set[str]] = {}
    into: dict[str, set[str]] = {}
    parents: dict[str, set[str]] = {}
    children: dict[str, set[str]] = {}
    for source, target, kind, _attrs in records_edges(records):
        out.setdefault(source, set()).add(target)
        into.setdefault(target, set()).add(source)
        if kind == PARENT:
            parents.setdefault(source, set()).add(target)
            children.setdefault(target, set()).add(source)
    return out, into, parents, children


def _needed(reads: Reads, records: list[Record], baselines: _BaselineLinks, linked: tuple[dict[str, set[str]], ...] | None = None) -> set[str]:
    """The ids that must be scanned for the reads to be the whole graph's (`linked`:
    `_linked_ids(records)`, when worked out already)."""
    out, into, parents, children = linked or _linked_ids(records)
    needed = reads.all()
    for node in reads.out:
        needed |= out.get(node, set()) | baselines.out(node)
    for node in reads.into:
        needed |= into.get(node, set()) | baselines.into(node)
    for node in reads.parents:
        needed |= parents.get(node, set())
    for node in reads.children:
        needed |= children.get(node, set())
    return needed


Question = Callable[[EvidenceGraph, Snapshot, list["Baseline"]], Any]


@dataclass
class Scoped:
    """What `scoped_graph` found: the graph (None: build the whole graph), and what it read
    either way for the whole graph's build: the baselines (graph.load_graph_baselines; None when
    not read: the build reads them beside its parse) and the item files' bytes by path
    (SpecFiles.texts, read as a whole reading reads them)."""

    graph: ScopedGraph | None
    baselines: list[Baseline] | None = None
    texts: Mapping[str, bytes] | None = None


# A round whose ids still to scan are this many, and more than twice the round before's,
# is a walk that fans out (the requirements below a root): the whole graph, at once.
FAN_OUT = 48
# The rounds a question is first grown without the baselines (`_grown`): the impact of a root
# goes to the whole graph in its second.
TRIAL_ROUNDS = 3


def scoped_graph(repo: SpecRepo, config: Config, commit: str | None, start: str, probe: Question, *, files: SpecFiles | None = None) -> Scoped:
    """The graph of only the files `probe(graph, snapshot, baselines)` needs, starting from
    the id `start`, at `commit` (None: the working tree): grown until what the probe reads
    of it is what the whole graph would give (ScopedGraph.covers). Its `graph` is None
    when the whole graph is cheaper or needed (see the module's notes). The probe is asked
    once per round: it must only read. An error it raises from what it read (an unknown
    id) is raised. `files`: the SpecFiles of that commit, for many questions."""
    collecting = gc.isenabled()
    gc.disable()  # many small objects, none of them garbage
    try:
        if files is None:
            files = SpecFiles(repo, config, commit)
        return _grown(files, start, probe)
    finally:
        if collecting:
            gc.enable()


def _grown(files: SpecFiles, start: str, probe: Question) -> Scoped:
    """The question grown round by round (see the module's notes).

    Its first rounds are grown without the baselines, unless `files` has read them already:
    a question that reaches much of the repo shows it there — the impact of a root goes to
    the whole graph before their manifests are read, and the whole build reads them while its
    parse's worker parses; the trace of a root reads every requirement file, and the baselines
    beside that parse (RT-272). A baseline only adds links, so a question that reaches far
    without them does with them, and the whole graph's answer is the answer either way. Any
    other question reads them after `TRIAL_ROUNDS` rounds, or once it is answered without them
    (then asked again with them): an answer is only ever given from a graph with them."""
    scope = _Scope(files)
    wanted = {start}
    before = len(wanted)
    last: tuple[ScopedGraph, Reads] | None = None  # the round before's graph and reads
    try:
        for rounds in range(MAX_ROUNDS):
            if rounds == TRIAL_ROUNDS:
                files.read_baselines()
            try:
                scope.scan(wanted)
            except _TooFar:
                if last is None:
                    raise
                wanted = _requirements_first(scope, *last, wanted)
                before = max(1, len(wanted))
                scope.scan(wanted)
            scoped = scope.graph()
            watched = WatchedGraph(scoped.graph)
            last = scoped, watched.reads
            failure: ReqtraceError | None = None
            try:
                probe(watched, scoped.snapshot, files.baselines)
            except ReqtraceError as error:
                failure = error
            missing = scoped.missing(watched.reads)
            if missing == set():
                if not files.baselines_read:
                    files.read_baselines()
                    continue  # the same files, asked again of the graph with the baselines
                if failure is not None:
                    raise failure
                return Scoped(scoped, files.baselines, files.texts)
            if missing is None:
                scope.read_emails()
                missing = set()
            if len(missing | scope.scanned) > files.limit or (len(missing) >= FAN_OUT and len(missing) > 2 * before):
                wanted = _requirements_first(scope, scoped, watched.reads, missing)
                before = max(1, len(wanted))
                continue
            wanted, before = missing, max(1, len(missing))
    except Unscoped:
        pass
    return Scoped(None, files.baselines if files.baselines_read else None, files.texts)


def _requirements_first(scope: _Scope, scoped: ScopedGraph, reads: Reads, missing: set[str]) -> set[str]:
    """When a question's walk fans out over parent links alone — a trace of a root lists every
    requirement below it, but reads the other links of only a few nodes — every requirement
    file is read (_Scope.read_requirements), and the ids to scan next are returned: those
    `missing` for the links of every kind read so far. Unscoped for any other reach, or
    once the requirements are read already: the whole graph."""
    if scope.defined is not None or len(missing & (reads.out | reads.into)) >= FAN_OUT:
        raise Unscoped("the question reaches much of the repo")
    scope.read_requirements()
    return missing & _needed(Reads(set(), reads.out, reads.into, set(), set()), scoped.records, scope.files.baseline_links, scoped.linked_ids)


def no_digests(graph: EvidenceGraph, ids: set[str]) -> dict[str, str]:
    """A probe's `digests_of`: the requirements `ids` noted as read (their digests come
    from their nodes' files), none given (what a question reads does not depend on them)."""
    if isinstance(graph, WatchedGraph):
        graph.reads.nodes.update(ids)
    return {}
