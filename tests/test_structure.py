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
import sys
from pathlib import Path

import pytest

from conftest import CONFIG, write_files
from reqtrace.config import find_spec_repo
from reqtrace.snapshot import load_snapshot
from reqtrace.structure import Document, Section, TextNode, outline, placements, structure_findings

ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
    "GIT_AUTHOR_DATE": "2026-01-15T10:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-15T10:00:00+00:00",
}

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
    return subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=root, capture_output=True, text=True, env={**os.environ, **ENV, "COLUMNS": "80"})


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
