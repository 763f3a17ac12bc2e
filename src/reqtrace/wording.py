"""Words, concepts and quantities in Chinese, English and mixed text.

Chinese has no spaces, so its words never come from `split()`: a run of Han
characters gives its character bigrams (a single character stays a unigram),
and the lexicon's Chinese words are found as substrings of the run. English
words are lower-cased and lightly stemmed. Both languages also yield concept
tokens (`k:book` for 预约, "booking" and "appointment"), which is how a Chinese
request finds an English requirement.

Quantities are numbers with units in either language — "14 days", "30 天",
"两周", "三十天", "2 秒", "24 小时", "half an hour", "7点半" — normalised to a
dimension and a base unit so that they compare across languages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .triage_lexicon import CONCEPTS, COUNT_KINDS, ENGLISH_NUMBERS, ORDINALS, STOPWORDS, UNITS

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SEGMENT = re.compile(rf"[{HAN}]+|[a-z][a-z0-9]*(?:['’\-][a-z0-9]+)*|\d+(?:\.\d+)?")
_HAN_RUN = re.compile(rf"[{HAN}]+")
MAX_TEXT_CHARS = 20_000  # longer text is cut: a request is read, not a novel


_WRAPPED = re.compile(r"(?<!\n)\n(?!\n)")


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), lower case, one kind of apostrophe.

    A single line break is a space: emails and YAML blocks wrap lines in mid-sentence
    ("does not\nwork", "How\ncan she …?"); a blank line still ends a paragraph.
    The text keeps its length, so positions found in it stay valid.
    """
    folded = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).lower().replace("’", "'")
    return _WRAPPED.sub(" ", folded)


def stem(word: str) -> str:
    """A light English stemmer: enough to meet 'bookings' with 'booking' and 'cancelled' with 'cancel'."""
    if len(word) <= 3 or not word.isascii():
        return word
    for suffix, replacement, minimum in (
        ("ies", "y", 5), ("sses", "ss", 5), ("ings", "", 7), ("ing", "", 6), ("edly", "", 7),
        ("ed", "", 5), ("ly", "", 6), ("es", "", 6), ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= minimum and not (suffix == "s" and word.endswith(("ss", "us", "is"))):
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed", "ings") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # stopped -> stop, but cancelled -> cancell stays below
            break
    if word.endswith("ll") and len(word) > 5:
        word = word[:-1]  # cancell -> cancel
    return word


@dataclass(frozen=True)
class Lexicon:
    """Surface forms compiled for fast lookup."""

    english: dict[tuple[str, ...], tuple[str, ...]]  # stemmed word sequence -> concepts
    english_longest: int
    chinese: dict[str, tuple[str, ...]]  # Chinese word -> concepts
    chinese_longest: int


def _english_key(phrase: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in _SEGMENT.findall(normalise(phrase)))


def _is_chinese(phrase: str) -> bool:
    return bool(_HAN_RUN.fullmatch(phrase))


def compile_forms(entries: dict[str, tuple[str, ...]]) -> Lexicon:
    english: dict[tuple[str, ...], list[str]] = {}
    chinese: dict[str, list[str]] = {}
    for name, forms in entries.items():
        for form in forms:
            if _is_chinese(form):
                chinese.setdefault(form, []).append(name)
            else:
                key = _english_key(form)
                if key:
                    english.setdefault(key, []).append(name)
    return Lexicon(
        {k: tuple(dict.fromkeys(v)) for k, v in english.items()},
        max((len(k) for k in english), default=1),
        {k: tuple(dict.fromkeys(v)) for k, v in chinese.items()},
        max((len(k) for k in chinese), default=1),
    )


@lru_cache(maxsize=1)
def concept_lexicon() -> Lexicon:
    return compile_forms(CONCEPTS)


@dataclass(frozen=True)
class Words:
    """What text is made of, for matching: terms (with repeats) and the pieces they came from."""

    terms: tuple[str, ...]  # 'w:stem', 'c:bigram', 'k:concept'
    english: tuple[str, ...]  # stemmed English words in order (stopwords included)
    han_runs: tuple[str, ...]


def split_words(text: str) -> tuple[list[str], list[str], list[str]]:
    """(English stems in order, the same words unstemmed, Han runs) of normalised text."""
    english: list[str] = []
    raw: list[str] = []
    runs: list[str] = []
    for piece in _SEGMENT.findall(text):
        if piece[0] >= "\u3400":
            runs.append(piece)
            english.append("|")  # a phrase never spans a Chinese run
            raw.append("|")
        elif piece[0].isalpha():
            english.append(stem(piece))
            raw.append(piece)
        else:
            english.append("#")  # numbers break phrases too
            raw.append("#")
    return english, raw, runs


def find_phrases(english: list[str], runs: list[str], lexicon: Lexicon) -> list[tuple[str, str]]:
    """(entry, surface) for every lexicon phrase found: English word sequences, Chinese substrings."""
    found: list[tuple[str, str]] = []
    count = len(english)
    for start in range(count):
        for length in range(1, lexicon.english_longest + 1):
            if start + length > count:
                break
            key = tuple(english[start : start + length])
            names = lexicon.english.get(key)
            if names:
                found.extend((name, " ".join(key)) for name in names)
    for run in runs:
        size = len(run)
        for start in range(size):
            for length in range(1, min(lexicon.chinese_longest, size - start) + 1):
                piece = run[start : start + length]
                names = lexicon.chinese.get(piece)
                if names:
                    found.extend((name, piece) for name in names)
    return found


def words_of(text: str) -> Words:
    """The matching terms of a text (Chinese, English or mixed)."""
    normal = normalise(text)
    english, raw, runs = split_words(normal)
    terms: list[str] = []
    for word, original in zip(english, raw, strict=True):
        if word not in ("|", "#") and original not in STOPWORDS and word not in STOPWORDS and len(word) > 1:
            terms.append("w:" + word)
    for run in runs:
        if len(run) == 1:
            terms.append("c:" + run)
        else:
            terms.extend("c:" + run[i : i + 2] for i in range(len(run) - 1))
    terms.extend("k:" + name for name, _ in find_phrases(english, runs, concept_lexicon()))
    return Words(tuple(terms), tuple(english), tuple(runs))


# ---------------------------------------------------------------- quantities

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "零〇一二两俩三四五六七八九十百半"


def chinese_number(text: str) -> float | None:
    """三十 -> 30, 十四 -> 14, 二十四 -> 24, 两 -> 2, 半 -> 0.5, 一百二十 -> 120."""
    if not text:
        return None
    if text == "半":
        return 0.5
    total = 0
    current = 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


@dataclass(frozen=True)
class Quantity:
    value: float  # in the dimension's base unit (time: minutes)
    dimension: str  # time, characters, times, count, percent, money, clock, size
    text: str  # as written, e.g. "30 days", "两周", "08:00"
    amount: float  # the number as written (30 for "30 days")
    upper: float | None = None  # for ranges: "6 到 8 秒" -> value 6 s, upper 8 s
    unit: str = ""  # the unit as written, normalised ("days", "天")
    start: int = field(default=-1, compare=False)  # where it stands in the normalised text

    def label(self) -> str:
        return self.text

    def comparable(self, other: Quantity) -> bool:
        """Same dimension, and for counts the same kind of thing counted."""
        if self.dimension != other.dimension:
            return False
        if self.dimension == "count":
            mine, theirs = COUNT_KINDS.get(self.unit), COUNT_KINDS.get(other.unit)
            return mine is not None and theirs is not None and (mine == theirs or "any" in (mine, theirs))
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
        """The quantity in plain English units (for a reason next to Chinese text)."""
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
        return f"{self.value:g} {self.dimension}"


_UNIT_NAMES = sorted(UNITS, key=len, reverse=True)
_EN_UNIT = "|".join(re.escape(u) for u in _UNIT_NAMES if u.isascii() and u[0].isalpha())
_CN_UNIT = "|".join(re.escape(u) for u in _UNIT_NAMES if not u.isascii())
_NUMBER = r"\d+(?:\.\d+)?"
_EN_WORD_NUMBER = "|".join(sorted((w for w in ENGLISH_NUMBERS if len(w) > 1 or w == "a"), key=len, reverse=True))
_RANGE = rf"(?:\s*(?:-|–|~|to|到|至)\s*({_NUMBER}))?"
_QUANTITY = re.compile(
    "|".join([
        # 10:30, 08:00-18:00 (clock times)
        r"(?P<clock>(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:]))",
        # 7点半, 8点, 12 点 (clock times in Chinese)
        rf"(?P<cnclock>(?:{_NUMBER}|[{_CN_NUMBER}]+)\s*点(?P<half>半)?(?!钟头))",
        # 9am, 10 pm
        rf"(?P<ampm>\b({_NUMBER})\s*(am|pm)\b)",
        # 30 days, 2 秒, 10+ seconds, 6 到 8 秒, 24-hour, 15-minute
        rf"(?P<digits>(?<![a-z0-9.])({_NUMBER})\+?{_RANGE}\s*-?\s*(?P<unit>{_EN_UNIT}(?![a-z])|{_CN_UNIT}|%))",
        # 3 open appointments, 5 family members (one word between a number and what it counts)
        rf"(?P<counted>(?<![a-z0-9.])({_NUMBER})\s+[a-z]+\s+(?P<cunit>appointments|members|users|patients|doctors)\b)",
        # 三十天, 两周, 十几秒, 半小时, 一个月
        rf"(?P<cn>(?<!第)([{_CN_NUMBER}]+)几?\s*(?P<cnunit>{_CN_UNIT}))",
        # thirty days, two weeks, half an hour, a month
        rf"(?P<words>\b({_EN_WORD_NUMBER})(?:\s+an?)?\s+(?P<wunit>{_EN_UNIT})\b)",
    ])
)


def _unit(name: str) -> tuple[str, float] | None:
    return UNITS.get(name.strip().lower())


def quantities(text: str) -> list[Quantity]:
    """Every number with a unit (or clock time) in the text."""
    normal = _DATE.sub(lambda m: " " * len(m.group(0)), normalise(text))  # keep positions
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(normal):
        surface = match.group(0).strip()
        groups = match.groupdict()
        if groups["clock"]:
            hours, minutes = groups["clock"].split(":")
            found.append(Quantity(int(hours) * 60 + int(minutes), "clock", surface, int(hours) * 60 + int(minutes), None, "clock", match.start()))
        elif groups["cnclock"]:
            number_text = re.match(rf"{_NUMBER}|[{_CN_NUMBER}]+", groups["cnclock"]).group(0)  # type: ignore[union-attr]
            hour = float(number_text) if number_text[0].isdigit() else chinese_number(number_text)
            if hour is not None and 0 <= hour <= 24:
                # 下午3点, 晚上6点到9点: afternoon and evening hours are written from 1 to 11.
                lead = re.split(r"[，。,.;；！？!?\n]", normal[max(0, match.start() - 10) : match.start()])[-1]
                if hour < 12 and re.search("下午|晚上|傍晚|夜间|夜里", lead):
                    hour += 12
                minutes = hour * 60 + (30 if groups["half"] else 0)
                found.append(Quantity(minutes, "clock", surface, minutes, None, "clock", match.start()))
        elif groups["ampm"]:
            inner = re.match(rf"({_NUMBER})\s*(am|pm)", groups["ampm"])
            assert inner is not None
            hour = float(inner.group(1)) % 12 + (12 if inner.group(2) == "pm" else 0)
            found.append(Quantity(hour * 60, "clock", surface, hour * 60, None, "clock", match.start()))
        elif groups["digits"]:
            inner = re.match(rf"({_NUMBER})\+?{_RANGE}", groups["digits"])
            assert inner is not None
            unit = _unit(groups["unit"])
            if unit is None:
                continue
            amount = float(inner.group(1))
            upper = float(inner.group(2)) * unit[1] if inner.group(2) else None
            found.append(Quantity(amount * unit[1], unit[0], surface, amount, upper, groups["unit"].strip(), match.start()))
        elif groups["counted"]:
            amount = float(re.match(_NUMBER, groups["counted"]).group(0))  # type: ignore[union-attr]
            found.append(Quantity(amount, "count", surface, amount, None, groups["cunit"], match.start()))
        elif groups["cn"]:
            number_text = re.match(rf"[{_CN_NUMBER}]+", groups["cn"]).group(0)  # type: ignore[union-attr]
            amount = chinese_number(number_text)
            unit = _unit(groups["cnunit"])
            if amount is None or unit is None or groups["cnunit"] in ("位", "名", "人", "个"):
                continue  # 一位医生, 三个人: people, not digits or a count worth comparing
            pair = [_CN_DIGITS.get(c) for c in number_text]
            if len(pair) == 2 and None not in pair and pair[1] == pair[0] + 1:  # 七八秒: seven or eight seconds
                found.append(Quantity(pair[0] * unit[1], unit[0], surface, pair[0], pair[1] * unit[1], groups["cnunit"], match.start()))
            elif "几" in surface:  # 十几秒: "ten-odd seconds" — at least ten
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, (amount + 9) * unit[1], groups["cnunit"], match.start()))
            else:
                found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, groups["cnunit"], match.start()))
        elif groups["words"]:
            inner = re.match(rf"({_EN_WORD_NUMBER})", groups["words"])
            assert inner is not None
            unit = _unit(groups["wunit"])
            if unit is None:
                continue
            amount = ENGLISH_NUMBERS[inner.group(1)]
            found.append(Quantity(amount * unit[1], unit[0], surface, amount, None, groups["wunit"], match.start()))
    return found


def quantity_terms(text: str) -> list[str]:
    """Index terms for the numbers with units of a text: "2 hours" and "两个小时" both give 'n:time:120'.

    They let a request that quotes a signed number ("the 2-hour rule") find the requirement that holds it.
    """
    return [f"n:{q.dimension}:{q.value:g}" for q in quantities(text) if q.dimension != "count"]


def ordinal_counts(text: str) -> list[float]:
    """Ordinals that stand for counts: 'a 3rd appointment', 'the fifth member'."""
    return [ORDINALS[word] for word in re.findall(r"\b(\d(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth)\b", normalise(text)) if word in ORDINALS]


_BARE_NUMBER = re.compile(r"(?<![a-z0-9.:\-/])(\d+(?:\.\d+)?)(?![\d:/\-]|\.\d|[a-z])")
_ID_OR_DATE = re.compile(r"[a-z][a-z0-9]*-\d+|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?")
# Calendar dates are not durations: 9 月 1 日, 10月12日, 2026年7月, 1 may, may 1st.
_DATE = re.compile(
    rf"(?:\d{{4}}\s*年\s*)?(?:\d{{1,2}}|[{_CN_NUMBER}]{{1,3}})\s*月\s*(?:\d{{1,2}}|[{_CN_NUMBER}]{{1,3}})\s*[日号]"
    r"|\d{4}\s*年\s*\d{1,2}\s*月|\d{4}-\d{1,2}-\d{1,2}"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|了半天|等半天|[这那前]两天|[这那前]几天|最近两天"  # 这两天: "these days", not a duration
    r"|(?:周|星期|礼拜)[一二三四五六日天]"  # 周二: Tuesday, not two weeks
)


def bare_numbers(text: str) -> list[float]:
    """Numbers written without a unit ("instead of 14"), leaving out ids, dates and quantities."""
    normal = _ID_OR_DATE.sub(" ", _DATE.sub(" ", normalise(text)))
    normal = _QUANTITY.sub(" ", normal)
    return [float(n) for n in _BARE_NUMBER.findall(normal)]
