"""impact's `holds` (which of the scope each baseline holds) is the scope filtered in id
order: the same list as sorting each baseline's share on its own (graph/trace.py)."""

from __future__ import annotations

from conftest import copy_demo
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import natural_key
from reqtrace.graph.cache import load_graph_bundle
from reqtrace.graph.graph import PARENT, reachable
from reqtrace.graph.trace import impact_of


def test_holds_is_each_baselines_share_of_the_scope_in_id_order(demo_build, tmp_path, build_env):
    root = copy_demo(demo_build, tmp_path / "demo")
    bundle = load_graph_bundle(find_spec_repo(root), use_cache=False)
    checked = 0
    for item_id in ("REQ-1", "REQ-4", "REQ-10"):
        impact = impact_of(bundle.graph, item_id, baselines=bundle.baselines)
        scope = {item_id, *reachable(bundle.graph, item_id, [PARENT], backwards=True)}
        expected = {b.name: sorted(scope.intersection(b.requirement_ids), key=natural_key) for b in bundle.baselines}
        for held in impact.baselines:
            assert held["holds"] == expected[held["name"]]
            checked += len(held["holds"])
    assert checked > 10
