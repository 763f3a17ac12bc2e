"""Requirement digests computed beside the parsing (core/snapshot.py `parse_sources`
with `digests`), on both cores, kept in the parse pack with the parses.

A cold `check` of a spec repo with baselines digests every requirement it verifies;
the parse workers now digest the working tree's requirements while they parse them,
and the baselines' verdict reads those digests back. Every answer must be the plain
one: `check` (working tree and `--rev HEAD`) cold, warm and after an edit, against
`check` with no cache, one process and no digest computed beside the parse; each
stashed digest against the digest of a fresh copy of its requirement; a pack whose
digests do not fit its items is refused. The working tree and the baselines' commits
are listed without sizes: a file over the size limit is still named with its size.
"""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from pathlib import Path

import pytest

from conftest import DemoBuild, cold_copy, requirement_yaml
from reqtrace.checks import check as check_module
from reqtrace.core import parse_cache, snapshot
from reqtrace.core.config import find_spec_repo
from reqtrace.core.digest import requirement_digest, stashed_digest
from reqtrace.core.model import Requirement
from reqtrace.core.parse import Parsed
from reqtrace.core.snapshot import FILE_KINDS, _even_split, load_snapshot, read_items
from reqtrace.io import fork_map


def _as_a_new_process() -> None:
    """Forget the parses this process holds from earlier readings (a command runs alone in
    its process): a cold run here must parse, not find the plain run's parses."""
    parse_cache._HELD.clear()
    snapshot._SHARED_PACKS.clear()
    snapshot._parse_pack.cache_clear()


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's few files are parsed by two processes, as a large repo's are."""
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)
    monkeypatch.setenv("REQTRACE_JOBS", "2")
    _as_a_new_process()


def _fresh_digest(requirement: Requirement) -> str:
    copy = dataclasses.replace(requirement)  # a new object: nothing stashed with it
    assert stashed_digest(copy) is None
    return requirement_digest(copy)


def _plain(run_in_process, root: Path, *args: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`args` the plain way, in a copy of `root` of its own: nothing kept, one process, no
    digest stashed beside the parse (the parse pack it writes is thrown away with the copy)."""
    plain_root = root.with_name(root.name + "-plain")
    shutil.rmtree(plain_root, ignore_errors=True)
    cold_copy(root, plain_root)
    with monkeypatch.context() as patch:
        patch.setattr(snapshot, "stash_digest", lambda requirement: None)
        answer = run_in_process(*args, cwd=plain_root, env={"REQTRACE_NO_CACHE": "1", "REQTRACE_JOBS": "1"})
    _as_a_new_process()
    return answer


def test_cold_warm_and_edited_check_equal_the_plain_check(demo_build: DemoBuild, tmp_path: Path, run_in_process, monkeypatch: pytest.MonkeyPatch) -> None:
    root = cold_copy(demo_build.root, tmp_path / "demo")
    # The check that digests beside its parse: no baselines' child keeping the verdict and the
    # drift gate (with one, nothing reads most digests and none is computed beside the parse:
    # tests/test_baseline_work_beside.py).
    monkeypatch.setattr(check_module, "start_baseline_work", lambda *args, **kwargs: None)
    check = ("check", "--format", "json")
    plain = _plain(run_in_process, root, *check, monkeypatch=monkeypatch)
    assert plain.exit_code == 0 and '"requirements": 25' in plain.stdout
    cold = run_in_process(*check, cwd=root)
    assert (cold.exit_code, cold.stdout) == (plain.exit_code, plain.stdout)
    # Every requirement parsed beside the others got its digest, the one its fields give.
    repo = find_spec_repo(root)
    pack = parse_cache.PackedParseCache.for_git(repo.git_top)
    read = load_snapshot(repo, cache=pack)
    assert pack.hits == len(read.files) and pack.misses == 0  # all from the pack the cold check wrote
    for requirement in read.requirements.values():
        assert stashed_digest(requirement) == _fresh_digest(requirement), requirement.id
    rev_plain = _plain(run_in_process, root, *check, "--rev", "HEAD", monkeypatch=monkeypatch)
    assert run_in_process(*check, "--rev", "HEAD", cwd=root).stdout == rev_plain.stdout

    # An edit: the changed requirement is parsed and digested anew, the others' parses and
    # digests come from the pack; the answer is the plain one.
    spec = next(root.joinpath("specs").rglob("REQ-2.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("statement: ", "statement: Edited since. ", 1), encoding="utf-8")
    plain_after = _plain(run_in_process, root, *check, monkeypatch=monkeypatch)
    assert '"unapproved-change"' in plain_after.stdout  # the edit is drift the check reports
    assert run_in_process(*check, cwd=root).stdout == plain_after.stdout
    pack = parse_cache.PackedParseCache.for_git(repo.git_top)
    edited = load_snapshot(repo, cache=pack).requirements["REQ-2"]
    assert edited.statement.startswith("Edited since.")
    assert stashed_digest(edited) == _fresh_digest(edited) != _fresh_digest(read.requirements["REQ-2"])


def test_a_pack_whose_digests_do_not_fit_its_items_is_refused() -> None:
    requirement = Requirement(id="REQ-1", title="A title", statement="A statement.", path="specs/REQ-1.yaml")
    good = parse_cache.dump_parsed([Parsed([requirement], [], "0" * 40)])
    (loaded,) = parse_cache.load_parsed(good)
    assert loaded.items == [requirement] and stashed_digest(loaded.items[0]) is None
    (plain,) = pickle.loads(good)  # noqa: S301 - our own bytes
    digest = requirement_digest(requirement)
    (with_digest,) = parse_cache.load_parsed(pickle.dumps([(*plain[:3], (digest,))]))
    assert stashed_digest(with_digest.items[0]) == digest
    for digests in ((digest, digest), ("sha256:not-a-digest",), (7,), [digest]):
        with pytest.raises(pickle.UnpicklingError):
            parse_cache.load_parsed(pickle.dumps([(*plain[:3], digests)]))
    finding = parse_cache.dump_parsed([Parsed([], [], "0" * 40)])
    assert parse_cache.load_parsed(finding)[0].items == []


def test_the_two_processes_cost_about_the_same() -> None:
    """After the fork, the parent's share (pickled too when it keeps a parse pack) costs what the
    worker's share and its pickling cost, to within a file: the parent takes more than half
    of the files when only the worker pickles."""
    kinds = {kind.name: kind for kind in FILE_KINDS}
    files = [kinds["request"]] * 500 + [kinds["requirement"]] * 1000  # path order: records first
    for digests in (False, True):
        cost = {"request": snapshot._RECORD_COST, "requirement": snapshot._REQUIREMENT_COST + (snapshot._DIGEST_COST if digests else 0)}
        splits = {}
        for parent_pickles in (False, True):
            split = splits[parent_pickles] = _even_split(files, digests, parent_pickles=parent_pickles)
            first, second = (sum(cost[kind.name] + snapshot._PICKLE_COST for kind in share) for share in (files[:split], files[split:]))
            if not parent_pickles:
                first -= snapshot._PICKLE_COST * split
            assert 0 < split < len(files)
            assert abs(first - second) <= 2 * (max(cost.values()) + snapshot._PICKLE_COST)  # one file moved either way
        assert splits[True] < splits[False]


def test_a_file_over_the_limit_at_a_commit_is_named_with_its_size(make_repo) -> None:
    """Listed without sizes (snapshot.read_items), a file over the size limit is found while
    reading; its finding still gives its size, as the sized listing did."""
    fixture = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), "specs/huge.yaml": b"#" * 1_100_000})
    repo = find_spec_repo(fixture.root)
    head = fixture.git("rev-parse", "HEAD").strip()
    for commit in (head, None):
        read = read_items(repo, commit, ("requirement",))
        assert list(read.requirements) == ["REQ-1"] and "specs/huge.yaml" not in read.files
        (finding,) = read.findings
        assert (finding.code, finding.path) == ("file-too-large", "specs/huge.yaml")
        assert "file is 1,100,000 bytes" in finding.message
    (finding,) = load_snapshot(repo).findings  # the working tree, listed without sizes too
    assert "file is 1,100,000 bytes" in finding.message
