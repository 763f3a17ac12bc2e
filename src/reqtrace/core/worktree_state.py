"""Which spec and record files the working tree holds uncommitted.

`decide`, `triage --write` and `new` write files and leave committing to the
user; a command that reads HEAD by default would otherwise silently leave out
what was just decided. Commands ask here, then refuse (`pack build`) or say
so in one line (`log`).
"""

from __future__ import annotations

import fnmatch

from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import Config
from reqtrace.io import gitio
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

