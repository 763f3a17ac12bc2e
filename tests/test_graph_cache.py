"""The graph cache: a graph patched after edits, commits and new tags equals a fresh build."""

from __future__ import annotations

import random

import pytest

from conftest import git
from graph_world import World
from hostile.kit import run as run_in_process
from reqtrace.core.config import find_spec_repo
from reqtrace.graph.cache import _build, cache_file, load_graph_bundle, status_snapshot
from reqtrace.graph.status import build_status
from test_graph import story, story_template  # noqa: F401 - the fixtures


@pytest.fixture(autouse=True)
def graph_read_by_every_command(monkeypatch):
    """Every command here reads the graph: no whole answer kept (trace's, impact's, status's)
    stands in for it, nor a graph of only the files a cold trace reads (graph/scoped.py)."""
    monkeypatch.setenv("REQTRACE_NO_KEPT_ANSWERS", "1")
    monkeypatch.setenv("REQTRACE_NO_SCOPED", "1")


def graph_content(bundle):
    graph = bundle.graph
    return {
        "nodes": dict(graph.nodes),
        "succ": {node: {other: dict(keyed) for other, keyed in targets.items()} for node, targets in graph.succ.items()},
        "pred": {node: {other: dict(keyed) for other, keyed in sources.items()} for node, sources in graph.pred.items()},
        "baselines": bundle.baselines,
        "commit": bundle.commit,
    }


def assert_same_as_fresh(root, rev=None, what=""):
    repo = find_spec_repo(root)
    bundle = load_graph_bundle(repo, rev)
    fresh = _build(repo, None if rev is None else bundle.commit, parse_cache=False)
    got, want = graph_content(bundle), graph_content(fresh)
    for part in want:
        assert got[part] == want[part], f"{part} differs from a fresh build after: {what} ({bundle.how})"
    # status reads the facts kept beside the nodes
    assert build_status(status_snapshot(repo, bundle)) == build_status(fresh.snapshot), f"status differs after: {what} ({bundle.how})"
    return bundle.how


# slow: 40 random edits, each compared with a fresh build (twice every fifth step)
@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_patched_graph_equals_a_fresh_build(make_repo, seed):
    repo = make_repo()
    world = World(repo.root, random.Random(seed))  # noqa: S311 - test data
    world.populate()
    repo.commit(message="start")
    hows = []
    history = []
    for step in range(40):
        history.append(world.step())
        if step % 7 == 3:
            repo.commit(message=f"step {step}")
            history.append("commit")
        if step % 13 == 5:
            world.tags += 1
            git(repo.root, "tag", f"baseline/v{world.tags}")
            history.append("tag")
        hows.append(assert_same_as_fresh(repo.root, what=" / ".join(history[-4:])))
        if step % 5 == 0:
            hows.append(assert_same_as_fresh(repo.root, "HEAD", what="--rev HEAD after " + " / ".join(history[-4:])))
    assert hows.count("patched") > len(hows) // 2, hows


# --- through the CLI, as a user runs it ---------------------------------------------------


def answers(root, *, fresh, rev=None):
    """What trace, impact and graph say, with the cache or (fresh) without it.

    In this process, through `reqtrace.cli.main` (as tests/hostile/kit.py runs it): the
    cache lives on disk in .git, so the process boundary adds nothing here but ~0.3 s a
    command; the `--debug trace` below runs in a real process (after the first and the last change)
    and reads the same file."""
    at = ("--rev", rev) if rev else ()
    said = {}
    with pytest.MonkeyPatch.context() as patch:
        if fresh:
            patch.setenv("REQTRACE_NO_CACHE", "1")
        else:
            patch.delenv("REQTRACE_NO_CACHE", raising=False)
        for args in (("trace", "REQ-4", "--format", "json"), ("trace", "REQ-1"), ("impact", "REQ-1", "--format", "json"), ("graph", "--format", "json"), ("status", "--format", "json")):
            result = run_in_process([*args, *at], root)
            assert result.escaped is None, result.describe()
            said[" ".join(args)] = (result.code, result.stdout)
    return said


# slow: five commands, cached and fresh, after each of nine changes
@pytest.mark.slow
def test_the_cli_answers_as_a_fresh_build_after_edits_adds_removes_and_renames(story, run_cli):  # noqa: F811 - the fixture
    from test_graph import ASK, STORY

    assert answers(story.root, fresh=False) == answers(story.root, fresh=True)
    steps = [
        ("edit a requirement", {"specs/REQ-4.yaml": STORY["specs/REQ-4.yaml"].replace("Booking window", "Booking horizon")}),
        ("add a request decided in a meeting", {"records/requests/RQ-50.yaml": "id: RQ-50\nreceived: 2026-06-05\ntitle: Weekend slots\naffects: [REQ-4]\ndecision:\n  status: approved\n  on: 2026-06-10\n  in: MTG-2026-06-10\n"}),
        ("rename a requirement's file", {"specs/REQ-9.yaml": None, "specs/sub/REQ-9.yaml": STORY["specs/REQ-9.yaml"]}),
        ("remove the email behind REQ-1 and a sign-off", {f"records/emails/{ASK}.eml.yaml": None}),
        ("commit", "commit"),
        ("bring the email back; a second REQ-20 that sorts first", {f"records/emails/{ASK}.eml.yaml": STORY[f"records/emails/{ASK}.eml.yaml"], "specs/A-dup.yaml": "id: REQ-20\ntitle: Reports twice\nstatement: The system shall report.\nparents: [REQ-4]\n"}),
        ("a new baseline tag", "tag"),
        ("remove the duplicate", {"specs/A-dup.yaml": None}),
        ("a baseline made with reqtrace (a manifest, a tag)", "baseline"),
    ]
    for number, (what, change) in enumerate(steps):
        if change == "commit":
            story.commit(message=what)
        elif change == "tag":
            story.git("tag", "baseline/v2")
        elif change == "baseline":
            made = run_cli("baseline", "create", "contract-v2", "-m", "Second scope", cwd=story.root, env={"SOURCE_DATE_EPOCH": "1780000000"})
            assert made.exit_code == 0, made.stderr
        else:
            story.write(change)
        # A real process after the first and the last change reads the file the answers above kept;
        # after the others, this process does (the same file: ~0.3 s less each).
        if number in (0, len(steps) - 1):
            how = run_cli("--debug", "trace", "REQ-4", cwd=story.root).stderr
        else:
            traced = run_in_process(["--debug", "trace", "REQ-4"], story.root)
            assert traced.escaped is None, traced.describe()
            how = traced.stderr
        assert "graph: patched" in how, f"after: {what}: {how}"
        assert answers(story.root, fresh=False) == answers(story.root, fresh=True), f"after: {what}"
    assert answers(story.root, fresh=False, rev="HEAD") == answers(story.root, fresh=True, rev="HEAD")


def test_a_damaged_node_in_a_valid_cache_file_is_not_used(story, run_cli):  # noqa: F811 - the fixture
    import pickle

    from reqtrace.io import cachefile

    expected = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root).stdout
    file = cache_file(find_spec_repo(story.root), worktree=True)
    data = file.read_bytes()
    # Sealed sections (cachefile.seal): header, the graph (node -> pickled node), the index, the status facts, the parent links.
    # The header, which comes first after the table, names the stamp they are sealed with.
    table_end = len(cachefile.MAGIC) + 32 + 8 + 5 * (8 + 32)
    stamp = pickle.loads(data[table_end:])["stamp"]  # noqa: S301 - our own file
    sealed = cachefile.Sealed(data, stamp)
    header, (blobs, baselines), index, facts, parents = (pickle.loads(sealed.section(number)) for number in range(5))  # noqa: S301
    blobs["REQ-4"] = b"\x80\x05garbage"
    # Sealed again: the file verifies, only the node is damaged.
    file.write_bytes(cachefile.seal(stamp, *(pickle.dumps(part) for part in (header, (blobs, baselines), index, facts, parents))))
    result = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root)
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected, "")
    assert run_cli("trace", "REQ-4", "--format", "json", cwd=story.root).stdout == expected


def test_unusual_files_are_read_as_the_loader_reads_them(make_repo, tmp_path):
    """Ignored, hidden and linked files: a patch sees exactly what a fresh load sees."""
    from conftest import requirement_yaml

    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), "records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-01-02\ntitle: Ask\naffects: [REQ-1, REQ-30, REQ-31]\n"})
    assert_same_as_fresh(repo.root)
    outside = tmp_path / "outside.yaml"
    outside.write_text(requirement_yaml("REQ-32"))
    steps = [
        ("an ignored folder with a requirement", {".gitignore": "specs/ignored/\n", "specs/ignored/deep/REQ-30.yaml": requirement_yaml("REQ-30")}),
        ("the ignored requirement edited", {"specs/ignored/deep/REQ-30.yaml": requirement_yaml("REQ-30", "Now with a title", parents=["REQ-1"])}),
        ("a hidden file and a hidden folder", {"specs/.REQ-31.yaml": requirement_yaml("REQ-31"), "specs/.drafts/REQ-33.yaml": requirement_yaml("REQ-33")}),
        ("committed (a commit has no hidden names)", "commit"),
        ("a symbolic link to a file outside", "link"),
        ("a folder swapped for a link to a folder", "folder-link"),
    ]
    for what, change in steps:
        if change == "commit":
            repo.commit(message=what)
        elif change == "link":
            (repo.root / "specs" / "REQ-32.yaml").symlink_to(outside)
        elif change == "folder-link":
            (repo.root / "specs" / "ignored" / "deep" / "REQ-30.yaml").unlink()
            (repo.root / "specs" / "ignored" / "deep").rmdir()
            elsewhere = tmp_path / "elsewhere"  # holds a file of the same name, which must not be read
            elsewhere.mkdir()
            (elsewhere / "REQ-30.yaml").write_text(requirement_yaml("REQ-30", "Read through a link"))
            (repo.root / "specs" / "ignored" / "deep").symlink_to(elsewhere)
        else:
            repo.write(change)
        assert assert_same_as_fresh(repo.root, what=what) == "patched", what
        assert assert_same_as_fresh(repo.root, "HEAD", what=f"--rev HEAD, {what}") in ("patched", "cached"), what
