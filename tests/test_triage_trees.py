"""The learned layer's trees: read in plain Python, part of every answer, guarded against hand edits."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from train_triage import CHECK_TOLERANCE, model_difference  # noqa: E402

from reqtrace.core.model import Requirement  # noqa: E402
from reqtrace.triage import BaselineIndex, weigh  # noqa: E402
from reqtrace.triage import model as triage_model  # noqa: E402


def _leaf_path(tree: list) -> list:
    """The innermost list that holds a leaf (to edit one by hand)."""
    while isinstance(tree[2], list):
        tree = tree[2]
    return tree


def test_a_tree_sends_a_request_left_or_right_by_one_signal():
    model = {"classes": ["defect", "change", "new-scope", "out-of-scope"], "bias": [0.0] * 4, "features": {},
             "tree_share": 0.5, "tree_features": ["report"], "trees": [[0, [0, 0.5, -1.0, 2.0]]]}
    assert triage_model.logits({}, model)[0] == -0.5  # no report: left
    assert triage_model.logits({"report": 0.5}, model)[0] == -0.5  # at the threshold: left
    assert triage_model.logits({"report": 0.7}, model)[0] == 1.0  # above it: right, halved by the share
    assert triage_model.logits({"report": 0.7}, model)[1:] == [0.0, 0.0, 0.0]


def test_the_shipped_trees_read_signals_only_and_change_the_answer():
    shipped = triage_model.shipped_model()
    assert 0.0 < shipped["tree_share"] < 1.0 and shipped["trees"]
    assert not any(name.startswith("t:") for name in shipped["tree_features"])  # no word of any domain
    index = BaselineIndex.build([Requirement(id="REQ-3", title="Basket kept", path="c.yaml",
                                             statement="A signed-in customer's basket is kept for 30 days.")])
    features = weigh("Please keep the basket for 60 days instead of 30.", index).features
    regression_only = {**shipped, "tree_share": 0.0}
    with_trees = triage_model.logits(features, shipped)
    without = triage_model.logits(features, regression_only)
    assert max(abs(a - b) for a, b in zip(with_trees, without, strict=True)) > 0.05


def test_a_tree_leaf_edited_by_hand_is_found():
    shipped = triage_model.shipped_model()
    tampered = json.loads(json.dumps(shipped))
    _leaf_path(tampered["trees"][0][1])[2] += 0.01
    assert model_difference(shipped, json.loads(json.dumps(shipped))) == 0.0
    assert model_difference(shipped, tampered) > CHECK_TOLERANCE
