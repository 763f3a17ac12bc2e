"""A format 2 manifest's files against its commit told by one tree id (verify._tree_as_frozen).

`_blob_problems` compares the requirement files at a baseline's commit with the blob ids
the manifest froze. When git's id of the requirements folder, worked out from the manifest's
rows (`gitio.tree_id`), is the commit's, the folder holds exactly those files and nothing is
listed. Every answer must be the plain one (the folder listed and compared file by file):
for a manifest as created, and for each way the folder and the manifest can differ.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from conftest import git, requirement_yaml, write_files
from reqtrace.baselines import verify
from reqtrace.baselines.baseline import create_baseline
from reqtrace.core.config import find_spec_repo, parse_config
from reqtrace.core.snapshot import Reader
from reqtrace.io import gitio

FILES = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Root"),
    "specs/a/REQ-2.yaml": requirement_yaml("REQ-2", "In a folder"),
    "specs/a-b/REQ-3.yaml": requirement_yaml("REQ-3", "Sorted before a/ by git"),
    "specs/a.b/REQ-4.yaml": requirement_yaml("REQ-4", "And after it"),
    "specs/a/deeper/ünï/REQ-5.yaml": requirement_yaml("REQ-5", "A name in UTF-8"),
}


def _both_ways(repo, baseline, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, dict]:  # type: ignore[no-untyped-def]
    """(whether the tree id told, `_blob_problems`), after checking it is the plain listing's answer."""
    config, _ = parse_config(Reader(repo, baseline.commit).read_config())
    told = verify._tree_as_frozen(repo, baseline, config)
    found = verify._blob_problems(repo, baseline)
    with monkeypatch.context() as plain:
        plain.setattr(verify, "_tree_as_frozen", lambda *args: False)
        assert [(path, f.as_dict()) for path, f in found.items()] == [(path, f.as_dict()) for path, f in verify._blob_problems(repo, baseline).items()]
    return told, found


def test_the_tree_id_is_gits_and_tells_only_an_exact_folder(make_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = make_repo(FILES)
    repo = find_spec_repo(fixture.root)
    created = create_baseline(repo, "v1").baseline
    head = git(fixture.root, "rev-parse", "HEAD")
    files = {entry.path[len("specs/") :]: entry.blob for entry in created.requirements}
    assert gitio.tree_id(files) == git(fixture.root, "rev-parse", f"{created.commit}:specs")
    assert gitio.tree_id({**files, "a": "0" * 40}) is None  # a file and a folder of one name
    assert gitio.tree_id({"a//b.yaml": "0" * 40}) is None and gitio.tree_id({"a.yaml": "0" * 39}) is None
    assert gitio.object_id(fixture.root, f"{head}:nothing/here") is None

    assert _both_ways(repo, created, monkeypatch) == (True, {})
    rows = list(created.requirements)
    wrong_blob = replace(rows[0], blob=rows[1].blob)
    for label, changed in {
        "a file the manifest does not name": rows[1:],
        "another blob id": [wrong_blob, *rows[1:]],
        "a path listed twice with two blob ids": [*rows, replace(rows[1], id="REQ-9", blob=rows[0].blob)],
        "a path that is not a requirement file": [*rows, replace(rows[0], id="REQ-9", path="specs/notes.txt")],
        "a path outside the folder": [*rows, replace(rows[0], id="REQ-9", path="records/REQ-9.yaml")],
    }.items():
        told, found = _both_ways(repo, replace(created, requirements=tuple(changed)), monkeypatch)
        assert not told and found, label


def test_a_folder_with_more_than_requirement_files_is_listed(make_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another file, an executable requirement, a link: the tree differs from the manifest's,
    and the listing finds what the plain comparison finds (a link is a finding, the others not)."""
    fixture = make_repo({**FILES, "specs/README.md": "About the requirements.\n"})
    os.chmod(fixture.root / "specs" / "REQ-1.yaml", 0o744)  # noqa: S103 - an executable file in a test repo
    git(fixture.root, "add", "-A")
    git(fixture.root, "commit", "-qm", "exec")
    repo = find_spec_repo(fixture.root)
    assert _both_ways(repo, create_baseline(repo, "v1").baseline, monkeypatch) == (False, {})
    write_files(fixture.root, {"specs/REQ-6.yaml": requirement_yaml("REQ-6", "Linked")})
    git(fixture.root, "add", "-A")
    git(fixture.root, "commit", "-qm", "six")
    created = create_baseline(repo, "v2").baseline
    os.remove(fixture.root / "specs" / "REQ-6.yaml")
    os.symlink("a/REQ-2.yaml", fixture.root / "specs" / "REQ-6.yaml")
    git(fixture.root, "add", "-A")
    git(fixture.root, "commit", "-qm", "a link")
    linked = git(fixture.root, "rev-parse", "HEAD")
    told, found = _both_ways(repo, replace(created, commit=linked), monkeypatch)
    assert not told and list(found) == ["specs/REQ-6.yaml"]
    assert " is a symbolic link, but the manifest froze blob " in found["specs/REQ-6.yaml"].message


def test_a_name_no_tree_holds_is_no_tree_id() -> None:
    blob = "ab" * 20
    for files in ({"a//b.yaml": blob}, {"./a.yaml": blob}, {"a/../b.yaml": blob}, {"a/": blob}, {"a\x00b": blob}, {"\ud800.yaml": blob},
                  {"a.yaml": blob[:-1]}, {"a.yaml": blob.upper()}, {"a": blob, "a/b.yaml": blob},
                  {"a.yaml": "g" + blob[1:]}, {"a.yaml": blob, "b.yaml": blob[:-1] + "\u0663"}, {"a.yaml": blob[:-1] + "\n"}):
        assert gitio.tree_id(files) is None, files
