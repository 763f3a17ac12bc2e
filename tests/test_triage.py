"""The classifier, end to end: pure, over a list of requirements or a built index."""

from pathlib import Path

import pytest

from reqtrace.core.model import Config, Requirement
from reqtrace.core.parse import parse_requirements
from reqtrace.triage import BaselineIndex, classify_request, weigh
from reqtrace.triage import index as index_module
from reqtrace.triage.prepare import MAX_TEXT_CHARS

BASELINE = Path(__file__).parent / "data" / "triage" / "baseline"


@pytest.fixture(scope="module")
def index():
    requirements = []
    for path in sorted(BASELINE.rglob("*.yaml")):
        requirements.extend(parse_requirements(path.name, path.read_bytes(), Config(project="t")).items)
    return BaselineIndex.build(requirements)


def test_a_longer_window_is_a_change_with_the_numbers_side_by_side(index):
    result = classify_request("Please let patients book 30 days ahead instead of 14.", index=index)
    assert result.classification == "change" and result.diverges
    assert result.matches[0].id == "REQ-3"
    assert "asks for 30 days; REQ-3 says 14 days" in result.reasons
    assert result.reasons[0].startswith("weighed change at ")
    assert 0 <= result.confidence <= 1


def test_the_reasons_quote_the_request_sentence_beside_the_signed_one(index):
    result = classify_request("Please let patients book 30 days ahead instead of 14.", index=index)
    evidence = result.evidence[0]
    assert evidence.requirement == "REQ-3" and evidence.relation == "asks to change"
    assert evidence.request_sentence == "Please let patients book 30 days ahead instead of 14."
    assert "14 days ahead" in evidence.signed_sentence
    assert f'the request says "{evidence.request_sentence}"; REQ-3 (accepted) says "{evidence.signed_sentence}"' in result.reasons


def test_chinese_numbers_meet_english_requirements(index):
    result = classify_request("病人反映只能约两周以内的号，能不能改成可以约三十天的？", index=index)
    assert result.classification == "change"
    assert any("两周 (14 days)" in r or "三十天 (30 days)" in r for r in result.reasons)


def test_something_never_agreed_is_new_scope(index):
    result = classify_request("Could you add online payment of the registration fee with WeChat Pay when booking?", index=index)
    assert result.classification == "new-scope" and result.diverges


def test_the_customers_printer_is_out_of_scope(index):
    result = classify_request("前台打印机不出纸了，打Word文档也不行，是不是你们系统的问题？", index=index)
    assert result.classification == "out-of-scope"
    assert any(r.startswith('names the customer\'s own environment: printer ("打印机")') for r in result.reasons)


def test_asking_for_a_requirement_that_was_only_proposed_is_new_scope(index):
    result = classify_request("Can you show me monthly statistics per doctor? I'd like them every month.", index=index)
    assert result.classification == "new-scope"
    assert "REQ-21 is proposed in this baseline, not accepted: asking for it is new scope" in result.reasons


def test_calling_paid_work_a_bug_is_never_a_sure_defect(index):
    text = "This is a bug and must be fixed under warranty: patients must be able to cancel until 2 hours before, not 24 hours."
    result = classify_request(text, index=index)
    assert not (result.classification == "defect" and result.confidence >= 0.8)


@pytest.mark.parametrize("text", ["", "   \n\t ", "？？？!!!…", "。。。", "🙂🙂🙂"])
def test_empty_or_punctuation_needs_review(index, text):
    result = classify_request(text, index=index)
    assert result.classification == "needs-review" and result.confidence == 0
    assert "a person has to read the original" in result.reasons[0]


@pytest.mark.parametrize("text", ["Привет, система не работает, позвоните мне", "สวัสดีครับ ระบบมีปัญหา", "مرحبا النظام لا يعمل"])
def test_a_language_with_no_match_is_never_a_defect_or_change(index, text):
    result = classify_request(text, index=index)
    assert result.matches == ()
    assert result.classification not in ("defect", "change")
    assert "no requirement of the baseline matches its words" in result.reasons


def test_a_megabyte_of_text_is_classified_from_its_start(index):
    # A request is read, not a novel: past its first 20,000 characters nothing is read, so a
    # pasted megabyte neither hangs triage nor turns its answer.
    start = ("The reminder SMS did not arrive again. 提醒短信没收到。 " * 1000)[:MAX_TEXT_CHARS]
    tail = "Please add a new export of every invoice to the accounting system. " * 15000
    whole = classify_request((start + tail)[: 1024 * 1024], index=index)
    read = classify_request(start, index=index)
    assert whole.classification in ("defect", "needs-review")
    assert (whole.classification, whole.confidence) == (read.classification, read.confidence)


def test_a_reference_to_a_requirement_that_does_not_exist_is_reported(index):
    result = classify_request("REQ-99 is broken, the reminder never arrives", index=index)
    assert result.unknown_refs == ("REQ-99",)
    assert any(r == "refers to REQ-99, not in this baseline" for r in result.reasons)


def test_a_named_requirement_is_matched_even_with_few_shared_words(index):
    result = classify_request("About REQ-24: what is this?", index=index, refs=["REQ-24"])
    assert result.matches[0].id == "REQ-24"


def test_a_baseline_with_no_requirements_gives_needs_review():
    result = classify_request("The reminder SMS never arrives", [])
    assert result.classification == "needs-review"
    assert "no requirements" in result.reasons[0]


def test_the_index_round_trips_through_bytes(index):
    again = BaselineIndex.from_bytes(index.to_bytes())
    text = "提醒短信能不能提前两天发？提前一天太晚了。"
    assert classify_request(text, index=again) == classify_request(text, index=index)
    with pytest.raises(ValueError):
        BaselineIndex.from_bytes(b"not an index")


def test_classify_over_a_plain_list_of_requirements():
    requirements = [Requirement(id="R-1", title="Export to CSV", statement="Staff export orders to CSV for up to 12 months.", path="r.yaml", status="approved")]
    result = classify_request("Please allow the CSV export for 24 months instead of 12.", requirements)
    assert result.classification == "change"
    assert "asks for 24 months; R-1 says 12 months" in result.reasons


def test_each_way_the_customer_frames_it_is_named_once(index):
    result = classify_request("Please change it to 30 days ahead. I assume this is after-sales.", index=index, claimed="after-sales")
    framing = [reason for reason in result.reasons if reason.startswith("the customer frames it as")]
    assert framing == ['the customer frames it as "after-sales" (how it is framed does not decide the class)']


def test_a_how_to_question_is_out_of_scope_with_the_cue_shown(index):
    result = classify_request("How do I export the appointments of one day to Excel?", index=index)
    assert result.classification == "out-of-scope" and not result.diverges
    assert any(r.startswith("asks how to do something:") and '"how do i"' in r.lower() for r in result.reasons)


def test_saying_other_websites_work_rules_the_customers_side_out(index):
    result = classify_request("一直提示网络错误，但是别的网站都能打开。", index=index)
    assert any(r.startswith("rules the customer's side out") for r in result.reasons)


def test_calling_the_signed_number_a_limit_says_so(index):
    result = classify_request("Patients can only book 14 days ahead. That is a bug, please fix it for free.", index=index)
    assert any(r.startswith("calls 14 days a limit") for r in result.reasons)
    assert not (result.classification == "defect" and result.confidence >= 0.8)


def test_a_chinese_failure_is_told_in_whole_words(index):
    result = classify_request("病人今天早上都登录不了，一直转圈。", index=index)
    assert any(r.startswith("tells what happened:") and "登录不了" in r for r in result.reasons)


def test_a_request_quoting_a_signed_number_finds_the_requirement_that_holds_it(index):
    result = classify_request("Can the 2-hour rule be turned off on Saturdays only?", index=index)
    assert "REQ-9" in [m.id for m in result.matches]


def test_a_forwarded_thread_is_read_when_the_customer_adds_only_a_line(index):
    text = ("Please see below.\n\n---------- Forwarded message ----------\nFrom: Front desk\n"
            "Date: 2026-10-18\n\nThe reminder SMS for tomorrow's appointments never arrived, none of them.\n")
    result = classify_request(text, index=index)
    assert "its own words are few: the forwarded message was read as the request" in result.reasons
    assert result.matches and result.matches[0].id in ("REQ-10", "REQ-11", "REQ-12")


def test_a_chinese_word_weighs_as_rare_as_what_it_means(index, monkeypatch):
    # The worked example's baseline is written in English but for a few requirements in Chinese;
    # 预约 (booking) is in one of them only, yet "book" in many. Counted alone, 预约 would weigh as a
    # word said once, and the one Chinese requirement that says it would come first.
    further_ahead = "黄医生让我问问：他的复诊病人两周来一次，14天刚好卡在边上，有时候约不到想要的那天。能不能把网上预约的天数放到21天？"
    assert weigh(further_ahead, index).matches[0].id == "REQ-3"  # the booking window, in English
    monkeypatch.setattr(index_module, "_held_with_glosses", lambda term, entries, counts, by_character: len(entries))
    counted_alone = BaselineIndex.build([index.requirement(position) for position in range(len(index))])
    assert weigh(further_ahead, counted_alone).matches[0].id == "REQ-16"  # family members, in Chinese
