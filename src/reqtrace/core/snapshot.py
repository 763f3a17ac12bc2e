"""Reading a whole spec repo, at the working tree or at a commit, into a Snapshot.

At a commit nothing is checked out: the tree is listed once (`ls-tree -r -z
-l`) and every blob comes through one `git cat-file --batch` stream.
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from reqtrace.core.config import CONFIG_FILE, SpecRepo, config_line, parse_config
from reqtrace.core.digest import stash_digest
from reqtrace.core.model import ERROR, WARNING, Config, Finding, Requirement, Snapshot
from reqtrace.core.parse import (
    Parsed,
    Parser,
    parse_document,
    parse_email,
    parse_meeting,
    parse_request,
    parse_requirements,
    parse_spec_document,
)
from reqtrace.core.parse_cache import (
    PackedParseCache,
    ParseCache,
    cache_key,
    dump_parsed,
    load_parsed,
)
from reqtrace.errors import GitError, InputError, RevisionError
from reqtrace.io import gitio
from reqtrace.io.fork_map import fork_map
from reqtrace.io.progress import phase
from reqtrace.io.yamlio import MAX_FILE_BYTES

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
    # A folder's `_document.yaml` is its document (core/structure.py), never a requirement: listed first.
    FileKind("spec-document", "requirements_dir", ("/_document.yaml",), parse_spec_document),
    FileKind("requirement", "requirements_dir", (".yaml", ".yml"), parse_requirements),
    FileKind("request", "requests_dir", (".yaml", ".yml"), parse_request),
    FileKind("meeting", "meetings_dir", (".md",), parse_meeting),
    # Sidecars: records/emails/MAIL-….eml.yaml beside the stored message, and
    # records/documents/<file>.yaml beside the document (any file type).
    FileKind("email", "emails_dir", (".yaml", ".yml"), parse_email),
    FileKind("document", "documents_dir", (".yaml", ".yml"), parse_document),
]


def kind_of(path: str, config: Config) -> FileKind | None:
    latest = _latest_folders
    if latest[0] is not config or latest[1] != len(FILE_KINDS):
        # Looked up by identity first: hashing the whole Config for the lru_cache, file by
        # file, costs four times the answer.
        latest[:] = [config, len(FILE_KINDS), _kind_folders(config, tuple(FILE_KINDS))]
    return _kind_in(path, latest[2])


_latest_folders: list[Any] = [None, 0, ()]  # (config, how many kinds, their folders) of the last kind_of


def kind_finder(config: Config) -> Callable[[str], FileKind | None]:
    """`kind_of` for the many paths of one configuration: its folders worked out once (looking
    them up by the configuration costs more than the answer, file by file)."""
    folders = _kind_folders(config, tuple(FILE_KINDS))
    return lambda path: _kind_in(path, folders)


def _kind_in(path: str, folders: tuple[tuple[str, FileKind], ...]) -> FileKind | None:
    for folder, kind in folders:
        if path.startswith(folder) and path.endswith(kind.suffixes):
            if kind.recursive or "/" not in path[len(folder) :]:
                return kind
    return None


@functools.lru_cache(maxsize=16)
def _kind_folders(config: Config, kinds: tuple[FileKind, ...]) -> tuple[tuple[str, FileKind], ...]:
    """Each kind with its folder ('records/requests/'), worked out once: kind_of runs for every file."""
    return tuple((getattr(config, kind.folder) + "/", kind) for kind in kinds)


def scanned_folders(config: Config) -> list[str]:
    return sorted({config.requirements_dir, config.records_dir, config.baselines_dir})


class SourceFile(NamedTuple):  # a tuple: listed for every file of the repo, cheap to build
    path: str  # relative to the spec root, '/'-separated
    size: int  # gitio.UNKNOWN_SIZE when listed without sizes
    oid: str | None = None  # the git blob id, at a commit
    symlink_target: str | None = None


def revision_candidates(rev: str) -> list[str]:
    """What a user's revision may name, in the order tried: a baseline's tag
    (baseline/NAME — a baseline's name works wherever a revision does), then the revision itself."""
    return [f"refs/tags/baseline/{rev}", rev]


def resolve_revision(repo: SpecRepo, rev: str) -> str:
    """The commit a user's revision names: a baseline name, tag, branch or commit id."""
    gitio.check_revision_text(rev)
    if repo.git_top is None:
        raise RevisionError(
            f"cannot read revision '{rev}': {repo.root} is not in a git repository",
            hint="run `git init` and commit, or drop --rev to read the working tree",
        )
    for candidate in revision_candidates(rev):
        commit = gitio.resolve_commit(repo.git_top, candidate)
        if commit:
            return commit
    raise gitio.missing_revision(repo.git_top, rev)


def _walk(root: Path, folder: str, sizes: bool = True) -> Iterator[SourceFile]:
    """The files under `folder`; without `sizes` each size is gitio.UNKNOWN_SIZE (no
    `lstat` per file: the directory entries tell files, folders and links apart)."""
    base = root / folder
    try:
        if not base.is_dir() or base.is_symlink():
            return
    except OSError as exc:
        # is_dir() swallows only "not there"; EACCES, ENAMETOOLONG... are input errors
        # (load_snapshot names the reqtrace.yaml line first: see check_folder_access).
        raise InputError(
            f"the folder '{folder}' cannot be read: {exc.strerror}", hint=f"check paths: in {CONFIG_FILE} and the folder's permissions"
        ) from exc
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
            # Dot files are never spec files: this also skips the temporary files a
            # killed write leaves (files.is_temp_file), which `check` reports instead.
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
                yield SourceFile(relative, entry.stat(follow_symlinks=False).st_size if sizes else gitio.UNKNOWN_SIZE)


def _walked_to(root: Path, folder: str, path: str) -> bool:
    """Whether `_walk(root, folder)` would reach `path`: below `folder`, no hidden name on
    the way, and no linked folder (the walk never follows one, nor reads below it)."""
    if not path.startswith(folder + "/"):
        return False
    parts = path[len(folder) + 1 :].split("/")
    if any(part.startswith(".") for part in parts):
        return False
    ancestors = [folder] + [folder + "/" + "/".join(parts[:depth]) for depth in range(1, len(parts))]
    return all(_is_real_dir(root / ancestor) for ancestor in ancestors)


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


_Read = TypeVar("_Read")  # what one file's read gives (`Reader._worktree_reads`)

# What one read() asks for when the listing gave no size: a spec file is far smaller.
_FIRST_READ = 1 << 16


def _read_file(path: str, size: int, root: int | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file whose size the listing saw (or gitio.UNKNOWN_SIZE); one
    read() for the usual case. A relative `path` is opened relative to the directory
    descriptor `root`; reading stops past `limit` bytes (the caller tells a file over its
    limit by its length).

    O_NOFOLLOW: a file swapped for a symbolic link since it was listed is
    refused, not followed out of the repo.
    """
    fd = _open_no_link(path, root)
    try:
        return _read_open(fd, size + 1 if size >= 0 else _FIRST_READ, limit)
    finally:
        os.close(fd)


def _read_file_described(path: str, size: int, root: int | None = None, limit: int = MAX_FILE_BYTES) -> tuple[bytes, os.stat_result]:
    """`_read_file`, with what `fstat` says of the file it opened (its times are those of the
    bytes read, unless a write in the same clock tick followed); the size is the fstat's."""
    fd = _open_no_link(path, root)
    try:
        info = os.fstat(fd)
        return _read_open(fd, min(info.st_size, limit) + 1, limit), info
    finally:
        os.close(fd)


def _open_no_link(path: str, root: int | None) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0), dir_fd=root)


def _read_open(fd: int, wanted: int, limit: int) -> bytes:
    """An open file's bytes: one read() of `wanted` bytes when the file is smaller, else on
    until its end or past `limit`."""
    data = os.read(fd, wanted)
    if len(data) < wanted:
        return data  # a short read of a regular file is its end
    parts = [data]  # it grew since it was listed, was listed without its size, or is over the limit
    total = len(data)
    while total <= limit and (chunk := os.read(fd, 1 << 20)):
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _symlink_finding(source: SourceFile) -> Finding:
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

    def __init__(self, repo: SpecRepo, commit: str | None, known: dict[str, bytes] | None = None) -> None:
        self.repo = repo
        self.commit = commit
        self.known = known or {}  # blob id -> content already read (with other objects, in one stream)
        # Listed names that are not UTF-8, left out of every listing (see name_finding).
        self.bad_names: list[str] = []

    def read_config(self) -> bytes:
        if self.commit is None:
            try:  # O_NOFOLLOW: the configuration comes from a real file inside the repo, never through a link
                return _read_file(str(self.repo.root / CONFIG_FILE), MAX_FILE_BYTES)
            except OSError as exc:
                raise InputError(f"cannot read {CONFIG_FILE}: {exc.strerror}", hint=f"{CONFIG_FILE} must be a regular file, not a symbolic link") from None
        assert self.repo.git_top is not None
        entries = gitio.list_tree(self.repo.git_top, self.commit, [self.repo.git_path(CONFIG_FILE)])
        if not entries:
            raise InputError(
                f"{self.repo.git_path(CONFIG_FILE)} does not exist at commit {self.commit[:12]}: "
                "that revision is not a spec repo",
            )
        if entries[0].is_symlink:  # git stores the link's target text; never read that as the config
            raise InputError(
                f"{self.repo.git_path(CONFIG_FILE)} is a symbolic link at commit {self.commit[:12]}; "
                "reqtrace reads its configuration only from a real file",
                hint="commit a copy of the file in place of the link",
            )
        return b"".join(data for _, data in gitio.read_blobs(self.repo.git_top, [entries[0].oid]))

    def folder_problem(self, folder: str, sources: list[SourceFile]) -> str | None:
        """Why `folder` cannot be read, or None when it is a real folder inside the repo
        (`sources`: what list_files found under it and its neighbours)."""
        if self.commit is not None:
            if any(source.path == folder and source.symlink_target is not None for source in sources):
                return f"is a symbolic link at commit {self.commit[:12]}, and links are not followed"
            if not any(source.path.startswith(folder + "/") for source in sources):
                return f"does not exist at commit {self.commit[:12]}"
            return None
        path = self.repo.root / folder
        try:
            if path.is_symlink():
                return "is a symbolic link, and links are not followed"
            if not path.is_dir():
                return "does not exist" if not path.exists() else "is not a folder"
            # A link higher up (paths.requirements: a/specs, with a -> /elsewhere) leads out too.
            if not path.resolve().is_relative_to(self.repo.root.resolve()):
                return "leads outside the spec repo through a symbolic link"
            with os.scandir(path):
                pass
        except OSError as exc:
            return f"cannot be read: {exc.strerror}"
        return None

    def list_files(self, folders: Iterable[str], *, sizes: bool = True) -> list[SourceFile]:
        """The files under `folders`. `sizes=False` leaves each size gitio.UNKNOWN_SIZE
        (cheaper to list; reading still stops at the size limit)."""
        if self.commit is None:
            found = [source for folder in folders for source in _walk(self.repo.root, folder, sizes)]
        else:
            assert self.repo.git_top is not None
            prefix = self.repo.prefix
            entries = gitio.list_tree(self.repo.git_top, self.commit, [prefix + f for f in folders], sizes=sizes)
            found = []
            for entry in entries:
                path = entry.path[len(prefix) :]
                if entry.is_symlink:
                    target = b"".join(d for _, d in gitio.read_blobs(self.repo.git_top, [entry.oid]))
                    found.append(SourceFile(path, 0, entry.oid, target.decode("utf-8", "replace")))
                else:
                    found.append(SourceFile(path, entry.size, entry.oid))
        unique = {source.path: source for source in found}  # overlapping folders list twice
        # Names come from git and the file system decoded with surrogateescape. One that
        # is not UTF-8 stops here, before any reader (a snapshot, a baseline, a pack)
        # puts it in a parse cache, a manifest or JSON; the caller reports bad_names.
        for path in [path for path in unique if _undecodable(path)]:
            del unique[path]
            if path not in self.bad_names:
                self.bad_names.append(path)
        return [unique[path] for path in sorted(unique)]

    def list_named(self, paths: Iterable[str], folders: Iterable[str]) -> list[SourceFile]:
        """The files among `paths` that `list_files(folders)` would list (a path that is gone,
        hidden or below a linked folder is left out), without listing the whole folders."""
        if self.commit is not None:
            assert self.repo.git_top is not None
            wanted = set(paths)
            prefix = self.repo.prefix
            # A link's target is not read here: a link is never followed, whatever it names.
            return [
                SourceFile(path, entry.size, entry.oid, "" if entry.is_symlink else None)
                for entry in gitio.list_tree(self.repo.git_top, self.commit, [prefix + path for path in wanted])
                if (path := entry.path[len(prefix) :]) in wanted
            ]
        folders = list(folders)
        sources = []
        for path in paths:
            if not any(_walked_to(self.repo.root, folder, path) for folder in folders):
                continue
            try:
                info = os.lstat(self.repo.root / path)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                sources.append(SourceFile(path, 0, symlink_target=os.readlink(self.repo.root / path)))
            elif stat.S_ISREG(info.st_mode):
                sources.append(SourceFile(path, info.st_size))
        return sources

    def read_stored(self, sources: Iterable[SourceFile]) -> dict[str, bytes]:
        """Each listed regular file's whole bytes (no size limit: the caller checked the
        listed sizes) as git stores them: a CRLF checkout (core.autocrlf) reads as committed,
        so a sha256 taken here is the one a sign-off or a pack recorded."""
        sources = [source for source in sources if source.symlink_target is None]
        if self.commit is not None:
            assert self.repo.git_top is not None
            blobs = dict(gitio.read_blobs(self.repo.git_top, list(dict.fromkeys(s.oid for s in sources if s.oid))))
            return {source.path: blobs[source.oid] for source in sources if source.oid}
        found = {source.path: self.read_one(source) for source in sources}
        if self.repo.git_top is None:
            return found
        stored = gitio.as_stored_many(self.repo.git_top, {self.repo.git_path(path): data for path, data in found.items()})
        return {path: stored[self.repo.git_path(path)] for path in found}

    def read_path_stored(self, path: str) -> bytes | None:
        """One file of the spec repo, named by the caller, as git stores it (`read_stored`);
        None when it is absent, not a regular file or a symbolic link (never followed)."""
        if self.commit is None:
            try:
                info = os.lstat(self.repo.root / path)
            except OSError:
                return None
            if not stat.S_ISREG(info.st_mode):
                return None
            return self.read_stored([SourceFile(path, info.st_size)]).get(path)
        assert self.repo.git_top is not None
        entries = [e for e in gitio.list_tree(self.repo.git_top, self.commit, [self.repo.git_path(path)]) if e.path == self.repo.git_path(path)]
        if not entries or entries[0].is_symlink:
            return None
        return b"".join(data for _, data in gitio.read_blobs(self.repo.git_top, [entries[0].oid]))

    def read_one(self, source: SourceFile) -> bytes:
        """One listed file's bytes (a document, a stored message), whatever its size."""
        if self.commit is None:
            try:
                # O_NOFOLLOW, as in _read_file: never follow a link swapped in since listing.
                fd = os.open(os.path.join(str(self.repo.root), source.path), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
                with os.fdopen(fd, "rb") as handle:
                    return handle.read()
            except OSError as exc:
                raise InputError(f"cannot read {source.path}: {exc.strerror}") from None
        assert self.repo.git_top is not None and source.oid is not None
        return b"".join(data for _, data in gitio.read_blobs(self.repo.git_top, [source.oid]))

    def size_over_limit(self, source: SourceFile) -> int | None:
        """The size of a file found over the size limit while reading it, for the finding:
        the listed one, or (listed without sizes) the file's own; None when unknown."""
        if source.size >= 0:
            return source.size
        if self.commit is not None:
            assert self.repo.git_top is not None
            path = self.repo.git_path(source.path)
            try:
                entries = [entry for entry in gitio.list_tree(self.repo.git_top, self.commit, [path]) if entry.path == path]
            except GitError:
                return None  # the finding says "over the limit" instead
            return entries[0].size if entries else None
        try:
            return os.lstat(os.path.join(str(self.repo.root), source.path)).st_size
        except OSError:
            return None

    def read_described(self, sources: list[SourceFile], *, limit: int = MAX_FILE_BYTES) -> Iterator[tuple[SourceFile, bytes | None, os.stat_result]]:
        """`read` of working-tree files, each with what `fstat` said of the file opened (for a
        caller that tells later, by the file's times, whether the bytes it read are still there)."""
        assert self.commit is None
        for source, (data, info) in self._worktree_reads(sources, _read_file_described, limit):
            yield source, data if len(data) <= limit else None, info

    def read(self, sources: list[SourceFile], *, limit: int = MAX_FILE_BYTES) -> Iterator[tuple[SourceFile, bytes | None]]:
        """Each source's bytes; None for one that turns out larger than `limit` (the size limit
        of spec files; a baseline's manifest has its own)."""
        if self.commit is None:
            for source, data in self._worktree_reads(sources, _read_file, limit):
                yield source, data if len(data) <= limit else None
            return
        assert self.repo.git_top is not None
        wanted = list(dict.fromkeys(source.oid for source in sources if source.oid and source.oid not in self.known))
        blobs: dict[str, bytes | None] = dict(gitio.read_blobs_capped(self.repo.git_top, wanted, limit))
        blobs.update(self.known)
        for source in sources:
            yield source, blobs[source.oid]  # type: ignore[index]

    def _worktree_reads(self, sources: list[SourceFile], read_one: Callable[[str, int, int | None, int], _Read], limit: int) -> Iterator[tuple[SourceFile, _Read]]:
        """`read_one(path, listed size, root, limit)` of each working-tree file. Opened relative to
        the root's descriptor: the kernel walks the path from there, not from '/', for each of
        thousands of files."""
        relative = os.open in os.supports_dir_fd
        root = os.open(str(self.repo.root), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if relative else None
        try:
            for source in sources:
                try:
                    path = source.path if relative else os.path.join(str(self.repo.root), source.path)
                    read = read_one(path, source.size, root, limit)
                except OSError as exc:
                    raise InputError(f"cannot read {source.path}: {exc.strerror}") from None
                yield source, read
        finally:
            if root is not None:
                os.close(root)


class Alongside(Protocol):
    """Other work of the caller's that load_snapshot runs in this process while a forked worker
    parses (io/fork_map.py `alongside`), as if the caller had run it right after the parse."""

    def run(self) -> None:
        """The work; what it raises is raised once the parse is done (a parse error first)."""

    def cost(self, config: Config, sources: Sequence[SourceFile]) -> float:
        """What it is expected to cost, in the parse's units (`_REQUIREMENT_COST` a requirement
        file), given the config and the files the snapshot lists: this process parses that much less."""


def load_snapshot(repo: SpecRepo, rev: str | None = None, *, cache: ParseCache | None = None, texts: Mapping[str, bytes] | None = None,
                  digests: bool | None = None, alongside: Alongside | None = None) -> Snapshot:
    """Read and parse the whole spec repo at `rev` (None or WORKTREE: the working tree).

    With `cache`, parses are looked up by blob id first (see core/parse_cache.py);
    commands that read every file pass a `PackedParseCache`. `texts`: the bytes of spec
    files the caller has read already at `rev`, by path, as `Reader.read` gives them (not
    read again; the others are). `digests`: whether each requirement parsed is digested
    beside its parse (None: when the spec repo has baseline files to verify and drift
    from); without, a digest is computed when asked for (digest.requirement_digest).
    `alongside`: work run here while the worker parses (the same result as after the parse;
    what it raises is raised after the parse, as it would have been).
    """
    # Loading builds many small objects and frees almost none; the cyclic
    # garbage collector would walk them again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        commit = None if rev in (None, WORKTREE) else resolve_revision(repo, rev)  # type: ignore[arg-type]
        reader = Reader(repo, commit)
        config, config_findings = parse_config(reader.read_config())
        snapshot = Snapshot(config=config, commit=commit, repo=repo)
        snapshot.findings.extend(config_findings)
        if commit is None:
            check_folder_access(repo, config)
        # Sizes are not needed up front: reading stops at the size limit anyway.
        sources = reader.list_files(scanned_folders(config), sizes=False)
        check_folders(reader, config, sources, snapshot.findings)
        snapshot.findings.extend(name_finding(path) for path in reader.bad_names if _in_kind_folder(path, config))  # type: ignore[misc]
        # Files no parser reads still matter: a document's bytes, an email's stored message.
        listed = {source.path: source for source in sources if source.symlink_target is None}
        snapshot.present = {path: source.oid or "" for path, source in listed.items()}

        def read_listed(path: str) -> bytes:
            if path not in listed:
                raise InputError(f"{path} is not in the spec repo" + (f" at commit {commit[:12]}" if commit else ""))
            return reader.read_one(listed[path])

        snapshot.read_bytes = read_listed
        # Requirements are digested beside the parsing when there are baselines to verify
        # and drift from (the digests go into the parse pack with the parses).
        if digests is None:
            baselines = config.baselines_dir + "/"
            digests = any(path.startswith(baselines) for path in listed)
        with phase(f"reading {len(sources):,} files"):
            parsed_files = parse_sources(reader, config, sources, cache=cache, digests=digests, texts=texts,
                                         alongside=alongside.run if alongside is not None else None,
                                         alongside_cost=alongside.cost(config, sources) if alongside is not None else 0.0)
        add_parsed_files(snapshot, parsed_files)
        return snapshot
    finally:
        if collecting:
            # Turned back on, the collector's next pass would walk every object just
            # parsed (seconds at 100,000 requirements): they live as long as the snapshot,
            # so they are set aside from its passes first.
            gc.freeze()
            gc.enable()


def read_items(repo: SpecRepo, commit: str | None, kinds: Sequence[str], *, cache: ParseCache | None = None) -> Snapshot:
    """The files of `kinds` ('requirement', 'request'...) at `commit` (None: the working
    tree), parsed into a Snapshot that holds only those: the reading of part of a spec repo.

    The rules are load_snapshot's (both end in parse_sources and add_parsed): a file over
    the size limit, a symbolic link or a name that is not UTF-8 is a finding and is not read;
    of two items with one id, the first in path order keeps it and the other is a
    `duplicate-id` error. With `cache`, parses are looked up by blob id first.
    """
    reader = Reader(repo, commit)
    config, config_findings = parse_config(reader.read_config())
    snapshot = Snapshot(config=config, commit=commit, repo=repo)
    snapshot.findings.extend(config_findings)
    wanted = [kind for kind in FILE_KINDS if kind.name in kinds]
    folders = sorted({getattr(config, kind.folder) for kind in wanted})
    # Sizes are not needed up front: reading stops at the size limit anyway.
    sources = reader.list_files(folders, sizes=False)
    snapshot.findings.extend(name_finding(path) for path in reader.bad_names if any(path.startswith(folder + "/") for folder in folders))  # type: ignore[misc]
    add_parsed_files(snapshot, parse_sources(reader, config, sources, cache=cache, only=frozenset(kinds)))
    return snapshot


# More names than this are found by listing their folders: one pathspec per file would make
# `git ls-tree`'s command line as long as the list.
_NAMED_LISTING = 500


def parse_named(repo: SpecRepo, config: Config, commit: str | None, paths: Sequence[str]) -> list[ParsedFile]:
    """The files `paths` at `commit` (None: the working tree) — those of them a whole reading
    would list — each parsed afresh (no cache: callers check cached answers against these)."""
    reader = Reader(repo, commit)
    if len(paths) > _NAMED_LISTING:
        wanted = set(paths)
        sources = [source for source in reader.list_files(scanned_folders(config)) if source.path in wanted]
    else:
        sources = reader.list_named(paths, scanned_folders(config))
    return parse_sources(reader, config, sources)


def read_named_items(repo: SpecRepo, commit: str | None, paths: Sequence[str]) -> Snapshot:
    """`parse_named`'s files in one Snapshot, by the rules of `read_items`."""
    config, findings = parse_config(Reader(repo, commit).read_config())
    snapshot = Snapshot(config=config, commit=commit, repo=repo)
    snapshot.findings.extend(findings)
    add_parsed_files(snapshot, parse_named(repo, config, commit, sorted(paths)))
    return snapshot


def requirements_at(repo: SpecRepo, commit: str, *, keep_parses: bool = False) -> tuple[Config, dict[str, Requirement], list[Finding]]:
    """The requirements at `commit` (only the requirement files are read), with their findings.

    The parses kept by `check`/`list` are used, read only (the same blob parses the same way
    at every commit): most requirements at a baseline's commit are unchanged since. With
    `keep_parses` and no parse pack yet (a fresh clone), the parses are kept in a new pack:
    `baseline create` freezes HEAD, whose files the next `check` reads again."""
    pack = _parse_pack(repo.git_top)
    if keep_parses and pack.is_empty():
        with PackedParseCache.for_git(repo.git_top) as writing:
            snapshot = read_items(repo, commit, ("requirement",), cache=writing)
        _parse_pack.cache_clear()
    else:
        snapshot = read_items(repo, commit, ("requirement",), cache=pack)
    return snapshot.config, snapshot.requirements, snapshot.findings


class _Unwritten:
    """A parse cache that is asked and never written: every write is a no-op."""

    def put(self, key: str, parsed: Parsed) -> None:
        pass

    def put_pickled(self, keys: list[str], payload: bytes, values: list[Parsed]) -> None:
        pass

    def pickle_added(self) -> None:
        pass

    def flush(self) -> None:
        pass


class KnownParses(_Unwritten, ParseCache):
    """Parses already at hand, by cache key, offered to parse_sources and never written:
    a file with these bytes is not read or parsed again, and its items are the very
    objects given (whatever was computed from them is computed once)."""

    def __init__(self, parses: dict[str, Parsed]) -> None:
        super().__init__(None)
        self._parses = parses

    def get(self, key: str) -> Parsed | None:
        return self._parses.get(key)

    def is_empty(self) -> bool:
        return not self._parses


def known_requirement_parses(snapshot: Snapshot) -> KnownParses:
    """The requirement files of `snapshot` as KnownParses: reading another commit with them,
    an unchanged file's requirements are the snapshot's own objects. A file some of whose
    ids clashed in the snapshot lost items there, so it is not offered (it is parsed afresh)."""
    by_path: dict[str, list[Requirement]] = {}
    for requirement in snapshot.requirements.values():
        by_path.setdefault(requirement.path, []).append(requirement)
    clashed = {finding.path for finding in snapshot.findings if finding.code == "duplicate-id"}
    config = snapshot.config
    parses = {}
    for path, oid in snapshot.files.items():
        kind = kind_of(path, config)
        if oid and path not in clashed and kind is not None and kind.name == "requirement":
            parses[cache_key(kind.name, path, oid, config.id_pattern)] = Parsed(items=list(by_path.get(path, [])), oid=oid)
    return KnownParses(parses)


class _PackReader(_Unwritten, PackedParseCache):
    """The parse pack, read and never written: requirements at old commits must not push the
    working tree's parses out of it (it keeps what its last writer used). With `loaded`, the
    pack a command has read and written already (share_parse_pack) is asked instead of the file."""

    def __init__(self, folder: Path | None, loaded: PackedParseCache | None = None) -> None:
        super().__init__(folder)
        self._loaded = loaded
        # Parses of files the pack lacks, kept for this process only: the baselines'
        # commits share most of the blobs the pack lacks (a file changed after the
        # first baseline and not since), and each is parsed once per run, not per commit.
        self._parsed_here: dict[str, Parsed] = {}

    def get(self, key: str) -> Parsed | None:
        found = self._parsed_here.get(key)
        if found is not None:
            return found
        if self._loaded is None:
            return super().get(key)
        return self._loaded.used.get(key) or self._loaded.get(key)

    def put(self, key: str, parsed: Parsed) -> None:
        self._parsed_here[key] = parsed

    def put_pickled(self, keys: list[str], payload: bytes, values: list[Parsed]) -> None:
        self._parsed_here.update(zip(keys, values, strict=True))


_SHARED_PACKS: dict[Path | None, PackedParseCache] = {}


def share_parse_pack(git_top: Path | None, pack: PackedParseCache) -> None:
    """`pack`, read (and flushed) by the command, is what `requirements_at` reads from now on in
    this process: after a first `check` parsed every file, loading the pack it just wrote
    would unpickle the same 10,000 parses again."""
    _SHARED_PACKS.clear()  # one at a time: a pack holds a whole snapshot
    _SHARED_PACKS[git_top] = pack
    _parse_pack.cache_clear()


@functools.lru_cache(maxsize=4)
def _parse_pack(git_top: Path | None) -> _PackReader:
    # One per repository and process: `check` reads the requirements at every baseline's
    # commit, and loading the pack costs more than most of its lookups. Entries are keyed by
    # content, so a pack read earlier in the process is never wrong, at most less complete.
    folder = PackedParseCache.for_git(git_top).folder
    return _PackReader(folder, _SHARED_PACKS.get(git_top))


def read_only_parse_pack(git_top: Path | None) -> PackedParseCache:
    """The parse pack of the repository at `git_top`, read and never written; one per process."""
    return _parse_pack(git_top)


def check_folder_access(repo: SpecRepo, config: Config) -> None:
    """Stop (exit 3, at the reqtrace.yaml line) when a configured folder of the working
    tree exists but cannot be used: any OSError from the file system other than "not
    there" (EACCES, ELOOP, ENAMETOOLONG, EIO...). Absent folders are check_folders' job."""
    for key, folder in (("requirements", config.requirements_dir), ("records", config.records_dir), ("baselines", config.baselines_dir)):
        try:
            os.stat(repo.root / folder, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise InputError(
                f"{config_line(config.path_line(key))}: the {key} folder '{folder}' (paths.{key}) cannot be read: {exc.strerror}",
                hint=f"fix paths.{key} in {CONFIG_FILE}, or the folder's permissions",
            ) from exc


def check_folders(reader: Reader, config: Config, sources: list[SourceFile], findings: list[Finding]) -> None:
    """Stop (exit 3) when the requirements folder cannot be read; warn about a records or
    baselines folder that reqtrace.yaml names and that is not there.

    A gate that read nothing must not pass: with `specs` deleted, mistyped, a link
    out of the repo or unreadable, every check would find zero problems in zero
    requirements. A records or baselines folder may rightly be absent (nothing
    recorded yet, no baseline yet: `init` writes `baselines: baselines` before there
    is one), so only a folder the file names *other than the default* is reported,
    as a warning: that is a mistyped or moved name, which hides the real folder.
    """
    line = config.path_line("requirements")
    where = f"paths.requirements in {config_line(line)}" if line else f"the default: paths.requirements is not set in {CONFIG_FILE}"
    if config.requirements_problem:
        raise InputError(f"{config_line(line)}: {config.requirements_problem}", hint="set paths.requirements to the folder that holds the requirement files")
    problem = reader.folder_problem(config.requirements_dir, sources)
    if problem:
        raise InputError(
            f"the requirements folder '{config.requirements_dir}' ({where}) {problem}; there is nothing to read",
            hint=f"create {config.requirements_dir}/ with the requirement files, or set paths.requirements in {CONFIG_FILE} to the folder that holds them",
        )
    for key, folder, default in (("records", config.records_dir, "records"), ("baselines", config.baselines_dir, "baselines")):
        line = config.path_line(key)
        if line is None or folder == default:
            continue
        problem = reader.folder_problem(folder, sources)
        if problem:
            findings.append(Finding("config", WARNING, f"the {key} folder '{folder}' named by paths.{key} {problem}; fix the name, or create the folder", CONFIG_FILE, line))


def _undecodable(path: str) -> bool:
    """Whether a listed name was not UTF-8 (decoded with surrogateescape, it holds lone surrogates)."""
    return not path.isascii() and any("\udc80" <= ch <= "\udcff" for ch in path)


def shown_path(path: str) -> str:
    """A listed name as printable text: bytes that are not UTF-8 become \\xff escapes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") if _undecodable(path) else path


def name_finding(path: str) -> Finding | None:
    """The finding for a file whose name is not UTF-8, or None for a usable name."""
    if not _undecodable(path):
        return None
    return Finding(
        "not-utf8",
        ERROR,
        "the file name is not UTF-8, so the file is not read (its name could not be shown, stored in a baseline or compared); rename it",
        shown_path(path),
        None,
    )


class ParsedFile(NamedTuple):  # a tuple: one for every file read, at every commit read
    source: SourceFile
    kind: FileKind | None
    parsed: Parsed  # its items and findings; for a symlink or a huge file, findings only
    read: bool  # whether the content was parsed (from the file or from the cache)
    oid: str | None = None  # the git blob id of the bytes parsed (also in the working tree)


# What parsing one file costs, in shares of a requirement file's parse (read, parsed, checked,
# built: about 54 µs at 10,000 requirements on the benchmark repo, a unit about 11 µs), measured
# in one process by `time.process_time` (2026-12-07, docs/performance.md "the cold parse's
# balance"): a record (request, meeting, e-mail) 47 µs, digesting a requirement 14 µs more.
_RECORD_COST = 4.4
_REQUIREMENT_COST = 5
_DIGEST_COST = 1.3
# What pickling one file's parse costs (`dump_parsed`, 4.7-5.0 µs a file), in the same units. After
# the fork the worker pickles every parse of its share to send it; the parent pickles its own only
# when it keeps them in the parse pack (`cache`). What else the parent does — unpickling the
# worker's share, building every file's result — comes after both are done: it does not decide
# who waits for whom, and is not in the model.
_PICKLE_COST = 0.45


def parse_sources(
    reader: Reader,
    config: Config,
    sources: Iterable[SourceFile],
    *,
    cache: ParseCache | None = None,
    digests: bool = False,
    only: frozenset[str] | None = None,
    texts: Mapping[str, bytes] | None = None,
    alongside: Callable[[], None] | None = None,
    alongside_cost: float = 0.0,
) -> list[ParsedFile]:
    """Parse the spec files among `sources`, in the order given.

    The one way files become items, for whole snapshots and for the few files
    a diff reads. Files of no known kind are skipped; symlinks and files over
    the size limit become findings. With `cache`, a file whose parse is cached
    under its blob id is not parsed again — and at a commit not even read.
    With `digests`, each requirement parsed is digested beside its parsing (on both
    cores; digest.stash_digest), for a caller that verifies baselines or diffs: the
    parse pack keeps the digests with the parses. With `only` (kind names), every file
    of another kind, or of none, is skipped as if it were not among `sources`. `texts`:
    files' bytes read already (`Reader.read`), by path: used instead of reading them again.
    `alongside()`: other work, run once in this process while the worker parses; this
    process takes `alongside_cost` (in `_REQUIREMENT_COST` units) less of the parse for it.
    Without a worker it runs after the parse. What it raises is raised once the parse is
    done and its parses are in `cache`, as if the caller had run it right after.
    """
    results: dict[str, ParsedFile] = {}
    order: list[str] = []
    pending: list[tuple[SourceFile, FileKind, str | None]] = []  # with the cache key, when known
    folders = _kind_folders(config, tuple(FILE_KINDS))
    for source in sources:
        kind = _kind_in(source.path, folders)
        if only is not None and (kind is None or kind.name not in only):
            continue
        order.append(source.path)
        if _undecodable(source.path):
            # Names listed by git diff (not by Reader.list_files) end here: a finding, never a parse.
            if kind is not None or _in_kind_folder(source.path, config):
                results[source.path] = ParsedFile(source, kind, Parsed(findings=[name_finding(source.path)]), False)  # type: ignore[list-item]
            continue
        if source.symlink_target is not None:
            if kind is not None or source.path.endswith((".yaml", ".yml", ".md")) or _in_kind_folder(source.path, config):
                results[source.path] = ParsedFile(source, kind, Parsed(findings=[_symlink_finding(source)]), False)
            continue
        if kind is None:
            continue
        if source.size > MAX_FILE_BYTES:
            results[source.path] = ParsedFile(source, kind, _too_large(source.path, source.size), False)
            continue
        key = None
        if cache is not None and source.oid:
            key = cache_key(kind.name, source.path, source.oid, config.id_pattern)
            hit = cache.get(key)
            if hit is not None:
                results[source.path] = ParsedFile(source, kind, hit, True, source.oid)
                continue
        pending.append((source, kind, key))
    # Each file still to parse: (source, kind, blob id, bytes, cache key). At a commit the blob ids
    # are known, and so are the misses: each parsing process reads its own share, through
    # its own `git cat-file`, while the other parses. In the working tree the blob id
    # comes from the bytes: they are read here when cached parses may be found by it,
    # and otherwise (no cache, or an empty one: a first run) by the parsing processes.
    misses: list[tuple[SourceFile, FileKind, str | None, bytes | None, str | None]] = []
    known = texts or {}
    if reader.commit is not None or cache is None or cache.is_empty():
        misses = [(source, kind, source.oid, known.get(source.path), key) for source, kind, key in pending]
    else:
        kinds = {source.path: kind for source, kind, _key in pending}
        unread = [source for source, _kind, _key in pending if source.path not in known]
        read = itertools.chain(((source, known[source.path]) for source, _kind, _key in pending if source.path in known), reader.read(unread))
        for source, data in read:
            kind = kinds[source.path]
            if data is None:  # larger than the limit, found out while reading
                results[source.path] = ParsedFile(source, kind, _too_large(source.path, reader.size_over_limit(source)), False)
                continue
            oid = gitio.blob_id(data)
            key = cache_key(kind.name, source.path, oid, config.id_pattern)
            hit = cache.get(key)
            if hit is not None:
                results[source.path] = ParsedFile(source, kind, hit, True, oid)
                continue
            misses.append((source, kind, oid, data, key))

    def parse_share(share: Sequence[tuple[SourceFile, FileKind, str | None, bytes | None, str | None]]) -> list[Parsed]:
        unread = [source for source, _kind, _oid, data, _key in share if data is None]
        contents = {source.path: data for source, data in reader.read(unread)} if unread else {}
        parses = []
        for source, kind, oid, data, _key in share:
            content = data if data is not None else contents[source.path]
            if content is None:  # larger than the limit, found out while reading: no blob id
                parses.append(_too_large(source.path, reader.size_over_limit(source)))
                continue
            parsed = kind.parser(source.path, content, config)
            parsed.oid = oid or gitio.blob_id(content)
            parses.append(parsed)
        if digests:  # after the parsing, not file by file: a third cheaper (the CPU's caches)
            for parsed in parses:
                for item in parsed.items:
                    if type(item) is Requirement:
                        stash_digest(item)
        return parses

    def key_of(index: int, parsed: Parsed) -> str:
        """A miss's cache key: known already, or from the blob id its parse found."""
        source, kind, _oid, _data, key = misses[index]
        return key or cache_key(kind.name, source.path, parsed.oid, config.id_pattern)  # type: ignore[arg-type]

    # Many files to parse (a first check of a large repo): on two cores, if there are.
    # The worker's half arrives pickled: the cache stores those bytes as they are.
    pickled: list[tuple[int, bytes]] = []
    stored = 0  # the first parses already put in the cache

    def store_own_half(parses: list[Parsed]) -> None:
        nonlocal stored
        if cache is not None:  # pickled while the worker pickles its half
            for index, parsed in enumerate(parses):
                if parsed.oid is not None:
                    cache.put(key_of(index, parsed), parsed)
            cache.pickle_added()
        stored = len(parses)

    failures: list[Exception] = []
    run_alongside = None
    if alongside is not None:
        work = alongside

        def run_alongside() -> None:  # fork_map's `alongside` must not raise: raised below, after the parse
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - raised once the parse is done
                failures.append(exc)

    parses = fork_map(
        parse_share, misses, load_parsed, keep=lambda start, payload: pickled.append((start, payload)), meanwhile=store_own_half,
        dump=dump_parsed, split=_even_split([kind for _source, kind, _oid, _data, _key in misses], digests, alongside_cost, parent_pickles=cache is not None),
        alongside=run_alongside,
    )
    verbatim = pickled[0][0] if pickled and cache is not None else len(misses)
    for index, ((source, kind, _oid, _data, _key), parsed) in enumerate(zip(misses, parses, strict=True)):
        if cache is not None and stored <= index < verbatim and parsed.oid is not None:
            cache.put(key_of(index, parsed), parsed)
        results[source.path] = ParsedFile(source, kind, parsed, parsed.oid is not None, parsed.oid)
    if cache is not None:
        ends = [start for start, _ in pickled[1:]] + [len(misses)]
        for (start, payload), end in zip(pickled, ends, strict=False):
            share = parses[start:end]
            if all(parsed.oid is not None for parsed in share):
                cache.put_pickled([key_of(start + offset, parsed) for offset, parsed in enumerate(share)], payload, share)
            else:  # a blob over the size limit has no entry; the others are stored one by one
                for offset, parsed in enumerate(share):
                    if parsed.oid is not None:
                        cache.put(key_of(start + offset, parsed), parsed)
    if failures:
        raise failures[0]
    return [results[path] for path in order if path in results]


def _even_split(kinds: list[FileKind], digests: bool, alongside_cost: float = 0.0, *, parent_pickles: bool = False) -> int:
    """Where the second process's share of files of `kinds` starts, so that both processes
    finish together: the files come in path order, so the records (records/…) and the
    requirements (specs/…) would otherwise fall mostly to one process each. After the fork
    each parses its share; the worker pickles its parses to send them, the parent pickles its
    own when `parent_pickles` (it keeps them in the parse pack), and it also spends
    `alongside_cost` on other work beside the parse."""
    requirement = _REQUIREMENT_COST + (_DIGEST_COST if digests else 0)
    costs = [requirement if kind.name == "requirement" else _RECORD_COST for kind in kinds]
    parent_extra = _PICKLE_COST if parent_pickles else 0.0
    # Moving file i from the worker's share to the parent's adds its cost (and the parent's
    # pickling) to the parent and takes its cost and its pickling off the worker: the split is
    # where the parent's side first reaches the worker's.
    worker_left = sum(costs) + _PICKLE_COST * len(costs)
    parent_spent = alongside_cost
    for index, cost in enumerate(costs):
        if parent_spent >= worker_left:
            return max(index, 1)  # (0 would be no split: fork_map would halve the files)
        parent_spent += cost + parent_extra
        worker_left -= cost + _PICKLE_COST
    return len(kinds) // 2


def _in_kind_folder(path: str, config: Config) -> bool:
    return any(path.startswith(getattr(config, kind.folder) + "/") for kind in FILE_KINDS)


def _too_large(path: str, size: int | None) -> Parsed:
    shown = f"{size:,} bytes" if size is not None else f"over {MAX_FILE_BYTES:,} bytes"
    return Parsed(findings=[Finding("file-too-large", ERROR, f"file is {shown}; spec files are read up to {MAX_FILE_BYTES:,} bytes — split it or move it out of the spec folders", path, None)])


def add_parsed(snapshot: Snapshot, parsed: Parsed) -> None:
    """Add one file's items to the snapshot, reporting ids that are taken."""
    snapshot.findings.extend(parsed.findings)
    for item in parsed.items:
        _add_item(snapshot, item)


def _add_item(snapshot: Snapshot, item: Any) -> None:
    if item.kind == "spec-document":  # its id is a document's, checked by core/structure.py
        snapshot.spec_documents[item.path] = item
        return
    existing = snapshot.item(item.id)
    if existing is not None:
        snapshot.findings.append(
            Finding("duplicate-id", ERROR, f"id '{item.id}' is already used by the {existing.kind} in {existing.path}:{existing.line}; give one of them a new id", item.path, item.line, item.id)
        )
        return
    snapshot.items_of(item.kind)[item.id] = item


def add_parsed_files(snapshot: Snapshot, parsed_files: Iterable[ParsedFile]) -> None:
    """`add_parsed` of each file in order, with the blob id of each file read in `snapshot.files`:
    the same snapshot, each item's table looked up once per kind and the ids taken kept in one
    set (a whole snapshot's 150,000 items at 100,000 requirements: 0.25 s of CPU in `add_parsed`)."""
    files = snapshot.files
    taken = snapshot.all_ids()
    tables: dict[str, dict[str, Any]] = {}
    for parsed_file in parsed_files:
        if parsed_file.read:
            files[parsed_file.source.path] = parsed_file.oid or ""
        parsed = parsed_file.parsed
        if parsed.findings:
            snapshot.findings.extend(parsed.findings)
        for item in parsed.items:
            kind, item_id = item.kind, item.id
            if kind == "spec-document" or item_id in taken:
                _add_item(snapshot, item)  # a document's own table; a taken id is a finding
                continue
            table = tables.get(kind)
            if table is None:
                table = tables[kind] = snapshot.items_of(kind)
            table[item_id] = item
            taken.add(item_id)


def read_listed_items(repo: SpecRepo, config: Config, commit: str, sources: Sequence[SourceFile]) -> Snapshot:
    """Files at `commit` whose listing the caller has already (paths with their blob ids and
    links, as `diff-tree` names them) in one Snapshot, by the rules of `read_items`, without
    listing a tree: `read_named_items` for a caller that knows the blob ids. Each file is
    parsed afresh (loading the parse pack costs more than parsing a few hundred files), each
    requirement digested beside its parse."""
    reader = Reader(repo, commit)
    snapshot = Snapshot(config=config, commit=commit, repo=repo)
    ordered = sorted(sources, key=lambda source: source.path)
    add_parsed_files(snapshot, parse_sources(reader, config, ordered, digests=True))
    return snapshot
