"""One reader, one baseline type: spec files become items in snapshot.py only, and a
baseline is `baseline.Baseline` wherever it is used.

Each copy of a reader once decided file size, symbolic links and duplicate ids its own
way; each copy of a baseline type its own idea of which baseline is accepted. These tests
parse the package with `ast` and fail when a copy comes back.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reqtrace"
MODULES = sorted(PACKAGE.rglob("*.py"))
READER = "core/snapshot.py"

# The per-kind parsers (parse.py) and the step that runs them over listed files: only the
# reader calls them, so that every reading applies the same rules.
LOW_LEVEL_PARSE = {
    "parse_requirements", "parse_request", "parse_meeting", "parse_email", "parse_document",
    "parse_spec_document", "parse_sources",
}
# Modules that still parse bytes themselves, each for a reason of its own.
PARSING_ELSEWHERE = {
    # Bytes that are not read from a spec repo: a pack's members, a file named on the
    # command line, a sidecar or a request about to be written (checked before writing).
    "pack/verify.py": {"parse_requirements"},
    "triage/repo.py": {"parse_request"},
    "records/ingest.py": {"parse_document"},
    "triage/recording.py": {"parse_request"},
    # A diff reads only the files that differ between two commits, with blobs it already
    # holds: it calls the reader's parse_sources itself (same rules, its own listing).
    "changes/diff.py": {"parse_sources"},
    # A scoped trace or impact reads, round by round, only the files that name its ids, from
    # the listing it holds: it calls the reader's parse_sources too (same rules and order).
    "graph/scoped.py": {"parse_sources"},
    # Still reading on their own (to move behind the reader): the versions of one
    # requirement through history; a file whose ids clashed, re-parsed for the graph index.
    "changes/history.py": {"parse_requirements", ".parser"},
    "graph/cache.py": {".parser"},
}

# Classes with Baseline in their name that are not a baseline: one row of a manifest,
# the scan of every baseline with its problems, triage's word index of a baseline's
# requirements, and which version of one requirement a baseline holds (history).
NOT_A_BASELINE_TYPE = {
    "baselines/baseline.py": {"BaselineEntry", "BaselineSet"},
    "triage/index.py": {"BaselineIndex"},
    "changes/history.py": {"BaselineVersion"},
    "baselines/verify.py": {"BaselineVerdict"},  # what verifying a baseline found, kept by content id
    "pack/contents.py": {"PackedBaseline"},  # a baseline.Baseline plus what a pack adds (file bytes, checks)
    "graph/scoped.py": {"_BaselineLinks"},  # the links all baselines make, indexed by node
}
# Baseline types still to become views of baseline.Baseline.
BASELINE_TYPES_TO_MOVE: dict[str, set[str]] = {
}


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@functools.cache  # parsing the package takes ~0.8 s; each test only walks the trees
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _parse_calls(tree: ast.Module) -> set[str]:
    """The low-level parse entry points a module calls (`.parser` for `kind.parser(...)`)."""
    called = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in LOW_LEVEL_PARSE:
            called.add(node.func.id)
        elif isinstance(node.func, ast.Attribute):
            if node.func.attr in LOW_LEVEL_PARSE:
                called.add(node.func.attr)
            elif node.func.attr == "parser":
                called.add(".parser")
    return called


def _defined_functions(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def _defined_classes(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def test_only_the_reader_calls_the_parsers() -> None:
    offenders = []
    for module in MODULES:
        if _name(module) in (READER, "core/parse.py"):
            continue
        extra = _parse_calls(_tree(module)) - PARSING_ELSEWHERE.get(_name(module), set())
        offenders.extend(f"{_name(module)} calls {call}" for call in sorted(extra))
    assert offenders == [], "read spec files through snapshot.py (load_snapshot, read_items, read_named_items, requirements_at)"


def test_the_allowances_are_still_needed() -> None:
    # An allowance nobody uses any more hides the next copy: remove it with the copy.
    stale = []
    for name, allowed in PARSING_ELSEWHERE.items():
        unused = allowed - _parse_calls(_tree(PACKAGE / name))
        stale.extend(f"{name}: {call}" for call in sorted(unused))
    assert stale == []


def test_requirements_at_is_defined_by_the_reader_only() -> None:
    defining = [_name(module) for module in MODULES if "requirements_at" in _defined_functions(_tree(module))]
    assert defining == [READER]


def test_the_one_baseline_type_is_baseline_baseline() -> None:
    found = {}
    for module in MODULES:
        named = {cls for cls in _defined_classes(_tree(module)) if "Baseline" in cls}
        named -= NOT_A_BASELINE_TYPE.get(_name(module), set()) | BASELINE_TYPES_TO_MOVE.get(_name(module), set())
        if named:
            found[_name(module)] = named
    assert found == {"baselines/baseline.py": {"Baseline"}}, "take a view of baseline.Baseline (a property or a small function), not a class of your own"


def test_the_baseline_allowances_are_still_needed() -> None:
    stale = []
    for name, allowed in {**NOT_A_BASELINE_TYPE, **BASELINE_TYPES_TO_MOVE}.items():
        stale.extend(f"{name}: {cls}" for cls in sorted(allowed - _defined_classes(_tree(PACKAGE / name))))
    assert stale == []


def test_the_checks_see_a_copy(tmp_path: Path) -> None:
    # The detectors themselves: a module with its own reader and baseline class is seen.
    copy = tmp_path / "copy.py"
    copy.write_text(
        "def requirements_at(repo, commit):\n"
        "    return parse_requirements(path, data, config), kind.parser(path, data, config)\n"
        "class TriageBaseline:\n    pass\n",
        encoding="utf-8",
    )
    tree = _tree(copy)
    assert _parse_calls(tree) == {"parse_requirements", ".parser"}
    assert "requirements_at" in _defined_functions(tree)
    assert "TriageBaseline" in _defined_classes(tree)


def test_which_baseline_is_accepted_is_decided_in_baseline_py() -> None:
    # BaselineSet.accepted / accepted_if_known are the one answer: no module picks by itself.
    pickers = sorted(
        _name(module) for module in MODULES
        if _name(module) != "baselines/baseline.py" and {"pick_accepted", "acceptances"} & _called_or_read(_tree(module))
    )
    assert pickers == []


def _called_or_read(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name)
    return names
