"""Documents, sections, reading order and stable identity (structure.py), and what
check, list, show, diff, log and trace make of them.

One repo is built per module and copied where a test changes it: two commits,
`v1` (the documents as first written) and `v2` (a reorder, a section move, a
rename that keeps its `mid`, a renumbered id with `x-renamed-from`, a retitled document).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CONFIG, GIT_IDENTITY, write_files
from hostile.kit import run as run_through_main
from reqtrace.core.config import find_spec_repo
from reqtrace.core.snapshot import load_snapshot
from reqtrace.core.structure import (
    Document,
    Section,
    TextNode,
    outline,
    placements,
    structure_findings,
)

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, **GIT_IDENTITY}

SYS_DOCUMENT = """\
document: SYS
title: System requirements
sections:
  - id: scope
    title: Scope
    texts:
      - order: 1
        text: What the system is for.
"""

SRS_DOCUMENT = """\
document: SRS
title: Software requirements
parent: SYS
x-owner: team A
sections:
  - id: intro
    title: Introduction
    texts:
      - text: Free text, not a requirement.
  - id: login
    title: Login
    sections:
      - id: sessions
        title: Sessions
"""


def requirement(req_id: str, title: str, **fields: object) -> str:
    lines = [f"id: {req_id}", f"title: {title}", f"statement: The software shall {title.lower()}."]
    lines += [f"{key.replace('_', '-')}: {json.dumps(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


V1 = {
    "reqtrace.yaml": CONFIG,
    "specs/sys/_document.yaml": SYS_DOCUMENT,
    "specs/sys/SYS-1.yaml": requirement("SYS-1", "Serve", section="scope", order=10),
    "specs/srs/_document.yaml": SRS_DOCUMENT,
    "specs/srs/SRS-1.yaml": requirement("SRS-1", "Log in", section="login", order=1, parents=["SYS-1"]),
    "specs/srs/SRS-2.yaml": requirement("SRS-2", "Log out", section="login", order=2),
    "specs/srs/SRS-3.yaml": requirement("SRS-3", "Time out", section="login", order=3),
    "specs/srs/SRS-4.yaml": requirement("SRS-4", "Remember me", section="intro", mid="m-4"),
    "specs/srs/SRS-5.yaml": requirement("SRS-5", "Lock", section="sessions", order=1),
    "specs/misc/REQ-1.yaml": requirement("REQ-1", "Loose"),
}

# A reorder (SRS-2 before SRS-1), a section move (SRS-3 to sessions), a rename keeping
# the mid (SRS-4 -> SRS-40), a renumbered id (SRS-5 -> SRS-50, x-renamed-from) and a
# retitled document.
V2 = {
    "specs/srs/_document.yaml": SRS_DOCUMENT.replace("title: Software requirements", "title: Software requirements specification"),
    "specs/srs/SRS-1.yaml": requirement("SRS-1", "Log in", section="login", order=2, parents=["SYS-1"]),
    "specs/srs/SRS-2.yaml": requirement("SRS-2", "Log out", section="login", order=1),
    "specs/srs/SRS-3.yaml": requirement("SRS-3", "Time out", section="sessions", order=3),
    "specs/srs/SRS-4.yaml": None,
    "specs/srs/SRS-40.yaml": requirement("SRS-40", "Remember me", section="intro", mid="m-4"),
    "specs/srs/SRS-5.yaml": None,
    "specs/srs/SRS-50.yaml": requirement("SRS-50", "Lock", section="sessions", order=1, x_renamed_from="SRS-5"),
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, env={**os.environ, **ENV})
    return done.stdout.strip()


def commit(root: Path, files: dict[str, str | None], message: str, tag: str) -> None:
    write_files(root, files)  # type: ignore[arg-type]
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    git(root, "tag", tag)


@pytest.fixture(scope="module")
def structured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("structure") / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit(root, V1, "documents", "v1")
    commit(root, V2, "reorder, move, rename", "v2")
    return root


def copy_of(structured: Path, tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(structured, target, symlinks=True)
    return target


def reqtrace(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`reqtrace ARGS` at 80 columns, through `reqtrace.cli.main` in this process (as tests/hostile/kit.py
    runs it: the same exit code and text, without ~0.25 s of CPU to start a process). What is tested
    here is the documents and sections; each command runs as a real process in its own tests."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**ENV, "COLUMNS": "80"}.items():
            patch.setenv(key, value)
        outcome = run_through_main(list(args), root)
    assert outcome.escaped is None, outcome.describe()
    return subprocess.CompletedProcess(list(args), outcome.code, outcome.stdout, outcome.stderr)


# --- the outline --------------------------------------------------------------------------


def test_outline_at_a_revision_has_documents_sections_texts_and_order(structured: Path) -> None:
    snapshot = load_snapshot(find_spec_repo(structured), "v1")
    documents = outline(snapshot)
    assert [d.id for d in documents] == ["SYS", "SRS", "misc"]  # parents first, then loose folders
    srs = documents[1]
    assert (srs.title, srs.parent, srs.folder, srs.path) == ("Software requirements", "SYS", "specs/srs", "specs/srs/_document.yaml")
    assert srs.extra == (("x-owner", "team A"),)
    intro, login = srs.sections
    assert intro == Section("intro", "Introduction", (), (TextNode(None, "Free text, not a requirement."), "SRS-4"))
    assert login.items == ("SRS-1", "SRS-2", "SRS-3")
    assert login.sections == (Section("sessions", "Sessions", (), ("SRS-5",)),)
    assert documents[0].sections[0].items == (TextNode(1, "What the system is for."), "SYS-1")
    assert documents[2] == Document("misc", "misc", None, "specs/misc", "", (), ("REQ-1",), ())
    # _document.yaml is never a requirement
    assert "SRS" not in snapshot.requirements and snapshot.findings == []


def test_outline_follows_order_in_the_working_tree(structured: Path) -> None:
    snapshot = load_snapshot(find_spec_repo(structured))
    where = placements(outline(snapshot))
    assert outline(snapshot)[1].sections[1].items == ("SRS-2", "SRS-1")
    assert where["SRS-3"].section_path == ("Login", "Sessions")
    assert [rid for rid, _ in sorted(where.items(), key=lambda pair: pair[1].rank)] == ["SYS-1", "SRS-40", "SRS-2", "SRS-1", "SRS-50", "SRS-3", "REQ-1"]


def test_items_without_order_come_after_those_with_one(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo({
        "specs/d/_document.yaml": "document: D\ntitle: D\n",
        "specs/d/R-10.yaml": requirement("R-10", "Ten"),
        "specs/d/R-2.yaml": requirement("R-2", "Two"),
        "specs/d/R-30.yaml": requirement("R-30", "Thirty", order=0.5),
    })
    assert outline(load_snapshot(find_spec_repo(repo.root)))[0].items == ("R-30", "R-2", "R-10")


# --- check ----------------------------------------------------------------------------------


BROKEN = {
    "specs/a/_document.yaml": SRS_DOCUMENT.replace("parent: SYS", "parent: NOPE").replace("id: sessions", "id: intro"),
    "specs/a/R-1.yaml": requirement("R-1", "One", section="nowhere", order="first", mid="same"),
    "specs/a/R-2.yaml": requirement("R-2", "Two", mid="same"),
    "specs/b/_document.yaml": "document: SRS\ntitle: Again\n",
    "specs/c/_document.yaml": "document: C\ntitle: C\nparent: E\n",
    "specs/e/_document.yaml": "document: E\ntitle: E\nparent: C\n",
    "specs/f/_document.yaml": "document: F\nsections:\n  - title: no id\n",
    "specs/loose/R-3.yaml": requirement("R-3", "Three", section="intro"),
}


def test_check_reports_each_structure_problem_with_file_and_line(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(BROKEN)
    snapshot = load_snapshot(find_spec_repo(repo.root))
    found = {(f.code, f.path, f.line) for f in [*snapshot.findings, *structure_findings(snapshot)]}
    assert ("missing-parent-document", "specs/a/_document.yaml", 3) in found
    assert ("duplicate-section", "specs/a/_document.yaml", 13) in found
    assert ("duplicate-document", "specs/b/_document.yaml", 1) in found
    assert ("unknown-section", "specs/a/R-1.yaml", 4) in found
    assert ("unknown-section", "specs/loose/R-3.yaml", 4) in found
    assert ("schema", "specs/a/R-1.yaml", 5) in found  # order: "first"
    assert ("duplicate-mid", "specs/a/R-2.yaml", 4) in found
    assert ("bad-document", "specs/f/_document.yaml", 1) in found  # no title
    assert ("bad-document", "specs/f/_document.yaml", 3) in found  # a section without an id
    cycles = [f for f in structure_findings(snapshot) if f.code == "document-cycle"]
    assert len(cycles) == 1 and "C → E → C" in cycles[0].message


def test_check_cli_fails_on_structure_problems_and_names_the_fix(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(BROKEN)
    result = reqtrace(repo.root, "check", "--format", "json")
    assert result.returncode == 1, result.stderr
    messages = {(f["code"], f["path"]): f["message"] for f in json.loads(result.stdout)["findings"]}
    assert "its sections: intro, login" in messages["unknown-section", "specs/a/R-1.yaml"]
    assert "is in no document" in messages["unknown-section", "specs/loose/R-3.yaml"]
    assert "documents: C, E, F, SRS" in messages["missing-parent-document", "specs/a/_document.yaml"]


def test_a_malformed_document_file_is_a_finding_not_a_crash(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo({"specs/d/_document.yaml": "- a list\n", "specs/d/R-1.yaml": requirement("R-1", "One", section="s")})
    result = reqtrace(repo.root, "check")
    assert result.returncode == 1, result.stderr
    assert "bad-document" in result.stdout and "Traceback" not in result.stderr


# --- list and show --------------------------------------------------------------------------


def test_list_shows_requirements_in_reading_order_under_their_sections(structured: Path) -> None:
    result = reqtrace(structured, "list", "--rev", "v1")
    assert result.returncode == 0, result.stderr
    lines = [line.split()[0] if line[:1] != " " else "" for line in result.stdout.splitlines()]
    ids_and_headings = [line.strip() for line in result.stdout.splitlines() if line.strip() and not line.startswith(" ")]
    assert [line.split()[0] for line in ids_and_headings[:-1]] == ["SYS", "SYS-1", "SRS", "SRS-4", "SRS", "SRS-1", "SRS-2", "SRS-3", "SRS", "SRS-5", "misc", "REQ-1"]
    assert "SRS › Login › Sessions" in result.stdout and lines


def test_list_json_adds_the_place_and_keeps_the_old_keys(structured: Path) -> None:
    items = json.loads(reqtrace(structured, "list", "--format", "json").stdout)["items"]
    assert [item["id"] for item in items] == ["SYS-1", "SRS-40", "SRS-2", "SRS-1", "SRS-50", "SRS-3", "REQ-1"]
    srs40 = items[1]
    assert srs40 == {
        "id": "SRS-40", "kind": "requirement", "title": "Remember me", "status": None, "path": "specs/srs/SRS-40.yaml",
        "document": "SRS", "section": "intro", "section_path": ["Introduction"], "order": None, "mid": "m-4",
    }
    assert items[-1]["document"] == "misc" and items[-1]["section"] is None


def test_show_names_the_document_and_section(structured: Path) -> None:
    result = reqtrace(structured, "show", "SRS-3")
    assert "document: SRS (Software requirements specification) › Login › Sessions" in result.stdout
    assert "section: sessions" in result.stdout and "order: 3" in result.stdout
    shown = json.loads(reqtrace(structured, "show", "SRS-40", "--format", "json").stdout)
    assert (shown["document"], shown["section"], shown["mid"], shown["document_title"]) == ("SRS", "intro", "m-4", "Software requirements specification")
    assert "section" not in shown["fields"]  # placement is not a field of meaning


# --- diff, log, trace -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def diff_v1_v2(structured: Path) -> dict:  # type: ignore[type-arg]
    result = reqtrace(structured, "diff", "v1", "v2", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_diff_reports_a_reorder_and_a_section_move_as_moves(diff_v1_v2: dict) -> None:  # type: ignore[type-arg]
    changes = {change["id"]: change for change in diff_v1_v2["changes"]}
    moved = {rid for rid, change in changes.items() if change["change"] == "moved"}
    assert moved == {"SRS-2", "SRS-3"}  # SRS-2 and SRS-1 swapped: one move, not two
    assert changes["SRS-2"]["move"]["text"] == "moved: first in its section" and changes["SRS-2"]["fields"] == []
    section_move = changes["SRS-3"]["move"]
    assert section_move["kind"] == "section" and section_move["from"]["section"] == "login" and section_move["to"]["section"] == "sessions"
    assert section_move["text"] == "moved to section sessions (Sessions)"
    assert not changes["SRS-3"]["needs_approval"] and changes["SRS-3"]["fields"] == []


def test_diff_reports_a_rename_as_one_renamed_requirement(diff_v1_v2: dict) -> None:  # type: ignore[type-arg]
    changes = {change["id"]: change for change in diff_v1_v2["changes"]}
    assert "SRS-4" not in changes and "SRS-5" not in changes
    kept_mid, renumbered = changes["SRS-40"], changes["SRS-50"]
    assert (kept_mid["change"], kept_mid["renamed_from"], kept_mid["fields"], kept_mid["needs_approval"]) == ("modified", "SRS-4", [], False)
    assert renumbered["renamed_from"] == "SRS-5" and [f["field"] for f in renumbered["fields"]] == ["x-renamed-from"]
    assert diff_v1_v2["summary"]["added"] == 0 and diff_v1_v2["summary"]["removed"] == 0


def test_diff_lists_document_changes(diff_v1_v2: dict) -> None:  # type: ignore[type-arg]
    assert diff_v1_v2["documents"] == [{
        "id": "SRS", "change": "modified", "path": "specs/srs/_document.yaml",
        "details": ["title: Software requirements → Software requirements specification"],
    }]
    # SRS-1's order changed, but its place did not (SRS-2 moved before it): no change of meaning
    assert diff_v1_v2["formatting_only"] == ["specs/srs/SRS-1.yaml"]


def test_diff_text_says_moved_and_renamed(structured: Path) -> None:
    text = reqtrace(structured, "diff", "v1", "v2").stdout
    assert "moved: first in its section" in text and "moved to section sessions (Sessions)" in text
    assert "renamed from SRS-4" in text and "document SRS modified" in text
    assert "0 added, 0 removed, 2 modified, 2 moved — all approved" in text


def test_renumbering_every_order_in_the_same_sequence_is_no_move(structured: Path, tmp_path: Path) -> None:
    root = copy_of(structured, tmp_path)
    write_files(root, {
        "specs/srs/SRS-1.yaml": requirement("SRS-1", "Log in", section="login", order=20, parents=["SYS-1"]),
        "specs/srs/SRS-2.yaml": requirement("SRS-2", "Log out", section="login", order=10),
    })
    result = json.loads(reqtrace(root, "diff", "v2", "--format", "json").stdout)
    assert result["changes"] == [] and result["summary"]["formatting_only"] == 2


def test_sections_reordered_in_the_document_file(structured: Path, tmp_path: Path) -> None:
    root = copy_of(structured, tmp_path)
    assert reqtrace(root, "trace", "SRS-1").returncode == 0  # the graph cache is warm: the change below patches it
    moved = SRS_DOCUMENT.replace("title: Software requirements", "title: Software requirements specification")
    intro = "  - id: intro\n    title: Introduction\n    texts:\n      - text: Free text, not a requirement.\n"
    write_files(root, {"specs/srs/_document.yaml": moved.replace(intro, "") + intro})
    result = json.loads(reqtrace(root, "diff", "v2", "--format", "json").stdout)
    assert result["changes"] == []
    assert result["documents"][0]["details"] == ["section login moved to the front"]
    git(root, "commit", "-qam", "sections reordered")
    trace = reqtrace(root, "trace", "SRS-1", "--format", "json")
    assert trace.returncode == 0, trace.stderr
    assert "SRS" not in json.dumps(json.loads(trace.stdout)).replace("SRS-", "")  # no document became a node


def test_log_and_trace_follow_a_rename_that_keeps_the_mid(structured: Path) -> None:
    log = json.loads(reqtrace(structured, "log", "SRS-40", "--format", "json").stdout)
    assert [entry["change"] for entry in log["entries"]] == ["added", "modified"]
    assert "renumbered from SRS-4 (the same mid, m-4)" in log["entries"][1]["notes"]
    trace = reqtrace(structured, "trace", "SRS-40")
    assert trace.returncode == 0 and "documents" in trace.stdout


# --- the format ---------------------------------------------------------------------------------


def test_placement_and_identity_are_not_in_the_digest() -> None:
    from reqtrace.core.digest import requirement_digest
    from reqtrace.core.model import Requirement

    plain = Requirement("SRS-1", "Log in", "The software shall log in.", "specs/srs/SRS-1.yaml")
    placed = Requirement("SRS-1", "Log in", "The software shall log in.", "specs/srs/SRS-1.yaml", section="login", order=2, mid="m-1")
    # The digest pinned for files written before documents existed (tests/test_digest.py) is the one computed here.
    assert requirement_digest(placed) == requirement_digest(plain)


def test_the_editor_schema_accepts_a_document_and_refuses_a_section_without_id() -> None:
    from jsonschema import Draft202012Validator

    from reqtrace.core.schema import load_schema
    from reqtrace.io.yamlio import load_yaml

    validator = Draft202012Validator(load_schema("spec-document"))
    assert list(validator.iter_errors(load_yaml(SRS_DOCUMENT))) == []
    assert list(validator.iter_errors(load_yaml("document: D\ntitle: D\nsections:\n  - title: no id\n")))


def test_top_level_texts_come_first_and_unknown_sections_stay_at_the_top(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo({
        "specs/d/_document.yaml": "document: D\ntitle: D\ntexts:\n  - text: Preface.\nsections:\n  - id: a\n    title: A\n",
        "specs/d/R-1.yaml": requirement("R-1", "One", section="missing"),
        "specs/d/sub/R-2.yaml": requirement("R-2", "Two", section="a"),
    }, git_init=False)
    (document,) = outline(load_snapshot(find_spec_repo(repo.root)))[:1]
    assert document.items == (TextNode(None, "Preface."), "R-1")  # R-1's section is unknown (check says so)
    assert document.sections[0].items == ("R-2",)  # a file in a sub-folder belongs to the document above it


def test_renumber_leaves_a_document_file_that_names_the_id_alone(make_repo) -> None:  # type: ignore[no-untyped-def]
    document = "document: D\ntitle: D\nsections:\n  - id: R-1\n    title: Named like the requirement\n"
    repo = make_repo({"specs/d/_document.yaml": document, "specs/d/R-1.yaml": requirement("R-1", "One", section="R-1")})
    result = reqtrace(repo.root, "renumber", "R-1", "R-9")
    assert result.returncode == 0, result.stderr
    assert (repo.root / "specs/d/_document.yaml").read_text() == document
    assert "section: \"R-1\"" in (repo.root / "specs/d/R-9.yaml").read_text()
