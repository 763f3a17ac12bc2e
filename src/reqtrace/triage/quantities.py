"""Numbers with units in Chinese, English and mixed text: "14 days", "两周", "三十天", "2 秒", "08:00".

Each is normalised to a dimension and a base unit so that a request's number and
a requirement's compare across languages. The units are those of measurement
(time, size, money, percent, characters, attempts); a count ("3 devices", "5 个账号")
compares only with a count of the same word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
COMPARED = frozenset({"time", "characters", "times", "percent", "money", "clock", "size", "count"})


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
    upper: float | None = None  # a range's upper end, in the base unit
    unit: str = ""  # the unit as written, or the stem of what a count counts
    start: int = field(default=-1, compare=False)  # where it stands in the text searched

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
        if not self.comparable(other):
            return False
        low, high = self.value, self.upper if self.upper is not None else self.value
        o_low, o_high = other.value, other.upper if other.upper is not None else other.value
        return abs(low - o_low) < 1e-6 * max(1, abs(low)) or (low <= o_low <= high) or (o_low <= low <= o_high)

    def describe(self) -> str:
        """The quantity in plain English units (shown beside Chinese text)."""
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
            return f"{self.amount:g} {self.unit}"
        return f"{self.value:g} {self.dimension}"

    def shown(self) -> str:
        return self.text if self.text.isascii() else f"{self.text} ({self.describe()})"


_UNIT_NAMES = sorted(UNITS, key=len, reverse=True)
_EN_UNIT = "|".join(re.escape(u) for u in _UNIT_NAMES if u.isascii() and u[0].isalpha())
_CN_UNIT = "|".join(re.escape(u) for u in _UNIT_NAMES if not u.isascii())
_NUMBER = r"\d+(?:[.,]\d+)?"
_EN_WORD_NUMBER = "|".join(sorted((w for w in ENGLISH_NUMBERS if len(w) > 1 or w == "a"), key=len, reverse=True))
_RANGE = rf"(?:\s*(?:-|–|~|to|到|至)\s*({_NUMBER}))?"
_QUANTITY = re.compile(
    "|".join([
        r"(?P<clock>(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:]))",
        rf"(?P<cnclock>(?:{_NUMBER}|[{_CN_NUMBER}]+)\s*点(?P<half>半)?(?!钟头))",
        rf"(?P<ampm>\b({_NUMBER})\s*(am|pm)\b)",
        rf"(?P<money>[$¥€£]\s*({_NUMBER}))",
        rf"(?P<digits>(?<![a-z0-9.])({_NUMBER})\+?{_RANGE}\s*-?\s*(?P<unit>(?:{_EN_UNIT})(?![a-z])|{_CN_UNIT}|%))",
        rf"(?P<cn>(?<!第)([{_CN_NUMBER}]+)几?\s*(?P<cnunit>{_CN_UNIT}))",
        rf"(?P<words>\b({_EN_WORD_NUMBER})(?:\s+an?)?\s+(?P<wunit>{_EN_UNIT})\b)",
        rf"(?P<counted>(?<![a-z0-9.:/-])({_NUMBER})\s+(?P<noun>[a-z]{{3,}})\b)",
        rf"(?P<cncount>({_NUMBER}|[{_CN_NUMBER}]+)\s*[个张条份台笔名位件项](?P<cnnoun>[\u4e00-\u9fff]{{1,2}}))",
    ])
)
# Calendar dates are not durations: 9 月 1 日, 2026-07-01, 1 may, 周二.
_DATE = re.compile(
    rf"(?:\d{{4}}\s*年\s*)?(?:\d{{1,2}}|[{_CN_NUMBER}]{{1,3}})\s*月\s*(?:\d{{1,2}}|[{_CN_NUMBER}]{{1,3}})\s*[日号]"
    r"|\d{4}\s*年\s*\d{1,2}\s*月|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\bv?\d+\.\d+(?:\.\d+)+\b|\bversion\s+\d+(?:\.\d+)*|\bv\d+(?:\.\d+)*"
    r"|了半天|等半天|[这那前]两天|[这那前]几天|最近两天|(?:周|星期|礼拜)[一二三四五六日天]"
)
# Words after a number that are not what it counts.
_NOT_COUNTED = frozenset(stem(w) for w in (
    "and", "the", "for", "with", "but", "from", "are", "was", "were", "has", "have", "had", "not", "more", "less",
    "than", "out", "per", "before", "after", "ago", "later", "ahead", "each", "only", "time", "times", "again",
))


def _float(text: str) -> float:
    return float(text.replace(",", "")) if "," in text and len(text.split(",")[-1]) == 3 else float(text.replace(",", "."))


@lru_cache(maxsize=4096)
def quantities(text: str) -> tuple[Quantity, ...]:
    """Every number with a unit (or a clock time, or a count of something) in lower-cased text."""
    normal = _DATE.sub(lambda m: " " * len(m.group(0)), text)  # keep positions
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(normal):
        surface = match.group(0).strip()
        groups = match.groupdict()
        start = match.start()
        amount: float | None  # the number as written; None: words that are no number
        if groups["clock"]:
            hours, minutes = groups["clock"].split(":")
            value: float = int(hours) * 60 + int(minutes)
            found.append(Quantity(value, "clock", surface, value, None, "clock", start))
        elif groups["cnclock"]:
            number_text = re.match(rf"{_NUMBER}|[{_CN_NUMBER}]+", groups["cnclock"]).group(0)  # type: ignore[union-attr]
            hour = _float(number_text) if number_text[0].isdigit() else chinese_number(number_text)
            if hour is not None and 0 <= hour <= 24:
                lead = normal[max(0, start - 6) : start]
                if hour < 12 and re.search("下午|晚上|傍晚|夜间|夜里", lead):
                    hour += 12
                value = hour * 60 + (30 if groups["half"] else 0)
                found.append(Quantity(value, "clock", surface, value, None, "clock", start))
        elif groups["ampm"]:
            inner = re.match(rf"({_NUMBER})\s*(am|pm)", groups["ampm"])
            assert inner is not None
            hour = _float(inner.group(1)) % 12 + (12 if inner.group(2) == "pm" else 0)
            found.append(Quantity(hour * 60, "clock", surface, hour * 60, None, "clock", start))
        elif groups["money"]:
            amount = _float(re.search(_NUMBER, groups["money"]).group(0))  # type: ignore[union-attr]
            found.append(Quantity(amount, "money", surface, amount, None, "money", start))
        elif groups["digits"]:
            inner = re.match(rf"({_NUMBER})\+?{_RANGE}", groups["digits"])
            assert inner is not None
            unit = UNITS.get(groups["unit"].strip())
            if unit is None:
                continue
            amount = _float(inner.group(1))
            upper = _float(inner.group(2)) * unit[1] if inner.group(2) else None
            found.append(Quantity(amount * unit[1], unit[0], surface, amount, upper, groups["unit"].strip(), start))
        elif groups["cn"]:
            number_text = re.match(rf"[{_CN_NUMBER}]+", groups["cn"]).group(0)  # type: ignore[union-attr]
            amount = chinese_number(number_text)
            unit = UNITS.get(groups["cnunit"])
            if amount is None or unit is None or groups["cnunit"] == "位":
                continue  # 一位…: one person, not one digit (digits keep it: 6 位)
            digits = [_CN_DIGITS.get(c) for c in number_text]
            low, high = (digits[0], digits[1]) if len(digits) == 2 else (None, None)
            if low is not None and high is not None and high == low + 1:  # 七八秒
                found.append(Quantity(low * unit[1], unit[0], surface, low, high * unit[1], groups["cnunit"], start))
            elif "几" in surface:  # 十几秒: at least ten
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, (amount + 9) * unit[1], groups["cnunit"], start))
            else:
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, groups["cnunit"], start))
        elif groups["words"]:
            inner = re.match(rf"({_EN_WORD_NUMBER})", groups["words"])
            assert inner is not None
            unit = UNITS.get(groups["wunit"])
            if unit is None:
                continue
            amount = ENGLISH_NUMBERS[inner.group(1)]
            found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, groups["wunit"], start))
        elif groups["counted"]:
            noun = stem(groups["noun"])
            if noun in _NOT_COUNTED:
                continue
            amount = _float(re.match(_NUMBER, groups["counted"]).group(0))  # type: ignore[union-attr]
            found.append(Quantity(amount, "count", surface, amount, None, noun, start))
        elif groups["cncount"]:
            number_text = re.match(rf"{_NUMBER}|[{_CN_NUMBER}]+", groups["cncount"]).group(0)  # type: ignore[union-attr]
            amount = _float(number_text) if number_text[0].isdigit() else chinese_number(number_text)
            if amount is not None:
                found.append(Quantity(amount, "count", surface, amount, None, groups["cnnoun"][:1], start))
    return tuple(found)


def quantity_terms(text: str) -> list[str]:
    """Index terms for the measured numbers of a text: "2 hours" and "两个小时" both give 'n:time:120'."""
    return [f"n:{q.dimension}:{q.value:g}" for q in quantities(text) if q.dimension not in ("count", "clock")]
