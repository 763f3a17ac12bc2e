"""The evidence graph as a type of our own, and its cache under the one store's policy.

One small repo (test_graph's story) is built once for the module; every test reads it
through the core functions, so the file costs a few graph builds, no CLI process.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

from conftest import CONFIG, SpecRepoFixture, cold_copy, git, requirement_yaml, write_files
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.graph.cache import _build, cache_file, load_graph_bundle, whole_graph
from reqtrace.graph.graph import PARENT, neighbourhood, reachable
from test_graph import STORY

SRC = Path(__file__).resolve().parent.parent / "src" / "reqtrace"
NETWORKX_PRIVATE = {"_node", "_adj", "_succ", "_pred"}


@pytest.fixture(scope="module")
def story_root(tmp_path_factory, build_env):
    root = tmp_path_factory.mktemp("graph-policy") / "repo"
    root.mkdir()
    write_files(root, {"reqtrace.yaml": CONFIG, **STORY})
    git(root, "init", "-q")
    SpecRepoFixture(root).commit(message="initial", tag="baseline/v1")
    return root


@pytest.fixture
def fresh_copy(story_root, tmp_path):
    """The story with no cache yet, in a folder of its own."""
    return cold_copy(story_root, tmp_path / "repo")


def maps(graph):
    return dict(graph.nodes), {node: dict(graph.succ[node]) for node in graph}, {node: dict(graph.pred[node]) for node in graph}


def test_the_graph_is_kept_where_and_as_every_kept_result_is(fresh_copy):
    repo = find_spec_repo(fresh_copy)
    assert load_graph_bundle(repo).how == "built"
    kept = cache_file(repo, worktree=True)
    assert kept is not None and kept.is_file()
    # .git/reqtrace/graph/<code stamp>-<hash>.bin, the store's name; no file of its own scheme beside it
    assert kept.parent == fresh_copy / ".git" / "reqtrace" / "graph"
    assert kept.name.startswith(cachestore.code_stamp() + "-") and kept.suffix == ".bin"
    assert [path.name for path in kept.parent.iterdir()] == [kept.name]
    assert not list((fresh_copy / ".git" / "reqtrace").glob("graph-cache*"))
    assert load_graph_bundle(repo).how == "cached"
    # --rev has a slot of its own, in the same folder
    assert load_graph_bundle(repo, "HEAD").how in ("patched", "built")
    assert sorted(path.name for path in kept.parent.iterdir()) == sorted([kept.name, cache_file(repo, worktree=False).name])


def test_entries_of_other_code_go_when_the_graph_is_kept(fresh_copy):
    repo = find_spec_repo(fresh_copy)
    folder = fresh_copy / ".git" / "reqtrace" / "graph"
    folder.mkdir(parents=True)
    foreign = folder / ("0" * 16 + "-" + "1" * 64 + ".bin")
    foreign.write_bytes(b"written by another version")
    unrelated = folder / "notes.txt"
    unrelated.write_text("not an entry")
    load_graph_bundle(repo)
    assert not foreign.exists() and unrelated.exists()
    assert cache_file(repo, worktree=True).is_file()


def test_a_cached_graph_read_whole_equals_a_fresh_build(fresh_copy):
    repo = find_spec_repo(fresh_copy)
    load_graph_bundle(repo)
    bundle = load_graph_bundle(repo)
    assert bundle.how == "cached"
    whole = whole_graph(bundle.graph)
    fresh = _build(repo, None, parse_cache=False)
    assert maps(whole) == maps(fresh.graph)
    assert whole.facts == {node: dict((record[0], record[5]) for record in fresh.records).get(node) for node in fresh.graph}
    assert nx.utils.graphs_equal(whole.to_networkx(), fresh.graph.to_networkx())
    assert whole.number_of_edges() == fresh.graph.number_of_edges() > 0


@pytest.mark.parametrize("depth", [1, 2])
def test_neighbourhood_is_networkx_ego_graph(story_root, depth):
    graph = _build(find_spec_repo(story_root), None, parse_cache=False).graph
    reference = graph.to_networkx()
    for focus in ("REQ-4", "RQ-7", "MTG-2026-06-10"):
        ours = neighbourhood(graph, focus, depth)
        theirs = nx.ego_graph(reference, focus, radius=depth, undirected=True)
        assert set(ours) == set(theirs.nodes)
        assert sorted((u, v, k) for u, v, k, _ in ours.edges()) == sorted(theirs.edges(keys=True))


def test_no_private_attribute_of_networkx_is_read_or_set():
    found = []
    for module in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in NETWORKX_PRIVATE:
                found.append(f"{module.relative_to(SRC)}:{node.lineno} .{node.attr}")
    assert found == []


def hierarchy(graph):
    """Every node's parents and children, walked as trace and impact walk them."""
    return {node: (sorted(reachable(graph, node, [PARENT])), sorted(reachable(graph, node, [PARENT], backwards=True))) for node in graph}


def test_the_kept_parent_links_walk_as_the_graph_does_after_patches(fresh_copy):
    repo = find_spec_repo(fresh_copy)
    load_graph_bundle(repo)
    # REQ-9 moves from REQ-4 to REQ-20, and a new REQ-30 comes under REQ-9: the cached graph is patched
    write_files(fresh_copy, {
        "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Waiting list", parents=["REQ-20"]),
        "specs/REQ-30.yaml": requirement_yaml("REQ-30", "Waiting list by SMS", parents=["REQ-9"]),
    })
    patched = load_graph_bundle(repo)
    assert patched.how == "patched"
    fresh = _build(repo, None, parse_cache=False).graph
    assert hierarchy(patched.graph) == hierarchy(fresh)
    assert hierarchy(patched.graph)["REQ-20"][1] == ["REQ-30", "REQ-9"]
    again = load_graph_bundle(repo)  # the patched graph, kept: its parent links were kept with it
    assert again.how == "cached" and hierarchy(again.graph) == hierarchy(fresh)
