"""Which files name some ids: one `git grep`, its answer at a commit kept.

`diff` asks git three times per run which files name a set of ids (the copies of
an added id elsewhere, the children of a changed requirement, the requests naming
a change); each search reads the whole folder (0.1 s of git's CPU at 10,000
requirements). The files at a commit never change, so the answer for (commit,
folders, ids) is kept in the store (core/cachestore.py, kind `id-search`) and
read on the next run instead of searching again.

The working tree is searched as HEAD plus what differs from HEAD: the kept
answer at HEAD without the files that differ (`git diff` and the untracked
files, ignored ones too, as the working-tree search reads them), plus a search
of only those files as they are on disk. A working tree that differs from HEAD
in many files is searched the plain way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from reqtrace.core import cachestore
from reqtrace.io import gitio

KIND = "id-search"
# Beyond this many files that differ from HEAD, one search of the whole working tree is cheaper.
MAX_DIRTY = 400


class Search(Protocol):
    def result(self) -> list[str]: ...


class _Known:
    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def result(self) -> list[str]:
        return self.paths


class _KeptAtCommit:
    """A search at a commit: the kept answer, or `git grep` (started now) whose answer is kept."""

    def __init__(self, git_top: Path, commit: str, words: list[str], folders: list[str]) -> None:
        self.git_top, self.content = git_top, _content_id(commit, words, folders)
        self.kept = cachestore.load(git_top, KIND, self.content, _paths)
        self.job = gitio.GrepJob(git_top, commit, words, folders) if self.kept is None else None

    def result(self) -> list[str]:
        if self.kept is None:
            assert self.job is not None
            self.kept = self.job.result()
            cachestore.store(self.git_top, KIND, self.content, self.kept)
        return self.kept


class _Worktree:
    """HEAD's kept answer without the files that differ from HEAD, plus a search of those files."""

    def __init__(self, git_top: Path, head: str, dirty: list[str], words: list[str], folders: list[str]) -> None:
        self.dirty = set(dirty)
        self.at_head = _KeptAtCommit(git_top, head, words, folders)
        # Only the differing files, each named literally (a path may hold `*` or `[`).
        self.on_disk = gitio.GrepJob(git_top, None, words, [f":(literal){path}" for path in dirty]) if dirty else None

    def result(self) -> list[str]:
        found = {path for path in self.at_head.result() if path not in self.dirty}
        if self.on_disk is not None:
            found.update(path for path in self.on_disk.result() if path in self.dirty)
        return sorted(found)


class IdSearch:
    """Searches of one side of a diff (`commit`, or None: the working tree) under `folders`
    (paths from the repository top), which every search stays within."""

    def __init__(self, git_top: Path, commit: str | None, folders: list[str], *, differing: tuple[str, list[str]] | None = None) -> None:
        """`differing`: HEAD and the files (git paths) that differ from it, when the caller
        has asked git already; a list naming more files (under other folders too) is fine."""
        self.git_top, self.commit, self.folders = git_top, commit, folders
        self._differing: tuple[str | None, list[str] | None] | None = None
        if differing is not None:
            head, paths = differing
            dirty = [path for path in paths if any(_under(path, folder) for folder in folders)]
            self._differing = (head, dirty if len(dirty) <= MAX_DIRTY else None)

    def _against_head(self) -> tuple[str | None, list[str] | None]:
        """HEAD and the files under the folders that differ from it (None: too many to be worth it),
        asked of git once, on the first search of the working tree."""
        if self._differing is None:
            head = gitio.head_commit(self.git_top)
            dirty = [change.path for change in gitio.diff_worktree(self.git_top, head, self.folders)] if head is not None else None
            self._differing = (head, dirty if dirty is not None and len(dirty) <= MAX_DIRTY else None)
        return self._differing

    def start(self, words: list[str], folders: list[str]) -> Search:
        """The files under `folders` that name any of `words` as a whole word (as `gitio.GrepJob`
        finds them), the search started now and collected with `result()`."""
        words = sorted(set(words))
        if not words:
            return _Known([])
        if self.commit is not None:
            return _KeptAtCommit(self.git_top, self.commit, words, folders)
        head, dirty = self._against_head()
        if head is None or dirty is None or not all(any(_under(folder, mine) for mine in self.folders) for folder in folders):
            return gitio.GrepJob(self.git_top, None, words, folders)
        inside = [path for path in dirty if any(_under(path, folder) for folder in folders)]
        return _Worktree(self.git_top, head, inside, words, folders)


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return not folder or folder == "." or path == folder or path.startswith(folder + "/")


def _content_id(commit: str, words: list[str], folders: list[str]) -> str:
    return "\x00".join([commit, "\x01".join(folders), *words])


def _paths(plain: object) -> list[str] | None:
    if isinstance(plain, list) and all(isinstance(path, str) for path in plain):
        return plain
    return None
