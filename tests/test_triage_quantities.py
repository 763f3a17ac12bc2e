"""Numbers with units in Chinese, English and mixed text (triage compares them with the signed ones)."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, weigh
from reqtrace.triage.quantities import chinese_number, quantities, weekday_before


def _one(text):
    found = quantities(text.lower())
    assert len(found) == 1, found
    return found[0]


def test_days_compare_across_languages():
    assert _one("14 天").same_as(_one("14 days"))
    assert not _one("30 days").same_as(_one("14 天"))
    assert _one("三十天").same_as(_one("30 days"))
    assert _one("两周").same_as(_one("14 days"))
    assert _one("一个月").same_as(_one("30 days"))


def test_seconds_hours_and_ranges():
    assert _one("2 秒").same_as(_one("2 seconds"))
    assert not _one("2 秒").same_as(_one("5 seconds"))
    assert _one("24 小时").same_as(_one("24 hours"))
    assert _one("24-hour rule").same_as(_one("一天"))
    slow = _one("要等 6 到 8 秒")
    assert slow.dimension == "time" and slow.is_span and slow.describe() == "6–8 seconds"
    assert _one("十几秒").upper is not None
    assert _one("七八秒").amount == 7


def test_seconds_and_days_are_never_the_same_rule():
    assert not _one("2 秒").comparable(_one("14 days"))


def test_dates_are_not_durations():
    assert quantities("10 月 12 日起有一位新医生") == ()
    assert quantities("从 9 月 1 日起") == ()
    assert quantities("see req-12 from 2026-07-10") == ()


def test_clock_times_and_chinese_numbers():
    assert _one("改成7点半开始").describe() == "07:30"
    assert _one("opens at 08:00").describe() == "08:00"
    assert chinese_number("二十四") == 24 and chinese_number("十四") == 14 and chinese_number("两") == 2


def test_weekdays_and_these_days_are_not_durations():
    assert quantities("张医生周二周四都上班") == ()
    assert quantities("这两天短信很慢") == ()


def test_afternoon_and_evening_hours_are_after_noon():
    assert _one("晚上6点到9点").describe() == "18:00–21:00"
    assert _one("下午 2 点到 5 点").describe() == "14:00–17:00"


def test_money_and_counts_compare_only_with_their_own_kind():
    assert _one("charged £3.95").same_as(_one("£3.95"))
    assert _one("up to 3 devices").comparable(_one("5 devices"))
    assert not _one("3 devices").comparable(_one("3 users"))
    assert quantities("version 2.4.1 on windows") == ()


@pytest.mark.parametrize(("text", "span"), [
    ("每周一早上 8 点到 9 点很慢", "08:00–09:00"),
    ("8点至9点", "08:00–09:00"),
    ("8 到 9 点", "08:00–09:00"),
    ("12点到1点", "12:00–13:00"),
    ("改为只上午开诊 08:00-12:00", "08:00–12:00"),
    ("opens 08:00–12:00 on saturday", "08:00–12:00"),
    ("８：００－１２：００", "08:00–12:00"),
    ("23:00 to 07:00", "23:00–07:00"),
    ("from 8am to 9am", "08:00–09:00"),
    ("between 8am and 9am", "08:00–09:00"),
    ("between 08:00 and 11:00", "08:00–11:00"),
    ("8-10pm", "20:00–22:00"),
    ("from 8 to 11pm", "20:00–23:00"),
    ("3~5 天", "3–5 days"),
    ("３～５天", "3–5 days"),
    ("三到五天", "3–5 days"),
    ("3-5 days", "3–5 days"),
    ("3 days to 5 days", "3–5 days"),
    ("two to three weeks", "14–21 days"),
    ("between 4 and 7 hours before", "4–7 hours"),
    ("5-10%", "5%–10%"),
    ("$300-$500", "300–500 money"),
    ("周一到周五", "Monday–Friday"),
    ("周三至周五", "Wednesday–Friday"),
    ("monday to saturday", "Monday–Saturday"),
    ("mon-fri", "Monday–Friday"),
])
def test_a_span_is_one_quantity_with_two_endpoints(text, span):
    quantity = _one(text)
    assert quantity.is_span
    assert quantity.describe() == span


@pytest.mark.parametrize("text", ["version 1.2-3", "call 138-0013-8000", "on 2026-08-20", "see req-8-9", "req-8-9 days",
                                  "it ended 3-0", "我 6 月 15-19 日的年假", "from 5 to 9 november"])
def test_versions_phones_dates_ids_and_scores_are_no_spans(text):
    assert [q for q in quantities(text) if q.is_span] == []


def test_a_value_changed_from_one_to_another_is_two_values_not_a_span():
    assert [q.describe() for q in quantities("please extend it from 14 to 30 days")] == ["14 days", "30 days"]
    assert [q.describe() for q in quantities("raise the refund limit from $300 to $500")] == ["300 money", "500 money"]
    assert _one("open from 8am to 12am").is_span  # no verb of change: hours from–to


def test_spans_agree_only_when_both_endpoints_do():
    signed = _one("08:00-18:00")
    assert _one("8 点到 18 点").same_as(signed)
    assert not _one("08:00-12:00").same_as(signed)  # inside the signed span, yet another rule
    assert not _one("07:00-18:00").same_as(signed)
    assert not _one("3-5 days").same_as(_one("3 days"))  # a span is no single value
    assert not _one("10:00").same_as(signed) and _one("10:00").within(signed)
    assert not _one("19:00").within(signed)
    assert _one("01:00").within(_one("23:00-07:00"))  # overnight
    assert _one("十几秒").same_as(_one("12 seconds"))  # a vague amount agrees with what it overlaps
    assert _one("七八秒").same_as(_one("8 seconds"))


@pytest.fixture(scope="module")
def hours():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Opening hours", path="a.yaml",
                    statement="Slots are offered Monday to Saturday 08:00-18:00 in slots of 15 minutes."),
        Requirement(id="R-2", title="Page load time", path="b.yaml",
                    statement="Pages load in under 2 seconds; confirming a booking completes in under 3 seconds."),
    ])


def test_a_span_asked_for_is_compared_with_the_signed_span_endpoint_by_endpoint(hours):
    weighed = weigh("从下月起，周六改为只上午开诊 08:00-12:00，slots 下午都去掉。", hours)
    [finding] = [n for n in weighed.signals.numbers if n.request.dimension == "clock"]
    assert (finding.stance, finding.request.describe(), finding.signed.describe()) == ("asked", "08:00–12:00", "08:00–18:00")
    result = classify_request("从下月起，周六改为只上午开诊 08:00-12:00，slots 下午都去掉。", index=hours)
    assert "asks for 08:00-12:00 on Saturday; R-1 says 08:00-18:00" in result.reasons


def test_the_hours_when_a_failure_happens_are_not_read_as_asked_for(hours):
    text = "每周一早上 8 点到 9 点，page load 要等 6 到 8 秒。合同里写的是 2 秒以内吧？"
    weighed = weigh(text, hours)
    assert [n.request.dimension for n in weighed.signals.numbers] == ["time", "time"]
    result = classify_request(text, index=hours)
    # the slow span against the 2 seconds the request itself quotes, not the nearest signed number
    assert "reports 6 到 8 秒 (6–8 seconds); R-2 says 2 seconds" in result.reasons
    assert not any(reason.startswith(("asks for", "quotes", "calls")) and "点" in reason for reason in result.reasons)


@pytest.mark.parametrize(("text", "day"), [
    ("周六改为只上午开诊 08:00-12:00", "Saturday"),
    ("on saturdays 09:00-12:00", "Saturday"),
    ("monday to saturday 08:00-18:00", ""),  # the hours of many days
    ("周六，另外 08:00-12:00", ""),  # another clause
])
def test_the_one_weekday_a_span_of_hours_is_told_for(text, day):
    assert weekday_before(text, text.index("08:00") if "08:00" in text else text.index("09:00")) == day
