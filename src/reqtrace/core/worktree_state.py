"""Which spec and record files the working tree holds uncommitted, and the state a
result computed from the spec files is kept under.

`decide`, `triage --write` and `new` write files and leave committing to the
user; a command that reads HEAD by default would otherwise silently leave out
what was just decided. Commands ask here, then refuse (`pack build`) or say
so in one line (`log`).

`current_state` names exactly what the spec files are — a commit, or HEAD plus
the content hash of every spec, record and baseline file that differs from it,
with the baseline tags — so that what is computed from them (the evidence graph,
status's inputs, a whole diff) can be kept under that name and found again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import Config
from reqtrace.io import gitio
from reqtrace.io.cachefile import read_regular
from reqtrace.io.files import TEMP_PATTERN

# How many file names a message lists before it says "and N more".
SHOWN_FILES = 5


def uncommitted_files(repo: SpecRepo, config: Config) -> list[str]:
    """Files under the requirements, records and baselines folders (and reqtrace.yaml)
    that differ from HEAD — modified, staged, deleted or new — relative to the spec
    root; empty outside git or before the first commit."""
    if repo.git_top is None or gitio.head_commit(repo.git_top) is None:
        return []
    folders = [config.requirements_dir, config.records_dir, config.baselines_dir, CONFIG_FILE]
    changed = gitio.changed_in_worktree(repo.git_top, [repo.git_path(folder) for folder in folders])
    relative = (path[len(repo.prefix) :] if path.startswith(repo.prefix) else path for path in changed)
    # A leftover temporary file of an interrupted write is no content (`check` names it).
    return sorted(path for path in relative if not fnmatch.fnmatch(path.rsplit("/", 1)[-1], TEMP_PATTERN))


def file_list(paths: list[str]) -> str:
    """'a, b and c' — at most SHOWN_FILES names, then how many more."""
    shown = paths[:SHOWN_FILES]
    rest = len(paths) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def worktree_config(repo: SpecRepo) -> Config | None:
    """The configuration in the working tree's reqtrace.yaml; None when it cannot be read
    (the command's own loading says why)."""
    try:
        return parse_config((repo.root / CONFIG_FILE).read_bytes())[0]
    except OSError:
        return None


def committed_only_note(repo: SpecRepo, what: str) -> str | None:
    """One line for a command that reads HEAD while the working tree differs, or None."""
    config = worktree_config(repo)
    changed = uncommitted_files(repo, config) if config is not None else []
    if not changed:
        return None
    return f"{what} is as of HEAD; the working tree has uncommitted changes to {file_list(changed)}"


# --- the state kept results are named by ---------------------------------------

MAX_CHANGED_FILES = 2000  # beyond this, hashing the changes costs what computing does


@dataclass
class SpecState:
    """What the spec files are: what a graph (or another kept result) is computed from."""

    commit: str  # the commit read; for the working tree, HEAD
    worktree: bool
    changes: dict[str, str] = field(default_factory=dict)  # working tree: git path -> content hash or 'gone'
    tags: str = ""  # the baseline/* tags and what they point at

    def plain(self) -> tuple[Any, ...]:
        return (self.commit, self.worktree, self.changes, self.tags)


def spec_folders(repo: SpecRepo, config: Config) -> list[str]:
    """The git paths the spec is read from: the config file and the scanned folders."""
    return [repo.git_path(folder) for folder in (CONFIG_FILE, config.requirements_dir, config.records_dir, config.baselines_dir)]


def _content_hash(full: Path) -> str:
    try:
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            return "link:" + os.readlink(full)
    except FileNotFoundError:
        return "gone"
    except OSError:
        return "unreadable"
    # Never blocks: a FIFO or device put among the spec files is hashed by its kind.
    data = read_regular(full)
    return hashlib.sha256(data).hexdigest() if data is not None else f"special:{stat.S_IFMT(info.st_mode)}"


def _worktree_changes(repo: SpecRepo, config: Config) -> dict[str, str] | None:
    """git path -> content hash (or 'gone') for every spec file that differs from HEAD;
    None when there are too many to be worth hashing."""
    assert repo.git_top is not None
    # Ignored files too, each by name: the loader reads ignored files like any other.
    changes: dict[str, str] = {}
    for listed in gitio.changed_in_worktree(repo.git_top, spec_folders(repo, config), ignored=True):
        path = listed.rstrip("/")
        full = repo.git_top / path
        if full.is_dir() and not full.is_symlink():
            # A folder git does not look into (a nested repository): every file in it.
            for folder, _dirs, names in os.walk(full):
                for name in names:
                    inner = Path(folder) / name
                    changes[inner.relative_to(repo.git_top).as_posix()] = _content_hash(inner)
        else:
            changes[path] = _content_hash(full)
        if len(changes) > MAX_CHANGED_FILES:
            return None
    # `git status` trusts an assume-unchanged or skip-worktree entry without looking at
    # the file: an edit to it would leave the cached graph (and its old titles) in use.
    # Those few files are hashed every time instead (listing them costs ~0.03 s at 60,000).
    for path in gitio.index_flagged(repo.git_top, spec_folders(repo, config)):
        if path not in changes:
            changes[path] = _content_hash(repo.git_top / path)
    if len(changes) > MAX_CHANGED_FILES:
        return None
    return dict(sorted(changes.items()))


def _tags(repo: SpecRepo) -> str:
    assert repo.git_top is not None
    return "".join(f"refs/tags/baseline/{tag.name}\x00{tag.object}\n" for tag in gitio.list_tags(repo.git_top, "baseline/"))


def current_state(repo: SpecRepo, config: Config, commit: str | None) -> SpecState | None:
    """The state of the spec files at `commit` (None: the working tree); None when it cannot
    be named cheaply (no git, no commit yet, too many changes): then nothing is kept."""
    if repo.git_top is None:
        return None
    if commit is not None:
        return SpecState(commit, False, {}, _tags(repo))
    head = gitio.head_commit(repo.git_top)
    if head is None:
        return None
    changes = _worktree_changes(repo, config)
    if changes is None:
        return None
    return SpecState(head, True, changes, _tags(repo))
