"""`reqtrace import doorstop|strictdoc`, on real files and real history slices (tests/data/import)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import DATA, git

SLICES = DATA / "import"
BENCH_CHECK = Path(__file__).resolve().parents[1] / "bench" / "import_history_check.py"


def _clone(bundle: str, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "-b", "main", str(SLICES / bundle), str(target)], check=True)
    return target


@pytest.fixture
def doorstop_source(tmp_path: Path) -> Path:
    return _clone("doorstop-reqs.bundle", tmp_path / "doorstop")


@pytest.fixture
def strictdoc_source(tmp_path: Path) -> Path:
    return _clone("strictdoc-backlog.bundle", tmp_path / "strictdoc")


def _state(root: Path) -> tuple[str, str, list[str]]:
    """What a failed import must leave as it was: HEAD, git status, every file."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.relative_to(root).parts)
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain", "--ignored"), files


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- doorstop


def test_doorstop_tree_becomes_requirements_with_every_field_kept(make_repo, run_cli, doorstop_source) -> None:
    repo = make_repo()
    result = run_cli("import", "doorstop", str(doorstop_source / "reqs"), "-f", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    report = answer["report"]
    assert report["requirement_count"] == 30  # 43 items: 9 headings became sections, 4 non-normative items text
    assert report["documents"] == ["EXT", "REQ", "TUT"]
    assert report["renamed_ids"]["REQ001"] == "REQ-001"  # REQ001 does not match ^[A-Z][A-Z0-9]*-[0-9]+$
    assert report["kept_as_custom"]["x-custom-attrib"] == 1  # a custom attribute, never dropped
    tut = _load(repo.root / "specs/reqs/TUT/TUT-001.yaml")
    assert tut["parents"] == ["REQ-003", "REQ-004"]
    assert tut["x-doorstop-uid"] == "TUT001"
    assert tut["x-doorstop-link-stamps"]["REQ-003"] == "9TcFUzsQWUHhoh5wsqnhL7VRtSqMaIhrCXg7mfIkxKM="
    assert tut["title"] == "Creating a New Document and Adding Items"  # no header: the text's first line
    ext = _load(repo.root / "specs/reqs/EXT/EXT-001.yaml")
    assert ext["x-doorstop-references"][0]["path"] == "reqs/ext/test.file"
    document = _load(repo.root / "specs/reqs/REQ/_document.yaml")
    assert (document["document"], document["title"], document["x-doorstop-settings"]["prefix"]) == ("REQ", "Requirements for _Doorstop_", "REQ")
    # Non-normative headings (level x.0) are sections, in level order; non-normative text is text in them.
    assert [(s["id"], s["title"]) for s in document["sections"][:3]] == [("REQ-018", "Overview"), ("REQ-002", "Composition Features"), ("REQ-006", "Presentation Features")]
    assert document["sections"][0]["texts"][0]["text"].startswith("Doorstop is a requirements management tool")  # REQ019, level 1.1
    assert not (repo.root / "specs/reqs/REQ/REQ-018.yaml").exists() and not (repo.root / "specs/reqs/REQ/REQ-019.yaml").exists()
    assert (_load(repo.root / "specs/reqs/REQ/REQ-003.yaml")["section"], _load(repo.root / "specs/reqs/REQ/REQ-003.yaml")["order"]) == ("REQ-002", 1)
    assert _load(repo.root / "specs/reqs/TUT/_document.yaml")["parent"] == "REQ"
    # A non-normative item that a link names stays a requirement, so the link holds.
    assert [p.name for p in (repo.root / "specs/reqs").rglob("*.yaml") if _load(p).get("x-doorstop-normative") is False] == ["TUT-022.yaml"]
    assert "x-doorstop-level" not in tut  # the level is the section and the order
    check = run_cli("check", "--strict", cwd=repo.root)
    assert check.exit_code == 0, check.stdout + check.stderr
    text = run_cli("import", "doorstop", str(doorstop_source / "reqs"), "--replace", cwd=repo.root)
    assert text.exit_code == 0
    assert "kept as custom fields:" in text.stdout and "x-custom-attrib (1)" in text.stdout


def test_doorstop_history_replays_with_authors_and_diff_sees_exactly_the_source_changes(make_repo, run_cli, doorstop_source) -> None:
    repo = make_repo()
    result = run_cli("import", "doorstop", str(doorstop_source / "reqs"), "--history", "--skip-unreadable", "-f", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    history = json.loads(result.stdout)["history"]
    assert history["source_commits"] == 19
    # Doorstop's own 2013 history holds files Doorstop could not read; each is named, with why.
    assert {u["source_commit"][:8] for u in history["unreadable_source_commits"]} >= {"d4e3fd1f"} or history["unreadable_source_commits"]
    assert history["commits"] == 19 - len(history["unreadable_source_commits"]) - history["unchanged_source_commits"]
    log = git(repo.root, "log", "--format=%an|%aI|%s", "-n", str(history["commits"]))
    assert "Jace Browning|" in log and "2013-" in log  # the original author and date, not the importer's
    # The years before reqtrace are ordinary history: check and baselines work at any replayed commit.
    first_2017 = git(repo.root, "log", "--format=%H", "--grep=release/v1.1")
    assert run_cli("check", "--strict", "--rev", first_2017, cwd=repo.root).exit_code == 0
    created = run_cli("baseline", "create", "v1.1", "--rev", first_2017, cwd=repo.root)
    assert created.exit_code == 0, created.stderr
    check = _bench_checker()
    args = type("Args", (), {"kind": "doorstop", "spec": repo.root, "source": doorstop_source, "source_dir": "reqs", "into": "specs/reqs"})
    commits = check.replayed_commits(repo.root)
    assert len(commits) == history["commits"]
    cache: dict = {}
    problems = []
    for old, new in [*zip(commits, commits[1:], strict=False), (commits[0], commits[-1])]:
        problems += check.check_pair(args, old, new, cache)
    assert problems == []


def _bench_checker():
    spec = importlib.util.spec_from_file_location("import_history_check", BENCH_CHECK)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_doorstop_link_to_a_missing_item_is_refused_and_nothing_is_written(make_repo, run_in_process, doorstop_source) -> None:
    repo = make_repo()
    item = doorstop_source / "reqs/tutorial/TUT001.yml"
    item.write_text(item.read_text().replace("- REQ003:", "- REQ999:"))
    line = item.read_text().splitlines().index("- REQ999: 9TcFUzsQWUHhoh5wsqnhL7VRtSqMaIhrCXg7mfIkxKM=") + 1
    before = _state(repo.root)
    result = run_in_process("import", "doorstop", str(doorstop_source / "reqs"), cwd=repo.root)
    assert result.exit_code == 3
    assert f"tutorial/TUT001.yml:{line}: links to REQ999, which is not an item of this tree" in result.stderr
    assert "Traceback" not in result.stderr
    assert _state(repo.root) == before


def test_malformed_doorstop_yaml_names_file_and_line(make_repo, run_in_process, doorstop_source) -> None:
    repo = make_repo()
    (doorstop_source / "reqs/REQ004.yml").write_text("active: true\ntext: [unclosed\n")
    before = _state(repo.root)
    result = run_in_process("import", "doorstop", str(doorstop_source / "reqs"), cwd=repo.root)
    assert result.exit_code == 3
    assert "REQ004.yml:3: YAML syntax error" in result.stderr
    assert _state(repo.root) == before


def test_a_history_that_fails_part_way_leaves_the_spec_repo_as_it_was(make_repo, run_in_process, doorstop_source) -> None:
    repo = make_repo()
    before = _state(repo.root)
    # Without --skip-unreadable, the first unreadable source commit (2013) stops the replay.
    result = run_in_process("import", "doorstop", str(doorstop_source / "reqs"), "--history", cwd=repo.root)
    assert result.exit_code == 3
    assert "at source commit" in result.stderr and "YAML syntax error" in result.stderr
    assert "--skip-unreadable" in result.stderr
    assert _state(repo.root) == before
    assert git(repo.root, "for-each-ref", "refs/reqtrace") == ""  # the private ref is gone too


def test_an_import_never_overwrites_without_replace(make_repo, run_in_process, doorstop_source) -> None:
    repo = make_repo()
    assert run_in_process("import", "doorstop", str(doorstop_source / "reqs"), cwd=repo.root).exit_code == 0
    before = _state(repo.root)
    again = run_in_process("import", "doorstop", str(doorstop_source / "reqs"), cwd=repo.root)
    assert again.exit_code == 3 and "--replace" in again.stderr
    assert _state(repo.root) == before
    as_json = run_in_process("import", "doorstop", str(doorstop_source / "reqs"), "-f", "json", cwd=repo.root)
    assert as_json.exit_code == 3 and json.loads(as_json.stdout)["ok"] is False  # a failure answers in JSON too


# ---------------------------------------------------------------- strictdoc


def test_strictdoc_document_becomes_requirements(make_repo, run_in_process, strictdoc_source) -> None:
    repo = make_repo()
    result = run_in_process("import", "strictdoc", str(strictdoc_source / "docs"), "-f", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["report"]
    assert report["requirement_count"] == 27
    assert report["renamed_ids"]["SDOC-BACKLOG-1"] == "SDOCBACKLOG-1"
    folder = repo.root / "specs/docs/strictdoc_28_Backlog"
    first = _load(folder / "SDOCBACKLOG-1.yaml")
    assert first["x-strictdoc-uid"] == "SDOC-BACKLOG-1" and first["mid"] == "5a0304abcd8a44dab5d032dce6625a5d" and "x-mid" not in first
    # Parents in the L2 document, which this import does not hold: kept, and said so.
    unresolved = [r for r in report["not_mapped"] if "not imported" in r]
    assert unresolved and all("kept in x-strictdoc-unresolved" in r for r in unresolved)
    document = _load(folder / "_document.yaml")
    assert (document["document"], document["title"]) == ("strictdoc_28_Backlog", "StrictDoc Backlog")
    assert document["texts"][0]["text"].startswith("This document outlines the future work items")  # a [TEXT] node
    backlog = document["sections"][0]
    assert (backlog["id"], backlog["title"]) == ("SECTION-SB-Backlog", "Backlog") and backlog["sections"]
    assert (first["section"], first["order"]) == ("SECTION-SB-Backlog", 3)
    assert run_in_process("check", "--strict", cwd=repo.root).exit_code == 0


def test_strictdoc_history_diff_sees_exactly_the_source_changes(make_repo, run_in_process, strictdoc_source) -> None:
    repo = make_repo()
    result = run_in_process("import", "strictdoc", str(strictdoc_source / "docs"), "--history", "-f", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    history = json.loads(result.stdout)["history"]
    assert history["source_commits"] == 19 and history["unreadable_source_commits"] == []
    check = _bench_checker()
    args = type("Args", (), {"kind": "strictdoc", "spec": repo.root, "source": strictdoc_source, "source_dir": "docs", "into": "specs/docs"})
    commits = check.replayed_commits(repo.root)
    problems: list[str] = []
    cache: dict = {}
    for old, new in [*zip(commits, commits[1:], strict=False), (commits[0], commits[-1])]:
        problems += check.check_pair(args, old, new, cache)
    assert problems == []


SDOC_HEAD = "[DOCUMENT]\nTITLE: Small\n\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SDOC_HEAD + "[GRAMMAR]\nELEMENTS:\n- TAG: REQUIREMENT\n  FIELDS:\n  - TITLE: UID\n    TYPE: String\n\n[TEST_CASE]\nUID: T-1\n",
         "doc.sdoc:11: [TEST_CASE] is not an element of the document's [GRAMMAR]"),
        (SDOC_HEAD + "[GRAMMAR]\nELEMENTS:\n- TAG: REQUIREMENT\n  FIELDS:\n  - TITLE: UID\n    TYPE: Blob\n",
         "doc.sdoc:8: grammar field UID has a TYPE reqtrace does not know: Blob"),
        (SDOC_HEAD + "[GRAMMAR]\nFIELDS: nope\n", "a [GRAMMAR] reqtrace does not know"),
        (SDOC_HEAD + "[REQUIREMENT]\nUID: A-1\nSTATEMENT: >>>\nnever closed\n", "doc.sdoc:6: the value of STATEMENT opened with >>> is never closed"),
        (SDOC_HEAD + "[REQUIREMENT]\nuid: A-1\n", "doc.sdoc:5: expected a field such as `TITLE: ...`"),
        (SDOC_HEAD + "[REQUIREMENT\n", "doc.sdoc:4: expected a block such as [REQUIREMENT]"),
        (SDOC_HEAD + "[[SECTION]]\nTITLE: open\n", "section(s) never closed"),
    ],
    ids=["unknown-element", "unknown-field-type", "no-elements", "unclosed-value", "bad-field", "bad-block", "open-section"],
)
def test_bad_sdoc_is_refused_with_file_and_line(make_repo, run_in_process, tmp_path, text, expected) -> None:
    repo = make_repo()
    source = tmp_path / "src"
    source.mkdir()
    (source / "doc.sdoc").write_text(text)
    before = _state(repo.root)
    result = run_in_process("import", "strictdoc", str(source), cwd=repo.root)
    assert result.exit_code == 3, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert _state(repo.root) == before


def test_requirement_without_uid_keeps_its_generated_id_across_edits_and_insertions(make_repo, run_in_process, tmp_path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    first = SDOC_HEAD + "[REQUIREMENT]\nMID: 1234\nTITLE: Export\nSTATEMENT: The tool shall export.\n\n[REQUIREMENT]\nTITLE: Import\nSTATEMENT: The tool shall import.\n"
    (source / "doc.sdoc").write_text(first)
    repo = make_repo()
    assert run_in_process("import", "strictdoc", str(source), cwd=repo.root).exit_code == 0
    ids = sorted(p.name for p in (repo.root / "specs/src/doc").glob("[!._]*.yaml"))
    edited = first.replace("[REQUIREMENT]\nMID: 1234\nTITLE: Export\nSTATEMENT: The tool shall export.",
                           "[REQUIREMENT]\nUID: NEW-1\nTITLE: New one\nSTATEMENT: New.\n\n[REQUIREMENT]\nMID: 1234\nTITLE: Export all\nSTATEMENT: The tool shall export all.")
    (source / "doc.sdoc").write_text(edited)
    assert run_in_process("import", "strictdoc", str(source), "--replace", cwd=repo.root).exit_code == 0
    after = sorted(p.name for p in (repo.root / "specs/src/doc").glob("[!._]*.yaml"))
    assert set(ids) <= set(after) and "NEW-1.yaml" in after
    assert len(ids) == 2 and all(name.startswith("REQ-") for name in ids)  # no PREFIX in the document: REQ


def test_composable_document_is_read_in_place(make_repo, run_in_process, tmp_path) -> None:
    source = tmp_path / "src"
    (source / "parts").mkdir(parents=True)
    (source / "main.sdoc").write_text(SDOC_HEAD + "[[SECTION]]\nTITLE: Part\n\n[DOCUMENT_FROM_FILE]\nFILE: parts/part.sdoc\n\n[[/SECTION]]\n")
    (source / "parts/part.sdoc").write_text("[DOCUMENT]\nTITLE: Part\n\n[REQUIREMENT]\nUID: P-1\nTITLE: Inside\nSTATEMENT: Inside.\nRELATIONS:\n- TYPE: Child\n  VALUE: P-2\n\n[REQUIREMENT]\nUID: P-2\nSTATEMENT: Child.\n")
    repo = make_repo()
    result = run_in_process("import", "strictdoc", str(source), "-f", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["report"]["documents"] == ["main"]  # the part is not a document of its own
    assert _load(repo.root / "specs/src/main/P-2.yaml")["parents"] == ["P-1"]  # a Child relation, seen from the child


def test_an_id_the_repo_already_has_is_refused(make_repo, run_in_process, doorstop_source) -> None:
    repo = make_repo({"specs/mine.yaml": "id: REQ-001\ntitle: Mine\nstatement: Mine.\n"})
    before = _state(repo.root)
    for extra in ([], ["--history", "--skip-unreadable"]):
        result = run_in_process("import", "doorstop", str(doorstop_source / "reqs"), *extra, cwd=repo.root)
        assert result.exit_code == 3
        assert "REQ-001 is already a requirement of the spec repo (specs/mine.yaml)" in result.stderr
        assert _state(repo.root) == before
