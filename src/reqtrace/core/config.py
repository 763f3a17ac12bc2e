"""Finding the spec repo and reading its `reqtrace.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from reqtrace.core.id_pattern import UnsupportedPattern, id_matcher
from reqtrace.core.model import ERROR, WARNING, Config, Finding
from reqtrace.core.parse import Parsed, entries_of, read_yaml_file, text_of, texts_of
from reqtrace.core.people import people_from
from reqtrace.core.schema import validate
from reqtrace.errors import InputError, NotASpecRepo
from reqtrace.io import gitio

CONFIG_FILE = "reqtrace.yaml"


@dataclass(frozen=True)
class SpecRepo:
    """Where a spec repo lives: its folder, and the git work tree that holds it."""

    root: Path
    git_top: Path | None
    prefix: str  # the root relative to git_top, '' or 'examples/<name>/'

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
    if (folder / CONFIG_FILE).is_symlink():
        # Read from inside the repo only: a link could name any file on the machine
        # (and at a revision git stores the link's target text, not that file).
        raise InputError(
            f"{folder / CONFIG_FILE} is a symbolic link; reqtrace reads its configuration only from a real file inside the spec repo",
            hint=f"replace the link with a copy of the file it points to (cp -L {CONFIG_FILE} {CONFIG_FILE}.new && mv {CONFIG_FILE}.new {CONFIG_FILE})",
        )
    top = gitio.toplevel(folder)
    prefix = ""
    if top is not None:
        relative = folder.relative_to(top.resolve()).as_posix()
        prefix = "" if relative == "." else relative + "/"
    return SpecRepo(folder, top, prefix)


MAX_FOLDER_BYTES = 1024

# Characters of a shell pattern: `specs/*` is not a folder, and nothing expands it.
_GLOB = frozenset("*?[]{}")


def folder_problem(value: object, example: str = "specs") -> str | None:
    """Why `value` cannot be one of the folders of paths:, or None when it can.

    A folder is a relative path inside the spec repo, below its root: the root
    itself holds reqtrace.yaml, the records and the baselines, so `.` would read
    all of them as requirements (and finds nothing today: paths are matched by
    folder prefix). Hidden folders (`.git`, `.cache`) are never read by the
    working-tree loader, so naming one would read nothing.
    """
    if not isinstance(value, str) or not value.strip():
        return f"must name a folder inside the spec repo, like '{example}'"
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        return f"must be a folder inside the spec repo, like '{example}'"
    if _GLOB.intersection(value):
        return f"is a pattern, not a folder; name one folder, like '{example}'"
    if not path.parts:
        return f"is the root of the spec repo; keep requirements in a folder of their own, like '{example}'"
    if any(part.startswith(".") for part in path.parts):
        return f"names a hidden folder, which reqtrace never reads; use a folder like '{example}'"
    # A name no file system holds (a part over NAME_MAX bytes, or a path that, with the
    # repo's own path, would pass PATH_MAX) fails every stat with ENAMETOOLONG: say so here.
    if len(value.encode("utf-8", "surrogatepass")) > MAX_FOLDER_BYTES or any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in path.parts):
        return f"is too long for a folder name (at most 255 bytes a part, {MAX_FOLDER_BYTES} in all); name a folder like '{example}'"
    return None


def _overlaps(one: str, other: str) -> bool:
    return one == other or one.startswith(other + "/") or other.startswith(one + "/")


def config_line(line: int | None) -> str:
    return f"{CONFIG_FILE}:{line or 1}"


def parse_config(data: bytes) -> tuple[Config, list[Finding]]:
    """The configuration, and any problem with it (defaults stand in for bad values)."""
    if not isinstance(data, (bytes, str)):  # a buffer that cannot be a key: parsed as it is
        return _parse_config(data)
    config, findings = _parsed_config(data)
    return config, list(findings)


@lru_cache(maxsize=4)
def _parsed_config(data: bytes) -> tuple[Config, tuple[Finding, ...]]:
    # One command reads reqtrace.yaml several times (a check: its own load, the baselines' work,
    # its kept report's key, the snapshot): the same bytes are parsed and validated once. What
    # is returned is frozen (Config, Finding), and each caller gets a list of its own.
    config, findings = _parse_config(data)
    return config, tuple(findings)


def _parse_config(data: bytes) -> tuple[Config, list[Finding]]:
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
    path_lines = getattr(paths, "lines", {})
    folders = {}
    set_lines = {}  # the paths keys set to a usable folder, with their lines
    requirements_problem = None
    for key, default in (("requirements", "specs"), ("records", "records"), ("baselines", "baselines")):
        value = paths.get(key, default)  # type: ignore[union-attr]
        unusable = folder_problem(value, default)
        if key in path_lines and (not unusable or key == "requirements"):
            set_lines[key] = path_lines[key]
        if unusable:
            shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:60] + f"… ({len(str(value))} characters)"
            message = f"paths.{key} {unusable} (got {shown})"
            findings.append(Finding("config", ERROR, message, CONFIG_FILE, path_lines.get(key, 1)))
            if key == "requirements":
                requirements_problem = message
            value = default
        folders[key] = PurePosixPath(value).as_posix().rstrip("/")
    for other in ("records", "baselines"):
        if requirements_problem is None and _overlaps(folders["requirements"], folders[other]):
            requirements_problem = f"paths.requirements ('{folders['requirements']}') and paths.{other} ('{folders[other]}') overlap; each needs a folder of its own"
            findings.append(Finding("config", ERROR, requirements_problem, CONFIG_FILE, path_lines.get("requirements", 1)))
    pattern = loaded.get("id_pattern", Config.id_pattern)
    if isinstance(pattern, str):
        try:
            id_matcher(pattern)
        except re.error as exc:
            findings.append(Finding("config", ERROR, f"id_pattern is not a valid regular expression: {exc}", CONFIG_FILE, loaded.lines.get("id_pattern", 1)))
            pattern = Config.id_pattern
        except UnsupportedPattern as exc:
            findings.append(Finding("config", ERROR, f"id_pattern cannot be used: {exc}", CONFIG_FILE, loaded.lines.get("id_pattern", 1)))
            pattern = Config.id_pattern
    else:
        pattern = Config.id_pattern
    # An unquoted `off` is read by YAML 1.1 as false: the text written is what counts.
    drift = loaded.raw.get("drift", loaded.get("drift"))
    suspect_links = loaded.raw.get("suspect_links", loaded.get("suspect_links"))
    people = people_from(entries_of(loaded.get("people")))
    for form in people.ambiguous_forms():
        findings.append(Finding("config", WARNING, f"people: '{form}' stands for more than one person; give it to one of them only", CONFIG_FILE, loaded.lines.get("people", 1)))
    config = Config(
        project=text_of(loaded.get("project")) or "(no project name)",
        customer=text_of(loaded.get("customer")) or None,
        requirements_dir=folders["requirements"],
        records_dir=folders["records"],
        baselines_dir=folders["baselines"],
        id_pattern=pattern,
        drift=drift if drift in ("warn", "error", "off") else None,
        people=people,
        suspect_links=suspect_links if suspect_links in ("warn", "error", "off") else None,
        tests_required_for=texts_of(loaded.get("tests_required_for")),
        path_lines=tuple(set_lines.items()),
        requirements_problem=requirements_problem,
    )
    return config, findings
