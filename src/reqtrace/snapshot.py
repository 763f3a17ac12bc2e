"""Reading a whole spec repo, at the working tree or at a commit, into a Snapshot.

At a commit nothing is checked out: the tree is listed once (`ls-tree -r -z
-l`) and every blob comes through one `git cat-file --batch` stream.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import gitio
from .config import CONFIG_FILE, SpecRepo, parse_config
from .errors import InputError, RevisionError
from .model import ERROR, WARNING, Config, Finding, Snapshot
from .parse import (
    Parsed,
    Parser,
    parse_document,
    parse_email,
    parse_meeting,
    parse_request,
    parse_requirements,
)
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
    # Sidecars: records/emails/MAIL-….eml.yaml beside the stored message, and
    # records/documents/<file>.yaml beside the document (any file type).
    FileKind("email", "emails_dir", (".yaml", ".yml"), parse_email),
    FileKind("document", "documents_dir", (".yaml", ".yml"), parse_document),
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
    stack = [base]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink():
                yield SourceFile(relative, 0, symlink_target=os.readlink(entry.path))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                yield SourceFile(relative, entry.stat(follow_symlinks=False).st_size)


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

    def read_one(self, source: SourceFile) -> bytes:
        """One listed file's bytes (a document, a stored message), whatever its size."""
        for _, data in self.read([source]):
            return data
        return b""  # pragma: no cover - read yields once per source

    def read(self, sources: list[SourceFile]) -> Iterator[tuple[SourceFile, bytes]]:
        if self.commit is None:
            for source in sources:
                try:
                    yield source, (self.repo.root / source.path).read_bytes()
                except OSError as exc:
                    raise InputError(f"cannot read {source.path}: {exc.strerror}") from None
            return
        assert self.repo.git_top is not None
        wanted = list(dict.fromkeys(source.oid for source in sources if source.oid))
        blobs = dict(gitio.read_blobs(self.repo.git_top, wanted))
        for source in sources:
            yield source, blobs[source.oid]  # type: ignore[index]


def load_snapshot(repo: SpecRepo, rev: str | None = None) -> Snapshot:
    """Read and parse the whole spec repo at `rev` (None or WORKTREE: the working tree)."""
    commit = None if rev in (None, WORKTREE) else resolve_revision(repo, rev)  # type: ignore[arg-type]
    reader = Reader(repo, commit)
    config, config_findings = parse_config(reader.read_config())
    snapshot = Snapshot(config=config, commit=commit)
    snapshot.findings.extend(config_findings)
    sources = reader.list_files(scanned_folders(config))
    listed = {source.path: source for source in sources if source.symlink_target is None}
    snapshot.present = {path: source.oid or "" for path, source in listed.items()}

    def read_listed(path: str) -> bytes:
        if path not in listed:
            raise InputError(f"{path} is not in the spec repo" + (f" at commit {commit[:12]}" if commit else ""))
        return reader.read_one(listed[path])

    snapshot.read_bytes = read_listed
    readable = []
    for source in sources:
        kind = kind_of(source.path, config)
        if source.symlink_target is not None:
            if kind is not None or source.path.endswith((".yaml", ".yml", ".md")):
                snapshot.findings.append(_symlink_finding(str(repo.root), source))
            continue
        if kind is None:
            continue
        if source.size > MAX_FILE_BYTES:
            snapshot.findings.append(Finding("file-too-large", ERROR, f"file is {source.size:,} bytes; spec files are read up to {MAX_FILE_BYTES:,} bytes — split it or move it out of the spec folders", source.path, None))
            continue
        readable.append((source, kind))
    kinds = {source.path: kind for source, kind in readable}
    for source, data in reader.read([source for source, _ in readable]):
        parsed = kinds[source.path].parser(source.path, data, config)
        snapshot.files[source.path] = source.oid or ""
        add_parsed(snapshot, parsed)
    return snapshot


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
