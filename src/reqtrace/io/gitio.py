"""The one module that talks to git.

Every call is an argument list (never a shell), runs with the `GIT_*`
variables a hook may have inherited scrubbed, and reads NUL-separated output.
User revisions are resolved once to a full commit id; only ids are passed on.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from reqtrace.errors import GitError, RevisionError, ToolMissing
from reqtrace.io.files import TEMP_PATTERN, atomic_write

_SCRUBBED = (
    "GIT_DIR",
    "GIT_INDEX_FILE",
    "GIT_WORK_TREE",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run_git(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=repo,
            input=input,
            capture_output=True,
            env=git_env(env),
            check=False,
        )
    except FileNotFoundError:
        raise ToolMissing("git is not installed or not on PATH", hint="install git") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc


def git_text(repo: Path, *args: str) -> str:
    return run_git(repo, *args).stdout.decode("utf-8", "replace").strip()


def toplevel(path: Path) -> Path | None:
    """The work tree root of the git repository holding `path`, or None."""
    proc = run_git(path, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode("utf-8", "surrogateescape").strip())


def is_shallow(repo: Path) -> bool:
    return git_text(repo, "rev-parse", "--is-shallow-repository") == "true"


def head_and_shallow(repo: Path) -> tuple[str | None, bool]:
    """(HEAD's commit id or None before the first commit, whether the clone is shallow), in one git call."""
    proc = run_git(repo, "rev-parse", "--is-shallow-repository", "--verify", "--quiet", "HEAD^{commit}", check=False)
    lines = proc.stdout.decode("ascii", "replace").split()
    shallow = bool(lines) and lines[0] == "true"
    return (lines[1] if proc.returncode == 0 and len(lines) == 2 else None), shallow


def check_revision_text(rev: str) -> None:
    if not rev or rev.startswith("-") or "\x00" in rev or "\n" in rev:
        raise RevisionError(
            f"'{rev}' is not a revision name (it starts with '-' or is empty); "
            "name a branch, tag, commit id or baseline",
        )


def resolve_commit(repo: Path, rev: str) -> str | None:
    """The full commit id `rev` names, or None when it names no commit."""
    check_revision_text(rev)
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("ascii").strip()


def missing_revision(repo: Path, rev: str) -> RevisionError:
    """The error for a revision that does not resolve, with the fix for shallow clones."""
    if is_shallow(repo):
        return RevisionError(
            f"revision '{rev}' is not in this clone, which is shallow",
            hint="fetch the full history: `git fetch --unshallow --tags`, "
            "or in GitHub Actions set `fetch-depth: 0` on actions/checkout",
        )
    return RevisionError(
        f"unknown revision '{rev}'",
        hint="name a branch, tag, commit id or baseline (`git tag -l`, `reqtrace baseline list`)",
    )


def head_commit(repo: Path) -> str | None:
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    return proc.stdout.decode("ascii").strip() if proc.returncode == 0 else None


class TreeEntry(NamedTuple):  # a tuple: built 160,000 times for a large tree, three times faster than a frozen dataclass
    mode: str
    oid: str
    size: int
    path: str  # relative to the repository top, '/'-separated

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


UNKNOWN_SIZE = -1


def list_tree(repo: Path, commit: str, paths: Iterable[str], *, sizes: bool = True) -> list[TreeEntry]:
    """Every blob under `paths` at `commit`, in one `ls-tree` call.

    Sizes make git read every object's header (0.35 s for 160,000 blobs);
    without `sizes` each entry's size is UNKNOWN_SIZE.
    """
    args = ["ls-tree", "-r", "-z", *(["-l"] if sizes else []), "--full-tree", commit, "--", *paths]
    out = run_git(repo, *args).stdout
    entries = []
    for record in out.split(b"\x00"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        fields = meta.split()
        if fields[1] != b"blob":
            continue  # submodules (commit entries) hold no spec text
        size = (int(fields[3]) if fields[3] != b"-" else 0) if sizes else UNKNOWN_SIZE
        entries.append(TreeEntry(fields[0].decode(), fields[2].decode(), size, path.decode("utf-8", "surrogateescape")))
    return entries


def read_blobs(repo: Path, oids: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (oid, content) for each id, through one `git cat-file --batch` stream."""
    for oid, data in read_blobs_capped(repo, oids, None):
        assert data is not None
        yield oid, data


def read_blobs_capped(repo: Path, oids: list[str], max_size: int | None) -> Iterator[tuple[str, bytes | None]]:
    """Like `read_blobs`, but a blob larger than `max_size` yields None and is never held in memory."""
    for oid, found, _kind, data in _cat_file(repo, oids, max_size):
        if found is None:
            raise GitError(f"git cat-file could not read object {oid}")
        yield oid, data


def read_named(repo: Path, names: list[str], max_size: int | None = None) -> Iterator[tuple[str, str | None, str | None, bytes | None]]:
    """(name, object id, type, content) for object names such as `REV^{commit}` or `COMMIT:path`,
    through one `git cat-file --batch`; id and type are None for a name that names nothing,
    content None for an object larger than `max_size`."""
    return _cat_file(repo, names, max_size)


# A folder holding at least this many of the paths asked for is listed once instead.
LIST_FOLDER_AT = 256


def read_at_commit(repo: Path, commit: str, paths: list[str], max_size: int | None = None) -> Iterator[tuple[str, str | None, str | None, bytes | None]]:
    """(path, object id, type, content) for each of `paths` at `commit`, in order: what
    `read_named` answers for `COMMIT:path`, without its cost in a large folder.

    git finds `COMMIT:path` by reading the folder's tree and scanning it entry by entry,
    once per name: for thousands of files in a folder of 25,000 (a records folder of a
    large spec repo) that is quadratic (seconds of git's CPU). A folder holding
    LIST_FOLDER_AT or more of the paths is listed once (`ls-tree`, not recursive) and its
    files read by blob id; the other paths are read by name.
    """
    folders = Counter(path.rpartition("/")[0] for path in paths)
    listed_folders = sorted(folder for folder, count in folders.items() if folder and count >= LIST_FOLDER_AT)
    listed_folders_set = set(listed_folders)
    listed: dict[str, str] = {}  # path -> blob id, in the folders listed
    if listed_folders:
        args = ["ls-tree", "-z", "-t", "--full-tree", commit, "--", *(folder + "/" for folder in listed_folders)]
        for record in run_git(repo, *args, env={"GIT_LITERAL_PATHSPECS": "1"}).stdout.split(b"\x00"):
            if record:
                meta, _, name = record.partition(b"\t")
                listed[name.decode("utf-8", "surrogateescape")] = meta.split()[2].decode("ascii")
    names: dict[str, str] = {}  # path -> the object name it is read by
    for path in paths:
        if path.rpartition("/")[0] not in listed_folders_set:
            names[path] = f"{commit}:{path}"
        elif path in listed:
            names[path] = listed[path]
    read = dict(zip(names, _cat_file(repo, list(names.values()), max_size), strict=True))
    for path in paths:
        found = read.get(path)
        yield (path, None, None, None) if found is None else (path, found[1], found[2], found[3])


def _cat_file(repo: Path, names: list[str], max_size: int | None) -> Iterator[tuple[str, str | None, str | None, bytes | None]]:
    if not names:
        return
    if any("\n" in name for name in names):
        raise GitError("an object name cannot contain a line break")
    try:
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch", "--buffer"],
            cwd=repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(),
        )
    except FileNotFoundError:
        raise ToolMissing("git is not installed or not on PATH", hint="install git") from None
    assert proc.stdin is not None and proc.stdout is not None
    request = ("\n".join(names) + "\n").encode("utf-8", "surrogateescape")

    def feed() -> None:
        # A separate writer: with both pipes full a single thread would deadlock.
        try:
            proc.stdin.write(request)  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for name in names:
            header = out.readline()
            parts = header.split()
            if not parts:
                raise GitError(f"git cat-file stopped before reading {name}")
            if parts[-1] in (b"missing", b"ambiguous") or len(parts) != 3:
                yield name, None, None, None
                continue
            oid, kind, size = parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2])
            if max_size is not None and size > max_size:
                while size > 0:  # drain the stream in pieces; the content is not wanted
                    size -= len(out.read(min(size, 1 << 20)) or b"x" * size)
                out.read(1)
                yield name, oid, kind, None
                continue
            data = out.read(size)
            out.read(1)  # the newline after each object
            yield name, oid, kind, data
    finally:
        out.close()
        writer.join()
        proc.wait()


def changed_paths(repo: Path, old: str, new: str, paths: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """(status, old oid, new oid, path) for every file that differs between two commits."""
    return [(changed.status, changed.old_oid, changed.oid, changed.path) for changed in changed_files(repo, old, new, paths)]


def commit_info(repo: Path, commit: str) -> dict[str, str]:
    """Author, dates and subject of one commit."""
    fmt = "%H%x00%an <%ae>%x00%aI%x00%cI%x00%s"
    fields = git_text(repo, "show", "-s", f"--format={fmt}", commit).split("\x00")
    return dict(zip(("commit", "author", "author_date", "commit_date", "subject"), fields, strict=False))


# --- Reading only what changed (diff, log): raw diffs, history walks, grep ---

NULL_OID = "0" * 40


@dataclass(frozen=True)
class RawChange:
    """One file that differs between two states, as `git diff --raw` reports it."""

    status: str  # A added, D deleted, M modified, T type changed
    old_mode: str
    new_mode: str
    old_oid: str  # NULL_OID when absent
    new_oid: str  # NULL_OID when absent, or not yet hashed (a working-tree file)
    path: str  # relative to the repository top


def _raw_changes(fields: list[bytes], index: int) -> tuple[list[RawChange], int]:
    """Parse consecutive `:mode mode oid oid S\\0path\\0` records from a -z split, from `index`."""
    changes = []
    while index + 1 < len(fields):
        meta = fields[index].lstrip(b"\n")
        if not meta.startswith(b":"):
            break
        old_mode, new_mode, old_oid, new_oid, status = meta[1:].decode("ascii").split()
        path = fields[index + 1].decode("utf-8", "surrogateescape")
        changes.append(RawChange(status[:1], old_mode, new_mode, old_oid, new_oid, path))
        index += 2
    return changes, index


def diff_commits(repo: Path, old: str, new: str, paths: Iterable[str]) -> list[RawChange]:
    """Every file under `paths` that differs between two commits (one `diff-tree`)."""
    out = run_git(
        repo, "diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", "--no-ext-diff",
        "--ignore-submodules", old, new, "--", *paths,
    ).stdout
    return _raw_changes(out.split(b"\x00"), 0)[0]


def diff_worktree(repo: Path, commit: str, paths: Iterable[str]) -> list[RawChange]:
    """Every file under `paths` in the working tree that differs from `commit`.

    Tracked files come from one `git diff --raw` (which trusts the index's stat
    data, so unchanged files are not read); untracked files — ignored ones too,
    as the working-tree loader reads them — from one `git ls-files --others`.
    """
    paths = list(paths)
    # Both walk the whole folder; on two cores they run side by side.
    try:
        untracked = subprocess.Popen(
            ["git", "ls-files", "-z", "--others", "--", *paths], cwd=repo,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env(),
        )
    except FileNotFoundError:
        raise ToolMissing("git is not installed or not on PATH", hint="install git") from None
    head = head_commit(repo)
    if head is None or head == commit:
        changes = {change.path: change for change in _diff_to_worktree(repo, commit, paths)}
    else:
        # `git diff COMMIT` compares COMMIT's whole tree with the index, entry by entry;
        # against HEAD the index's cache-tree skips every unchanged folder. So: COMMIT
        # to HEAD (trees only) composed with HEAD to the working tree — 4x faster on
        # 100,000 files.
        committed = {change.path: change for change in diff_commits(repo, commit, head, paths)}
        dirty = {change.path: change for change in _diff_to_worktree(repo, head, paths)}
        changes = {}
        for path in sorted(committed.keys() | dirty.keys()):
            before, after = committed.get(path), dirty.get(path)
            first = before or after  # the FROM side: where COMMIT and HEAD agree, HEAD's entry says it
            assert first is not None
            last = after or before  # the working-tree side: where it agrees with HEAD, HEAD's entry
            assert last is not None
            old_oid, old_mode = first.old_oid, first.old_mode
            new_oid, new_mode = last.new_oid, last.new_mode
            was, now = old_oid != NULL_OID and first.status != "A", last.status != "D"
            if was and now and old_oid == new_oid and new_oid != NULL_OID:
                continue  # changed and changed back
            if not was and not now:
                continue
            status = "M" if was and now else ("A" if now else "D")
            changes[path] = RawChange(status, old_mode if was else "000000", new_mode if now else "000000", old_oid if was else NULL_OID, new_oid if now else NULL_OID, path)
    others, errors = untracked.communicate()
    if untracked.returncode != 0:
        message = errors.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git ls-files failed: {message[-1] if message else untracked.returncode}")
    for raw in others.split(b"\x00"):
        if not raw:
            continue
        path = raw.decode("utf-8", "surrogateescape")
        earlier = changes.get(path)
        if earlier is not None and earlier.status == "D":
            # Removed from the index but still on disk: modified, as far as the tree goes.
            changes[path] = RawChange("M", earlier.old_mode, "100644", earlier.old_oid, NULL_OID, path)
        elif earlier is None:
            changes[path] = RawChange("A", "000000", "100644", NULL_OID, NULL_OID, path)
    return [changes[path] for path in sorted(changes)]


def _diff_to_worktree(repo: Path, commit: str, paths: list[str]) -> list[RawChange]:
    out = run_git(
        repo, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", "--no-ext-diff",
        "--ignore-submodules", commit, "--", *paths,
    ).stdout
    return _raw_changes(out.split(b"\x00"), 0)[0]


def grep_files(repo: Path, commit: str | None, words: Iterable[str], paths: Iterable[str]) -> list[str]:
    """Paths under `paths` that contain any of `words` as a whole word (one `git grep`).

    At a commit the tree is searched; with `commit` None the working tree,
    untracked and ignored files included.
    """
    return GrepJob(repo, commit, words, paths).result()


class GrepJob:
    """A `grep_files` search started now and collected later, so the caller can work meanwhile.

    git grep tries its patterns one after another, so a thousand fixed strings
    cost a thousand passes; one Perl-compatible alternation per few hundred
    words costs one. Where git lacks PCRE it falls back to fixed strings.
    """

    WORDS_PER_PATTERN = 300  # keeps each compiled alternation well inside PCRE's size limit

    def __init__(self, repo: Path, commit: str | None, words: Iterable[str], paths: Iterable[str]) -> None:
        self.repo, self.commit, self.paths = repo, commit, list(paths)
        self.words = sorted({word for word in words if word and "\n" not in word}, key=lambda w: (-len(w), w))
        self.proc: subprocess.Popen[bytes] | None = None
        if self.words:
            self._start(perl=True)

    def _start(self, *, perl: bool) -> None:
        args = ["git", "grep", "-l", "-z", "--full-name", "--no-color", "--no-textconv", "-f", "-"]
        if perl:
            chunks = [self.words[i : i + self.WORDS_PER_PATTERN] for i in range(0, len(self.words), self.WORDS_PER_PATTERN)]
            patterns = "".join(
                "(?<![A-Za-z0-9_])(?:" + "|".join(_perl_literal(word) for word in chunk) + ")(?![A-Za-z0-9_])\n" for chunk in chunks
            )
            args[2:2] = ["-P"]
        else:
            patterns = "".join(f"{word}\n" for word in self.words)
            args[2:2] = ["-w", "-F"]
        if self.commit is None:
            args += ["--untracked", "--no-exclude-standard"]
        else:
            args.append(self.commit)
        self.perl = perl
        try:
            self.proc = subprocess.Popen(
                [*args, "--", *self.paths], cwd=self.repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=git_env(),
            )
        except FileNotFoundError:
            raise ToolMissing("git is not installed or not on PATH", hint="install git") from None
        # git reads every pattern before it searches, so this write cannot wait on its output.
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(patterns.encode("utf-8"))
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.stdin = None  # written and closed: communicate() has nothing more to send

    def result(self) -> list[str]:
        if self.proc is None:
            return []
        out, err = self.proc.communicate()
        if self.proc.returncode not in (0, 1) and self.perl:  # 1: nothing matched
            self._start(perl=False)  # git without PCRE, or a pattern it refused
            return self.result()
        if self.proc.returncode not in (0, 1):
            message = err.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git grep failed: {message[-1] if message else self.proc.returncode}")
        prefix = f"{self.commit}:".encode() if self.commit else b""
        found = []
        for raw in out.split(b"\x00"):
            if raw:
                found.append((raw[len(prefix) :] if prefix and raw.startswith(prefix) else raw).decode("utf-8", "surrogateescape"))
        return found


def _perl_literal(word: str) -> str:
    # Every character that is not a letter or digit is escaped: a backslash before it is always literal in PCRE.
    return "".join(ch if ch.isalnum() and ch.isascii() else f"\\{ch}" if ch.isascii() else ch for ch in word)


@dataclass(frozen=True)
class HistoryCommit:
    commit: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    author_date: str
    commit_date: str
    message: str
    changes: tuple[RawChange, ...]


def walk_history(repo: Path, rev: str, paths: Iterable[str]) -> list[HistoryCommit]:
    """The commits that changed anything under `paths`, oldest first, with their raw diffs.

    One `git log` call. History is followed along first parents: a merge shows
    what it brought in relative to its first parent, so replaying the diffs in
    order gives the state after every listed commit.
    """
    fmt = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B"
    out = run_git(
        repo, "log", "-z", "--reverse", "--first-parent", "--diff-merges=first-parent", "--root",
        "--no-renames", "--raw", "--no-abbrev", "--no-ext-diff", "--ignore-submodules", "--no-color",
        f"--format={fmt}", rev, "--", *paths,
    ).stdout
    fields = out.split(b"\x00")
    commits = []
    index = 0
    while index + 6 < len(fields):
        head = fields[index].lstrip(b"\n")
        if not head:
            index += 1
            continue
        commit, parents, author, email, author_date, commit_date, message = (
            field.decode("utf-8", "replace") for field in (head, *fields[index + 1 : index + 7])
        )
        changes, index = _raw_changes(fields, index + 7)
        commits.append(
            HistoryCommit(commit, tuple(parents.split()), author, email, author_date, commit_date, message.strip(), tuple(changes))
        )
    return commits


@dataclass(frozen=True)
class TagRef:
    name: str  # without refs/tags/ and the prefix asked for
    object: str  # the tag object's id (for a lightweight tag: the commit's)
    commit: str  # the commit it points at
    created: str | None  # ISO 8601, the tagger's date (a lightweight tag: its commit's)


def list_tags(repo: Path, prefix: str) -> list[TagRef]:
    """Every tag under refs/tags/`prefix`, sorted by name; none when git cannot list them."""
    proc = run_git(
        repo,
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)",
        f"refs/tags/{prefix}",
        check=False,
    )
    found = []
    strip = len("refs/tags/") + len(prefix)
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        ref, oid, peeled, created = (line.split("\x00") + ["", "", ""])[:4]
        if ref[strip:] and oid:
            found.append(TagRef(ref[strip:], oid, peeled or oid, created or None))
    return found


def first_parent_chain(repo: Path, commit: str) -> list[str]:
    """`commit` and its first-parent ancestors, newest first."""
    return run_git(repo, "rev-list", "--first-parent", "--end-of-options", commit).stdout.decode("ascii").split()


def tag_commits(repo: Path, prefix: str) -> dict[str, str]:
    """Tag name (without `prefix`) -> the commit it points at, for tags under refs/tags/`prefix`."""
    return {tag.name: tag.commit for tag in list_tags(repo, prefix)}


def deleted_files(repo: Path, commit: str, paths: Iterable[str]) -> dict[str, str]:
    """Path -> the newest commit that deleted it, for every file under `paths` deleted in the
    first-parent history of `commit` (a merge counts against its first parent, so a deletion
    merged in from a branch is seen too). Whether the file came back later is the caller's look-out."""
    proc = run_git(
        repo, "log", "--first-parent", "-m", "--diff-filter=D", "--no-renames", "--name-only", "-z",
        "--format=%x01%H", "--end-of-options", commit, "--", *paths, check=False,
    )
    if proc.returncode != 0:
        return {}  # HEAD on a repository without commits: no history, nothing deleted
    out = proc.stdout
    found: dict[str, str] = {}
    current = ""
    for token in out.split(b"\x00"):
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            current = token[1:].decode("ascii")
        elif token and current:
            found.setdefault(token.decode("utf-8", "surrogateescape"), current)
    return found


def paths_changed_by_commits(repo: Path, since: str, head: str, paths: Iterable[str]) -> dict[str, list[str]]:
    """Commit -> the files under `paths` it changed, for each commit in `since..head` that
    changed any (renames count as a delete and an add); empty when git cannot say."""
    proc = run_git(
        repo, "log", "--format=%x01%H", "--name-only", "--no-renames", "-z",
        "--end-of-options", f"{since}..{head}", "--", *paths, check=False,
    )
    found: dict[str, list[str]] = {}
    current = ""
    for token in proc.stdout.split(b"\x00"):
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            current = token[1:].decode("ascii")
        elif token and current:  # a merge lists no files (no -m): it is left out
            found.setdefault(current, []).append(token.decode("utf-8", "surrogateescape"))
    return found


def deleted_in_worktree(repo: Path, paths: Iterable[str]) -> list[str]:
    """Files under `paths` that HEAD has and the working tree (or the index) no longer has."""
    proc = run_git(repo, "diff", "--name-only", "--diff-filter=D", "--no-renames", "-z", "HEAD", "--", *paths, check=False)
    if proc.returncode != 0:
        return []  # no HEAD yet
    return [raw.decode("utf-8", "surrogateescape") for raw in proc.stdout.split(b"\x00") if raw]


def git_common_dir(repo: Path) -> Path | None:
    """The repository's shared .git folder (also from a linked worktree), or None."""
    dot_git = repo / ".git"
    if dot_git.is_dir():  # the common case answers without starting git
        return dot_git
    proc = run_git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir", check=False)
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode("utf-8", "surrogateescape").strip())


_EXCLUDED: set[Path] = set()  # repositories already seen by exclude_temp_files in this process


def exclude_temp_files(repo: Path) -> None:
    """Make `git status` ignore the temporary files an interrupted write leaves (files.TEMP_PATTERN).

    The pattern goes into the repository's own `info/exclude`, not a `.gitignore`
    the user owns and commits. Best effort: a read-only repository is left as it is.
    """
    if repo in _EXCLUDED:
        return
    _EXCLUDED.add(repo)
    proc = run_git(repo, "rev-parse", "--path-format=absolute", "--git-path", "info/exclude", check=False)
    if proc.returncode != 0:
        return
    path = Path(proc.stdout.decode("utf-8", "surrogateescape").strip())
    try:
        current = path.read_bytes() if path.exists() else b""
        if TEMP_PATTERN.encode() in current.splitlines():
            return
        separator = b"" if not current or current.endswith(b"\n") else b"\n"
        comment = b"# temporary files of an interrupted reqtrace write; `reqtrace check` names them\n"
        atomic_write(path, current + separator + comment + TEMP_PATTERN.encode() + b"\n")
    except OSError:
        pass


def index_flagged(repo: Path, paths: Iterable[str]) -> list[str]:
    """Paths under `paths` whose index entry tells `git status` not to look at the file:
    assume-unchanged (`update-index --assume-unchanged`, or `core.ignoreStat`) or
    skip-worktree. Their edits do not show in `git status`, so whoever must see every
    change reads these files themselves."""
    out = run_git(repo, "ls-files", "-v", "-z", "--", *paths).stdout
    # Almost always every entry is tagged `H` (cached, looked at): two counts in C say so
    # without splitting 100,000 entries in Python.
    if (b"\x00" + out).count(b"\x00H ") == out.count(b"\x00"):
        return []
    # `-v` tags an assume-unchanged entry with a lower-case letter; `S` is skip-worktree.
    return [m.group(1).decode("utf-8", "surrogateescape") for m in re.finditer(rb"(?:^|\x00)(?:[a-z]|S) ([^\x00]+)", out)]


# An `id:` line as spec files write it: `id: X`, `- id: X` in a list, quoted or not.
_ID_LINE_ERE = "^[[:space:]-]*id:[[:space:]]*[\"']?[A-Za-z0-9][A-Za-z0-9_.:-]*"
_ID_LINE = re.compile(r"id:\s*[\"']?([A-Za-z0-9][A-Za-z0-9_.:-]*)$")


@dataclass(frozen=True)
class BranchIds:
    """The ids written in `id:` lines at the tips of a clone's branches."""

    local: frozenset[str]  # on refs/heads/*
    remote: frozenset[str]  # on refs/remotes/* (what others have pushed, as last fetched)
    has_remotes: bool  # whether the clone has any remote-tracking branch


def ids_on_branches(repo: Path, paths: Iterable[str]) -> BranchIds:
    """The ids under `paths` at every local and remote-tracking branch, from one `git grep`
    over all their tips (a hint for choosing new ids: `check` finds real duplicates)."""
    refs = run_git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/remotes", check=False).stdout.decode("utf-8", "replace")
    local_tips: set[str] = set()
    remote_tips: set[str] = set()
    for line in refs.splitlines():
        oid, _, name = line.partition(" ")
        if name.endswith("/HEAD") and name.startswith("refs/remotes/"):
            continue  # origin/HEAD: a symbolic name for another remote branch
        (remote_tips if name.startswith("refs/remotes/") else local_tips).add(oid)
    found: dict[str, set[str]] = {}
    tips = sorted(local_tips | remote_tips)
    if tips:
        proc = run_git(repo, "grep", "-I", "-o", "-E", "--null", "-e", _ID_LINE_ERE, *tips, "--", *paths, check=False)
        # Each line is `<commit>:<path>\0<match>`.
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            where, _, match = line.rpartition("\x00")
            commit = where.partition(":")[0]
            hit = _ID_LINE.search(match.strip())
            if hit:
                found.setdefault(commit, set()).add(hit.group(1))
    local = frozenset(i for tip in local_tips for i in found.get(tip, ()))
    remote = frozenset(i for tip in remote_tips for i in found.get(tip, ()))
    return BranchIds(local, remote, bool(remote_tips))


def as_stored(repo: Path, path: str, data: bytes) -> bytes:
    """The bytes git stores for the working-tree file `path` (relative to the work tree's
    top), whose bytes are `data`; see as_stored_many."""
    return as_stored_many(repo, {path: data})[path]


def as_stored_many(repo: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """The bytes git stores for each working-tree file (path relative to the work tree's
    top -> its bytes), in three git processes whatever their number.

    A checkout may write a file other than git stores it: with `core.autocrlf=true`
    (Git for Windows' default) or an `eol=crlf` attribute every LF of a text file
    becomes CRLF, and a sha256 recorded of the stored bytes no longer matches, with
    nothing changed. When a file, cleaned as `git add` would clean it (`hash-object`
    reads it by path and applies the attributes and core.autocrlf), is the blob the
    index holds for its path, that blob is what the file is; otherwise (an edited
    file, an untracked one) the file's own bytes are. Only a file with a CR is asked
    about: a checkout's conversion always writes one.
    """
    result = dict(files)
    asked = [path for path, data in files.items() if b"\r" in data and "\n" not in path and "\r" not in path]
    if not asked:
        return result
    cleaned = run_git(repo, "hash-object", "--stdin-paths", input="".join(f"{path}\n" for path in asked).encode("utf-8", "surrogateescape"), check=False)
    listed = run_git(repo, "ls-files", "-s", "-z", "--", *asked, check=False)
    oids = cleaned.stdout.decode("ascii", "replace").split()
    if cleaned.returncode != 0 or listed.returncode != 0 or len(oids) != len(asked):
        return result
    index: dict[str, list[str]] = {}
    for entry in listed.stdout.split(b"\x00"):
        if entry:  # `<mode> <oid> <stage>\t<path>`; a path in a merge has several stages
            info, _, name = entry.partition(b"\t")
            index.setdefault(name.decode("utf-8", "surrogateescape"), []).append(info.split()[1].decode("ascii", "replace"))
    same = {path: oid for path, oid in zip(asked, oids, strict=True) if index.get(path) == [oid]}
    blobs = dict(read_blobs(repo, list(dict.fromkeys(same.values())))) if same else {}
    for path, oid in same.items():
        result[path] = blobs[oid]
    return result


def blob_id(data: bytes) -> str:
    """The id git gives `data` as a blob (`git hash-object`), without running git."""
    import hashlib

    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


_HEX_DIGITS = b"0123456789abcdef"


def _all_hex(text: str) -> bool:
    """Whether `text` is lowercase hex digits only (`[0-9a-f]*`): one table look-up a
    character in C (a regular expression's class cost nine times as much over 26,600 blob ids)."""
    return text.isascii() and not text.encode("ascii").translate(None, _HEX_DIGITS)


# Names no tree entry has (a folder's key ends in '/'): a path with '//', '.' or '..' in it, or ending in '/'.
_NOT_NAMES = frozenset({"", ".", "..", "/", "./", "../"})


def tree_id(files: dict[str, str]) -> str | None:
    """The id git gives a folder holding exactly `files` (a path inside the folder,
    '/'-separated -> its blob id, sha1) as regular files of mode 100644 and no other entry
    (`git write-tree` of such an index), without running git; None for what no tree can hold
    that way (an empty, `.` or `..` name, a NUL, a blob id that is not 40 hex digits, a name
    both a file and a folder), where the caller lists the folder instead.

    A tree is its entries in git's order (by name, a folder's name compared as if it ended
    in '/'), each `MODE NAME NUL BINARY-ID`: with no NUL in a name this says one set of
    entries, so the same id means the same files with the same bytes."""
    import hashlib

    blobs = list(files.values())
    if not set(map(len, blobs)) <= {40} or not _all_hex("".join(blobs)) or "\x00" in "".join(files):
        return None
    folders: dict[str, dict[str, str]] = {"": {}}  # folder -> {name: blob id, or sub-folder's name + '/': its path}
    for path, blob in files.items():
        parent, _, name = path.rpartition("/")
        entries = folders.get(parent)
        if entries is None:
            parts = parent.split("/")
            for depth in range(1, len(parts) + 1):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    folders[folder] = {}
                    folders["/".join(parts[: depth - 1])][parts[depth - 1] + "/"] = folder
            entries = folders[parent]
        entries[name] = blob
    for entries in folders.values():
        if not _NOT_NAMES.isdisjoint(entries) or any(name[:-1] in entries for name in entries if name.endswith("/")):
            return None
    ids: dict[str, bytes] = {}
    # The deepest folders first: a folder's entry names its sub-folders' ids.
    try:
        for folder in sorted(folders, key=lambda name: -(name.count("/") + (name != ""))):
            raw = b"".join([
                b"40000 " + name[:-1].encode() + b"\x00" + ids[value] if name.endswith("/") else b"100644 " + name.encode() + b"\x00" + bytes.fromhex(value)
                for name, value in sorted(folders[folder].items())  # str order is UTF-8's byte order
            ])
            ids[folder] = hashlib.sha1(b"tree %d\x00" % len(raw) + raw, usedforsecurity=False).digest()
    except UnicodeEncodeError:
        return None  # a name that is not text (a lone surrogate): no tree names it
    return ids[""].hex()


def object_id(repo: Path, name: str) -> str | None:
    """The id of the object `name` names (`COMMIT:path`), None when it names none."""
    return next(_cat_file(repo, [name], 0))[1]


# ---------------------------------------------------------------- writing
# Baselines are the one feature that writes to git: an annotated tag, and a
# commit of the files it wrote. Nothing here rewrites history.


def identity(repo: Path) -> str:
    """'Name <email>' of whoever git would record as committer (honours GIT_COMMITTER_*)."""
    proc = run_git(repo, "var", "GIT_COMMITTER_IDENT", check=False)
    if proc.returncode != 0:
        raise GitError(
            "git does not know who you are",
            hint='set it with `git config user.name "Your Name"` and `git config user.email you@example.com`',
        )
    ident = proc.stdout.decode("utf-8", "replace").strip()
    return ident.rsplit(">", 1)[0] + ">" if ">" in ident else ident


@dataclass(frozen=True)
class TagInfo:
    name: str  # without refs/tags/
    object: str  # the tag object's id (for a lightweight tag: the commit's)
    annotated: bool
    commit: str  # the commit it points at
    message: str


def tag_info(repo: Path, name: str) -> TagInfo | None:
    """The tag `refs/tags/<name>`, or None when it does not exist."""
    return tag_and_commit(repo, name, None)[0]


def tag_and_commit(repo: Path, name: str, commit: str | None) -> tuple[TagInfo | None, bool]:
    """`tag_info(repo, name)`, and whether `commit` (a full commit id) is a commit of the
    repository (`commit_exists`; False when None): one `git cat-file --batch` names the tag,
    the object it is, its message and the commit it points at, where four processes did."""
    ref = f"refs/tags/{name}"
    if commit is not None and ("\n" in commit or "\x00" in commit):
        commit = None  # names no object: not asked
    if "\n" in ref or "\x00" in ref:  # no tag can have such a name
        return None, commit is not None and commit_exists(repo, commit)
    names = [ref, f"{ref}^{{commit}}"] + ([f"{commit}^{{commit}}"] if commit is not None else [])
    read = list(_cat_file(repo, names, None))
    _, oid, kind, data = read[0]
    exists = commit is not None and read[2][1] is not None
    if oid is None:
        return None, exists
    pointed = read[1][1] or ""
    if kind != "tag":
        return TagInfo(name, oid, False, pointed, ""), exists
    _headers, _, message = (data or b"").decode("utf-8", "replace").partition("\n\n")
    return TagInfo(name, oid, True, pointed, message), exists


def create_annotated_tag(repo: Path, name: str, commit: str, message: str) -> str:
    """Make annotated tag `name` on `commit` (refused if it exists); return the tag object id."""
    run_git(repo, "tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit, input=message.encode("utf-8"))
    info = tag_info(repo, name)
    if info is None:  # pragma: no cover - git just made it
        raise GitError(f"git tag did not create {name}")
    return info.object


def delete_tag(repo: Path, name: str) -> None:
    run_git(repo, "tag", "-d", name)


def tracked_files(repo: Path, paths: Iterable[str]) -> list[str]:
    """The paths the index holds under `paths` (git's own names, from the top)."""
    out = run_git(repo, "ls-files", "-z", "--", *paths).stdout
    return [raw.decode("utf-8", "surrogateescape") for raw in out.split(b"\x00") if raw]


def changed_in_worktree(repo: Path, paths: Iterable[str], *, ignored: bool = False) -> list[str]:
    """Paths under `paths` that differ from HEAD: modified, staged, deleted or untracked.

    With `ignored`, also every ignored file (a folder git does not look into, such as a
    nested repository, is named with a trailing `/`), and both sides of a rename."""
    # --ignored=traditional with --untracked-files=all names each ignored file
    # (=matching names only an ignored folder, whose files could then change unseen).
    extra = ["--ignored=traditional", "--no-renames"] if ignored else []
    out = run_git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", *extra, "--", *paths).stdout
    changed = []
    records = out.split(b"\x00")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if len(record) < 4:
            continue
        changed.append(record[3:].decode("utf-8", "surrogateescape"))
        if record[:1] in (b"R", b"C"):
            index += 1  # a rename's second field is the old path
    return changed


def commit_paths(repo: Path, paths: list[str], message: str) -> str:
    """Commit exactly `paths` (new or changed files; other staged changes stay staged); the new commit id."""
    run_git(repo, "add", "--", *paths)
    run_git(repo, "commit", "-q", "--only", "-m", message, "--", *paths)
    return git_text(repo, "rev-parse", "HEAD")


def is_ancestor(repo: Path, ancestor: str, commit: str) -> bool:
    """Whether commit `ancestor` is in the history of `commit` (or is it)."""
    return run_git(repo, "merge-base", "--is-ancestor", ancestor, commit, check=False).returncode == 0


def have_common_ancestor(repo: Path, first: str, second: str) -> bool:
    """Whether two commits share any history (false for unrelated roots)."""
    return run_git(repo, "merge-base", first, second, check=False).returncode == 0


def init_repository(folder: Path, *, branch: str | None = None) -> None:
    """Make `folder` a new git repository, its first branch named `branch` (git's default otherwise)."""
    run_git(folder, "init", "-q")
    if branch is not None:
        run_git(folder, "symbolic-ref", "HEAD", f"refs/heads/{branch}")


def commit_everything(repo: Path, message: str, env: dict[str, str] | None = None) -> bool:
    """Commit every change in the working tree, unsigned and without hooks; False when there was none.

    `env` sets the author, committer and dates (GIT_AUTHOR_NAME...)."""
    run_git(repo, "add", "-A", "--", ".", env=env)
    if run_git(repo, "diff", "--cached", "--quiet", env=env, check=False).returncode == 0:
        return False
    run_git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message, env=env)
    return True


def commit_exists(repo: Path, commit: str) -> bool:
    return run_git(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0


# --- Replaying another repository's history (reqtrace import --history) ---


@dataclass(frozen=True)
class ReplayCommit:
    """One commit to build: who and when (`<epoch> <+hhmm>`), the message, and the files it
    writes (path from the repository top -> content) or deletes (-> None)."""

    author: str
    email: str
    when: str
    committed: str
    message: str
    changes: dict[str, bytes | None]


def _fast_import_ident(name: str, email: str) -> bytes:
    # fast-import refuses '<', '>' and line breaks inside a name or an address.
    # An empty name (real histories have them) is refused too: the address stands in for it.
    clean = [re.sub(r"[<>\n\r\x00]", "", part).strip() for part in (name, email)]
    return f"{clean[0] or clean[1] or 'unknown'} <{clean[1]}>".encode()


def replay_commits(repo: Path, start: str, commits: Iterable[ReplayCommit]) -> str:
    """Build `commits` on top of `start` and fast-forward the checked-out branch to the last one.

    One `git fast-import` writes every commit onto a private ref; only when the whole
    stream was accepted does `merge --ff-only` move the branch and the working tree
    (refusing, like git does, to overwrite local changes). If anything fails — the
    caller's generator included — the private ref is dropped and HEAD is where it was.
    Returns the new HEAD (`start` when there was nothing to commit).
    """
    ref = f"refs/reqtrace/import-{os.getpid()}"
    proc = subprocess.Popen(  # noqa: S603 - an argument list, no shell
        ["git", "fast-import", "--quiet", "--done"], cwd=repo, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=git_env(),
    )
    assert proc.stdin is not None
    built = 0
    try:
        parent = start
        for commit in commits:
            out = [f"commit {ref}\n".encode()]
            message = commit.message.encode("utf-8", "surrogateescape")
            out.append(b"author " + _fast_import_ident(commit.author, commit.email) + f" {commit.when}\n".encode())
            out.append(b"committer " + _fast_import_ident(commit.author, commit.email) + f" {commit.committed}\n".encode())
            out.append(f"data {len(message)}\n".encode() + message + b"\n")
            if parent:
                out.append(f"from {parent}\n".encode())
                parent = ""
            for path, data in sorted(commit.changes.items()):
                encoded = path.encode("utf-8", "surrogateescape")
                if b"\n" in encoded or encoded.startswith(b'"'):
                    raise GitError(f"cannot replay a file named {path!r}")
                if data is None:
                    out.append(b"D " + encoded + b"\n")
                else:
                    out.append(b"M 100644 inline " + encoded + f"\ndata {len(data)}\n".encode() + data + b"\n")
            proc.stdin.write(b"".join(out) + b"\n")
            built += 1
        proc.stdin.write(b"done\n")
        proc.stdin.close()
        error = proc.stderr.read() if proc.stderr else b""
        if proc.wait() != 0:
            raise GitError(f"git fast-import failed: {error.decode('utf-8', 'replace').strip()[-300:]}")
        if not built:
            return start
        run_git(repo, "-c", "core.hooksPath=/dev/null", "merge", "--ff-only", "-q", "--no-stat", ref)
        return git_text(repo, "rev-parse", "HEAD")
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    finally:
        if proc.stderr:
            proc.stderr.close()
        run_git(repo, "update-ref", "-d", ref, check=False)


# --- Committing one file without `git commit` (baseline create) ---
#
# `git commit --only PATH` refreshes every index entry and writes the whole tree again: 0.9 s
# on a 160,000-file repository for a commit that adds one file. The same commit — tree,
# parent, author, committer, message — is built here from the few trees on the file's path.
# Whatever `git commit` adds beyond that commit (hooks, a signature, its own message cleanup,
# the refusals during a merge or of an ignored file) makes `commit_file` use `git commit`.

_COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")
_IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD")
# Settings under which `git commit` makes another commit than `commit-tree` would (a signature,
# another message cleanup, an encoding header) or refuses paths (a sparse checkout).
_COMMIT_SETTINGS = r"^(commit\.gpgsign|commit\.cleanup|core\.sparsecheckout|i18n\.commitencoding)$"
_FALSE = frozenset({"false", "no", "off", "0"})
# Characters of a message whose cleanup by `git commit` is not just `_cleaned_message`'s.
_UNUSUAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def commit_file(repo: Path, path: str, message: str, *, plain: bool = False) -> str:
    """Commit the file `path` (relative to the repository top; new or changed) on HEAD, other
    staged changes staged still, as `commit_paths([path], message)` does; the new commit id.

    The same commit, index entry and reflog line as `git commit --only`, without refreshing
    the whole index; with `plain`, or when `git commit` would do more than make that commit
    (`plain_commit_reason`), through `git commit` itself.
    """
    head = None if plain else _fast_commit_head(repo, path, message)
    if head is None:
        return commit_paths(repo, [path], message)
    run_git(repo, "update-index", "--add", "--", path)
    staged = run_git(repo, "ls-files", "-s", "-z", "--", path).stdout.split(b"\x00")[0]
    meta, _, _name = staged.partition(b"\t")
    mode, oid, _stage = meta.decode("ascii").split()
    tree = _tree_with(repo, head, path, mode, oid)
    cleaned = _cleaned_message(message)
    commit = run_git(repo, "commit-tree", tree, "-p", head, "-F", "-", input=cleaned.encode("utf-8", "surrogateescape")).stdout.decode("ascii").strip()
    action = os.environ.get("GIT_REFLOG_ACTION") or "commit"
    run_git(repo, "update-ref", "-m", f"{action}: {cleaned.splitlines()[0]}", "HEAD", commit, head)
    return commit


def plain_commit_reason(repo: Path, path: str) -> str | None:
    """Why `git commit` itself must commit `path`: a commit hook to run, signing, a message
    cleanup or encoding configured, a sparse checkout, a merge, cherry-pick or revert under
    way, an ignored path, no HEAD; None when `commit_file` makes the same commit."""
    reason, _head = _commit_state(repo, path)
    return reason


def _fast_commit_head(repo: Path, path: str, message: str) -> str | None:
    if not message.strip() or _UNUSUAL_CHARACTERS.search(message):
        return None
    reason, head = _commit_state(repo, path)
    return head if reason is None else None


def _commit_state(repo: Path, path: str) -> tuple[str | None, str | None]:
    """(why `git commit` must be used, or None; HEAD's commit id)."""
    settings = run_git(repo, "config", "-z", "--get-regexp", _COMMIT_SETTINGS, check=False)
    for record in settings.stdout.split(b"\x00"):
        if not record:
            continue
        key, _, value = record.decode("utf-8", "replace").partition("\n")
        value = value.strip().lower()
        if key == "commit.gpgsign" and value in _FALSE or key == "core.sparsecheckout" and value in _FALSE:
            continue
        if key == "commit.cleanup" and value in ("default", "whitespace"):
            continue
        if key == "i18n.commitencoding" and value in ("utf-8", "utf8"):
            continue
        return f"{key} is set", None
    names = ["hooks", *_IN_PROGRESS]
    args = [part for name in names for part in ("--git-path", name)]
    found = run_git(repo, "rev-parse", *args, "HEAD", check=False)
    lines = found.stdout.decode("utf-8", "surrogateescape").splitlines()
    if found.returncode != 0 or len(lines) != len(names) + 1:
        return "HEAD is not a commit", None
    hooks = repo / lines[0]
    for hook in _COMMIT_HOOKS:
        if (hooks / hook).exists():
            return f"a {hook} hook is installed", None
    for state, line in zip(_IN_PROGRESS, lines[1:], strict=False):
        if (repo / line).exists():
            return f"{state} exists (a merge, cherry-pick or revert is under way)", None
    if run_git(repo, "check-ignore", "-q", "--", path, check=False).returncode != 1:
        return f"{path} is ignored", None
    return None, lines[-1]


def _cleaned_message(message: str) -> str:
    """The message as `git commit -m` records it (cleanup mode `whitespace`): trailing white
    space removed from each line, runs of empty lines made one, none first or last."""
    lines: list[str] = []
    for line in message.split("\n"):
        line = line.rstrip(" \t")
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _tree_with(repo: Path, head: str, path: str, mode: str, oid: str) -> str:
    """The id of HEAD's tree with `path` set to blob `oid` (`mode`): the trees on its path
    listed (`ls-tree`) and written again (`mktree`), every other tree shared."""
    parts = path.split("/")
    folders = ["/".join(parts[:depth]) for depth in range(len(parts))]  # "", "a", "a/b", …
    listings: list[dict[bytes, bytes]] = []
    for depth, folder in enumerate(folders):
        if depth and parts[depth - 1].encode("utf-8", "surrogateescape") not in listings[-1]:
            listings.append({})  # a folder HEAD does not have (the new baseline's): nothing to list
            continue
        args = ["ls-tree", "-z", "--full-tree", head, *(["--", folder + "/"] if folder else [])]
        cut = len(folder) + 1 if folder else 0
        entries = {}
        for record in run_git(repo, *args).stdout.split(b"\x00"):
            if record:
                meta, _, name = record.partition(b"\t")
                entries[name[cut:]] = meta
        listings.append(entries)
    child_mode, child_type, child = mode, "blob", oid
    for depth in range(len(folders) - 1, -1, -1):
        entries = listings[depth]
        name = parts[depth].encode("utf-8", "surrogateescape")
        present = entries.get(name)
        wanted_type = child_type.encode()
        if present is not None and present.split()[1] != wanted_type:
            raise GitError(f"cannot commit {path}: {'/'.join(parts[: depth + 1])} is a {present.split()[1].decode()} at HEAD")
        entries[name] = f"{child_mode} {child_type} {child}".encode()
        listing = b"".join(meta + b"\t" + entry_name + b"\x00" for entry_name, meta in entries.items())
        child = run_git(repo, "mktree", "-z", input=listing).stdout.decode("ascii").strip()
        child_mode, child_type = "040000", "tree"
    return child


class ChangedFile(NamedTuple):
    """A file that differs between two commits (`changed_files`)."""

    status: str  # A, M, D, T
    mode: str  # at the newer commit ("000000" when deleted)
    old_oid: str
    oid: str  # the blob id at the newer commit (zeros when deleted)
    path: str  # relative to the repository top

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


def changed_files(repo: Path, old: str, new: str, paths: Iterable[str]) -> list[ChangedFile]:
    """Every file under `paths` that differs between two commits, with its mode and blob id at
    `new`: one `diff-tree`, which is also a listing of what changed (no `ls-tree` needed)."""
    out = run_git(repo, "diff-tree", "-r", "-z", "--no-renames", "--full-index", old, new, "--", *paths).stdout
    fields = out.split(b"\x00")
    result = []
    index = 0
    while index + 1 < len(fields):
        meta = fields[index].decode()
        if not meta.startswith(":"):
            index += 1
            continue
        _old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
        result.append(ChangedFile(status, new_mode, old_oid, new_oid, fields[index + 1].decode("utf-8", "surrogateescape")))
        index += 2
    return result
