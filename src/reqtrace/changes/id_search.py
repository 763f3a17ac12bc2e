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

At a commit the files are not searched by `git grep` but read once (`ls-tree`, one
`cat-file` stream; a blob read for one search is kept for the next in this process)
and scanned in Python with one compiled pattern of all the ids, a trie of their
bytes: git grep tried its alternations of 300 ids one after another, so its work grew
with ids x files (112 s of CPU for a cold `status` at 100,000 requirements). The
pattern finds exactly what the `git grep -P` of `gitio.GrepJob` finds: an id as bytes
(git runs with LC_ALL=C), with no ASCII letter, digit or `_` just before or after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


class _ScanAtCommit:
    """The files under `folders` at `commit` that name any of `words`, as `gitio.GrepJob` finds
    them, from the blobs' bytes and one compiled pattern (searched when `result()` is asked)."""

    def __init__(self, git_top: Path, commit: str, words: list[str], folders: list[str]) -> None:
        self.git_top, self.commit, self.words, self.folders = git_top, commit, words, folders

    def result(self) -> list[str]:
        pattern = id_pattern(self.words)
        if pattern is None:
            return []
        entries = _files_at(self.git_top, self.commit, tuple(self.folders))
        texts = _blobs([oid for _path, oid in entries], self.git_top)
        return sorted({path for path, oid in entries if pattern.search(texts[oid])})


# The files under some folders at a commit, (path, blob id), listed once in this process.
_KEPT_TREES: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = {}


def _files_at(git_top: Path, commit: str, folders: tuple[str, ...]) -> list[tuple[str, str]]:
    key = (commit, folders)
    if key not in _KEPT_TREES:
        whole = any(folder.rstrip("/") in ("", ".") for folder in folders)
        tops = tuple(folder.rstrip("/") + "/" for folder in folders)
        # Regular files only, as git grep reads a tree (no symbolic links, no submodules).
        _KEPT_TREES[key] = [
            (entry.path, entry.oid) for entry in gitio.list_tree(git_top, commit, folders, sizes=False)
            if entry.mode in ("100644", "100755") and (whole or entry.path.startswith(tops) or entry.path + "/" in tops)
        ]
    return _KEPT_TREES[key]


def tree_files(git_top: Path, commit: str, folders: tuple[str, ...]) -> list[tuple[str, str]]:
    """The regular files under `folders` (git paths) at `commit`, (path, blob id), as a search
    there reads them: listed once per process."""
    return _files_at(git_top, commit, folders)


# Blobs read at some commit in this process, by id: the searches of one `status` read the
# same folders at up to four commits that share most of their files.
_KEPT_BLOBS: dict[str, bytes] = {}
_KEPT_BYTES = [0]
MAX_KEPT_BYTES = 256 << 20


def _blobs(oids: list[str], git_top: Path) -> dict[str, bytes]:
    found = {oid: _KEPT_BLOBS[oid] for oid in oids if oid in _KEPT_BLOBS}
    missing = sorted({oid for oid in oids if oid not in found})
    for oid, data in gitio.read_blobs(git_top, missing):
        found[oid] = data
        if _KEPT_BYTES[0] + len(data) <= MAX_KEPT_BYTES:
            _KEPT_BLOBS[oid] = data
            _KEPT_BYTES[0] += len(data)
    return found


def offer_blobs(blobs: Iterable[tuple[str, bytes]]) -> None:
    """Bytes read elsewhere in this process (the working tree's files), each with the blob id
    `gitio.blob_id` gives them: a search at a commit that has that blob reads it from here, not
    from git (a blob id names its bytes). Kept within the same bound as the blobs read here."""
    for oid, data in blobs:
        if oid not in _KEPT_BLOBS and _KEPT_BYTES[0] + len(data) <= MAX_KEPT_BYTES:
            _KEPT_BLOBS[oid] = data
            _KEPT_BYTES[0] += len(data)


_WORD_BYTE = b"A-Za-z0-9_"
_Trie = dict[int, "_Trie"]  # a byte of an id to the bytes after it; -1: an id ends here
# Ids this long, or holding a NUL, are left to git grep (the pattern nests one group per byte).
MAX_WORD_BYTES = 200


def scannable(words: list[str], folders: list[str]) -> bool:
    """Whether `_ScanAtCommit` answers this search exactly: no pathspec magic or wildcard in a
    folder (git grep would expand it), no id too long or holding a NUL."""
    return all(not any(ch in folder for ch in "*?[\\:") for folder in folders) and all(
        "\x00" not in word and len(word.encode("utf-8", "surrogateescape")) <= MAX_WORD_BYTES for word in words
    )


def id_pattern(words: list[str]) -> re.Pattern[bytes] | None:
    """One pattern that finds any of `words` (UTF-8 bytes) as `gitio.GrepJob`'s `git grep -P`
    does: not just after, nor just before, an ASCII letter, digit or `_`. Empty words and words
    with a line break are skipped, as GrepJob skips them; None when no word is left.

    The words are a trie, so each place in a file costs at most one id's length; the
    check for the byte before an id follows the id's first byte, so that the regular
    expression engine can skip ahead to the bytes that may start an id."""
    trie: _Trie = {}
    for word in words:
        if word and "\n" not in word:
            node = trie
            for byte in word.encode("utf-8", "surrogateescape"):
                node = node.setdefault(byte, {})
            node[-1] = {}  # an id ends here
    if not trie:
        return None
    starts = []
    for first, rest in sorted(trie.items()):
        literal = re.escape(bytes([first]))
        starts.append(literal + b"(?<![" + _WORD_BYTE + b"]" + literal + b")" + _alternatives(rest))
    return re.compile(b"(?:" + b"|".join(starts) + b")(?![" + _WORD_BYTE + b"])")


# The bytes of _WORD_BYTE, for a scan without a pattern (names_word).
_WORD_BYTES = frozenset(byte for byte in range(256) if re.fullmatch(b"[" + _WORD_BYTE + b"]", bytes([byte])))


def names_word(data: bytes, word: str) -> bool:
    """Whether `data` holds `word` as `id_pattern([word])` finds it (git grep's whole word under
    LC_ALL=C): for one word in a few files, without compiling a pattern."""
    needle = word.encode("utf-8", "surrogateescape")
    if not needle or b"\n" in needle:
        return False
    at = data.find(needle)
    while at >= 0:
        end = at + len(needle)
        if (at == 0 or data[at - 1] not in _WORD_BYTES) and (end == len(data) or data[end] not in _WORD_BYTES):
            return True
        at = data.find(needle, at + 1)
    return False


def _alternatives(node: _Trie) -> bytes:
    ends_here = -1 in node
    # The bytes that end an id here are one class, `[0-9]`, not ten alternatives: the pattern
    # compiles in a fraction of the time (sre's compiler is Python).
    last = [byte for byte, rest in sorted(node.items()) if byte != -1 and rest.keys() == {-1}]
    branches = [re.escape(bytes([byte])) + _alternatives(rest) for byte, rest in sorted(node.items()) if byte != -1 and rest.keys() != {-1}]
    if len(last) == 1:
        branches.append(re.escape(bytes(last)))
    elif last:
        branches.append(b"[" + b"".join(re.escape(bytes([byte])) for byte in last) + b"]")
    if not branches:
        return b""
    if len(branches) == 1 and not ends_here:
        return branches[0]
    return b"(?:" + b"|".join(branches) + b")" + (b"?" if ends_here else b"")


class _KeptAtCommit:
    """A search at a commit: the kept answer, or a scan of the files (`git grep`, started now,
    where the scan cannot answer exactly) whose answer is kept."""

    def __init__(self, git_top: Path, commit: str, words: list[str], folders: list[str]) -> None:
        self.git_top, self.content = git_top, _content_id(commit, words, folders)
        self.kept = cachestore.load(git_top, KIND, self.content, _paths)
        self.job: Search | None = None
        if self.kept is None:
            scan = scannable(words, folders)
            self.job = _ScanAtCommit(git_top, commit, words, folders) if scan else gitio.GrepJob(git_top, commit, words, folders)

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
