"""A whole `check` kept: its findings and counts under everything they were computed from.

A second `check` of an unchanged spec repo (a developer's next run, CI restoring
`.git/reqtrace/`) would otherwise read and unpickle every file's parse, run every
rule over every item and compare the baselines again, all to print the same
findings. Two entries of the one store (core/cachestore.py) answer it instead:

- `check-files`: the working tree's files as the file system describes them
  (each path with its size, modification and change times, inode and device; a
  symbolic link's target) mapped to their content — the blob id of each file.
  This is what git's index does for `git status`: a file whose description is
  unchanged has unchanged bytes. A file changed less than `FRESH_NS` before the
  listing is described by its blob id instead, so that an edit within the file
  system's timestamp granularity is never mistaken for no edit; with more than
  `MAX_FRESH` such files (a clone just made) nothing is kept. (Kept for the
  working tree only; a commit names its content already.)
- `check-report`: the findings and counts, under a content id: the blob ids of
  every file under the scanned folders (the commit's id, at a commit), the blob
  id of reqtrace.yaml, the baselines' verdict content (baselines/verify.py: HEAD,
  the baseline files, tags, allowed signers, ssh-keygen), today's date, the
  options and a fingerprint of all of reqtrace's code.

Anything that is not sure (outside git, a shallow clone, REQTRACE_NO_CACHE set, a
folder that is not a real one, a document whose digest only git's line-ending
conversion can confirm) is not kept, and the plain check runs.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from reqtrace.baselines.verify import verdict_content
from reqtrace.core import cachestore
from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import Finding, FindingTally, Snapshot
from reqtrace.core.snapshot import Reader, kind_finder, scanned_folders
from reqtrace.errors import InputError
from reqtrace.io import clock, gitio
from reqtrace.io.files import is_temp_file

REPORT_KIND = "check-report"
FILES_KIND = "check-files"
# The shape of what the content ids name; a new one when it changes.
KEPT_FORMAT = "check-kept-1"
# A file whose modification or change time is this close to the listing (or later) is
# described by its bytes, not its times: a second write in the same clock tick keeps them.
FRESH_NS = 2_000_000_000
# More fresh files than this (a clone or checkout just written) and nothing is kept: reading
# them all to describe them would add to a run that reads them anyway, and keeps nothing useful.
MAX_FRESH = 256


@functools.cache
def code_fingerprint() -> str:
    """Every module of reqtrace (and its schemas): a check's findings come from most of them."""
    here = Path(__file__).resolve().parent.parent
    return cachestore.code_fingerprint(tuple(sorted(path.relative_to(here).as_posix() for path in here.rglob("*.py"))))


@dataclass(frozen=True)
class KeptReport(FindingTally):
    """What a kept check says; read by the renderers as a check.CheckReport is."""

    findings: list[Finding]
    strict: bool
    requirement_count: int
    record_count: int
    commit: str | None


class _Listed(NamedTuple):  # a tuple: one per file of a large repo
    """One entry under the scanned folders, as the listing found it."""

    path: str
    line: str  # its description in the listing
    regular: bool
    fresh_oid: str | None  # a fresh file's blob id, read while listing
    # The blob id of a file no parse reads (an e-mail's message, a manifest), read while
    # listing, its description then the one listed (`check_key(read_unparsed=True)`).
    read_oid: str | None = None


@dataclass
class CheckKey:
    """Where a check's kept report is, or would be stored."""

    repo: SpecRepo
    commit: str | None
    head_lines: list[str]  # the content id's lines other than the files'
    listed: list[_Listed]  # the working tree's files (empty at a commit)
    files_id: str | None  # the check-files content id (the working tree)
    files_content: str | None  # the blob ids' digest, when check-files had it

    def temp_files(self) -> list[str] | None:
        """What `files.stale_temp_files` finds, from the listing (the working tree's; None at a
        commit, or where the listing cannot tell: an entry in a `.git` folder, which its walk
        skips): at the root the regular files, under the folders every entry but a folder or a
        link to one."""
        if self.commit is not None:
            return None
        found = set()
        for entry in self.listed:
            folder, _, name = entry.path.rpartition("/")
            if not is_temp_file(name) or entry.line.endswith("\0absent"):
                continue
            if ".git" in folder.split("/"):
                return None
            if not folder:
                if entry.regular:
                    found.add(entry.path)
            elif not (entry.line.startswith(f"{entry.path}\0link ") and os.path.isdir(self.repo.root / entry.path)):
                found.add(entry.path)
        return sorted(found)

    def report_id(self, files_content: str | None) -> str:
        lines = list(self.head_lines)
        if self.commit is None:
            lines.append(f"files {files_content}")
        return "\n".join(lines)


ASK_VERDICT = "ask"  # check_key's `verdict` when the caller has not computed it


def check_key(repo: SpecRepo, commit: str | None, *, strict: bool, drift: str | None, verdict: str | None = ASK_VERDICT, read_since: int | None = None,
              read_unparsed: bool = False) -> CheckKey | None:
    """The key of `check` at `commit` (None: the working tree) with these options; None when
    nothing may be kept. Costs a listing of the scanned folders' files (no file is read,
    except one changed in the last seconds) and the baselines' verdict content (`verdict`,
    when the caller has it: `verify.verdict_content(repo, commit)` computed just before).

    Listed before the snapshot is read, a file's description names the bytes read unless it
    changed in between (then the next listing differs). Listed after (`read_since`: the
    time, from `time.time_ns`, before the snapshot's first read), every file changed since
    `read_since` (less FRESH_NS) is described by its bytes, which `store_report` compares
    with the snapshot's; and nothing is kept when reqtrace.yaml changed since.

    `read_unparsed`: each file no parse reads (of no kind) is read and hashed as it is listed,
    for a listing made beside the parse: `store_report`, after the rules, then only confirms
    that its description still holds instead of reading it (at 10,000 requirements 1,259
    e-mails' messages and manifests, 0.02-0.03 s of CPU off the end of a cold check)."""
    if os.environ.get("REQTRACE_NO_CACHE") is not None or repo.git_top is None:
        return None
    if verdict == ASK_VERDICT:
        verdict = verdict_content(repo, commit)
    if verdict is None:
        return None
    lines = [
        f"{KEPT_FORMAT} {repo.root} {repo.prefix!r} {commit or 'WORKTREE'} strict={strict} drift={drift}",
        f"code {code_fingerprint()}",
        f"date {clock.today().isoformat()}",
        f"verdict {hashlib.sha256(verdict.encode('utf-8', 'surrogateescape')).hexdigest()}",
    ]
    if commit is not None:
        return CheckKey(repo, commit, lines, [], None, None)
    try:
        if read_since is not None:
            info = os.lstat(repo.root / CONFIG_FILE)
            if max(info.st_mtime_ns, info.st_ctime_ns) >= read_since - FRESH_NS:
                return None  # the snapshot may have read other bytes than the key names
        config_bytes = Reader(repo, None).read_config()
        config, _ = parse_config(config_bytes)
    except (InputError, OSError):
        return None
    folders = scanned_folders(config)
    # The drift gate reads the requirements and requests folders; both must be listed.
    if not all(any(wanted == folder or wanted.startswith(folder + "/") for folder in folders) for wanted in (config.requirements_dir, config.requests_dir)):
        return None
    listed = _list_files(repo.root, folders, read_since)
    if listed is None:
        return None
    if read_unparsed:
        kind_of = kind_finder(config)
        listed = [_read_while_listed(repo.root, entry) if entry.regular and entry.fresh_oid is None and kind_of(entry.path) is None else entry for entry in listed]
    lines.append(f"config {gitio.blob_id(config_bytes)}")
    listing = "\n".join([entry.line for entry in listed]).encode("utf-8", "surrogateescape")
    files_id = f"{KEPT_FORMAT} files {repo.root} {hashlib.sha256(listing).hexdigest()}"
    kept = cachestore.load(repo.git_top, FILES_KIND, files_id, _files_content_of)
    return CheckKey(repo, None, lines, listed, files_id, kept)


def key_answer(key: CheckKey | None) -> bytes:
    """A working tree's `key` as `check_key` gave it (None: nothing may be kept), as bytes for
    another process (`key_of_answer`): plain values only."""
    if key is None:
        return marshal.dumps((KEPT_FORMAT, None))
    return marshal.dumps((KEPT_FORMAT, str(key.repo.root), key.head_lines, [tuple(entry) for entry in key.listed], key.files_id, key.files_content))


def key_of_answer(repo: SpecRepo, answer: bytes | None) -> tuple[bool, CheckKey | None]:
    """(True, the key) that `key_answer` gave for `repo`'s working tree, the key None when
    nothing may be kept; (False, None) for anything else (no answer: the child failed)."""
    if not answer:
        return False, None
    try:
        plain = marshal.loads(answer)  # noqa: S302 - our own child's bytes
        if type(plain) is not tuple or not plain or plain[0] != KEPT_FORMAT:
            return False, None
        if plain == (KEPT_FORMAT, None):
            return True, None
        _form, root, head_lines, listed, files_id, files_content = plain
        if root != str(repo.root) or type(head_lines) is not list or type(listed) is not list:
            return False, None
        entries = [_Listed(*entry) for entry in listed]
    except (EOFError, ValueError, TypeError):
        return False, None
    return True, CheckKey(repo, None, head_lines, entries, files_id, files_content)


def _files_content_of(plain: Any) -> str | None:
    content = plain.get("content") if isinstance(plain, dict) else None
    return content if isinstance(content, str) and len(content) == 64 else None


def _list_files(root: Path, folders: list[str], read_since: int | None = None) -> list[_Listed] | None:
    """Every entry under `folders` (hidden ones too: a stale temporary file is a finding)
    and the temporary files beside reqtrace.yaml, described; None when a folder is not a
    real folder inside the spec repo (the plain check says what is wrong). A file changed
    since the listing (or `read_since`, when earlier) less FRESH_NS is described by its bytes."""
    since = min(time.time_ns(), read_since if read_since is not None else time.time_ns()) - FRESH_NS
    found: list[_Listed] = []
    cut = len(str(root)) + 1
    try:
        for entry in os.scandir(root):
            if is_temp_file(entry.name):
                found.append(_describe(entry, entry.path[cut:], since))
        for folder in folders:
            base = root / folder
            try:
                info = os.lstat(base)
            except FileNotFoundError:  # an optional folder (no baseline yet); a required one is the plain check's error
                found.append(_Listed(folder, f"{folder}\0absent", False, None))
                continue
            if not stat.S_ISDIR(info.st_mode) or not base.resolve().is_relative_to(root.resolve()):
                return None
            stack = [str(base)]
            while stack:
                with os.scandir(stack.pop()) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            found.append(_describe(entry, entry.path[cut:], since))
    except OSError:
        return None
    fresh = [index for index, listed in enumerate(found) if listed.regular and not listed.line]
    if len(fresh) > MAX_FRESH:
        return None
    try:
        for index in fresh:
            listed = found[index]
            oid = gitio.blob_id(_read(os.path.join(str(root), listed.path)))
            found[index] = listed._replace(line=f"{listed.path}\0blob {oid}", fresh_oid=oid)
    except OSError:
        return None
    if os.sep != "/":  # pragma: no cover - Windows
        found = [listed._replace(path=listed.path.replace(os.sep, "/")) for listed in found]
    found.sort()
    return found


def _describe(entry: os.DirEntry[str], path: str, since: int) -> _Listed:
    info = entry.stat(follow_symlinks=False)
    mode = info.st_mode
    if stat.S_ISREG(mode):
        if info.st_mtime_ns < since and info.st_ctime_ns < since:
            return _Listed(path, _file_line(path, info), True, None)
        return _Listed(path, "", True, None)  # fresh: described by its bytes, read after the listing
    if stat.S_ISLNK(mode):
        return _Listed(path, f"{path}\0link {os.readlink(entry.path)}", False, None)
    return _Listed(path, f"{path}\0mode {mode}", False, None)


def _read_while_listed(root: Path, entry: _Listed) -> _Listed:
    """`entry` with the blob id of its bytes, when the file read is the one listed (the `fstat`
    of the file opened, after reading it, gives the listing's description); else as it was."""
    try:
        fd = os.open(os.path.join(str(root), entry.path), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
            described = _file_line(entry.path, os.fstat(handle.fileno()))
    except OSError:
        return entry
    return entry._replace(read_oid=gitio.blob_id(data)) if described == entry.line else entry


def _file_line(path: str, info: os.stat_result) -> str:
    return f"{path}\0file {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino} {info.st_dev}"


def _read(full: str) -> bytes:
    # O_NOFOLLOW: a file swapped for a symbolic link since it was listed is not followed.
    fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def load_report(key: CheckKey, strict: bool) -> KeptReport | None:
    """The kept report of `key`, or None."""
    if key.commit is None and key.files_content is None:
        return None
    return cachestore.load(key.repo.git_top, REPORT_KIND, key.report_id(key.files_content), lambda plain: _report_of(plain, strict, key.commit))


def _report_of(plain: Any, strict: bool, commit: str | None) -> KeptReport | None:
    try:
        findings = cachestore.findings_of(plain["findings"])
        requirements, records = plain["requirements"], plain["records"]
    except (KeyError, TypeError):
        return None
    if findings is None or type(requirements) is not int or type(records) is not int:
        return None
    return KeptReport(findings, strict, requirements, records, commit)


def store_report(key: CheckKey, snapshot: Snapshot, findings: list[Finding]) -> None:
    """Keep the plain check's `findings` about `snapshot` under `key`; nothing when the
    files changed while they were read, or a finding depended on more than the key names."""
    files_content = None
    if key.commit is None:
        files_content = _content_of(key, snapshot)
        if files_content is None:
            return
    payload = {"findings": cachestore.finding_rows(findings), "requirements": len(snapshot.requirements), "records": snapshot.record_count}
    cachestore.store(key.repo.git_top, REPORT_KIND, key.report_id(files_content), payload)
    if key.files_id is not None and files_content != key.files_content:
        cachestore.store(key.repo.git_top, FILES_KIND, key.files_id, {"content": files_content})


def _content_of(key: CheckKey, snapshot: Snapshot) -> str | None:
    """The digest of the blob id of every listed file, as the snapshot read it; None when a
    file's bytes may differ from what its listing describes, a file appeared, or when a document's digest
    was confirmed through git's line-ending conversion (which depends on more: the index,
    attributes and configuration)."""
    root = str(key.repo.root)
    # A file the snapshot read that the listing did not see was added in between: its
    # findings must not be kept under a listing without it.
    listed = {entry.path for entry in key.listed if entry.regular}
    if not (snapshot.present.keys() <= listed and snapshot.files.keys() <= listed):
        return None
    lines = []
    for entry in key.listed:
        if not entry.regular:
            lines.append(entry.line)
            continue
        oid = snapshot.files.get(entry.path) or None
        if entry.fresh_oid is not None:
            if oid is not None and oid != entry.fresh_oid:
                return None  # changed between the listing and the reading
            oid = entry.fresh_oid
        elif oid is None:
            full = os.path.join(root, entry.path)
            try:
                # Read while listed (a file the listing described as it read it), or now.
                oid = entry.read_oid or gitio.blob_id(_read(full))
                unchanged = _file_line(entry.path, os.lstat(full)) == entry.line
            except OSError:
                return None
            if not unchanged:
                return None
        lines.append(f"{entry.path}\0blob {oid}")
    if _converted_document(key.repo, snapshot):
        return None
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def _converted_document(repo: SpecRepo, snapshot: Snapshot) -> bool:
    """Whether a document's own bytes (with a CR) do not match its sidecar's sha256: then
    check_documents asked git how it stores the file (records.py), and the answer depends
    on the index and line-ending settings, which the key does not name."""
    for document in snapshot.documents.values():
        if not document.sha256 or document.file not in snapshot.present:
            continue
        try:
            data = (repo.root / document.file).read_bytes()
        except OSError:
            return True
        if b"\r" in data and hashlib.sha256(data).hexdigest() != document.sha256:
            return True
    return False

