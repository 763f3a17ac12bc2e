"""The layering of the package: each subpackage imports only from the layers below it,
and no module imports itself back through others — function-level imports included,
so that a cycle cannot hide behind a deferred import."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reqtrace"

# From the ground up. `errors` is the ground everything stands on; the package's own
# __init__ is the public API (lazy re-exports) and __main__ only starts the CLI.
LAYERS = {
    "errors": 0,
    "io": 1,
    "core": 2,
    **dict.fromkeys(("baselines", "records", "changes", "checks", "graph", "triage", "importers", "exporters", "pack", "publish"), 3),
    "demo": 4,
    "cli": 5,
}
# Between the capabilities (layer 3): who may use whom. A directed graph without a
# cycle (tested below): adding an edge is a design decision, made here.
CAPABILITY_USES = {
    "baselines": set(),
    "importers": set(),
    "records": {"baselines"},
    "changes": {"baselines", "records"},
    "graph": {"baselines", "changes", "records"},
    "checks": {"baselines", "changes", "records", "graph"},
    "triage": {"baselines", "graph", "records"},
    "exporters": {"baselines", "graph", "importers"},
    "pack": {"baselines", "changes", "graph", "records", "triage"},
    "publish": {"baselines", "changes", "graph", "pack", "records"},
}
EXEMPT = {"reqtrace", "reqtrace.__main__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@functools.cache
def _parsed(path: Path) -> ast.Module:
    """A source file's tree, parsed once for both maps of imports."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The statements under `if TYPE_CHECKING:`: read by the type checker, never run."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                skipped.update(ast.walk(statement))
    return skipped


def _imports(name: str, path: Path, *, runtime_only: bool = False) -> set[str]:
    """Every reqtrace module `name` imports, at any depth of its code (with `runtime_only`,
    not those under `if TYPE_CHECKING:`)."""
    found = set()
    is_package = path.name == "__init__.py"
    tree = _parsed(path)
    skipped = _type_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("reqtrace."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("reqtrace"):
                continue
            subs = {f"{target}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(subs or {target})
    return {module for module in found if module in MODULES and module != name}


@functools.cache
def imports_of_every_module(*, runtime_only: bool = False) -> dict[str, set[str]]:
    """`_imports` of every module, made when a test first asks: at import time, every xdist
    worker made them while collecting (~5 s of CPU each), whether it ran these tests or not."""
    return {name: _imports(name, path, runtime_only=runtime_only) for name, path in MODULES.items()}


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else module


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(module for module in MODULES if module not in EXEMPT and _area(module) not in LAYERS)
    assert unplaced == [], f"put these modules in a subpackage named in LAYERS: {unplaced}"


def test_the_package_is_in_layers() -> None:
    assert {"io", "core", "baselines", "checks", "graph", "triage", "pack"} <= {_area(m) for m in MODULES}


@pytest.mark.parametrize("module", sorted(set(MODULES) - EXEMPT))
def test_a_module_imports_only_downwards(module: str) -> None:
    mine = _area(module)
    wrong = []
    for target in sorted(imports_of_every_module()[module]):
        theirs = _area(target)
        if target in EXEMPT or theirs == mine:
            continue
        if LAYERS[theirs] > LAYERS[mine]:
            wrong.append(f"{target} (layer {theirs} is above {mine})")
        elif LAYERS[theirs] == LAYERS[mine] == 3 and theirs not in CAPABILITY_USES[mine]:
            wrong.append(f"{target} ({mine} does not use {theirs}: see CAPABILITY_USES)")
    assert wrong == [], f"{module} imports {wrong}"


def test_the_capabilities_form_no_cycle() -> None:
    graph = nx.DiGraph((user, used) for user, uses in CAPABILITY_USES.items() for used in uses)
    assert nx.is_directed_acyclic_graph(graph)


def test_no_module_imports_itself_back() -> None:
    # A type named for the type checker alone (`if TYPE_CHECKING:`) is no import at run time.
    graph = nx.DiGraph((module, target) for module, targets in imports_of_every_module(runtime_only=True).items() if module not in EXEMPT for target in targets if target not in EXEMPT)
    # The CLI package registers its command modules, which use its shared `app` and helpers:
    # that one loop is how typer apps are assembled, and it is kept inside reqtrace.cli.
    cycles = [cycle for cycle in nx.simple_cycles(graph) if not all(_area(module) == "cli" for module in cycle)]
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_the_check_sees_deferred_and_relative_imports(tmp_path: Path) -> None:
    # A cycle hidden behind a function-level or relative import must count.
    planted = tmp_path / "planted.py"
    planted.write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from reqtrace.core.query import list_rows\n\n\n"
                       "def later():\n    from ..core import model\n    from reqtrace.io.gitio import run_git\n", encoding="utf-8")
    assert _imports("reqtrace.graph.planted", planted) == {"reqtrace.core.model", "reqtrace.io.gitio", "reqtrace.core.query"}
    assert _imports("reqtrace.graph.planted", planted, runtime_only=True) == {"reqtrace.core.model", "reqtrace.io.gitio"}
