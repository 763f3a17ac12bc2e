"""The kept id searches (changes/id_search.py) give `git grep`'s answer.

At a commit the answer is kept and read back; in the working tree it is HEAD's
kept answer with the files that differ from HEAD searched again. Each test
compares it with the plain `gitio.grep_files` of the same side, also after the
working tree changes (edited, added, untracked, ignored, deleted files) and
after a damaged entry; and `diff` with kept searches with `diff` without them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from conftest import make_repo_in, requirement_yaml
from reqtrace.changes import id_search
from reqtrace.changes.diff import diff_json, diff_revisions
from reqtrace.changes.id_search import IdSearch
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo, parse_config
from reqtrace.core.worktree_state import current_state
from reqtrace.io import gitio

FOLDERS = ["specs", "records/requests"]
WORDS = ["REQ-1", "REQ-2", "REQ-7", "REQ-9"]
STAMP = "reviewed:\n  REQ-2: sha256:" + "0" * 64 + "\n"  # a link reviewed before REQ-2 changed: suspect


def request_yaml(rid: str, affects: str, on: str = "2026-01-05") -> str:
    return (f"id: {rid}\nreceived: 2026-01-02\nfrom: Customer\nchannel: email\ntitle: Change\ntext: Please change {affects}.\n"
            f"affects: [{affects}]\ndecision:\n  status: approved\n  by: Lead\n  on: {on}\n")


@pytest.fixture(scope="module")
def template(tmp_path_factory, build_env):
    """A repo with a base commit (tag `base`) and a later HEAD: children naming parents, requests."""
    factory = make_repo_in(tmp_path_factory.mktemp("id-search"))
    repo = factory({
        "specs/a/REQ-1.yaml": requirement_yaml("REQ-1"),
        "specs/a/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"]),
        "specs/b/REQ-3.yaml": requirement_yaml("REQ-3", parents=["REQ-2"]),
        "specs/b/REQ-4.yaml": requirement_yaml("REQ-4", parents=["REQ-1"]),
        "specs/b/REQ-10.yaml": requirement_yaml("REQ-10", parents=["REQ-1"]),
        "records/requests/RQ-1.yaml": request_yaml("RQ-1", "REQ-2"),
        ".gitignore": "specs/ignored/\n",
    }, tag="base")
    repo.commit({
        "specs/a/REQ-2.yaml": requirement_yaml("REQ-2", "Changed", parents=["REQ-1"]),
        "specs/c/REQ-7.yaml": requirement_yaml("REQ-7", parents=["REQ-2"]) + STAMP,
        "records/requests/RQ-2.yaml": request_yaml("RQ-2", "REQ-7"),
    })
    return repo.root


@pytest.fixture
def root(template, tmp_path):
    target = tmp_path / "repo"
    gitio.run_git(template, "clone", "-q", "--no-local", str(template), str(target))
    gitio.run_git(target, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    return target


def plain(root: Path, commit: str | None, words: list[str], folders: list[str]) -> list[str]:
    return sorted(gitio.grep_files(root, commit, words, folders))


def kept(root: Path, commit: str | None, words: list[str], folders: list[str]) -> list[str]:
    found = sorted(IdSearch(root, commit, FOLDERS).start(words, folders).result())
    if commit is None:
        # Told what differs from HEAD by the spec files' state (as kept_diff tells it), the
        # working tree's search finds the same without asking git.
        repo = find_spec_repo(root)
        state = current_state(repo, parse_config((root / "reqtrace.yaml").read_bytes())[0], None)
        assert state is not None
        told = IdSearch(root, None, FOLDERS, differing=(state.commit, sorted(state.changes)))
        assert sorted(told.start(words, folders).result()) == found
    return found


def entries(root: Path) -> list[Path]:
    folder = root / ".git" / "reqtrace" / id_search.KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_at_a_commit_the_answer_is_kept_and_read_back(root):
    base = gitio.run_git(root, "rev-parse", "base^{commit}").stdout.decode().strip()
    for folders in (["specs"], ["records/requests"], FOLDERS):
        expected = plain(root, base, WORDS, folders)
        assert kept(root, base, WORDS, folders) == expected
        assert kept(root, base, WORDS, folders) == expected  # read back
    assert len(entries(root)) == 3
    assert kept(root, base, ["REQ-1"], ["specs"]) == ["specs/a/REQ-1.yaml", "specs/a/REQ-2.yaml", "specs/b/REQ-10.yaml", "specs/b/REQ-4.yaml"]


def test_a_damaged_or_planted_entry_is_no_answer(root):
    head = gitio.head_commit(root)
    expected = plain(root, head, WORDS, ["specs"])
    assert kept(root, head, WORDS, ["specs"]) == expected
    (entry,) = entries(root)
    entry.write_bytes(entry.read_bytes().replace(b"REQ-", b"REX-"))
    assert kept(root, head, WORDS, ["specs"]) == expected
    content = id_search._content_id(head, sorted(WORDS), ["specs"])
    cachestore.store(root, id_search.KIND, content, {"not": "a list"})
    assert kept(root, head, WORDS, ["specs"]) == expected


def test_the_working_tree_is_heads_answer_plus_what_differs(root):
    assert kept(root, None, WORDS, ["specs"]) == plain(root, None, WORDS, ["specs"])
    changes: list[dict[str, str | None]] = [
        {"specs/b/REQ-3.yaml": requirement_yaml("REQ-3", parents=["REQ-9"])},  # edited: names another id
        {"specs/b/REQ-4.yaml": requirement_yaml("REQ-4")},  # edited: names none any more
        {"specs/new/REQ-8.yaml": requirement_yaml("REQ-8", parents=["REQ-7"])},  # untracked
        {"specs/ignored/REQ-11.yaml": requirement_yaml("REQ-11", parents=["REQ-1"])},  # ignored, read all the same
        {"specs/a/REQ-2.yaml": None},  # deleted
        {"specs/odd/[x]*.yaml": requirement_yaml("REQ-12", parents=["REQ-2"])},  # a name git would take as a pattern
        {"records/requests/RQ-3.yaml": request_yaml("RQ-3", "REQ-9")},
    ]
    for change in changes:
        for path, text in change.items():
            if text is None:
                (root / path).unlink()
            else:
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text, encoding="utf-8")
        for folders in (["specs"], ["records/requests"], FOLDERS):
            assert kept(root, None, WORDS, folders) == plain(root, None, WORDS, folders), (change, folders)
    # Staged, then committed: HEAD moves, and its own answer is searched and kept.
    gitio.run_git(root, "add", "-A")
    assert kept(root, None, WORDS, FOLDERS) == plain(root, None, WORDS, FOLDERS)
    gitio.run_git(root, "commit", "-qm", "more")
    assert kept(root, None, WORDS, FOLDERS) == plain(root, None, WORDS, FOLDERS)


def test_many_differing_files_search_the_working_tree_plainly(root, monkeypatch):
    monkeypatch.setattr(id_search, "MAX_DIRTY", 1)
    for number in (20, 21):
        (root / f"specs/x/REQ-{number}.yaml").parent.mkdir(parents=True, exist_ok=True)
        (root / f"specs/x/REQ-{number}.yaml").write_text(requirement_yaml(f"REQ-{number}", parents=["REQ-7"]), encoding="utf-8")
    assert kept(root, None, WORDS, ["specs"]) == plain(root, None, WORDS, ["specs"])
    assert entries(root) == []  # nothing at HEAD was asked for


def diff_answer(root: Path, rev: str) -> dict:
    repo = find_spec_repo(root)
    return json.loads(json.dumps(diff_json(diff_revisions(repo, rev)), default=str)) | {"suspect_raw": [asdict(s) for s in diff_revisions(repo, rev).suspect]}


def test_diff_with_kept_searches_is_diff_without_them(root, monkeypatch):
    """`diff base` from the working tree: searches kept, then the working tree edited."""
    first = diff_answer(root, "base")  # keeps HEAD's searches
    assert entries(root)
    assert diff_answer(root, "base") == first
    assert {c["id"] for c in first["changes"]} == {"REQ-2", "REQ-7"}
    assert [link["child"] for link in first["suspect"]] == ["REQ-7"]  # REQ-7 names the changed REQ-2
    # An uncommitted child of REQ-2, a request approving REQ-7 withdrawn, a new copy of REQ-7.
    (root / "specs/b/REQ-3.yaml").write_text(requirement_yaml("REQ-3", "Edited", parents=["REQ-2"]) + STAMP, encoding="utf-8")
    (root / "records/requests/RQ-2.yaml").unlink()
    (root / "specs/d").mkdir()
    (root / "specs/d/REQ-7.yaml").write_text(requirement_yaml("REQ-7", "Copy"), encoding="utf-8")
    edited = diff_answer(root, "base")
    monkeypatch.setattr(id_search.cachestore, "load", lambda *args, **kwargs: None)
    assert edited == diff_answer(root, "base")  # the same without any kept search
    assert {link["child"] for link in edited["suspect"]} == {"REQ-3", "REQ-7"}
    assert not next(c for c in edited["changes"] if c["id"] == "REQ-7")["approved"]
    assert edited["duplicates"]
