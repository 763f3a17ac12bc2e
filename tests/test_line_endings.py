"""A checkout that converts line endings (core.autocrlf=true, Git for Windows' default)
changes nothing that was signed or recorded.

Two guards: a spec repo made by `init` or `demo` carries a `.gitattributes` that
turns conversion off (files come out byte for byte), and a repo without one is
read as git stores it (a document whose CRLFs are the checkout's own is the
blob in the index, so its sha256 is the one recorded).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DemoBuild, copy_demo, git

DOCUMENT = "records/documents/contract-summary.txt"


@pytest.fixture(scope="module")
def demo_origin(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(demo_build, tmp_path_factory.mktemp("crlf") / "demo")


def clone_with_autocrlf(origin: Path, target: Path) -> Path:
    git(origin.parent, "-c", "core.autocrlf=true", "clone", "-q", str(origin), str(target))
    git(target, "config", "core.autocrlf", "true")
    return target


def without_gitattributes(origin: Path, copy: Path) -> Path:
    """A clone of the demo whose last commit removes .gitattributes: a repo as made
    before reqtrace wrote one."""
    git(origin.parent, "clone", "-q", str(origin), str(copy))
    git(copy, "rm", "-q", ".gitattributes")
    git(copy, "commit", "-q", "-m", "a spec repo without .gitattributes")
    return copy


def test_init_writes_a_gitattributes_that_turns_conversion_off(tmp_path, run_cli):
    result = run_cli("init", str(tmp_path / "spec"))
    assert result.exit_code == 0, result.stderr
    attributes = (tmp_path / "spec" / ".gitattributes").read_text(encoding="utf-8")
    assert "* -text" in attributes.splitlines()
    assert ".gitattributes" in result.stderr  # said among the files created
    # Git itself reads it so: no path of the spec repo is text to convert.
    assert git(tmp_path / "spec", "check-attr", "text", "--", "records/documents/a.txt") == "records/documents/a.txt: text: unset"


def test_init_leaves_an_existing_gitattributes_alone(tmp_path, run_in_process):
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / ".gitattributes").write_text("*.pdf binary\n", encoding="utf-8")
    assert run_in_process("init", str(folder)).exit_code == 0
    assert (folder / ".gitattributes").read_text(encoding="utf-8") == "*.pdf binary\n"


def test_a_crlf_clone_of_the_demo_is_byte_identical_and_verifies(demo_origin, tmp_path, run_in_process):
    clone = clone_with_autocrlf(demo_origin, tmp_path / "windows")
    assert (clone / DOCUMENT).read_bytes() == (demo_origin / DOCUMENT).read_bytes()
    assert b"\r\n" not in (clone / "specs" / "booking" / "REQ-1.yaml").read_bytes()
    check = run_in_process("check", cwd=clone)
    assert check.exit_code == 0, check.stdout + check.stderr
    for name in ("contract-v1.0", "delivery-v1.0"):
        verify = run_in_process("baseline", "verify", name, cwd=clone)
        assert verify.exit_code == 0, verify.stdout + verify.stderr


def test_a_crlf_checkout_without_gitattributes_checks_and_verifies_the_same(demo_origin, tmp_path, run_in_process):
    origin = without_gitattributes(demo_origin, tmp_path / "old-style")
    clone = clone_with_autocrlf(origin, tmp_path / "windows")
    # The checkout did convert: the test would prove nothing otherwise.
    assert b"\r\n" in (clone / DOCUMENT).read_bytes()
    assert b"\r\n" in (clone / "specs" / "booking" / "REQ-1.yaml").read_bytes()
    check = run_in_process("check", "--format", "json", cwd=clone)
    assert check.exit_code == 0, check.stdout + check.stderr
    for name in ("contract-v1.0", "delivery-v1.0"):
        verify = run_in_process("baseline", "verify", name, cwd=clone)
        assert verify.exit_code == 0, verify.stdout + verify.stderr
        assert "intact" in verify.stdout + verify.stderr or "✓" in verify.stdout
    diff = run_in_process("diff", "HEAD", cwd=clone)
    assert diff.exit_code == 0 and "no change of meaning" in diff.stdout
    # A pack of the working tree carries the documents as git stores them.
    pack = tmp_path / "pack.zip"
    built = run_in_process("pack", "build", "delivery-v1.0", "--to", "WORKTREE", "-o", str(pack), cwd=clone)
    assert built.exit_code == 0, built.stderr
    verified = run_in_process("pack", "verify", str(pack), cwd=tmp_path)
    assert verified.exit_code == 0, verified.stdout + verified.stderr


def test_a_real_change_in_a_crlf_checkout_is_still_caught(demo_origin, tmp_path, run_in_process):
    origin = without_gitattributes(demo_origin, tmp_path / "old-style")
    clone = clone_with_autocrlf(origin, tmp_path / "windows")
    document = clone / DOCUMENT
    document.write_bytes(document.read_bytes().replace(b"\r\n", b" (amended)\r\n", 1))
    check = run_in_process("check", cwd=clone)
    assert check.exit_code == 1
    assert "document-changed" in check.stdout
    verify = run_in_process("baseline", "verify", "contract-v1.0", cwd=clone)
    assert verify.exit_code == 1
    assert f"its evidence file {DOCUMENT} changed" in verify.stdout + verify.stderr
