"""`status` keeps what it computes from the baselines, approvals, test evidence and history
(graph/status.py `kept_status_inputs`) under the graph's state and today's date.

Every answer read back is compared with `status` computed without any cache
(REQTRACE_NO_CACHE), also after each input it depends on changes: a requirement
edited, a request approving a change, a sign-off revoked, a commit, a baseline tag
deleted, another day; and a damaged or planted entry is no answer.
"""

from __future__ import annotations

import json

import pytest

from conftest import cold_copy, copy_demo, git
from reqtrace.core import cachestore
from reqtrace.graph import status as status_module


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    return copy_demo(demo_build, tmp_path_factory.mktemp("kept-inputs") / "demo")


@pytest.fixture
def demo(demo_source, tmp_path):
    return cold_copy(demo_source, tmp_path / "demo")


def kept_entries(root):
    folder = root / ".git" / "reqtrace" / status_module.INPUTS_KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def status_of(run_in_process, root, **env):
    result = run_in_process("status", "--format", "json", cwd=root, env=env)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def assert_kept_is_plain(run_in_process, root, **env):
    """The first run keeps (or reads), the second reads: both equal the answer without caches."""
    plain = status_of(run_in_process, root, REQTRACE_NO_CACHE="1", **env)
    assert status_of(run_in_process, root, **env) == plain
    assert status_of(run_in_process, root, **env) == plain
    return plain


def test_kept_inputs_follow_every_input(demo, run_in_process):
    first = assert_kept_is_plain(run_in_process, demo)
    assert first["drift"] is not None and first["since_first_signed"] is not None  # the parts that are kept
    assert len(kept_entries(demo)) == 1
    # A requirement edited in the working tree: another state, another entry.
    spec = next(demo.joinpath("specs").rglob("REQ-6.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    edited = assert_kept_is_plain(run_in_process, demo)
    assert edited["drift"]["unapproved"] == first["drift"]["unapproved"] + 1
    assert "REQ-6" in edited["since_first_signed"]["unapproved_ids"]
    # A request approving it, committed with it: HEAD moves.
    (demo / "records" / "requests" / "RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-07-01\nfrom: Someone\ntitle: Change REQ-6\naffects: [REQ-6]\n"
        "decision:\n  status: approved\n  by: Li Wei\n  on: 2026-07-02\n", encoding="utf-8")
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "REQ-6 edited and approved")
    approved = assert_kept_is_plain(run_in_process, demo)
    assert approved["drift"]["unapproved"] == first["drift"]["unapproved"]
    assert "REQ-6" not in approved["since_first_signed"]["unapproved_ids"]
    # Another day: approvals are compared with today.
    assert_kept_is_plain(run_in_process, demo, SOURCE_DATE_EPOCH="1767225600")  # 2026-01-01: before the approval
    # The accepted baseline's tag deleted: an error in both, nothing kept for it.
    git(demo, "tag", "-d", "baseline/delivery-v1.0")
    entries = len(kept_entries(demo))
    plain = run_in_process("status", "--format", "json", cwd=demo, env={"REQTRACE_NO_CACHE": "1"})
    kept = run_in_process("status", "--format", "json", cwd=demo)
    assert (kept.exit_code, kept.stdout) == (plain.exit_code, plain.stdout)
    assert len(kept_entries(demo)) in (entries, entries + 1)


def test_a_damaged_or_planted_entry_is_no_answer(demo, run_in_process):
    plain = assert_kept_is_plain(run_in_process, demo)
    (entry,) = kept_entries(demo)
    entry.write_bytes(entry.read_bytes().replace(b'"approved":', b'"approvad":'))
    assert status_of(run_in_process, demo) == plain
    # Entries of the right seal but the wrong shape, under the name the real one has.
    name = entry.name
    for planted in ({"accepted": None}, {"accepted": None, "drift": {"added": 1}, "linked": [], "story": None, "tests": None},
                    {"accepted": None, "drift": None, "linked": [], "story": {"first": {}, "accepted": "x", "changes": [["REQ-1"]], "accepted_later": []}, "tests": None}):
        for old in kept_entries(demo):
            old.unlink()
        status_of(run_in_process, demo)  # keeps the real one again, to learn its content id
        (real,) = kept_entries(demo)
        assert real.name == name
        content = _content_id_of(demo, real)
        cachestore.store(demo, status_module.INPUTS_KIND, content, planted)
        assert status_of(run_in_process, demo) == plain


def _content_id_of(root, entry):
    """The content id the entry was kept under: the one whose name is the entry's."""
    for content in _recorded:
        if cachestore.entry_name(status_module.INPUTS_KIND, content) == entry.name:
            return content
    raise AssertionError("no content id recorded for the entry")


_recorded: list[str] = []


@pytest.fixture(autouse=True)
def no_kept_answer(monkeypatch):
    """status's whole answer is not kept here (REQTRACE_NO_KEPT_ANSWERS), so that every run reads the inputs."""
    monkeypatch.setenv("REQTRACE_NO_KEPT_ANSWERS", "1")


@pytest.fixture(autouse=True)
def record_content_ids(monkeypatch):
    store = cachestore.store

    def recording(git_top, kind, content_id, value):
        if kind == status_module.INPUTS_KIND:
            _recorded.append(content_id)
        store(git_top, kind, content_id, value)

    monkeypatch.setattr(status_module.cachestore, "store", recording)
