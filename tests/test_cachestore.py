"""The one store of kept results (cachestore.py): its folder layout, its kinds, and
the removal of entries that other code wrote.

An upgrade (or a developer's edit) changes the code stamp, so every entry the old
code wrote becomes unreadable; without cleaning, each kind's folder would keep
them all. The store removes them when it writes an entry of the same kind, a
bounded number per write, and leaves everything else alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reqtrace.core import cachestore

OLD_STAMP = "0123456789abcdef"


@pytest.fixture
def git_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setattr(cachestore, "_clean", set())  # each test starts as a new process would
    return tmp_path


def write_as_other_code(git_top: Path, kind: str, count: int, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """`count` entries of `kind` as code with another stamp writes them."""
    current = cachestore.code_stamp()
    with monkeypatch.context() as patch:
        patch.setattr(cachestore, "code_stamp", lambda: OLD_STAMP)
        for number in range(count):
            cachestore.store(git_top, kind, f"old {number}", {"n": number})
        paths = [cachestore.entry_path(git_top, kind, f"old {number}") for number in range(count)]
    assert cachestore.code_stamp() == current != OLD_STAMP
    assert all(path is not None and path.name.startswith(f"{OLD_STAMP}-") and path.is_file() for path in paths)
    return paths  # type: ignore[return-value]


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def test_the_layout_is_one_folder_per_kind_with_the_stamp_in_each_name(git_top: Path):
    cachestore.store(git_top, "probe", "id", ["两", 1])
    path = cachestore.entry_path(git_top, "probe", "id")
    assert path is not None and path.parent == git_top / ".git" / "reqtrace" / "probe"
    assert path.name.startswith(f"{cachestore.code_stamp()}-") and path.suffix == ".json"
    assert cachestore.load(git_top, "probe", "id") == ["两", 1]
    # The caller's shape check: a payload it does not accept is no entry.
    assert cachestore.load(git_top, "probe", "id", lambda plain: plain if isinstance(plain, dict) else None) is None
    assert cachestore.load(None, "probe", "id") is None  # outside git: nothing kept
    cachestore.store(None, "probe", "id", 1)


@pytest.mark.parametrize("kind", ["cache", "../probe", "Probe", "", "a/b"])
def test_a_kind_is_a_plain_name_of_its_own(git_top: Path, kind: str):
    with pytest.raises(ValueError, match="not a kind"):
        cachestore.entry_path(git_top, kind, "id")


def test_writing_an_entry_removes_the_entries_other_code_wrote_of_that_kind_only(git_top: Path, monkeypatch: pytest.MonkeyPatch):
    old_probe = write_as_other_code(git_top, "probe", 3, monkeypatch)
    old_other = write_as_other_code(git_top, "other", 2, monkeypatch)
    folder = old_probe[0].parent
    # Files that are not entries of another stamp: left alone.
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / f"{OLD_STAMP}-{'a' * 64}.json.tmp").write_text("a temporary file", encoding="utf-8")
    (folder / f"{'b' * 16}-{'c' * 64}.json").mkdir()
    target = git_top / "elsewhere.json"
    target.write_text("the target of a link", encoding="utf-8")
    link = folder / f"{'d' * 16}-{'e' * 64}.json"
    link.symlink_to(target)
    kept = []
    for number in range(2):
        cachestore.store(git_top, "probe", f"new {number}", number)
        kept.append(cachestore.entry_path(git_top, "probe", f"new {number}"))
    assert names(folder) == {"notes.txt", f"{OLD_STAMP}-{'a' * 64}.json.tmp", f"{'b' * 16}-{'c' * 64}.json", *(path.name for path in kept)}
    assert target.read_text(encoding="utf-8") == "the target of a link"  # the link went, not its target
    assert [cachestore.load(git_top, "probe", f"new {number}") for number in range(2)] == [0, 1]
    assert all(path.is_file() for path in old_other)  # nothing of this kind was written


def test_removal_is_bounded_per_write_and_finishes_over_later_writes(git_top: Path, monkeypatch: pytest.MonkeyPatch):
    old = write_as_other_code(git_top, "probe", 5, monkeypatch)
    monkeypatch.setattr(cachestore, "REMOVED_PER_WRITE", 2)
    left = []
    for number in range(4):
        cachestore.store(git_top, "probe", f"new {number}", number)
        left.append(sum(path.exists() for path in old))
    assert left == [3, 1, 0, 0]
    assert len(list(old[0].parent.iterdir())) == 4  # the four new entries
    # Once a listing found no foreign entry, the folder is not listed again in this process.
    write_as_other_code(git_top, "probe", 1, monkeypatch)
    assert cachestore.remove_foreign(old[0].parent) == 0


def test_none_of_kind_is_true_only_while_no_code_kept_an_entry_of_that_kind(git_top: Path, monkeypatch: pytest.MonkeyPatch):
    """What a cold `check` asks before working out the verdict's content id (RT-262): an entry
    by any code, even an older one, makes the caller compute the id as before."""
    assert cachestore.none_of_kind(git_top, "probe")  # no `.git/reqtrace/` yet
    cachestore.store(git_top, "other", "id", 1)
    assert cachestore.none_of_kind(git_top, "probe")  # another kind's entries do not count
    write_as_other_code(git_top, "probe", 1, monkeypatch)
    assert not cachestore.none_of_kind(git_top, "probe")
    assert cachestore.none_of_kind(None, "probe")  # outside git nothing is kept
    monkeypatch.setenv("REQTRACE_NO_CACHE", "1")
    assert cachestore.none_of_kind(git_top, "probe")
