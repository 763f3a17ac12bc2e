"""Reading a whole spec repo, at the working tree or at a commit, into a Snapshot.

At a commit nothing is checked out: the tree is listed once (`ls-tree -r -z
-l`) and every blob comes through one `git cat-file --batch` stream.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import gitio
from .config import CONFIG_FILE, SpecRepo, parse_config
from .errors import InputError, RevisionError
from .model import ERROR, WARNING, Config, Finding, Snapshot
from .parse import Parsed, Parser, parse_meeting, parse_request, parse_requirements
from .yamlio import MAX_FILE_BYTES

WORKTREE = "WORKTREE"


@dataclass(frozen=True)
class FileKind:
    name: str
    folder: str  # a Config attribute naming the folder
    suffixes: tuple[str, ...]
    parser: Parser
    recursive: bool = True


# Where each kind of file lives; later record kinds append themselves here.
FILE_KINDS: list[FileKind] = [
    FileKind("requirement", "requirements_dir", (".yaml", ".yml"), parse_requirements),
    FileKind("request", "requests_dir", (".yaml", ".yml"), parse_request),
    FileKind("meeting", "meetings_dir", (".md",), parse_meeting),
]


def kind_of(path: str, config: Config) -> FileKind | None:
    for kind in FILE_KINDS:
        folder = getattr(config, kind.folder) + "/"
        if path.startswith(folder) and path.endswith(kind.suffixes):
            if kind.recursive or "/" not in path[len(folder) :]:
                return kind
    return None


def scanned_folders(config: Config) -> list[str]:
    return sorted({config.requirements_dir, config.records_dir, config.baselines_dir})


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the spec root, '/'-separated
    size: int
    oid: str | None = None  # the git blob id, at a commit
    symlink_target: str | None = None


def resolve_revision(repo: SpecRepo, rev: str) -> str:
    """The commit a user's revision names: a baseline name, tag, branch or commit id."""
    gitio.check_revision_text(rev)
    if repo.git_top is None:
        raise RevisionError(
            f"cannot read revision '{rev}': {repo.root} is not in a git repository",
            hint="run `git init` and commit, or drop --rev to read the working tree",
        )
    # A baseline's name works wherever a revision does (tag baseline/NAME).
    for candidate in (f"refs/tags/baseline/{rev}", rev):
        commit = gitio.resolve_commit(repo.git_top, candidate)
        if commit:
            return commit
    raise gitio.missing_revision(repo.git_top, rev)


def _walk(root: Path, folder: str) -> Iterator[SourceFile]:
    base = root / folder
    if not base.is_dir() or base.is_symlink():
        return
    # Plain strings, not Path objects: this runs once per file of a large repo.
    cut = len(str(root)) + 1
    stack = [str(base)]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative = entry.path[cut:]
            if os.sep != "/":  # pragma: no cover - Windows
                relative = relative.replace(os.sep, "/")
            if entry.is_symlink():
                yield SourceFile(relative, 0, symlink_target=os.readlink(entry.path))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                yield SourceFile(relative, entry.stat(follow_symlinks=False).st_size)


def _read_file(path: str, size: int) -> bytes:
    """The bytes of a regular file whose size the listing saw; one read() for the usual case.

    O_NOFOLLOW: a file swapped for a symbolic link since it was listed is
    refused, not followed out of the repo.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data  # a short read of a regular file is its end
        parts = [data]  # it grew since it was listed; past the size limit the parser says so
        total = len(data)
        while total <= MAX_FILE_BYTES and (chunk := os.read(fd, 1 << 20)):
            parts.append(chunk)
            total += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def _symlink_finding(root_label: str, source: SourceFile) -> Finding:
    target = source.symlink_target or ""
    parts = Path(source.path).parent.joinpath(target).as_posix().split("/")
    depth = 0
    escapes = target.startswith("/")
    for part in parts:
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        escapes = escapes or depth < 0
    if escapes:
        return Finding("symlink", ERROR, f"symbolic link to '{target}' points outside the spec repo; it is not read — replace it with the file itself", source.path, None)
    return Finding("symlink", WARNING, f"symbolic link to '{target}' is not followed; spec files must be real files", source.path, None)


class Reader:
    """Reads the files of one snapshot, from the working tree or one commit."""

    def __init__(self, repo: SpecRepo, commit: str | None) -> None:
        self.repo = repo
        self.commit = commit

    def read_config(self) -> bytes:
        if self.commit is None:
            return (self.repo.root / CONFIG_FILE).read_bytes()
        assert self.repo.git_top is not None
        entries = gitio.list_tree(self.repo.git_top, self.commit, [self.repo.git_path(CONFIG_FILE)])
        if not entries:
            raise InputError(
                f"{self.repo.git_path(CONFIG_FILE)} does not exist at commit {self.commit[:12]}: "
                "that revision is not a spec repo",
            )
        return b"".join(data for _, data in gitio.read_blobs(self.repo.git_top, [entries[0].oid]))

    def list_files(self, folders: Iterable[str]) -> list[SourceFile]:
        if self.commit is None:
            found = [source for folder in folders for source in _walk(self.repo.root, folder)]
        else:
            assert self.repo.git_top is not None
            prefix = self.repo.prefix
            entries = gitio.list_tree(self.repo.git_top, self.commit, [prefix + f for f in folders])
            found = []
            for entry in entries:
                path = entry.path[len(prefix) :]
                if entry.is_symlink:
                    target = b"".join(d for _, d in gitio.read_blobs(self.repo.git_top, [entry.oid]))
                    found.append(SourceFile(path, 0, entry.oid, target.decode("utf-8", "replace")))
                else:
                    found.append(SourceFile(path, entry.size, entry.oid))
        unique = {source.path: source for source in found}  # overlapping folders list twice
        return [unique[path] for path in sorted(unique)]

    def read(self, sources: list[SourceFile]) -> Iterator[tuple[SourceFile, bytes]]:
        if self.commit is None:
            root = str(self.repo.root)
            for source in sources:
                try:
                    data = _read_file(os.path.join(root, source.path), source.size)
                except OSError as exc:
                    raise InputError(f"cannot read {source.path}: {exc.strerror}") from None
                yield source, data
            return
        assert self.repo.git_top is not None
        wanted = list(dict.fromkeys(source.oid for source in sources if source.oid))
        blobs = dict(gitio.read_blobs(self.repo.git_top, wanted))
        for source in sources:
            yield source, blobs[source.oid]  # type: ignore[index]


def load_snapshot(repo: SpecRepo, rev: str | None = None, *, cache: bool = True) -> Snapshot:
    """Read and parse the whole spec repo at `rev` (None or WORKTREE: the working tree).

    With `cache`, files whose bytes were parsed before are taken from the parse
    cache in `.git/reqtrace/` (see parse_cache); the result is the same.
    """
    # Loading builds many small objects and frees almost none; the cyclic
    # garbage collector would walk them again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_snapshot(repo, rev, cache)
    finally:
        if collecting:
            gc.enable()


def _load_snapshot(repo: SpecRepo, rev: str | None, use_cache: bool) -> Snapshot:
    commit = None if rev in (None, WORKTREE) else resolve_revision(repo, rev)  # type: ignore[arg-type]
    reader = Reader(repo, commit)
    config, config_findings = parse_config(reader.read_config())
    snapshot = Snapshot(config=config, commit=commit)
    snapshot.findings.extend(config_findings)
    sources = reader.list_files(scanned_folders(config))
    readable: dict[str, tuple[SourceFile, FileKind]] = {}
    for source in sources:
        kind = kind_of(source.path, config)
        if source.symlink_target is not None:
            if kind is not None or source.path.endswith((".yaml", ".yml", ".md")) or _in_kind_folder(source.path, config):
                snapshot.findings.append(_symlink_finding(str(repo.root), source))
            continue
        if kind is None:
            continue
        if source.size > MAX_FILE_BYTES:
            snapshot.findings.append(Finding("file-too-large", ERROR, f"file is {source.size:,} bytes; spec files are read up to {MAX_FILE_BYTES:,} bytes — split it or move it out of the spec folders", source.path, None))
            continue
        readable[source.path] = (source, kind)

    from .fork_map import fork_map
    from .parse_cache import ParseCache, blob_id, load_parsed

    parse_cache = ParseCache(repo.cache_dir if use_cache else None, config)
    results: dict[str, Parsed] = {}
    to_read = []
    for path, (source, kind) in readable.items():
        hit = parse_cache.get(kind.name, path, source.oid) if source.oid else None
        if hit is not None:
            results[path] = hit
            snapshot.files[path] = source.oid  # type: ignore[assignment]
        else:
            to_read.append(source)
    misses: list[tuple[SourceFile, FileKind, str, bytes]] = []
    for source, data in reader.read(to_read):
        kind = readable[source.path][1]
        oid = source.oid or blob_id(data)
        snapshot.files[source.path] = oid
        parsed = parse_cache.get(kind.name, source.path, oid) if source.oid is None else None
        if parsed is None:
            misses.append((source, kind, oid, data))
        else:
            results[source.path] = parsed

    def parse_one(miss: tuple[SourceFile, FileKind, str, bytes]) -> Parsed:
        source, kind, _oid, data = miss
        return kind.parser(source.path, data, config)

    for (source, kind, oid, _data), parsed in zip(misses, fork_map(parse_one, misses, load_parsed), strict=True):
        parse_cache.put(kind.name, source.path, oid, parsed)
        results[source.path] = parsed
    parse_cache.save()
    # Sorted by path, so that which of two items with one id is "the duplicate"
    # does not depend on the order files were read in.
    for path in sorted(results):
        add_parsed(snapshot, results[path])
    return snapshot


def _in_kind_folder(path: str, config: Config) -> bool:
    return any(path.startswith(getattr(config, kind.folder) + "/") for kind in FILE_KINDS)


def add_parsed(snapshot: Snapshot, parsed: Parsed) -> None:
    """Add one file's items to the snapshot, reporting ids that are taken."""
    snapshot.findings.extend(parsed.findings)
    for item in parsed.items:
        existing = snapshot.item(item.id)
        if existing is not None:
            snapshot.findings.append(
                Finding("duplicate-id", ERROR, f"id '{item.id}' is already used by the {existing.kind} in {existing.path}:{existing.line}; give one of them a new id", item.path, item.line, item.id)
            )
            continue
        target = {
            "requirement": snapshot.requirements,
            "request": snapshot.requests,
            "meeting": snapshot.meetings,
            "email": snapshot.emails,
            "document": snapshot.documents,
        }[item.kind]
        target[item.id] = item
