"""`reqtrace status`: the project manager's one screen, as data.

`build_status` takes what other modules compute as plain data, so that it
does not depend on them:

    accepted = {"name": str, "created": str | None, "delivery_date": str | None,
                "requirement_count": int}               # the accepted baseline
    drift    = {"added": [ids], "modified": [ids], "removed": [ids],
                "approved": [ids], "unapproved": [ids],   # changes since it
                "changes_by_requirement": {id: n}}        # commits that changed each
    story    = {"first": {"name", "date", "commit", "requirements"},  # the first signed baseline
                "changes": [Approval],        # since it, that need approval
                "accepted_later": [Approval], # from it to the accepted baseline
                "accepted": str}              # the accepted baseline's name

Without them the screen says there is no accepted baseline yet, and shows
everything that the snapshot alone can tell.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any, NamedTuple

from reqtrace.core import cachestore
from reqtrace.core.model import Snapshot, natural_key
from reqtrace.core.people import People

MOST_CHANGED = 10
APPROVALS_KIND = "approvals"
INPUTS_KIND = "status-inputs"
ANSWER_KIND = "status"


class _KeptPair(NamedTuple):
    """What is kept of the changes between two commits (kind `approvals`)."""

    date: str  # the later commit's date
    rows: list[Any]  # [id, change, [dates of the approved requests naming it]] of each change needing approval
    others: set[str]  # ids whose change needs no approval, renamed, duplicated or unreadable: not composed
    from_digests: dict[str, str]  # id -> its one copy's digest at the earlier commit, for the modified and removed
    renamed_from: set[str]  # the ids that requirements added since name in `x-renamed-from`


class Approval(NamedTuple):
    """What status shows of one change that needs approval (a diff's Change, summed up)."""

    id: str
    change: str  # ADDED, REMOVED, MODIFIED
    approved: bool


class WorktreeAgainstHead:
    """HEAD, and the requirement, request and configuration files by which the working tree
    differs from it: asked of git once for the approvals of one status (two git processes
    and a `rev-parse` per diff to the working tree otherwise)."""

    def __init__(self) -> None:
        self._found: tuple[str | None, list[Any]] | None = None

    def of(self, repo: Any) -> tuple[str | None, list[Any]]:
        """(HEAD or None, the differing files as gitio.diff_worktree lists them)."""
        if self._found is None:
            from reqtrace.core.config import CONFIG_FILE
            from reqtrace.io import gitio

            head = gitio.head_commit(repo.git_top) if repo.git_top is not None else None
            differing: list[Any] = []
            if head is not None:
                config = repo_config(repo)
                folders = [repo.git_path(folder) for folder in (CONFIG_FILE, config.requirements_dir, config.requests_dir)]
                differing = gitio.diff_worktree(repo.git_top, head, folders)
            self._found = (head, differing)
        return self._found


def approvals_between(repo: Any, from_commit: str, to_commit: str | None, shown: str, *, whole: Snapshot | None = None,
                      against_head: WorktreeAgainstHead | None = None) -> list[Approval]:
    """The changes needing approval from `from_commit` to `to_commit` (None: the working
    tree), as `reqtrace diff` finds them. `whole`: a snapshot read whole (every file
    parsed), when there is one: the diff takes TO's files that are the snapshot's from it
    (changes/diff.py `diff_revisions`'s `to_snapshot`) instead of parsing and searching.
    `against_head`: the working tree against HEAD, shared by the approvals of one answer.

    Between two commits the changes and the requests that affect them never change,
    so they are kept (core/cachestore.py) and a later run reads them instead of diffing
    again. A working tree whose requirements, requests and configuration are HEAD's
    (the usual case) is answered from HEAD's: only the date a request's approval is
    compared with differs — today instead of HEAD's date — and it is applied on reading.
    A working tree whose requirement files alone differ from HEAD composes HEAD's kept
    pair with a diff of those files (`_composed`), where the composition is exact.
    """
    from reqtrace.changes.diff import diff_revisions
    from reqtrace.core.snapshot import WORKTREE
    from reqtrace.io import clock

    if to_commit is not None:
        return _kept_approvals(repo, from_commit, to_commit, shown, None, whole)
    head, differing = (against_head or WorktreeAgainstHead()).of(repo)
    if head is not None:
        if not differing:
            return _kept_approvals(repo, from_commit, head, shown, clock.today().isoformat(), whole)
        requirements_dir = repo.git_path(repo_config(repo).requirements_dir).rstrip("/") + "/"
        if all(change.path.startswith(requirements_dir) for change in differing):
            composed = _composed(repo, from_commit, head, shown)
            if composed is not None:
                return composed
    result = diff_revisions(repo, from_commit, WORKTREE, from_shown=shown, details=False, to_snapshot=whole, cache=_parses_not_kept())
    return [Approval(c.id, c.change, c.approved) for c in result.changes if c.needs_approval]


def _parses_not_kept() -> Any:
    """A parse cache without a folder, for the approval diffs: what they parse is a baseline's
    version of each file changed since, read once per pair of commits (the pair's approvals
    are kept, and so are status's inputs and its answer). Writing those parses as cache
    entries cost a cold status at 100,000 requirements a fifth of each diff, and reading an
    entry back costs about what parsing the file again does (check's drift gate does the same)."""
    from reqtrace.core.parse_cache import ParseCache  # here: a warm status imports no loader

    return ParseCache(None)


def repo_config(repo: Any) -> Any:
    from reqtrace.core.config import parse_config
    from reqtrace.core.snapshot import Reader

    return parse_config(Reader(repo, None).read_config())[0]


def _kept_approvals(repo: Any, from_commit: str, to_commit: str, shown: str, to_date: str | None, whole: Snapshot | None = None) -> list[Approval]:
    """The approvals between two commits, each request's approval compared with `to_date`
    (None: `to_commit`'s date, as `reqtrace diff` compares it)."""
    kept = _kept_pair(repo, from_commit, to_commit, shown, whole)
    return _sorted(_approved(rid, change, approved_on, to_date or kept.date) for rid, change, approved_on in kept.rows)


def _approved(rid: str, change: str, approved_on: list[str | None], when: str) -> Approval:
    return Approval(rid, change, any(not on or on[:10] <= when for on in approved_on))


def _sorted(approvals: Iterable[Approval]) -> list[Approval]:
    return sorted(approvals, key=lambda a: (a.approved, natural_key(a.id)))


def _kept_pair(repo: Any, from_commit: str, to_commit: str, shown: str, whole: Snapshot | None = None, parses: Any = None) -> _KeptPair:
    """The changes between two commits as kept, computed (and kept) when they are not
    (`whole`: a snapshot read whole, whose files that are `to_commit`'s stand for them;
    `parses`: the parse cache the diff reads through, when not `_parses_not_kept()`)."""
    from reqtrace.changes.diff import MODIFIED, REMOVED, RENAMED_FROM, diff_revisions
    from reqtrace.core.digest import known_digest

    content = f"{from_commit}\x00{to_commit}"
    kept = cachestore.load(repo.git_top, APPROVALS_KIND, content, _kept_shape)
    if kept is not None:
        return kept
    result = diff_revisions(repo, from_commit, to_commit, from_shown=shown, details=False, to_snapshot=whole, cache=parses if parses is not None else _parses_not_kept())
    rows: list[Any] = [[c.id, c.change, [ref.on for ref in c.requests if ref.status == "approved"]] for c in result.changes if c.needs_approval]
    others = {c.id for c in result.changes if not c.needs_approval}
    others |= {c.renamed_from for c in result.changes if c.renamed_from is not None} | {c.id for c in result.changes if c.renamed_from is not None}
    others |= {d.id for d in result.duplicates} | {u.id for u in result.unreadable}
    from_digests = {c.id: known_digest(c.before) for c in result.changes if c.change in (MODIFIED, REMOVED) and c.before is not None and c.id not in others}
    renamed_from: set[str] = set()
    for c in result.changes:
        named = dict(c.after.extra).get(RENAMED_FROM) if c.after is not None else None
        renamed_from.update(name for name in (named if isinstance(named, list) else [named]) if isinstance(name, str))
    kept = _KeptPair(result.to_side.date, rows, others, from_digests, renamed_from)
    cachestore.store(repo.git_top, APPROVALS_KIND, content, {
        "date": kept.date, "rows": rows, "others": sorted(others), "from_digests": from_digests, "renamed_from": sorted(renamed_from),
    })
    return kept


def _kept_shape(plain: Any) -> _KeptPair | None:
    if not (isinstance(plain, dict) and isinstance(plain.get("date"), str) and isinstance(plain.get("rows"), list)):
        return None
    for row in plain["rows"]:
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[1], str) and isinstance(row[2], list)
                and all(on is None or isinstance(on, str) for on in row[2])):
            return None
    others, digests, renamed = plain.get("others"), plain.get("from_digests"), plain.get("renamed_from")
    if not (isinstance(others, list) and all(isinstance(rid, str) for rid in others)
            and isinstance(renamed, list) and all(isinstance(rid, str) for rid in renamed)
            and isinstance(digests, dict) and all(isinstance(value, str) for value in digests.values())):
        return None
    return _KeptPair(plain["date"], plain["rows"], set(others), digests, set(renamed))


def _composed(repo: Any, from_commit: str, head: str, shown: str) -> list[Approval] | None:
    """The approvals from `from_commit` to a working tree whose requirement files alone differ
    from HEAD: HEAD's kept pair, with the requirements the working tree changed since HEAD
    (a diff of only the differing files) put in. None where that would not be exactly
    what a diff to the working tree finds — a rename, a duplicated or unreadable
    requirement, or a change to one the kept pair cannot compose — so it is diffed plainly.

    The requests are HEAD's, so a change's approving requests are those the kept pair
    lists, compared with today's date, as `reqtrace diff` compares the working tree's."""
    from reqtrace.changes.diff import ADDED, MODIFIED, MOVED, REMOVED, RENAMED_FROM, diff_revisions
    from reqtrace.core.digest import requirement_digest
    from reqtrace.core.snapshot import WORKTREE
    from reqtrace.io import clock

    kept = _kept_pair(repo, from_commit, head, shown)
    edit = diff_revisions(repo, head, WORKTREE, details=False, cache=_parses_not_kept())  # reads only the files that differ
    if edit.duplicates or edit.unreadable:
        return None
    today = clock.today().isoformat()
    rows = {rid: (change, approved_on) for rid, change, approved_on in kept.rows}
    approvals = {rid: _approved(rid, change, approved_on, today) for rid, (change, approved_on) in rows.items()}
    for change in edit.changes:
        rid = change.id
        if rid in kept.others or change.renamed_from is not None:
            return None
        if change.change == MOVED:
            continue  # the same content elsewhere: what changed since `from_commit` is what changed to HEAD
        if change.change == ADDED and change.after is not None:
            # An added requirement may be a removed one renamed (same `mid`, or named in `x-renamed-from`).
            if change.after.mid is not None or dict(change.after.extra).get(RENAMED_FROM) is not None:
                return None
        if change.change == REMOVED and change.before is not None and (change.before.mid is not None or rid in kept.renamed_from):
            return None
        if rid not in rows:
            # Unchanged from `from_commit` to HEAD: the change since HEAD is the change since `from_commit`.
            if change.needs_approval:
                approvals[rid] = Approval(rid, change.change, change.approved)
            continue
        before, approved_on = rows[rid]
        if before == ADDED and change.change == MODIFIED:
            continue  # still added
        if before == ADDED and change.change == REMOVED:
            del approvals[rid]  # neither there nor here
            continue
        if (before, change.change) in ((MODIFIED, MODIFIED), (REMOVED, ADDED)) and change.after is not None:
            earlier = kept.from_digests.get(rid)
            if earlier is None:
                return None
            if requirement_digest(change.after) == earlier:
                del approvals[rid]  # back to what it was
            else:
                approvals[rid] = _approved(rid, MODIFIED, approved_on, today)
            continue
        if before == MODIFIED and change.change == REMOVED:
            approvals[rid] = _approved(rid, REMOVED, approved_on, today)
            continue
        return None  # an order of changes that cannot happen; the plain way decides
    return _sorted(approvals.values())


def _requester(people: People, text: str | None) -> str:
    """The one name of who asked (reqtrace.yaml's `people:`), else the text as written."""
    return people.name_of(text) or "(unknown)"


def _links_out(item: Any) -> bool:
    if getattr(item, "refs", ()) or getattr(item, "affects", ()) or getattr(item, "sources", ()):
        return True
    decision = getattr(item, "decision", None)
    if decision is not None and decision.in_:
        return True
    return any(entry.refs or entry.approves or entry.rejects for entry in getattr(item, "decisions", ()))


def _linked_in(snapshot: Snapshot) -> set[str]:
    """Ids that some item points at (thread links between emails do not count)."""
    linked: set[str] = set()
    for req in snapshot.requirements.values():
        linked.update(req.sources)
    for request in snapshot.requests.values():
        linked.update(request.refs, request.sources)
        if request.decision is not None and request.decision.in_:
            linked.add(request.decision.in_)
    for meeting in snapshot.meetings.values():
        linked.update(meeting.refs)
        for entry in meeting.decisions:
            linked.update(entry.refs, entry.approves, entry.rejects)
    for mail in snapshot.emails.values():
        linked.update(mail.refs)
    for document in snapshot.documents.values():
        linked.update(document.refs)
    return linked


def build_status(snapshot: Snapshot, accepted: dict[str, Any] | None = None, drift: dict[str, Any] | None = None, *, linked: set[str] | frozenset[str] = frozenset(), story: dict[str, Any] | None = None,
                 tests: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything `reqtrace status` shows, as plain JSON-able data.

    `linked` names records that something outside the snapshot's items points
    at (a sign-off's evidence), so they do not count as linked to nothing.
    """
    requests = list(snapshot.requests.values())
    by_state: Counter[str] = Counter()
    by_class: Counter[str] = Counter()
    per_requester: dict[str, Counter[str]] = {}
    written_as: dict[str, set[str]] = {}  # each requester's forms of the name, as the requests wrote them
    for request in requests:
        state = request.decision.status if request.decision is not None and request.decision.status else "open"
        by_state[state] += 1
        if request.decision is not None and request.decision.as_:
            classification = request.decision.as_
        elif request.triage is not None and request.triage.classification:
            classification = request.triage.classification
        else:
            classification = "unclassified"
        by_class[classification] += 1
        requester = _requester(snapshot.config.people, request.from_)
        counts = per_requester.setdefault(requester, Counter())
        written_as.setdefault(requester, set()).add(" ".join((request.from_ or "").split()) or "(unknown)")
        counts["requests"] += 1
        counts[state] += 1

    linked = _linked_in(snapshot) | set(linked)
    unlinked: list[dict[str, Any]] = []
    for records in snapshot.record_maps():
        for item in records.values():
            if not _links_out(item) and item.id not in linked:
                unlinked.append({"id": item.id, "kind": item.kind, "title": getattr(item, "title", None), "path": item.path})
    unlinked.sort(key=lambda row: natural_key(row["id"]))
    unsourced = sorted(
        ({"id": r.id, "title": r.title, "path": r.path, "has_parent": bool(r.parents)} for r in snapshot.requirements.values() if not r.sources),
        key=lambda row: natural_key(str(row["id"])),
    )

    volatility = None
    most_changed: list[dict[str, Any]] = []
    drift_summary = None
    if drift is not None:
        drift_summary = {key: len(drift.get(key) or ()) for key in ("added", "modified", "removed", "approved", "unapproved")}
        changes = drift_summary["added"] + drift_summary["modified"] + drift_summary["removed"]
        size = int(accepted.get("requirement_count") or 0) if accepted else 0
        volatility = {"changes": changes, "baseline_size": size, "index": round(changes / size, 4) if size else None}
        ranked = sorted((drift.get("changes_by_requirement") or {}).items(), key=lambda kv: (-kv[1], natural_key(kv[0])))
        most_changed = [{"id": rid, "changes": n, "title": getattr(snapshot.requirements.get(rid), "title", None)} for rid, n in ranked[:MOST_CHANGED] if n]

    since_first_signed, accepted_without_approval = story_summary(story)
    return {
        "project": snapshot.config.project,
        "customer": snapshot.config.customer,
        "rev": snapshot.commit,
        "counts": {
            "requirements": len(snapshot.requirements),
            "requests": len(snapshot.requests),
            "meetings": len(snapshot.meetings),
            "emails": len(snapshot.emails),
            "documents": len(snapshot.documents),
        },
        "accepted_baseline": accepted,
        "since_first_signed": since_first_signed,
        "accepted_without_approval": accepted_without_approval,
        "drift": drift_summary,
        "volatility": volatility,
        "most_changed": most_changed,
        "requests": {
            "by_state": {state: by_state[state] for state in ("open", "pending", "approved", "rejected") if by_state[state]} | {k: v for k, v in sorted(by_state.items()) if k not in ("open", "pending", "approved", "rejected")},
            "by_classification": dict(sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_requester": [
                {"from": name, "requests": counts["requests"], "open": counts["open"] + counts["pending"], "approved": counts["approved"], "rejected": counts["rejected"],
                 "written_as": sorted(written_as[name])}
                for name, counts in sorted(per_requester.items(), key=lambda kv: (-kv[1]["requests"], kv[0]))
            ],
        },
        "unlinked_records": unlinked,
        "unsourced_requirements": unsourced,
        "tests": tests,
    }


def status_inputs(repo: Any, snapshot: Snapshot, *, beside: bool = False, whole: bool = False) -> dict[str, Any]:
    """The keyword arguments of `build_status` that come from the baseline and diff modules:
    `accepted`, `drift`, `linked` (the documents sign-offs rest on) and `story` (the
    changes since the baseline the customer signed first).

    The accepted baseline is the baseline module's rule (the newest with an
    active customer sign-off approving or accepting it); drift is `reqtrace
    diff` from it to the snapshot's revision; a requirement's number of changes
    is the number of commits since the baseline that touched its file.

    `beside`: the approvals between two baselines' commits, when not kept yet, are
    computed and kept by a forked child while this process computes the others
    (only where what the child keeps can be read back: the caller keeps results).
    `whole`: `snapshot` was read whole (every file parsed, not made from a kept graph's
    facts): the approvals up to it take its side from it.
    """
    from reqtrace.baselines.baseline import baselines_of, folder_of, scan_baselines

    # The graph's scan of the same snapshot, when it made one (its listing and git's witnesses).
    scanned = baselines_of(snapshot) if snapshot.repo is repo else scan_baselines(repo, snapshot.commit)
    baselines = scanned.baselines
    evidence = {s.evidence.document for b in baselines for s in b.active_signoffs if s.evidence and s.evidence.document}
    baseline = scanned.accepted()  # an error, not an older baseline, when one is missing
    if baseline is None:
        return {"accepted": None, "drift": None, "linked": evidence, "story": None, "tests": None}
    name = folder_of(baseline) or baseline.name
    accepted = {
        "name": name,
        "created": baseline.created,
        "delivery_date": baseline.delivery_date,
        "requirement_count": len(baseline.requirements),
        "commit": baseline.commit,
    }
    from reqtrace.changes.diff import ADDED, MODIFIED, REMOVED

    read_whole = snapshot if whole else None
    against_head = WorktreeAgainstHead()
    later = _later_approvals_beside(repo, baselines, baseline, snapshot, read_whole, against_head) if beside else None
    counted = approvals_between(repo, baseline.commit, snapshot.commit, name, whole=read_whole, against_head=against_head)
    drift = {
        "added": [c.id for c in counted if c.change == ADDED],
        "modified": [c.id for c in counted if c.change == MODIFIED],
        "removed": [c.id for c in counted if c.change == REMOVED],
        "approved": [c.id for c in counted if c.approved],
        "unapproved": [c.id for c in counted if not c.approved],
        "changes_by_requirement": _commits_per_requirement(repo, snapshot, baseline.commit, {c.id for c in counted}),
    }
    tests = baseline_test_summary(repo, snapshot, name, baseline.requirements)  # before the story, which may wait for the child
    story = signed_story(repo, baselines, baseline, snapshot.commit, kept_beside=later, whole=read_whole, against_head=against_head)
    return {"accepted": accepted, "drift": drift, "linked": evidence, "story": story, "tests": tests}


class _ApprovalsBeside(NamedTuple):
    """The approvals a forked child keeps while this process computes the others."""

    wait: Any  # waits for the child
    to_snapshot: bool  # whether it keeps those from the first signed baseline to the snapshot's commit too


def _later_approvals_beside(repo: Any, baselines: list[Any], accepted: Any, snapshot: Snapshot, whole: Snapshot | None,
                            against_head: WorktreeAgainstHead) -> _ApprovalsBeside | None:
    """Start keeping, in a forked child, the approvals from the first signed baseline: to the
    accepted one, and to the snapshot's commit (HEAD for a working tree that is HEAD's) —
    two of a cold status's three diffs, which need nothing the third (from the accepted
    baseline) needs. Both parse the first baseline's version of the files changed since it,
    mostly the same files: one process parses them once (`HeldParseCache`). Each pair is kept
    as `approvals_between` would keep it, so this process then reads it back. None when there
    is nothing to start."""
    from reqtrace.baselines.baseline import folder_of, pick_first_signed
    from reqtrace.core.parse_cache import HeldParseCache
    from reqtrace.io.fork_map import fork_beside

    first = pick_first_signed(baselines)
    if first is None or first.commit == accepted.commit or repo.git_top is None:
        return None
    shown = folder_of(first) or first.name
    # The commit approvals_between keeps a pair up to (with `whole`), when it keeps one.
    to_commit = snapshot.commit
    if to_commit is None:
        head, differing = against_head.of(repo)  # asked here, before the fork: this process needs it too
        to_commit = head if not differing else None
    pairs = [(first.commit, to) for to in dict.fromkeys((accepted.commit, to_commit)) if to is not None]
    pairs = [pair for pair in pairs if cachestore.load(repo.git_top, APPROVALS_KIND, "\x00".join(pair), _kept_shape) is None]
    if not pairs:
        return None

    def keep() -> None:
        parses = HeldParseCache()
        for from_commit, to in pairs:
            _kept_pair(repo, from_commit, to, shown, whole, parses)

    wait = fork_beside(keep, items=len(snapshot.requirements))
    return _ApprovalsBeside(wait, (first.commit, to_commit) in pairs)


def kept_status_inputs(repo: Any, snapshot: Snapshot, state: Any, *, whole: bool = False) -> dict[str, Any]:
    """`status_inputs`, kept for the files they are computed from: `state` is the graph's
    (core/worktree_state.py SpecState: HEAD or the commit, every spec, record and baseline file
    that differs from it by content hash, the baseline tags), and today's date, which
    approvals are compared with. None: computed the plain way, not kept.

    A warm `status` then reads one small entry instead of three manifests, the approvals,
    the test evidence and the history since the accepted baseline."""
    from reqtrace.io import clock

    if state is None:
        return status_inputs(repo, snapshot)  # the plain computation: nothing kept, nothing taken as read
    content = json.dumps([list(state.plain()), clock.today().isoformat()], sort_keys=True)
    kept = cachestore.load(repo.git_top, INPUTS_KIND, content, _inputs_of)
    if kept is not None:
        return kept
    inputs = status_inputs(repo, snapshot, beside=True, whole=whole)
    cachestore.store(repo.git_top, INPUTS_KIND, content, {**inputs, "linked": sorted(inputs["linked"])})
    return inputs


# What build_status answers, key by key, with the JSON types each may have.
_ANSWER_TYPES: dict[str, tuple[type, ...]] = {
    "project": (str, type(None)), "customer": (str, type(None)), "rev": (str, type(None)), "counts": (dict,),
    "accepted_baseline": (dict, type(None)), "since_first_signed": (dict, type(None)), "accepted_without_approval": (dict, type(None)),
    "drift": (dict, type(None)), "volatility": (dict, type(None)), "most_changed": (list,), "requests": (dict,),
    "unlinked_records": (list,), "unsourced_requirements": (list,), "tests": (dict, type(None)),
}


def kept_status(repo: Any, state: Any) -> dict[str, Any] | None:
    """The whole status answer kept for `state` (core/worktree_state.py SpecState: HEAD or
    the commit, every spec, record and baseline file that differs from it by content hash,
    the baseline tags) and today's date — what its inputs (`kept_status_inputs`) and the
    graph's facts are computed from; None when there is none (`keep_status` keeps it).

    A warm `status` then reads one entry instead of the graph and the inputs."""
    if state is None or not cachestore.answers_kept():
        return None
    return cachestore.load(repo.git_top, ANSWER_KIND, _content_of(state), _answer_of)


def kept_status_body(repo: Any, state: Any) -> str | None:
    """The kept answer as `status --format json` writes it after `schema_version` and `ok`
    (cli/output.py `json_body`), when it was kept in that form; None otherwise. At 100,000
    requirements, indenting the answer again cost a warm status 0.14 s."""
    if state is None or not cachestore.answers_kept():
        return None
    found = cachestore.load_text(repo.git_top, ANSWER_KIND, _content_of(state), _answer_of)
    if found is None:
        return None
    text = found[1]
    return text if text.startswith('{\n  "') and text.endswith("\n}") else None


def keep_status(repo: Any, state: Any, data: dict[str, Any], body: str | None = None) -> None:
    """Keep `data`; as `body` (its `json_body`, valid JSON of the same data) when given."""
    if state is not None and cachestore.answers_kept():
        if body is not None:
            cachestore.store_text(repo.git_top, ANSWER_KIND, _content_of(state), body)
        else:
            cachestore.store(repo.git_top, ANSWER_KIND, _content_of(state), data)


def _content_of(state: Any) -> str:
    from reqtrace.io import clock

    return json.dumps([list(state.plain()), clock.today().isoformat()], sort_keys=True)


def _answer_of(plain: Any) -> dict[str, Any] | None:
    """A kept status answer, when it has build_status's keys and the types of their values."""
    if not isinstance(plain, dict) or plain.keys() != _ANSWER_TYPES.keys():
        return None
    if not all(isinstance(plain[key], types) for key, types in _ANSWER_TYPES.items()):
        return None
    requests = plain["requests"]
    if not (isinstance(requests.get("by_state"), dict) and isinstance(requests.get("by_classification"), dict) and isinstance(requests.get("by_requester"), list)):
        return None
    rows = [*plain["most_changed"], *plain["unlinked_records"], *plain["unsourced_requirements"], *requests["by_requester"]]
    if not all(isinstance(row, dict) for row in rows) or not all(type(n) is int for n in plain["counts"].values()):
        return None
    return plain


def _inputs_of(plain: Any) -> dict[str, Any] | None:
    """`status_inputs` from what was kept (JSON: Approvals as lists, `linked` a list); None when
    it is not of that shape."""
    if not (isinstance(plain, dict) and set(plain) == {"accepted", "drift", "linked", "story", "tests"}):
        return None
    if not (isinstance(plain["linked"], list) and all(isinstance(one, str) for one in plain["linked"])):
        return None
    accepted, drift, story, tests = plain["accepted"], plain["drift"], plain["story"], plain["tests"]
    if not all(value is None or isinstance(value, dict) for value in (accepted, drift, story, tests)):
        return None
    if accepted is not None and not (isinstance(accepted.get("name"), str) and isinstance(accepted.get("requirement_count"), int)):
        return None
    if drift is not None and not (all(isinstance(drift.get(key), list) for key in ("added", "modified", "removed", "approved", "unapproved"))
                                  and isinstance(drift.get("changes_by_requirement"), dict)):
        return None
    if tests is not None and not (isinstance(tests.get("counts"), dict) and all(isinstance(tests.get(key), list) for key in ("verified", "failing", "untested"))):
        return None
    if story is not None:
        approvals = [story.get("changes"), story.get("accepted_later")]
        if not (isinstance(story.get("first"), dict) and isinstance(story.get("accepted"), str) and all(isinstance(rows, list) for rows in approvals)):
            return None
        rows = [row for part in approvals for row in part]  # type: ignore[union-attr]
        if not all(isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[1], str) and isinstance(row[2], bool) for row in rows):
            return None
        story = {**story, "changes": [Approval(*row) for row in story["changes"]], "accepted_later": [Approval(*row) for row in story["accepted_later"]]}
    return {"accepted": accepted, "drift": drift, "linked": set(plain["linked"]), "story": story, "tests": tests}


def signed_story(repo: Any, baselines: list[Any], accepted: Any, to_commit: str | None, *, kept_beside: Any = None, whole: Snapshot | None = None,
                 against_head: WorktreeAgainstHead | None = None) -> dict[str, Any] | None:
    """The `story` of `build_status`: the changes needing approval from the baseline the
    customer signed first to `to_commit` (None: the working tree), and from it to the
    accepted baseline. None when no baseline has a customer's signature. `kept_beside`:
    the child keeping the latter, and maybe the former (`_later_approvals_beside`).
    `whole`: a snapshot read whole, for the diffs' TO sides; `against_head`: as `approvals_between`."""
    from reqtrace.baselines.baseline import folder_of, pick_first_signed

    first = pick_first_signed(baselines)
    if first is None or accepted is None:
        return None
    first_name = folder_of(first) or first.name
    if kept_beside is not None and kept_beside.to_snapshot:
        kept_beside.wait()  # kept by the child: read back below
    changes = approvals_between(repo, first.commit, to_commit, first_name, whole=whole, against_head=against_head)
    accepted_later: list[Approval] = []
    if kept_beside is not None:
        kept_beside.wait()
    if first.commit != accepted.commit:
        accepted_later = approvals_between(repo, first.commit, accepted.commit, first_name, whole=whole)
    return {
        "first": {"name": first_name, "date": first.created, "commit": first.commit, "requirements": len(first.requirements)},
        "changes": changes,
        "accepted_later": accepted_later,
        "accepted": folder_of(accepted) or accepted.name,
    }


def story_summary(story: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The story's two figures as JSON-able data: what changed since the customer first
    signed (and how much of it an approved request covers), and what a later accepted
    baseline took in that no approved request covers."""
    if story is None:
        return None, None
    from reqtrace.changes.change_kinds import ADDED, MODIFIED, REMOVED

    changes = story["changes"]
    first = story["first"]
    since = {
        "baseline": first["name"],
        "created": first["date"],
        "commit": first["commit"],
        "changes": len(changes),
        "added": sum(1 for c in changes if c.change == ADDED),
        "modified": sum(1 for c in changes if c.change == MODIFIED),
        "removed": sum(1 for c in changes if c.change == REMOVED),
        "approved": sum(1 for c in changes if c.approved),
        "unapproved": sum(1 for c in changes if not c.approved),
        "approved_ids": sorted((c.id for c in changes if c.approved), key=natural_key),
        "unapproved_ids": sorted((c.id for c in changes if not c.approved), key=natural_key),
    }
    later = [c for c in story["accepted_later"] if not c.approved]
    accepted = {
        "baseline": story["accepted"],
        "since": first["name"],
        "count": len(later),
        "ids": sorted((c.id for c in later), key=natural_key),
    }
    return since, accepted


def baseline_test_summary(repo: Any, snapshot: Snapshot, name: str, entries: Any) -> dict[str, Any]:
    """Which requirements of the baseline a passing test ran on, with their signed content
    (records/testevidence.py): counts, and the ids that are failing or untested."""
    from reqtrace.records.testevidence import FAILING, UNTESTED, VERIFIED, evidence_counts
    from reqtrace.records.testevidence_repo import baseline_evidence, test_runs_at

    runs, _ = test_runs_at(repo, snapshot.config, snapshot.commit)
    evidence = baseline_evidence(runs, ((entry.id, entry.digest) for entry in entries))
    ordered = sorted(evidence, key=natural_key)
    return {
        "baseline": name,
        "runs": len(runs),
        "counts": evidence_counts(evidence),
        "verified": [rid for rid in ordered if evidence[rid].state == VERIFIED],
        "failing": [{"id": rid, **evidence[rid].as_dict()} for rid in ordered if evidence[rid].state == FAILING],
        "untested": [rid for rid in ordered if evidence[rid].state == UNTESTED],
    }


def _commits_per_requirement(repo: Any, snapshot: Snapshot, since: str, ids: set[str]) -> dict[str, int]:
    """How many commits after `since` touched the file of each requirement in `ids`."""
    from collections import defaultdict

    from reqtrace.io import gitio

    if repo.git_top is None or not ids:
        return {}
    head = snapshot.commit or gitio.head_commit(repo.git_top)
    if head is None:
        return {}
    folder = repo.git_path(snapshot.config.requirements_dir)
    touched: Counter[str] = Counter()
    for paths in gitio.paths_changed_by_commits(repo.git_top, since, head, [folder]).values():
        for path in set(paths):
            touched[path[len(repo.prefix) :] if path.startswith(repo.prefix) else path] += 1
    ids_by_path: dict[str, list[str]] = defaultdict(list)
    for req_id in ids:
        req = snapshot.requirements.get(req_id)
        if req is not None:
            ids_by_path[req.path].append(req_id)
    return {req_id: touched[path] for path, req_ids in ids_by_path.items() for req_id in req_ids if touched[path]}
