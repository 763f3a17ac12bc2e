"""Boundaries the design depends on: a core without typer/rich, and a light start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reqtrace"
CORE_MODULES = sorted(
    path for path in PACKAGE.rglob("*.py") if "cli" not in path.relative_to(PACKAGE).parts
)
UI_LIBRARIES = {"typer", "rich", "click"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_there_is_a_core_to_check() -> None:
    names = {str(path.relative_to(PACKAGE)) for path in CORE_MODULES}
    assert {"core/snapshot.py", "checks/check.py", "io/yamlio.py", "io/gitio.py", "core/schema.py"} <= names


@pytest.mark.parametrize("module", CORE_MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_core_never_imports_typer_or_rich(module: Path) -> None:
    found = imported_roots(module) & UI_LIBRARIES
    assert not found, (
        f"{module.relative_to(PACKAGE)} imports {sorted(found)}; only reqtrace/cli/ may"
    )


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_start_up_does_not_load_heavy_libraries(option: str, tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from reqtrace.cli import main\n"
        f"sys.argv = ['reqtrace', '{option}']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'rich', 'networkx', 'git', 'yaml', 'jinja2', 'ruamel'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"
