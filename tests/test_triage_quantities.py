"""Numbers with units in Chinese, English and mixed text (triage compares them with the signed ones)."""

from reqtrace.triage.quantities import chinese_number, quantities


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
    assert slow.dimension == "time" and slow.upper is not None
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
    evening = quantities("晚上6点到9点")
    assert [q.describe() for q in evening] == ["18:00", "21:00"]


def test_money_and_counts_compare_only_with_their_own_kind():
    assert _one("charged £3.95").same_as(_one("£3.95"))
    assert _one("up to 3 devices").comparable(_one("5 devices"))
    assert not _one("3 devices").comparable(_one("3 users"))
    assert quantities("version 2.4.1 on windows") == ()
