"""`reqtrace check`: every finding about a snapshot, for people and for CI."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from reqtrace.changes.id_search import offer_blobs
from reqtrace.changes.suspect import check_suspect_links
from reqtrace.checks.kept_check import FRESH_NS
from reqtrace.checks.records import RECORD_CHECKS
from reqtrace.checks.references import dangling, removed_since_a_baseline
from reqtrace.core import cachestore
from reqtrace.core.config import Config, SpecRepo, parse_config
from reqtrace.core.model import ERROR, WARNING, Finding, FindingTally, Snapshot
from reqtrace.core.parse import Parsed
from reqtrace.core.parse_cache import ParseCache
from reqtrace.core.placeholders import check_placeholders
from reqtrace.core.snapshot import WORKTREE, Reader, SourceFile, kind_finder, scanned_folders
from reqtrace.core.structure import structure_findings
from reqtrace.errors import InputError
from reqtrace.io import clock, gitio
from reqtrace.io.files import stale_temp_files
from reqtrace.records.testevidence_repo import check_test_evidence

if TYPE_CHECKING:
    from reqtrace.baselines.baseline import BaselineSet

Check = Callable[[Snapshot], Iterable[Finding]]


def check_references(snapshot: Snapshot) -> Iterator[Finding]:
    """Every reference must name an existing item of the right kind.

    A request or meeting may also name a requirement removed since a baseline
    (`removed_since_a_baseline`); a requirement's `parents` may not: a live requirement
    cannot hang under one that is gone. A reference to a known item of the kind wanted is
    passed over before `dangling` is asked (it would say nothing: at 100,000 requirements
    asking it of every reference cost 0.18 s)."""
    everything = None
    wanted: Container[str] | None  # a table of requirements or of requests; None: any item
    table: Container[str]  # where a reference is known to be right: `wanted`, or every item's id
    removed = removed_since_a_baseline(snapshot)
    requirements = snapshot.requirements
    known = snapshot.all_ids()
    # A reference in the table it must be in (any item's id, or the kind wanted): nothing to say.
    for requirement in requirements.values():
        for ref in requirement.parents:
            if ref not in requirements:
                found = dangling(snapshot, requirement, "parents", ref, requirements, "requirement")
                if found:
                    yield found
        for ref in requirement.sources:
            if ref not in known:
                found = dangling(snapshot, requirement, "sources", ref, everything, "record")
                if found:
                    yield found
    for request in snapshot.requests.values():
        for field_name, refs, wanted, what in (
            ("refs", request.refs, everything, "item"),
            ("sources", request.sources, everything, "record"),
            ("affects", request.affects, snapshot.requirements, "requirement"),
        ):
            table = known if wanted is None else wanted
            for ref in refs:
                if ref in table:
                    continue
                found = dangling(snapshot, request, field_name, ref, wanted, what)
                if found and not (field_name != "sources" and removed(ref)):
                    yield found
        if request.decision and request.decision.in_:
            found = dangling(snapshot, request, "decision", request.decision.in_, everything, "meeting or email")
            if found:
                yield found
    for meeting in snapshot.meetings.values():
        for ref in meeting.refs:
            if ref in known:
                continue
            found = dangling(snapshot, meeting, "refs", ref, everything, "item")
            if found and not removed(ref):
                yield found
        for decision in meeting.decisions:
            for field_name, refs, wanted, what in (
                ("refs", decision.refs, everything, "item"),
                ("approves", decision.approves, snapshot.requests, "request"),
                ("rejects", decision.rejects, snapshot.requests, "request"),
            ):
                table = known if wanted is None else wanted
                for ref in refs:
                    if ref in table:
                        continue
                    found = dangling(snapshot, meeting, f"decisions: {field_name}", ref, wanted, what)
                    if found and not (field_name == "refs" and removed(ref)):
                        yield Finding(found.code, found.severity, found.message, found.path, decision.line, found.id)


def parent_cycles(parents: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Each cycle in the parent relation once, as the list of ids around it.

    A depth-first walk from each id in sorted order, each id's parents in sorted order;
    an id without parents is finished at once, and one parent needs no sort (most of a
    hierarchy: a walk that pushed and sorted them cost 0.12 s at 100,000 requirements)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles: list[list[str]] = []
    for start in sorted(parents):
        if start in state:
            continue
        first = parents[start]
        if not first:
            state[start] = 2
            continue
        state[start] = 1
        path = [start]
        stack: list[Iterator[str]] = [iter(first if len(first) < 2 else sorted(first))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            seen = state.get(child)
            if seen == 1:
                cycles.append(path[path.index(child) :] + [child])
            elif seen is None and child in parents:
                grand = parents[child]
                if not grand:
                    state[child] = 2
                    continue
                state[child] = 1
                path.append(child)
                stack.append(iter(grand if len(grand) < 2 else sorted(grand)))
    return cycles


def check_parent_cycles(snapshot: Snapshot) -> Iterator[Finding]:
    relation = {rid: req.parents for rid, req in snapshot.requirements.items()}
    for cycle in parent_cycles(relation):
        first = snapshot.requirements[cycle[0]]
        yield Finding(
            "parent-cycle",
            ERROR,
            f"parents form a cycle: {' -> '.join(cycle)}; a requirement cannot derive from itself — remove one link",
            first.path,
            first.line_of("parents"),
            first.id,
        )


def check_baselines(snapshot: Snapshot) -> Iterable[Finding]:
    """baseline-tampered, signature-invalid, signer-unknown: see baseline_verify.

    With no file under the baselines folder there is nothing to verify, unless a tag
    `baseline/NAME` is left: then the folder may have been deleted, which is a finding.
    """
    repo = snapshot.repo
    if repo is not None and not snapshot.has_baseline_files() and (repo.git_top is None or not gitio.tag_commits(repo.git_top, "baseline/")):
        return []
    from reqtrace.baselines.verify import baseline_findings

    return baseline_findings(snapshot)


DRIFT_KIND = "drift"
# The shape of what drift_content names; a new one when it changes.
DRIFT_FORMAT = "drift-1"
# Findings that say a file under the compared folders was not read: the diff would read it
# its own way, so such a snapshot's drift is never kept.
_UNREAD = frozenset({"symlink", "file-too-large", "not-utf8"})


def drift_gate(snapshot: Snapshot, base: tuple[str, str], level: str) -> list[Finding]:
    """`unapproved-change` findings (at `level`) for every requirement changed since the
    accepted baseline `base` (name, commit) that no approved request covers: `diff.drift_findings`,
    kept (core/cachestore.py) under `drift_content`, so that an unchanged spec repo is not diffed again."""
    repo = snapshot.repo
    assert repo is not None
    content = drift_content(snapshot, base, level)
    if content is not None:
        kept = cachestore.load(repo.git_top, DRIFT_KIND, content, cachestore.findings_of)
        if kept is not None:
            return kept
    from reqtrace.changes.diff import drift_findings
    from reqtrace.core.snapshot import read_only_parse_pack

    # The snapshot's files were just parsed into the pack: the drift's side at the snapshot
    # is found there; the baseline's side is kept in entry files, as `diff` keeps it.
    with _PackFirst(ParseCache.for_git(repo.git_top).folder, read_only_parse_pack(repo.git_top)) as cache:
        findings = drift_findings(repo, base, level, to_rev=snapshot.commit or WORKTREE, cache=cache)
    if content is not None:
        cachestore.store(repo.git_top, DRIFT_KIND, content, cachestore.finding_rows(findings))
    return findings


def start_baseline_work(repo: SpecRepo, commit: str | None, drift: str | None, verdict: str | None,
                        answer: Callable[[str], bytes] | None = None, *, verdict_in_child: bool = False) -> Callable[[], bytes | None] | None:
    """Start the baselines' verdict and the drift gate in a forked child that keeps them
    (core/cachestore.py), while the caller reads and parses the spec repo at `commit` (None:
    the working tree); the function returned waits for the child (None: nothing started).

    Neither needs a parsed file of the snapshot: the verdict reads the baseline files, their
    tags and ssh-keygen; the drift gate diffs the few files changed since the accepted baseline
    and searches HEAD (or the commit) for their ids (changes/id_search.py, kept by commit).
    After the parse, `baseline_verdict` and `drift_gate` find them kept under the content ids
    they compute themselves, checked as every kept result is; what the child did not keep
    (it failed, a file changed meanwhile) they compute as before, from the kept searches
    where there are some. Only format 2 baselines are verified here (by blob ids): a format 1
    verdict digests the requirements at each baseline's commit, which the parse in this process
    mostly supplies. Started only where forking is worth it (`fork_map.can_fork`, sized by the
    manifests) and the child's results can be kept: `verdict` is the verdict's content id
    (`verify.verdict_content`), None when it may not be kept. `verdict_in_child`: the child
    works it out first (`verdict` unused), for a caller that knows no verdict is kept
    (`cachestore.none_of_kind`): the caller's three `git` runs and the baseline files' reading
    are then off its start, which it spends alone before this fork (a cold check in a fresh
    clone). `answer(verdict)`: more work for the child once the baselines' is done, whose
    bytes the function returned gives (None when the child failed; b"" when the child found
    that the verdict may not be kept, and did nothing)."""
    from reqtrace.baselines.verify import VERDICT_KIND, manifest_rows
    from reqtrace.io.fork_map import can_fork, fork_answering

    if repo.git_top is None:
        return None
    try:
        config, _ = parse_config(Reader(repo, commit).read_config())
    except InputError:
        return None  # the parse says what is wrong with it
    rows = manifest_rows(repo, config)
    if not rows or not can_fork(rows):
        return None
    if not verdict_in_child and (verdict is None or cachestore.load(repo.git_top, VERDICT_KIND, verdict) is not None):
        return None
    level = drift or config.drift or "warn"

    return fork_answering(lambda: _baseline_work(repo, commit, level, None if verdict_in_child else verdict, answer or _no_answer), items=rows)


def _baseline_work(repo: SpecRepo, commit: str | None, level: str, verdict: str | None, answer: Callable[[str], bytes]) -> bytes:
    """The forked child of `start_baseline_work`: what it computes is kept, nothing else is
    left; gives what `answer(verdict)` gives. `verdict`: the verdict's content id, worked out
    by the parent just before the fork, or (None) here first: either way before the baseline
    files are scanned here, so it names them as they were at the latest then."""
    from reqtrace.baselines.baseline import scan_baselines
    from reqtrace.baselines.verify import VERDICT_KIND, verdict_at, verdict_content
    from reqtrace.io.fork_map import fork_answering
    from reqtrace.io.progress import set_listener

    set_listener(None)  # the parent shows the progress
    content = verdict if verdict is not None else verdict_content(repo, commit)
    if content is None or (verdict is None and cachestore.load(repo.git_top, VERDICT_KIND, content) is not None):
        return b""  # may not be kept, or kept meanwhile: the parent works as without a child
    scanned = scan_baselines(repo, commit)
    verified: Callable[[], bytes | None] | None = None
    if scanned.baselines and all(baseline.files_digest is not None for baseline in scanned.baselines):
        if level == "off":
            verdict_at(repo, commit, lambda: scanned, content=content)
            return answer(content)

        def verify_then_answer() -> bytes:
            verdict_at(repo, commit, lambda: scanned, content=content)
            return answer(content)

        # The verdict waits mostly on git and ssh-keygen, and so does the drift gate: a second
        # child verifies (then answers: it ends first) while this one diffs (one after the
        # other, the baselines' work was the last of a cold check's processes to finish).
        verified = fork_answering(verify_then_answer, items=sum(len(baseline.requirements) for baseline in scanned.baselines))
    try:
        _drift_work(repo, commit, level, scanned)
    finally:
        answered = verified() if verified is not None else None  # the parent's wait for this child covers the verdict's
    return answered if answered is not None else answer(content)


def _no_answer(verdict: str) -> bytes:
    return b""


def _drift_work(repo: SpecRepo, commit: str | None, level: str, scanned: BaselineSet) -> None:
    """The drift gate of `_baseline_work`, kept where it can be."""
    from reqtrace.baselines.baseline import AcceptedUnknown
    from reqtrace.changes.diff import diff_revisions, drift_findings

    if level == "off":
        return
    try:
        accepted = scanned.accepted()
    except AcceptedUnknown:
        return  # the gate fails on the missing file; there is no drift to search
    if accepted is None:
        return
    # Parses are not kept (ParseCache(None)): the parent has the snapshot's, and the few
    # changed files at the baseline cost less to parse again than to write and read.
    # The whole gate is kept, as drift_gate keeps it: at a commit the commits name it; in the
    # working tree the blob ids of the files under the folders it reads, hashed here and each
    # file described as it was read (kept only when every description still holds after the
    # diff: no file changed while it was read).
    base = (accepted.name, accepted.commit)
    described: _Described | None = None
    if commit is not None:
        content = _drift_content_at(repo, base, level, commit)
    else:
        named = _worktree_drift_content(repo, base, level)
        if named is None:  # the searches are kept still
            diff_revisions(repo, accepted.commit, WORKTREE, from_shown=accepted.name, cache=ParseCache(None), suspect=False)
            return
        content, described = named
    if cachestore.load(repo.git_top, DRIFT_KIND, content, cachestore.findings_of) is None:
        findings = drift_findings(repo, base, level, to_rev=commit or WORKTREE, cache=ParseCache(None))
        if described is None or _still_described(repo, described):
            cachestore.store(repo.git_top, DRIFT_KIND, content, cachestore.finding_rows(findings))


class _PackFirst(ParseCache):
    """Parses by key from entry files, the parse pack (read only) asked first."""

    def __init__(self, folder: Path | None, pack: ParseCache) -> None:
        super().__init__(folder)
        self._pack = pack

    def get(self, key: str) -> Parsed | None:
        return self._pack.get(key) or super().get(key)


def drift_content(snapshot: Snapshot, base: tuple[str, str], level: str) -> str | None:
    """The content id of what the drift gate compares; None when it must not be kept.

    Both sides are content: the baseline's commit, and the snapshot's commit or, for the
    working tree, today's date (a request's decision may be dated later), HEAD,
    reqtrace.yaml's bytes and the blob id of every file read under the requirements and
    requests folders (the snapshot has read and hashed them all already).
    """
    repo = snapshot.repo
    if repo is None or repo.git_top is None:
        return None
    config = snapshot.config
    if snapshot.commit is not None:
        return _drift_content_at(repo, base, level, snapshot.commit)
    name, base_commit = base
    lines = [f"{DRIFT_FORMAT} {repo.root} {repo.prefix!r} {name!r} {base_commit} {level}"]
    folders = _drift_folders(config)
    if folders is None:
        return None  # a folder the snapshot did not read
    if any(f.code in _UNREAD and (f.path or "").startswith(folders) for f in snapshot.findings):
        return None
    head = gitio.head_commit(repo.git_top)
    try:
        config_bytes = Reader(repo, None).read_config()
    except InputError:
        return None
    lines += [f"to WORKTREE {clock.today().isoformat()} {head} {gitio.blob_id(config_bytes)}"]
    for path in sorted(path for path in snapshot.present if path.startswith(folders)):
        lines.append(f"{path!r} {snapshot.files.get(path, '-')}")
    return "\n".join(lines)


def _drift_folders(config: Config) -> tuple[str, str] | None:
    """The folders whose files name the working tree's drift ('specs/', 'records/requests/');
    None when the snapshot does not read them both."""
    folders = (config.requirements_dir + "/", config.requests_dir + "/")
    scanned = [folder + "/" for folder in scanned_folders(config)]
    return folders if all(folder.startswith(tuple(scanned)) for folder in folders) else None


# What a file's description holds: its size, modification and change times, inode and device.
# A file whose description is unchanged has unchanged bytes, as git's index takes it.
_Times = tuple[int, int, int, int, int]


def _times(info: os.stat_result) -> _Times:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


class _DriftFiles(NamedTuple):
    """What `_drift_files` lists: reqtrace.yaml's bytes and configuration, the files under the
    drift's folders (nothing read) and HEAD."""

    config_bytes: bytes
    config: Config
    sources: list[SourceFile]
    head: str | None


class _Described(NamedTuple):
    """The files a drift's content id was worked out from, as they were when read (`_still_described`)."""

    listed: _DriftFiles
    times: dict[str, _Times]  # every listed file's description


def _worktree_drift_content(repo: SpecRepo, base: tuple[str, str], level: str) -> tuple[str, _Described] | None:
    """`drift_content` of the snapshot a check of the working tree as it is now would read,
    from the files themselves (listed and hashed, nothing parsed), with their description
    (`_Described`: each file's times from the `fstat` of the file read, the others' from
    `lstat`): for the child beside the parse. None wherever the snapshot's would be None, or
    might be: a link, a name that is not UTF-8 or a file over the size limit under the folders
    (the parse reports them), a reqtrace.yaml that cannot be read; and when a file changed in
    the last seconds (an edit within the same clock tick keeps the times). A content that
    differs from the snapshot's is never wrong, only not found."""
    listed = _drift_files(repo)
    if listed is None or repo.git_top is None:
        return None
    kind_of = kind_finder(listed.config)
    fresh = time.time_ns() - FRESH_NS
    blobs: dict[str, str] = {}
    times: dict[str, _Times] = {}
    read = []
    try:
        for source, data, info in Reader(repo, None).read_described([source for source in listed.sources if kind_of(source.path) is not None]):
            if data is None or info.st_mtime_ns >= fresh or info.st_ctime_ns >= fresh:
                return None
            blobs[source.path] = gitio.blob_id(data)
            times[source.path] = _times(info)
            read.append((blobs[source.path], data))
        for source in listed.sources:  # the files of no kind: their presence is what counts
            if source.path not in times:
                info = os.lstat(os.path.join(repo.root, source.path))
                if info.st_mtime_ns >= fresh or info.st_ctime_ns >= fresh:
                    return None
                times[source.path] = _times(info)
    except (InputError, OSError):
        return None
    # The drift's searches of HEAD read the same blobs (most files are HEAD's): from here, not from git.
    offer_blobs(read)
    name, base_commit = base
    lines = [f"{DRIFT_FORMAT} {repo.root} {repo.prefix!r} {name!r} {base_commit} {level}",
             f"to WORKTREE {clock.today().isoformat()} {listed.head} {gitio.blob_id(listed.config_bytes)}"]
    lines.extend(f"{source.path!r} {blobs.get(source.path, '-')}" for source in listed.sources)
    return "\n".join(lines), _Described(listed, times)


def _still_described(repo: SpecRepo, described: _Described) -> bool:
    """Whether the files under the drift's folders are still those `described` names: the same
    HEAD, reqtrace.yaml, files listed, and each file's description (a file written since has new
    times or another inode; one written within the same clock tick was too fresh to be described)."""
    now = _drift_files(repo)
    before = described.listed
    if now is None or now.head != before.head or now.config_bytes != before.config_bytes or now.sources != before.sources:
        return False
    root = str(repo.root) + os.sep
    try:
        return all(_times(os.lstat(root + path)) == times for path, times in described.times.items())
    except OSError:
        return False


def _drift_files(repo: SpecRepo) -> _DriftFiles | None:
    """reqtrace.yaml's bytes, the configuration, the files under the drift's folders and HEAD;
    None when a file is a link or has a name that is not UTF-8, or a folder cannot be read."""
    reader = Reader(repo, None)
    try:
        config_bytes = reader.read_config()
        config, _ = parse_config(config_bytes)
        folders = _drift_folders(config)
        if folders is None:
            return None
        sources = [source for source in reader.list_files([folder.rstrip("/") for folder in folders], sizes=False) if source.path.startswith(folders)]
        if reader.bad_names or any(source.symlink_target is not None for source in sources):
            return None
    except (InputError, OSError):
        return None
    return _DriftFiles(config_bytes, config, sources, gitio.head_commit(repo.git_top) if repo.git_top is not None else None)


def _drift_content_at(repo: SpecRepo, base: tuple[str, str], level: str, commit: str) -> str:
    """`drift_content` of a snapshot at `commit`: the commits name all that is compared."""
    name, base_commit = base
    return f"{DRIFT_FORMAT} {repo.root} {repo.prefix!r} {name!r} {base_commit} {level}\nto {commit}"


def check_stale_temp_files(snapshot: Snapshot) -> Iterable[Finding]:
    """stale-temp-file: a write that was killed left its temporary file (files.atomic_writer).

    Reported, not deleted: it may belong to a reqtrace writing right now.
    """
    if snapshot.repo is None or snapshot.commit is not None:
        return []
    # The check's own listing (its kept report's key) found them while the files were read:
    # not listed again after the parse (0.01 s of CPU at 10,000 requirements, 0.1 s at 100,000).
    found = snapshot.temp_files if snapshot.temp_files is not None else stale_temp_files(snapshot.repo.root, scanned_folders(snapshot.config))
    return [
        Finding("stale-temp-file", WARNING, f"temporary file left by an interrupted reqtrace write; delete it (rm '{path}') — the file it was writing is unchanged", path, None)
        for path in found
    ]


def check_some_requirements(snapshot: Snapshot) -> Iterable[Finding]:
    """A readable requirements folder with no requirement in it is a warning (an error
    under --strict).

    Not an error by default: a project just made with `reqtrace init` has an empty
    specs/ and nothing wrong yet. But a gate that read nothing must say so: files
    saved as `.yml.txt`, or all of them moved one folder too far, would otherwise
    pass as "no problems". (A folder that is missing or unreadable stops loading
    with exit 3 instead: see snapshot.check_folders.) A file that failed to parse
    already has its own error.
    """
    if snapshot.requirements:
        return []
    folder = snapshot.config.requirements_dir
    if any(f.severity == ERROR and f.path and f.path.startswith(folder + "/") for f in snapshot.findings):
        return []
    return [Finding("no-requirements", WARNING, f"no requirements in {folder}/: nothing was checked; add requirement files (*.yaml), or set paths.requirements in reqtrace.yaml to the folder that holds them", folder, None)]


# The checks run over a whole snapshot; later features append theirs.
CHECKS: list[Check] = [check_references, check_parent_cycles, check_baselines, check_stale_temp_files, check_some_requirements, check_placeholders]
CHECKS.extend(RECORD_CHECKS)  # emails and documents (issue 5)
CHECKS.append(check_suspect_links)
CHECKS.append(check_test_evidence)
CHECKS.append(structure_findings)


@dataclass
class CheckReport(FindingTally):
    snapshot: Snapshot
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False

    # What the renderers read besides the findings (as a kept_check.KeptReport holds them).
    @property
    def requirement_count(self) -> int:
        return len(self.snapshot.requirements)

    @property
    def record_count(self) -> int:
        return self.snapshot.record_count

    @property
    def commit(self) -> str | None:
        return self.snapshot.commit


def _sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.path or "", finding.line or 0, finding.code, finding.message)


# The rules that read the baselines (their verdict; the manifests, for a name a baseline
# holds), and the stale temporary files (found by the kept report's listing, which may come
# with the baselines' work): with `run_checks(baselines_ready=…)` they run after the others.
_BASELINE_CHECKS: tuple[Check, ...] = (check_baselines, check_references, check_stale_temp_files)


def run_checks(snapshot: Snapshot, *, strict: bool = False, checks: Iterable[Check] | None = None, baselines_ready: Callable[[], None] | None = None) -> CheckReport:
    """Every rule's findings about `snapshot`, with its own. `baselines_ready`: called once
    the rules that need nothing of the baselines have run, before the others run and before
    the snapshot's findings are read (the baselines' work beside the parse, check.start_baseline_work,
    finishes meanwhile; the drift gate may add to the snapshot's findings). The same report."""
    rules = list(checks if checks is not None else CHECKS)
    findings: list[Finding] = []
    if baselines_ready is not None:
        for check in rules:
            if check not in _BASELINE_CHECKS:
                findings.extend(check(snapshot))
        rules = [check for check in rules if check in _BASELINE_CHECKS]
        baselines_ready()
    findings[:0] = snapshot.findings
    for check in rules:
        findings.extend(check(snapshot))
    if strict:
        findings = [Finding(f.code, ERROR, f.message, f.path, f.line, f.id) if f.severity == WARNING else f for f in findings]
    return CheckReport(snapshot, sorted(set(findings), key=_sort_key), strict)
