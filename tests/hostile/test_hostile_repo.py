"""Hostile repo shapes: a missing or mistyped requirements folder, symlinks out of the
repo, odd file names, no git, a shallow clone, a config regex that backtracks.
A gate that read nothing, or read outside the repo, must not pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import CONFIG, Workspace, make_workspace
from .kit import ANY, Case, git, ids, judge, run, run_process

pytestmark = pytest.mark.hostile

SECRET = "must never be read"  # noqa: S105 - text of a file outside the repo, not a password


def _config(ws: Workspace, extra: str) -> None:
    (ws.repo / "reqtrace.yaml").write_text(CONFIG + extra)


def _paths(requirements: str) -> str:
    return f"paths:\n  requirements: {requirements}\n  records: records\n  baselines: baselines\n"


def _rm(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


# name -> (how to shape the small repo, must not pass)
SHAPES = {
    "no-config": (lambda ws: (ws.repo / "reqtrace.yaml").unlink(), True),
    "config-is-a-folder": (lambda ws: ((ws.repo / "reqtrace.yaml").unlink(), (ws.repo / "reqtrace.yaml").mkdir()), True),
    "config-symlink-outside": (lambda ws: ((ws.repo / "reqtrace.yaml").unlink(), (ws.repo / "reqtrace.yaml").symlink_to(ws.outside / "secret.yaml")), True),
    "requirements-folder-missing": (lambda ws: shutil.rmtree(ws.repo / "specs"), True),
    "requirements-folder-empty": (lambda ws: (shutil.rmtree(ws.repo / "specs"), (ws.repo / "specs").mkdir()), True),
    "requirements-folder-mistyped": (lambda ws: _config(ws, _paths("spec")), True),
    "requirements-folder-is-a-file": (lambda ws: (shutil.rmtree(ws.repo / "specs"), (ws.repo / "specs").write_text("id: X\n")), True),
    "requirements-path-outside": (lambda ws: _config(ws, _paths("../outside")), True),
    "requirements-path-absolute": (lambda ws: _config(ws, _paths(str(ws.outside))), True),
    "requirements-path-dotdot": (lambda ws: _config(ws, _paths("specs/../../outside")), True),
    "requirements-path-empty": (lambda ws: _config(ws, _paths("''")), True),
    "requirements-path-dot": (lambda ws: _config(ws, _paths(".")), False),
    "requirements-path-dotgit": (lambda ws: _config(ws, _paths(".git")), True),
    "requirements-folder-symlink-outside": (lambda ws: (shutil.rmtree(ws.repo / "specs"), (ws.repo / "specs").symlink_to(ws.outside)), True),
    "requirement-symlink-outside": (lambda ws: (ws.repo / "specs" / "SECRET-1.yaml").symlink_to(ws.outside / "secret.yaml"), True),
    "requirement-symlink-dangling": (lambda ws: (ws.repo / "specs" / "GONE-1.yaml").symlink_to(ws.outside / "gone.yaml"), False),
    "requirement-symlink-loop": (lambda ws: ((ws.repo / "specs" / "A.yaml").symlink_to("B.yaml"), (ws.repo / "specs" / "B.yaml").symlink_to("A.yaml")), False),
    "folder-symlink-loop": (lambda ws: (ws.repo / "specs" / "loop").symlink_to(".."), False),
    "records-symlink-outside": (lambda ws: (ws.repo / "records" / "requests" / "RQ-9.yaml").symlink_to(ws.outside / "secret.yaml"), True),
    "non-utf8-file-name": (lambda ws: (Path(os.fsdecode(bytes(ws.repo / "specs") + b"/REQ-\xff\xfe.yaml"))).write_text("id: REQ-8\ntitle: t\nstatement: s\n"), False),
    "non-utf8-folder-name": (lambda ws: (Path(os.fsdecode(bytes(ws.repo / "specs") + b"/\xff")).mkdir(), Path(os.fsdecode(bytes(ws.repo / "specs") + b"/\xff/REQ-8.yaml")).write_text("id: REQ-8\ntitle: t\nstatement: s\n")), False),
    "esc-in-file-name": (lambda ws: (ws.repo / "specs" / "\x1b]0;pwned\x07\x1b[2J.yaml").write_text("id: [broken\n"), True),
    "newline-in-file-name": (lambda ws: (ws.repo / "specs" / "REQ\n-8.yaml").write_text("id: [broken\n"), True),
    "folder-named-yaml": (lambda ws: (ws.repo / "specs" / "x.yaml").mkdir(), False),
    "not-a-git-repo": (lambda ws: shutil.rmtree(ws.repo / ".git"), False),
    "git-repo-without-commits": (lambda ws: (shutil.rmtree(ws.repo / ".git"), git(ws.repo, "init", "-q")), False),
    "detached-head": (lambda ws: git(ws.repo, "checkout", "-q", "--detach", "HEAD"), False),
    "git-file-points-outside": (lambda ws: (shutil.rmtree(ws.repo / ".git"), (ws.repo / ".git").write_text(f"gitdir: {ws.outside}\n")), False),
    "git-folder-is-garbage": (lambda ws: (shutil.rmtree(ws.repo / ".git"), (ws.repo / ".git").mkdir(), (ws.repo / ".git" / "HEAD").write_text("garbage\n")), False),
}
SHAPE_COMMANDS = (["check"], ["list"], ["status"], ["trace", "REQ-1"], ["check", "--rev", "HEAD"])
# Only the gate promises to refuse: `list` of a repo with an empty folder may say "nothing".
GATES = ("check",)


def shape_cases() -> list[Case]:
    cases = []
    for shape, (_, must) in SHAPES.items():
        for command in SHAPE_COMMANDS:
            name = "-".join(part.lstrip("-") for part in command)
            cases.append(Case("repo-shape", f"{shape}:{name}", (shape, command), ANY, must and command == ["check"]))
    return cases


SHAPE_CASES = shape_cases()
# Made fresh per shape (the small repo is a few files) and reused by the shape's commands.
_made: dict[str, Workspace] = {}


@pytest.fixture(scope="module")
def shapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _made.clear()
    return tmp_path_factory.mktemp("shapes")


@pytest.mark.parametrize("case", SHAPE_CASES, ids=ids(SHAPE_CASES))
def test_hostile_repo_shape(shapes_root: Path, small_template: Path, case: Case) -> None:
    shape, command = case.payload  # type: ignore[misc]
    if shape not in _made:
        ws = make_workspace(shapes_root / shape, small_template)
        SHAPES[shape][0](ws)
        _made[shape] = ws
    ws = _made[shape]
    sentinel = ws.sentinel()
    outcome = run(command, ws.repo)
    judge(case, outcome, sentinel)
    assert SECRET not in outcome.stdout + outcome.stderr, f"[{case.id}] showed a file from outside the repo\n{outcome.describe()}"
    assert not re.search("[\x07\x1b]", outcome.stdout + outcome.stderr), f"[{case.id}] a raw control character reached the terminal\n{outcome.describe()!r}"


# --- what needs a process of its own ------------------------------------------------------


def test_hostile_repo_shape_fifo_requirement(tmp_path: Path, small_template: Path) -> None:
    """A FIFO where a requirement file belongs: reading it would wait for ever."""
    case = Case("repo-shape", "fifo-requirement:check", allowed=ANY)
    ws = make_workspace(tmp_path / "w", small_template)
    os.mkfifo(ws.repo / "specs" / "REQ-9.yaml")
    judge(case, run_process(["check"], ws.repo, timeout=20), ws.sentinel())


REDOS = ("^(a+)+$", "^([a-zA-Z]+)*$")  # two: on code without a bound each costs its whole timeout


@pytest.mark.parametrize("pattern", REDOS, ids=[f"repo-shape:redos-id-pattern:{i}" for i in range(len(REDOS))])
def test_hostile_id_pattern_that_backtracks(tmp_path: Path, small_template: Path, pattern: str) -> None:
    """A config regex that backtracks for hours on an id built for it: bounded, not hung."""
    case = Case("repo-shape", f"redos:{pattern}", allowed=ANY)
    ws = make_workspace(tmp_path / "w", small_template)
    _config(ws, f"id_pattern: '{pattern}'\n")
    (ws.repo / "specs" / "REQ-9.yaml").write_text("id: " + "a" * 40 + "!\ntitle: t\nstatement: s\n")
    judge(case, run_process(["check"], ws.repo, timeout=5), ws.sentinel())


def test_hostile_shallow_clone(tmp_path: Path, demo_template: Path) -> None:
    """A CI checkout of depth 1: the baselines' commits are missing; said so, not a crash, not a pass."""
    clone = tmp_path / "w" / "repo"
    (tmp_path / "w" / "outside").mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{demo_template}", str(clone)], check=True, capture_output=True)
    ws = Workspace(tmp_path / "w")
    for argv, must in ((["baseline", "verify", "contract-v1.0"], True), (["diff", "contract-v1.0"], True), (["check"], False), (["status"], False)):
        case = Case("repo-shape", f"shallow-clone:{'-'.join(argv)}", allowed=ANY, must_fail=must)
        judge(case, run(argv, ws.repo), ws.sentinel())
