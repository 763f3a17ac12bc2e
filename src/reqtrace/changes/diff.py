"""`reqtrace diff`: what changed in the requirements between two points, field by
field, and whether an approved request covers each change.

Speed is the design: only the files git reports as changed between the two
points are read and parsed (`diff-tree` between commits; `git diff` plus the
untracked files against the working tree), parses are cached by blob id, and
the requests that can cover a change — those naming a changed id — are found
with one `git grep` that runs while the comparison is computed. Requirements
are matched by id, never by file name. See docs/diff.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reqtrace.changes.change_kinds import ADDED, MODIFIED, MOVED, REMOVED
from reqtrace.changes.id_search import IdSearch, id_pattern, names_word, scannable, tree_files
from reqtrace.changes.sides import Side, resolve_sides
from reqtrace.changes.structure_diff import (
    DocumentChange,
    Move,
    document_changes,
    requirement_moves,
    section_titles,
)
from reqtrace.changes.suspect import SuspectLink, suspect_links_of
from reqtrace.changes.textdiff import COLLAPSE, EXACT, Hunk, is_long, text_hunks
from reqtrace.changes.worddiff import similarity, tokens, word_diff
from reqtrace.core.config import SpecRepo, parse_config
from reqtrace.core.digest import SET_FIELDS, canonical_fields, memo_digests, normalise_text
from reqtrace.core.model import ERROR, WARNING, Config, Finding, Request, Requirement, Snapshot
from reqtrace.core.parse import Parsed
from reqtrace.core.parse_cache import ParseCache
from reqtrace.core.query import _natural
from reqtrace.core.snapshot import (
    WORKTREE,
    ParsedFile,
    Reader,
    SourceFile,
    add_parsed,
    kind_of,
    load_snapshot,
    parse_sources,
)
from reqtrace.core.structure import outline
from reqtrace.errors import InputError
from reqtrace.io import gitio
from reqtrace.io.yamlio import MAX_FILE_BYTES

TEXT_FIELDS = ("title", "statement", "rationale")  # shown word by word
LIST_FIELDS = ("acceptance", "parents", "sources", "tags")  # shown as items added and removed
FIELD_ORDER = ("title", "statement", "acceptance", "priority", "status", "parents", "sources", "tags", "owner", "rationale")
RENAME_HINT_RATIO = 0.8  # a removed and an added requirement this alike are probably one with a new id
RENAMED_FROM = "x-renamed-from"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    words: tuple[tuple[str, str], ...] = ()  # text fields: ('=', '-', '+', text) segments
    added: tuple[str, ...] = ()  # list fields: items new at TO
    removed: tuple[str, ...] = ()  # list fields: items gone at TO
    reordered: bool = False  # acceptance: same criteria, other order
    hunks: tuple[Hunk, ...] = ()  # a text of more than one line or paragraph: the changed parts, with context


@dataclass(frozen=True)
class RequestRef:
    id: str
    status: str  # the decision's status, or 'undecided'
    on: str | None
    covers: bool
    why_not: str | None = None  # when it names the requirement but does not cover the change


@dataclass(frozen=True)
class Change:
    id: str
    change: str  # ADDED, REMOVED, MODIFIED, MOVED
    path: str  # where it is at TO (at FROM when removed)
    line: int
    from_path: str | None  # where it was at FROM, when it existed there
    fields: tuple[FieldChange, ...] = ()
    requests: tuple[RequestRef, ...] = ()  # every request whose `affects` names it
    similar: tuple[str, float] | None = None  # (id, ratio): likely the same requirement under another id
    before: Requirement | None = field(default=None, compare=False, repr=False)
    after: Requirement | None = field(default=None, compare=False, repr=False)
    # The id it had at FROM, when it was renamed: its `mid` is the same, or its
    # `x-renamed-from` names the old id.
    renamed_from: str | None = None
    move: Move | None = None  # where it went in its document's reading order
    move_text: str | None = None  # the move as people read it ("moved: after RT-3")

    @property
    def needs_approval(self) -> bool:
        # A move, or a rename that keeps every field, does not change what was agreed.
        if self.change == MOVED:
            return False
        return not (self.renamed_from is not None and all(f.field == RENAMED_FROM for f in self.fields))

    @property
    def approved_by(self) -> tuple[str, ...]:
        return tuple(ref.id for ref in self.requests if ref.covers)

    @property
    def approved(self) -> bool:
        return not self.needs_approval or bool(self.approved_by)


@dataclass(frozen=True)
class Unreadable:
    """A requirement that cannot be compared because its file cannot be read at one end:
    one that existed at FROM in a file broken at TO (side 'to': not removed), or one
    that exists at TO in a file that was broken at FROM (side 'from': not added)."""

    id: str
    path: str
    reason: str
    side: str = "to"  # the end at which the file cannot be read

    def message(self) -> str:
        end = "FROM" if self.side == "from" else "TO"
        return f"{self.path} could not be read at {end} ({self.reason}); {self.id} is not compared"


DUPLICATE_INTRODUCED, DUPLICATE_RESOLVED, DUPLICATE_REMAINING = "introduced", "resolved", "remaining"


@dataclass(frozen=True)
class Duplicate:
    """An id defined more than once at FROM or at TO, among the ids the diff compares.

    Each copy after the first is a `duplicate-id` error for `reqtrace check`. Copies
    are paired across the ends by (id, path) first, then by id in path order; a copy
    left without a partner is a duplicate added or removed, not the requirement added
    or removed — deleting a duplicate copy is how a `duplicate-id` error is fixed.
    """

    id: str
    status: str  # DUPLICATE_INTRODUCED, DUPLICATE_RESOLVED or DUPLICATE_REMAINING
    from_places: tuple[tuple[str, int], ...]  # (path, line) of each copy at FROM
    to_places: tuple[tuple[str, int], ...]

    def message(self) -> str:
        def places(found: tuple[tuple[str, int], ...]) -> str:
            return ", ".join(f"{path}:{line}" for path, line in found)

        if self.status == DUPLICATE_RESOLVED and not self.to_places:
            return f"{self.id} was defined {len(self.from_places)} times at FROM ({places(self.from_places)}); every copy is gone at TO"
        if self.status == DUPLICATE_RESOLVED:
            return f"{self.id} was defined {len(self.from_places)} times at FROM ({places(self.from_places)}); at TO only in {places(self.to_places)}: duplicate resolved"
        return f"{self.id} is defined {len(self.to_places)} times at TO: {places(self.to_places)} (duplicate-id)"


@dataclass
class DiffResult:
    from_side: Side
    to_side: Side
    changes: list[Change] = field(default_factory=list)
    formatting_only: list[str] = field(default_factory=list)  # files changed without a change of meaning
    unreadable: list[Unreadable] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)  # ids defined more than once at either end
    findings: list[tuple[str, Finding]] = field(default_factory=list)  # ('from' | 'to', finding)
    notes: list[str] = field(default_factory=list)
    files_read: int = 0  # how many files the diff parsed or took from the cache
    documents: list[DocumentChange] = field(default_factory=list)  # documents added, removed or changed
    # Links at TO left suspect by the changes: the child was reviewed against another
    # version of a changed parent (changes/suspect.py).
    suspect: list[SuspectLink] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.change == kind)

    @property
    def unapproved(self) -> list[Change]:
        return [change for change in self.changes if not change.approved]

    @property
    def errors_at_to(self) -> int:
        return sum(1 for side, finding in self.findings if side == "to" and finding.severity == ERROR)


# --- where FROM comes from ---------------------------------------------------


def accepted_base(repo: SpecRepo, rev: str | None = None, *, cache: ParseCache | None = None) -> tuple[str, str] | None:
    """The accepted baseline (as read at `rev`, default the working tree) as (name, commit):
    what drift is measured from and what diff compares with by default. None when there is none.

    Choosing it means reading every manifest, which lists every requirement (~0.6 s for
    10,000); the answer is cached under the blob ids of the baseline files.
    """
    key = _baseline_files_key(repo, rev)
    if cache is None:
        cache = ParseCache.for_git(repo.git_top)
    known = cache.get_value(key) if key else None
    if isinstance(known, list) and len(known) in (0, 2):
        return (known[0], known[1]) if known else None
    from reqtrace.baselines.baseline import accepted_baseline

    baseline = accepted_baseline(repo, rev)
    found = None if baseline is None else (baseline.name, baseline.commit)
    if key:
        cache.put_value(key, list(found) if found else [])
        cache.flush()
    return found


def _baseline_files_key(repo: SpecRepo, rev: str | None) -> str | None:
    """A key naming the exact content of reqtrace.yaml and every file under the baselines folder."""
    import hashlib

    from reqtrace.core.cachestore import PARSER_MODULES, code_fingerprint
    from reqtrace.core.parse_cache import CACHE_FORMAT

    if repo.git_top is None:
        return None
    commit = None if rev in (None, WORKTREE) else resolve_sides(repo, [(rev, rev)])[0][0].commit
    reader = Reader(repo, commit)
    try:
        config_bytes = reader.read_config()
    except (OSError, InputError):
        return None
    config, _ = parse_config(config_bytes)
    code = code_fingerprint((*PARSER_MODULES, "baselines/baseline.py", "baselines/signoff.py", "baselines/signed_statement.py"))
    lines = [f"accepted-baseline {CACHE_FORMAT} {code}", gitio.blob_id(config_bytes)]
    sources = reader.list_files([config.baselines_dir])
    if commit is None:
        for source in sources:
            if source.symlink_target is not None:
                lines.append(f"{source.path} -> {source.symlink_target}")
                continue
            try:
                lines.append(f"{source.path} {gitio.blob_id((repo.root / source.path).read_bytes())}")
            except OSError:
                return None
    else:
        lines.extend(f"{source.path} {source.oid} {source.symlink_target}" for source in sources)
    from reqtrace.baselines.baseline import witness_findings

    lines.extend(f.message for f in witness_findings(repo, commit, config.baselines_dir, [source.path for source in sources]))
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def default_from(repo: SpecRepo) -> tuple[str, str]:
    """FROM when the user names none, as (name shown, revision): the accepted baseline, else HEAD."""
    base = accepted_base(repo)
    if base is not None:
        return base
    if repo.git_top is not None and gitio.head_commit(repo.git_top) is None:
        raise InputError(
            "the repository has no commits yet, so there is nothing to diff against",
            hint="commit the spec files first, or name FROM and TO",
        )
    return ("HEAD", "HEAD")


# --- reading only what changed ------------------------------------------------


def _hidden(path: str) -> bool:
    # The working-tree loader skips dot-files and dot-folders; so does the diff, on both sides.
    return any(part.startswith(".") for part in path.split("/"))


def _worktree_source(repo: SpecRepo, path: str) -> SourceFile | None:
    full = repo.root / path
    try:
        info = os.lstat(full)
    except OSError:
        return None
    if os.path.islink(full):
        return SourceFile(path, 0, symlink_target=os.readlink(full))
    if not os.path.isfile(full):
        return None
    return SourceFile(path, info.st_size)


def _commit_sources(repo: SpecRepo, entries: list[tuple[str, str, str, int]]) -> list[SourceFile]:
    """SourceFiles for (path, mode, oid, size) at a commit; symlink targets are read (rarely any)."""
    links = [oid for _, mode, oid, _ in entries if mode == "120000"]
    targets = dict(gitio.read_blobs(repo.git_top, links)) if links else {}  # type: ignore[arg-type]
    sources = []
    for path, mode, oid, size in entries:
        if mode == "120000":
            sources.append(SourceFile(path, 0, oid, targets[oid].decode("utf-8", "replace")))
        elif mode.startswith("100"):
            sources.append(SourceFile(path, size, oid))
    return sources


def files_at(repo: SpecRepo, config: Config, side: Side, paths: Iterable[str], cache: ParseCache) -> list[ParsedFile]:
    """Parse the files at `paths` (relative to the spec root) on one side; at a commit they are
    read with their blob ids in one `cat-file` stream."""
    paths = sorted(set(paths))
    if not paths:
        return []
    if side.commit is None:
        sources = [source for source in (_worktree_source(repo, path) for path in paths) if source is not None]
        return parse_sources(Reader(repo, None), config, sources, cache=cache)
    assert repo.git_top is not None
    known: dict[str, bytes] = {}
    sources = []
    read = gitio.read_at_commit(repo.git_top, side.commit, [repo.git_path(path) for path in paths], MAX_FILE_BYTES)
    for path, (_name, oid, kind, data) in zip(paths, read, strict=True):
        if oid is None or kind != "blob":
            continue
        if data is not None:
            known[oid] = data
        sources.append(SourceFile(path, len(data) if data is not None else MAX_FILE_BYTES + 1, oid))
    return parse_sources(Reader(repo, side.commit, known), config, sources, cache=cache)


def changed_files(repo: SpecRepo, from_side: Side, to_side: Side, folders: list[str]) -> tuple[list[SourceFile], list[SourceFile]]:
    """The files under `folders` that differ between the sides: (their FROM versions, their TO versions)."""
    assert repo.git_top is not None
    if from_side.commit == to_side.commit:
        return [], []
    git_folders = [repo.git_path(folder) for folder in folders]
    if from_side.commit is not None and to_side.commit is not None:
        raw = gitio.diff_commits(repo.git_top, from_side.commit, to_side.commit, git_folders)
        swapped = False
    else:
        commit = from_side.commit or to_side.commit
        assert commit is not None
        raw = gitio.diff_worktree(repo.git_top, commit, git_folders)
        swapped = from_side.commit is None  # git's "old" is then TO, its "new" the working tree (FROM)
    commit_rows: dict[str, list[tuple[str, str, str, int]]] = {"old": [], "new": []}
    worktree_paths: list[str] = []
    for change in raw:
        if not change.path.startswith(repo.prefix):
            continue
        path = change.path[len(repo.prefix) :]
        if _hidden(path):
            continue
        if change.old_oid != gitio.NULL_OID and change.status != "A":
            commit_rows["old"].append((path, change.old_mode, change.old_oid, 0))
        if change.status != "D":
            if from_side.commit is not None and to_side.commit is not None:
                commit_rows["new"].append((path, change.new_mode, change.new_oid, 0))
            else:
                worktree_paths.append(path)
    old = _commit_sources(repo, commit_rows["old"])
    if from_side.commit is not None and to_side.commit is not None:
        return old, _commit_sources(repo, commit_rows["new"])
    new = [source for source in (_worktree_source(repo, path) for path in worktree_paths) if source is not None]
    # git lists a file it has not hashed (edited, or edited back) as changed; a file
    # whose bytes are the commit's after all is not.
    committed = {source.path: source.oid for source in old if source.symlink_target is None}
    same = {
        source.path for source in new
        if source.path in committed and source.symlink_target is None and source.size <= MAX_FILE_BYTES
        and _worktree_blob_id(repo, source.path) == committed[source.path]
    }
    old = [source for source in old if source.path not in same]
    new = [source for source in new if source.path not in same]
    return (new, old) if swapped else (old, new)


def _worktree_blob_id(repo: SpecRepo, path: str) -> str | None:
    try:
        return gitio.blob_id((repo.root / path).read_bytes())
    except OSError:
        return None


# --- comparing -----------------------------------------------------------------


def _requirements_of(files: list[ParsedFile], config: Config, commit: str | None) -> Snapshot:
    """The requirements of some files, as a (partial) snapshot: the loader's rules for duplicates."""
    snapshot = Snapshot(config=config, commit=commit)
    for parsed_file in sorted(files, key=lambda f: f.source.path):
        add_parsed(snapshot, parsed_file.parsed)
    return snapshot


def _ordered_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    known = [name for name in FIELD_ORDER if name in before or name in after]
    extra = sorted({name for name in (*before, *after) if name.startswith("x-")})
    return known + extra


def field_changes(before: Requirement, after: Requirement, *, whitespace: str = COLLAPSE) -> tuple[FieldChange, ...]:
    """The fields whose meaning differs (white space and set order do not count), before and after.

    With whitespace=EXACT a text field whose white space changed is listed too, and a long
    text's hunks compare its lines as written (indentation, line breaks)."""
    raw_before, raw_after = before.fields(), after.fields()
    canon_before, canon_after = canonical_fields(before), canonical_fields(after)
    changes = []
    for name in _ordered_fields(raw_before, raw_after):
        old, new = raw_before.get(name), raw_after.get(name)
        if canon_before.get(name) == canon_after.get(name) and (whitespace != EXACT or name not in TEXT_FIELDS or old == new):
            continue
        # Text as the digest sees it: a re-wrapped line is not shown as a change.
        old = old.strip() if isinstance(old, str) else old
        new = new.strip() if isinstance(new, str) else new
        if name in TEXT_FIELDS and isinstance(old, str | None) and isinstance(new, str | None):
            words = tuple(word_diff(normalise_text(old or ""), normalise_text(new or "")))
            hunks = tuple(text_hunks(old or "", new or "", whitespace=whitespace)) if whitespace == EXACT or is_long(old) or is_long(new) else ()
            changes.append(FieldChange(name, old, new, words=words, hunks=hunks))
        elif name in LIST_FIELDS:
            old_items = [str(item) for item in old or []]
            new_items = [str(item) for item in new or []]
            old_norm = {normalise_text(item) for item in old_items}
            new_norm = {normalise_text(item) for item in new_items}
            added = tuple(item for item in new_items if normalise_text(item) not in old_norm)
            removed = tuple(item for item in old_items if normalise_text(item) not in new_norm)
            reordered = not added and not removed and name not in SET_FIELDS
            changes.append(FieldChange(name, old, new, added=added, removed=removed, reordered=reordered))
        else:
            changes.append(FieldChange(name, old, new))
    return tuple(changes)


def _comparable_text(requirement: Requirement) -> str:
    return "\n".join((requirement.title, requirement.statement, *requirement.acceptance))


def _rename_hints(removed: list[Requirement], added: list[Requirement]) -> dict[str, tuple[str, float]]:
    """For removed and added requirements that read nearly the same: id -> (the other id, ratio)."""
    hints: dict[str, tuple[str, float]] = {}
    if not removed or not added or len(removed) * len(added) > 250_000:
        return hints
    texts = {req.id: _comparable_text(req) for req in (*removed, *added)}
    words = {rid: frozenset(tokens(text)) for rid, text in texts.items()}
    pairs = []
    for new in added:
        # Shared words first (cheap), the ordered comparison only for the few likeliest.
        ranked = sorted(((len(words[new.id] & words[old.id]) / (len(words[new.id] | words[old.id]) or 1), old.id) for old in removed), reverse=True)
        for overlap, old_id in ranked[:3]:
            if overlap < RENAME_HINT_RATIO - 0.2:
                break
            ratio = similarity(texts[old_id], texts[new.id])
            if ratio >= RENAME_HINT_RATIO:
                pairs.append((ratio, old_id, new.id))
    for ratio, old_id, new_id in sorted(pairs, reverse=True):
        if old_id not in hints and new_id not in hints:
            hints[old_id] = (new_id, round(ratio, 2))
            hints[new_id] = (old_id, round(ratio, 2))
    return hints


def _request_refs(requirement_id: str, requests: list[Request], to_date: str) -> tuple[RequestRef, ...]:
    refs = []
    for request in requests:
        if requirement_id not in request.affects:
            continue
        decision = request.decision
        status = decision.status if decision and decision.status else "undecided"
        on = decision.on if decision else None
        why_not = None
        if status == "undecided":
            why_not = "not decided yet"
        elif status != "approved":
            why_not = f"decision is {status}"
        elif on and on[:10] > to_date:
            why_not = f"approved on {on[:10]}, after {to_date}"
        refs.append(RequestRef(request.id, status, on, why_not is None, why_not))
    return tuple(sorted(refs, key=lambda ref: _natural(ref.id)))


def _first_error(parsed_file: ParsedFile | None) -> Finding | None:
    if parsed_file is None:
        return None
    return next((f for f in parsed_file.parsed.findings if f.severity == ERROR), None)


def diff_revisions(repo: SpecRepo, from_rev: str, to_rev: str = WORKTREE, *, from_shown: str | None = None, cache: ParseCache | None = None,
                   whitespace: str = COLLAPSE, details: bool = True, suspect: bool = True, differing: tuple[str, list[str]] | None = None,
                   to_snapshot: Snapshot | None = None) -> DiffResult:
    """Compare the requirements at two points (revisions or WORKTREE), reading only what changed.

    Pass a `cache` to let its entries be written while you render (then `flush` it);
    without one, the repository's cache is used and flushed before returning.
    `details=False` leaves out what a summary does not show — each modification's
    field changes and the suspect links — which is most of a diff's own work;
    `suspect=False` leaves out the suspect links only (the drift gate does not report them).
    `differing`: HEAD and the files that differ from it in the working tree, when the
    caller knows them (core/worktree_state.py): the searches of the working tree then
    do not ask git again.
    `to_snapshot`: a snapshot read whole (`load_snapshot`: every file parsed) — TO's own, or
    one whose files are mostly TO's (the working tree for a baseline's commit). Its files
    that are TO's (the same blob ids) stand for TO's parses of the changed files and answer
    the searches for copies and requests (`_WholeTo`), where that gives exactly what parsing
    and searching would; TO's other files, and every other case, are read as usual.
    """
    if cache is not None:
        return _diff_revisions(repo, from_rev, to_rev, from_shown, cache, whitespace, details, suspect, differing, to_snapshot)
    with ParseCache.for_git(repo.git_top) as own:
        return _diff_revisions(repo, from_rev, to_rev, from_shown, own, whitespace, details, suspect, differing, to_snapshot)


def _diff_revisions(repo: SpecRepo, from_rev: str, to_rev: str, from_shown: str | None, cache: ParseCache, whitespace: str = COLLAPSE,
                    details: bool = True, suspect: bool = True, differing: tuple[str, list[str]] | None = None,
                    to_snapshot: Snapshot | None = None) -> DiffResult:
    if repo.git_top is None:
        raise InputError(
            f"{repo.root} is not in a git repository, so there is no earlier version to compare with",
            hint="run `git init` and commit the spec files",
        )
    (from_side, from_config_bytes), (to_side, to_config_bytes) = resolve_sides(repo, [(from_rev, from_shown or from_rev), (to_rev, to_rev)])
    result = DiffResult(from_side, to_side)
    from_reader, to_reader = Reader(repo, from_side.commit), Reader(repo, to_side.commit)
    from_config, _ = parse_config(from_config_bytes)
    to_config, config_findings = parse_config(to_config_bytes)
    result.findings.extend(("to", finding) for finding in config_findings)

    if from_config.requirements_dir == to_config.requirements_dir:
        from_sources, to_sources = changed_files(repo, from_side, to_side, [to_config.requirements_dir])
    else:  # the spec folder itself moved: every file is a candidate
        result.notes.append(f"the requirements folder moved from {from_config.requirements_dir}/ to {to_config.requirements_dir}/; every file was compared")
        from_sources = [s for s in from_reader.list_files([from_config.requirements_dir]) if not _hidden(s.path)]
        to_sources = [s for s in to_reader.list_files([to_config.requirements_dir]) if not _hidden(s.path)]
    from_files = parse_sources(from_reader, from_config, from_sources, cache=cache)
    whole = _WholeTo.of(repo, to_snapshot, to_config, to_side, cache) if to_snapshot is not None and from_config.requirements_dir == to_config.requirements_dir else None
    to_files = whole.files(to_sources) if whole is not None else parse_sources(to_reader, to_config, to_sources, cache=cache)

    from_reqs = _requirements_of(from_files, from_config, from_side.commit)
    to_reqs = _requirements_of(to_files, to_config, to_side.commit)
    # Requirements are compared within the changed files: a file git reports as
    # unchanged holds the same requirements on both sides. Every copy of an id is
    # kept (a duplicated id has several), so that deleting a duplicate copy is not
    # taken for removing the requirement. An id whose number of copies in the
    # changed files differs between the sides may also stand in an unchanged file:
    # only then does the other copy decide whether it was added, removed or
    # duplicated, so those ids alone are looked up there.
    from_copies, to_copies = _copies_of(from_files), _copies_of(to_files)
    # The searches at TO (copies elsewhere, requests, children), kept per commit; the working
    # tree is searched as HEAD's kept answer plus the files that differ from HEAD.
    to_search = IdSearch(repo.git_top, to_side.commit, [repo.git_path(to_config.requirements_dir), repo.git_path(to_config.requests_dir)], differing=differing)
    uneven = sorted(rid for rid in from_copies.keys() | to_copies.keys() if len(from_copies.get(rid, ())) != len(to_copies.get(rid, ())))
    elsewhere: dict[str, list[Requirement]] = {}
    looked_up = 0
    if uneven and from_config.requirements_dir == to_config.requirements_dir:
        changed = {source.path for source in (*from_sources, *to_sources)}
        side, config = (to_side, to_config) if to_side.commit is not None else (from_side, from_config)
        known = whole.copies_elsewhere(uneven, changed) if whole is not None else None
        if known is not None:
            elsewhere, looked_up = known, len({copy.path for copies in known.values() for copy in copies})
        else:
            search = to_search if side is to_side else IdSearch(repo.git_top, side.commit, [repo.git_path(config.requirements_dir)], differing=differing)
            elsewhere, looked_up = _copies_elsewhere(repo, side, config, uneven, changed, cache, search)
        for rid, copies in elsewhere.items():
            from_copies[rid] = sorted([*from_copies.get(rid, []), *copies], key=_place)
            to_copies[rid] = sorted([*to_copies.get(rid, []), *copies], key=_place)
    # The requests at TO that name a changed id are searched for meanwhile.
    digest = memo_digests()
    wanted = sorted(
        rid for rid in from_copies.keys() | to_copies.keys()
        if sorted((r.path, digest(r)) for r in from_copies.get(rid, ())) != sorted((r.path, digest(r)) for r in to_copies.get(rid, ()))
    )
    known_requests = whole.requests_naming(wanted) if whole is not None and wanted else None
    request_search = to_search.start(wanted, [repo.git_path(to_config.requests_dir)]) if wanted and known_requests is None else None
    changes, result.unreadable, result.formatting_only, result.duplicates, placed = _compare(from_copies, to_copies, from_files, to_files, to_sources, digest, whitespace, details)
    result.files_read = len(from_files) + len(to_files) + looked_up
    result.findings.extend(("from", finding) for finding in from_reqs.findings)
    result.findings.extend(("to", finding) for finding in to_reqs.findings)
    result.findings.extend(_duplicate_findings(result.duplicates, from_copies, to_copies, elsewhere, result.findings))

    # Approval: requests at TO whose `affects` names a changed requirement.
    requests: list[Request] = known_requests or []
    if request_search is not None:
        paths = [p[len(repo.prefix) :] for p in request_search.result() if p.startswith(repo.prefix)]
        requests = _requests_in(repo, to_side, to_config, [p for p in paths if not _hidden(p)], cache)
    # Each change looks only at the requests naming it: with thousands of changes and
    # requests, scanning every request per change took seconds.
    naming: dict[str, list[Request]] = {}
    for request in requests:
        for rid in dict.fromkeys(request.affects):
            naming.setdefault(rid, []).append(request)
    # `_compare`'s changes have no requests yet, and most changes no request names (an added
    # requirement): only those a request names are copied (24,702 copies cost a status 0.15 s).
    result.changes = [replace(c, requests=refs) if c.id in naming and (refs := _request_refs(c.id, naming[c.id], to_side.date)) else c for c in changes]
    structure_files = any(f.kind is not None and f.kind.name == "spec-document" for f in (*from_files, *to_files))
    _with_moves(repo, from_side, to_side, result, placed, structure_files, cache)
    result.changes.sort(key=lambda c: (c.approved, _natural(c.id)))
    result.suspect = _suspect_at_to(repo, to_side, to_config, result.changes, to_files, cache, digest, to_search) if details and suspect else []
    if from_side.commit and to_side.commit and not _related(repo.git_top, from_side.commit, to_side.commit):
        result.notes.append("FROM and TO share no history; they were compared by content")
    return result


# (blob id, id) -> whether those bytes name the id as a whole word, found in this process.
_NAMED: dict[tuple[str, str], bool] = {}
# What `_WholeTo` takes from TO's tree and from the snapshot, made once per process for the
# last commit and the last snapshot asked about: a status's diffs to HEAD (two of them) share
# both, and each costs a pass over every file of the repo (100,000 requirements: ~0.1 s).
_LAST_AT_TO: list[tuple[tuple[str, str, str, str, str], dict[str, str]]] = []
_LAST_MAPS: list[tuple[Snapshot, dict[str, str] | None, tuple[dict[str, list[Requirement]], list[str]]]] = []


def _files_at_to(repo: SpecRepo, config: Config, commit: str) -> dict[str, str]:
    """path -> blob id of every regular file under the requirements and requests folders at `commit`."""
    assert repo.git_top is not None
    git_folders = (repo.git_path(config.requirements_dir), repo.git_path(config.requests_dir))
    key = (str(repo.git_top), commit, repo.prefix, *git_folders)
    if _LAST_AT_TO and _LAST_AT_TO[0][0] == key:
        return _LAST_AT_TO[0][1]
    at_to = {path[len(repo.prefix) :]: oid for path, oid in tree_files(repo.git_top, commit, git_folders) if path.startswith(repo.prefix)}
    _LAST_AT_TO[:] = [(key, at_to)]
    return at_to


def _snapshot_maps(snapshot: Snapshot, at_to: dict[str, str] | None) -> tuple[dict[str, list[Requirement]], list[str]]:
    """The snapshot's requirements by path, and TO's paths whose file is not the snapshot's
    (in path order; none when the snapshot's files are TO's)."""
    if _LAST_MAPS and _LAST_MAPS[0][0] is snapshot and _LAST_MAPS[0][1] is at_to:
        return _LAST_MAPS[0][2]
    by_path: dict[str, list[Requirement]] = {}
    for requirement in snapshot.requirements.values():
        by_path.setdefault(requirement.path, []).append(requirement)
    files = snapshot.files
    not_same = sorted(path for path, oid in at_to.items() if files.get(path) != oid) if at_to is not None else []
    _LAST_MAPS[:] = [(snapshot, at_to, (by_path, not_same))]
    return by_path, not_same


class _WholeTo:
    """TO's side of a diff answered from a snapshot read whole (`diff_revisions`'s
    `to_snapshot`): the parses of TO's changed files, the copies of an id in the files
    that did not change, the requests naming a changed id — what the diff otherwise
    parses again and finds by searching every file's bytes (changes/id_search.py).

    A file of the snapshot stands for TO's when it is TO's: the snapshot is TO's own side
    (the working tree), or the file has TO's blob id at TO (a commit: its files under the
    requirements and requests folders are listed once). TO's other files are read, searched
    and parsed as the diff reads them. Only where the answer is exactly the plain one: the
    snapshot's configuration is TO's and it holds no duplicated id and no finding under
    those folders (so each id has its one copy, and every file parsed whole); a search names
    a file when its bytes hold an id as a whole word, so an item the snapshot finds in a
    file whose bytes do not name it (an id spelled with YAML escapes) sends the diff back to
    searching (the method asked answers None), as does a request id that TO defines twice."""

    def __init__(self, repo: SpecRepo, snapshot: Snapshot, config: Config, side: Side, cache: ParseCache, at_to: dict[str, str] | None) -> None:
        self.repo, self.snapshot, self.config, self.side, self.cache = repo, snapshot, config, side, cache
        self.at_to = at_to  # path -> blob id of every regular file under the folders at TO; None: the snapshot's files are TO's
        self.by_path, self.not_same = _snapshot_maps(snapshot, at_to)

    @classmethod
    def of(cls, repo: SpecRepo, snapshot: Snapshot, config: Config, side: Side, cache: ParseCache) -> _WholeTo | None:
        if snapshot.config != config or snapshot.read_bytes is None or repo.git_top is None or (side.commit is None and snapshot.commit is not None):
            return None
        folders = (config.requirements_dir + "/", config.requests_dir + "/")
        if any(f.code == "duplicate-id" or (f.path or "").startswith(folders) for f in snapshot.findings):
            return None
        at_to = None
        if side.commit is not None and side.commit != snapshot.commit:
            at_to = _files_at_to(repo, config, side.commit)
        return cls(repo, snapshot, config, side, cache, at_to)

    def _same(self, path: str) -> bool:
        """Whether the snapshot's file at `path` is TO's."""
        oid = self.snapshot.files.get(path)
        return oid is not None and (self.at_to is None or self.at_to.get(path) == oid)

    def files(self, to_sources: list[SourceFile]) -> list[ParsedFile]:
        """TO's changed files as `parse_sources` gives them: a requirement file of the
        snapshot's with its items in the order of the file (the snapshot adds them in that
        order), any other parsed."""
        known: dict[str, ParsedFile] = {}
        others = []
        for source in to_sources:
            kind = kind_of(source.path, self.config)
            oid = self.snapshot.files.get(source.path)
            if (source.symlink_target is None and kind is not None and kind.name == "requirement" and self._same(source.path)
                    and source.oid in (None, oid)):
                known[source.path] = ParsedFile(source, kind, Parsed(list(self.by_path.get(source.path, ())), [], oid), True, oid)
            else:
                others.append(source)
        parsed = {one.source.path: one for one in parse_sources(Reader(self.repo, self.side.commit), self.config, others, cache=self.cache)}
        return [found for source in to_sources if (found := known.get(source.path) or parsed.get(source.path)) is not None]

    def _all_named(self, checks: list[tuple[str, list[str]]]) -> bool:
        """Whether each file's bytes name one of its ids as a whole word (as a search for them
        finds the file), and are still what the snapshot read."""
        snapshot = self.snapshot
        asked = [(path, snapshot.files.get(path), ids) for path, ids in checks]
        # What one of a status's diffs found is not read again by the next (a blob id names its bytes).
        unknown = {path: oid for path, oid, ids in asked if oid is None or any((oid, rid) not in _NAMED for rid in ids)}
        try:
            if snapshot.commit is None:
                texts = {path: snapshot.read_bytes(path) for path in unknown}  # type: ignore[misc]
            else:  # one `cat-file` stream for all of them
                by_oid = dict(gitio.read_blobs(self.repo.git_top, sorted({oid for oid in unknown.values() if oid})))  # type: ignore[arg-type]
                texts = {path: by_oid[oid] for path, oid in unknown.items() if oid in by_oid}
        except InputError:
            return False
        for path, oid in unknown.items():
            if oid is None or path not in texts or gitio.blob_id(texts[path]) != oid:
                return False
        for path, oid, ids in asked:
            for rid in ids:
                if (oid, rid) not in _NAMED:
                    _NAMED[oid, rid] = names_word(texts[path], rid)  # type: ignore[index]
        return all(any(_NAMED[oid, rid] for rid in ids) for _path, oid, ids in asked)  # type: ignore[index]

    def _elsewhere_at_to(self, folder: str, ids: list[str], changed: set[str]) -> list[ParsedFile] | None:
        """TO's files under `folder` that are not the snapshot's (nor in `changed`) and name one
        of `ids`, parsed: the part of a search at TO the snapshot cannot answer. None when the
        search would not be a scan of the bytes (changes/id_search.py `scannable`)."""
        if self.at_to is None:
            return []
        top = folder + "/"
        paths = [path for path in self.not_same if path.startswith(top) and path not in changed and not _hidden(path)]
        if not paths:
            return []
        if not scannable(ids, [folder]):
            return None
        pattern = id_pattern(ids)
        if pattern is None:
            return []
        texts = dict(gitio.read_blobs(self.repo.git_top, sorted({self.at_to[path] for path in paths})))  # type: ignore[arg-type]
        naming = [path for path in paths if pattern.search(texts[self.at_to[path]])]
        return files_at(self.repo, self.config, self.side, naming, self.cache)

    def copies_elsewhere(self, ids: list[str], changed: set[str]) -> dict[str, list[Requirement]] | None:
        """`_copies_elsewhere`: each id's copies in TO's files not in `changed` — the snapshot's
        one copy in a file that is TO's, and those in TO's other files."""
        copies: dict[str, list[Requirement]] = {}
        for rid in ids:
            requirement = self.snapshot.requirements.get(rid)
            if requirement is not None and requirement.path not in changed and self._same(requirement.path):
                copies[rid] = [requirement]
        if not self._all_named([(copy.path, [rid]) for rid, (copy,) in copies.items()]):
            return None
        others = self._elsewhere_at_to(self.config.requirements_dir, ids, changed)
        if others is None:
            return None
        wanted = set(ids)
        for rid, found in _copies_of(others).items():
            if rid in wanted:
                copies[rid] = [*copies.get(rid, []), *found]
        return copies

    def requests_naming(self, ids: list[str]) -> list[Request] | None:
        """The requests at TO whose `affects` names one of `ids` (`_requests_in` of the files a
        search for the ids finds, less those that name none in `affects`)."""
        wanted = set(ids)
        found: list[Request] = []
        checks = []
        for request in self.snapshot.requests.values():
            named = [rid for rid in request.affects if rid in wanted]
            if named and self._same(request.path):
                found.append(request)
                checks.append((request.path, named))
        if not self._all_named(checks):
            return None
        others = self._elsewhere_at_to(self.config.requests_dir, ids, set())
        if others is None:
            return None
        read = Snapshot(config=self.config, commit=self.side.commit)
        for parsed_file in sorted(others, key=lambda one: one.source.path):
            add_parsed(read, parsed_file.parsed)
        for request in read.requests.values():
            known = self.snapshot.requests.get(request.id)
            if known is not None and self._same(known.path):
                return None  # one id in two of TO's files: which one a search keeps depends on both
            if any(rid in wanted for rid in request.affects):
                found.append(request)
        return found


def _suspect_at_to(repo: SpecRepo, to_side: Side, config: Config, changes: list[Change], to_files: list[ParsedFile], cache: ParseCache, digest: Callable[[Requirement], str],
                   search: IdSearch) -> list[SuspectLink]:
    """The links at TO to a changed requirement whose review stamp is not its TO digest.

    Only the files at TO that name a changed id are read (one git grep): a child
    names its parent in `parents`, wherever it stands. Files the diff parsed
    already are not parsed again."""
    parents = {change.id: change.after for change in changes if change.change in (MODIFIED, MOVED) and change.after is not None}
    if not parents or repo.git_top is None:
        return []
    found_in = search.start(sorted(parents), [repo.git_path(config.requirements_dir)])
    parsed = {one.source.path: one for one in to_files}
    paths = [p[len(repo.prefix) :] for p in found_in.result() if p.startswith(repo.prefix)]
    more = files_at(repo, config, to_side, [p for p in paths if not _hidden(p) and p not in parsed], cache)
    children = [item for one in [*(parsed[p] for p in paths if p in parsed), *more] for item in one.parsed.items if isinstance(item, Requirement)]
    found = suspect_links_of(children, parents, digest)  # type: ignore[arg-type]
    return sorted(found, key=lambda link: (_natural(link.child), _natural(link.parent)))


def _copies_of(files: list[ParsedFile]) -> dict[str, list[Requirement]]:
    """Every requirement of some files by id, each copy of a duplicated id kept, in the
    loader's order (path, then place in the file): the first copy is the one it keeps."""
    copies: dict[str, list[Requirement]] = {}
    for parsed_file in sorted(files, key=lambda f: f.source.path):
        for item in parsed_file.parsed.items:
            if isinstance(item, Requirement):
                copies.setdefault(item.id, []).append(item)
    return copies


def _place(requirement: Requirement) -> tuple[str, int]:
    return (requirement.path, requirement.line)


def _copies_elsewhere(repo: SpecRepo, side: Side, config: Config, ids: list[str], changed: set[str], cache: ParseCache,
                      search: IdSearch) -> tuple[dict[str, list[Requirement]], int]:
    """The copies of `ids` in the requirement files that are the same at both ends (those not in
    `changed`), and how many files were read: one `git grep` names the files that mention the
    ids; only those are parsed."""
    assert repo.git_top is not None
    found = search.start(ids, [repo.git_path(config.requirements_dir)]).result()
    paths = [p[len(repo.prefix) :] for p in found if p.startswith(repo.prefix)]
    paths = [p for p in paths if p not in changed and not _hidden(p)]
    wanted = set(ids)
    files = files_at(repo, config, side, paths, cache)
    copies: dict[str, list[Requirement]] = {rid: found for rid, found in _copies_of(files).items() if rid in wanted}
    return copies, len(files)


def _pair(old: list[Requirement], new: list[Requirement]) -> tuple[list[tuple[Requirement, Requirement]], list[Requirement], list[Requirement]]:
    """Copies of one id paired across the ends: by path first, then in order.
    Returns the pairs and the copies left at FROM and at TO."""
    left = list(old)
    pairs: list[tuple[Requirement, Requirement]] = []
    unmatched: list[Requirement] = []
    for copy in new:
        index = next((i for i, candidate in enumerate(left) if candidate.path == copy.path), None)
        if index is None:
            unmatched.append(copy)
        else:
            pairs.append((left.pop(index), copy))
    count = min(len(left), len(unmatched))
    pairs.extend(zip(left[:count], unmatched[:count], strict=True))
    return pairs, left[count:], unmatched[count:]


def _unreadable_reason(parsed_file: ParsedFile | None) -> str | None:
    """Why a file yields no requirement at all because it cannot be read (None when it can)."""
    error = _first_error(parsed_file)
    if parsed_file is None or error is None or any(isinstance(i, Requirement) for i in parsed_file.parsed.items):
        return None
    where = f" at line {error.line}" if error.line else ""
    return f"{error.code}{where}: {error.message}"


def _compare(
    from_copies: dict[str, list[Requirement]], to_copies: dict[str, list[Requirement]], from_files: list[ParsedFile], to_files: list[ParsedFile],
    to_sources: list[SourceFile], digest: Callable[[Requirement], str], whitespace: str = COLLAPSE, details: bool = True,
) -> tuple[list[Change], list[Unreadable], list[str], list[Duplicate], list[tuple[Requirement, Requirement]]]:
    """The changes between the copies of each id at both ends; what cannot be compared;
    files changed in form only; ids defined more than once; the requirements whose
    `section` or `order` alone changed (a move in their document, maybe)."""
    from_by_path = {f.source.path: f for f in from_files}
    to_by_path = {f.source.path: f for f in to_files}
    unreadable: list[Unreadable] = []
    duplicates: list[Duplicate] = []
    changes: list[Change] = []
    removed: list[Requirement] = []
    added: list[Requirement] = []
    placed: list[tuple[Requirement, Requirement]] = []
    for rid in sorted(from_copies.keys() | to_copies.keys(), key=_natural):
        old_copies, new_copies = from_copies.get(rid, []), to_copies.get(rid, [])
        if len(old_copies) > 1 or len(new_copies) > 1:
            if len(new_copies) <= 1:
                status = DUPLICATE_RESOLVED
            else:
                status = DUPLICATE_REMAINING if len(old_copies) > 1 else DUPLICATE_INTRODUCED
            duplicates.append(Duplicate(rid, status, tuple(map(_place, old_copies)), tuple(map(_place, new_copies))))
        if not new_copies:
            # Requirements in a file that is broken at TO are unknown there, not removed.
            reason = next((r for r in (_unreadable_reason(to_by_path.get(old.path)) for old in old_copies) if r), None)
            if reason:
                unreadable.append(Unreadable(rid, old_copies[0].path, reason, "to"))
            else:
                removed.append(old_copies[0])
            continue
        if not old_copies:
            # ... and in a file that was broken at FROM, unknown there, not added.
            reason = next((r for r in (_unreadable_reason(from_by_path.get(new.path)) for new in new_copies) if r), None)
            if reason:
                unreadable.append(Unreadable(rid, new_copies[0].path, reason, "from"))
            else:
                added.append(new_copies[0])
            continue
        pairs, _gone, _new = _pair(old_copies, new_copies)  # copies without a partner are in `duplicates`
        for old, new in pairs:
            if digest(old) == digest(new):
                if old.path != new.path:
                    changes.append(Change(rid, MOVED, new.path, new.line, old.path, before=old, after=new))
                elif (old.section, old.order) != (new.section, new.order):
                    placed.append((old, new))
                continue
            fields = field_changes(old, new, whitespace=whitespace) if details else ()
            changes.append(Change(rid, MODIFIED, new.path, new.line, old.path, fields, before=old, after=new))

    for old, new in _renames(removed, added):
        removed.remove(old)
        added.remove(new)
        # A rename's fields are compared even without details: whether it needs approval depends on them.
        changes.append(Change(new.id, MODIFIED, new.path, new.line, old.path, field_changes(old, new, whitespace=whitespace),
                              before=old, after=new, renamed_from=old.id))
    hints = _rename_hints(removed, added)
    for old in removed:
        changes.append(Change(old.id, REMOVED, old.path, old.line, old.path, similar=hints.get(old.id), before=old))
    for new in added:
        changes.append(Change(new.id, ADDED, new.path, new.line, None, similar=hints.get(new.id), after=new))

    # A changed file none of whose requirements changed meaning: formatting only.
    touched = {p for change in changes for p in (change.path, change.from_path) if p}
    touched |= {path for duplicate in duplicates for path, _line in (*duplicate.from_places, *duplicate.to_places)}
    from_paths = {f.source.path for f in from_files if f.read}
    changed_paths = {s.path for s in to_sources}
    formatting_only = sorted(
        f.source.path for f in to_files
        if f.read and f.source.path in from_paths and f.source.path in changed_paths
        and f.source.path not in touched and _first_error(f) is None
    )
    return changes, unreadable, formatting_only, duplicates, placed


def _renames(removed: list[Requirement], added: list[Requirement]) -> list[tuple[Requirement, Requirement]]:
    """Removed and added requirements that are one renamed requirement: the same `mid`, or
    an `x-renamed-from` at TO naming the id at FROM."""
    by_mid = {old.mid: old for old in removed if old.mid is not None}
    by_id = {old.id: old for old in removed}
    pairs = []
    taken: set[str] = set()
    for new in added:
        earlier = dict(new.extra).get(RENAMED_FROM)
        names = [name for name in (earlier if isinstance(earlier, list) else [earlier]) if isinstance(name, str)]
        old = by_mid.get(new.mid) if new.mid is not None else None
        old = old or next((by_id[name] for name in reversed(names) if name in by_id), None)
        if old is not None and old.id not in taken:
            taken.add(old.id)
            pairs.append((old, new))
    return pairs


def _with_moves(repo: SpecRepo, from_side: Side, to_side: Side, result: DiffResult, placed: list[tuple[Requirement, Requirement]],
                structure_files: bool, cache: ParseCache) -> None:
    """Moves in the documents' reading order, and documents changed. Needs both whole
    outlines, so it reads both ends in full, but only when a `section` or `order` changed,
    a requirement was renamed or a `_document.yaml` changed: a diff of plain edits stays
    incremental."""
    candidates = [(c.before.id, c.after.id) for c in result.changes if c.before is not None and c.after is not None]
    # A file renamed in its folder stays in its document; one moved to another folder may not.
    if not structure_files and not placed and not any(
        (c.before.section, c.before.order, c.before.id, os.path.dirname(c.before.path)) != (c.after.section, c.after.order, c.after.id, os.path.dirname(c.after.path))
        for c in result.changes if c.before is not None and c.after is not None
    ):
        return
    before = outline(load_snapshot(repo, from_side.commit, cache=cache))
    after = outline(load_snapshot(repo, to_side.commit, cache=cache))
    moves = requirement_moves(before, after, [*candidates, *((old.id, new.id) for old, new in placed)])
    titles = section_titles(after)
    changes = []
    for change in result.changes:
        move = moves.get(change.id) if change.after is not None else None
        changes.append(change if move is None else replace(change, move=move, move_text=move.text(titles)))
    moved_in_place = [new for _old, new in placed if new.id in moves]
    for new in moved_in_place:
        old = next(o for o, n in placed if n is new)
        move = moves[new.id]
        changes.append(Change(new.id, MOVED, new.path, new.line, old.path, before=old, after=new, move=move, move_text=move.text(titles)))
    result.changes = changes
    moved_paths = {new.path for new in moved_in_place}
    result.formatting_only = [path for path in result.formatting_only if path not in moved_paths]
    if structure_files:
        result.documents = document_changes(before, after)
        changed_documents = {document.path for document in result.documents}
        result.formatting_only = [path for path in result.formatting_only if path not in changed_documents]


def _duplicate_findings(
    duplicates: list[Duplicate], from_copies: dict[str, list[Requirement]], to_copies: dict[str, list[Requirement]],
    elsewhere: dict[str, list[Requirement]], reported: list[tuple[str, Finding]],
) -> list[tuple[str, Finding]]:
    """`duplicate-id` for the copies of a duplicated id that stand in an unchanged file, worded as
    `reqtrace check` words it (copies all within the changed files are reported while loading)."""
    seen = {(side, f.id, f.path, f.line) for side, f in reported if f.code == "duplicate-id"}
    found = []
    for duplicate in duplicates:
        if duplicate.id not in elsewhere:
            continue
        for side, copies in (("from", from_copies[duplicate.id]), ("to", to_copies[duplicate.id])):
            first = copies[0] if copies else None
            for copy in copies[1:]:
                if (side, copy.id, copy.path, copy.line) in seen:
                    continue
                assert first is not None
                found.append((side, Finding(
                    "duplicate-id", ERROR,
                    f"id '{copy.id}' is already used by the requirement in {first.path}:{first.line}; give one of them a new id",
                    copy.path, copy.line, copy.id,
                )))
    return found


def _requests_in(repo: SpecRepo, side: Side, config: Config, paths: list[str], cache: ParseCache) -> list[Request]:
    """The requests in some files at `side`."""
    snapshot = Snapshot(config=config, commit=side.commit)
    for parsed_file in files_at(repo, config, side, paths, cache):
        add_parsed(snapshot, parsed_file.parsed)
    return list(snapshot.requests.values())


def _related(git_top: Path, first: str, second: str) -> bool:
    return gitio.have_common_ancestor(git_top, first, second)


# --- the drift gate (`reqtrace check --drift`) ------------------------------------------


def drift_findings(repo: SpecRepo, base: tuple[str, str], severity: str, *, to_rev: str = WORKTREE, cache: ParseCache | None = None) -> list[Finding]:
    """`unapproved-change` for every requirement changed since `base` (name, revision) that no approved request covers."""
    name, rev = base
    result = diff_revisions(repo, rev, to_rev, from_shown=name, cache=cache, suspect=False)
    return unapproved_findings(result, name, ERROR if severity == "error" else WARNING)


def unapproved_findings(result: DiffResult, name: str, level: str) -> list[Finding]:
    """`unapproved-change` (at `level`) for every change in `result` since `name` that no approved request covers."""
    findings = []
    for change in result.unapproved:
        verb = {ADDED: "added", REMOVED: "removed", MODIFIED: "changed"}[change.change]
        fields_changed = f" ({', '.join(f.field for f in change.fields)})" if change.fields else ""
        others = [f"{ref.id} ({ref.why_not})" for ref in change.requests]
        because = f"; {', '.join(others)} does not cover it" if others else ""
        findings.append(
            Finding(
                "unapproved-change",
                level,
                f"{change.id} was {verb}{fields_changed} since {name} and no approved request covers it{because}; "
                f"record a request with affects: [{change.id}] and an approved decision, or undo the change",
                change.path,
                change.line if change.change != REMOVED else None,
                change.id,
            )
        )
    return findings


# --- JSON (public API: keys may be added, never removed) ---------------------------------


def field_json(change: FieldChange) -> dict[str, Any]:
    data: dict[str, Any] = {"field": change.field, "before": change.before, "after": change.after}
    if change.words:
        data["words"] = [[op, text] for op, text in change.words]
    if change.hunks:
        data["hunks"] = [hunk.as_json() for hunk in change.hunks]
    if change.added or change.removed or change.reordered:
        data["added"] = list(change.added)
        data["removed"] = list(change.removed)
        data["reordered"] = change.reordered
    return data


def side_json(side: Side) -> dict[str, Any]:
    # The working tree is null in every revision key of the JSON vocabulary (docs/format.md).
    return {"ref": side.ref if side.commit is not None else None, "commit": side.commit, "date": side.date}


def diff_json(result: DiffResult) -> dict[str, Any]:
    """The diff as `reqtrace diff --format json` prints it (without schema_version)."""
    return {
        "from": side_json(result.from_side),
        "to": side_json(result.to_side),
        "summary": {
            "added": result.count(ADDED),
            "removed": result.count(REMOVED),
            "modified": result.count(MODIFIED),
            "moved": result.count(MOVED),
            "unapproved": len(result.unapproved),
            "formatting_only": len(result.formatting_only),
            "unreadable": len(result.unreadable),
            "duplicates": len(result.duplicates),
        },
        "changes": [
            {
                "id": change.id,
                "change": change.change,
                "path": change.path,
                "from_path": change.from_path,
                "line": change.line,
                "fields": [field_json(f) for f in change.fields],
                "approved_by": list(change.approved_by),
                "approved": change.approved,
                "needs_approval": change.needs_approval,
                "requests": [
                    {"id": ref.id, "status": ref.status, "when": ref.on, "covers": ref.covers, "why_not": ref.why_not}
                    for ref in change.requests
                ],
                "similar_to": {"id": change.similar[0], "ratio": change.similar[1]} if change.similar else None,
                "renamed_from": change.renamed_from,
                "move": {**change.move.as_json(), "text": change.move_text} if change.move is not None else None,
            }
            for change in result.changes
        ],
        "formatting_only": result.formatting_only,
        "unreadable": [{"id": u.id, "path": u.path, "reason": u.reason, "side": u.side} for u in result.unreadable],
        "duplicates": [
            {
                "id": d.id,
                "status": d.status,
                "from": [{"path": path, "line": line} for path, line in d.from_places],
                "to": [{"path": path, "line": line} for path, line in d.to_places],
                "message": d.message(),
            }
            for d in result.duplicates
        ],
        "findings": [{**finding.as_dict(), "side": side} for side, finding in result.findings],
        "notes": result.notes,
        "suspect": [link.as_dict() for link in result.suspect],
        "documents": [document.as_json() for document in result.documents],
    }
