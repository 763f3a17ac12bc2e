"""Finding the spec repo and reading its `reqtrace.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import gitio
from .errors import NotASpecRepo
from .model import ERROR, Config, Finding
from .parse import Parsed, read_yaml_file, text_of
from .schema import validate

CONFIG_FILE = "reqtrace.yaml"


@dataclass(frozen=True)
class SpecRepo:
    """Where a spec repo lives: its folder, and the git work tree that holds it."""

    root: Path
    git_top: Path | None
    prefix: str  # the root relative to git_top, '' or 'examples/clinic/'

    def git_path(self, path: str) -> str:
        return self.prefix + path


def find_spec_repo(root: Path | None = None, start: Path | None = None) -> SpecRepo:
    """The spec repo at `root`, or the first folder with a reqtrace.yaml above `start`."""
    if root is not None:
        folder = Path(root).resolve()
        if not (folder / CONFIG_FILE).is_file():
            raise NotASpecRepo(
                f"{folder} is not a spec repo: it has no {CONFIG_FILE}",
                hint=f"run `reqtrace init {root}` to make one",
            )
    else:
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                break
        else:
            raise NotASpecRepo(
                f"no {CONFIG_FILE} in {here} or any folder above it",
                hint="run `reqtrace init` to make a spec repo here, or pass --root DIR",
            )
    top = gitio.toplevel(folder)
    prefix = ""
    if top is not None:
        relative = folder.relative_to(top.resolve()).as_posix()
        prefix = "" if relative == "." else relative + "/"
    return SpecRepo(folder, top, prefix)


def _safe_folder(value: str) -> bool:
    path = PurePosixPath(value)
    return bool(value.strip()) and not path.is_absolute() and ".." not in path.parts and "\\" not in value


def parse_config(data: bytes) -> tuple[Config, list[Finding]]:
    """The configuration, and any problem with it (defaults stand in for bad values)."""
    parsed = Parsed()
    loaded = read_yaml_file(CONFIG_FILE, data, parsed)
    findings = [Finding("config", f.severity, f.message, f.path, f.line) for f in parsed.findings]
    if loaded is None:
        return Config(project="(unreadable reqtrace.yaml)"), findings
    if not isinstance(loaded, dict):
        findings.append(Finding("config", ERROR, "reqtrace.yaml must be a mapping (project: …, paths: …)", CONFIG_FILE, 1))
        return Config(project="(unreadable reqtrace.yaml)"), findings
    for problem in validate(loaded, "config", getattr(loaded, "line", 1)):
        findings.append(Finding("config", ERROR, problem.message, CONFIG_FILE, problem.line))
    paths = loaded.get("paths") if isinstance(loaded.get("paths"), dict) else {}
    folders = {}
    for key, default in (("requirements", "specs"), ("records", "records"), ("baselines", "baselines")):
        value = paths.get(key, default)
        if not isinstance(value, str) or not _safe_folder(value):
            findings.append(Finding("config", ERROR, f"paths.{key} must be a folder inside the spec repo, like '{default}' (got {value!r})", CONFIG_FILE, getattr(paths, "lines", {}).get(key, 1)))
            value = default
        folders[key] = PurePosixPath(value).as_posix().rstrip("/")
    pattern = loaded.get("id_pattern", Config.id_pattern)
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as exc:
            findings.append(Finding("config", ERROR, f"id_pattern is not a valid regular expression: {exc}", CONFIG_FILE, loaded.lines.get("id_pattern", 1)))
            pattern = Config.id_pattern
    else:
        pattern = Config.id_pattern
    drift = loaded.get("drift")
    config = Config(
        project=text_of(loaded.get("project")) or "(no project name)",
        customer=text_of(loaded.get("customer")) or None,
        requirements_dir=folders["requirements"],
        records_dir=folders["records"],
        baselines_dir=folders["baselines"],
        id_pattern=pattern,
        drift=drift if drift in ("warn", "error", "off") else None,
    )
    return config, findings
