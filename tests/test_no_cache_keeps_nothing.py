"""REQTRACE_NO_CACHE=1 means: compute everything the plain way and keep nothing. A run under
it neither reads nor writes `.git/reqtrace/` — not a kept result, not the parse pack, not a
triage index or dictionary — and does not even make the folder; the answers are the ones
computed with the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import cold_copy
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.triage import repo as triage_repo

COMMANDS = (
    ("check", "--format", "json"),
    ("status", "--format", "json"),
    ("trace", "REQ-5", "--format", "json"),
    ("impact", "REQ-5", "--format", "json"),
    ("diff", "--format", "json"),
    ("baseline", "verify", "--format", "json"),
    ("baseline", "verify", "contract-v1.0", "--deep", "--format", "json"),
)


def test_a_run_under_the_switch_keeps_nothing_and_answers_the_same(demo_build, tmp_path, run_in_process) -> None:
    plain_root = cold_copy(demo_build.root, tmp_path / "plain")
    kept_root = cold_copy(demo_build.root, tmp_path / "kept")
    for args in COMMANDS:
        plain = run_in_process(*args, cwd=plain_root, env={"REQTRACE_NO_CACHE": "1"})
        kept = run_in_process(*args, cwd=kept_root)
        assert (plain.exit_code, plain.stdout) == (kept.exit_code, kept.stdout), args
    assert not (plain_root / ".git" / "reqtrace").exists()
    assert (kept_root / ".git" / "reqtrace" / "parse").is_dir()  # the same runs keep results without it


def test_no_store_is_named_under_the_switch(demo_build, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = cold_copy(demo_build.root, tmp_path / "repo")
    repo = find_spec_repo(root)
    assert repo.git_top is not None
    assert cachestore.cache_root(repo.git_top) == root / ".git" / "reqtrace"
    monkeypatch.setenv("REQTRACE_NO_CACHE", "1")
    assert cachestore.cache_root(repo.git_top) is None
    assert cachestore.entry_path(repo.git_top, "baseline-digests", "x") is None
    assert triage_repo._cache_folder(repo) is None  # the triage index and its dictionaries
    cachestore.store(repo.git_top, "baseline-digests", "x", {"a": 1})
    assert cachestore.load(repo.git_top, "baseline-digests", "x") is None
    assert not Path(root / ".git" / "reqtrace").exists()
