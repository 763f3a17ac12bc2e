"""`reqtrace log ID`: one requirement's life, commit by commit.

One `git log --raw` call lists every commit that touched the requirements
folder with the blobs it changed; one `git cat-file --batch` stream reads those
blobs, and only the ones that mention the id are parsed (through the parse
cache). Replaying the diffs in order tells, after every commit, which file holds
the requirement and what it says — so it is followed by id across moves and
renames, and a commit that only reformatted it is left out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reqtrace.changes.diff import (
    ADDED,
    MODIFIED,
    MOVED,
    REMOVED,
    FieldChange,
    Side,
    field_changes,
    field_json,
    files_at,
    memo_digests,
    resolve_sides,
)
from reqtrace.changes.textdiff import COLLAPSE
from reqtrace.core.config import SpecRepo, parse_config
from reqtrace.core.digest import requirement_digest
from reqtrace.core.model import Config, Request, Requirement, Snapshot
from reqtrace.core.parse import Parsed, parse_requirements
from reqtrace.core.parse_cache import ParseCache, cache_key
from reqtrace.core.query import _natural
from reqtrace.core.snapshot import WORKTREE, add_parsed, kind_of
from reqtrace.errors import InputError, UsageError
from reqtrace.io import gitio
from reqtrace.io.clock import earliest_moment
from reqtrace.io.yamlio import MAX_FILE_BYTES

BASELINE_TAG_PREFIX = "baseline/"
# Entries that are not a change of meaning: the file holding the requirement could not be
# read at that commit (a gap: its state is unknown until the file can be read again), it
# can be read again, or a second copy of the id appeared or was deleted.
UNREADABLE, READABLE, DUPLICATE_ADDED, DUPLICATE_REMOVED = "unreadable", "readable", "duplicate-added", "duplicate-removed"
MEANING_CHANGES = (ADDED, MODIFIED, MOVED, REMOVED)
BULK_COMMIT = 500  # files written by one commit above which grep beats reading every blob


@dataclass
class LogEntry:
    commit: str
    author: str
    author_email: str
    date: str  # the author date, ISO 8601
    commit_date: str
    message: str
    change: str  # ADDED, MODIFIED, MOVED, REMOVED
    path: str | None  # where the requirement is after this commit
    from_path: str | None  # where it was before
    fields: tuple[FieldChange, ...] = ()
    digest: str | None = None  # of the version after this commit
    requests: list[str] = field(default_factory=list)  # approved requests that led to this change
    baselines: list[str] = field(default_factory=list)  # baselines that hold the version after this commit
    version: Requirement | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)  # what a gap or a duplicate means here


@dataclass(frozen=True)
class BaselineVersion:
    name: str
    commit: str
    entry: str | None  # the log entry (commit) whose version the baseline holds; None if it lacks the requirement
    digest: str | None


@dataclass(frozen=True)
class RequestLink:
    id: str
    status: str
    on: str | None
    title: str
    change: str | None  # the commit of the change it led to, for approved requests


@dataclass
class History:
    id: str
    rev: str
    commit: str
    entries: list[LogEntry] = field(default_factory=list)
    baselines: list[BaselineVersion] = field(default_factory=list)
    requests: list[RequestLink] = field(default_factory=list)
    commits_walked: int = 0
    blobs_read: int = 0

    @property
    def current(self) -> LogEntry | None:
        """The last entry, unless the requirement was removed there."""
        return self.entries[-1] if self.entries and self.entries[-1].change != REMOVED else None

    @property
    def current_path(self) -> str | None:
        """Where the requirement is at the end (the followed copy, when the id is duplicated)."""
        current = self.current
        if current is None:
            return None
        return current.version.path if current.version is not None else current.path


def _word_pattern(word: str) -> re.Pattern[bytes]:
    # The id as a whole word: REQ-1 must not match inside REQ-10.
    return re.compile(rb"(?<![\w])" + re.escape(word.encode("utf-8")) + rb"(?![\w])")


class _VersionReader:
    """The requirement with one id in a given (path, blob), parsed once, through the cache."""

    def __init__(self, repo: SpecRepo, config: Config, req_id: str, cache: ParseCache) -> None:
        self.repo, self.config, self.req_id, self.cache = repo, config, req_id, cache
        self.mentions: set[str] = set()  # blob ids whose bytes name the id
        self.blobs: dict[str, bytes] = {}
        self.read_count = 0

    def scan(self, oids: list[str]) -> None:
        """Read each blob once; keep the ones that mention the id (all others cannot hold it)."""
        assert self.repo.git_top is not None
        pattern = _word_pattern(self.req_id)
        needle = self.req_id.encode("utf-8")
        for oid, data in gitio.read_blobs_capped(self.repo.git_top, oids, MAX_FILE_BYTES):
            self.read_count += 1
            if data is not None and needle in data and pattern.search(data):
                self.mentions.add(oid)
                self.blobs[oid] = data

    def copies(self, path: str, oid: str, *, held: bool = False) -> tuple[list[Requirement], str | None]:
        """The copies of the requirement in (path, blob), and why the file cannot be read when it
        cannot. A blob that does not mention the id holds no copy; when the file held one before
        (`held`), it is read anyway, to tell a deletion from a file broken beyond recognition."""
        kind = kind_of(path, self.config)
        if kind is None or (oid not in self.mentions and not held):
            return [], None
        key = cache_key(kind.name, path, oid, self.config.id_pattern)
        parsed: Parsed | None = self.cache.get(key)
        if parsed is None:
            if oid not in self.blobs:  # rare: a file that held the id, rewritten without it
                assert self.repo.git_top is not None
                data = b"".join(d or b"" for _, d in gitio.read_blobs_capped(self.repo.git_top, [oid], MAX_FILE_BYTES))
                parsed = kind.parser(path, data, self.config)
            else:
                parsed = kind.parser(path, self.blobs[oid], self.config)
            self.cache.put(key, parsed)
        copies = [item for item in parsed.items if isinstance(item, Requirement) and item.id == self.req_id]
        error = next((f for f in parsed.findings if f.severity == "error"), None)
        if copies or error is None or any(isinstance(item, Requirement) for item in parsed.items):
            return copies, None
        return [], f"{error.code}" + (f" at line {error.line}" if error.line else "") + f": {error.message}"


def requirement_history(repo: SpecRepo, req_id: str, rev: str = "HEAD", *, cache: ParseCache | None = None, links: bool = True,
                        whitespace: str = COLLAPSE) -> History:
    """Every commit up to `rev` that changed what requirement `req_id` says, oldest first.

    `links=False` leaves out which baselines hold each version and which requests
    led to each change (`trace` shows those from the graph).
    """
    if rev == WORKTREE:
        # History is made of commits; the working tree is not one yet.
        raise UsageError(
            "log walks commits, and WORKTREE (the uncommitted files) has no history",
            hint="leave --rev out to walk up to HEAD; `reqtrace diff HEAD` shows what the working tree changes",
        )
    if cache is not None:
        return _with_earlier_ids(repo, _requirement_history(repo, req_id, rev, cache, links, whitespace=whitespace), cache, links, whitespace)
    with ParseCache.for_git(repo.git_top) as own:
        return _with_earlier_ids(repo, _requirement_history(repo, req_id, rev, own, links, whitespace=whitespace), own, links, whitespace)


RENAMED_FROM = "x-renamed-from"
MAX_RENUMBERINGS = 20  # a chain longer than any real one (or a cycle) stops here


def _with_earlier_ids(repo: SpecRepo, history: History, cache: ParseCache, links: bool, whitespace: str = COLLAPSE,
                      depth: int = 0) -> History:
    """The history continued back through earlier ids: a requirement that `reqtrace renumber`
    gave a new id was added under it with `x-renamed-from: OLD`, and before that commit its
    life is OLD's. The renumbering itself becomes a modification (the id, and the field)."""
    first = history.entries[0] if history.entries else None
    if first is None or first.change != ADDED or first.version is None or depth >= MAX_RENUMBERINGS:
        return history
    earlier = dict(first.version.extra).get(RENAMED_FROM)
    names = earlier if isinstance(earlier, list) else [earlier]
    reason = f"its {RENAMED_FROM}"
    if not any(isinstance(name, str) and name != history.id for name in names) and first.version.mid is not None:
        names = _ids_with_mid(repo, first.commit, first.version)
        reason = f"the same mid, {first.version.mid}"
    folder, _, name = first.version.path.rpartition("/")
    stem, dot, suffix = name.partition(".")
    # The latest earlier id first: renumbered twice before one commit, the middle id
    # never reached history, and the one before it did.
    before = None
    for old in reversed([n for n in names if isinstance(n, str) and n != history.id]):
        # Where the renumbered copy was: its file, or the same folder's file named after
        # OLD (renumber renames a file named after the id). With OLD defined twice, that
        # is the copy to follow, not the one the loader keeps.
        prefer = f"{folder + '/' if folder else ''}{old}{dot}{suffix}" if stem == history.id else first.version.path
        try:
            before = _requirement_history(repo, old, f"{first.commit}^", cache, links, prefer=prefer, whitespace=whitespace)
            if any(entry.change == DUPLICATE_ADDED for entry in before.entries):
                # OLD was defined twice (two branches merged): the copies' histories
                # interleave, so the renumbered copy is followed in its own file alone.
                before = _requirement_history(repo, old, f"{first.commit}^", cache, links, only=prefer, whitespace=whitespace)
            break
        except (InputError, UsageError):
            continue  # no parent commit, or this id never existed there
    if before is None:
        return history
    before = _with_earlier_ids(repo, before, cache, links, whitespace, depth + 1)
    last = before.current
    if last is None or last.version is None:
        return history
    first.change = MODIFIED
    first.from_path = last.version.path
    first.fields = field_changes(last.version, first.version, whitespace=whitespace)
    first.notes.append(f"renumbered from {old} ({reason})")
    history.entries = before.entries + history.entries
    history.commits_walked += before.commits_walked
    history.blobs_read += before.blobs_read
    named = {baseline.name for baseline in history.baselines if baseline.entry is not None}
    history.baselines = [b for b in before.baselines if b.name not in named] + [b for b in history.baselines if b.entry is not None or b.name not in {x.name for x in before.baselines}]
    history.requests = before.requests + [r for r in history.requests if r.id not in {x.id for x in before.requests}]
    return history


def _ids_with_mid(repo: SpecRepo, commit: str, requirement: Requirement) -> list[str]:
    """The ids that had `requirement`'s mid in the commit before `commit` (a rename that kept
    its mid: StrictDoc's MID, a ReqIF identifier). One `git grep` names the files to parse."""
    assert repo.git_top is not None and requirement.mid is not None
    parent = gitio.resolve_commit(repo.git_top, f"{commit}^")
    if parent is None:
        return []
    top = repo.git_path(requirement.path.split("/", 1)[0])
    paths = gitio.grep_files(repo.git_top, parent, [requirement.mid], [top])
    entries = [entry for entry in gitio.list_tree(repo.git_top, parent, paths, sizes=False) if not entry.is_symlink]
    found = []
    for entry, (_oid, data) in zip(entries, gitio.read_blobs_capped(repo.git_top, [e.oid for e in entries], MAX_FILE_BYTES), strict=True):
        if data is None or not entry.path.endswith((".yaml", ".yml")):
            continue
        for item in parse_requirements(entry.path, data, Config(project="")).items:
            if item.mid == requirement.mid and item.id != requirement.id:
                found.append(item.id)
    return found


def _requirement_history(
    repo: SpecRepo, req_id: str, rev: str, cache: ParseCache, links: bool = True, prefer: str | None = None,
    only: str | None = None, whitespace: str = COLLAPSE,
) -> History:
    commit, config = _resolved_start(repo, rev)
    assert repo.git_top is not None
    folder = repo.git_path(config.requirements_dir)
    commits = gitio.walk_history(repo.git_top, commit, [folder])
    history = History(req_id, rev, commit, commits_walked=len(commits))

    def spec_path(path: str) -> str | None:
        relative = path[len(repo.prefix) :] if path.startswith(repo.prefix) else None
        if only is not None and relative != only:
            return None
        return relative if relative is not None and kind_of(relative, config) is not None else None

    reader = _VersionReader(repo, config, req_id, cache)
    reader.scan(_blobs_to_read(repo, req_id, folder, commits, spec_path))
    history.blobs_read = reader.read_count

    digest = memo_digests()
    # The requirement's copies after each commit, by file. An id defined twice has
    # copies in two files (or two in one): the log follows one copy — the one at the
    # same path as before, else the first by path, as the loader keeps — so deleting
    # a duplicate copy is not the end of the requirement's life. A file that held it
    # and cannot be read keeps its last readable copies: a gap, not a removal.
    holders: dict[str, list[Requirement]] = {}
    broken: dict[str, str] = {}  # path -> why it cannot be read
    previous: Requirement | None = None
    state_after: dict[str, Requirement | None] = {}
    for entry in commits:
        before_holders = dict(holders)
        before_broken = set(broken)
        _follow_copies(repo, entry, reader, spec_path, holders, broken)
        current = _followed(holders, previous, prefer)
        compared = before_holders[current.path][0] if current is not None and current.path in before_holders else previous
        state_after[entry.commit] = None if current is not None and current.path in broken else current
        add = functools.partial(_add_entry, history.entries, entry, current, digest)
        _add_change(add, req_id, compared, current, digest, whitespace, reopened=current is not None and current.path in before_broken and current.path not in broken)
        if current is not None and current.path in broken and current.path not in before_broken:
            add(UNREADABLE, current.path, current.path, notes=[f"{current.path} could not be read at this commit ({broken[current.path]}); {req_id} is not compared until it can be read"])
        if current is not None:
            _add_duplicates(add, req_id, current, before_holders, holders)
        previous = current
    if not history.entries:
        raise InputError(
            f"requirement '{req_id}' does not appear in the history of {rev}",
            hint="check the id with `reqtrace list`; ids are matched exactly, upper case included",
        )
    if links:
        history.baselines = _baseline_versions(repo, config, req_id, commit, history, state_after, cache)
        history.requests = _link_requests(repo, config, req_id, commit, history, cache)
    return history


def _resolved_start(repo: SpecRepo, rev: str) -> tuple[str, Config]:
    """The commit a history starts from, and the configuration there."""
    if repo.git_top is None:
        raise InputError(f"{repo.root} is not in a git repository, so it has no history", hint="run `git init` and commit the spec files")
    if rev == "HEAD" and gitio.head_commit(repo.git_top) is None:
        raise InputError("the repository has no commits yet, so there is no history", hint="commit the spec files first")
    ((side, config_bytes),) = resolve_sides(repo, [(rev, rev)])
    assert side.commit is not None
    return side.commit, parse_config(config_bytes)[0]


def _blobs_to_read(repo: SpecRepo, req_id: str, folder: str, commits: list[gitio.HistoryCommit], spec_path: Callable[[str], str | None]) -> list[str]:
    """The spec blobs the walk writes that may hold the requirement, each once."""
    assert repo.git_top is not None
    wanted: list[str] = []
    for entry in commits:
        written = [c for c in entry.changes if c.status != "D" and c.new_mode.startswith("100")]
        if len(written) > BULK_COMMIT:
            # A commit that writes thousands of files (the first import, a bulk edit): one
            # `git grep` there names the few that mention the id; only those are read.
            mentioning = set(gitio.grep_files(repo.git_top, entry.commit, [req_id], [folder]))
            written = [c for c in written if c.path in mentioning]
        wanted.extend(c.new_oid for c in written if spec_path(c.path))
    return list(dict.fromkeys(wanted))


def _follow_copies(
    repo: SpecRepo, entry: gitio.HistoryCommit, reader: _VersionReader, spec_path: Callable[[str], str | None],
    holders: dict[str, list[Requirement]], broken: dict[str, str],
) -> None:
    """Bring the requirement's copies by file (`holders`) and the files that cannot be
    read (`broken`) up to `entry`'s commit."""
    for change in entry.changes:
        if change.new_oid not in reader.mentions and change.path[len(repo.prefix) :] not in holders and change.path[len(repo.prefix) :] not in broken:
            # A blob that does not name the id, in a file that held no copy: nothing
            # to follow (a bulk import writes thousands of these).
            continue
        path = spec_path(change.path)
        if path is None:
            continue
        if change.status == "D" or not change.new_mode.startswith("100"):
            holders.pop(path, None)
            broken.pop(path, None)
            continue
        copies, reason = reader.copies(path, change.new_oid, held=path in holders)
        if reason is not None and path in holders:
            broken[path] = reason
            continue
        broken.pop(path, None)
        if copies:
            holders[path] = copies
        else:
            holders.pop(path, None)


def _add_change(
    add: Callable[..., None], req_id: str, compared: Requirement | None, current: Requirement | None,
    digest: Callable[[Requirement], str], whitespace: str, *, reopened: bool,
) -> None:
    """The entry for what the commit did to the followed copy, if anything."""
    kind = _kind_of_change(compared, current, digest)
    if kind is not None:
        add(
            kind, current.path if current else None, compared.path if compared else None,
            field_changes(compared, current, whitespace=whitespace) if kind == MODIFIED and compared and current else (),
            [f"{current.path} can be read again; compared with its last readable version"] if reopened and current else None,
        )
    elif reopened and current is not None:
        add(READABLE, current.path, current.path, notes=[f"{current.path} can be read again; {req_id} is unchanged since its last readable version"])


def _add_duplicates(
    add: Callable[..., None], req_id: str, current: Requirement,
    before_holders: dict[str, list[Requirement]], holders: dict[str, list[Requirement]],
) -> None:
    """An entry when the commit added or deleted a duplicate copy of the requirement."""
    count, count_before = sum(map(len, holders.values())), sum(map(len, before_holders.values()))
    if not count_before or count == count_before:
        return
    places = ", ".join(f"{c.path}:{c.line}" for path in sorted(holders) for c in holders[path])
    if count > count_before:
        new_paths = sorted(p for p in holders if len(holders[p]) > len(before_holders.get(p, ())))
        add(DUPLICATE_ADDED, new_paths[0] if new_paths else current.path, None, notes=[f"{req_id} is defined {count} times: {places} (duplicate-id)"])
    else:
        gone = sorted(p for p in before_holders if len(before_holders[p]) > len(holders.get(p, ())))
        add(DUPLICATE_REMOVED, current.path, gone[0] if gone else None, notes=[f"a duplicate copy{' in ' + gone[0] if gone else ''} was deleted; {req_id} remains in {places}"])


def _add_entry(
    entries: list[LogEntry], commit: gitio.HistoryCommit, current: Requirement | None, digest: Callable[[Requirement], str],
    kind: str, path: str | None, from_path: str | None, fields: tuple[FieldChange, ...] = (), notes: list[str] | None = None,
) -> None:
    entries.append(
        LogEntry(
            commit.commit, commit.author, commit.author_email, commit.author_date, commit.commit_date, commit.message,
            kind, path, from_path, fields, digest(current) if current and kind != UNREADABLE else None, version=current, notes=notes or [],
        )
    )


def _followed(holders: dict[str, list[Requirement]], previous: Requirement | None, prefer: str | None = None) -> Requirement | None:
    """The copy the log follows: the one at `prefer` when given and there (the copy a
    renumbering took its new id from), else the one at the previous copy's path while it
    is there, else the first by path (the one the loader keeps)."""
    if not holders:
        return None
    if prefer is not None and prefer in holders:
        return holders[prefer][0]
    if previous is not None and previous.path in holders:
        return holders[previous.path][0]
    return holders[min(holders)][0]


def _kind_of_change(previous: Requirement | None, current: Requirement | None, digest: Callable[[Requirement], str]) -> str | None:
    if previous is None and current is None:
        return None
    if previous is None:
        return ADDED
    if current is None:
        return REMOVED
    if digest(previous) != digest(current):
        return MODIFIED
    if previous.path != current.path:
        return MOVED
    return None  # formatting only, or another requirement in the same file


def _baseline_versions(repo: SpecRepo, config: Config, req_id: str, commit: str, history: History, state_after: dict[str, Requirement | None], cache: ParseCache) -> list[BaselineVersion]:
    """Which version each baseline (tag baseline/NAME) holds."""
    assert repo.git_top is not None
    tags = gitio.tag_commits(repo.git_top, BASELINE_TAG_PREFIX)
    if not tags:
        return []
    chain = gitio.first_parent_chain(repo.git_top, commit)
    position = {oid: index for index, oid in enumerate(reversed(chain))}  # oldest first
    entry_positions = [(position[e.commit], e) for e in history.entries if e.commit in position and e.change in MEANING_CHANGES]
    walked = [(position[c], c) for c in state_after if c in position]
    found = []
    for name, tag_commit in sorted(tags.items(), key=lambda item: _natural(item[0])):
        if tag_commit in position:
            at = position[tag_commit]
            last_state = max((p for p, _ in walked if p <= at), default=None)
            version = None
            if last_state is not None:
                version = state_after[next(c for p, c in walked if p == last_state)]
            entry = max((e for p, e in entry_positions if p <= at), key=lambda e: position[e.commit], default=None)
            digest = requirement_digest(version) if version else None
            found.append(BaselineVersion(name, tag_commit, entry.commit if entry and version else None, digest))
        else:  # a baseline off this line of history: read it there
            version = _version_at(repo, config, req_id, tag_commit, cache)
            digest = requirement_digest(version) if version else None
            entry = next((e for e in reversed(history.entries) if digest and e.digest == digest and e.change in MEANING_CHANGES), None)
            found.append(BaselineVersion(name, tag_commit, entry.commit if entry else None, digest))
    for baseline in found:
        for entry in history.entries:
            if entry.commit == baseline.entry:
                entry.baselines.append(baseline.name)
    return found


def _version_at(repo: SpecRepo, config: Config, req_id: str, commit: str, cache: ParseCache) -> Requirement | None:
    assert repo.git_top is not None
    paths = gitio.grep_files(repo.git_top, commit, [req_id], [repo.git_path(config.requirements_dir)])
    paths = [p[len(repo.prefix) :] for p in paths if p.startswith(repo.prefix)]
    snapshot = _snapshot_of(repo, config, commit, paths, cache)
    return snapshot.requirements.get(req_id)


def _snapshot_of(repo: SpecRepo, config: Config, commit: str, paths: list[str], cache: ParseCache) -> Snapshot:
    snapshot = Snapshot(config=config, commit=commit)
    for parsed_file in files_at(repo, config, Side(commit, commit, ""), paths, cache):
        add_parsed(snapshot, parsed_file.parsed)
    return snapshot


def _link_requests(repo: SpecRepo, config: Config, req_id: str, commit: str, history: History, cache: ParseCache) -> list[RequestLink]:
    """The requests (at `commit`) whose `affects` names the requirement; each approved one is
    tied to the first change at or after the moment of its decision (or the last change, when
    decided later). A date alone counts from the start of its day. A request approved as a
    change or defect changes what exists, so it is not tied to the requirement's creation
    while a later change is there to tie it to."""
    assert repo.git_top is not None
    paths = gitio.grep_files(repo.git_top, commit, [req_id], [repo.git_path(config.requests_dir)])
    paths = [p[len(repo.prefix) :] for p in paths if p.startswith(repo.prefix)]
    requests: list[Request] = [r for r in _snapshot_of(repo, config, commit, paths, cache).requests.values() if req_id in r.affects]
    changes = [e for e in history.entries if e.change in (ADDED, MODIFIED, REMOVED)]
    links = []
    for request in sorted(requests, key=lambda r: _natural(r.id)):
        decision = request.decision
        status = decision.status if decision and decision.status else "undecided"
        on = decision.on if decision else None
        tied = None
        if status == "approved" and changes:
            since = earliest_moment(on or request.received)
            after = [e for e in changes if since is None or (earliest_moment(e.date) or since) >= since]
            if decision is not None and decision.as_ in ("change", "defect"):
                after = [e for e in after if e.change != ADDED] or after
            tied = after[0] if after else changes[-1]
            tied.requests.append(request.id)
        links.append(RequestLink(request.id, status, on, request.title, tied.commit if tied else None))
    return links


def history_json(history: History) -> dict[str, Any]:
    """The history as `reqtrace log --format json` prints it (without schema_version)."""
    return {
        "id": history.id,
        "ref": history.rev,
        "commit": history.commit,
        "exists": history.current is not None,
        "path": history.current_path,
        "entries": [
            {
                "commit": entry.commit,
                "date": entry.date,
                "commit_date": entry.commit_date,
                "author": entry.author,
                "email": entry.author_email,
                "message": entry.message,
                "change": entry.change,
                "path": entry.path,
                "from_path": entry.from_path,
                "fields": [field_json(f) for f in entry.fields],
                "digest": entry.digest,
                "requests": entry.requests,
                "baselines": entry.baselines,
                "notes": entry.notes,
            }
            for entry in history.entries
        ],
        "baselines": [{"name": b.name, "commit": b.commit, "entry": b.entry, "digest": b.digest} for b in history.baselines],
        "requests": [{"id": r.id, "status": r.status, "when": r.on, "title": r.title, "change": r.change} for r in history.requests],
    }
