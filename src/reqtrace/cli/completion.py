"""Names to offer when a shell completes a command line: requirement ids, record ids and
baseline names of the spec repo in the current folder (or --root).

A shell asks on every Tab, so this reads file and folder names only, never a file's
content (reqtrace.yaml aside, for where the folders are): by the naming convention
that `reqtrace new` and `ingest` follow, a file `REQ-7.yaml` holds REQ-7 and
`baselines/contract-v1.0/` is the baseline contract-v1.0. A file named otherwise is
not offered; that is all it costs. Nothing here may fail: a completion that raises
prints a traceback into the user's prompt, so every problem yields fewer names.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILE = "reqtrace.yaml"
DEFAULT_FOLDERS = {"requirements": "specs", "records": "records", "baselines": "baselines"}
# Record folders whose file names are not ids (documents keep the name they came with).
_NOT_BY_ID = {"documents"}
_ID_STEM = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[A-Za-z0-9][A-Za-z0-9_.-]*")
_ID_SUFFIXES = (".yaml", ".yml", ".md", ".eml")
MAX_NAMES = 20_000  # a bound on the walk: completion must answer at once
MAX_CONFIG_BYTES = 64 * 1024


@dataclass
class RepoNames:
    requirements: list[str] = field(default_factory=list)
    records: dict[str, list[str]] = field(default_factory=dict)  # record kind (its folder) -> ids
    baselines: list[str] = field(default_factory=list)


def find_root(root: Path | None = None, start: Path | None = None) -> Path | None:
    """The spec repo's folder: `root`, or the first folder with reqtrace.yaml above `start`."""
    try:
        if root is not None:
            return root if (root / CONFIG_FILE).is_file() else None
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return folder
    except (OSError, RuntimeError, ValueError):
        pass
    return None


def _folders(root: Path) -> dict[str, Path]:
    """Where the requirements, records and baselines are; reqtrace.yaml's `paths` when readable."""
    folders = dict(DEFAULT_FOLDERS)
    try:
        config = root / CONFIG_FILE
        if not config.is_symlink() and config.stat().st_size <= MAX_CONFIG_BYTES:
            import yaml  # only when completing: not on any other command's path

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(config.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
            paths = data.get("paths") if isinstance(data, dict) else None
            if isinstance(paths, dict):
                folders.update({key: value for key, value in paths.items() if key in folders and isinstance(value, str)})
    except Exception:  # noqa: BLE001, S110 - any problem: the defaults (check reports the config)
        pass
    resolved_root = root.resolve()
    inside = {}
    for key, value in folders.items():
        folder = (root / value).resolve()
        if folder == resolved_root or resolved_root in folder.parents:  # never walk outside the repo
            inside[key] = folder
    return inside


def _id_of(file_name: str) -> str | None:
    if not file_name.endswith(_ID_SUFFIXES) or file_name.startswith("."):
        return None
    stem = file_name.split(".", 1)[0]  # MAIL-3fa2c1d0e9.eml.yaml holds MAIL-3fa2c1d0e9
    return stem if _ID_STEM.fullmatch(stem) else None


def _walk_ids(folder: Path, budget: list[int]) -> list[str]:
    """The ids named by the files below `folder`; `budget` bounds the entries looked at."""
    found: set[str] = set()
    stack = [folder]
    while stack and budget[0] > 0:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    budget[0] -= 1
                    if budget[0] <= 0:
                        break
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        name = _id_of(entry.name)
                        if name:
                            found.add(name)
        except OSError:
            continue
    return sorted(found)


def repo_names(root: Path | None = None, start: Path | None = None) -> RepoNames:
    """The names a shell may complete, from the spec repo's file names (see the module)."""
    names = RepoNames()
    try:
        folder = find_root(root, start)
        if folder is None:
            return names
        folders = _folders(folder)
        budget = [MAX_NAMES]
        if "requirements" in folders:
            names.requirements = _walk_ids(folders["requirements"], budget)
        records = folders.get("records")
        if records is not None and records.is_dir():
            for entry in sorted(os.scandir(records), key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and entry.name not in _NOT_BY_ID:
                    names.records[entry.name] = _walk_ids(Path(entry.path), budget)
        baselines = folders.get("baselines")
        if baselines is not None and baselines.is_dir():
            names.baselines = sorted(
                entry.name for entry in os.scandir(baselines)
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and (Path(entry.path) / "manifest.yaml").is_file()
            )
    except Exception:  # noqa: BLE001, S110 - a completion never fails; it offers less
        pass
    return names
