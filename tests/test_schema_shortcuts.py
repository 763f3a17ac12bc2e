"""The schema's shortcuts (the common valid field accepted without a call, `x-` fields
accepted by a name matched once) change no finding: the same problems, in the same order,
with the same lines, as the full validator alone gives, on generated files of every kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reqtrace.core import schema
from reqtrace.io.yamlio import load_yaml

KINDS = ("requirement", "request", "meeting", "email", "document")
# Values as written: valid and invalid ids, text YAML types (`no`, `1.10`, `.nan`), dates,
# empty and blank text, lists, mappings, numbers, nothing.
VALUES = [
    "REQ-1", "RQ-2", "'REQ 1'", "'-x'", "''", "' '", "no", "1.10", ".nan", "1e999", "2026-01-05", "'2026-01-05'", "2026-02-30",
    "must", "maybe", "approved", "3", "-1", "0.5", "[a, b]", "[REQ-1, 'x y']", "[]", "{a: 1}", "", "~", "text with words",
    "'2026-01-05T10:00:00+08:00'", "sha256:" + "a" * 64,
]
KEYS = sorted(
    {key for kind in KINDS for key in schema.load_schema(kind).get("properties", {})}
    | {"x-effort", "x-notes", "bogus", "titel"}
)

_SHORTCUT = schema._shortcut
_ACCEPTS_ANYTHING = schema._accepts_anything


@pytest.fixture
def full_validator_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    schema._validator.cache_clear()
    monkeypatch.setattr(schema, "_shortcut", lambda _schema: None)
    monkeypatch.setattr(schema, "_accepts_anything", lambda _schema: False)
    yield
    schema._validator.cache_clear()


def _problems(text: str, kind: str) -> list[schema.Problem]:
    return schema.validate(load_yaml(text), kind)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(KINDS),
    st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)), min_size=1, max_size=8, unique_by=lambda pair: pair[0]),
)
def test_shortcuts_change_no_finding(full_validator_only: None, kind: str, fields: list[tuple[str, str]]) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in fields)
    expected = _problems(text, kind)
    schema._validator.cache_clear()
    with pytest.MonkeyPatch.context() as undo:
        undo.setattr(schema, "_shortcut", _SHORTCUT)
        undo.setattr(schema, "_accepts_anything", _ACCEPTS_ANYTHING)
        got = _problems(text, kind)
        got_again = _problems(text, kind)  # the names matched once, from memory
    schema._validator.cache_clear()
    assert got == expected == got_again


def test_the_shortcuts_take_the_usual_fields() -> None:
    # Without this, the test above would pass with the shortcuts switched off.
    assert schema._shortcut({"type": "string", "pattern": "^[A-Z]+$"}) is not None
    assert schema._shortcut({"type": "string", "minLength": 1}) is not None
    assert schema._accepts_anything({"description": "the team's own attribute, any value"})
    assert not schema._accepts_anything({"type": "string"})
    text = "id: REQ-1\ntitle: T\nstatement: S\nx-effort: .inf\nx-notes: [a]\n"
    assert _problems(text, "requirement") == []
    # YAML never gives a float that is not finite (the loader keeps `.inf` as text); data
    # from elsewhere may, and an `x-` field holding one is still refused.
    problems = schema.validate({"id": "REQ-1", "title": "T", "statement": "S", "x-a": float("inf")}, "requirement")
    assert [problem.field for problem in problems] == ["x-a"]
