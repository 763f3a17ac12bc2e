"""A diff whose TO side is taken from a snapshot read whole (changes/diff.py `_WholeTo`, the
`to_snapshot` of `diff_revisions`, which a cold `status` passes) finds what the plain diff
finds — the changes, their requests, duplicates, findings — from each baseline and from a
commit, to HEAD and to an edited working tree; and where the snapshot cannot stand for a
search (an id spelled with YAML escapes, which a search of the bytes does not find; a
duplicated id) the diff searches as usual.
"""

from __future__ import annotations

import pytest

from conftest import copy_demo, git, requirement_yaml
from reqtrace.baselines.baseline import scan_baselines
from reqtrace.changes import diff as diff_module
from reqtrace.changes.diff import diff_revisions
from reqtrace.changes.id_search import id_pattern, names_word
from reqtrace.core.config import find_spec_repo
from reqtrace.core.parse_cache import ParseCache
from reqtrace.core.snapshot import WORKTREE, load_snapshot


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build, build_env):
    """The demo with REQ-5 changed and REQ-30 added after delivery, and a commit that
    holds REQ-6 a second time, spelled with YAML escapes, in a file of its own."""
    target = copy_demo(demo_build, tmp_path_factory.mktemp("whole-to") / "demo")
    spec = target / "specs/booking/REQ-5.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Changed ", 1), encoding="utf-8")
    (target / "specs/booking/REQ-30.yaml").write_text(requirement_yaml("REQ-30", "Added after delivery", parents=["REQ-1"]), encoding="utf-8")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "after delivery")
    git(target, "tag", "after-delivery")
    (target / "specs/admin/escaped.yaml").write_text('id: "REQ\\x2d6"\ntitle: The same id, spelled with an escape\nstatement: A copy.\n', encoding="utf-8")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "an escaped copy")
    git(target, "tag", "escaped-copy")
    git(target, "reset", "-q", "--hard", "after-delivery")
    return target


def outcome(result):
    """Everything a DiffResult says (the number of files read aside)."""
    return (
        [(c.id, c.change, c.path, c.line, c.from_path, c.fields, c.requests, c.similar, c.renamed_from, c.move_text) for c in result.changes],
        result.unreadable, result.duplicates, result.formatting_only, sorted(result.findings, key=repr), result.notes, result.suspect,
    )


def compared(repo, from_rev, to_rev, to_snapshot, monkeypatch):
    """(plain outcome, outcome with the snapshot, which of the snapshot's answers were used)."""
    used: list[str] = []
    for name in ("copies_elsewhere", "requests_naming"):
        original = getattr(diff_module._WholeTo, name)

        def spy(self, *args, _original=original, _name=name):
            found = _original(self, *args)
            used.append(_name if found is not None else f"no {_name}")
            return found

        monkeypatch.setattr(diff_module._WholeTo, name, spy)
    plain = diff_revisions(repo, from_rev, to_rev, details=False, cache=ParseCache(None))
    whole = diff_revisions(repo, from_rev, to_rev, details=False, cache=ParseCache(None), to_snapshot=to_snapshot)
    return outcome(plain), outcome(whole), used


def reset(root, rev="after-delivery"):
    git(root, "reset", "-q", "--hard", rev)
    git(root, "clean", "-qfd", "--", "specs", "records")


def test_from_each_baseline_to_head_and_to_an_edited_working_tree(demo, monkeypatch):
    reset(demo)
    repo = find_spec_repo(start=demo)
    baselines = scan_baselines(repo).baselines
    head = git(demo, "rev-parse", "HEAD").strip()
    at_head = load_snapshot(repo, head)
    for baseline in baselines:
        plain, whole, used = compared(repo, baseline.commit, head, at_head, monkeypatch)
        assert whole == plain and plain[0], baseline.name
        assert "requests_naming" in used and not any(use.startswith("no ") for use in used)
    # The working tree edited: a requirement changed, one removed, one moved to another file,
    # one added, and a request approving a change.
    spec = demo / "specs/booking/REQ-6.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    (demo / "specs/booking/REQ-30.yaml").unlink()
    moved = next(path for path in demo.joinpath("specs").rglob("REQ-*.yaml") if path.name not in ("REQ-5.yaml", "REQ-6.yaml", "REQ-1.yaml"))
    moved.rename(demo / "specs/admin" / moved.name)
    (demo / "specs/booking/REQ-31.yaml").write_text(requirement_yaml("REQ-31", parents=["REQ-1"]), encoding="utf-8")
    (demo / "records/requests/RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-11-01\nfrom: Someone\ntitle: Change\naffects: [REQ-6]\ndecision:\n  status: approved\n  by: Li Wei\n  when: 2026-11-20\n",
        encoding="utf-8")
    worktree = load_snapshot(repo, None)
    for baseline in baselines:
        plain, whole, used = compared(repo, baseline.commit, WORKTREE, worktree, monkeypatch)
        assert whole == plain and any(change[0] == "REQ-6" and any(ref.id == "RQ-99" and ref.covers for ref in change[6]) for change in plain[0])
        assert "requests_naming" in used and not any(use.startswith("no ") for use in used)
        # To a commit whose files are mostly the working tree's: those that differ (the edits,
        # and for a baseline everything changed since it) are read from the commit.
        for to_rev in [head, *(later.commit for later in baselines if later is not baseline)]:
            plain, whole, used = compared(repo, baseline.commit, to_rev, worktree, monkeypatch)
            assert whole == plain, (baseline.name, to_rev)
            assert not any(use.startswith("no ") for use in used)


def test_an_escaped_id_is_searched_for_as_usual(demo, monkeypatch):
    # A request approving REQ-6 that names it only through an escape: a search of the
    # requests' bytes does not find it, so the plain diff finds no approval.
    reset(demo)
    repo = find_spec_repo(start=demo)
    spec = demo / "specs/booking/REQ-6.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    (demo / "records/requests/RQ-98.yaml").write_text(
        'id: RQ-98\nreceived: 2026-11-01\nfrom: Someone\ntitle: Change\naffects: ["REQ\\x2d6"]\ndecision:\n  status: approved\n  by: Li Wei\n  when: 2026-11-20\n',
        encoding="utf-8")
    plain, whole, used = compared(repo, "after-delivery", WORKTREE, load_snapshot(repo, None), monkeypatch)
    assert whole == plain and used == ["no requests_naming"]
    assert [change[6] for change in plain[0] if change[0] == "REQ-6"] == [()]
    # REQ-6's file removed while its escaped copy stays: from the commit that holds both, the
    # search does not find the copy, so REQ-6 is removed (not a duplicate resolved).
    reset(demo, "escaped-copy")
    spec.unlink()
    plain, whole, used = compared(repo, "escaped-copy", WORKTREE, load_snapshot(repo, None), monkeypatch)
    assert whole == plain and "no copies_elsewhere" in used
    assert [(change[0], change[1]) for change in plain[0] if change[0] == "REQ-6"] == [("REQ-6", "removed")]


def test_a_request_id_in_two_files_of_to_takes_the_plain_way(demo, monkeypatch):
    # At HEAD a new request RQ-97 approves REQ-5's change; the working tree gives RQ-97's id to
    # another file: the snapshot's RQ-97 is not HEAD's, and HEAD's is read from HEAD.
    reset(demo)
    repo = find_spec_repo(start=demo)
    (demo / "records/requests/RQ-97.yaml").write_text(
        "id: RQ-97\nreceived: 2026-11-01\nfrom: Someone\ntitle: Change\naffects: [REQ-5]\ndecision:\n  status: approved\n  by: Li Wei\n  when: 2026-11-20\n",
        encoding="utf-8")
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "RQ-97")
    head = git(demo, "rev-parse", "HEAD").strip()
    (demo / "records/requests/RQ-97.yaml").rename(demo / "records/requests/RQ-97-moved.yaml")
    baseline = scan_baselines(repo).baselines[0]
    plain, whole, used = compared(repo, baseline.commit, head, load_snapshot(repo, None), monkeypatch)
    assert whole == plain and any(change[0] == "REQ-5" and [ref.id for ref in change[6]] == ["RQ-97"] for change in plain[0])
    assert "requests_naming" in used
    # ... and the same id in a file of HEAD that the snapshot holds too: the plain search decides.
    (demo / "records/requests/RQ-97-moved.yaml").rename(demo / "records/requests/RQ-97.yaml")
    (demo / "records/requests/RQ-96.yaml").write_text(
        "id: RQ-97\nreceived: 2026-11-01\nfrom: Someone\ntitle: Another\naffects: [REQ-5]\n", encoding="utf-8")
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "RQ-97 twice")
    head = git(demo, "rev-parse", "HEAD").strip()
    (demo / "records/requests/RQ-96.yaml").unlink()
    plain, whole, used = compared(repo, baseline.commit, head, load_snapshot(repo, None), monkeypatch)
    assert whole == plain and "no requests_naming" in used


def test_a_duplicated_id_takes_the_plain_way(demo, monkeypatch):
    reset(demo)
    repo = find_spec_repo(start=demo)
    (demo / "specs/booking/REQ-6-copy.yaml").write_text(requirement_yaml("REQ-6"), encoding="utf-8")
    plain, whole, used = compared(repo, "after-delivery", WORKTREE, load_snapshot(repo, None), monkeypatch)
    assert whole == plain and plain[2] and used == []


@pytest.mark.parametrize("data", [b"REQ-6", b"xREQ-6", b"REQ-60", b"REQ-6_", b"-REQ-6-", b"[REQ-6]", b"REQ-6\nREQ-6x", b"a REQ-61 REQ-6", b"\xe4\xb8\xadREQ-6"])
def test_names_word_finds_what_the_search_pattern_finds(data):
    pattern = id_pattern(["REQ-6"])
    assert pattern is not None
    assert names_word(data, "REQ-6") == bool(pattern.search(data))
