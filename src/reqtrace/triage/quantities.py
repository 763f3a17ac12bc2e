"""Numbers with units in Chinese, English and mixed text: "14 days", "两周", "三十天", "2 秒", "08:00".

Each is normalised to a dimension and a base unit so that a request's number and
a requirement's compare across languages. The units are those of measurement
(time, size, money, percent, characters, attempts); a count ("3 devices", "5 个账号")
compares only with a count of the same word.

A span ("8 点到 9 点", "08:00-12:00", "between 8am and 9am", "3~5 天", "周一到周五") is one
quantity with two endpoints, never two numbers: read apart, its second endpoint looked
asked for ("到 9 点") and was compared with whatever signed number stood nearest. Two
spans are the same only when both endpoints are; a single value agrees with a signed span
it lies inside; a span never agrees with a single signed value. "From 14 to 30 days" after
a verb of change ("raise it from …") is a change of value, not a span: two numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from reqtrace.triage.words import stem

# Unit words -> (dimension, factor to the dimension's base unit). Time is counted in minutes.
UNITS: dict[str, tuple[str, float]] = {
    "second": ("time", 1 / 60), "seconds": ("time", 1 / 60), "sec": ("time", 1 / 60), "secs": ("time", 1 / 60),
    "s": ("time", 1 / 60), "ms": ("time", 1 / 60000), "milliseconds": ("time", 1 / 60000),
    "秒": ("time", 1 / 60), "秒钟": ("time", 1 / 60), "毫秒": ("time", 1 / 60000),
    "minute": ("time", 1), "minutes": ("time", 1), "min": ("time", 1), "mins": ("time", 1),
    "分钟": ("time", 1),
    "hour": ("time", 60), "hours": ("time", 60), "hr": ("time", 60), "hrs": ("time", 60), "h": ("time", 60),
    "小时": ("time", 60), "个小时": ("time", 60), "钟头": ("time", 60), "个钟头": ("time", 60),
    "day": ("time", 1440), "days": ("time", 1440), "天": ("time", 1440), "日": ("time", 1440),
    "working days": ("time", 1440), "business days": ("time", 1440), "个工作日": ("time", 1440), "工作日": ("time", 1440),
    "week": ("time", 10080), "weeks": ("time", 10080), "周": ("time", 10080), "星期": ("time", 10080),
    "个星期": ("time", 10080), "礼拜": ("time", 10080), "个礼拜": ("time", 10080),
    "month": ("time", 43200), "months": ("time", 43200), "个月": ("time", 43200),
    "year": ("time", 525600), "years": ("time", 525600), "年": ("time", 525600),
    "%": ("percent", 1), "percent": ("percent", 1), "per cent": ("percent", 1),
    "character": ("characters", 1), "characters": ("characters", 1), "chars": ("characters", 1),
    "digit": ("characters", 1), "digits": ("characters", 1), "位": ("characters", 1), "个字符": ("characters", 1),
    "字符": ("characters", 1), "位数": ("characters", 1), "个字": ("characters", 1), "字": ("characters", 1),
    "times": ("times", 1), "attempts": ("times", 1), "tries": ("times", 1), "retries": ("times", 1), "次": ("times", 1),
    "yuan": ("money", 1), "rmb": ("money", 1), "元": ("money", 1), "块": ("money", 1), "块钱": ("money", 1),
    "dollars": ("money", 1), "pounds": ("money", 1), "gbp": ("money", 1), "英镑": ("money", 1), "美元": ("money", 1), "欧元": ("money", 1), "usd": ("money", 1), "eur": ("money", 1), "euros": ("money", 1),
    "kb": ("size", 1 / 1024), "mb": ("size", 1), "gb": ("size", 1024), "tb": ("size", 1024 * 1024),
    "兆": ("size", 1),
}
ENGLISH_NUMBERS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100, "half": 0.5,
    "couple": 2, "several": 3,
}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "零〇一二两俩三四五六七八九十百千万半"
# Dimensions whose numbers are rules worth comparing.
COMPARED = frozenset({"time", "characters", "times", "percent", "money", "clock", "size", "count", "weekday"})


def chinese_number(text: str) -> float | None:
    """三十 -> 30, 十四 -> 14, 两 -> 2, 半 -> 0.5, 一百二十 -> 120, 三千 -> 3000."""
    if not text:
        return None
    if text == "半":
        return 0.5
    total = 0
    current = 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in "十百千万":
            size = {"十": 10, "百": 100, "千": 1000, "万": 10000}[char]
            if char == "万":
                total = (total + current) * size
            else:
                total += (current or 1) * size
            current = 0
        else:
            return None
    return float(total + current)


@dataclass(frozen=True)
class Quantity:
    value: float  # in the dimension's base unit (time: minutes)
    dimension: str
    text: str  # as written
    amount: float  # the number as written
    upper: float | None = None  # a span's second endpoint, in the base unit
    unit: str = ""  # the unit as written, or the stem of what a count counts
    start: int = field(default=-1, compare=False)  # where it stands in the text searched
    end: int = field(default=-1, compare=False)
    vague: bool = field(default=False, compare=False)  # "十几秒", "七八秒": about, not from-to

    @property
    def is_span(self) -> bool:
        return self.upper is not None and abs(self.upper - self.value) > 1e-9

    @property
    def ends(self) -> tuple[float, float]:
        return self.value, self.upper if self.upper is not None else self.value

    def comparable(self, other: Quantity) -> bool:
        if self.dimension != other.dimension:
            return False
        if self.dimension == "count":
            return self.unit == other.unit
        if self.dimension == "time" and min(self.value, other.value) > 0:
            # 2 seconds and 14 days are both time, but never the same rule.
            return max(self.value, other.value) / min(self.value, other.value) <= 30
        return True

    def same_as(self, other: Quantity) -> bool:
        """Whether this (a request's) quantity says what `other` (a signed one) says: equal values;
        equal spans, endpoint by endpoint ("08:00-12:00 on Saturdays" against a signed 08:00-18:00
        asks for another rule, though one lies inside the other). A single value is not a span, even
        one it lies inside (`within`). A vague amount ("十几秒", "七八秒") agrees with any it overlaps."""
        if not self.comparable(other):
            return False
        low, high = self.ends
        o_low, o_high = other.ends
        if self.vague:
            return _equal(low, o_low) or (low <= o_low <= high) or (o_low <= low <= o_high)
        return _equal(low, o_low) and _equal(high, o_high)

    def within(self, other: Quantity) -> bool:
        """A single value inside a signed span (4 days within 3-5 days, 10:00 within 08:00-18:00):
        no contradiction, yet not the signed rule restated either."""
        if self.is_span or not other.is_span or not self.comparable(other):
            return False
        o_low, o_high = other.ends
        if o_low > o_high:  # overnight: 23:00-07:00
            return self.value >= o_low or self.value <= o_high
        return o_low <= self.value <= o_high

    def distance(self, other: Quantity) -> float:
        """How far apart two comparable quantities are, endpoint by endpoint (a single value is a
        span of one point): which signed number a differing one is shown against."""
        low, high = self.ends
        o_low, o_high = other.ends
        return abs(low - o_low) + abs(high - o_high)

    def describe(self) -> str:
        """The quantity in plain English units (shown beside Chinese text); a span as both endpoints."""
        if self.is_span:
            assert self.upper is not None
            low = replace(self, upper=None).describe()
            high = replace(self, value=self.upper, amount=self.upper, upper=None).describe()
            if " " in low and low.rsplit(" ", 1)[-1] == high.rsplit(" ", 1)[-1]:
                return f"{low.rsplit(' ', 1)[0]}–{high}"  # 6–8 seconds
            return f"{low}–{high}"
        if self.dimension == "weekday":
            return WEEKDAY_NAMES[int(self.value) - 1]
        if self.dimension == "time":
            for unit, size in (("years", 525600), ("days", 1440), ("hours", 60), ("minutes", 1)):
                if self.value >= size and (self.value / size) == int(self.value / size):
                    return f"{int(self.value / size)} {unit}"
            if self.value < 1:
                return f"{round(self.value * 60):g} seconds"
            return f"{self.value:g} minutes"
        if self.dimension == "clock":
            return f"{int(self.value // 60):02d}:{int(self.value % 60):02d}"
        if self.dimension == "percent":
            return f"{self.value:g}%"
        if self.dimension == "count":
            return f"{self.value:g} {self.unit}"
        return f"{self.value:g} {self.dimension}"

    def shown(self) -> str:
        return self.text if self.text.isascii() else f"{self.text} ({self.describe()})"


_UNIT_NAMES = sorted(UNITS, key=len, reverse=True)
_EN_UNIT = "|".join(re.escape(u) for u in _UNIT_NAMES if u.isascii() and u[0].isalpha())
_CN_UNIT = "|".join(re.escape(u) for u in _UNIT_NAMES if not u.isascii())
_NUMBER = r"\d+(?:[.,]\d+)?"
_EN_WORD_NUMBER = "|".join(sorted((w for w in ENGLISH_NUMBERS if len(w) > 1 or w == "a"), key=len, reverse=True))
# What joins a span's two endpoints ("8-9", "8 to 9", "8 点到 9 点", "between 8 and 9").
_TO = r"(?:-|–|—|~|\bto\b|\btill\b|\buntil\b|\bthrough\b|\bthru\b|到|至|\band\b)"
_RANGE = rf"(?:\s*({_TO})\s*({_NUMBER}))?"
_QUANTITY = re.compile(
    "|".join([
        r"(?P<clock>(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:]))",
        rf"(?P<cnclock>(?:{_NUMBER}|[{_CN_NUMBER}]+)\s*点(?P<half>半)?(?!钟头))",
        rf"(?P<ampm>\b({_NUMBER})\s*(am|pm)\b)",
        rf"(?P<money>[$¥€£]\s*({_NUMBER}))",
        rf"(?P<digits>(?<![a-z0-9.])(?<![a-z0-9]-)({_NUMBER})\+?{_RANGE}\s*-?\s*(?P<unit>(?:{_EN_UNIT})(?![a-z])|{_CN_UNIT}|%))",
        rf"(?P<cn>(?<!第)([{_CN_NUMBER}]+)几?\s*(?P<cnunit>{_CN_UNIT}))",
        rf"(?P<words>\b({_EN_WORD_NUMBER})(?:\s+an?)?\s+(?P<wunit>{_EN_UNIT})\b)",
        rf"(?P<counted>(?<![a-z0-9.:/-])({_NUMBER})\s+(?P<noun>[a-z]{{3,}})\b)",
        rf"(?P<cncount>({_NUMBER}|[{_CN_NUMBER}]+)\s*[个张条份台笔名位件项](?P<cnnoun>[\u4e00-\u9fff]{{1,2}}))",
    ])
)
# Calendar dates are not durations: 9 月 1 日, 2026-07-01, 1 may, 周二.
_DATE = re.compile(
    rf"(?:\d{{4}}\s*年\s*)?(?:\d{{1,2}}|[{_CN_NUMBER}]{{1,3}})\s*月\s*(?:\d{{1,2}}|[{_CN_NUMBER}]{{1,3}})\s*[日号]"
    r"|(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月\s*\d{1,2}\s*(?:-|–|~|到|至)\s*\d{1,2}\s*[日号]"  # 6 月 15-19 日
    r"|\d{4}\s*年\s*\d{1,2}\s*月|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\bv?\d+\.\d+(?:\.\d+)+\b|\bversion\s+\d+(?:\.\d+)*|\bv\d+(?:\.\d+)*"
    r"|了半天|等半天|[这那前]两天|[这那前]几天|最近两天|(?:周|星期|礼拜)[一二三四五六日天]"
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CN_WEEKDAY = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_EN_WEEKDAY = r"(mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
# Only a span of weekdays is a rule worth comparing ("周一到周五", "monday to saturday"); one
# weekday alone tells when something happened, and stays out like a date.
_WEEKDAY_SPAN = re.compile(
    rf"(?:周|星期|礼拜)([一二三四五六日天])\s*(?:到|至|-|–|~)\s*(?:周|星期|礼拜)?([一二三四五六日天])"
    rf"|\b{_EN_WEEKDAY}\.?\s*(?:-|–|~|to|through|thru|till|until)\s*{_EN_WEEKDAY}\b"
)
_ONE_WEEKDAY = re.compile(rf"(?:周|星期|礼拜)([一二三四五六日天])|\b{_EN_WEEKDAY}s?\b")
# "raise it from 33 to 34", "went from 2 to 10 seconds": a value changed, not a span.
_CHANGED_FROM = re.compile(
    r"\b(?:(?:increas|decreas|rais|lower|reduc|extend|shorten|chang|mov|switch|bump|adjust|updat)(?:e|es|ed|ing|s)?"
    r"|went|gone|go|goes|jump(?:s|ed)?|drop(?:s|ped)?|rise|rises|rose|grow|grows|grew|fell|cut|set)\b[^.;!?\n]{0,30}\bfrom\s*$"
)
# What puts an hour said in Chinese after noon ("下午 3 点", "晚上 6 点到 9 点").
_LATER_IN_DAY = re.compile("下午|晚上|傍晚|夜间|夜里")
# What makes "X and Y" a span: "between" before it (and, for two quantities with their units, 介于 or 在).
_BETWEEN = re.compile(r"\bbetween\s*$")
_BETWEEN_ANY = re.compile(r"(?:\bbetween|介于|在)\s*$")
# Full-width digits and marks, one for one, so that positions in the text stay those of the text.
_HALF_WIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "：": ":", "～": "~", "〜": "~", "－": "-"})
# Words after a number that are not what it counts.
_NOT_COUNTED = frozenset(stem(w) for w in (
    "and", "the", "for", "with", "but", "from", "are", "was", "were", "has", "have", "had", "not", "more", "less",
    "than", "out", "per", "before", "after", "ago", "later", "ahead", "each", "only", "time", "times", "again",
))


def _equal(one: float, other: float) -> bool:
    return abs(one - other) < 1e-6 * max(1, abs(one))


def _float(text: str) -> float:
    return float(text.replace(",", "")) if "," in text and len(text.split(",")[-1]) == 3 else float(text.replace(",", "."))


@lru_cache(maxsize=4096)
def quantities(text: str) -> tuple[Quantity, ...]:
    """Every number with a unit (or a clock time, or a count of something, or a span of weekdays) in
    lower-cased text, in the order written; a span is one quantity (`Quantity.upper`)."""
    text = text.translate(_HALF_WIDTH)
    weekdays = [(m.start(), _weekday_span(m)) for m in _WEEKDAY_SPAN.finditer(text)]
    normal = _DATE.sub(lambda m: " " * len(m.group(0)), text)  # keep positions
    found = _single_quantities(normal)
    found = _joined_spans(found, normal)
    found += [q for _start, q in weekdays if q is not None]
    return tuple(sorted(found, key=lambda q: q.start))


def _weekday_span(match: re.Match[str]) -> Quantity | None:
    if match.group(1):
        first, last = _CN_WEEKDAY[match.group(1)], _CN_WEEKDAY[match.group(2)]
    else:
        first, last = _weekday_number(match.group(3)), _weekday_number(match.group(4))
    if first == last:
        return None
    return Quantity(first, "weekday", match.group(0), first, last, "weekday", match.start(), match.end())


def _weekday_number(english: str) -> int:
    """1 for "mon", "monday" … 7 for "sun"."""
    return next(n for n, name in enumerate(WEEKDAY_NAMES, 1) if name.lower().startswith(english[:3]))


def _not_a_span(joined_by: str, before: str, between: re.Pattern[str] = _BETWEEN) -> str:
    """Why two numbers joined by `joined_by` are no span's endpoints, given the text before the
    first: "and" without "between" ("4 and 7 hours": only the second has the unit), or "to" after
    a verb of change ("raise it from 14 to 30 days": the signed value and the one asked for); ''
    when they are one."""
    joined_by = joined_by.strip()
    if joined_by == "and" and not between.search(before):
        return "and"
    if joined_by in ("to", "到") and _CHANGED_FROM.search(before[-60:]):
        return "changed"
    return ""


def _single_quantities(normal: str) -> list[Quantity]:
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(normal):
        surface = match.group(0).strip()
        groups = match.groupdict()
        start, end = match.start(), match.end()
        amount: float | None  # the number as written; None: words that are no number
        if groups["clock"]:
            hours, minutes = groups["clock"].split(":")
            value: float = int(hours) * 60 + int(minutes)
            found.append(Quantity(value, "clock", surface, value, None, "clock", start, end))
        elif groups["cnclock"]:
            number_text = re.match(rf"{_NUMBER}|[{_CN_NUMBER}]+", groups["cnclock"]).group(0)  # type: ignore[union-attr]
            hour = _float(number_text) if number_text[0].isdigit() else chinese_number(number_text)
            if hour is not None and 0 <= hour <= 24:
                lead = normal[max(0, start - 6) : start]
                if hour < 12 and _LATER_IN_DAY.search(lead):
                    hour += 12
                value = hour * 60 + (30 if groups["half"] else 0)
                found.append(Quantity(value, "clock", surface, value, None, "点", start, end))
        elif groups["ampm"]:
            inner = re.match(rf"({_NUMBER})\s*(am|pm)", groups["ampm"])
            assert inner is not None
            hour = _float(inner.group(1)) % 12 + (12 if inner.group(2) == "pm" else 0)
            found.append(Quantity(hour * 60, "clock", surface, hour * 60, None, inner.group(2), start, end))
        elif groups["money"]:
            amount = _float(re.search(_NUMBER, groups["money"]).group(0))  # type: ignore[union-attr]
            found.append(Quantity(amount, "money", surface, amount, None, "money", start, end))
        elif groups["digits"]:
            inner = re.match(rf"({_NUMBER})\+?{_RANGE}", groups["digits"])
            assert inner is not None
            unit = UNITS.get(groups["unit"].strip())
            if unit is None:
                continue
            unit_text = groups["unit"].strip()
            amount = _float(inner.group(1))
            not_a_span = _not_a_span(inner.group(2) or "", normal[:start])
            if not inner.group(3):
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, unit_text, start, end))
            elif not_a_span == "and":  # only the second number has the unit
                second = _float(inner.group(3))
                where = start + inner.start(3)
                found.append(Quantity(second * unit[1], unit[0], normal[where:end].strip(), second, None, unit_text, where, end))
            elif not_a_span:  # the signed value and the one asked for
                second = _float(inner.group(3))
                where = start + inner.start(3)
                found.append(Quantity(amount * unit[1], unit[0], inner.group(1), amount, None, unit_text, start, start + inner.end(1)))
                found.append(Quantity(second * unit[1], unit[0], normal[where:end].strip(), second, None, unit_text, where, end))
            else:
                upper = _float(inner.group(3)) * unit[1]
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, upper, unit_text, start, end))
        elif groups["cn"]:
            number_text = re.match(rf"[{_CN_NUMBER}]+", groups["cn"]).group(0)  # type: ignore[union-attr]
            amount = chinese_number(number_text)
            unit = UNITS.get(groups["cnunit"])
            if amount is None or unit is None or groups["cnunit"] == "位":
                continue  # 一位…: one person, not one digit (digits keep it: 6 位)
            digits = [_CN_DIGITS.get(c) for c in number_text]
            low, high = (digits[0], digits[1]) if len(digits) == 2 else (None, None)
            if low is not None and high is not None and high == low + 1:  # 七八秒
                found.append(Quantity(low * unit[1], unit[0], surface, low, high * unit[1], groups["cnunit"], start, end, vague=True))
            elif "几" in surface:  # 十几秒: at least ten
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, (amount + 9) * unit[1], groups["cnunit"], start, end,
                                      vague=True))
            else:
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, groups["cnunit"], start, end))
        elif groups["words"]:
            inner = re.match(rf"({_EN_WORD_NUMBER})", groups["words"])
            assert inner is not None
            unit = UNITS.get(groups["wunit"])
            if unit is None:
                continue
            amount = ENGLISH_NUMBERS[inner.group(1)]
            found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, groups["wunit"], start, end))
        elif groups["counted"]:
            noun = stem(groups["noun"])
            if noun in _NOT_COUNTED:
                continue
            amount = _float(re.match(_NUMBER, groups["counted"]).group(0))  # type: ignore[union-attr]
            found.append(Quantity(amount, "count", surface, amount, None, noun, start, end))
        elif groups["cncount"]:
            number_text = re.match(rf"{_NUMBER}|[{_CN_NUMBER}]+", groups["cncount"]).group(0)  # type: ignore[union-attr]
            amount = _float(number_text) if number_text[0].isdigit() else chinese_number(number_text)
            if amount is not None:
                found.append(Quantity(amount, "count", surface, amount, None, groups["cnnoun"][:1], start, end))
    return found


# Text between two quantities that makes them one span, and what may stand before its first.
_BETWEEN_ENDPOINTS = re.compile(rf"\s*{_TO}\s*")
_BARE_START = re.compile(rf"(?:(?<![\d.:/-])({_NUMBER})|(?<![{_CN_NUMBER}])([{_CN_NUMBER}]+)|\b({_EN_WORD_NUMBER}))\s*({_TO})\s*$")


def _joined_spans(found: list[Quantity], normal: str) -> list[Quantity]:
    """Two quantities of one kind joined by "to", "-", "到"… become one span ("08:00-12:00",
    "8 点到 9 点", "3 days to 5 days"), and a bare number before "to" takes the unit of the quantity
    after it ("8-10am", "8 到 9 点", "between 8 and 9am", "三到五天")."""
    joined: list[Quantity] = []
    for quantity in found:
        previous = joined[-1] if joined else None
        if previous is not None and not previous.is_span and not quantity.is_span and previous.end <= quantity.start:
            gap = normal[previous.end : quantity.start]
            between = _BETWEEN_ENDPOINTS.fullmatch(gap)
            if between and _spans_allowed(previous, quantity, between.group(0).strip(), normal[: previous.start]):
                joined[-1] = _span(previous, quantity, normal)
                continue
        start = _bare_start(quantity, normal, joined[-1].end if joined else 0)
        joined.append(start if start is not None else quantity)
    return joined


def _spans_allowed(first: Quantity, second: Quantity, joined_by: str, before: str) -> bool:
    if first.dimension != second.dimension or (first.dimension == "count" and first.unit != second.unit):
        return False
    if _not_a_span(joined_by, before, _BETWEEN_ANY):
        return False
    return joined_by == "and" or first.dimension == "clock" or first.value <= second.value


def _span(first: Quantity, second: Quantity, normal: str) -> Quantity:
    upper = second.value
    if first.dimension == "clock" and upper < first.value and upper < 12 * 60 and upper + 12 * 60 > first.value \
            and second.unit != "am" and ":" not in second.text:
        upper += 12 * 60  # 12 点到 1 点, 10 to 2pm: the afternoon
    return Quantity(first.value, first.dimension, normal[first.start : second.end].strip(), first.amount, upper,
                    first.unit, first.start, second.end)


def _bare_start(quantity: Quantity, normal: str, floor: int) -> Quantity | None:
    """`quantity` as the end of a span whose start is a bare number just before it, or None."""
    if quantity.is_span or quantity.dimension in ("count", "money") or quantity.start <= floor:
        return None
    lead = _BARE_START.search(normal[max(floor, quantity.start - 24) : quantity.start])
    if lead is None:
        return None
    number, cn_number, word, joined_by = lead.groups()
    where = max(floor, quantity.start - 24) + lead.start()
    before = normal[:where]
    if _not_a_span(joined_by, before):
        return None
    amount = _float(number) if number else chinese_number(cn_number) if cn_number else ENGLISH_NUMBERS.get(word or "")
    if amount is None:
        return None
    if quantity.dimension == "clock":
        if ":" in quantity.text or not 0 <= amount <= 24:
            return None  # "1-08:00" is no span of hours
        value = amount * 60
        if quantity.value >= 12 * 60 and amount < 12 and (amount + 12) * 60 <= quantity.value:
            value += 12 * 60  # 8-10pm: both in the evening
        elif _LATER_IN_DAY.search(normal[max(0, where - 6) : where]) and amount < 12:
            value += 12 * 60
    else:
        factor = quantity.value / quantity.amount if quantity.amount else 0.0
        if not factor:
            return None
        value = amount * factor
    if value > quantity.value and quantity.dimension != "clock":
        return None
    return Quantity(value, quantity.dimension, normal[where : quantity.end].strip(), amount, quantity.value,
                    quantity.unit, where, quantity.end)


def weekday_before(text: str, position: int) -> str:
    """The one weekday a span of hours is told for, written just before it in the same clause
    ("周六改为只上午开诊 08:00-12:00", "on saturdays 9-12"), in English; or ''."""
    lead = re.split(r"[.;!?。！？；，,\n]", text[max(0, position - 40) : position].translate(_HALF_WIDTH))[-1]
    if _WEEKDAY_SPAN.search(lead):
        return ""  # "monday to saturday 08:00-18:00": the hours of many days
    days = [day for day in _ONE_WEEKDAY.finditer(lead) if day.end() >= len(lead) - 16]
    if not days:
        return ""
    day = days[-1]
    number = _CN_WEEKDAY[day.group(1)] if day.group(1) else _weekday_number(day.group(2))
    return WEEKDAY_NAMES[number - 1]


def quantity_terms(text: str) -> list[str]:
    """Index terms for the measured numbers of a text: "2 hours" and "两个小时" both give 'n:time:120'."""
    return [f"n:{q.dimension}:{q.value:g}" for q in quantities(text) if q.dimension not in ("count", "clock", "weekday")]
