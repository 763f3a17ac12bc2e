"""Creating spec repos and new items from templates."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reqtrace.core.config import CONFIG_FILE, SpecRepo
from reqtrace.core.id_pattern import MAX_ID_LENGTH, id_matcher
from reqtrace.core.model import Config, Snapshot
from reqtrace.core.placeholders import (
    ACCEPTANCE_TEMPLATE,
    REQUEST_TEXT_TEMPLATE,
    STATEMENT_TEMPLATE,
)
from reqtrace.core.snapshot import load_snapshot
from reqtrace.errors import InputError, UsageError
from reqtrace.io import clock, gitio
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.gitattributes import write_gitattributes
from reqtrace.records.editor import SCHEMA_FOLDER, SETTINGS_FILE, install_editor_support
from reqtrace.records.id_choice import ID_TEXT, KnownIds, meeting_id, next_number


def yaml_text(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Initialised:
    root: Path
    paths: list[str] = field(default_factory=list)
    git_initialised: bool = False

    def relative_paths(self) -> list[str]:
        """What was created, relative to the root (folders end with '/')."""
        prefix = str(self.root) + os.sep
        return [path[len(prefix):].replace(os.sep, "/") if path.startswith(prefix) else path for path in self.paths]


def init_spec_repo(directory: Path, *, project: str | None = None, customer: str | None = None) -> Initialised:
    folder = Path(directory).resolve()
    config = folder / CONFIG_FILE
    # lexists: a symbolic link named reqtrace.yaml, even one pointing nowhere, is not
    # followed (writing through it would create a file wherever it points).
    if os.path.lexists(config):
        what = "is a symbolic link" if config.is_symlink() else "already exists"
        raise InputError(f"{config} {what}; reqtrace never overwrites it", hint="edit it, or choose another folder")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make the folder {folder}: {exc.strerror or exc}") from None
    result = Initialised(folder)
    # First: a .vscode/settings.json it cannot merge stops init before anything is written.
    editor = install_editor_support(folder, Config(project=project or folder.name))
    lines = [f"project: {yaml_text(project or folder.name)}"]
    if customer:
        lines.append(f"customer: {yaml_text(customer)}")
    lines += [
        "paths:",
        "  requirements: specs",
        "  records: records",
        "  baselines: baselines",
        "id_pattern: '^[A-Z][A-Z0-9]*-[0-9]+$'",
    ]
    atomic_write(config, "\n".join(lines) + "\n", exclusive=True)
    result.paths.append(str(config))
    for sub in ("specs", "records/requests", "records/meetings", "records/emails", "records/documents", "baselines"):
        keep = folder / sub / ".gitkeep"
        if not keep.exists():
            atomic_write(keep, b"")
            result.paths.append(str(folder / sub) + "/")
    attributes = write_gitattributes(folder)
    if attributes is not None:
        result.paths.append(str(attributes))
    if editor.written:
        result.paths.append(str(folder / SCHEMA_FOLDER) + "/")
    if SETTINGS_FILE in editor.written:
        result.paths.append(str(folder / SETTINGS_FILE))
    top = gitio.toplevel(folder)
    if top is None:
        gitio.init_repository(folder)
        result.git_initialised = True
        top = folder
    gitio.exclude_temp_files(top)
    return result


def requirement_prefix(ids: Iterable[str]) -> str:
    """The prefix most requirement ids use (REQ- when there are none)."""
    prefixes: dict[str, int] = {}
    for item_id in ids:
        match = re.match(r"^(.*?)(\d+)$", item_id)
        if match:
            prefixes[match.group(1)] = prefixes.get(match.group(1), 0) + 1
    return max(prefixes, key=lambda p: (prefixes[p], p)) if prefixes else "REQ-"


def known_ids(repo: SpecRepo, snapshot: Snapshot) -> KnownIds:
    """Every id this clone can see: the working tree's, and those at its branches' tips."""
    worktree = frozenset(snapshot.all_ids())
    if repo.git_top is None:
        return KnownIds(worktree)
    config = snapshot.config
    branches = gitio.ids_on_branches(repo.git_top, [repo.git_path(config.requirements_dir), repo.git_path(config.records_dir)])
    return KnownIds(worktree, branches.local, branches.remote, branches.has_remotes)


def _chosen_id(item_id: str, kind: str, config: Config, known: KnownIds, *, by_hand: bool = True) -> str:
    """The id (`--id` as given, or the one chosen) when it can name a new item and its file."""
    if not ID_TEXT.match(item_id) or len(item_id) > MAX_ID_LENGTH:
        raise UsageError(
            f"--id '{item_id}' cannot be an id: use letters, digits, '-', '_' and '.', starting with a letter or digit (at most {MAX_ID_LENGTH})"
        )
    if kind == "requirement" and not id_matcher(config.id_pattern)(item_id):
        if by_hand:
            raise UsageError(f"--id '{item_id}' does not match the id pattern {config.id_pattern!r} of reqtrace.yaml")
        raise InputError(
            f"no free id matches the id pattern {config.id_pattern!r} of reqtrace.yaml (the next would be '{item_id}')",
            hint="widen id_pattern in reqtrace.yaml, or choose an id with --id",
        )
    where = known.where(item_id)
    if where is not None:
        raise InputError(f"'{item_id}' already exists {where}", hint="choose another id, or leave --id out to get a free one")
    return item_id


def _safe_folder(folder: str | None) -> str:
    if not folder:
        return ""
    parts = [p for p in folder.replace("\\", "/").split("/") if p not in ("", ".")]
    # A part starting with '.' (`.git/hooks`) is a folder the loader never reads: the new
    # file would exist for no command. '..' and absolute paths would leave specs/.
    if any(p.startswith((".", "-")) for p in parts) or folder.startswith("/"):
        raise UsageError(
            f"--folder must be a relative folder inside specs/ (the requirements folder), with no part starting with '.' or '-' (got '{folder}')"
        )
    return "/".join(parts) + "/"


def new_item(
    repo: SpecRepo, kind: str, title: str, *, folder: str | None = None, today: dt.date | None = None, item_id: str | None = None
) -> Path:
    """Create a requirement, request or meeting from its template; its path.

    The id is `item_id` when given, else one no branch this clone can see holds
    (see records/id_choice.py: sequential alone, random runs in a team clone).
    """
    if not title.strip():
        raise UsageError("--title must not be empty")
    snapshot = load_snapshot(repo)
    config = snapshot.config
    known = known_ids(repo, snapshot)
    today = today or clock.today()
    if kind == "requirement":
        by_hand = item_id is not None
        if item_id is None:
            prefix = requirement_prefix(snapshot.requirements)
            matches = id_matcher(config.id_pattern)
            item_id = f"{prefix}{next_number(known, prefix, fits=lambda number: matches(f'{prefix}{number}'))}"
        new_id = _chosen_id(item_id, kind, config, known, by_hand=by_hand)
        relative = f"{config.requirements_dir}/{_safe_folder(folder)}{new_id}.yaml"
        body = (
            f"id: {new_id}\n"
            f"title: {yaml_text(title)}\n"
            f"statement: >\n  {STATEMENT_TEMPLATE}\n"
            f"acceptance:\n  - {ACCEPTANCE_TEMPLATE}\n"
            "priority: should\nstatus: draft\nparents: []\nsources: []\ntags: []\n"
        )
    elif kind == "request":
        new_id = _chosen_id(item_id or f"RQ-{next_number(known, 'RQ-')}", kind, config, known)
        relative = f"{config.requests_dir}/{new_id}.yaml"
        body = (
            f"id: {new_id}\nreceived: {today.isoformat()}\nfrom: \"\"\nchannel: email\n"
            f"title: {yaml_text(title)}\n"
            f"text: |\n  {REQUEST_TEXT_TEMPLATE}\n"
            "refs: []\naffects: []\n"
        )
    elif kind == "meeting":
        new_id = _chosen_id(item_id or meeting_id(known, today), kind, config, known)
        relative = f"{config.meetings_dir}/{new_id}.md"
        body = (
            f"---\nid: {new_id}\ndate: {today.isoformat()}\ntitle: {yaml_text(title)}\n"
            "attendees: []\nrefs: []\ndecisions: []\n---\n"
            f"# {title}\n\n## Notes\n\n## Decisions\n"
        )
    else:  # pragma: no cover - the CLI offers only the kinds above
        raise UsageError(f"cannot create a '{kind}'")
    path = inside(repo.root, relative)
    if path != repo.root.resolve() / relative:
        # The loader follows no symbolic link: a file written through one is never read.
        raise UsageError(f"{relative} passes through a symbolic link, and reqtrace never reads through links; choose a real folder")
    if repo.git_top is not None:
        gitio.exclude_temp_files(repo.git_top)
    try:
        atomic_write(path, body, exclusive=True)
    except FileExistsError:
        raise InputError(f"{relative} already exists; reqtrace never overwrites it") from None
    return path
