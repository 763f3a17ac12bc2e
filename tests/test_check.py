"""Every finding code of `reqtrace check`: a file that has the problem, and the fixed file that has not.

Each failing case asserts the code, severity, path, line and what the message
tells the user to do.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from conftest import requirement_yaml
from reqtrace.checks.check import parent_cycles, run_checks
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import Finding
from reqtrace.core.snapshot import load_snapshot

GOOD = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online"),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel online", parents=["REQ-1"]),
}


def findings_of(
    make_repo, files: dict[str, str | bytes], *, strict: bool = False, name: str = "repo"
) -> list[Finding]:
    repo = make_repo(files, git_init=False, name=name)
    return run_checks(load_snapshot(find_spec_repo(repo.root)), strict=strict).findings


def only(findings: list[Finding], code: str) -> Finding:
    chosen = [f for f in findings if f.code == code]
    assert len(chosen) == 1, findings
    return chosen[0]


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_a_clean_repo_has_no_findings(make_repo) -> None:
    assert findings_of(make_repo, GOOD) == []


# --- yaml-syntax ------------------------------------------------------------


def test_yaml_syntax(make_repo) -> None:
    broken = {**GOOD, "specs/REQ-3.yaml": "id: REQ-3\ntitle: [unclosed\nstatement: y\n"}
    finding = only(findings_of(make_repo, broken), "yaml-syntax")
    assert (finding.severity, finding.path, finding.line) == ("error", "specs/REQ-3.yaml", 3)
    assert finding.message.startswith("YAML syntax error")


def test_yaml_syntax_fixed(make_repo) -> None:
    fixed = {**GOOD, "specs/REQ-3.yaml": "id: REQ-3\ntitle: '[unclosed'\nstatement: y\n"}
    assert findings_of(make_repo, fixed) == []


def test_tabs_are_a_yaml_syntax_finding_that_says_use_spaces(make_repo) -> None:
    finding = only(
        findings_of(make_repo, {"specs/REQ-3.yaml": "id: REQ-3\ntitle: x\n\tstatement: y\n"}),
        "yaml-syntax",
    )
    assert finding.line == 3
    assert "use spaces" in finding.message


# --- duplicate-key ----------------------------------------------------------


def test_duplicate_key(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": "id: REQ-3\ntitle: Old\nstatement: s\ntitle: New\n"}
    finding = only(findings_of(make_repo, broken), "duplicate-key")
    assert (finding.severity, finding.path, finding.line) == ("error", "specs/REQ-3.yaml", 4)
    assert "'title' appears twice (lines 2 and 4)" in finding.message
    assert "remove or rename one" in finding.message


def test_duplicate_key_fixed(make_repo) -> None:
    assert (
        findings_of(make_repo, {"specs/REQ-3.yaml": "id: REQ-3\ntitle: New\nstatement: s\n"}) == []
    )


# --- yaml-alias -------------------------------------------------------------


def test_yaml_alias(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": "id: REQ-3\ntitle: Book\nstatement: *t\n"}
    finding = only(findings_of(make_repo, broken), "yaml-alias")
    assert (finding.severity, finding.path, finding.line) == ("error", "specs/REQ-3.yaml", 3)
    assert "write the value out in full" in finding.message


def test_yaml_anchor_is_reported_where_it_is_set(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": "id: REQ-3\ntitle: &t Book\nstatement: *t\n"}
    finding = only(findings_of(make_repo, broken), "yaml-alias")
    assert (finding.path, finding.line) == ("specs/REQ-3.yaml", 2)
    assert "anchors (&name) are not allowed" in finding.message


def test_yaml_alias_fixed(make_repo) -> None:
    assert (
        findings_of(make_repo, {"specs/REQ-3.yaml": "id: REQ-3\ntitle: Book\nstatement: Book\n"})
        == []
    )


# --- not-utf8 ---------------------------------------------------------------


def test_not_utf8(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": "id: REQ-3\ntitle: x\nstatement: Café\n".encode("latin-1")}
    finding = only(findings_of(make_repo, broken), "not-utf8")
    assert (finding.severity, finding.path, finding.line) == ("error", "specs/REQ-3.yaml", 3)
    assert "save the file as UTF-8" in finding.message


def test_not_utf8_fixed_and_a_bom_is_fine(make_repo) -> None:
    fixed = {"specs/REQ-3.yaml": "\ufeffid: REQ-3\ntitle: x\nstatement: Café 咖啡\n".encode()}
    assert findings_of(make_repo, fixed) == []


def test_a_binary_file_named_yaml_is_not_utf8(make_repo) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))
    finding = only(findings_of(make_repo, {**GOOD, "specs/logo.yaml": png}), "not-utf8")
    assert (finding.path, finding.line) == ("specs/logo.yaml", 1)
    assert "binary file" in finding.message


# --- file-too-large ---------------------------------------------------------


def test_file_too_large(make_repo) -> None:
    repo = make_repo(GOOD, git_init=False)
    with open(repo.root / "specs" / "huge.yaml", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: instant, takes no disk
    snapshot = load_snapshot(find_spec_repo(repo.root))
    assert "specs/huge.yaml" not in snapshot.files  # judged by its size, never read
    findings = run_checks(snapshot).findings
    finding = only(findings, "file-too-large")
    assert (finding.severity, finding.path) == ("error", "specs/huge.yaml")
    assert "52,428,800 bytes" in finding.message and "split it" in finding.message
    assert codes(findings) == ["file-too-large"]  # and nothing else was read of it


def test_file_just_under_the_limit_is_read(make_repo) -> None:
    padding = "# " + "x" * 1000 + "\n"
    text = requirement_yaml("REQ-3") + padding * 1000  # about 1,002,000 bytes, below 1 MiB
    assert findings_of(make_repo, {"specs/REQ-3.yaml": text}) == []


# --- schema -----------------------------------------------------------------


def test_schema_missing_field(make_repo) -> None:
    finding = only(findings_of(make_repo, {"specs/REQ-3.yaml": "id: REQ-3\ntitle: x\n"}), "schema")
    assert (finding.severity, finding.path, finding.line, finding.id) == (
        "error",
        "specs/REQ-3.yaml",
        1,
        "REQ-3",
    )
    assert "missing required field 'statement'" in finding.message


@pytest.mark.parametrize(
    ("line_text", "shown", "quoted"),
    [
        ("title: NO", "NO", 'title: "NO"'),
        ("title: 1.10", "1.10", 'title: "1.10"'),
        ("title: 012", "012", 'title: "012"'),
        ("title: yes", "yes", 'title: "yes"'),
        ("title: 2026-01-15", "2026-01-15", 'title: "2026-01-15"'),
    ],
)
def test_schema_unquoted_value_where_text_belongs(
    make_repo, line_text: str, shown: str, quoted: str
) -> None:
    broken = {"specs/REQ-3.yaml": f"id: REQ-3\nstatement: s\n{line_text}\n"}
    finding = only(findings_of(make_repo, broken), "schema")
    assert (finding.severity, finding.path, finding.line, finding.id) == (
        "error",
        "specs/REQ-3.yaml",
        3,
        "REQ-3",
    )
    assert f"unquoted `{shown}`" in finding.message
    assert f"quote it: {quoted}" in finding.message


def test_schema_unquoted_value_in_a_list_names_the_items_line(make_repo) -> None:
    broken = {
        "specs/REQ-3.yaml": "id: REQ-3\ntitle: t\nstatement: s\nacceptance:\n  - Works.\n  - NO\n"
    }
    finding = only(findings_of(make_repo, broken), "schema")
    assert finding.line == 6
    assert "'acceptance[1]'" in finding.message and 'quote it: "NO"' in finding.message


def test_schema_quoted_values_are_fine(make_repo) -> None:
    fixed = {
        "specs/REQ-3.yaml": 'id: REQ-3\nstatement: s\ntitle: "NO"\nowner: "012"\nacceptance: ["1.10"]\n'
    }
    assert findings_of(make_repo, fixed) == []


def test_schema_the_text_as_written_is_what_commands_show(make_repo) -> None:
    repo = make_repo(
        {"specs/REQ-3.yaml": "id: REQ-3\nstatement: 1.10\ntitle: NO\n"}, git_init=False
    )
    requirement = load_snapshot(find_spec_repo(repo.root)).requirements["REQ-3"]
    assert (requirement.title, requirement.statement) == ("NO", "1.10")


def test_schema_bad_choice(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": requirement_yaml("REQ-3", priority="urgent")}
    finding = only(findings_of(make_repo, broken), "schema")
    assert finding.line == 4
    assert "'priority' must be one of must, should, could, wont (got 'urgent')" in finding.message


def test_schema_a_list_where_a_mapping_belongs(make_repo) -> None:
    finding = only(
        findings_of(make_repo, {"specs/REQ-3.yaml": "- id: REQ-3\n- title: x\n"}), "schema"
    )
    assert (finding.path, finding.line) == ("specs/REQ-3.yaml", 1)
    assert "list where a mapping belongs" in finding.message and "requirements:" in finding.message


def test_schema_a_list_under_requirements_is_fine(make_repo) -> None:
    text = "requirements:\n  - id: REQ-3\n    title: a\n    statement: b\n  - id: REQ-4\n    title: c\n    statement: d\n"
    repo = make_repo({"specs/many.yaml": text}, git_init=False)
    snapshot = load_snapshot(find_spec_repo(repo.root))
    assert run_checks(snapshot).findings == []
    assert snapshot.requirements["REQ-4"].line == 5


def test_schema_a_text_where_a_list_belongs(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": "id: REQ-3\ntitle: t\nstatement: s\nacceptance: It works.\n"}
    finding = only(findings_of(make_repo, broken), "schema")
    assert finding.line == 4
    assert "'acceptance' must be a list" in finding.message


def test_schema_empty_file(make_repo) -> None:
    finding = only(findings_of(make_repo, {"specs/REQ-3.yaml": ""}), "schema")
    assert (finding.path, finding.line) == ("specs/REQ-3.yaml", 1)
    assert "the file is empty" in finding.message


def test_schema_request_dates(make_repo) -> None:
    broken = {"records/requests/RQ-1.yaml": "id: RQ-1\ntitle: t\nreceived: 2026-02-30\n"}
    finding = only(findings_of(make_repo, broken), "schema")
    assert (finding.path, finding.line, finding.id) == ("records/requests/RQ-1.yaml", 3, "RQ-1")
    assert "must be a date like 2026-01-15 (got '2026-02-30')" in finding.message
    fixed = {**GOOD, "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: t\nreceived: 2026-02-28\n"}
    assert findings_of(make_repo, fixed, name="fixed") == []


def test_schema_meeting_without_front_matter(make_repo) -> None:
    finding = only(findings_of(make_repo, {"records/meetings/MTG-1.md": "# Minutes\n"}), "schema")
    assert finding.path == "records/meetings/MTG-1.md"
    assert "no YAML front matter" in finding.message


def test_schema_meeting_lines_count_from_the_top_of_the_file(make_repo) -> None:
    text = "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Kick-off\nattendees: NO\n---\n# Minutes\n"
    finding = only(findings_of(make_repo, {"records/meetings/MTG-1.md": text}), "schema")
    assert finding.line == 5


# --- unknown-field ----------------------------------------------------------


def test_unknown_field_names_the_nearest_known_key(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": requirement_yaml("REQ-3") + "acceptence:\n  - Works.\n"}
    finding = only(findings_of(make_repo, broken), "unknown-field")
    assert (finding.severity, finding.path, finding.line, finding.id) == (
        "warning",
        "specs/REQ-3.yaml",
        4,
        "REQ-3",
    )
    assert "unknown field 'acceptence'; did you mean 'acceptance'?" in finding.message


def test_unknown_field_far_from_any_key_lists_the_known_ones(make_repo) -> None:
    finding = only(
        findings_of(make_repo, {"specs/REQ-3.yaml": requirement_yaml("REQ-3") + "zzz: 1\n"}),
        "unknown-field",
    )
    assert "known fields:" in finding.message and "prefix your own with 'x-'" in finding.message


def test_unknown_field_fixed_and_x_fields_are_welcome(make_repo) -> None:
    fixed = {
        "specs/REQ-3.yaml": requirement_yaml("REQ-3")
        + "acceptance:\n  - Works.\nx-cost: 3\nx-team: {lead: Li}\n"
    }
    assert findings_of(make_repo, fixed) == []


def test_unknown_field_is_an_error_with_strict(make_repo) -> None:
    broken = {"specs/REQ-3.yaml": requirement_yaml("REQ-3") + "acceptence: [x]\n"}
    assert only(findings_of(make_repo, broken, strict=True), "unknown-field").severity == "error"


# --- duplicate-id -----------------------------------------------------------


def test_duplicate_id(make_repo) -> None:
    broken = {**GOOD, "specs/more/copy.yaml": requirement_yaml("REQ-1", "Copied")}
    finding = only(findings_of(make_repo, broken), "duplicate-id")
    assert (finding.severity, finding.line, finding.id) == ("error", 1, "REQ-1")
    # Files are taken in path order: specs/REQ-1.yaml comes first and keeps the id.
    assert finding.path == "specs/more/copy.yaml"
    assert "already used by the requirement in specs/REQ-1.yaml:1" in finding.message


def test_duplicate_id_across_kinds(make_repo) -> None:
    broken = {**GOOD, "records/requests/RQ-1.yaml": "id: REQ-1\ntitle: t\nreceived: 2026-01-15\n"}
    finding = only(findings_of(make_repo, broken), "duplicate-id")
    assert finding.path == "specs/REQ-1.yaml" or finding.path == "records/requests/RQ-1.yaml"
    assert "already used by the" in finding.message


def test_duplicate_id_fixed(make_repo) -> None:
    assert (
        findings_of(
            make_repo, {**GOOD, "specs/more/copy.yaml": requirement_yaml("REQ-3", "Copied")}
        )
        == []
    )


# Every kind of reference, right, of the wrong kind and to nothing; ids taken twice, in one kind
# and across kinds; a document of the requirements: for the fast paths' tests below.
TANGLED = {
    **GOOD,
    "specs/more/copy.yaml": requirement_yaml("REQ-1", "Copied"),
    "specs/REQ-3.yaml": "id: REQ-3\ntitle: t\nstatement: s\nparents: [REQ-99, RQ-1, REQ-2]\nsources: [MTG-1, RQ-1, REQ-1, NOPE-2]\n",
    "specs/_document.yaml": "document: SYS\ntitle: System requirements\n",
    "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: t\nreceived: 2026-01-15\naffects: [REQ-1, RQ-2, REQ-77]\nrefs: [MTG-1, NOPE-1]\n"
    "sources: [MTG-1, RQ-404]\ndecision:\n  status: approved\n  in: MTG-9\n",
    "records/requests/RQ-2.yaml": "id: REQ-2\ntitle: t\nreceived: 2026-01-15\n",
    "records/meetings/MTG-1.md": "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Review\nrefs: [REQ-2, REQ-404, RQ-1]\ndecisions:\n"
    "  - text: Agreed.\n    approves: [RQ-1, REQ-1, RQ-77]\n    rejects: [MTG-1]\n    refs: [RQ-1, X-1]\n---\n",
}


def test_references_passed_over_are_those_dangling_says_nothing_of(make_repo) -> None:
    """check_references passes over a reference to any item's id before `dangling` is asked:
    the same findings, in the same order, as asking it of every reference."""
    from reqtrace.checks.check import check_references

    snapshot = load_snapshot(find_spec_repo(make_repo(TANGLED, git_init=False).root))
    found = list(check_references(snapshot))
    snapshot.all_ids = set  # type: ignore[method-assign]  # no id known: every reference asked
    assert found == list(check_references(snapshot))
    assert len(found) == 14, found


def test_a_whole_snapshots_files_added_at_once_as_one_by_one(make_repo) -> None:
    """load_snapshot adds the parsed files in one pass (`add_parsed_files`): the same snapshot,
    its findings in the same order, as `add_parsed` file by file."""
    from reqtrace.core.config import parse_config
    from reqtrace.core.model import Snapshot
    from reqtrace.core.snapshot import (
        Reader,
        add_parsed,
        add_parsed_files,
        parse_sources,
        scanned_folders,
    )

    repo = find_spec_repo(make_repo(TANGLED, git_init=False).root)
    reader = Reader(repo, None)
    config, _ = parse_config(reader.read_config())
    parsed_files = parse_sources(reader, config, reader.list_files(scanned_folders(config)))
    one_by_one, at_once = Snapshot(config=config, commit=None), Snapshot(config=config, commit=None)
    for parsed_file in parsed_files:
        if parsed_file.read:
            one_by_one.files[parsed_file.source.path] = parsed_file.oid or ""
        add_parsed(one_by_one, parsed_file.parsed)
    add_parsed_files(at_once, parsed_files)
    assert at_once == one_by_one and at_once.findings == one_by_one.findings
    assert [f.code for f in at_once.findings].count("duplicate-id") == 2 and at_once.spec_documents


# --- bad-id -----------------------------------------------------------------


def test_bad_id(make_repo) -> None:
    finding = only(findings_of(make_repo, {"specs/x.yaml": requirement_yaml("req_7")}), "bad-id")
    assert (finding.severity, finding.path, finding.line, finding.id) == (
        "error",
        "specs/x.yaml",
        1,
        "req_7",
    )
    assert "does not match the id pattern" in finding.message


def test_bad_id_fixed_by_the_projects_own_pattern(make_repo) -> None:
    files = {
        "reqtrace.yaml": "project: P\nid_pattern: '^req_[0-9]+$'\n",
        "specs/x.yaml": requirement_yaml("req_7"),
    }
    assert findings_of(make_repo, files) == []


def test_an_id_with_unusable_characters_is_a_schema_error(make_repo) -> None:
    finding = only(
        findings_of(make_repo, {"specs/x.yaml": 'id: "REQ 7/../x"\ntitle: t\nstatement: s\n'}),
        "schema",
    )
    assert "unusable value" in finding.message


# --- dangling-ref -----------------------------------------------------------


def test_dangling_ref_parent(make_repo) -> None:
    broken = {**GOOD, "specs/REQ-3.yaml": "id: REQ-3\ntitle: t\nstatement: s\nparents: [REQ-99]\n"}
    finding = only(findings_of(make_repo, broken), "dangling-ref")
    assert (finding.severity, finding.path, finding.line, finding.id) == (
        "error",
        "specs/REQ-3.yaml",
        4,
        "REQ-3",
    )
    assert "parents names 'REQ-99', which does not exist" in finding.message


def test_dangling_ref_of_the_wrong_kind(make_repo) -> None:
    files = {
        **GOOD,
        "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: t\nreceived: 2026-01-15\naffects: [RQ-1]\n",
    }
    finding = only(findings_of(make_repo, files), "dangling-ref")
    assert (finding.path, finding.line) == ("records/requests/RQ-1.yaml", 4)
    assert "'RQ-1', which is a request, not a requirement" in finding.message


def test_dangling_ref_in_a_meeting_decision_points_at_the_decision(make_repo) -> None:
    text = "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Review\ndecisions:\n  - text: Agreed.\n    approves: [RQ-9]\n---\n"
    finding = only(
        findings_of(make_repo, {**GOOD, "records/meetings/MTG-1.md": text}), "dangling-ref"
    )
    assert (finding.path, finding.line, finding.id) == ("records/meetings/MTG-1.md", 6, "MTG-1")
    assert "'RQ-9', which does not exist" in finding.message


def test_dangling_ref_fixed(make_repo) -> None:
    files = {
        **GOOD,
        "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: t\nreceived: 2026-01-15\naffects: [REQ-1]\nsources: [MTG-1]\n"
        "decision:\n  status: approved\n  in: MTG-1\n",
        "records/meetings/MTG-1.md": "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Review\nrefs: [REQ-2]\n"
        "decisions:\n  - text: Agreed.\n    approves: [RQ-1]\n---\n",
    }
    assert findings_of(make_repo, files) == []


# --- parent-cycle -----------------------------------------------------------


def test_parent_cycle(make_repo) -> None:
    files = {
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", parents=["REQ-3"]),
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"]),
        "specs/REQ-3.yaml": requirement_yaml("REQ-3", parents=["REQ-2"]),
    }
    finding = only(findings_of(make_repo, files), "parent-cycle")
    assert (finding.severity, finding.path, finding.line, finding.id) == (
        "error",
        "specs/REQ-1.yaml",
        4,
        "REQ-1",
    )
    assert (
        "REQ-1 -> REQ-3 -> REQ-2 -> REQ-1" in finding.message
        and "remove one link" in finding.message
    )


def test_parent_cycle_of_one(make_repo) -> None:
    finding = only(
        findings_of(make_repo, {"specs/REQ-1.yaml": requirement_yaml("REQ-1", parents=["REQ-1"])}),
        "parent-cycle",
    )
    assert "REQ-1 -> REQ-1" in finding.message


def test_parent_cycle_fixed(make_repo) -> None:
    files = {
        "specs/REQ-1.yaml": requirement_yaml("REQ-1"),
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"]),
        "specs/REQ-3.yaml": requirement_yaml("REQ-3", parents=["REQ-2", "REQ-1"]),
    }
    assert findings_of(make_repo, files) == []


def _plain_parent_cycles(parents: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """The plain computation `parent_cycles` must agree with: a recursive walk from each id
    in sorted order, each id's parents in sorted order, with no shortcut."""
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for child in sorted(parents[node]):
            if child not in parents:
                continue
            if state.get(child) == 1:
                cycles.append(path[path.index(child) :] + [child])
            elif not state.get(child):
                walk(child, path)
        path.pop()
        state[node] = 2

    for start in sorted(parents):
        if not state.get(start):
            walk(start, [])
    return cycles


def test_parent_cycles_agree_with_the_plain_walk() -> None:
    """The walk that finishes an id without parents at once and leaves one parent unsorted
    finds the same cycles, in the same order and from the same id, as the plain walk: on
    relations with cycles, self-links, ids named twice and parents that are no requirement."""
    draw = random.Random(18)  # noqa: S311 - test data, not secrets
    for _ in range(400):
        ids = [f"REQ-{draw.randrange(40)}" for _ in range(draw.randrange(1, 25))]
        relation = {rid: tuple(draw.choices([*ids, "REQ-99", "RQ-1"], k=draw.choice((0, 0, 1, 1, 1, 2, 3)))) for rid in ids}
        assert parent_cycles(relation) == _plain_parent_cycles(relation), relation
    assert parent_cycles({"REQ-1": ("REQ-2",), "REQ-2": ("REQ-1", "REQ-1"), "REQ-3": ()}) == [["REQ-1", "REQ-2", "REQ-1"], ["REQ-1", "REQ-2", "REQ-1"]]


# --- config -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "line", "phrase"),
    [
        ("project: P\nprojet: Q\n", 2, "unknown field 'projet'; did you mean 'project'?"),
        ("customer: C\n", 1, "missing required field 'project'"),
        (
            "project: P\npaths:\n  records: ../elsewhere\n",
            3,
            "paths.records must be a folder inside the spec repo",
        ),
        ("project: P\nid_pattern: '['\n", 2, "id_pattern is not a valid regular expression"),
        ("project: P\nproject: Q\n", 2, "appears twice"),
        ("- project: P\n", 1, "must be a mapping"),
        ("project: [unclosed\n", 2, "YAML syntax error"),
    ],
)
def test_config(make_repo, config: str, line: int, phrase: str) -> None:
    findings = findings_of(make_repo, {**GOOD, "reqtrace.yaml": config})
    finding = only(findings, "config")
    assert (finding.severity, finding.path, finding.line) == ("error", "reqtrace.yaml", line)
    assert phrase in finding.message


def test_config_fixed(make_repo) -> None:
    config = "project: P\ncustomer: C\npaths:\n  requirements: reqs\nid_pattern: '^R-[0-9]+$'\ndrift: warn\n"
    assert (
        findings_of(make_repo, {"reqtrace.yaml": config, "reqs/R-1.yaml": requirement_yaml("R-1")})
        == []
    )


def test_a_bad_records_folder_in_the_config_falls_back_to_the_default(make_repo) -> None:
    # (A bad requirements folder stops loading instead: tests/test_hostile_loading.py.)
    repo = make_repo(
        {**GOOD, "reqtrace.yaml": "project: P\npaths:\n  records: /etc\n"}, git_init=False
    )
    snapshot = load_snapshot(find_spec_repo(repo.root))
    assert snapshot.config.records_dir == "records"
    assert set(snapshot.requirements) == {"REQ-1", "REQ-2"}


# --- symlinks (bad input of issue 2, point 6) --------------------------------


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlink_pointing_outside_the_repo_is_an_error_and_is_not_read(
    make_repo, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(requirement_yaml("REQ-666", "outside"))
    repo = make_repo(GOOD, git_init=False)
    os.symlink(secret, repo.root / "specs" / "link.yaml")
    snapshot = load_snapshot(find_spec_repo(repo.root))
    finding = only(run_checks(snapshot).findings, "symlink")
    assert (finding.severity, finding.path) == ("error", "specs/link.yaml")
    assert "points outside the spec repo" in finding.message
    assert "REQ-666" not in snapshot.requirements


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlinked_folder_is_reported_not_followed(make_repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "REQ-7.yaml").write_text(requirement_yaml("REQ-7"))
    repo = make_repo(GOOD, git_init=False)
    os.symlink(outside, repo.root / "specs" / "shared")
    snapshot = load_snapshot(find_spec_repo(repo.root))
    assert only(run_checks(snapshot).findings, "symlink").path == "specs/shared"
    assert "REQ-7" not in snapshot.requirements


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlink_inside_the_repo_is_a_warning(make_repo) -> None:
    repo = make_repo(GOOD, git_init=False)
    os.symlink("REQ-1.yaml", repo.root / "specs" / "alias.yaml")
    finding = only(run_checks(load_snapshot(find_spec_repo(repo.root))).findings, "symlink")
    assert finding.severity == "warning"
    assert "not followed" in finding.message


def test_findings_are_sorted_by_path_and_line(make_repo) -> None:
    files = {
        "specs/b.yaml": "id: REQ-2\ntitle: t\nstatement: s\nparents: [X-1]\nacceptence: []\n",
        "specs/a.yaml": "id: REQ-1\ntitle: t\n",
    }
    findings = findings_of(make_repo, files)
    assert [(f.path, f.line) for f in findings] == [
        ("specs/a.yaml", 1),
        ("specs/b.yaml", 4),
        ("specs/b.yaml", 5),
    ]



def test_the_rules_around_the_baselines_work_give_the_report_of_one_go(demo_build, tmp_path) -> None:
    """`run_checks(baselines_ready=…)` runs the rules that need nothing of the baselines
    first, then the callback (here the drift gate, which adds findings, as `check` does),
    then the others: the report of the drift's findings added first and every rule run in one go."""
    import subprocess

    from conftest import copy_demo
    from reqtrace.baselines.verify import baseline_verdict
    from reqtrace.checks.check import drift_gate

    root = copy_demo(demo_build, tmp_path / "demo")
    spec = root / "specs" / "accounts" / "REQ-13.yaml"  # no approved request covers it
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    subprocess.run(["git", "commit", "-qam", "REQ-13 edited after delivery"], cwd=root, check=True, capture_output=True)
    repo = find_spec_repo(root)

    def with_drift(snapshot) -> None:
        base = baseline_verdict(snapshot).accepted
        assert base is not None
        snapshot.findings.extend(drift_gate(snapshot, base, "warn"))

    for strict in (False, True):
        plain, ordered = load_snapshot(repo), load_snapshot(repo)
        with_drift(plain)
        calls = []
        expected = run_checks(plain, strict=strict)
        got = run_checks(ordered, strict=strict, baselines_ready=lambda snapshot=ordered, calls=calls: (calls.append(1), with_drift(snapshot)))
        assert got.findings == expected.findings and calls == [1]
        assert any(finding.code == "unapproved-change" for finding in got.findings)
