"""The one module that talks to git.

Every call is an argument list (never a shell), runs with the `GIT_*`
variables a hook may have inherited scrubbed, and reads NUL-separated output.
User revisions are resolved once to a full commit id; only ids are passed on.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import GitError, RevisionError, ToolMissing

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


def common_dir(path: Path) -> Path | None:
    """The repository's shared git folder (`.git`, also for linked work trees), or None."""
    proc = run_git(path, "rev-parse", "--git-common-dir", check=False)
    if proc.returncode != 0:
        return None
    return (Path(path) / proc.stdout.decode("utf-8", "surrogateescape").strip()).resolve()


def is_shallow(repo: Path) -> bool:
    return git_text(repo, "rev-parse", "--is-shallow-repository") == "true"


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


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    oid: str
    size: int
    path: str  # relative to the repository top, '/'-separated

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


def list_tree(repo: Path, commit: str, paths: Iterable[str]) -> list[TreeEntry]:
    """Every blob under `paths` at `commit`, with sizes, in one `ls-tree` call."""
    args = ["ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--", *paths]
    out = run_git(repo, *args).stdout
    entries = []
    for record in out.split(b"\x00"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid, size = meta.split()
        if kind != b"blob":
            continue  # submodules (commit entries) hold no spec text
        entries.append(
            TreeEntry(
                mode.decode(),
                oid.decode(),
                int(size) if size != b"-" else 0,
                path.decode("utf-8", "surrogateescape"),
            )
        )
    return entries


def read_blobs(repo: Path, oids: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (oid, content) for each id, through one `git cat-file --batch` stream."""
    if not oids:
        return
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
    request = ("\n".join(oids) + "\n").encode("ascii")

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
        for oid in oids:
            header = out.readline()
            parts = header.split()
            if len(parts) != 3:
                raise GitError(f"git cat-file could not read object {oid}")
            size = int(parts[2])
            data = out.read(size)
            out.read(1)  # the newline after each object
            yield oid, data
    finally:
        out.close()
        writer.join()
        proc.wait()


def changed_paths(repo: Path, old: str, new: str, paths: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """(status, old oid, new oid, path) for every file that differs between two commits."""
    out = run_git(
        repo, "diff-tree", "-r", "-z", "--no-renames", "--full-index", old, new, "--", *paths
    ).stdout
    fields = out.split(b"\x00")
    result = []
    index = 0
    while index + 1 < len(fields):
        meta = fields[index].decode()
        if not meta.startswith(":"):
            index += 1
            continue
        _old_mode, _new_mode, old_oid, new_oid, status = meta[1:].split()
        path = fields[index + 1].decode("utf-8", "surrogateescape")
        result.append((status, old_oid, new_oid, path))
        index += 2
    return result


def commit_info(repo: Path, commit: str) -> dict[str, str]:
    """Author, dates and subject of one commit."""
    fmt = "%H%x00%an <%ae>%x00%aI%x00%cI%x00%s"
    fields = git_text(repo, "show", "-s", f"--format={fmt}", commit).split("\x00")
    return dict(zip(("commit", "author", "author_date", "commit_date", "subject"), fields, strict=False))
