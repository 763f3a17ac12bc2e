"""English read as Chinese is (issue #12): an indignant "how can this happen?" tells a failure, as
怎么回事 does; a wish told in the third person ("the director wants six weeks") is a wish, and a number
in a sentence that asks ("is it possible to have the code valid for 10 minutes?") is asked for; a
question opening with can or could asks whoever it is about ("can approvals last 60 days?"), as
能…吗 does."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, cues


@pytest.mark.parametrize("text", [
    "some students were very upset. how can this happen?",
    "both got a confirmation sms. how is that even possible??",
    "how can the system give the same slot to two people??",
    "one eighth is about 6 litres. how does anyone get to $180???",
    "how come nobody noticed?",
])
def test_an_indignant_how_question_tells_a_failure_and_asks_no_how_to(text):
    assert cues.REPORT_EN.search(text)
    assert not cues.HOW_TO_EN.search(text)


@pytest.mark.parametrize("text", [
    "how is it possible that in 2026 our site has no chat?",  # a lack: asks for something more
    "how does this work?",
    "how do i print the week view?",
    "how does a manager reprint yesterday's report?",
])
def test_a_how_question_that_asks_how_or_tells_a_lack_tells_no_failure(text):
    assert not cues.REPORT_EN.search(text)


@pytest.fixture(scope="module")
def codes():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Verification code", path="a.yaml",
                    statement="A verification code sent by SMS is valid for 5 minutes."),
        Requirement(id="R-2", title="Booking window", path="b.yaml",
                    statement="Patients can book online up to 14 days ahead."),
    ])


def test_a_number_in_a_sentence_that_asks_is_asked_for(codes):
    result = classify_request("Is it possible to have the verification code valid for 10 minutes? "
                              "Older people are slow with their phones.", index=codes)
    assert result.matches[0].id == "R-1"
    assert any(r.startswith("asks for 10 minutes") and "R-1 says 5 minutes" in r for r in result.reasons), result.reasons


def test_a_wish_told_in_the_third_person_is_a_wish(codes):
    assert cues.MODAL_EN.search("the director wants six weeks")
    assert cues.MODAL_EN.search("the system needs to cope with nine users")
    result = classify_request("Patients can only book 14 days ahead. The director wants 42 days ahead.", index=codes)
    assert any(r.startswith("asks for 42 days") and "R-2 says 14 days" in r for r in result.reasons), result.reasons


def test_the_reason_quotes_the_indignant_question_as_what_happened(codes):
    result = classify_request("Two patients got the same verification code. How can this happen?", index=codes)
    assert any(r.startswith("tells what happened:") and '"how can this happen"' in r for r in result.reasons), result.reasons
    assert not any(r.startswith("asks how to do something") for r in result.reasons), result.reasons


@pytest.mark.parametrize("text", [
    "can approvals last 60 days?",
    "could the app show the last 200 events?",
    "hi, can the report include the vat number?",
    "let's only treat a book as lost after 90 days",
])
def test_a_question_opening_with_can_about_anything_asks(text):
    assert cues.ASK_EN.search(text)


@pytest.mark.parametrize("text", [
    "how can the system give the same slot to two people??",
    "the system can show it twice?",
    "why can the driver not see the address?",
])
def test_can_inside_a_question_of_how_or_why_asks_nothing(text):
    assert not cues.ASK_EN.search(text)


def test_the_reason_quotes_the_can_question_as_an_ask(codes):
    result = classify_request("Can codes last 10 minutes? Older people are slow with their phones.", index=codes)
    assert any(r.startswith("asks or wishes:") and '"can codes"' in r for r in result.reasons), result.reasons
