"""The guards on a request's own words: when no accepted requirement speaks of what its headline names,
or when it says what the product shall do as a requirement is written, a defect is never sure.

Cheap: one small baseline, no git, no model fit (a fixed model that is sure of a defect stands in
for the shipped one, so that only the guard decides the confidence).
"""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import DEFECT, GUARD_CONFIDENCE, BaselineIndex, decide, weigh

_REQUIREMENTS = [
    Requirement(id="T-1", title="Trace report", status="approved",
                statement="The tool writes the trace report as one HTML file that lists every requirement.", path="t1.yaml"),
    Requirement(id="T-2", title="Exit status", status="approved",
                statement="The tool exits with status 1 when a trace link of the report is missing.", path="t2.yaml"),
    Requirement(id="T-3", title="Event stream", status="proposed",
                statement="Clients subscribe to an event stream of findings.", path="t3.yaml"),
]
# A model sure of a defect whatever the request says: every answer it gives is the guard's to cap.
_SURE_OF_DEFECT = {"classes": ["defect", "change", "new-scope", "out-of-scope"], "bias": [6.0, 0.0, 0.0, 0.0],
                   "temperature": 1.0, "threshold": 0.4, "features": {}}


@pytest.fixture(scope="module")
def index():
    return BaselineIndex.build(_REQUIREMENTS)


def _triaged(text, index):
    return decide(weigh(text, index), index, model=_SURE_OF_DEFECT)


def test_a_headline_no_accepted_requirement_speaks_of_keeps_a_defect_below_sure(index):
    result = _triaged("A subscriber cannot replay lost events\n\nThe trace report lists every requirement, "
                      "but the event stream drops events and the subscriber never knows.", index)
    assert result.classification == DEFECT
    assert result.confidence == pytest.approx(GUARD_CONFIDENCE - 0.01)
    assert result.reasons[0].startswith("weighed defect at 0.79, held below 0.80 because no accepted requirement speaks of ")
    assert '"subscriber"' in result.reasons[0] and '"replay"' in result.reasons[0]
    assert "in its headline, so what failed may never have been signed" in result.reasons[0]


def test_a_headline_of_signed_words_leaves_a_sure_defect_sure(index):
    result = _triaged("The trace report misses a requirement\n\nThe HTML file lists only half of them.", index)
    assert result.classification == DEFECT
    assert result.confidence > 0.99
    assert "held below" not in result.reasons[0]


def test_a_proposed_requirement_does_not_make_a_headline_signed(index):
    weighed = weigh("Event stream subscriber loses events", index)
    assert weighed.signals.headline_novel >= 0.5
    assert "subscriber" in weighed.signals.headline_novel_words


def test_the_headline_is_the_first_line_not_a_greeting(index):
    weighed = weigh("Hi team,\n\nThe trace report misses a requirement.\nAlso a subscriber wants replay.", index)
    assert weighed.signals.headline_novel < 0.5


@pytest.mark.parametrize("headline", [
    "The trace report crashes again",  # how a failure is told is no thing of the product
    "Trace report does not match T-1",  # nor is the id of the requirement it names
    "Please add the exit status to the trace report",  # nor how an ask is told
])
def test_the_words_that_tell_a_failure_or_an_ask_are_not_what_a_headline_is_about(index, headline):
    weighed = weigh(headline, index)
    assert weighed.signals.headline_novel < 0.5, weighed.signals.headline_novel_words


# A request that says what the product shall do, as a requirement is written, may ask for a change.

def test_a_report_that_says_what_the_tool_shall_do_is_never_a_sure_defect(index):
    result = _triaged("`trace` exits with status 0 when a link is missing\n\n"
                      "When I run `trace` on a report with a missing trace link, the exit status is 0.\n"
                      "`trace` shall return status 1 and list the missing link in the report.", index)
    assert result.classification == DEFECT
    assert result.confidence == pytest.approx(GUARD_CONFIDENCE - 0.01)
    assert 'says what the product "shall return"' in result.reasons[0]
    assert result.matches and result.matches[0].id == "T-2"


def test_a_chinese_report_that_says_what_it_should_do_is_never_a_sure_defect(index):
    result = _triaged("缺少追溯链接时退出状态是0\n\n报告里有一个追溯链接缺失，工具的退出状态还是0。工具应该返回状态1。", index)
    assert result.classification == DEFECT
    assert result.confidence == pytest.approx(GUARD_CONFIDENCE - 0.01)
    assert 'says what the product "应该返回"' in result.reasons[0]


def test_should_beside_a_failure_told_leaves_a_sure_defect_sure(index):
    # "should … but …" tells a failure, not what should be
    result = _triaged("`trace` exits with status 0 when a link is missing\n\n"
                      "The exit status should show the missing link but it is 0.", index)
    assert result.classification == DEFECT
    assert result.confidence > 0.99
    assert "held below" not in result.reasons[0]


def test_chinese_should_beside_a_failure_told_is_not_what_should_be(index):
    result = _triaged("缺少追溯链接时退出状态是0\n\n工具应该返回状态1，但是返回的是0。", index)
    assert result.classification == DEFECT
    assert "says what the product" not in result.reasons[0]


# A name shaped like an id (SHA-256, UTF-8, BT-300) names a thing; a requirement id of the baseline's
# kind or a record's number refers to one. Read as an id, the name that says what the failure happened
# on was dropped, and a headline about something never signed read as signed.

def test_a_failure_on_something_never_signed_named_like_an_id_is_never_a_sure_defect(index):
    result = _triaged("The trace report fails on files signed with SHA-256\n\n"
                      "The tool writes no HTML file.\n\nExpected: an error message that names the file.", index)
    assert result.classification == DEFECT
    assert result.confidence == pytest.approx(GUARD_CONFIDENCE - 0.01)
    assert '"sha-256"' in result.reasons[0]
    assert "in its headline, so what failed may never have been signed" in result.reasons[0]


def test_a_record_number_or_an_id_of_the_baseline_in_the_headline_is_no_unsigned_word(index):
    for headline in ("Trace report CLM-2026-005102 misses a requirement", "Trace report misses T-9 and T-12"):
        weighed = weigh(headline, index)
        assert weighed.signals.headline_novel == 0.0, (headline, weighed.signals.headline_novel_words)


def test_a_name_like_an_id_the_baseline_signs_leaves_a_sure_defect_sure():
    signed = BaselineIndex.build([*_REQUIREMENTS, Requirement(
        id="T-4", title="Signed files", status="approved", statement="The tool reads files signed with SHA-256.", path="t4.yaml")])
    result = decide(weigh("The trace report fails on files signed with SHA-256\n\nThe tool writes no HTML file.", signed),
                    signed, model=_SURE_OF_DEFECT)
    assert result.classification == DEFECT
    assert result.confidence > 0.99
    assert "held below" not in result.reasons[0]
