"""The pack's JSON members, encoded in pieces by one C encoder made once: the same text as
JSONEncoder.encode per value and one document joined whole (the plain computation)."""

from __future__ import annotations

import json

from reqtrace.pack.build import _ENCODER, _compact, _Encoded, _json_chunks

VALUES = [
    "REQ-1", "需求 \"quoted\" \\ \n\t\x00 \u2028", 0, -1, 2**70, 0.1, 1e300, float("inf"), float("nan"), True, False, None,
    [], {}, [1, [2, [3, {}]]], {"b": 1, "a": [None, "x"], "中": {"z": 0.5, "y": []}},
    {"id": "REQ-7", "fields": {"title": "预约", "acceptance": ["a", "b"], "x-cost": {"k": 3}}},
]


def plain_document(data):
    lines = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list) and value:
            items = ",\n  ".join(item if isinstance(item, _Encoded) else _ENCODER.encode(item) for item in value)
            lines.append(f"{_ENCODER.encode(key)}: [\n  {items}\n]")
        else:
            lines.append(f"{_ENCODER.encode(key)}: {_ENCODER.encode(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")


def test_each_value_is_encoded_as_json_encodes_it():
    for value in VALUES:
        assert _compact(value) == _ENCODER.encode(value)
    assert json.loads(_compact(VALUES[-1])) == VALUES[-1]


def test_a_document_in_pieces_is_the_document_joined_whole():
    rows = [{"id": f"REQ-{i}", "n": i, "text": "需求" * (i % 5)} for i in range(5000)]  # more than one piece
    data = {
        "schema_version": 2,
        "requirements": [_Encoded(_ENCODER.encode(row)) if i % 3 else row for i, row in enumerate(rows)],
        "empty": [],
        "values": VALUES,
        "nested": {"z": [1], "a": None},
    }
    pieces = list(_json_chunks(data))
    assert len(pieces) > 2
    assert b"".join(pieces) == plain_document(data)
    assert b"".join(_json_chunks({})) == plain_document({}) == b"{\n\n}\n"
    assert json.loads(b"".join(_json_chunks({"requirements": rows})))["requirements"] == rows
