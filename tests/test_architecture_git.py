"""Only gitio.py talks to git: every other module asks it a named question.

The scan reads each module's syntax tree, so a git command line cannot hide from it
behind an alias, an attribute or a different subprocess function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reqtrace"
GIT_MODULE = PACKAGE / "io/gitio.py"
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path != GIT_MODULE)

# gitio's own means of composing a command line: nothing outside it may name them.
LOW_LEVEL = {"run_git", "git_text"}
# Libraries that drive git themselves.
GIT_LIBRARIES = {"git", "pygit2", "dulwich"}
# Calls that start a program: (module, function).
PROCESS_CALLS = {
    ("subprocess", "run"), ("subprocess", "Popen"), ("subprocess", "call"),
    ("subprocess", "check_call"), ("subprocess", "check_output"), ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"), ("os", "system"), ("os", "popen"),
    ("os", "execv"), ("os", "execvp"), ("os", "execvpe"), ("os", "execl"), ("os", "execlp"),
    ("os", "spawnv"), ("os", "spawnvp"), ("os", "spawnl"), ("os", "spawnlp"), ("os", "posix_spawn"),
    ("os", "posix_spawnp"), ("shutil", "which"),
}


def _names_git(node: ast.AST) -> bool:
    """Whether an expression is (or starts with) the git program: "git", "/usr/bin/git", "git log"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        program = node.value.strip().split(" ")[0]
        return program == "git" or program.endswith("/git")
    if isinstance(node, ast.JoinedStr) and node.values:
        return _names_git(node.values[0])
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        return _names_git(node.elts[0])
    return False


def _called(node: ast.Call, aliases: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """(module, function) of a call like `subprocess.run(...)` or an imported `run(...)`."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return aliases.get(func.value.id, (func.value.id, ""))[0], func.attr
    if isinstance(func, ast.Name):
        return aliases.get(func.id)
    return None


def git_offences(source: str, filename: str = "<module>") -> list[str]:
    """Every place in `source` that runs git or composes a git command line itself."""
    tree = ast.parse(source, filename=filename)
    aliases: dict[str, tuple[str, str]] = {}  # local name -> (module, function or "")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (alias.name.split(".")[0], "")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = (node.module.split(".")[-1], alias.name)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in GIT_LIBRARIES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 0 and node.module.split(".")[0] in GIT_LIBRARIES:
                found.append(f"{where} imports {node.module}")
            found += [f"{where} imports {a.name}" for a in node.names if a.name in LOW_LEVEL]
        elif isinstance(node, ast.Attribute) and node.attr in LOW_LEVEL:
            found.append(f"{where} uses {node.attr}")
        elif isinstance(node, ast.Name) and node.id in LOW_LEVEL:
            found.append(f"{where} uses {node.id}")
        elif isinstance(node, ast.Constant) and node.value in LOW_LEVEL:
            found.append(f"{where} names {node.value}")  # getattr(gitio, "run_git")
        elif isinstance(node, ast.Call) and _called(node, aliases) in PROCESS_CALLS:
            arguments = [*node.args, *(k.value for k in node.keywords if k.arg in ("args", "cmd", "file", "path"))]
            if arguments and _names_git(arguments[0]):
                found.append(f"{where} runs git")
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_gitio_talks_to_git(module: Path) -> None:
    offences = git_offences(module.read_text(encoding="utf-8"), str(module.relative_to(PACKAGE)))
    assert offences == [], "ask gitio a named question (add one there) instead: " + "; ".join(offences)


def test_gitio_is_where_git_runs() -> None:
    # The scan would pass trivially if it could not see a git call at all.
    assert any("runs git" in offence for offence in git_offences(GIT_MODULE.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "source",
    [
        "from . import gitio\ngitio.run_git(top, 'log')\n",
        "from .gitio import run_git as call\ncall(top, 'log')\n",
        "from . import gitio as g\ng.git_text(top, 'rev-parse', 'HEAD')\n",
        "from . import gitio\ngetattr(gitio, 'run_git')(top, 'log')\n",
        "import subprocess\nsubprocess.run(['git', 'log'])\n",
        "import subprocess as sp\nsp.check_output(('/usr/bin/git', 'log'))\n",
        "from subprocess import Popen\nPopen(['git', 'status'])\n",
        "import subprocess\nsubprocess.run(args=['git', 'log'])\n",
        "import subprocess\nsubprocess.run(f'git log {rev}', shell=True)\n",
        "import os\nos.system('git log')\n",
        "import os\nos.execvp('git', ['git', 'log'])\n",
        "import shutil\nshutil.which('git')\n",
        "import git\ngit.Repo('.')\n",
        "from git import Repo\n",
    ],
)
def test_the_scan_sees_git_however_it_is_called(source: str) -> None:
    assert git_offences(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from . import gitio\ngitio.list_tags(top, 'baseline/')\n",
        "import subprocess\nsubprocess.run(['ssh-keygen', '-Y', 'verify'])\n",
        "import subprocess\nsubprocess.run([dot, '-Tsvg'])\n",
        "text = 'a git repository'\n",
    ],
)
def test_the_scan_lets_other_programs_and_words_be(source: str) -> None:
    assert git_offences(source) == []
