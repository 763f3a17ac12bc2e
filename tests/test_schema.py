"""The shipped JSON Schemas are real JSON Schemas, and reqtrace's validator agrees with a standard one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reqtrace.core.parse import plain
from reqtrace.core.schema import kinds, load_schema, validate
from reqtrace.io.yamlio import decode_text, load_yaml, split_front_matter


@pytest.mark.parametrize("kind", kinds())
def test_each_shipped_schema_is_a_valid_json_schema(kind: str) -> None:
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{kind}.json"  # relative: resolves beside the other schemas


def test_the_issue_2_kinds_are_shipped() -> None:
    assert {"config", "requirement", "request", "meeting"} <= set(kinds())


@pytest.mark.parametrize("kind", ["requirement", "request", "meeting", "config"])
def test_schema_command_prints_the_shipped_schema(run_cli, run_in_process, tmp_path, kind: str) -> None:
    # One kind through a real process, the others in this process (the same text, ~0.25 s less each).
    result = (run_cli if kind == "requirement" else run_in_process)("schema", kind, cwd=tmp_path)
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    Draft202012Validator.check_schema(printed)
    assert printed == load_schema(kind)


# Documents written as JSON (which is YAML too), so that YAML's own typing
# cannot make the two validators see different data.
DOCUMENTS = [
    ("requirement", {"id": "REQ-1", "title": "Book", "statement": "Patients book online."}, True),
    (
        "requirement",
        {
            "id": "REQ-1",
            "title": "预约",
            "statement": "在线预约。",
            "acceptance": ["a", "b"],
            "priority": "must",
            "status": "approved",
            "parents": ["REQ-0"],
            "sources": ["MTG-1"],
            "tags": ["x"],
            "owner": "Li",
            "rationale": "why",
            "x-cost": {"days": 3},
        },
        True,
    ),
    ("requirement", {"id": "REQ-1", "title": "Book"}, False),
    (
        "requirement",
        {"id": "REQ-1", "title": "Book", "statement": "s", "priority": "urgent"},
        False,
    ),
    ("requirement", {"id": "REQ-1", "title": "Book", "statement": "s", "acceptance": "one"}, False),
    (
        "requirement",
        {"id": "REQ-1", "title": "Book", "statement": "s", "acceptance": [False]},
        False,
    ),
    ("requirement", {"id": "REQ-1", "title": "Book", "statement": "s", "acceptence": ["x"]}, False),
    ("requirement", {"id": "REQ 1/..", "title": "Book", "statement": "s"}, False),
    ("requirement", {"id": 7, "title": "Book", "statement": "s"}, False),
    ("requirement", {"id": "REQ-1", "title": "", "statement": "s"}, False),
    (
        "request",
        {
            "id": "RQ-1",
            "title": "SMS",
            "received": "2026-01-20",
            "channel": "email",
            "affects": ["REQ-1"],
            "decision": {"status": "approved", "by": "Dr. Chen", "on": "2026-02-01", "in": "MTG-1"},
        },
        True,
    ),
    ("request", {"id": "RQ-1", "title": "SMS", "received": "2026-02-30"}, False),
    ("request", {"id": "RQ-1", "title": "SMS", "received": "2026-01-20", "channel": "fax"}, False),
    (
        "request",
        {"id": "RQ-1", "title": "SMS", "received": "2026-01-20", "decision": {"by": "x"}},
        False,
    ),
    (
        "request",
        {
            "id": "RQ-1",
            "title": "SMS",
            "received": "2026-01-20",
            "triage": {"classification": "change", "confidence": 1.5},
        },
        False,
    ),
    (
        "meeting",
        {
            "id": "MTG-1",
            "date": "2026-01-15",
            "title": "Kick-off",
            "attendees": ["A", "B"],
            "decisions": [{"text": "Agreed", "approves": ["RQ-1"]}],
        },
        True,
    ),
    (
        "meeting",
        {
            "id": "MTG-1",
            "date": "2026-01-15",
            "title": "Kick-off",
            "decisions": [{"approves": ["RQ-1"]}],
        },
        False,
    ),
    (
        "config",
        {
            "project": "P",
            "paths": {"requirements": "reqs"},
            "id_pattern": "^R-[0-9]+$",
            "drift": "error",
        },
        True,
    ),
    ("config", {"project": "P", "paths": {"specs": "x"}}, False),
    ("config", {"project": "P", "drift": "sometimes"}, False),
]


@pytest.mark.parametrize(("kind", "document", "valid"), DOCUMENTS)
def test_our_validator_and_jsonschema_agree(kind: str, document: dict, valid: bool) -> None:
    data = load_yaml(json.dumps(document, ensure_ascii=False))
    ours = validate(data, kind)
    standard = Draft202012Validator(
        load_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    theirs = list(standard.iter_errors(document))
    assert (not ours) == valid, ours
    assert (not theirs) == valid, [error.message for error in theirs]


def test_whitespace_only_text_is_where_we_are_stricter() -> None:
    document = {"id": "REQ-1", "title": "   ", "statement": "s"}
    assert validate(load_yaml(json.dumps(document)), "requirement")
    assert not list(Draft202012Validator(load_schema("requirement")).iter_errors(document))


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "clinic"


def example_documents() -> list[tuple[str, str, object]]:
    """(kind, path, data as JSON would carry it) for every file of the worked example."""
    found: list[tuple[str, str, object]] = [
        (
            "config",
            "reqtrace.yaml",
            plain(load_yaml((EXAMPLE / "reqtrace.yaml").read_text("utf-8"))),
        )
    ]
    for path in sorted((EXAMPLE / "specs").rglob("*.y*ml")):
        data = plain(load_yaml(decode_text(path.read_bytes())))
        entries = data["requirements"] if "requirements" in data and "id" not in data else [data]
        found += [("requirement", str(path.relative_to(EXAMPLE)), entry) for entry in entries]
    for path in sorted((EXAMPLE / "records" / "requests").glob("*.yaml")):
        found.append(
            (
                "request",
                str(path.relative_to(EXAMPLE)),
                plain(load_yaml(decode_text(path.read_bytes()))),
            )
        )
    for path in sorted((EXAMPLE / "records" / "meetings").glob("*.md")):
        text, offset, _ = split_front_matter(decode_text(path.read_bytes()))
        found.append(
            ("meeting", str(path.relative_to(EXAMPLE)), plain(load_yaml(text, line_offset=offset)))
        )
    return found


def test_the_examples_files_get_the_same_verdict_from_jsonschema_as_from_check(run_cli) -> None:
    # Without format checking: reqtrace's "date" also takes a date with a time
    # (2026-02-05T14:00:00+08:00), which a strict RFC 3339 full-date does not.
    if not (EXAMPLE / "reqtrace.yaml").is_file():
        pytest.skip("examples/clinic is not in this checkout")
    documents = example_documents()
    assert len(documents) > 40
    for kind, path, data in documents:
        errors = [
            error.message for error in Draft202012Validator(load_schema(kind)).iter_errors(data)
        ]
        assert errors == [], f"{path}: {errors}"
    assert run_cli("check", "--strict", cwd=EXAMPLE).exit_code == 0
