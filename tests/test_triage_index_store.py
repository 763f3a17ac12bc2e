"""The triage index is kept by the one store of computed results (cachestore.py): its place,
its key (content id + code stamp), its seal, and its removal when other code wrote it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import copy_demo
from reqtrace.baselines.baseline import scan_baselines
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.triage import repo as triage_repo

OLD_STAMP = "0123456789abcdef"


@pytest.fixture
def git_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setattr(cachestore, "_clean", set())
    return tmp_path


def test_bytes_are_kept_sealed_under_the_stores_names(git_top: Path):
    cachestore.store_bytes(git_top, "probe", "id", b"\x00index bytes")
    path = cachestore.entry_path(git_top, "probe", "id", ".idx")
    assert path is not None and path.parent == git_top / ".git" / "reqtrace" / "probe"
    assert path.name.startswith(f"{cachestore.code_stamp()}-") and path.suffix == ".idx"
    assert cachestore.load_bytes(git_top, "probe", "id") == b"\x00index bytes"
    assert cachestore.load_bytes(git_top, "probe", "another id") is None
    # Another entry's file in its place does not verify: the seal covers kind and content id.
    other = cachestore.entry_path(git_top, "probe", "another id", ".idx")
    other.write_bytes(path.read_bytes())  # type: ignore[union-attr]
    assert cachestore.load_bytes(git_top, "probe", "another id") is None
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert cachestore.load_bytes(git_top, "probe", "id") is None
    with pytest.raises(ValueError, match="suffix"):
        cachestore.entry_path(git_top, "probe", "id", ".pickle")


def test_index_entries_written_by_other_code_are_removed_on_the_next_write(git_top: Path, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        patch.setattr(cachestore, "code_stamp", lambda: OLD_STAMP)
        cachestore.store_bytes(git_top, "probe", "old", b"old")
    folder = git_top / ".git" / "reqtrace" / "probe"
    (folder / "baselines-0123.json").write_text("another cache's file", encoding="utf-8")
    # Indexes as triage kept them before the store did: removed as well.
    (folder / f"{'a' * 40}-{'b' * 12}.idx").write_bytes(b"old index")
    (folder / f"{'a' * 40}-{'b' * 12}-{'c' * 12}.in-order.idx").write_bytes(b"old index in order")
    cachestore.store_bytes(git_top, "probe", "new", b"new")
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["baselines-0123.json", cachestore.entry_path(git_top, "probe", "new", ".idx").name]  # type: ignore[union-attr]
    )


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory, demo_build) -> Path:  # type: ignore[no-untyped-def]
    return copy_demo(demo_build, tmp_path_factory.mktemp("index-store") / "demo")


def test_a_baselines_index_is_built_once_kept_in_the_store_and_rebuilt_when_damaged(demo_repo: Path, monkeypatch: pytest.MonkeyPatch):
    repo = find_spec_repo(start=demo_repo)
    commit = next(b for b in scan_baselines(repo).baselines if b.name == "delivery-v1.0").commit
    folder = demo_repo / ".git" / "reqtrace" / "triage-index"
    for old in folder.glob("*.idx"):
        old.unlink()
    built = triage_repo._index_of(repo, commit)
    (kept,) = folder.glob("*.idx")
    assert kept == cachestore.entry_path(repo.git_top, triage_repo.INDEX_KIND, triage_repo._index_id(repo, commit), ".idx")
    expected = triage_repo.index_content_id(built)

    def no_build(*_args: object) -> None:
        raise AssertionError("the kept index was not used")

    with monkeypatch.context() as patch:
        patch.setattr(triage_repo.BaselineIndex, "build", no_build)
        assert triage_repo.index_content_id(triage_repo._index_of(repo, commit)) == expected
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])
    assert triage_repo.index_content_id(triage_repo._index_of(repo, commit)) == expected
    assert triage_repo.index_content_id(triage_repo._index_of(repo, commit, use_cache=False)) == expected
