"""`reqtrace check` on a copy of the worked example with errors planted in it.

Each planted error must be reported with the right code, path and line — at
the working tree and, once committed, at a revision — and nothing else.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, git

EXAMPLE = ROOT / "examples" / "clinic"


def plant(root: Path, path: str, old: str, new: str) -> int:
    """Replace `old` by `new` in one file; the line where `new` starts."""
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}: the example changed, update this test"
    before = text[: text.index(old)]
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    return before.count("\n") + 1


def line_of(root: Path, path: str, text: str) -> int:
    content = (root / path).read_text(encoding="utf-8")
    assert text in content, f"{text!r} not in {path}: the example changed, update this test"
    return content[: content.index(text)].count("\n") + 1


def append(root: Path, path: str, text: str) -> int:
    """Append lines to a file; the line number of the first one."""
    file = root / path
    existing = file.read_text(encoding="utf-8")
    if not existing.endswith("\n"):
        existing += "\n"
    file.write_text(existing + text, encoding="utf-8")
    return existing.count("\n") + 1


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, set[tuple[str, str, int]]]:
    if not (EXAMPLE / "reqtrace.yaml").is_file():
        pytest.skip("examples/clinic is not in this checkout")
    root = tmp_path / "clinic"
    shutil.copytree(EXAMPLE, root)
    expected: set[tuple[str, str, int]] = set()

    # schema: a choice that does not exist
    expected.add(
        (
            "schema",
            "specs/booking/REQ-3.yaml",
            plant(root, "specs/booking/REQ-3.yaml", "priority: must", "priority: urgent"),
        )
    )
    # schema: YAML reads an unquoted NO as false where text belongs
    expected.add(
        (
            "schema",
            "specs/accounts/REQ-13.yaml",
            plant(root, "specs/accounts/REQ-13.yaml", "owner: Li Wei", "owner: NO"),
        )
    )
    # schema: a day that does not exist
    expected.add(
        (
            "schema",
            "records/requests/RQ-4.yaml",
            plant(
                root, "records/requests/RQ-4.yaml", "received: 2026-01-28", "received: 2026-02-30"
            ),
        )
    )
    # unknown-field: a typo, with the nearest known key suggested
    expected.add(
        (
            "unknown-field",
            "specs/accounts/REQ-13.yaml",
            append(root, "specs/accounts/REQ-13.yaml", "acceptence:\n  - typo\n"),
        )
    )
    # dangling-ref: a parent that does not exist
    expected.add(
        (
            "dangling-ref",
            "specs/booking/REQ-7.yaml",
            plant(root, "specs/booking/REQ-7.yaml", "parents: [REQ-1]", "parents: [REQ-1, REQ-99]"),
        )
    )
    # dangling-ref: a meeting decision that names a request that does not exist
    plant(
        root,
        "records/meetings/MTG-2026-02-05.md",
        "refs: [REQ-20, RQ-5]",
        "refs: [REQ-20, RQ-5, RQ-404]",
    )
    expected.add(
        (
            "dangling-ref",
            "records/meetings/MTG-2026-02-05.md",
            line_of(root, "records/meetings/MTG-2026-02-05.md", "  - text: Monthly CSV export"),
        )
    )
    # parent-cycle: REQ-1 -> REQ-3 -> REQ-1
    expected.add(
        (
            "parent-cycle",
            "specs/booking/REQ-1.yaml",
            append(root, "specs/booking/REQ-1.yaml", "parents: [REQ-3]\n"),
        )
    )
    # duplicate-id: a copy of REQ-1 in another folder
    shutil.copy(root / "specs/booking/REQ-1.yaml", root / "specs/nonfunctional/copy-of-REQ-1.yaml")
    expected.add(("duplicate-id", "specs/nonfunctional/copy-of-REQ-1.yaml", 1))
    # bad-id
    (root / "specs/admin/draft.yaml").write_text(
        "id: req_draft\ntitle: Draft\nstatement: Not yet.\n", encoding="utf-8"
    )
    expected.add(("bad-id", "specs/admin/draft.yaml", 1))
    # duplicate-key, yaml-alias, yaml-syntax (a tab), not-utf8, an empty file: new files, so
    # that no requirement anyone refers to disappears
    (root / "specs/admin/REQ-90.yaml").write_text(
        "id: REQ-90\ntitle: a\nstatement: b\ntitle: c\n", encoding="utf-8"
    )
    expected.add(("duplicate-key", "specs/admin/REQ-90.yaml", 4))
    (root / "specs/admin/REQ-91.yaml").write_text(
        "id: REQ-91\ntitle: &t a\nstatement: *t\n", encoding="utf-8"
    )
    expected.add(("yaml-alias", "specs/admin/REQ-91.yaml", 2))
    (root / "specs/admin/REQ-92.yaml").write_text(
        "id: REQ-92\ntitle: a\n\tstatement: b\n", encoding="utf-8"
    )
    expected.add(("yaml-syntax", "specs/admin/REQ-92.yaml", 3))
    (root / "specs/admin/REQ-93.yaml").write_bytes(
        "id: REQ-93\ntitle: Café\nstatement: b\n".encode("latin-1")
    )
    expected.add(("not-utf8", "specs/admin/REQ-93.yaml", 2))
    (root / "records/requests/RQ-99.yaml").write_text("", encoding="utf-8")
    expected.add(("schema", "records/requests/RQ-99.yaml", 1))
    # config: an unknown key in reqtrace.yaml
    expected.add(("config", "reqtrace.yaml", append(root, "reqtrace.yaml", "drfit: error\n")))
    return root, expected


def reported(result) -> set[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return {(f["code"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]}


def test_the_example_itself_is_clean(run_cli) -> None:
    if not (EXAMPLE / "reqtrace.yaml").is_file():
        pytest.skip("examples/clinic is not in this checkout")
    result = run_cli("check", "--strict", "--root", str(EXAMPLE), "--format", "json", cwd=EXAMPLE)
    assert result.exit_code == 0, result.stdout


def test_each_planted_error_is_reported_with_code_path_and_line(planted, run_cli) -> None:
    root, expected = planted
    result = run_cli("check", "--format", "json", cwd=root)
    assert result.exit_code == 1
    assert reported(result) == expected
    data = json.loads(result.stdout)
    messages = {
        f["code"]: f["message"]
        for f in data["findings"]
        if f["code"] in ("unknown-field", "parent-cycle", "duplicate-id")
    }
    assert "did you mean 'acceptance'?" in messages["unknown-field"]
    assert "REQ-1 -> REQ-3 -> REQ-1" in messages["parent-cycle"]
    assert "specs/booking/REQ-1.yaml" in messages["duplicate-id"]


def test_planted_errors_are_reported_the_same_at_a_revision(planted, run_cli) -> None:
    root, expected = planted
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "planted")
    (root / "specs/admin/REQ-90.yaml").unlink()  # the working tree moves on; the commit does not
    result = run_cli("check", "--format", "json", "--rev", "HEAD", cwd=root)
    assert result.exit_code == 1
    assert reported(result) == expected
    github = run_cli("check", "--format", "github", "--rev", "HEAD", cwd=root).stdout
    for code, path, line in expected:
        assert f"file={path},line={line},title={code}::" in github
