"""A section that only changed its id is one renamed section, not a move of each of
its requirements (structure_diff.section_renames).

Importers name a section from its title until the source gives it a UID; when it
gains one, every requirement's `section` changes with it although nothing moved.
One small repo, built once: `v1`, then `v2` where section `export` became `EXP-1`
(and its subsection `export.options` became `EXP-1.options`), while one requirement
really moved to another section. Then the StrictDoc importer's side: the id it gives
a section without UID stays while the document changes around it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CONFIG
from reqtrace.importers.strictdoc import read_strictdoc
from test_structure import commit, git, reqtrace, requirement

DOCUMENT = """\
document: GUIDE
title: User guide
sections:
  - id: intro
    title: Introduction
  - id: {export}
    title: Export
    sections:
      - id: {options}
        title: Options
"""

V1 = {
    "reqtrace.yaml": CONFIG,
    "specs/guide/_document.yaml": DOCUMENT.format(export="export", options="export.options"),
    "specs/guide/G-1.yaml": requirement("G-1", "Start", section="intro", order=1),
    "specs/guide/G-2.yaml": requirement("G-2", "Export csv", section="export", order=1),
    "specs/guide/G-3.yaml": requirement("G-3", "Export xlsx", section="export", order=2),
    "specs/guide/G-4.yaml": requirement("G-4", "Choose columns", section="export.options", order=1),
    "specs/guide/G-5.yaml": requirement("G-5", "Choose a sheet", section="export.options", order=2),
}

V2 = {
    "specs/guide/_document.yaml": DOCUMENT.format(export="EXP-1", options="EXP-1.options"),
    "specs/guide/G-2.yaml": requirement("G-2", "Export csv", section="EXP-1", order=1),
    "specs/guide/G-3.yaml": requirement("G-3", "Export xlsx", section="EXP-1", order=2),
    "specs/guide/G-4.yaml": requirement("G-4", "Choose columns", section="EXP-1.options", order=1),
    # a real move, in the same commit: it must still be reported
    "specs/guide/G-5.yaml": requirement("G-5", "Choose a sheet", section="intro", order=2),
}


@pytest.fixture(scope="module")
def renamed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("section-rename") / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit(root, V1, "a guide", "v1")
    commit(root, V2, "export gets a UID", "v2")
    return root


def test_a_section_that_only_changed_its_id_moves_none_of_its_requirements(renamed_repo: Path) -> None:
    result = reqtrace(renamed_repo, "diff", "v1", "v2", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    changes = {change["id"]: change for change in report["changes"]}
    assert set(changes) == {"G-5"}  # G-2, G-3, G-4 stand where they stood
    assert changes["G-5"]["move"]["text"] == "moved to section intro (Introduction)"
    assert report["documents"] == [{
        "id": "GUIDE", "change": "modified", "path": "specs/guide/_document.yaml",
        "details": ["section export renamed to EXP-1", "section export.options renamed to EXP-1.options"],
    }]


def test_the_text_report_names_the_renamed_section_once(renamed_repo: Path) -> None:
    text = reqtrace(renamed_repo, "diff", "v1", "v2").stdout
    assert "section export renamed to EXP-1" in text
    assert "moved to section EXP-1" not in text and "section EXP-1 added" not in text and "section export removed" not in text
    assert "moved to section intro (Introduction)" in text


# --- what the StrictDoc importer names a section --------------------------------------------

SDOC = """\
[DOCUMENT]
TITLE: Guide

[[SECTION]]
{export_uid}TITLE: Export

[[SECTION]]
TITLE: Options

[REQUIREMENT]
UID: G-1
STATEMENT: Columns can be chosen.

[[/SECTION]]

[[/SECTION]]
{more}"""

IMPORT_SECTION = """
[[SECTION]]
TITLE: Import

[[SECTION]]
TITLE: Options

[REQUIREMENT]
UID: G-2
STATEMENT: A sheet can be chosen.

[[/SECTION]]

[[/SECTION]]
"""


def _section_ids(text: str) -> dict[str, str]:
    """requirement id -> the id of its section, as the importer writes them."""
    imported = read_strictdoc({"guide.sdoc": text.encode()}, lambda _id: True)
    return {requirement.id: str(requirement.fields["section"]) for requirement in imported.requirements}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"export_uid": "", "more": ""}, {"G-1": "Export.Options"}),
        # another section titled Options, under another parent: the first keeps its id
        ({"export_uid": "", "more": IMPORT_SECTION}, {"G-1": "Export.Options", "G-2": "Import.Options"}),
        # the parent gains a UID: the section below keeps its id
        ({"export_uid": "UID: SECT-EXPORT\n", "more": ""}, {"G-1": "Export.Options"}),
    ],
    ids=["alone", "title-shared-elsewhere", "parent-gains-uid"],
)
def test_strictdoc_section_ids_stay_while_the_document_changes_around_them(edit: dict[str, str], expected: dict[str, str]) -> None:
    assert _section_ids(SDOC.format(**edit)) == expected
