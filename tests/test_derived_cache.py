"""What is kept by content id (cachestore.py) gives the plain computation's answer.

The approvals between two commits, a requirement's text changes up to a commit
and a pack's computed triage are computed once and kept under
.git/reqtrace/<kind>/ (parsed manifests and digests of baselines beside them).
Each test compares the kept path with the plain one, and a damaged, swapped or
planted entry with the answer computed without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import cold_copy, demo_edited_after_delivery, git
from reqtrace.baselines.baseline import requirements_at, scan_baselines
from reqtrace.changes.diff import diff_revisions
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.core.snapshot import WORKTREE
from reqtrace.graph.status import approvals_between
from reqtrace.graph.trace import _text_changes, text_changes
from reqtrace.triage import BaselineIndex
from reqtrace.triage.repo import index_content_id, index_in_order


@pytest.fixture(autouse=True)
def derived_entries_read_by_every_command(monkeypatch):
    """Every command here reads the derived entries: no whole answer kept (trace, status, diff) stands in for them."""
    monkeypatch.setenv("REQTRACE_NO_KEPT_ANSWERS", "1")


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    """The demo (built once per worker, tests/conftest.py); with one requirement edited after the accepted baseline."""
    return demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("derived") / "demo", "Changed after delivery.")


@pytest.fixture
def demo(demo_source, tmp_path):
    """A copy of the demo with no derived entries yet."""
    return cold_copy(demo_source, tmp_path / "demo")


def derived_files(repo: Path, kind: str) -> list[Path]:
    folder = repo / ".git" / "reqtrace" / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


def status_json(repo: Path, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "reqtrace", "status", "--format", "json", *args], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def trace_json(repo: Path, item: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "reqtrace", "trace", item, "--format", "json"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def without_derived(repo: Path) -> None:
    for kind in ("approvals", "text-changes", "pack-triage", "baseline-manifest", "baseline-digests", "status-inputs", "status", "id-search", "diff", "diff-from"):
        shutil.rmtree(repo / ".git" / "reqtrace" / kind, ignore_errors=True)


def test_an_edited_manifest_is_read_again_not_taken_from_the_cache(demo):
    repo = find_spec_repo(start=demo)
    scan_baselines(repo)
    before = {b.name: b.created for b in scan_baselines(repo).baselines}
    path = demo / "baselines" / "delivery-v1.0" / "manifest.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("message: ", "message: edited ", 1), encoding="utf-8")
    after = scan_baselines(repo).baselines
    assert {b.name: b.created for b in after} == before
    assert next(b for b in after if b.name == "delivery-v1.0").message.startswith("edited ")


def damage_entry(entry: Path, damage: str, other: bytes) -> None:
    data = entry.read_bytes()
    entry.unlink()
    if damage == "flip":
        middle = len(data) // 2
        entry.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    elif damage == "swap":  # another entry's (valid) file in its place
        entry.write_bytes(other)
    elif damage == "symlink":
        entry.symlink_to(entry.parent.parent.parent.parent / "reqtrace.yaml")
    elif damage == "fifo":
        os.mkfifo(entry)
    else:
        entry.write_bytes(b"RQTC1\n" + b"\x00" * 100)


def test_status_with_damaged_entries_is_the_plain_status(demo):
    plain = status_json(demo)
    for damage in ("flip", "swap", "symlink", "fifo", "garbage"):
        without_derived(demo)
        status_json(demo)  # keeps manifests and approvals
        entries = derived_files(demo, "approvals") + derived_files(demo, "baseline-manifest") + derived_files(demo, "baseline-digests")
        assert len(derived_files(demo, "approvals")) == 3 and len(entries) >= 5
        entries += derived_files(demo, "status-inputs") + derived_files(demo, "status")  # damaged too, so that the others are read
        contents = [entry.read_bytes() for entry in entries]
        for number, entry in enumerate(entries):
            damage_entry(entry, damage, contents[(number + 1) % len(entries)])
        assert status_json(demo) == plain, damage


def test_status_kept_and_plain_agree_at_the_working_tree_and_at_a_revision(demo):
    without_derived(demo)
    cold = status_json(demo)
    warm = status_json(demo)
    assert warm == cold
    assert cold["drift"]["modified"] == 1  # REQ-5, after the accepted baseline
    at_rev_cold = status_json(demo, "--rev", "HEAD~1")
    at_rev_warm = status_json(demo, "--rev", "HEAD~1")
    assert at_rev_warm == at_rev_cold
    assert at_rev_cold["drift"]["modified"] == 0
    assert cold["since_first_signed"]["changes"] == at_rev_cold["since_first_signed"]["changes"] + 1


def test_approvals_are_the_diffs_changes_that_need_approval(demo):
    repo = find_spec_repo(start=demo)
    baselines = {b.name: b.commit for b in scan_baselines(repo).baselines}
    head = git(demo, "rev-parse", "HEAD")
    pairs = [(baselines["contract-v1.0"], baselines["delivery-v1.0"]), (baselines["contract-v1.0"], head), (baselines["delivery-v1.0"], None)]
    for from_commit, to_commit in pairs:
        full = diff_revisions(repo, from_commit, to_commit or WORKTREE)
        expected = [(c.id, c.change, c.approved) for c in full.changes if c.needs_approval]
        computed = approvals_between(repo, from_commit, to_commit, "x")
        kept = approvals_between(repo, from_commit, to_commit, "x")
        assert [tuple(a) for a in computed] == [tuple(a) for a in kept] == expected
    assert any(expected for expected in [approvals_between(repo, *pairs[0], "x")])
    # Only commit pairs are kept; the clean working tree is answered from HEAD's pair.
    assert len(derived_files(demo, "approvals")) == 3


def test_a_diff_without_details_finds_the_same_changes(demo):
    repo = find_spec_repo(start=demo)
    contract = next(b.commit for b in scan_baselines(repo).baselines if b.name == "contract-v1.0")
    full = diff_revisions(repo, contract, WORKTREE)
    lean = diff_revisions(repo, contract, WORKTREE, details=False)
    assert [(c.id, c.change, c.path, c.approved_by) for c in lean.changes] == [(c.id, c.change, c.path, c.approved_by) for c in full.changes]
    assert any(c.fields for c in full.changes) and not any(c.fields for c in lean.changes)
    assert lean.suspect == []


def test_kept_text_changes_are_the_history_and_follow_new_commits(demo):
    repo = find_spec_repo(start=demo)
    head = git(demo, "rev-parse", "HEAD")
    plain = _text_changes(repo, head, "REQ-5")
    assert text_changes(repo, None, "REQ-5") == plain  # computes and keeps
    assert text_changes(repo, head, "REQ-5") == plain  # reads what was kept
    assert derived_files(demo, "text-changes")
    assert plain[-1].summary.startswith("changed statement")
    # A new commit is a new key: its change shows at once.
    spec = next(demo.joinpath("specs").rglob("REQ-5.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Renamed ", 1), encoding="utf-8")
    git(demo, "commit", "-qam", "REQ-5 renamed")
    later = text_changes(repo, None, "REQ-5")
    assert len(later) == len(plain) + 1 and "title" in later[-1].summary


def test_trace_with_damaged_text_changes_is_the_plain_trace(demo):
    plain = trace_json(demo, "REQ-5")
    entries = derived_files(demo, "text-changes")
    assert entries
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-2] ^= 0x20
        entry.write_bytes(bytes(data))
    assert trace_json(demo, "REQ-5") == plain


def test_entries_are_sealed_with_the_code_stamp(demo):
    repo = find_spec_repo(start=demo)
    cachestore.store(repo.git_top, "probe", "id", {"a": [1, "两"]})
    assert cachestore.load(repo.git_top, "probe", "id") == {"a": [1, "两"]}
    assert cachestore.load(repo.git_top, "probe", "other id") is None
    (entry,) = derived_files(demo, "probe")
    assert entry.read_bytes().startswith(b"RQTC1\n")


def build_pack(repo: Path, out: Path) -> bytes:
    proc = subprocess.run([sys.executable, "-m", "reqtrace", "pack", "build", "delivery-v1.0", "-o", str(out), "--to", "HEAD"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def test_a_pack_built_from_kept_triage_is_the_same_pack_and_damage_changes_nothing(demo, tmp_path):
    without_kept = build_pack(demo, tmp_path / "first.zip")
    kept_triage = derived_files(demo, "pack-triage")
    indexes = sorted((demo / ".git" / "reqtrace" / "pack-triage-index").glob("*.idx"))
    assert kept_triage and len(indexes) == 1  # the demo has requests after delivery with no decision
    assert build_pack(demo, tmp_path / "second.zip") == without_kept
    for entry in [*kept_triage, *indexes]:
        data = bytearray(entry.read_bytes())
        data[len(data) // 2] ^= 0x01
        entry.write_bytes(bytes(data))
    assert build_pack(demo, tmp_path / "third.zip") == without_kept


def test_a_kept_index_of_other_requirements_is_not_used(demo):
    repo = find_spec_repo(start=demo)
    delivery = next(b for b in scan_baselines(repo).baselines if b.name == "delivery-v1.0")
    requirements = sorted(requirements_at(repo, delivery.commit)[1].values(), key=lambda r: r.id)
    first = index_in_order(repo, delivery.commit, requirements)
    assert index_content_id(first) == index_content_id(BaselineIndex.build(requirements))
    assert index_content_id(index_in_order(repo, delivery.commit, requirements)) == index_content_id(first)
    # The same commit asked with one requirement changed in memory: the kept index does not fit.
    changed = [*requirements[:-1], replace(requirements[-1], title="Another title")]
    second = index_in_order(repo, delivery.commit, changed)
    assert index_content_id(second) == index_content_id(BaselineIndex.build(changed)) != index_content_id(first)


def test_a_clean_working_tree_is_answered_from_head_with_todays_date(demo, monkeypatch):
    # An approval dated after HEAD's commit but before today covers the change at the
    # working tree (diff compares with today) and not at HEAD (compared with its date).
    import datetime as dt

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp())))
    (demo / "records" / "requests" / "RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-11-01\nfrom: Someone\ntitle: Change REQ-5\naffects: [REQ-5]\n"
        "decision:\n  status: approved\n  by: Li Wei\n  on: 2026-11-20\n", encoding="utf-8")
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "RQ-99", env={"GIT_COMMITTER_DATE": "2026-11-10T10:00:00+00:00", "GIT_AUTHOR_DATE": "2026-11-10T10:00:00+00:00"})
    repo = find_spec_repo(start=demo)
    delivery = next(b.commit for b in scan_baselines(repo).baselines if b.name == "delivery-v1.0")
    head = git(demo, "rev-parse", "HEAD")
    for to_commit in (head, None):  # a commit pair first, so the working tree finds it kept
        plain = diff_revisions(repo, delivery, to_commit or WORKTREE)
        expected = sorted((c.id, c.change, c.approved) for c in plain.changes if c.needs_approval)
        assert sorted(tuple(a) for a in approvals_between(repo, delivery, to_commit, "x")) == expected
        assert ("REQ-5", "modified", to_commit is None) in expected
    assert len(derived_files(demo, "approvals")) == 1
    # An edit in the working tree is compared the plain way.
    spec = next(demo.joinpath("specs").rglob("REQ-6.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    plain = diff_revisions(repo, delivery, WORKTREE)
    expected = sorted((c.id, c.change, c.approved) for c in plain.changes if c.needs_approval)
    assert ("REQ-6", "modified", False) in expected
    assert sorted(tuple(a) for a in approvals_between(repo, delivery, None, "x")) == expected
