"""Loading a spec repo at the working tree or at any revision, and the parse cache behind it."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import git, requirement_yaml
from reqtrace.checks.check import run_checks
from reqtrace.core import parse_cache as parsecache
from reqtrace.core import snapshot
from reqtrace.core.config import find_spec_repo
from reqtrace.core.parse_cache import MAX_SEGMENTS, PackedParseCache, pack_name
from reqtrace.core.snapshot import FileKind, load_snapshot, resolve_revision
from reqtrace.errors import ExitCode, InputError, RevisionError
from reqtrace.io import fork_map
from reqtrace.io.gitio import blob_id

GOOD = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online"),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel online", parents=["REQ-1"]),
    "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: SMS reminders\nreceived: 2026-01-20\naffects: [REQ-2]\n",
    "records/meetings/MTG-1.md": "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Kick-off\nrefs: [REQ-1]\n---\n# Kick-off\n",
}


def snapshot_of(root: Path, rev: str | None = None, *, cache: bool = True):  # type: ignore[no-untyped-def]
    """The snapshot as check/list/show load it: with the pack of parses, unless `cache=False`."""
    spec = find_spec_repo(root)
    if not cache:
        return load_snapshot(spec, rev)
    with PackedParseCache.for_git(spec.git_top) as packed:
        return load_snapshot(spec, rev, cache=packed)


def pack_of(root: Path) -> Path:
    return root / ".git" / "reqtrace" / "parse" / pack_name()


# --- revisions --------------------------------------------------------------


def test_reading_an_old_revision_after_the_working_tree_changed(make_repo) -> None:
    repo = make_repo(GOOD, tag="v1")
    first = repo.git("rev-parse", "HEAD")
    repo.commit(
        {
            "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online, changed"),
            "specs/REQ-3.yaml": requirement_yaml("REQ-3"),
        }
    )
    repo.write(
        {
            "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online, not committed"),
            "specs/REQ-2.yaml": None,
        }
    )

    old = snapshot_of(repo.root, "v1")
    assert old.commit == first
    assert old.requirements["REQ-1"].title == "Book online"
    assert set(old.requirements) == {"REQ-1", "REQ-2"}
    assert snapshot_of(repo.root, first[:10]).requirements["REQ-1"].title == "Book online"
    head = snapshot_of(repo.root, "HEAD")
    assert head.requirements["REQ-1"].title == "Book online, changed"
    assert set(head.requirements) == {"REQ-1", "REQ-2", "REQ-3"}
    worktree = snapshot_of(repo.root)
    assert worktree.commit is None
    assert worktree.requirements["REQ-1"].title == "Book online, not committed"
    assert set(worktree.requirements) == {"REQ-1", "REQ-3"}


def test_reading_a_revision_checks_nothing_out(make_repo) -> None:
    repo = make_repo(GOOD, tag="v1")
    repo.commit({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "New title")})
    repo.write({"specs/REQ-2.yaml": requirement_yaml("REQ-2", "Edited, not committed")})
    status = repo.git("status", "--porcelain")
    snapshot_of(repo.root, "v1", cache=False)
    assert repo.git("status", "--porcelain") == status
    assert "Edited, not committed" in (repo.root / "specs/REQ-2.yaml").read_text()


def test_items_at_a_revision_carry_blob_ids(make_repo) -> None:
    repo = make_repo(GOOD)
    at_head = snapshot_of(repo.root, "HEAD")
    assert at_head.files["specs/REQ-1.yaml"] == repo.git("rev-parse", "HEAD:specs/REQ-1.yaml")
    # The working tree reports the id git would give the same bytes.
    assert snapshot_of(repo.root).files == at_head.files


def test_a_baseline_name_is_a_revision(make_repo) -> None:
    repo = make_repo(GOOD, tag="baseline/contract-v1")
    assert resolve_revision(find_spec_repo(repo.root), "contract-v1") == repo.git(
        "rev-parse", "HEAD"
    )


@pytest.mark.parametrize("rev", ["-x", "--output=/tmp/reqtrace-pwned", "--all", ""])
def test_a_revision_starting_with_a_dash_is_refused(make_repo, rev: str) -> None:
    repo = make_repo(GOOD)
    with pytest.raises(RevisionError) as caught:
        snapshot_of(repo.root, rev)
    assert "is not a revision name" in caught.value.message
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert not Path("/tmp/reqtrace-pwned").exists()  # noqa: S108 - the file the attack would write


def test_a_revision_that_does_not_exist(make_repo) -> None:
    repo = make_repo(GOOD)
    with pytest.raises(RevisionError) as caught:
        snapshot_of(repo.root, "v9.9")
    assert caught.value.message == "unknown revision 'v9.9'"
    assert "git tag -l" in (caught.value.hint or "")


def test_a_revision_without_a_spec_repo(make_repo) -> None:
    repo = make_repo(GOOD)
    git(repo.root, "checkout", "-q", "--orphan", "other")
    git(repo.root, "rm", "-rq", "--cached", ".")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "empty")
    with pytest.raises(InputError) as caught:
        snapshot_of(repo.root, "other")
    assert "reqtrace.yaml does not exist at commit" in caught.value.message


def test_a_shallow_clone_missing_the_revision_says_how_to_fetch_it(
    make_repo, tmp_path: Path
) -> None:
    repo = make_repo(GOOD)
    repo.commit({"specs/REQ-3.yaml": requirement_yaml("REQ-3")}, message="second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    assert snapshot_of(clone, "HEAD").requirements.keys() == {"REQ-1", "REQ-2", "REQ-3"}
    with pytest.raises(RevisionError) as caught:
        snapshot_of(clone, "HEAD~1")
    assert "is not in this clone, which is shallow" in caught.value.message
    assert "fetch-depth: 0" in (caught.value.hint or "")
    assert "git fetch --unshallow" in (caught.value.hint or "")


def test_a_detached_head_works(make_repo) -> None:
    repo = make_repo(GOOD)
    repo.commit({"specs/REQ-3.yaml": requirement_yaml("REQ-3")})
    git(repo.root, "checkout", "-q", "--detach", "HEAD~1")
    assert set(snapshot_of(repo.root).requirements) == {"REQ-1", "REQ-2"}
    assert set(snapshot_of(repo.root, "HEAD").requirements) == {"REQ-1", "REQ-2"}
    assert set(snapshot_of(repo.root, "main").requirements) == {"REQ-1", "REQ-2", "REQ-3"}


def test_a_spec_repo_outside_git_works_for_the_working_tree(make_repo) -> None:
    repo = make_repo(GOOD, git_init=False)
    spec = find_spec_repo(repo.root)
    assert spec.git_top is None and PackedParseCache.for_git(spec.git_top).pack_file is None
    assert set(load_snapshot(spec).requirements) == {"REQ-1", "REQ-2"}
    with pytest.raises(RevisionError) as caught:
        load_snapshot(spec, "HEAD")
    assert "is not in a git repository" in caught.value.message
    assert "drop --rev" in (caught.value.hint or "")


def test_a_spec_repo_in_a_subfolder_of_a_git_repo_read_at_a_revision(make_repo) -> None:
    repo = make_repo(
        {
            "README.md": "outer project\n",
            **{f"docs/spec/{k}": v for k, v in GOOD.items()},
            "docs/spec/reqtrace.yaml": "project: Inner\n",
        }
    )
    repo.commit({"docs/spec/specs/REQ-1.yaml": requirement_yaml("REQ-1", "Changed")})
    spec = find_spec_repo(repo.root / "docs" / "spec")
    assert spec.prefix == "docs/spec/"
    old = load_snapshot(spec, "HEAD~1")
    assert old.config.project == "Inner"
    assert old.requirements["REQ-1"].title == "Book online"
    assert (
        old.requirements["REQ-1"].path == "specs/REQ-1.yaml"
    )  # relative to the spec repo, not git
    assert run_checks(old).findings == []
    # Walking up from a folder inside finds the spec repo, not the git top.
    assert find_spec_repo(start=repo.root / "docs" / "spec" / "specs").root == spec.root


def test_findings_at_a_revision_match_the_working_tree(make_repo) -> None:
    bad = {
        **GOOD,
        "specs/dup.yaml": "id: REQ-5\ntitle: a\ntitle: b\nstatement: s\n",
        "specs/latin.yaml": "id: REQ-6\ntitle: Café\nstatement: s\n".encode("latin-1"),
        "specs/big.yaml": b"# " + b"x" * (1024 * 1024 + 10) + b"\n",
        "specs/bin.yaml": b"\x00\x01\x02\x03",
        "specs/empty.yaml": "",
    }
    repo = make_repo(bad)
    worktree = run_checks(snapshot_of(repo.root)).findings
    at_head = run_checks(snapshot_of(repo.root, "HEAD")).findings
    assert [(f.code, f.path, f.line) for f in worktree] == [
        (f.code, f.path, f.line) for f in at_head
    ]
    assert {f.code for f in at_head} == {"duplicate-key", "not-utf8", "file-too-large", "schema"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlink_outside_the_repo_at_a_revision(make_repo) -> None:
    repo = make_repo(GOOD)
    os.symlink("/etc/passwd", repo.root / "specs" / "passwd.yaml")
    repo.commit()
    finding = next(
        f for f in run_checks(snapshot_of(repo.root, "HEAD")).findings if f.code == "symlink"
    )
    assert (finding.severity, finding.path) == ("error", "specs/passwd.yaml")


# --- the parse cache --------------------------------------------------------


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the files the parsers are asked to parse."""
    calls: list[str] = []

    def counting(kind: FileKind) -> FileKind:
        def parser(path, data, config):  # type: ignore[no-untyped-def]
            calls.append(path)
            return kind.parser(path, data, config)

        return FileKind(kind.name, kind.folder, kind.suffixes, parser, kind.recursive)

    monkeypatch.setattr(snapshot, "FILE_KINDS", [counting(kind) for kind in snapshot.FILE_KINDS])
    return calls


def plain_snapshot(snap) -> tuple:  # type: ignore[no-untyped-def]
    return (snap.requirements, snap.requests, snap.meetings, snap.findings, snap.files)


def test_the_cache_gives_the_same_snapshot_as_parsing(make_repo) -> None:
    repo = make_repo(
        {**GOOD, "specs/bad.yaml": "id: REQ-9\ntitle: NO\nstatement: s\nacceptence: [x]\n"}
    )
    for rev in (None, "HEAD"):
        uncached = snapshot_of(repo.root, rev, cache=False)
        first = snapshot_of(repo.root, rev)
        second = snapshot_of(repo.root, rev)
        assert plain_snapshot(first) == plain_snapshot(uncached) == plain_snapshot(second)
        assert [r.lines for r in second.requirements.values()] == [
            r.lines for r in uncached.requirements.values()
        ]


def test_the_cache_lives_in_dot_git_and_skips_unchanged_files(
    make_repo, parse_calls: list[str]
) -> None:
    repo = make_repo(GOOD)
    snapshot_of(repo.root)
    assert pack_of(repo.root).is_file()
    assert len(parse_calls) == 4
    parse_calls.clear()
    snapshot_of(repo.root)
    snapshot_of(repo.root, "HEAD")  # same bytes at HEAD: same entries
    assert parse_calls == []
    repo.write({"specs/REQ-2.yaml": requirement_yaml("REQ-2", "Changed")})
    assert snapshot_of(repo.root).requirements["REQ-2"].title == "Changed"
    assert parse_calls == ["specs/REQ-2.yaml"]


def test_a_moved_file_is_parsed_again_under_its_new_path(make_repo) -> None:
    repo = make_repo(GOOD)
    snapshot_of(repo.root)
    (repo.root / "specs" / "booking").mkdir()
    (repo.root / "specs" / "REQ-1.yaml").rename(repo.root / "specs" / "booking" / "REQ-1.yaml")
    assert snapshot_of(repo.root).requirements["REQ-1"].path == "specs/booking/REQ-1.yaml"


def test_the_cache_notices_a_changed_configuration(make_repo) -> None:
    repo = make_repo(GOOD)
    assert run_checks(snapshot_of(repo.root)).findings == []
    repo.write({"reqtrace.yaml": "project: P\nid_pattern: '^RQ?-[0-9]+$'\n"})
    assert {f.code for f in run_checks(snapshot_of(repo.root)).findings} == {"bad-id"}


def test_the_cache_is_safe_to_delete(make_repo) -> None:
    repo = make_repo(GOOD)
    snapshot_of(repo.root)
    shutil.rmtree(repo.root / ".git" / "reqtrace")
    assert set(snapshot_of(repo.root).requirements) == {"REQ-1", "REQ-2"}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage",
        pickle.dumps({"format": 99, "entries": {}}),
        pickle.dumps([1, 2]),
        pickle.dumps({"format": 2, "segments": [(("k",), b"not a pickle"), ("x", 3)]}),
    ],
)
def test_a_damaged_cache_is_ignored_and_rewritten(make_repo, content: bytes) -> None:
    repo = make_repo(GOOD)
    cache = pack_of(repo.root)
    cache.parent.mkdir(parents=True)
    cache.write_bytes(content)
    assert set(snapshot_of(repo.root).requirements) == {"REQ-1", "REQ-2"}
    assert cache.read_bytes() != content


class _Planted:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch planted-by-cache",))


def _sealed(payload: bytes) -> bytes:
    """A pack file that passes the content hash: what is inside is then up to the unpickler."""
    from reqtrace.core import parse_cache as parsecache
    from reqtrace.io import cachefile

    return cachefile.seal(parsecache._pack_stamp(), payload)


def test_a_planted_cache_cannot_run_code(make_repo) -> None:
    repo = make_repo(GOOD)
    cache = pack_of(repo.root)
    cache.parent.mkdir(parents=True)
    planted = pickle.dumps([_Planted()])
    for content in (
        pickle.dumps({"format": 2, "segments": [(("x",), planted)]}),  # inside a segment
        pickle.dumps({"format": 2, "segments": [_Planted()]}),  # in the pack itself
        _sealed(pickle.dumps({"format": 2, "segments": [(("x",), planted)]})),
        _sealed(pickle.dumps({"format": 2, "segments": [_Planted()]})),
    ):
        cache.write_bytes(content)
        assert set(snapshot_of(repo.root).requirements) == {"REQ-1", "REQ-2"}
        assert not (repo.root / "planted-by-cache").exists()
        assert not Path("planted-by-cache").exists()


def test_a_planted_segment_cannot_run_code_even_when_read(make_repo) -> None:
    repo = make_repo(GOOD)
    cache = pack_of(repo.root)
    cache.parent.mkdir(parents=True)
    cache.write_bytes(_sealed(pickle.dumps({"format": 2, "segments": [(("x",), pickle.dumps([_Planted()]))]})))
    assert PackedParseCache.for_git(find_spec_repo(repo.root).git_top).packed == {}
    assert not Path("planted-by-cache").exists()


def _segments(root: Path) -> list[tuple[tuple[str, ...], bytes]]:
    from reqtrace.core import parse_cache as parsecache
    from reqtrace.io import cachefile

    payload = cachefile.unseal(pack_of(root).read_bytes(), parsecache._pack_stamp())
    assert payload is not None
    return pickle.loads(payload)["segments"]  # noqa: S301 - our own test pack


def test_a_forked_first_run_is_cached_whole(make_repo, parse_calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}") for n in range(1, 41)})
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)
    monkeypatch.setattr(fork_map, "PIECE", 7)  # the worker sends its parses in pieces of 7
    monkeypatch.setattr(parsecache, "SEGMENT_ENTRIES", 8)  # the parent stores its own in 8s
    monkeypatch.setenv("REQTRACE_JOBS", "2")
    first = snapshot_of(repo.root)
    if sys.platform == "linux":
        # Both processes pickle their parses (the parent's for the pack): about half each.
        own = snapshot._even_split([kind for kind in snapshot.FILE_KINDS if kind.name == "requirement"] * 40, False, parent_pickles=True)
        assert 10 < own < 30 and len(parse_calls) == own  # the worker parsed the others
        pieces = [len(range(start, min(start + 7, 40 - own))) for start in range(0, 40 - own, 7)]
        segments = [len(range(start, min(start + 8, own))) for start in range(0, own, 8)]
        assert sorted(len(keys) for keys, _ in _segments(repo.root)) == sorted(pieces + segments)
    parse_calls.clear()
    again = snapshot_of(repo.root)
    assert parse_calls == []
    assert plain_snapshot(again) == plain_snapshot(first)


def test_editing_one_file_at_a_time_keeps_the_pack_warm_and_bounded(make_repo, parse_calls: list[str]) -> None:
    files = {**GOOD, **{f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}") for n in range(3, 30)}}
    repo = make_repo(files)
    snapshot_of(repo.root)
    [(_keys, first_payload)] = _segments(repo.root)
    for n in range(MAX_SEGMENTS + 3):
        repo.write({"specs/REQ-1.yaml": requirement_yaml("REQ-1", f"Title {n}")})
        parse_calls.clear()
        snap = snapshot_of(repo.root)
        assert parse_calls == ["specs/REQ-1.yaml"]
        assert snap.requirements["REQ-1"].title == f"Title {n}"
        if n == 0:  # the first segment is written back as it was, not pickled again
            assert [payload for _, payload in _segments(repo.root)][0] == first_payload
    assert len(_segments(repo.root)) <= MAX_SEGMENTS
    parse_calls.clear()
    snapshot_of(repo.root)
    assert parse_calls == []


def test_concurrent_runs_share_the_cache_safely(make_repo) -> None:
    files = {f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}") for n in range(1, 300)}
    repo = make_repo(files)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "reqtrace", "check", "--format", "json"],
            cwd=repo.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert b'"requirements": 299' in out
    leftovers = [p.name for p in (repo.root / ".git" / "reqtrace").rglob("*.tmp")]
    assert leftovers == []
    assert pack_of(repo.root).is_file()
    assert len(snapshot_of(repo.root).requirements) == 299


def test_blob_id_is_gits() -> None:
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


# --- parsing on two cores ---------------------------------------------------


def test_forked_parsing_gives_the_same_snapshot(make_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        f"specs/REQ-{n}.yaml": requirement_yaml(
            f"REQ-{n}", parents=[f"REQ-{n - 1}"] if n > 1 else []
        )
        for n in range(1, 60)
    }
    files["specs/zz-bad.yaml"] = "id: REQ-500\ntitle: NO\nstatement: s\n"
    repo = make_repo(files)
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)
    monkeypatch.setenv("REQTRACE_JOBS", "2")
    assert fork_map.can_fork(60) == (sys.platform == "linux")
    forked = snapshot_of(repo.root, cache=False)
    # At a commit each process reads its half through its own `git cat-file`.
    forked_at_head = snapshot_of(repo.root, "HEAD", cache=False)
    monkeypatch.setenv("REQTRACE_JOBS", "1")
    single = snapshot_of(repo.root, cache=False)
    assert plain_snapshot(forked) == plain_snapshot(single)
    assert plain_snapshot(forked_at_head) == plain_snapshot(snapshot_of(repo.root, "HEAD", cache=False))
    assert plain_snapshot(forked_at_head) == plain_snapshot(single)  # the same bytes are committed
    assert len(forked.requirements) == 60


@pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")
def test_a_failing_child_costs_time_not_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)
    monkeypatch.setenv("REQTRACE_JOBS", "2")
    parent = os.getpid()

    def square(n: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return n * n

    squares = fork_map.fork_map(lambda share: [square(n) for n in share], list(range(10)), lambda data: pickle.loads(data))  # noqa: S301
    assert squares == [n * n for n in range(10)]


@pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")
def test_a_child_that_sends_nonsense_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)
    monkeypatch.setenv("REQTRACE_JOBS", "2")
    assert fork_map.fork_map(lambda share: [n + 1 for n in share], list(range(10)), lambda data: [0]) == list(
        range(1, 11)
    )


@pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")
def test_a_failing_parent_stops_the_child_and_reports_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)
    monkeypatch.setenv("REQTRACE_JOBS", "2")
    parent = os.getpid()

    def work(share: list[int]) -> list[int]:
        if os.getpid() == parent:
            raise RuntimeError("the parent breaks")
        time.sleep(30)  # killed long before
        return list(share)

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the parent breaks"):
        fork_map.fork_map(work, list(range(10)), lambda data: pickle.loads(data))  # noqa: S301
    assert time.monotonic() - started < 10


def test_no_fork_with_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQTRACE_JOBS", "1")
    assert not fork_map.can_fork(100_000)


def test_a_file_that_grows_after_listing_is_read_whole_up_to_the_limit(tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_bytes(b"a" * 5000)
    assert snapshot._read_file(str(file), 10) == b"a" * 5000
    assert snapshot._read_file(str(file), 5000) == b"a" * 5000
    file.write_bytes(b"b" * (3 * 1024 * 1024))
    assert len(snapshot._read_file(str(file), 10)) > 1024 * 1024  # enough for file-too-large


def test_every_file_of_the_example_round_trips_through_the_cache(tmp_path: Path) -> None:
    """A parser whose items the cache cannot hold would silently make every run cold."""
    from conftest import ROOT
    example = ROOT / "examples" / "clinic"
    if not (example / "reqtrace.yaml").is_file():
        pytest.skip("examples/clinic is not in this checkout")
    root = tmp_path / "clinic"
    shutil.copytree(example, root)
    git(root, "init", "-q")
    cold = snapshot_of(root)
    packed = PackedParseCache.for_git(find_spec_repo(root).git_top)
    assert len(packed.packed) == len(cold.files) > 50
    assert plain_snapshot(snapshot_of(root)) == plain_snapshot(cold)
