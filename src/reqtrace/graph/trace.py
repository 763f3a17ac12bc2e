"""`reqtrace trace` and `reqtrace impact`: questions asked of the evidence graph.

trace tells one item's story as a dated timeline — where it came from, every
record that mentions it, every request that affects it with its decision,
the baselines that hold it — with the requirements above and below it.
impact answers "what would a change to this requirement touch?".
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reqtrace.core import cachestore
from reqtrace.core.model import natural_key as _natural
from reqtrace.core.people import NOBODY, People
from reqtrace.errors import InputError, UsageError
from reqtrace.graph.graph import (
    AFFECTS,
    DECIDES,
    IN_BASELINE,
    PARENT,
    REFS,
    SOURCE,
    THREAD,
    baseline_date,
    node_of,
    reachable,
)
from reqtrace.io import gitio
from reqtrace.io.clock import moment_key

if TYPE_CHECKING:
    from reqtrace.baselines.baseline import Baseline
    from reqtrace.core.config import SpecRepo
    from reqtrace.graph.graph import EvidenceGraph

_PARENT_ONLY = frozenset({PARENT})
# How an edge reads from the traced item's side: (when it points away, when it points at it).
RELATIONS = {
    SOURCE: ("came-from", "source-of"),
    REFS: ("mentions", "mentioned-in"),
    AFFECTS: ("affects", "affected-by"),
    DECIDES: ("decides", "decided-in"),
    THREAD: ("reply-to", "replied-by"),
    IN_BASELINE: ("in-baseline", "holds"),
}
OWN_EVENT = {"request": "received", "meeting": "held", "email": "sent", "document": "dated", "baseline": "created"}


@dataclass(frozen=True)
class TimelineEntry:
    date: str | None
    id: str
    kind: str
    relation: str
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date, "id": self.id, "kind": self.kind, "relation": self.relation, "summary": self.summary}


@dataclass
class Trace:
    id: str
    kind: str
    title: str
    path: str | None
    timeline: list[TimelineEntry] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)
    # Links to or from this requirement whose parent changed after the link was reviewed.
    suspect: list[dict[str, str]] = field(default_factory=list)
    # Requirements: test evidence for the current content ({"state", …, "runs": [...]}).
    tests: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "path": self.path,
            "timeline": [entry.as_dict() for entry in self.timeline],
            "upstream": self.upstream,
            "downstream": self.downstream,
            "suspect": self.suspect,
            "tests": self.tests,
        }


# Given requirement ids, their current digests (digest.requirement_digest); see graph_cache.requirement_digests.
DigestsOf = Callable[[set[str]], dict[str, str]]


def suspect_edges(graph: EvidenceGraph, links: Iterable[tuple[str, str]], digests_of: DigestsOf | None) -> list[dict[str, str]]:
    """The (child, parent) links among `links` that are suspect: reviewed against a parent
    digest that is no longer the parent's (changes/suspect.py). Unstamped links never are."""
    if digests_of is None:
        return []
    stamped = []
    for child, parent in links:
        attrs = graph.link(child, parent, PARENT)
        stamp = attrs.get("reviewed") if attrs else None
        if stamp:
            stamped.append((child, parent, stamp))
    if not stamped:
        return []
    digests = digests_of({parent for _, parent, _ in stamped})
    return [
        {"child": child, "parent": parent}
        for child, parent, stamp in sorted(stamped, key=lambda link: (_natural(link[0]), _natural(link[1])))
        if parent in digests and digests[parent] != stamp
    ]


def text_changes(repo: SpecRepo | None, commit: str | None, item_id: str) -> list[TimelineEntry]:
    """When a requirement's text changed, from its log (`reqtrace log`), up to `commit`
    (None: HEAD). Entries have relation `changed` and the commit as id."""
    if repo is None or repo.git_top is None:
        return []
    # The log up to a commit never changes: kept by (commit, id), a warm trace walks no history.
    at = commit or gitio.head_commit(repo.git_top)
    content = f"{at}\x00{repo.prefix}\x00{item_id}" if at is not None else None
    if content is not None:
        kept = cachestore.load(repo.git_top, TEXT_CHANGES_KIND, content, _timeline_from_plain)
        if kept is not None:
            return kept
    entries = _text_changes(repo, at or "HEAD", item_id)
    if content is not None:
        cachestore.store(repo.git_top, TEXT_CHANGES_KIND, content, [list(entry.as_dict().values()) for entry in entries])
    return entries


TEXT_CHANGES_KIND = "text-changes"


def text_changes_beside(repo: SpecRepo, commit: str | None, item_id: str, requirements_dir: str) -> Callable[[], None] | None:
    """Start keeping `text_changes(repo, commit, item_id)` in a forked child, for a caller
    about to read every file (a graph built afresh), which asks for them afterwards and
    finds them kept; the function returned waits for the child. None when nothing is
    started: they are kept already, or no committed file in the requirements folder is
    named after the id (the usual layout: the walk is started only for an id that is
    likely a requirement's, since a record's trace never asks for it)."""
    from reqtrace.io.fork_map import fork_beside

    if repo.git_top is None:
        return None
    at = commit or gitio.head_commit(repo.git_top)
    if at is None or cachestore.load(repo.git_top, TEXT_CHANGES_KIND, f"{at}\x00{repo.prefix}\x00{item_id}", _timeline_from_plain) is not None:
        return None
    tracked = gitio.tracked_files(repo.git_top, [repo.git_path(requirements_dir)])
    if not any(path.rpartition("/")[2] in (f"{item_id}.yaml", f"{item_id}.yml") for path in tracked):
        return None
    return fork_beside(lambda: text_changes(repo, commit, item_id), items=len(tracked))


def _timeline_from_plain(plain: Any) -> list[TimelineEntry] | None:
    if not isinstance(plain, list):
        return None
    entries = []
    for row in plain:
        if not (isinstance(row, list) and len(row) == 5 and all(isinstance(value, str) for value in row[1:]) and isinstance(row[0], str | None)):
            return None
        entries.append(TimelineEntry(*row))
    return entries


def _text_changes(repo: SpecRepo, rev: str, item_id: str) -> list[TimelineEntry]:
    from reqtrace.changes.diff import ADDED, MODIFIED, MOVED, REMOVED
    from reqtrace.changes.history import requirement_history
    from reqtrace.errors import ReqtraceError

    try:
        history = requirement_history(repo, item_id, rev, links=False)
    except ReqtraceError:
        return []  # not committed yet, or no history: nothing to add
    entries = []
    for entry in history.entries:
        if entry.change not in (ADDED, MODIFIED, MOVED, REMOVED):
            continue  # a gap (unreadable file) or a duplicate copy: no change of its text
        if entry.change == ADDED:
            what = "added"
        elif entry.change == REMOVED:
            what = "removed"
        elif entry.change == MOVED:
            what = f"moved to {entry.path}"
        else:
            what = "changed " + (", ".join(change.field for change in entry.fields) or "its text")
        subject = entry.message.strip().splitlines()[0] if entry.message.strip() else ""
        summary = f"{what} by {entry.author}" + (f" — {subject}" if subject else "")
        entries.append(TimelineEntry(entry.date, entry.commit[:12], "commit", "changed", summary))
    return entries


def date_key(text: str | None) -> tuple[int, str]:
    """Sorts ISO dates and date-times by the moment they name (clock.moment_key): a date
    alone is the end of its day, so what was decided that day follows its commits."""
    return moment_key(text)


def _in_order(adjacency: dict[str, Any]) -> list[tuple[str, Any]]:
    # By id, not in the graph's dict order: a patched graph (graph/patch.py) holds the
    # same links as a fresh build in another order, and must tell the same story.
    return sorted(adjacency.items(), key=lambda pair: _natural(pair[0]))


def _require(graph: EvidenceGraph, commit: str | None, item_id: str) -> dict[str, Any]:
    if item_id not in graph:
        where = f" at commit {commit[:12]}" if commit else ""
        raise InputError(f"no item with id '{item_id}'{where}", hint="`reqtrace list --kind all` shows every id")
    return graph.nodes[item_id]  # type: ignore[no-any-return]


def _summary(relation: str, other: str, node: dict[str, Any], attrs: dict[str, Any], baselines: dict[str, Baseline], people: People) -> str:
    title = node.get("title") or ""
    if relation == "affected-by":
        return f"{title} — {node.get('decision') or 'open'}"
    if relation in ("decided-in", "decides"):
        text = attrs.get("text") or title
        target = f" {other}" if relation == "decides" else ""
        return f"{attrs.get('decision', 'decided')}{target}: {text}"
    if relation == "mentioned-in" and attrs.get("decision"):
        return f"decision: {attrs['decision']}"
    if relation == "mentioned-in" and attrs.get("signoff"):
        return f"evidence of the sign-off {attrs['signoff']} of baseline {title}"
    if relation == "mentions" and attrs.get("signoff"):
        return f"evidence of the sign-off {attrs['signoff']}: {title}"
    if relation == "in-baseline":
        baseline = baselines.get(other)
        signed = [f"{s.meaning} by {_signer(people, s.signer)}" for s in (baseline.active_signoffs if baseline else ())]
        return f"held by baseline {title}" + (f"; signed: {', '.join(signed)}" if signed else "")
    return title


def _signer(people: People, signer: str) -> str:
    """A known signer by their one name (reqtrace.yaml's `people:`), else as they signed."""
    person = people.identify(signer)
    return person.name if person else signer


def trace_item(graph: EvidenceGraph, item_id: str, *, commit: str | None = None, baselines: list[Baseline] = (),  # type: ignore[assignment]
               changes: list[TimelineEntry] = (), people: People = NOBODY,  # type: ignore[assignment]
               digests_of: DigestsOf | None = None, reach: bool = True) -> Trace:
    """The story of one item, oldest first. `commit` names where the graph was read;
    `digests_of`, when given, lets it mark suspect parent links to and from the item.
    `reach=False` leaves out the requirements above and below it: a caller that tells
    every item's story (publish) walks those once for all, not once per item."""
    node = _require(graph, commit, item_id)
    kind = node.get("kind", "")
    result = Trace(item_id, kind, node.get("title") or "", node.get("path"))
    entries: dict[tuple[str, str], TimelineEntry] = {}

    def add(entry: TimelineEntry) -> None:
        entries.setdefault((entry.id, entry.relation), entry)

    if node.get("date") and kind in OWN_EVENT:
        add(TimelineEntry(node["date"], item_id, kind, OWN_EVENT[kind], node.get("title") or ""))
    _add_linked(graph, item_id, {node_of(baseline): baseline for baseline in baselines}, people, add)
    _add_origins(graph, item_id, entries, add)
    for entry in changes:
        add(entry)
    _drop_weaker_mentions(entries)
    # Same day: the item's own event first, then by id.
    result.timeline = sorted(entries.values(), key=lambda e: (date_key(e.date), e.id != item_id, _natural(e.id), e.relation))
    if not reach:
        return result
    if kind == "requirement":
        result.upstream, result.downstream, result.suspect = _requirement_reach(graph, item_id, digests_of)
    else:
        result.upstream, result.downstream = _record_reach(graph, item_id)
    return result


Add = Callable[[TimelineEntry], None]


def _add_linked(graph: EvidenceGraph, item_id: str, by_node: dict[str, Baseline], people: People, add: Add) -> None:
    """An entry for every item linked to or from this one (parent links aside: those are
    upstream and downstream), and the decision on each request that affects it."""
    node = graph.nodes[item_id]
    for direction, adjacency in ((0, graph.succ[item_id]), (1, graph.pred[item_id])):
        for other, keyed in _in_order(adjacency):
            other_node = graph.nodes[other]
            for edge_type, attrs in keyed.items():
                if edge_type == PARENT:
                    continue
                relation = RELATIONS[edge_type][direction]
                date = attrs.get("date") or other_node.get("date") or node.get("date")
                summary = _summary(relation, other, other_node, attrs, by_node, people)
                add(TimelineEntry(date, other, other_node.get("kind", ""), relation, summary))
                if relation == "affected-by":
                    _add_decisions(graph, other, add)


def _add_decisions(graph: EvidenceGraph, request: str, add: Add) -> None:
    """The decision on a request that changes the item is part of its story, at the
    moment it was taken — after the commits it follows."""
    request_node = graph.nodes[request]
    decided_in = False
    for decider, decider_keyed in _in_order(graph.pred[request]):
        decision = decider_keyed.get(DECIDES)
        if decision is None:
            continue
        decided_in = True
        decider_node = graph.nodes[decider]
        text = decision.get("text") or decider_node.get("title") or ""
        add(TimelineEntry(decision.get("date") or decider_node.get("date"), decider, decider_node.get("kind", ""), "decision", f"{decision.get('decision', 'decided')} {request}: {text}"))
    if not decided_in and request_node.get("decided_on") and request_node.get("status") in ("approved", "rejected"):
        # Decided with no meeting or email named (`decide` without --in).
        add(TimelineEntry(request_node["decided_on"], request, "request", "decision", f"{request_node.get('decision') or 'decided'}"))


def _add_origins(graph: EvidenceGraph, item_id: str, entries: dict[tuple[str, str], TimelineEntry], add: Add) -> None:
    """Where it came from, further back: the email behind the request it came from."""
    for start in [e.id for e in entries.values() if e.relation in ("came-from", "affected-by")]:
        for origin, via in _origins(graph, start):
            if origin != item_id:
                origin_node = graph.nodes[origin]
                add(TimelineEntry(origin_node.get("date"), origin, origin_node.get("kind", ""), "came-from", f"via {via}: {origin_node.get('title') or ''}"))


def _drop_weaker_mentions(entries: dict[tuple[str, str], TimelineEntry]) -> None:
    """A record that came from, affects or decided about the item need not also be
    listed as merely mentioning it."""
    stronger = {entry.id for entry in entries.values() if entry.relation not in ("mentioned-in", "mentions")}
    for key, entry in list(entries.items()):
        if entry.relation == "mentioned-in" and entry.id in stronger and not entry.summary.startswith("decision: "):
            del entries[key]


def _requirement_reach(graph: EvidenceGraph, item_id: str, digests_of: DigestsOf | None) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """(the requirements above it, those below it, its suspect parent links)."""
    upstream = sorted(reachable(graph, item_id, [PARENT]), key=_natural)
    downstream = sorted(reachable(graph, item_id, [PARENT], backwards=True), key=_natural)
    links = [(item_id, parent) for parent, keyed in graph.succ[item_id].items() if PARENT in keyed]
    links += [(child, item_id) for child, keyed in graph.pred[item_id].items() if PARENT in keyed]
    return upstream, downstream, suspect_edges(graph, links, digests_of)


def _record_reach(graph: EvidenceGraph, item_id: str) -> tuple[list[str], list[str]]:
    """(the requirements a record is about, those that came from it and everything below them)."""
    about = [other for other, keyed in graph.succ[item_id].items() if (REFS in keyed or AFFECTS in keyed) and graph.nodes[other].get("kind") == "requirement"]
    derived = [other for other, keyed in graph.pred[item_id].items() if SOURCE in keyed and graph.nodes[other].get("kind") == "requirement"]
    below = set(derived)
    for req_id in derived:
        below.update(reachable(graph, req_id, [PARENT], backwards=True))
    return sorted(set(about), key=_natural), sorted(below, key=_natural)


def _origins(graph: EvidenceGraph, start: str, limit: int = 50) -> list[tuple[str, str]]:
    """(record, the record it was reached through) along `source` links from `start`, cycle-safe."""
    found: list[tuple[str, str]] = []
    seen = {start}
    frontier = [start]
    while frontier and len(found) < limit:
        current = frontier.pop(0)
        for other, keyed in _in_order(graph.succ[current]):
            if SOURCE in keyed and other not in seen:
                seen.add(other)
                found.append((other, current))
                frontier.append(other)
    return found


# --- trace's answer, kept -------------------------------------------------------------

TRACE_KIND = "trace"


def kept_trace(repo: Any, state: Any, item_id: str) -> Trace | None:
    """The trace of `item_id` kept for the spec files' `state` (core/worktree_state.py
    SpecState: the commit or HEAD, every spec, record and baseline file differing from it
    by content hash, the baseline tags): what the graph, the requirement's text changes
    up to that commit, its test evidence, its digests and reqtrace.yaml's people are all
    read from. None when there is none (`keep_trace` keeps it).

    The trace of a root walks the whole hierarchy below it and sorts thousands of ids;
    read back, it is one entry."""
    if state is None or not cachestore.answers_kept():
        return None
    return cachestore.load(repo.git_top, TRACE_KIND, _trace_content(state, item_id), _trace_of_plain)


def keep_trace(repo: Any, state: Any, item_id: str, trace: Trace) -> None:
    if state is not None and cachestore.answers_kept():
        timeline = [[entry.date, entry.id, entry.kind, entry.relation, entry.summary] for entry in trace.timeline]
        plain = [trace.id, trace.kind, trace.title, trace.path, timeline, trace.upstream, trace.downstream, trace.suspect, trace.tests]
        cachestore.store(repo.git_top, TRACE_KIND, _trace_content(state, item_id), plain)


def _trace_content(state: Any, item_id: str) -> str:
    import json

    return json.dumps([list(state.plain()), item_id], sort_keys=True)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _trace_of_plain(plain: Any) -> Trace | None:
    if not (isinstance(plain, list) and len(plain) == 9):
        return None
    item_id, kind, title, path, timeline, upstream, downstream, suspect, tests = plain
    if not (isinstance(item_id, str) and isinstance(kind, str) and isinstance(title, str) and isinstance(path, str | None)):
        return None
    entries = _timeline_from_plain(timeline)
    if entries is None or not (_texts(upstream) and _texts(downstream)):
        return None
    if not (isinstance(suspect, list) and all(isinstance(link, dict) and all(isinstance(v, str) for v in link.values()) for link in suspect)):
        return None
    if not (tests is None or (isinstance(tests, dict) and isinstance(tests.get("state"), str) and isinstance(tests.get("runs"), list))):
        return None
    return Trace(item_id, kind, title, path, entries, upstream, downstream, suspect, tests)


# --- impact ---------------------------------------------------------------------------


@dataclass
class Impact:
    id: str
    title: str
    descendants: list[dict[str, Any]]
    open_requests: list[dict[str, Any]]
    baselines: list[dict[str, Any]]
    signoffs: list[dict[str, Any]]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "descendants": len(self.descendants),
            "open_requests": len(self.open_requests),
            "baselines": len(self.baselines),
            "signoffs": len(self.signoffs),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": "requirement",
            "title": self.title,
            "counts": self.counts,
            "descendants": self.descendants,
            "open_requests": self.open_requests,
            "baselines": self.baselines,
            "signoffs": self.signoffs,
        }


IMPACT_KIND = "impact"


def kept_impact(repo: Any, state: Any, item_id: str) -> Impact | None:
    """The impact of `item_id` kept for the spec files' `state` (core/worktree_state.py
    SpecState: the commit or HEAD, every spec, record and baseline file differing from it
    by content hash, the baseline tags): what the graph, its digests and the baselines it
    is computed from are named by. None when there is none (`keep_impact` keeps it).

    The impact of a root requirement reads every node below it and writes thousands of
    rows; read back, it is one entry."""
    found = _kept_impact_text(repo, state, item_id)
    return None if found is None else found[0]


def kept_impact_body(repo: Any, state: Any, item_id: str) -> str | None:
    """The kept impact as `impact --format json` writes it after `schema_version` and `ok`
    (cli/output.py `json_body`, `rev` first); None when there is none. At 100,000
    requirements, indenting a root's answer again (100,000 rows) cost a warm impact 0.4 s."""
    found = _kept_impact_text(repo, state, item_id)
    if found is None:
        return None
    text = found[1]
    return text if text.startswith('{\n  "rev": ') and text.endswith("\n}") else None


def _kept_impact_text(repo: Any, state: Any, item_id: str) -> tuple[Impact, str] | None:
    if state is None or not cachestore.answers_kept():
        return None
    # The answer names its revision: the commit read, or null for the working tree.
    rev = None if state.worktree else state.commit
    return cachestore.load_text(repo.git_top, IMPACT_KIND, _impact_content(state, item_id), lambda plain: _impact_of_plain(plain, rev))


def impact_body(rev: str | None, impact: Impact) -> dict[str, Any]:
    """What `impact --format json` answers after `schema_version` and `ok`."""
    return {"rev": rev, **impact.as_dict()}


def keep_impact(repo: Any, state: Any, item_id: str, impact: Impact, body: str) -> None:
    """Keep `impact` as `body`: its `impact_body` as `cli/output.py` `json_body` writes it."""
    if state is not None and cachestore.answers_kept():
        cachestore.store_text(repo.git_top, IMPACT_KIND, _impact_content(state, item_id), body)


def _impact_content(state: Any, item_id: str) -> str:
    import json

    return json.dumps([list(state.plain()), item_id], sort_keys=True)


_IMPACT_KEYS = ("rev", "id", "kind", "title", "counts", "descendants", "open_requests", "baselines", "signoffs")


def _impact_of_plain(plain: Any, rev: str | None) -> Impact | None:
    """A kept impact body, when it has `impact_body`'s keys in order, the revision asked
    about, the types of its values and the counts of its rows."""
    if not (isinstance(plain, dict) and tuple(plain) == _IMPACT_KEYS and plain["rev"] == rev and plain["kind"] == "requirement"):
        return None
    if not (isinstance(plain["id"], str) and isinstance(plain["title"], str)):
        return None
    rows = [plain[key] for key in _IMPACT_KEYS[5:]]
    if not all(isinstance(part, list) and all(isinstance(row, dict) for row in part) for part in rows):
        return None
    impact = Impact(plain["id"], plain["title"], *rows)
    return impact if plain["counts"] == impact.counts else None


def impact_of(graph: EvidenceGraph, item_id: str, *, commit: str | None = None, baselines: list[Baseline] = (), digests_of: DigestsOf | None = None) -> Impact:  # type: ignore[assignment]
    """What a change to requirement `item_id` would touch. With `digests_of`, each
    descendant says which of its parent links (within the scope) are suspect already."""
    node = _require(graph, commit, item_id)
    if node.get("kind") != "requirement":
        raise UsageError(f"{item_id} is a {node.get('kind')}; impact is about requirements — try `reqtrace trace {item_id}`")
    below = sorted(reachable(graph, item_id, [PARENT], backwards=True), key=_natural)
    scope = {item_id, *below}
    links = [(child, parent) for child in below for parent in graph.linked(child, _PARENT_ONLY) if parent in scope]
    suspect: dict[str, list[str]] = {}
    for link in suspect_edges(graph, links, digests_of):
        suspect.setdefault(link["child"], []).append(link["parent"])
    descendants = [{"id": i, "title": graph.nodes[i].get("title"), "status": graph.nodes[i].get("status"), "suspect": suspect.get(i, [])} for i in below]
    requests: dict[str, set[str]] = {}
    for req_id in scope:
        for other, keyed in graph.pred[req_id].items():
            if (AFFECTS in keyed or REFS in keyed) and graph.nodes[other].get("kind") == "request" and graph.nodes[other].get("status") in ("open", "pending"):
                requests.setdefault(other, set()).add(req_id)
    open_requests = [
        {"id": rid, "title": graph.nodes[rid].get("title"), "status": graph.nodes[rid].get("status"), "received": graph.nodes[rid].get("date"), "about": sorted(about, key=_natural)}
        for rid, about in sorted(requests.items(), key=lambda kv: _natural(kv[0]))
    ]
    held = []
    signoffs = []
    # The scope in id order once (`below` is sorted already; _natural is a total order, so
    # filtering it gives what sorting each baseline's share would, without 10,000 keys each).
    ordered_scope = list(below)
    if item_id not in below:
        bisect.insort(ordered_scope, item_id, key=_natural)
    for baseline in sorted(baselines, key=lambda b: (date_key(baseline_date(b)), b.name)):
        frozen = set(baseline.requirement_ids)
        holds = [rid for rid in ordered_scope if rid in frozen]
        if not holds:
            continue
        held.append({"name": baseline.name, "created": baseline_date(baseline), "commit": baseline.commit, "holds": holds})
        for signoff in baseline.active_signoffs:
            signoffs.append({"baseline": baseline.name, "signer": signoff.signer, "meaning": signoff.meaning, "role": signoff.role, "time": signoff.time})
    return Impact(item_id, node.get("title") or "", descendants, open_requests, held, signoffs)
