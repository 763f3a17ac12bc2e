"""Creating spec repos and new items from templates."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import gitio
from .config import CONFIG_FILE, SpecRepo
from .editor import SCHEMA_FOLDER, SETTINGS_FILE, install_editor_support
from .errors import InputError, UsageError
from .files import atomic_write, inside
from .model import Config, sequence_number
from .snapshot import load_snapshot


def yaml_text(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Initialised:
    paths: list[str] = field(default_factory=list)
    git_initialised: bool = False


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
    result = Initialised()
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
    if editor.written:
        result.paths.append(str(folder / SCHEMA_FOLDER) + "/")
    if SETTINGS_FILE in editor.written:
        result.paths.append(str(folder / SETTINGS_FILE))
    top = gitio.toplevel(folder)
    if top is None:
        gitio.run_git(folder, "init", "-q")
        result.git_initialised = True
        top = folder
    gitio.exclude_temp_files(top)
    return result


def _number(item_id: str) -> int:
    match = re.search(r"(\d+)$", item_id)
    return sequence_number(match.group(1)) if match else 0


def next_requirement_id(ids: list[str]) -> str:
    """The next id after the highest, in the prefix most ids use (REQ when there are none)."""
    prefixes: dict[str, int] = {}
    for item_id in ids:
        match = re.match(r"^(.*?)(\d+)$", item_id)
        if match:
            prefixes[match.group(1)] = prefixes.get(match.group(1), 0) + 1
    prefix = max(prefixes, key=lambda p: (prefixes[p], p)) if prefixes else "REQ-"
    highest = max((_number(i) for i in ids if i.startswith(prefix)), default=0)
    return f"{prefix}{highest + 1}"


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


def new_item(repo: SpecRepo, kind: str, title: str, *, folder: str | None = None, today: dt.date | None = None) -> Path:
    if not title.strip():
        raise UsageError("--title must not be empty")
    snapshot = load_snapshot(repo)
    config = snapshot.config
    ids = sorted(snapshot.all_ids())
    today = today or dt.date.today()
    if kind == "requirement":
        new_id = next_requirement_id(list(snapshot.requirements))
        relative = f"{config.requirements_dir}/{_safe_folder(folder)}{new_id}.yaml"
        body = (
            f"id: {new_id}\n"
            f"title: {yaml_text(title)}\n"
            "statement: >\n  Describe what the system shall do, in one or two sentences.\n"
            "acceptance:\n  - A criterion a tester can check, with numbers and units.\n"
            "priority: should\nstatus: draft\nparents: []\nsources: []\ntags: []\n"
        )
    elif kind == "request":
        highest = max((_number(i) for i in snapshot.requests), default=0)
        new_id = f"RQ-{highest + 1}"
        relative = f"{config.requests_dir}/{new_id}.yaml"
        body = (
            f"id: {new_id}\nreceived: {today.isoformat()}\nfrom: \"\"\nchannel: email\n"
            f"title: {yaml_text(title)}\n"
            "text: |\n  What the customer asked for, in their words.\n"
            "refs: []\naffects: []\n"
        )
    elif kind == "meeting":
        new_id = f"MTG-{today.isoformat()}"
        suffix = 2
        while new_id in ids:
            new_id = f"MTG-{today.isoformat()}-{suffix}"
            suffix += 1
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
