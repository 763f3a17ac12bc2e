"""The digest's bytes, computed the quick way, against the algorithm as written.

`canonical_bytes` normalises the usual field (text, a list of texts) without the
general walk and encodes with an encoder made once; the reference here is
docs/digest.md spelled out with the general steps — `canonical_fields` and
`json.dumps` — on requirements from reqtrace's own spec files and on generated
ones whose fields hold anything a Requirement can hold.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reqtrace.core.digest import (
    _canonical_json,
    canonical_bytes,
    canonical_fields,
    requirement_digest,
    stash_digest,
)
from reqtrace.core.model import Config, Requirement
from reqtrace.core.parse import parse_requirements

REPO = Path(__file__).resolve().parents[1]


def reference_bytes(requirement: Requirement) -> bytes:
    return json.dumps(canonical_fields(requirement), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_the_spec_files_of_this_repository_digest_as_the_algorithm_says() -> None:
    requirements = []
    for path in sorted((REPO / "specs").rglob("*.yaml")):
        if path.name != "_document.yaml":
            requirements += parse_requirements(path.relative_to(REPO).as_posix(), path.read_bytes(), Config(project="t")).items
    assert len(requirements) > 50
    for requirement in requirements:
        assert canonical_bytes(requirement) == reference_bytes(requirement), requirement.id
        assert _canonical_json(requirement) is not None, requirement.id  # the one-pass way, taken for every parsed one
        digest = "sha256:" + hashlib.sha256(reference_bytes(requirement)).hexdigest()
        assert requirement_digest(requirement) == digest
        assert stash_digest(requirement) == digest


# Text that normalises in every way the algorithm knows: runs of (Unicode) white space,
# CJK beside spaces, decomposed accents, nothing left at all.
TEXT = st.lists(
    st.sampled_from(["a", "Z", " ", "  ", "\t", "\n", "\u3000", "\u00a0", "患", "者", "，", "e\u0301", "é", "-", "1", '"', "\\", "\x7f"]),
    max_size=8,
).map("".join)
SCALAR = st.one_of(TEXT, st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False, width=32))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)
# What a field usually holds (a tuple of texts), and what a Requirement built by hand may hold.
TEXTS = st.one_of(st.lists(TEXT, max_size=4).map(tuple), st.lists(TEXT, max_size=3), TEXT, st.lists(SCALAR, max_size=3).map(tuple))
OPTIONAL = st.one_of(st.none(), TEXT, st.integers(0, 3))


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    extra = draw(st.dictionaries(st.sampled_from(["x-effort", "x-risk", "x-notes", "x-a b"]), VALUE, max_size=3))
    return Requirement(
        id=draw(st.sampled_from(["REQ-1", "REQ-2", " REQ-3 "])),
        title=draw(TEXT),
        statement=draw(TEXT),
        path="specs/x.yaml",
        acceptance=draw(TEXTS),
        priority=draw(OPTIONAL),
        status=draw(OPTIONAL),
        parents=draw(TEXTS),
        sources=draw(TEXTS),
        tags=draw(TEXTS),
        owner=draw(OPTIONAL),
        rationale=draw(OPTIONAL),
        extra=tuple(sorted(extra.items())),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requirements())
def test_any_requirement_digests_as_the_algorithm_says(requirement: Requirement) -> None:
    try:
        expected: Any = reference_bytes(requirement)
    except TypeError as error:  # a set field holding a mapping cannot be sorted either way
        expected = type(error)
    try:
        got: Any = canonical_bytes(requirement)
    except TypeError as error:
        got = type(error)
    assert got == expected


# What a parser makes: every field text or None, the list fields tuples of texts, `x-` fields
# sorted by name — the requirements `_canonical_json` writes in one pass, with any value in
# an `x-` field.
@st.composite
def parsed_requirements(draw: st.DrawFn) -> Requirement:
    extra = draw(st.dictionaries(st.sampled_from(["x-effort", "x-risk", "x-notes", "x-a b", "x-é"]), VALUE, max_size=3))
    texts = st.lists(TEXT, max_size=4).map(tuple)
    maybe = st.one_of(st.none(), TEXT)
    return Requirement(
        id=draw(st.sampled_from(["REQ-1", "REQ-2", " REQ-3 ", "患者-1"])), title=draw(TEXT), statement=draw(TEXT), path="specs/x.yaml",
        acceptance=draw(texts), priority=draw(maybe), status=draw(maybe), parents=draw(texts), sources=draw(texts), tags=draw(texts),
        owner=draw(maybe), rationale=draw(maybe), extra=tuple(sorted(extra.items())),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parsed_requirements())
def test_a_parsed_requirement_written_in_one_pass_digests_as_the_algorithm_says(requirement: Requirement) -> None:
    assert _canonical_json(requirement) is not None
    assert canonical_bytes(requirement) == reference_bytes(requirement)
