"""The change in a long text, with a little context: Markdown-aware hunks.

A requirement written in Markdown (headings, lists, code blocks) can run to
pages; one inserted paragraph must not print all of it. The text is cut into
units a reader sees as lines — a heading, a list item, a table row, a code
line, a paragraph — and only the units that changed are shown, with one unit
of context on each side. Inside a changed unit, words are marked (worddiff).

By default white space does not count, as for the digest: a paragraph is
compared with its white space collapsed, so re-wrapping it is no change.
With `exact` white space counts: every line is a unit, compared as written
(indentation in a code block, a line break in a paragraph).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from reqtrace.changes.worddiff import similarity, word_diff

COLLAPSE = "collapse"
EXACT = "exact"

CONTEXT = 1  # units shown before and after each change
KEPT, REMOVED, ADDED, CHANGED = "=", "-", "+", "~"

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# Lines that stand on their own in Markdown: a heading, a list item, a table row, a quote, a rule.
_OWN_LINE = re.compile(r"^\s{0,3}(#{1,6}(\s|$)|[-*+]\s|\d+[.)]\s|\||>|(-{3,}|\*{3,}|_{3,})\s*$)")
_PAIR_SIMILARITY = 0.4  # below this, a replaced unit is shown removed and the new one added


@dataclass(frozen=True)
class Unit:
    text: str  # as shown: a paragraph joined into one line, other units as written
    key: str  # what is compared


@dataclass(frozen=True)
class Piece:
    op: str  # KEPT, REMOVED, ADDED, or CHANGED (with words)
    text: str = ""
    words: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, object]:
        if self.op == CHANGED:
            return {"op": self.op, "words": [[op, text] for op, text in self.words]}
        return {"op": self.op, "text": self.text}


@dataclass(frozen=True)
class Hunk:
    before_unit: int  # index of the hunk's first unit in the old text (0-based)
    after_unit: int
    pieces: tuple[Piece, ...]

    def as_json(self) -> dict[str, object]:
        return {"before_unit": self.before_unit, "after_unit": self.after_unit, "pieces": [piece.as_json() for piece in self.pieces]}


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def units(text: str, whitespace: str = COLLAPSE) -> list[Unit]:
    """The text cut into what a reader sees as lines (see the module's docstring)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if whitespace == EXACT:
        return [Unit(line, line) for line in lines]
    found: list[Unit] = []
    paragraph: list[str] = []
    in_code = False

    def close() -> None:
        if paragraph:
            joined = _collapsed(" ".join(paragraph))
            found.append(Unit(joined, joined))
            paragraph.clear()

    for line in lines:
        if _FENCE.match(line):
            close()
            in_code = not in_code
            found.append(Unit(line.rstrip(), _collapsed(line)))
        elif in_code:
            found.append(Unit(line.rstrip(), _collapsed(line)))
        elif not line.strip():
            close()
        elif _OWN_LINE.match(line):
            close()
            key = _collapsed(line)
            found.append(Unit(line.rstrip() if line.lstrip().startswith("|") else key, key))  # a table row keeps its alignment
        elif paragraph or not found or not _continues(found[-1], line):
            paragraph.append(line)
        else:
            # An indented line right after a list item continues that item.
            last = found.pop()
            joined = _collapsed(last.text + " " + line)
            found.append(Unit(joined, joined))
    close()
    return found


def _continues(previous: Unit, line: str) -> bool:
    return line[:1].isspace() and bool(re.match(r"^\s{0,3}([-*+]|\d+[.)])\s", previous.text))


def is_long(text: str | None) -> bool:
    """True when the text has more than one unit: then hunks, not one marked line, show its change."""
    return bool(text) and len(units(text or "")) > 1


def text_hunks(before: str, after: str, *, whitespace: str = COLLAPSE, context: int = CONTEXT) -> list[Hunk]:
    """The changed units of `before` → `after`, each hunk with `context` units around it."""
    old, new = units(before, whitespace), units(after, whitespace)
    pieces: list[tuple[Piece, int, int]] = []  # each piece with where it stands in old and new
    matcher = difflib.SequenceMatcher(None, [u.key for u in old], [u.key for u in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.extend((Piece(KEPT, old[i1 + k].text), i1 + k, j1 + k) for k in range(i2 - i1))
            continue
        i, j = i1, j1
        while i < i2 and j < j2 and similarity(old[i].key, new[j].key) >= _PAIR_SIMILARITY:
            pieces.append((Piece(CHANGED, words=tuple(word_diff(old[i].text, new[j].text))), i, j))
            i, j = i + 1, j + 1
        pieces.extend((Piece(REMOVED, old[k].text), k, j) for k in range(i, i2))
        pieces.extend((Piece(ADDED, new[k].text), i2, k) for k in range(j, j2))
    changed = [index for index, (piece, _, _) in enumerate(pieces) if piece.op != KEPT]
    hunks: list[Hunk] = []
    start = 0
    while start < len(changed):
        end = start
        while end + 1 < len(changed) and changed[end + 1] - changed[end] <= 2 * context + 1:
            end += 1
        first, last = max(changed[start] - context, 0), min(changed[end] + context, len(pieces) - 1)
        chosen = pieces[first:last + 1]
        hunks.append(Hunk(chosen[0][1], chosen[0][2], tuple(piece for piece, _, _ in chosen)))
        start = end + 1
    return hunks
