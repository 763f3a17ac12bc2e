"""Learned words come from the writer's own prose: not from an issue template's fields (steps to
reproduce, environment, logs) or a table, which are still read for what the request is about.

Cheap: prepare() on strings, and one small baseline for the features (no git, no model fit).
"""

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, weigh
from reqtrace.triage.prepare import prepare

_BUG = (
    "Deleted workload stays listed\n"
    "A deleted workload stays listed as pending.\n\n"
    "## Expected Behavior\nIt is removed from the list.\n\n"
    "## Steps to Reproduce\n1. run the apply command\n2. execute the list command\n\n"
    "## Context (Environment)\nManjaro Linux\nPodman 4.9.3\n\n"
    "## Problem Description\nThe list keeps showing it after an hour.\n"
    "| **Affected Component** | Runtime |\n|---|---|\n"
)
_BASELINE = BaselineIndex.build([
    Requirement(id="R-1", title="Workload list", statement="The list command shows every workload and its state.", path="r.yaml"),
    Requirement(id="R-2", title="Delete", statement="A deleted workload is removed from the state.", path="r.yaml"),
])


def test_words_are_learned_from_the_writers_prose_not_from_the_templates_fields():
    prepared = prepare(_BUG)
    # Everything is still read for what the request is about ...
    assert "execute the list command" in prepared.own and "manjaro" in prepared.own and "affected component" in prepared.own
    # ... but the steps and the environment (with their headings) and a table are no prose.
    for field in ("execute", "manjaro", "podman", "context", "affected component"):
        assert field not in prepared.prose, field
    # The title, the line right under it, and text under a heading that opens no field (a later
    # heading ends the fields) are prose.
    for prose in ("deleted workload stays listed", "stays listed as pending", "removed from the list", "keeps showing it"):
        assert prose in prepared.prose, prose
    features = weigh(_BUG, _BASELINE).features
    assert not any(name in features for name in ("t:w:manjaro", "t:w:podman", "t:w:execut", "t:w:compon"))
    assert "t:w:keep" in features and "t:w:hour" in features
    assert features["bug_template"] == 1.0  # the headings still say what kind of template it is
