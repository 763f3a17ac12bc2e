"""Parses held in memory (parse_cache._HELD) against the plain computation.

A command that read the whole spec repo through the parse pack (`status`,
`trace`, `check`) keeps the parses it used at hand; a later reading of some
files in the same process (a diff at another commit) takes them from there
instead of parsing the files again. Keys name content, so the answer must be
the one a fresh process gives — also after a file changed since the pack was
read.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import make_repo_in, requirement_yaml
from reqtrace.changes.diff import diff_revisions
from reqtrace.core import parse_cache
from reqtrace.core.config import find_spec_repo
from reqtrace.core.parse_cache import PackedParseCache, ParseCache, cache_key
from reqtrace.core.snapshot import WORKTREE, load_snapshot


@pytest.fixture(autouse=True)
def nothing_held():
    parse_cache._HELD.clear()
    yield
    parse_cache._HELD.clear()


@pytest.fixture
def history(make_repo):
    """Six requirements, then two edited, one added and one removed in a second commit."""
    repo = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 7)})
    first = repo.git("rev-parse", "HEAD")
    repo.commit({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited"),
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Title 2", "The system shall do more."),
        "specs/REQ-7.yaml": requirement_yaml("REQ-7", "Title 7"),
        "specs/REQ-6.yaml": None,
    })
    return repo, first


def _plain_diff(root, first):
    """The diff as a fresh process computes it: nothing held, no cache files."""
    held = dict(parse_cache._HELD)
    parse_cache._HELD.clear()
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    try:
        return repr(diff_revisions(find_spec_repo(root), first, WORKTREE))
    finally:
        parse_cache._HELD.update(held)


def _read_whole(root):
    repo = find_spec_repo(root)
    with PackedParseCache.for_git(repo.git_top) as cache:
        snapshot = load_snapshot(repo, None, cache=cache)
    return repo, snapshot


def test_a_diff_after_a_whole_reading_takes_its_parses_from_memory_and_answers_the_same(history):
    repo_fixture, first = history
    root = repo_fixture.root
    plain = _plain_diff(root, first)
    repo, snapshot = _read_whole(root)
    shutil.rmtree(root / ".git" / "reqtrace" / "parse")  # only memory can answer now
    # The working tree's REQ-1 parse is the very object the whole reading made.
    oid = snapshot.files["specs/REQ-1.yaml"]
    held = ParseCache.for_git(repo.git_top).get(cache_key("requirement", "specs/REQ-1.yaml", oid, snapshot.config.id_pattern))
    assert held is not None and held.items == [snapshot.requirements["REQ-1"]] and held.items[0] is snapshot.requirements["REQ-1"]
    assert repr(diff_revisions(repo, first, WORKTREE)) == plain


def test_a_file_changed_after_the_whole_reading_is_parsed_again(history):
    repo_fixture, first = history
    root = repo_fixture.root
    repo, _ = _read_whole(root)
    repo_fixture.write({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited again"), "specs/REQ-3.yaml": None})
    shown = repr(diff_revisions(repo, first, WORKTREE))
    assert "edited again" in shown
    assert shown == _plain_diff(root, first)


def test_nothing_is_held_for_another_repository(history, tmp_path):
    repo_fixture, _ = history
    repo, snapshot = _read_whole(repo_fixture.root)
    (tmp_path / "other").mkdir()
    other = make_repo_in(tmp_path / "other")({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited")})
    oid = snapshot.files["specs/REQ-1.yaml"]
    key = cache_key("requirement", "specs/REQ-1.yaml", oid, snapshot.config.id_pattern)
    assert ParseCache.for_git(repo.git_top).get(key) is not None
    assert ParseCache.for_git(find_spec_repo(other.root).git_top).get(key) is None
