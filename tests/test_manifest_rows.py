"""A manifest's requirement rows read directly (baseline._fast_rows) against the plain YAML read.

`parse_manifest` reads the rows `baseline create` writes with one pattern
instead of libyaml and the schema check. Every manifest must give exactly what
the plain read gives (`parse_manifest(..., fast=False)`): the same baseline,
the same entries with the same lines, the same findings - or, for anything
outside the narrow row shape, the plain read itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import requirement_yaml
from reqtrace.baselines.baseline import BaselineEntry as Entry
from reqtrace.baselines.baseline import _fast_rows, _manifest_data, create_baseline, parse_manifest
from reqtrace.core.config import find_spec_repo
from reqtrace.io.yamlio import dump_yaml_rows

DIGEST = "sha256:" + "ab" * 32
HEADER = "reqtrace baseline manifest, written by `reqtrace baseline create v1`. Never edit it:\n`reqtrace baseline verify v1` recomputes every digest."


def _view(result: tuple[Any, list[Any]]) -> tuple[Any, ...]:
    """Everything a reader of the result can see, lines included (they do not take part in ==)."""
    baseline, findings = result
    if baseline is None:
        return (None, findings)
    return (baseline, [(e.id, e.digest, e.path, e.line) for e in baseline.requirements], baseline.lines, findings)


def _same_as_plain(path: str, data: bytes) -> tuple[Any, ...]:
    fast = _view(parse_manifest(path, data))
    assert fast == _view(parse_manifest(path, data, fast=False))
    return fast


def _manifest(rows: list[dict[str, str]], message: str | None = "First release") -> str:
    data = _manifest_data("v1", "a" * 40, "2026-12-07T01:00:00Z", "Li Wei <li@example.test>", message, DIGEST, "baseline/v1", "b" * 40, [])
    data.pop("requirements")
    return dump_yaml_rows(data, "requirements", rows, header=HEADER)


def _rows(count: int) -> list[dict[str, str]]:
    return [{"id": f"REQ-{n}", "digest": DIGEST, "path": f"specs/area/REQ-{n}.yaml"} for n in range(1, count + 1)]


def test_a_manifest_baseline_create_wrote_reads_the_same_both_ways(make_repo):
    repo = make_repo({f"specs/{area}/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n, area in enumerate(["a", "b", "c"] * 4, 1)})
    created = create_baseline(find_spec_repo(repo.root), "v1", message="First")
    data = created.manifest_path.read_bytes()
    path = created.manifest_path.relative_to(repo.root).as_posix()
    assert _fast_rows(data.decode()) is not None  # the shape create writes is the one read directly
    baseline, entries, _, findings = _same_as_plain(path, data)
    assert findings == [] and [e[0] for e in entries] == sorted(f"REQ-{n}" for n in range(1, 13))
    assert baseline.root_digest == created.baseline.root_digest and baseline.requirements == created.baseline.requirements


EDITS = [
    ("no", lambda t: t.replace("id: REQ-2\n", "id: no\n")),  # YAML 1.1 reads `no` as false
    ("Null path", lambda t: t.replace("path: specs/area/REQ-2.yaml", "path: Null")),
    ("quoted id", lambda t: t.replace("id: REQ-2\n", "id: 'REQ-2'\n")),
    ("id with a colon", lambda t: t.replace("id: REQ-2\n", "id: REQ:2\n")),
    ("number id", lambda t: t.replace("id: REQ-2\n", "id: 12\n")),
    ("short digest", lambda t: t.replace("\n  digest: " + DIGEST, "\n  digest: sha256:abc", 1)),
    ("upper-case digest", lambda t: t.replace("\n  digest: " + DIGEST, "\n  digest: " + DIGEST.upper().replace("SHA256", "sha256"), 1)),
    ("a comment after the rows", lambda t: t + "# edited\n"),
    ("a key after the rows", lambda t: t + "extra: 1\n"),
    ("a key after the rows, and rows before", lambda t: t.replace("\nrequirements:\n", "\nnote: x\nrequirements:\n") + "format: again\n"),
    ("an extra field in a row", lambda t: t.replace("  path: specs/area/REQ-2.yaml\n", "  path: specs/area/REQ-2.yaml\n  extra: x\n")),
    ("fields in another order", lambda t: t.replace("- id: REQ-2\n  digest: " + DIGEST, "- digest: " + DIGEST + "\n  id: REQ-2")),
    ("a missing field", lambda t: t.replace("  path: specs/area/REQ-2.yaml\n", "")),
    ("a tab", lambda t: t.replace("  digest:", "\tdigest:", 1)),
    ("CRLF line ends", lambda t: t.replace("\n", "\r\n")),
    ("no final newline", lambda t: t[:-1]),
    ("rows indented", lambda t: t.replace("\n- id:", "\n  - id:").replace("\n  digest:", "\n    digest:").replace("\n  path:", "\n    path:")),
    ("the key twice", lambda t: t.replace("\nrequirements:\n", "\nrequirements: []\nrequirements:\n")),
    ("the key first", lambda t: "requirements:\n" + "".join(line + "\n" for line in t.splitlines() if line.startswith(("- ", "  "))) + "name: v1\n"),
    ("an anchor", lambda t: t.replace("id: REQ-2\n", "id: &a REQ-2\n")),
    ("a key inside quotes", lambda t: t.replace("message: First release\n", "message: \"open\nrequirements:\n")),
    ("the message is the key", lambda t: t.replace("message: First release\n", "message: |\n  x\nrequirements:\n- id: REQ-0\n  digest: " + DIGEST + "\n  path: p\n")),
    ("a schema problem in the head", lambda t: t.replace("format: reqtrace-baseline-1", "format: other")),
    ("a path with a space", lambda t: t.replace("path: specs/area/REQ-2.yaml", "path: specs/my area/REQ-2.yaml")),
    ("a BOM", lambda t: "\ufeff" + t),
    ("no rows", lambda t: t.split("\nrequirements:\n")[0] + "\nrequirements:\n"),
]


@pytest.mark.parametrize(("name", "edit"), EDITS, ids=[name for name, _ in EDITS])
def test_an_edited_manifest_reads_as_the_plain_read_reads_it(name, edit):
    text = edit(_manifest(_rows(3)))
    _same_as_plain("baselines/v1/manifest.yaml", text.encode("utf-8"))


def test_the_rows_are_read_directly_only_in_the_shape_create_writes():
    text = _manifest(_rows(3))
    assert _fast_rows(text) is not None
    for name, edit in EDITS:
        if name not in ("a schema problem in the head", "a BOM", "a key inside quotes", "the message is the key", "the key twice"):
            assert _fast_rows(edit(text)) is None, name


_TEXT = st.text(alphabet=st.sampled_from("aAnNoOyYzZ09_.-/: é#'\"&*!"), min_size=0, max_size=8)
_WORD = st.one_of(_TEXT, st.sampled_from(["no", "No", "NO", "y", "Yes", "on", "OFF", "null", "Null", "~", "true", "REQ-1", "1e3", "0x1", "2026-01-05", "a:b", ".inf"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.fixed_dictionaries({"id": _WORD, "digest": st.one_of(st.just(DIGEST), _WORD), "path": _WORD}), min_size=0, max_size=4),
    message=st.one_of(st.none(), _TEXT),
)
def test_any_manifest_written_by_create_reads_the_same_both_ways(rows, message):
    """Whatever the rows hold (the writer falls back to libyaml's emitter for text that is not
    plain-safe), the direct read gives the plain read's answer."""
    text = _manifest(rows, message)
    _same_as_plain("baselines/v1/manifest.yaml", text.encode("utf-8"))


@settings(max_examples=300, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000), insert=st.sampled_from(["", " ", "\n", "#", "- ", ":", "'", "\t", "  x: 1\n", "\nrequirements:\n"]))
def test_a_damaged_manifest_reads_as_the_plain_read_reads_it(cut, insert):
    text = _manifest(_rows(4))
    at = cut % (len(text) + 1)
    _same_as_plain("baselines/v1/manifest.yaml", (text[:at] + insert + text[at + 1 :]).encode("utf-8"))


def test_entries_keep_their_lines():
    baseline, _ = parse_manifest("baselines/v1/manifest.yaml", _manifest(_rows(3)).encode())
    assert baseline is not None
    lines = _manifest(_rows(3)).splitlines()
    assert [lines[entry.line - 1] for entry in baseline.requirements] == [f"- id: REQ-{n}" for n in (1, 2, 3)]
    assert baseline.requirements[0] == Entry("REQ-1", DIGEST, "specs/area/REQ-1.yaml")
