"""One reader: every part of reqtrace that reads spec files (a whole snapshot, the
requirements at a baseline's commit, triage's records, a few named files) applies the same
rules to a file over the size limit, a symbolic link and a duplicate id; and
`--rev REV | --baseline NAME` is resolved one way, with one label."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CONFIG, git, requirement_yaml, write_files
from reqtrace.baselines.baseline import create_baseline, resolve_read_at
from reqtrace.core.config import find_spec_repo
from reqtrace.core.snapshot import load_snapshot, read_items, read_named_items, requirements_at
from reqtrace.errors import UsageError
from reqtrace.io.yamlio import MAX_FILE_BYTES
from reqtrace.triage.repo import load_records

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")

FILES = {
    "reqtrace.yaml": CONFIG,
    "specs/a.yaml": requirement_yaml("REQ-1", "Book online"),
    "specs/b.yaml": requirement_yaml("REQ-1", "The same id again"),  # after a.yaml: loses the id
    "specs/c.yaml": requirement_yaml("REQ-2", "Cancel online", parents=["REQ-1"]),
    "specs/big.yaml": requirement_yaml("REQ-3") + "# " + "x" * MAX_FILE_BYTES + "\n",
    "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: Pay online\nreceived: 2026-03-01\nfrom: Customer\nchannel: email\n",
}
LINKS = {"specs/alias.yaml": "a.yaml", "records/requests/RQ-2.yaml": "RQ-1.yaml", "specs/out.yaml": "/etc/hostname"}
RULES = {"duplicate-id", "file-too-large", "symlink"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory, build_env: None) -> tuple[Path, str, str]:
    """A spec repo holding one of each hard case, committed; then a clean one with baseline v1."""
    root = tmp_path_factory.mktemp("reading") / "repo"
    root.mkdir()
    write_files(root, FILES)
    for link, target in LINKS.items():
        os.symlink(target, root / link)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hard cases")
    hard = git(root, "rev-parse", "HEAD")
    write_files(root, {"specs/b.yaml": None, "specs/big.yaml": None})
    for link in LINKS:
        (root / link).unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "clean")
    create_baseline(find_spec_repo(root), "v1")
    git(root, "checkout", "-q", hard, "--", ".")  # the working tree: the hard cases again (links too)
    return root, hard, git(root, "rev-parse", "HEAD")


def _codes(findings: list) -> set[str]:
    return {finding.code for finding in findings} & RULES


def _rules(findings: list) -> set[tuple[str, str, str]]:
    return {(f.code, f.severity, f.path) for f in findings if f.code in RULES}


@pytest.mark.parametrize("where", ["commit", "worktree"])
def test_every_reading_applies_the_same_rules(spec, where) -> None:
    root, hard, _ = spec
    repo = find_spec_repo(root)
    commit = hard if where == "commit" else None
    whole = load_snapshot(repo, commit)
    assert _codes(whole.findings) == RULES
    assert whole.requirements["REQ-1"].path == "specs/a.yaml"  # the first in path order keeps the id
    assert "REQ-3" not in whole.requirements  # too large: not read
    outside = next(f for f in whole.findings if f.code == "symlink" and f.path == "specs/out.yaml")
    inside = next(f for f in whole.findings if f.code == "symlink" and f.path == "specs/alias.yaml")
    assert (outside.severity, inside.severity) == ("error", "warning")

    requirement_rules = {rule for rule in _rules(whole.findings) if rule[2].startswith("specs/")}
    part = read_items(repo, commit, ("requirement",))
    assert part.requirements == whole.requirements
    assert _rules(part.findings) == requirement_rules
    records = load_records(repo, ("request",))  # triage: the working tree's requests
    assert set(records.requests) == {"RQ-1"}
    assert ("symlink", "warning", "records/requests/RQ-2.yaml") in _rules(records.findings)
    named = read_named_items(repo, commit, ["specs/a.yaml", "specs/b.yaml", "specs/big.yaml", "specs/alias.yaml"])
    assert named.requirements["REQ-1"].title == "Book online"
    assert _codes(named.findings) == RULES
    if commit is not None:
        _, frozen, findings = requirements_at(repo, commit)
        assert frozen == whole.requirements
        assert _rules(findings) == requirement_rules


def test_a_linked_requirement_file_stops_a_baseline_wherever_it_points(make_repo, run_cli) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    os.symlink("REQ-1.yaml", repo.root / "specs" / "alias.yaml")  # inside the repo: a warning to `check`
    repo.commit(message="a link")
    result = run_cli("baseline", "create", "v1", cwd=repo.root)
    assert result.exit_code == 1, result.stderr
    assert "symbolic link" in result.stderr and "specs/alias.yaml" in result.stderr
    assert git(repo.root, "tag", "--list") == ""  # nothing frozen


def test_rev_or_baseline_is_resolved_one_way(spec) -> None:
    root, _, head = spec
    repo = find_spec_repo(root)
    assert resolve_read_at(repo, None, None) == (None, "the working tree", None)
    assert resolve_read_at(repo, "WORKTREE", None)[:2] == (None, "the working tree")
    assert resolve_read_at(repo, "HEAD", None)[:2] == (head, f"revision HEAD (commit {head[:12]})")
    assert resolve_read_at(repo, head[:10], None)[:2] == (head, f"commit {head[:12]}")
    commit, label, frozen = resolve_read_at(repo, None, "v1")
    assert frozen is not None and frozen.name == "v1" and commit == frozen.commit
    assert label == f"baseline v1 (commit {commit[:12]})"
    with pytest.raises(UsageError, match="not both"):
        resolve_read_at(repo, "HEAD", "v1")


def test_every_command_names_the_baseline_the_same_way(spec, run_cli, run_in_process, tmp_path) -> None:
    root, _, _ = spec
    # The refusals in this process (the same exit code and message, ~0.25 s less each); the export
    # that reads at a revision below in a real process.
    for command in (["export", "csv"], ["export", "xlsx"], ["export", "reqif"], ["publish"]):
        out = str(tmp_path / f"out-{command[-1]}")
        empty = run_in_process(*command, "-o", out, "--baseline", "", cwd=root)
        assert empty.exit_code == 2, (command, empty.stderr)  # was: the working tree, silently (csv, xlsx)
        missing = run_in_process(*command, "-o", out, "--baseline", "v9", cwd=root)
        assert missing.exit_code == 3 and "no baseline named 'v9'" in missing.stderr, (command, missing.stderr)
    nothing = run_cli("export", "csv", "-o", str(tmp_path / "x.csv"), "--rev", "HEAD~1", "--root", str(root))
    assert nothing.exit_code == 0, nothing.stderr
