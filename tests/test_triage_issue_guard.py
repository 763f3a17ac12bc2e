"""The costly-mistake guard reads an issue's own words: a headline that asks for something, a
feature-request template, or the reporter's word that what was delivered works as specified.
Each of these kept a real issue tracker's feature request from passing as a sure defect."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, decide, weigh
from reqtrace.triage import model as triage_model


@pytest.fixture(scope="module")
def tracer():
    return BaselineIndex.build([
        Requirement(id="TR-1", title="Tags in source files", statement="The tool imports one coverage tag per line from source files.", path="a.yaml"),
        Requirement(id="TR-2", title="Locks", statement="A client can acquire, extend and release a lock on an entity.", path="b.yaml"),
    ])


@pytest.fixture(scope="module")
def sure_of_defect():
    return {**triage_model.shipped_model(), "bias": [50.0, 0.0, 0.0, 0.0]}  # the model would say defect at 1.0


@pytest.mark.parametrize(("text", "why"), [
    ("Support multiple tags in the same line\n\nThe importer reads only the first tag of a line; the second one is lost.",
     'because its headline asks for something ("Support multiple tags in the same line")'),
    ("**Is your feature request related to a problem?**\nThe importer reads only the first tag of a line; the second one is lost.",
     "because it is written on a feature-request template"),
    ("Locks and reads\n\nThe lock endpoints work and match TR-2. But a lock never blocks a read, and that is wrong.",
     'because it says that what was delivered works as specified ("work and match")'),
])
def test_an_issue_that_says_it_asks_is_never_a_sure_defect(tracer, sure_of_defect, text, why):
    result = decide(weigh(text, tracer), tracer, model=sure_of_defect)
    assert result.classification == "defect" and result.confidence < 0.8
    # The verdict says which condition held, in words for the customer (RT-242).
    assert result.reasons[0].startswith("weighed defect at 0.79, held below 0.80 " + why)
    assert result.reasons[0].endswith("a defect this sure is warranty work, and paid work must not pass as a defect")


@pytest.mark.parametrize("text", [
    "Tags in one line are lost\n\nThe importer reads only the first tag of a line; the second one is lost.",
    "Locks do not match TR-2\n\nA lock cannot be released: the release call fails and the lock stays.",
])
def test_a_plain_failure_report_stays_a_sure_defect(tracer, sure_of_defect, text):
    result = decide(weigh(text, tracer), tracer, model=sure_of_defect)
    assert result.classification == "defect" and result.confidence >= 0.8
