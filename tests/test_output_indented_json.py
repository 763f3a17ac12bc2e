"""`output.indented_json` writes exactly what `json.dumps(indent=2, allow_nan=False)` writes
(every command's JSON answer goes through it), and fails where json fails."""

from __future__ import annotations

import enum
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reqtrace.cli.output import indented_json

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False, allow_infinity=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(values)
def test_the_same_text_as_json(value):
    for ascii_only in (False, True):
        assert indented_json(value, ascii_only=ascii_only) == json.dumps(value, ensure_ascii=ascii_only, indent=2, allow_nan=False)


class Colour(enum.StrEnum):
    red = "red"


class Size(enum.IntEnum):
    big = 3


def test_what_commands_hand_it():
    value = {"a": [], "b": {}, "c": [{}, [], [[]]], Colour.red: Colour.red, Size.big: Size.big, 1.5: -0.0, None: True, "标题": "\x1b[31m\u202e", "n": 10**30}
    for ascii_only in (False, True):
        assert indented_json(value, ascii_only=ascii_only) == json.dumps(value, ensure_ascii=ascii_only, indent=2, allow_nan=False)


@pytest.mark.parametrize("bad", [math.nan, [math.inf], {"x": -math.inf}, {math.nan: 1}])
def test_a_number_json_cannot_write_is_refused(bad):
    with pytest.raises(ValueError, match="Out of range float"):
        indented_json(bad)


@pytest.mark.parametrize("bad", [object(), [{1, 2}], {(1, 2): 3}, b"bytes"])
def test_a_value_json_cannot_write_is_refused(bad):
    with pytest.raises(TypeError):
        indented_json(bad)
    with pytest.raises(TypeError):
        json.dumps(bad, indent=2)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text().filter(lambda key: key not in ("schema_version", "ok")), values, max_size=4), st.booleans())
def test_a_kept_body_is_written_as_write_json_writes_its_data(data, failed):
    """`write_json_body(json_body(data))` writes what `write_json(data)` writes, with or
    without a failed gate (a kept JSON answer, diff's, is written this way)."""
    import contextlib
    import io

    from reqtrace.cli import output

    def written(write, value):
        stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(output, "gate_failed", failed)
            patch.setattr("sys.stdout", stream)
            with contextlib.redirect_stdout(stream):
                assert write(value) in (None, True)
            stream.flush()
        return stream.buffer.getvalue()

    assert written(output.write_json_body, output.json_body(data)) == written(output.write_json, data)
    with pytest.raises(ValueError):
        output.json_body({"ok": True})
