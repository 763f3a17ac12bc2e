"""The named questions gitio answers for other modules, asked of one real repository.

History built once for the module:

    main:  c1 -- c2 -- m3 (merges side) -- c4        tags baseline/v1 (lightweight, on c1),
             \\         /                              baseline/v2 (annotated, on m3), other (c2)
              side ---                               orphan: an unrelated root
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import git, write_files
from reqtrace.io import gitio

ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "A",
    "GIT_AUTHOR_EMAIL": "a@example.test",
    "GIT_COMMITTER_NAME": "A",
    "GIT_COMMITTER_EMAIL": "a@example.test",
}


@dataclass(frozen=True)
class History:
    root: Path
    commits: dict[str, str]


def _commit(root: Path, files: dict[str, str | bytes | None], message: str, date: str) -> str:
    write_files(root, files)
    env = {**ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "--no-verify", "-m", message, env=env)
    return git(root, "rev-parse", "HEAD", env=env)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("questions") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main", env=ENV)
    c: dict[str, str] = {}
    c["c1"] = _commit(root, {"specs/a.yaml": "a\n", "notes.txt": "x\n"}, "c1", "2026-01-01T10:00:00+00:00")
    c["c2"] = _commit(root, {"specs/b.yaml": "b\n"}, "c2", "2026-01-02T10:00:00+00:00")
    git(root, "checkout", "-q", "-b", "side", c["c1"], env=ENV)
    c["side"] = _commit(root, {"specs/side.yaml": "s\n"}, "side", "2026-01-03T10:00:00+00:00")
    git(root, "checkout", "-q", "main", env=ENV)
    env = {**ENV, "GIT_AUTHOR_DATE": "2026-01-04T10:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-04T10:00:00+00:00"}
    git(root, "merge", "-q", "--no-ff", "-m", "m3", "side", env=env)
    c["m3"] = git(root, "rev-parse", "HEAD", env=ENV)
    c["c4"] = _commit(root, {"specs/a.yaml": "a2\n", "notes.txt": "y\n"}, "c4", "2026-01-05T10:00:00+00:00")
    git(root, "tag", "baseline/v1", c["c1"], env=ENV)
    git(root, "tag", "-a", "-m", "v2", "baseline/v2", c["m3"], env={**ENV, "GIT_COMMITTER_DATE": "2026-01-06T10:00:00+00:00"})
    git(root, "tag", "other", c["c2"], env=ENV)
    git(root, "checkout", "-q", "--orphan", "orphan", env=ENV)
    c["orphan"] = _commit(root, {"specs/o.yaml": "o\n"}, "orphan", "2026-01-07T10:00:00+00:00")
    git(root, "checkout", "-q", "main", env=ENV)
    return History(root, c)


def test_list_tags_names_each_baseline_once_with_its_commit_and_date(history: History) -> None:
    tags = gitio.list_tags(history.root, "baseline/")
    assert [(t.name, t.commit) for t in tags] == [("v1", history.commits["c1"]), ("v2", history.commits["m3"])]
    lightweight, annotated = tags
    assert lightweight.object == lightweight.commit and lightweight.created == "2026-01-01T10:00:00+00:00"
    assert annotated.object != annotated.commit and annotated.created == "2026-01-06T10:00:00+00:00"
    assert gitio.tag_commits(history.root, "baseline/") == {"v1": history.commits["c1"], "v2": history.commits["m3"]}
    assert gitio.list_tags(history.root, "nothing/") == []


def test_git_common_dir_is_the_shared_folder_also_from_a_linked_worktree(history: History, tmp_path: Path) -> None:
    assert gitio.git_common_dir(history.root) == history.root / ".git"
    linked = tmp_path / "linked"
    git(history.root, "worktree", "add", "-q", "--detach", str(linked), history.commits["c2"], env=ENV)
    try:
        found = gitio.git_common_dir(linked)
        assert found is not None and found.resolve() == (history.root / ".git").resolve()
    finally:
        git(history.root, "worktree", "remove", "--force", str(linked), env=ENV)
    assert gitio.git_common_dir(tmp_path) is None  # not a repository


def test_ancestry_questions(history: History) -> None:
    c = history.commits
    assert gitio.is_ancestor(history.root, c["c1"], c["c4"])
    assert gitio.is_ancestor(history.root, c["side"], c["c4"])  # merged in
    assert not gitio.is_ancestor(history.root, c["c4"], c["c1"])
    assert gitio.have_common_ancestor(history.root, c["side"], c["c2"])
    assert not gitio.have_common_ancestor(history.root, c["orphan"], c["c4"])


def test_first_parent_chain_skips_what_a_merge_brought_in(history: History) -> None:
    c = history.commits
    assert gitio.first_parent_chain(history.root, c["c4"]) == [c["c4"], c["m3"], c["c2"], c["c1"]]


def test_paths_changed_by_commits_in_a_range_under_a_folder(history: History) -> None:
    c = history.commits
    changed = gitio.paths_changed_by_commits(history.root, c["c1"], c["c4"], ["specs"])
    assert changed == {c["c4"]: ["specs/a.yaml"], c["side"]: ["specs/side.yaml"], c["c2"]: ["specs/b.yaml"]}
    assert gitio.paths_changed_by_commits(history.root, c["c4"], c["c4"], ["specs"]) == {}


def test_changed_in_worktree_names_ignored_files_only_when_asked(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    gitio.init_repository(root, branch="trunk")
    assert git(root, "symbolic-ref", "HEAD") == "refs/heads/trunk"
    write_files(root, {".gitignore": "*.tmp\n", "specs/a.yaml": "a\n"})
    assert gitio.commit_everything(root, "first", ENV) is True
    assert gitio.commit_everything(root, "nothing", ENV) is False
    assert git(root, "rev-list", "--count", "HEAD") == "1"
    write_files(root, {"specs/a.yaml": "a2\n", "specs/new.yaml": "n\n", "specs/x.tmp": "t\n"})
    assert sorted(gitio.changed_in_worktree(root, ["specs"])) == ["specs/a.yaml", "specs/new.yaml"]
    assert sorted(gitio.changed_in_worktree(root, ["specs"], ignored=True)) == ["specs/a.yaml", "specs/new.yaml", "specs/x.tmp"]


def _tag_asked_one_question_at_a_time(root: Path, name: str) -> gitio.TagInfo | None:
    """What `tag_info` answered with a git process per question: the plain computation."""
    ref = f"refs/tags/{name}"
    found = gitio.run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", ref, check=False)
    if found.returncode != 0:
        return None
    oid = found.stdout.decode("ascii").strip()
    kind = git(root, "cat-file", "-t", oid)
    commit = gitio.resolve_commit(root, oid) or ""
    if kind != "tag":
        return gitio.TagInfo(name, oid, False, commit, "")
    message = git(root, "cat-file", "tag", oid).partition("\n\n")[2]
    return gitio.TagInfo(name, oid, True, commit, message)


def test_tag_and_commit_in_one_process_answers_as_a_process_per_question(history: History) -> None:
    c = history.commits
    # A tag of a tag (the commit is two steps away), and a tag on a tree (no commit at all);
    # deleted after, for the module's other tests.
    git(history.root, "tag", "-a", "-m", "v3 over v2", "baseline/v3", "baseline/v2", env={**ENV, "GIT_COMMITTER_DATE": "2026-01-06T11:00:00+00:00"})
    git(history.root, "tag", "baseline/tree", f"{c['c1']}^{{tree}}", env=ENV)
    try:
        blob = git(history.root, "rev-parse", f"{c['c1']}:notes.txt")
        for name in ("baseline/v1", "baseline/v2", "baseline/v3", "baseline/tree", "baseline/none", "other"):
            plain = _tag_asked_one_question_at_a_time(history.root, name)
            for commit, exists in ((c["m3"], True), (blob, False), ("0" * 40, False), (None, False)):
                tag, found = gitio.tag_and_commit(history.root, name, commit)
                assert found is exists, (name, commit)
                assert (tag is None) == (plain is None), name
                if tag is not None and plain is not None:  # (the `git` helper strips the message's last line break)
                    assert (tag.object, tag.annotated, tag.commit, tag.message.rstrip("\n")) == (plain.object, plain.annotated, plain.commit, plain.message), name
            assert gitio.tag_info(history.root, name) == gitio.tag_and_commit(history.root, name, None)[0]
        assert [gitio.tag_info(history.root, name).commit for name in ("baseline/v2", "baseline/v3", "baseline/tree")] == [c["m3"], c["m3"], ""]  # type: ignore[union-attr]
        assert gitio.tag_and_commit(history.root, "bad\nname", c["m3"]) == (None, True)
    finally:
        git(history.root, "tag", "-d", "baseline/v3", "baseline/tree", env=ENV)
