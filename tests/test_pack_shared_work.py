"""`pack build` does each piece of work once, and the shortcuts give the plain answers.

The baseline's digests are kept by the build when nothing kept them yet; a file
unchanged between the baseline and --to is read from git once (and found
unchanged by its blob id); text that cannot
hold an unbreakable word skips the regular expression; ids are sorted by a
remembered key; the garbage collector is paused while the repo is read. Each is
compared here with the plain computation, on the demo with a requirement edited
after the accepted baseline (so the two commits differ).
"""

from __future__ import annotations

import gc
import shutil

import pytest

from conftest import demo_edited_after_delivery
from reqtrace.baselines.baseline import digest_entries, kept_frozen_entries, requirements_at
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import natural_key
from reqtrace.core.snapshot import load_snapshot, resolve_revision
from reqtrace.errors import ReqtraceError
from reqtrace.pack.build import _same_file, base_requirements, build_pack
from reqtrace.pack.contents import Originals
from reqtrace.pack.report import _UNBREAKABLE, whole_words

BASELINE = "delivery-v1.0"


@pytest.fixture(scope="module")
def edited_demo(tmp_path_factory, demo_build, build_env):
    """The demo with REQ-5 edited after the accepted baseline, no kept results."""
    target = demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("shared") / "demo", "Edited after delivery.")
    shutil.rmtree(target / ".git" / "reqtrace", ignore_errors=True)
    return target


@pytest.fixture(autouse=True)
def collector_as_a_fresh_process_has_it():
    """Start from the collector a fresh process has: in-process runs of other modules' commands on this
    worker may have left it disabled or objects frozen (a command ends its process, so it need not undo
    that); the state found is restored after."""
    enabled = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    yield
    if not enabled:
        gc.disable()


def _entries(entries):
    return [(e.id, e.digest, e.path) for e in entries]


def test_a_build_keeps_the_baselines_digests_as_verifying_would_and_builds_the_same_pack(edited_demo, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(edited_demo, root, symlinks=True)
    repo = find_spec_repo(start=root)
    commit = resolve_revision(repo, BASELINE)
    assert kept_frozen_entries(repo, commit) is None
    first = build_pack(repo, BASELINE, tmp_path / "first.zip", to_rev="HEAD")
    kept = kept_frozen_entries(repo, commit)
    assert kept is not None
    plain = _entries(digest_entries(requirements_at(repo, commit)[1]))
    assert _entries(kept) == plain
    head = resolve_revision(repo, "HEAD")
    # The edit after the baseline is not in the baseline's digests.
    assert dict((i, d) for i, d, _ in plain)["REQ-5"] != dict((i, d) for i, d, _ in _entries(digest_entries(requirements_at(repo, head)[1])))["REQ-5"]
    second = build_pack(repo, BASELINE, tmp_path / "second.zip", to_rev="HEAD")  # the baseline check reads the kept digests
    assert (tmp_path / "second.zip").read_bytes() == (tmp_path / "first.zip").read_bytes()
    assert second.sha256 == first.sha256 and first.warnings == second.warnings
    assert gc.isenabled() and gc.get_freeze_count() == 0  # collections paused while gathering only


def test_files_read_through_the_shared_blobs_are_the_files_read_plainly(edited_demo):
    repo = find_spec_repo(start=edited_demo)
    to = load_snapshot(repo, "HEAD")
    config = to.config
    folders = sorted({config.requirements_dir, config.records_dir, config.baselines_dir})
    blobs: dict[str, bytes] = {}
    to_files = Originals(repo, to.commit, folders, blobs)
    plain_to = Originals(repo, to.commit, folders)
    assert to_files.read(to_files.paths()) == plain_to.read(plain_to.paths())
    commit = resolve_revision(repo, BASELINE)
    shared_files = base_requirements(repo, commit, to, blobs)[1]
    plain_files = base_requirements(repo, commit, to)[1]
    shared, plain = shared_files.read(shared_files.paths()), plain_files.read(plain_files.paths())
    assert shared == plain and len(plain) > 5
    changed = [path for path in plain if path.endswith("REQ-5.yaml")]
    assert changed and b"Edited after delivery" not in shared[changed[0]]
    # A file is the same on both sides when its blob is: REQ-5 differs, the others do not.
    assert [path for path in plain if not _same_file(shared_files, to_files, path)] == changed
    # The working tree's files (no blob ids) compare by their bytes.
    worktree = Originals(repo, None, folders)
    assert worktree.oid(changed[0]) is None and worktree.read(worktree.paths()) == plain_to.read(plain_to.paths())
    assert [path for path in plain if not _same_file(shared_files, worktree, path)] == changed


def _plain_whole_words(text):
    """whole_words without its shortcut: every match of the pattern."""
    text = "" if text is None else str(text)
    parts, at = [], 0
    for match in _UNBREAKABLE.finditer(text):
        if match.start() > at:
            parts.append((False, text[at:match.start()]))
        parts.append((True, match.group()))
        at = match.end()
    if at < len(text) or not parts:
        parts.append((False, text[at:]))
    return parts


@pytest.mark.parametrize(
    "text",
    [
        None, "", "Patients book up to 14 days ahead.", "患者可以在线预约医生。", "mail li.wei@example.com now",
        "key SHA256:" + "A" * 43 + " used", "commit deadbeefcafe then", "faced a cafe", "abcdefabcdef",
        "see REQ-22 and MTG-2026-08-20.", "well-known words", "x-1", "0123456789ab", "ABCDEFABCDEF12", "a\u00a0b-c 3",
    ],
)
def test_whole_words_gives_what_the_pattern_gives(text):
    assert whole_words(text) == _plain_whole_words(text)


def test_the_remembered_id_key_is_the_computed_one():
    # natural_key (core/model.py) remembers its keys: the pack sorts the same ids a dozen times.
    computed = natural_key.__wrapped__
    ids = ["REQ-10", "REQ-2", "REQ-002", "RQ-1", "MTG-2026-08-20", "MTG-2026-8-3", "req-1", "", "需求-3", "REQ-" + "9" * 50]
    for _ in range(2):  # the second time from what was remembered
        assert [natural_key(i) for i in ids] == [computed(i) for i in ids]
        assert sorted(ids, key=natural_key) == sorted(ids, key=computed)


def test_the_garbage_collector_is_left_as_it_was_after_a_build_and_after_a_failed_one(edited_demo, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(edited_demo, root, symlinks=True)
    repo = find_spec_repo(start=root)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(ReqtraceError):
        build_pack(repo, "no-such-baseline", tmp_path / "other.zip", to_rev="HEAD")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        build_pack(repo, BASELINE, tmp_path / "pack.zip", to_rev="HEAD")
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
