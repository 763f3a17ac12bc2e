"""Kinds of ask told in more forms, each shown as the reason a user reads: a third party's service that
refused or was down, a typing slip told in Chinese, what everyone else offers, something shown today asked
to be taken away, what was agreed or accepted; and what a request tells, not asks: the agreed rule a
customer recalls ("不是说…吗") and a change someone already made ("改成英文了")."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request


@pytest.fixture(scope="module")
def shop():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Image push", path="a.yaml",
                    statement="The build pushes each release image to the customer's registry."),
        Requirement(id="R-3", title="Confirmation message", path="c.yaml",
                    statement="The confirmation message gives the date, the time, the sender's name and a map link."),
        Requirement(id="R-4", title="Transfers", path="d.yaml",
                    statement="A member transfers money to an account number after checking the payee's name."),
        Requirement(id="R-5", title="Orders per member", path="e.yaml",
                    statement="A member holds at most two open orders; a third one is refused."),
    ])


@pytest.fixture(scope="module")
def api():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Image push", path="a.yaml",
                    statement="The build pushes each release image to the customer's registry."),
        Requirement(id="R-2", title="Public API limits", path="b.yaml",
                    statement="The public API answers 429 once a client passes its rate limit of 100 requests a minute."),
    ])


def _reason(result, start):
    return next((r for r in result.reasons if r.startswith(start)), None)


def test_a_third_partys_service_that_refused_is_the_customers_environment(shop):
    result = classify_request("The release job fails: pulling the base image says toomanyrequests: you have reached your pull rate limit.",
                              index=shop)
    assert result.matches[0].id == "R-1"
    assert "a third party's service" in _reason(result, "names the customer's own environment:")


def test_a_rate_limit_the_baseline_signs_is_the_signed_platform(api):
    result = classify_request("Our client gets 429 from the public API long before the rate limit of 100 requests a minute.", index=api)
    assert result.matches[0].id == "R-2"
    assert _reason(result, "names the customer's own environment:") is None
    assert any('"rate limit" is named by R-2: the signed platform' in r for r in result.reasons), result.reasons


def test_a_typing_slip_told_in_chinese_is_the_customers_slip(shop):
    result = classify_request("会员转账的时候账号打错了一位,她没有看清楚名字就按了确认,钱能撤回来吗?", index=shop)
    assert '"打错"' in _reason(result, "tells of a slip on the customer's side:")


@pytest.mark.parametrize(("text", "phrase"), [
    ("Every other bank has live chat inside the app. Why is it still missing?", "every other bank has"),
    ("别的银行都有手表 app,我们的呢?", "别的银行都有"),
])
def test_what_everyone_else_offers_is_an_ask_for_more(shop, text, phrase):
    assert f'"{phrase}"' in _reason(classify_request(text, index=shop), "asks for something more:")


def test_all_other_machines_having_no_problem_is_no_ask_for_more(shop):
    result = classify_request("The confirmation message is empty on this PC; all other PCs have no problem.", index=shop)
    assert _reason(result, "asks for something more:") is None


@pytest.mark.parametrize(("text", "phrase"), [
    ("It would be better if the confirmation message left out the sender's name.", "left out"),
    ("Please drop the map link from the confirmation message.", "please drop"),
    ("确认短信里的地图链接,老人以为是诈骗。我们想把链接去掉,只留地址就行。", "去掉"),
])
def test_something_shown_today_asked_to_be_taken_away_is_an_ask_to_alter(shop, text, phrase):
    result = classify_request(text, index=shop)
    assert result.matches[0].id == "R-3"
    assert f'"{phrase}"' in _reason(result, "asks to alter something:")


def test_a_removal_that_failed_is_no_ask_to_alter(shop):
    result = classify_request("The app fails to remove the map link from the confirmation message.", index=shop)
    assert _reason(result, "asks to alter something:") is None


@pytest.mark.parametrize(("text", "phrase"), [
    ("The confirmation message has no map link any more, but we agreed on it and it used to show one.", "we agreed"),
    ("确认短信里的地图链接没有了,验收的时候明明是有的。", "验收的时候"),
])
def test_what_was_agreed_or_accepted_asks_for_it_to_work(shop, text, phrase):
    assert f'"{phrase}"' in _reason(classify_request(text, index=shop), "asks for what was agreed to work:")


def test_the_agreed_rule_a_customer_recalls_asks_for_nothing(shop):
    result = classify_request("会员现在有三个未完成的订单。不是说最多只能有两个吗?", index=shop)
    assert "不是说最多只能有两个吗" in _reason(result, "tells what happened:")
    assert _reason(result, "asks to alter something:") is None
    assert _reason(result, "asks or wishes:") is None


def test_a_change_already_made_asks_for_nothing(shop):
    result = classify_request("她一个礼拜前就在账户里把语言改成英文了,可是确认短信还是中文。", index=shop)
    assert result.matches[0].id == "R-3"
    assert _reason(result, "asks to alter something:") is None


def test_a_change_that_would_do_still_asks_to_alter(shop):
    result = classify_request("确认短信里的验证码太长了,改成6位数字就行了。", index=shop)
    assert '"改成"' in _reason(result, "asks to alter something:")
