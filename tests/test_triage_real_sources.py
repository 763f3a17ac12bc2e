"""The real sources (tests/data/triage/real/<project>/) are what their READMEs say: each issue
has its source URL, one of the four labels, a reason and only requirement ids its own baseline
holds; each README states the licence and how the baseline was made. Read as plain YAML, without the classifier (cheap)."""

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from triage_data import FOUR, real_sources  # noqa: E402

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SOURCES = real_sources()


def test_there_are_ten_real_sources_with_unique_issue_ids():
    assert {"ankaios", "cf", "cfe", "exasol_testcontainers", "fprime", "lobster", "openfasttrace", "ros2_medkit", "trlc",
            "zephyr"} <= {s.name for s in SOURCES}
    ids = [item["id"] for source in SOURCES for item in source.items]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_every_issue_is_labelled_against_its_own_baseline(source):
    baseline_ids = set()
    for path in source.baseline.rglob("*.yaml"):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 - a safe loader
        assert path.stem == document["id"], path
        baseline_ids.add(document["id"])
    data = yaml.load((source.baseline.parent / "issues.yaml").read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    repository = data["source"]
    for item in data["items"]:
        assert item["label"] in (*FOUR, "needs-review"), item["id"]
        assert item["url"].startswith("https://github.com/"), item["id"]
        assert item["reason"].strip() and item["text"].strip(), item["id"]
        assert set(item["about"]) <= baseline_ids, (item["id"], set(item["about"]) - baseline_ids)
    assert any(repository in item["url"] for item in data["items"])
    readme = (source.baseline.parent / "README.md").read_text(encoding="utf-8")
    assert "licence" in readme.lower() and "baseline" in readme.lower(), source.name
