"""Words and quantities in Chinese, English and mixed text."""

from reqtrace.wording import bare_numbers, chinese_number, quantities, words_of


def _one(text):
    found = quantities(text)
    assert len(found) == 1, found
    return found[0]


def test_chinese_words_come_from_bigrams_and_concepts_not_spaces():
    words = words_of("病人取消预约以后号还是不能约")
    assert "c:取消" in words.terms and "c:预约" in words.terms
    # the concept tokens are what an English requirement shares with it
    assert {"k:cancel", "k:book", "k:patient"} <= set(words.terms)
    english = words_of("Patients cancelled their bookings")
    assert {"k:cancel", "k:book", "k:patient"} <= set(english.terms)


def test_mixed_text_yields_both_languages():
    words = words_of("Booking window 改成 21 天 please")
    assert "w:book" in words.terms and "c:改成" in words.terms and "k:window" in words.terms


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
    assert slow.dimension == "time" and slow.upper is not None
    assert _one("十几秒").upper is not None
    assert _one("七八秒").amount == 7


def test_seconds_and_days_are_never_the_same_rule():
    assert not _one("2 秒").comparable(_one("14 days"))


def test_dates_are_not_durations():
    assert quantities("10 月 12 日起有一位新医生") == []
    assert quantities("从 9 月 1 日起") == []
    assert bare_numbers("see REQ-12 from 2026-07-10") == []


def test_clock_times_and_chinese_numbers():
    assert _one("改成7点半开始").describe() == "07:30"
    assert _one("opens at 08:00").describe() == "08:00"
    assert chinese_number("二十四") == 24 and chinese_number("十四") == 14 and chinese_number("两") == 2


def test_number_without_unit_is_kept_for_comparison():
    assert bare_numbers("book 30 days ahead instead of 14") == [14.0]


def test_weekdays_and_these_days_are_not_durations():
    assert quantities("张医生周二周四都上班") == []
    assert quantities("这两天短信很慢") == []


def test_afternoon_and_evening_hours_are_after_noon():
    evening = quantities("晚上6点到9点")
    assert [q.describe() for q in evening] == ["18:00", "21:00"]
