"""Putting imported requirements into a spec repo, all or nothing.

`render_tree` turns an import into file contents (one YAML file per requirement,
a `_document.yaml` per source document: its title, parent document and sections).
`write_tree` swaps the whole import folder in with two renames; `replay_history`
builds one commit per source commit with `git fast-import` on a private ref and
moves the branch only when every commit was built.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import posixpath
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reqtrace.core.config import SpecRepo, parse_config
from reqtrace.core.id_pattern import id_matcher
from reqtrace.errors import InputError, UsageError
from reqtrace.importers.model import IdTest, Imported, SourceError
from reqtrace.io import gitio
from reqtrace.io.files import TEMP_SUFFIX, atomic_write
from reqtrace.io.yamlio import FlowList, dump_yaml

DOCUMENT_FILE = "_document.yaml"  # read by core/structure.py, never as a requirement


# A history replay renders the same requirement hundreds of times: its text is kept by content.
_RENDERED: dict[str, bytes] = {}


def _render_requirement(data: dict[str, object]) -> bytes:
    key = json.dumps(data, ensure_ascii=False)  # key order is part of the file, so it is part of the key
    if key not in _RENDERED:
        if len(_RENDERED) > 50_000:
            _RENDERED.clear()
        if "parents" in data:
            data = {**data, "parents": FlowList(data["parents"])}  # type: ignore[call-overload]
        _RENDERED[key] = dump_yaml(data).encode("utf-8")
    return _RENDERED[key]


def render_tree(imported: Imported) -> dict[str, bytes]:
    """Relative path inside the import folder -> file content."""
    tree: dict[str, bytes] = {}
    for requirement in imported.requirements:
        tree[posixpath.join(requirement.folder, f"{requirement.id}.yaml")] = _render_requirement(requirement.as_yaml_data())
    for folder, document in imported.documents.items():
        tree[posixpath.join(folder, DOCUMENT_FILE)] = dump_yaml(document, header="Written by `reqtrace import`: the source document's structure (docs/format.md).").encode("utf-8")
    return tree


@dataclass
class Target:
    """Where an import goes: `specs/<into>/` of a spec repo, and how ids are checked there."""

    repo: SpecRepo
    into: str
    id_ok: IdTest
    requirements_dir: str

    @property
    def folder(self) -> Path:
        return self.repo.root / self.requirements_dir / self.into

    @property
    def git_folder(self) -> str:
        return self.repo.git_path(f"{self.requirements_dir}/{self.into}")


def import_target(repo: SpecRepo, into: str) -> Target:
    parts = into.replace("\\", "/").strip("/").split("/")
    if not into.strip() or any(not part or part.startswith((".", "-")) or part == ".." for part in parts):
        raise UsageError(f"--into must be a folder name inside the requirements folder, not starting with '.' or '-' (got '{into}')")
    config, _findings = parse_config((repo.root / "reqtrace.yaml").read_bytes())
    try:
        id_ok = id_matcher(config.id_pattern)
    except Exception:  # a bad pattern is reported by `check`; the importer uses the default then
        id_ok = id_matcher(r"^[A-Z][A-Z0-9]*-[0-9]+$")
    return Target(repo, "/".join(parts), id_ok, config.requirements_dir)


def _occupied(folder: Path) -> bool:
    return folder.exists() and any(not p.name.startswith(".") for p in folder.rglob("*"))


def write_tree(target: Target, tree: dict[str, bytes], *, replace: bool) -> list[str]:
    """Write `tree` as the whole content of the import folder: all of it, or nothing."""
    folder = target.folder
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(f"{folder} is not a folder", hint="choose another --into")
    if _occupied(folder) and not replace:
        raise InputError(f"{folder} already holds files", hint="pass --replace to replace them with this import, or choose another --into")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.import{TEMP_SUFFIX}"
    backup = folder.parent / f".{folder.name}.previous{TEMP_SUFFIX}"
    for leftover in (staging, backup):
        if leftover.exists():
            raise InputError(f"{leftover} is left from an import that was stopped", hint="look at it, then delete it")
    try:
        for relative, data in sorted(tree.items()):
            atomic_write(staging / relative, data)  # each file on disk before the folder is renamed into place
        if folder.exists():
            os.rename(folder, backup)
        try:
            os.rename(staging, folder)
        except BaseException:
            if backup.exists():
                os.rename(backup, folder)
            raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(backup)
    return sorted(tree)


# ---------------------------------------------------------------- history


@dataclass
class ReplayedCommit:
    source_commit: str
    author: str
    date: str
    subject: str
    requirements: int
    changed_files: int


@dataclass
class Replay:
    commits: list[ReplayedCommit] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # source commits that changed nothing imported
    unreadable: list[dict[str, str]] = field(default_factory=list)  # source commits left out (--skip-unreadable)
    last: Imported | None = None
    head: str | None = None


def _git_time(iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso)
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{int(moment.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def source_history(source: Path) -> tuple[Path, str, list[gitio.HistoryCommit]]:
    """The git repository holding `source`, the source's path in it, and its commits, oldest first."""
    top = gitio.toplevel(source)
    if top is None:
        raise InputError(f"{source} is not inside a git repository, so it has no history to replay",
                         hint="leave out --history to import the files as they are")
    if gitio.is_shallow(top):
        raise InputError(f"{top} is a shallow clone: its early history is missing",
                         hint="run `git fetch --unshallow` there (in CI: fetch-depth: 0)")
    relative = Path(source).resolve().relative_to(top.resolve()).as_posix()
    relative = "" if relative == "." else relative
    commits = gitio.walk_history(top, "HEAD", [relative or "."])
    return top, relative, commits


def replay_history(target: Target, source: Path, read: Callable[[dict[str, bytes]], Imported],
                   progress: Callable[[str], None] = lambda _line: None, *, skip_unreadable: bool = False) -> Replay:
    """One commit in the spec repo for each source commit that changed what is imported.

    A source commit whose files cannot be read (real histories have them: a file
    the tool itself could not load, fixed a commit later) stops the replay with
    nothing written; with `skip_unreadable` it is left out and listed, and the
    next readable commit carries its changes.
    """
    git_top = target.repo.git_top
    if git_top is None:
        raise InputError(f"{target.repo.root} is not in a git repository", hint="run `git init` and commit reqtrace.yaml first")
    start = gitio.head_commit(git_top)
    if start is None:
        raise InputError("the spec repo has no commit yet", hint="commit reqtrace.yaml first (git add -A && git commit -m 'start')")
    if gitio.list_tree(git_top, start, [target.git_folder], sizes=False) or _occupied(target.folder):
        raise InputError(f"{target.folder} already holds files; a history import starts from an empty folder",
                         hint="choose another --into, or remove that folder and commit")
    top, relative, commits = source_history(source)
    prefix = f"{relative}/" if relative else ""
    replay = Replay()

    def snapshots() -> Iterator[tuple[gitio.HistoryCommit, dict[str, bytes]]]:
        files: dict[str, str] = {}
        blobs: dict[str, bytes] = {}
        for commit in commits:
            for change in commit.changes:
                name = change.path[len(prefix):] if change.path.startswith(prefix) else None
                if name is None:
                    continue
                if change.status == "D" or change.new_mode in ("120000", "160000"):
                    files.pop(name, None)
                else:
                    files[name] = change.new_oid
            wanted = sorted({oid for oid in files.values() if oid not in blobs})
            blobs.update(gitio.read_blobs(top, wanted))
            yield commit, {name: blobs[oid] for name, oid in files.items()}

    def built() -> Iterator[gitio.ReplayCommit]:
        previous: dict[str, bytes] = {}
        for number, (commit, files) in enumerate(snapshots(), 1):
            try:
                imported = read(files)
            except SourceError as error:
                if skip_unreadable:
                    replay.unreadable.append({"source_commit": commit.commit, "date": commit.author_date, "problem": error.message})
                    continue
                raise InputError(f"at source commit {commit.commit[:12]} ({commit.author_date[:10]}): {error.message}",
                                 hint=f"{error.hint + '; or ' if error.hint else ''}pass --skip-unreadable to leave such commits out (their changes arrive with the next readable commit)") from None
            tree = render_tree(imported)
            changes: dict[str, bytes | None] = {path: None for path in previous if path not in tree}
            changes.update({path: data for path, data in tree.items() if previous.get(path) != data})
            previous = tree
            replay.last = imported
            if not changes:
                replay.skipped.append(commit.commit)
                continue
            subject = commit.message.splitlines()[0] if commit.message else ""
            replay.commits.append(ReplayedCommit(commit.commit, commit.author, commit.author_date, subject,
                                                 len(imported.requirements), len(changes)))
            if number % 50 == 0:
                progress(f"{number}/{len(commits)} source commits")
            message = f"{commit.message}\n\nImported-from: {imported.source_kind} {commit.commit}\n"
            when = _git_time(commit.author_date)
            yield gitio.ReplayCommit(
                author=commit.author, email=commit.author_email, when=when,
                committed=_git_time(commit.commit_date), message=message,
                changes={f"{target.git_folder}/{path}": data for path, data in changes.items()},
            )

    replay.head = gitio.replay_commits(git_top, start, built())
    return replay


MAX_SOURCE_FILE = 16 * 1024 * 1024


def read_folder(source: Path, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    """The files of a source folder (or the one file named) whose names end in `suffixes`,
    by path relative to the folder; `.git` is skipped, and so are symbolic links."""
    source = Path(source)
    if source.is_file():
        return {source.name: _read_capped(source, source.name)}
    if not source.is_dir():
        raise InputError(f"{source} does not exist", hint="name the source folder (or file) to import")
    files = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if ".git" in relative.split("/") or path.is_symlink() or not path.is_file() or not path.name.endswith(suffixes):
            continue
        files[relative] = _read_capped(path, relative)
    return files


def _read_capped(path: Path, relative: str) -> bytes:
    if path.stat().st_size > MAX_SOURCE_FILE:
        raise SourceError(relative, None, f"larger than {MAX_SOURCE_FILE // (1024 * 1024)} MiB; not read")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(relative, None, f"cannot be read: {exc.strerror or exc}") from None
