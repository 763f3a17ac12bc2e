"""Word-level differences between two texts, Chinese by character.

Chinese (and Japanese, Korean) text has no spaces, so `split()` cannot find its
words; each CJK character is a token of its own. Latin words and numbers
(`14`, `1.5`, `24:00`) are tokens, and so is every run of white space and
every other character.
"""

from __future__ import annotations

import difflib
import re

_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(
    rf"[{_CJK}]"  # one CJK character (or full-width form)
    r"|\d+(?:[.,:]\d+)*"  # a number, with its decimal or thousands marks
    rf"|[^\W\d_{_CJK}]+"  # a run of letters
    r"|\s+"
    r"|([^\w\s])\1*"  # a run of one mark: `####` or `---` is one token, never split
    r"|.",
    re.DOTALL,
)
# Past this many token comparisons the matcher's quadratic worst case shows;
# such texts are shown as replaced whole.
_MAX_WORK = 4_000_000

EQUAL = "="
DELETED = "-"
INSERTED = "+"


def tokens(text: str) -> list[str]:
    return [match.group(0) for match in _TOKEN.finditer(text)]


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) segments that turn `before` into `after`: '=' kept, '-' deleted, '+' inserted."""
    old, new = tokens(before), tokens(after)
    if len(old) * len(new) > _MAX_WORK:
        return _merge([(DELETED, before), (INSERTED, after)])
    segments: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append((EQUAL, "".join(old[i1:i2])))
            continue
        if i2 > i1:
            segments.append((DELETED, "".join(old[i1:i2])))
        if j2 > j1:
            segments.append((INSERTED, "".join(new[j1:j2])))
    return _merge(segments)


def _merge(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join neighbours of the same kind, and drop empty pieces."""
    merged: list[tuple[str, str]] = []
    for op, text in segments:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def similarity(before: str, after: str) -> float:
    """How alike two texts are, 0..1, token by token (1 = the same words)."""
    old, new = tokens(before), tokens(after)
    if not old and not new:
        return 1.0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.real_quick_ratio() < 0.5 or matcher.quick_ratio() < 0.5:
        return matcher.quick_ratio()
    return matcher.ratio()
