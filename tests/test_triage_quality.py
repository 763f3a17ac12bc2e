"""Guards the measured triage quality from silent regressions (figures in docs/triage.md).

The learned layer is trained on the sets of authors A to H (bench/train_triage.py), so
their floors are training figures: they only catch regressions and say nothing about
text the classifier was not made from. fresh8.yaml to fresh11.yaml (authors I to L)
were never trained on; each was measured once after round 5's training, and their
floors sit just below those figures. They guard against regressions too; a change
tuned until they pass would turn them into training figures, and docs/triage.md would
have to say so. The cross-author figures come from bench/train_triage.py
(leave-one-author-out).
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_triage import DATA, evaluate, load_baseline, load_items  # noqa: E402

from reqtrace.triage import BaselineIndex  # noqa: E402

SETS = ("labelled", "fresh", "probe", *(f"fresh{n}" for n in range(2, 12)))
SIZES = {"fresh": 75, "probe": 74, "fresh2": 125, "fresh3": 120, "fresh4": 113,
         **{f"fresh{n}": 120 for n in range(5, 12)}}


def test_the_labelled_sets_are_as_documented():
    parts = {name: load_items(DATA / f"{name}.yaml") for name in SETS}
    assert len(parts["labelled"]) >= 150
    for name, size in SIZES.items():
        assert len(parts[name]) == size, name
    for name, part in parts.items():
        assert {i["label"] for i in part} == {"defect", "change", "new-scope", "out-of-scope", "needs-review"}, name
        assert sum(i["lang"] in ("zh", "mixed") for i in part) * 3 >= len(part), name
    ids = [i["id"] for part in parts.values() for i in part]
    assert len(set(ids)) == len(ids)


# slow: classifies every labelled request and scores the result
@pytest.mark.slow
def test_quality_does_not_fall_below_what_docs_triage_md_reports():
    index = BaselineIndex.build(load_baseline())
    items = load_items()
    reports = {
        "tune": evaluate([i for i in items if i["split"] == "tune"], index),
        "heldout": evaluate([i for i in items if i["split"] == "heldout"], index),
        **{name: evaluate(load_items(DATA / f"{name}.yaml"), index) for name in SETS if name != "labelled"},
    }
    # Round 5: training figures for A-H, a little below what docs/triage.md reports;
    # fresh8-11 are the held-out figures (0.910, 0.864, 0.866, 0.863), floored just below.
    floors = {"tune": 0.97, "heldout": 0.96, "fresh": 0.97, "probe": 0.97, "fresh2": 0.95, "fresh3": 0.95,
              "fresh4": 0.96, "fresh5": 0.96, "fresh6": 0.96, "fresh7": 0.95, "fresh8": 0.90, "fresh9": 0.85,
              "fresh10": 0.85, "fresh11": 0.85}
    for name, report in reports.items():
        assert report["macro"] >= floors[name], name
        # the costly mistake: paid work (change, new-scope) called a sure defect
        assert report["costly"] == [], name
