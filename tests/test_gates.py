"""The gates a change must pass are the ones CI runs, and the suite says which of its tests are slow."""

from __future__ import annotations

import re
import tomllib
from types import SimpleNamespace

import pytest

from conftest import ROOT, pytest_collection_modifyitems

CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SLOW_MARK = re.compile(r"^(?:@pytest\.mark\.slow\b|pytestmark = .*pytest\.mark\.slow\b)")


def ci_commands() -> list[str]:
    return [line.strip() for line in CI_RUN.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.parametrize(("tool", "command"), [
    ("ruff", ".venv/bin/ruff check src tests bench"),
    ("mypy", ".venv/bin/mypy"),
])
def test_every_configured_checker_is_run_by_ci(tool: str, command: str) -> None:
    assert tool in PYPROJECT["tool"], f"pyproject.toml configures no {tool}"
    assert command in ci_commands(), f".ci/run does not run {tool}: its [tool.{tool}] settings would be checked by no one"
    extras = " ".join(PYPROJECT["project"]["optional-dependencies"]["test"])
    assert re.search(rf"\b{tool}[<>=]", extras), f"{tool} is not in the test extras that .ci/run installs"


def test_mypy_checks_the_sources_not_an_installed_copy() -> None:
    # `packages = ["reqtrace"]` finds the editable install, which has no py.typed: mypy then checks nothing.
    assert PYPROJECT["tool"]["mypy"]["files"] == ["src/reqtrace"]


def test_ci_runs_the_suite_and_the_own_requirements_gate() -> None:
    commands = "\n".join(ci_commands())
    assert ".venv/bin/python -m pytest" in commands
    assert ".venv/bin/reqtrace check --strict" in commands


def test_every_slow_test_says_why() -> None:
    """A test marked slow carries a `# slow: why` line just above the mark."""
    unexplained = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if SLOW_MARK.match(line) and not (number and lines[number - 1].startswith("# slow: ")):
                unexplained.append(f"{path.relative_to(ROOT)}:{number + 1}")
    assert not unexplained, f"marked slow without a '# slow: reason' line above: {unexplained}"


def test_the_slow_marker_is_registered() -> None:
    markers = PYPROJECT["tool"]["pytest"]["ini_options"]["markers"]
    assert any(marker.startswith("slow:") for marker in markers)
    assert "--strict-markers" in PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]


def _item(module: str, slow: bool) -> SimpleNamespace:
    return SimpleNamespace(module=module, name=f"{module}-{slow}", get_closest_marker=lambda name: object() if slow and name == "slow" else None)


def test_modules_with_a_slow_test_are_collected_first_and_kept_whole() -> None:
    items = [_item("a", False), _item("b", False), _item("b", True), _item("c", False), _item("d", True), _item("a2", False)]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.name for item in items] == ["b-False", "b-True", "d-True", "a-False", "c-False", "a2-False"]
