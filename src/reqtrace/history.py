"""`reqtrace log ID`: one requirement's life, commit by commit.

One `git log --raw` call lists every commit that touched the requirements
folder with the blobs it changed; one `git cat-file --batch` stream reads those
blobs, and only the ones that mention the id are parsed (through the parse
cache). Replaying the diffs in order tells, after every commit, which file holds
the requirement and what it says — so it is followed by id across moves and
renames, and a commit that only reformatted it is left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import gitio
from .config import SpecRepo, parse_config
from .diff import (
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
from .digest import requirement_digest
from .errors import InputError, UsageError
from .model import Config, Request, Requirement, Snapshot
from .parse import Parsed
from .parsecache import ParseCache, cache_key
from .query import _natural
from .snapshot import WORKTREE, add_parsed, kind_of
from .yamlio import MAX_FILE_BYTES

BASELINE_TAG_PREFIX = "baseline/"
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
        return self.entries[-1] if self.entries and self.entries[-1].change != REMOVED else None


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

    def version(self, path: str, oid: str) -> Requirement | None:
        if oid not in self.mentions:
            return None
        kind = kind_of(path, self.config)
        if kind is None:
            return None
        key = cache_key(kind.name, path, oid, self.config.id_pattern)
        parsed: Parsed | None = self.cache.get(key)
        if parsed is None:
            parsed = kind.parser(path, self.blobs[oid], self.config)
            self.cache.put(key, parsed)
        return next((item for item in parsed.items if isinstance(item, Requirement) and item.id == self.req_id), None)


def requirement_history(repo: SpecRepo, req_id: str, rev: str = "HEAD", *, cache: ParseCache | None = None, links: bool = True) -> History:
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
        return _requirement_history(repo, req_id, rev, cache, links)
    with ParseCache.for_git(repo.git_top) as own:
        return _requirement_history(repo, req_id, rev, own, links)


def _requirement_history(repo: SpecRepo, req_id: str, rev: str, cache: ParseCache, links: bool = True) -> History:
    if repo.git_top is None:
        raise InputError(f"{repo.root} is not in a git repository, so it has no history", hint="run `git init` and commit the spec files")
    if rev == "HEAD" and gitio.head_commit(repo.git_top) is None:
        raise InputError("the repository has no commits yet, so there is no history", hint="commit the spec files first")
    ((side, config_bytes),) = resolve_sides(repo, [(rev, rev)])
    commit = side.commit
    assert commit is not None
    config, _ = parse_config(config_bytes)
    folder = repo.git_path(config.requirements_dir)
    commits = gitio.walk_history(repo.git_top, commit, [folder])
    history = History(req_id, rev, commit, commits_walked=len(commits))

    def spec_path(path: str) -> str | None:
        relative = path[len(repo.prefix) :] if path.startswith(repo.prefix) else None
        return relative if relative is not None and kind_of(relative, config) is not None else None

    reader = _VersionReader(repo, config, req_id, cache)
    wanted = []
    for entry in commits:
        written = [c for c in entry.changes if c.status != "D" and c.new_mode.startswith("100") and spec_path(c.path)]
        if len(written) > BULK_COMMIT:
            # A commit that writes thousands of files (the first import, a bulk edit): one
            # `git grep` there names the few that mention the id; only those are read.
            mentioning = set(gitio.grep_files(repo.git_top, entry.commit, [req_id], [folder]))
            written = [c for c in written if c.path in mentioning]
        wanted.extend(c.new_oid for c in written)
    reader.scan(list(dict.fromkeys(wanted)))
    history.blobs_read = reader.read_count

    digest = memo_digests()
    holders: dict[str, Requirement] = {}
    previous: Requirement | None = None
    state_after: dict[str, Requirement | None] = {}
    for entry in commits:
        for change in entry.changes:
            path = spec_path(change.path)
            if path is None:
                continue
            version = None
            if change.status != "D" and change.new_mode.startswith("100"):
                version = reader.version(path, change.new_oid)
            if version is None:
                holders.pop(path, None)
            else:
                holders[path] = version
        # With the id in two files the loader keeps the first by path; so does the log.
        current = holders[min(holders)] if holders else None
        state_after[entry.commit] = current
        kind = _kind_of_change(previous, current, digest)
        if kind is not None:
            history.entries.append(
                LogEntry(
                    entry.commit, entry.author, entry.author_email, entry.author_date, entry.commit_date, entry.message,
                    kind,
                    current.path if current else None,
                    previous.path if previous else None,
                    field_changes(previous, current) if kind == MODIFIED and previous and current else (),
                    digest(current) if current else None,
                    version=current,
                )
            )
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
    chain = gitio.run_git(repo.git_top, "rev-list", "--first-parent", commit).stdout.decode("ascii").split()
    position = {oid: index for index, oid in enumerate(reversed(chain))}  # oldest first
    entry_positions = [(position[e.commit], e) for e in history.entries if e.commit in position]
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
            entry = next((e for e in reversed(history.entries) if digest and e.digest == digest), None)
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
    tied to the first change at or after its decision (or the last change, when decided later)."""
    assert repo.git_top is not None
    paths = gitio.grep_files(repo.git_top, commit, [req_id], [repo.git_path(config.requests_dir)])
    paths = [p[len(repo.prefix) :] for p in paths if p.startswith(repo.prefix)]
    requests: list[Request] = [r for r in _snapshot_of(repo, config, commit, paths, cache).requests.values() if req_id in r.affects]
    changes = [e for e in history.entries if e.change != MOVED]
    links = []
    for request in sorted(requests, key=lambda r: _natural(r.id)):
        decision = request.decision
        status = decision.status if decision and decision.status else "undecided"
        on = decision.on if decision else None
        tied = None
        if status == "approved" and changes:
            day = (on or request.received or "")[:10]
            tied = next((e for e in changes if e.date[:10] >= day), changes[-1])
            tied.requests.append(request.id)
        links.append(RequestLink(request.id, status, on, request.title, tied.commit if tied else None))
    return links


def history_json(history: History) -> dict[str, Any]:
    """The history as `reqtrace log --format json` prints it (without schema_version)."""
    return {
        "id": history.id,
        "rev": history.rev,
        "commit": history.commit,
        "exists": history.current is not None,
        "path": history.current.path if history.current else None,
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
            }
            for entry in history.entries
        ],
        "baselines": [{"name": b.name, "commit": b.commit, "entry": b.entry, "digest": b.digest} for b in history.baselines],
        "requests": [{"id": r.id, "status": r.status, "on": r.on, "title": r.title, "change": r.change} for r in history.requests],
    }
