"""Hostile YAML in every kind of file of a spec repo: `check` answers with a finding or
passes, never crashes; what a file must not say is refused; what reaches the terminal
carries no control sequences."""

from __future__ import annotations

import re

import pytest

from .kit import Case, Outcome, ids, judge, replaced, run
from .yaml_cases import SHOWN, FieldInput, field_cases, structural_cases

pytestmark = pytest.mark.hostile

STRUCTURAL = structural_cases()
FIELDS = field_cases()
# ESC, BEL, NUL and the C1 controls: a title must not set the window title or clear the screen.
RAW_CONTROL = re.compile("[\x00\x07\x1b\x80-\x9f]")


def _check(ws, case: Case, path: str, content: bytes, *, shown: bool) -> None:  # type: ignore[no-untyped-def]
    with replaced(ws.repo / path, content):
        sentinel = ws.sentinel()
        judge(case, run(["check"], ws.repo), sentinel)
        if shown:
            listed = run(["list"], ws.repo)
            judge(Case(case.family, case.name + " (list)", allowed=case.allowed), listed, sentinel)
            _no_raw_control(case, listed)


def _no_raw_control(case: Case, outcome: Outcome) -> None:
    found = RAW_CONTROL.search(outcome.stdout + outcome.stderr)
    assert found is None, f"[{case.id}] a raw control character {found.group()!r} reached the terminal\n{outcome.describe()!r}"


@pytest.mark.parametrize("case", STRUCTURAL, ids=ids(STRUCTURAL))
def test_hostile_yaml_file(small_ws, case: Case) -> None:
    kind, build = case.payload  # type: ignore[misc]
    _check(small_ws, case, kind.path, build(kind), shown=case.name.endswith(("raw-c1", "raw-esc")))


@pytest.mark.parametrize("case", FIELDS, ids=ids(FIELDS))
def test_hostile_yaml_field(small_ws, case: Case) -> None:
    given: FieldInput = case.payload  # type: ignore[assignment]
    _check(small_ws, case, given.kind.path, given.content(), shown=given.value_name in SHOWN)


def test_the_small_repo_is_clean_before_it_is_attacked(small_ws) -> None:
    """The baseline of the family: without a hostile input, `check` passes (so a 1 above is the input's)."""
    outcome = run(["check"], small_ws.repo)
    assert outcome.code == 0, outcome.describe()
