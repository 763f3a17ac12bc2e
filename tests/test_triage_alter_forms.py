"""English asks to alter a signed value in the forms people write them (issue #12): "should be 25
not 21", "… instead?", "make it 30", "can it be …", "not X but Y", "from next month". Each is read
as an ask to alter; a failure told with "should be … but" is not; a signed number called today's
value is the one to replace, a number after "needs to be" is asked for."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, cues


@pytest.mark.parametrize("text", [
    "min age for the top category should be 25 not 21 please",
    "the fee should be 20, not 79",
    "can it go yellow at 5 days left instead?",
    "make it 30",
    "could this be 10 minutes?",
    "poll it not every 2 min but every 30 sec",
    "can you set it to 5?",
    "from next month the limit is 3 per day",
    "going forward the report goes out at 6",
    "can you flip that default?",
])
def test_an_ask_to_alter_in_more_english_forms_is_an_alter_cue(text):
    assert cues.ALTER_EN.search(text)


@pytest.mark.parametrize("text", [
    "it should be saved, but it is not",
    "it should be sent but it is not sent",
    "instead it shows an error",
    "the app does not open but the icon shows",
    "it could not be opened",
])
def test_a_failure_told_with_similar_words_is_no_alter_cue(text):
    assert not cues.ALTER_EN.search(text)


def test_only_the_cue_words_are_matched_not_the_values_between():
    assert [m.group(0) for m in cues.ALTER_EN.finditer("the minimum age should be 25 not 21")] == ["should be"]


@pytest.fixture(scope="module")
def deposits():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Deposit", path="a.yaml",
                    statement="A deposit of $500.00 is held on the customer's card at pick-up."),
        Requirement(id="R-2", title="Opening hours", path="b.yaml",
                    statement="The counter is staffed from 08:00 to 18:00."),
    ])


def test_a_number_after_needs_to_be_is_asked_for(deposits):
    result = classify_request("The deposit needs to be $1,500.00 for the large cars.", index=deposits)
    assert result.matches[0].id == "R-1"
    assert any(r.startswith("asks for $1,500") and "R-1 says $500" in r for r in result.reasons), result.reasons


def test_the_signed_number_told_as_todays_value_is_the_one_to_replace(deposits):
    result = classify_request("We want a bigger deposit for the large cars, currently $500.00 is not enough.", index=deposits)
    assert any(r.startswith("asks to replace $500") and "(R-1 says" in r for r in result.reasons), result.reasons


@pytest.mark.parametrize("text", [
    "Our director has asked us to show the totals in euros.",
    "She has asked us not to show her photo on the site any more.",
    "The auditors have asked you to keep the log for two years.",
])
def test_an_ask_passed_on_from_someone_else_is_an_ask(text):
    assert cues.ASK_EN.search(text)


def test_being_asked_for_something_by_the_product_is_no_ask():
    assert not cues.ASK_EN.search("The app asked me for my password three times and then locked.")
