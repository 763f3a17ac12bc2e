"""The graph cache: a graph patched after edits, commits and new tags equals a fresh build."""

from __future__ import annotations

import random

import pytest

from conftest import git
from graph_world import World
from reqtrace.config import find_spec_repo
from reqtrace.graph_cache import _build, load_graph_bundle


def graph_content(bundle):
    graph = bundle.graph
    return {
        "nodes": dict(graph._node),
        "succ": {node: {other: dict(keyed) for other, keyed in targets.items()} for node, targets in graph._succ.items()},
        "pred": {node: {other: dict(keyed) for other, keyed in sources.items()} for node, sources in graph._pred.items()},
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
    return bundle.how


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
