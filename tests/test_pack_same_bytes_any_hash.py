"""The pack's page does not depend on the string hashes of the process (PYTHONHASHSEED): ids
that natural order ranks alike (MAIL-00a3 and MAIL-0a03, REQ-01 and REQ-1) come from sets,
and are placed by their text, the same in every run."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import json
from reqtrace.pack.contents import GraphEdge, GraphNode
from reqtrace.core.model import natural_key
from reqtrace.pack.svg import layout_graph
mails = ["MAIL-00000000a3", "MAIL-0000000a03", "MAIL-000000a003", "MAIL-00000a0003"]
reqs = ["REQ-01", "REQ-1", "REQ-001", "REQ-0001"]
nodes = {i: GraphNode(i, "email" if i in mails else "requirement", i) for i in mails + reqs}
edges = [GraphEdge(m, r, "refs") for m in mails for r in reqs[:2]]
print(json.dumps([layout_graph(nodes, edges), sorted(set(mails + reqs), key=natural_key)]))
"""


def test_the_graph_and_the_matrix_order_are_the_same_under_any_hash_seed():
    outputs = {
        subprocess.run([sys.executable, "-c", SCRIPT], env={**os.environ, "PYTHONHASHSEED": str(seed)}, capture_output=True, text=True, check=True).stdout
        for seed in range(1, 6)
    }
    assert len(outputs) == 1
