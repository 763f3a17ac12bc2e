"""Domain-free signals of triage, each on its own: units that are words, a thing the signed text rules
out, usage questions and slips told in more forms, and a Chinese sentence that ends in 呢 without asking."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, cues, weigh
from reqtrace.triage.quantities import quantities


@pytest.mark.parametrize("text", ["16 stores had them by 9", "hf-2026-002210 says received", "sp=20.0 setpoint", "3 sites"])
def test_a_word_that_starts_like_a_unit_is_no_measured_number(text):
    assert [q for q in quantities(text) if q.dimension == "time"] == []


@pytest.mark.parametrize(("text", "minutes"), [("wait 5 s then", 5 / 60), ("5s", 5 / 60), ("3 hours", 180), ("10 mins", 10)])
def test_units_still_read_when_they_stand_alone(text, minutes):
    assert [round(q.value, 4) for q in quantities(text)] == [round(minutes, 4)]


@pytest.fixture(scope="module")
def schedule():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Printing the schedule", path="a.yaml",
                    statement="The day schedule can be printed on A4 from the browser's normal print function; no special printer or driver is needed."),
        Requirement(id="R-2", title="Receipt printing", path="b.yaml",
                    statement="The till prints a receipt on the counter printer after each sale."),
    ])


def test_a_thing_the_signed_text_rules_out_is_the_customers_own(schedule):
    result = classify_request("The day schedule does not print any more, the printer just blinks orange.", index=schedule)
    assert result.matches[0].id == "R-1"
    assert any(r.startswith("names the customer's own environment: printer") for r in result.reasons)
    assert any('"printer" is named by R-1 only to rule it out' in r for r in result.reasons)
    assert not any("the signed platform" in r for r in result.reasons)


def test_a_thing_the_signed_text_names_stays_the_signed_platform(schedule):
    result = classify_request("After a sale the till prints no receipt on the counter printer.", index=schedule)
    assert result.matches[0].id == "R-2"
    assert any('"printer" is named by R-2: the signed platform' in r for r in result.reasons)
    assert not any("rule it out" in r for r in result.reasons)


@pytest.mark.parametrize("text", [
    "how does a manager reprint yesterday's receipt for table 8?",
    "which flag do i use to get it?",
    "where in the back office do i change it?",
    "是不是要在配置文件里配什么?配哪个字段?",
])
def test_usage_questions_in_more_forms_are_how_to(text):
    assert cues.HOW_TO_EN.search(text) or cues.HOW_TO_ZH.search(text)


@pytest.mark.parametrize("text", ["how could the app crash twice?", "the export does not work", "为什么又打不开了"])
def test_a_complaint_is_no_how_to_question(text):
    assert not (cues.HOW_TO_EN.search(text) or cues.HOW_TO_ZH.search(text))


@pytest.mark.parametrize("text", ["hi all, my fault - i moved the share", "小王把 refund 拼成了 refnd", "单价写错了"])
def test_slips_on_the_customers_side_in_more_forms(text):
    assert cues.USER_SLIP.search(text)


def test_a_chinese_sentence_ending_in_ne_asks_only_after_a_question_word():
    assert not cues.QUESTION.search("我们还以为没那么久呢")
    assert cues.QUESTION.search("这个按钮在哪里呢")
    assert cues.QUESTION.search("能改成三十天吗")
    assert not cues.QUESTION.search("怎么")  # 怎么 alone ends in 么 and asks nothing


def test_a_number_in_a_sentence_that_adds_is_asked_for():
    index = BaselineIndex.build([Requirement(id="R-1", title="Report artifact", path="a.yaml",
                                             statement="In CI the HTML report is stored as a job artifact kept for 30 days.")])
    result = classify_request("Add: keep the HTML report artifact for 90 days.", index=index)
    assert "asks for 90 days; R-1 says 30 days" in result.reasons


def test_words_that_tell_a_failure_and_requirement_ids_are_not_things_no_requirement_holds():
    index = BaselineIndex.build([Requirement(id="R-12", title="Nightly export", path="a.yaml",
                                             statement="The nightly export writes every order to a CSV file.")])
    weighed = weigh("Per R-12 the nightly export fails again: the CSV file is missing and cannot be opened, and the payroll totals differ.", index)
    novel = [w.lower() for w in weighed.signals.novel]
    assert "payroll" in novel and "totals" in novel  # what the request speaks of that nothing signed holds
    assert not {"r-12", "fails", "missing", "cannot", "again"} & set(novel)


@pytest.mark.parametrize("text", ["She tried a Word document: that does not print either.", "same problem with other PCs", "其他文档也打不开"])
def test_another_thing_of_theirs_failing_the_same_way_is_their_environment(text):
    assert dict(cues.ENVIRONMENT_RE)["fails elsewhere too"].search(text.lower())


def test_either_inside_a_sentence_is_no_sign_of_their_environment():
    assert not dict(cues.ENVIRONMENT_RE)["fails elsewhere too"].search("it does not work, and either way we want it fixed")


def test_a_request_in_traditional_characters_meets_a_baseline_in_simplified():
    # Taiwan and Hong Kong write 車資, 顯示, 預約; the baseline and the segmenter's words are simplified.
    index = BaselineIndex.build([
        Requirement(id="R-1", title="车资计算", path="a.yaml", statement="车资按计价器显示的金额收取，乘客在行程结束后收到电子收据。"),
        Requirement(id="R-2", title="预约叫车", path="b.yaml", statement="乘客可以提前24小时预约叫车，出发前30分钟可以免费取消。"),
    ])
    weighed = weigh("司機的App顯示的車資跟計價器不一樣，收據上多收了50元。", index)
    assert weighed.matches[0].id == "R-1"
    assert {"车资", "计价器"} <= set(weighed.matches[0].words)
    assert weigh("預約以後沒辦法取消，出發前一個小時也不行", index).matches[0].id == "R-2"


@pytest.fixture(scope="module")
def kernel():
    return BaselineIndex.build([
        Requirement(id="K-1", title="Thread sleep", path="a.yaml",
                    statement="A thread can sleep for a given time and is woken when the time has passed."),
        Requirement(id="K-2", title="Build generation", path="b.yaml",
                    statement="The build of an application is generated by CMake from the board's configuration."),
    ])


def test_a_developers_own_toolchain_is_their_environment(kernel):
    result = classify_request("Cannot build the sleep sample: the thread example fails, toolchain not found. Is the environment misconfigured?",
                              index=kernel)
    assert result.matches[0].id == "K-1"
    assert any(r.startswith("names the customer's own environment: their build toolchain") for r in result.reasons)


def test_a_toolchain_the_signed_build_names_stays_the_signed_platform(kernel):
    result = classify_request("The build generation fails: CMake stops on the board configuration of the application.", index=kernel)
    assert result.matches[0].id == "K-2"
    assert any('"cmake" is named by K-2: the signed platform' in r for r in result.reasons)
    assert not any(r.startswith("names the customer's own environment") for r in result.reasons)


@pytest.mark.parametrize("text", ["provide a python sdk for the control interface", "the error is reported as an internal compiler error",
                                  "- java version: 1.8.0"])
def test_a_products_own_words_are_no_build_toolchain(text):
    assert not dict(cues.ENVIRONMENT_RE)["their build toolchain"].search(text)
