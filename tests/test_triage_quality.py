"""Guards the measured triage quality from silent regressions (figures in docs/triage.md)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_triage import DATA, evaluate, load_baseline, load_items  # noqa: E402

from reqtrace.triage import BaselineIndex  # noqa: E402


def test_the_labelled_sets_are_as_documented():
    items = load_items()
    fresh = load_items(DATA / "fresh.yaml")
    assert len(items) >= 150 and len(fresh) == 75
    for part in (items, fresh):
        assert {i["label"] for i in part} == {"defect", "change", "new-scope", "out-of-scope", "needs-review"}
        assert sum(i["lang"] in ("zh", "mixed") for i in part) * 3 >= len(part)
    assert len({i["id"] for i in items + fresh}) == len(items) + len(fresh)


def test_quality_does_not_fall_below_what_docs_triage_md_reports():
    index = BaselineIndex.build(load_baseline())
    items = load_items()
    fresh = evaluate(load_items(DATA / "fresh.yaml"), index)
    tune = evaluate([i for i in items if i["split"] == "tune"], index)
    assert fresh["macro"] >= 0.79
    assert tune["macro"] >= 0.95
    # the costly mistake: paid work (change, new-scope) called a sure defect
    assert fresh["costly"] == [] and tune["costly"] == []
