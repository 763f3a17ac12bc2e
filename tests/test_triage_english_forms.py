"""English forms of asking that recur across domains (issue #12): a lack told as a lack ("there is
no way to …"), people who keep asking for something, paid work asked for ("send an estimate"), the
customer's own decision ("the committee has decided …") and a rule from a later period ("from next
term"). Each is read as the kind of ask it is; the failure told in like words ("it keeps asking
for the code", "how can this happen?") is not."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, cues


@pytest.mark.parametrize("text", [
    "there is no way to talk to us from the app",
    "your app has no way to export the list",
    "there is nowhere in the system to keep what a guest likes",
    "there is nothing in the system to give one customer one bill",
    "this has to exist",
])
def test_a_lack_told_as_a_lack_asks_for_something_more(text):
    assert cues.ADD_EN.search(text)


@pytest.mark.parametrize("text", [
    "tenants keep asking to see more history in the app",
    "our members keep asking for a dark mode",
    "please send an estimate",
    "please provide a proposal for a second version",
    "can you quote?",
    "how much would it cost to add a second language?",
])
def test_people_asking_and_paid_work_asked_for_are_asks(text):
    assert cues.ASK_EN.search(text)


@pytest.mark.parametrize("text", [
    "the board has decided that reports no longer need the principal's approval",
    "our risk committee has resolved that a code is required above 500",
    "from next term, a = 93 and above",
    "from november the deposit is taken at booking",
])
def test_a_decision_of_the_customers_and_a_rule_from_a_later_period_ask_to_alter(text):
    assert cues.ALTER_EN.search(text)


def test_a_product_that_keeps_asking_is_a_failure_not_an_ask():
    assert not cues.ASK_EN.search("it keeps asking for the 6 digit code")
    assert cues.REPORT_EN.search("it keeps failing every night")


def test_how_can_this_happen_is_outrage_not_a_value_asked():
    assert not cues.ALTER_EN.search("some students were very upset. how can this happen?")
    assert cues.ALTER_EN.search("can it be 10 minutes?")


@pytest.fixture(scope="module")
def bills():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Monthly bill", path="a.yaml",
                    statement="Each meter gets a monthly bill by SMS and e-mail."),
        Requirement(id="R-2", title="Payment", path="b.yaml",
                    statement="A customer pays a bill online by card."),
    ])


def test_the_reason_quotes_the_lack_as_an_ask_for_more(bills):
    result = classify_request("The park has 40 meters and gets 40 separate bills every month. "
                              "There is nothing in the system to give one customer one bill.", index=bills)
    assert any(r.startswith("asks for something more:") and "there is nothing in the system to" in r for r in result.reasons), result.reasons
