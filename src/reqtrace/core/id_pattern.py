"""Matching ids against the `id_pattern` of reqtrace.yaml, in time that cannot explode.

`id_pattern` comes from a config file anyone can change in a pull request, and
the ids it is matched against come from spec files and the words of ingested
emails. Python's `re` backtracks: `^(a+)+$` takes minutes on forty `a`s and a
`!`, and `^a*a*a*a*a*a*$` is polynomial with a large power. Refusing "dangerous"
patterns by their shape misses some and refuses harmless ones (`^[A-Z]+(-[A-Z]+)*-[0-9]+$`),
and a time limit needs signals (main thread only) or another process.

So the pattern is parsed once with Python's own regex parser (same syntax,
same errors), and matched here by *position sets*: each piece of the pattern
maps the set of positions where it may start to the set where it may end.
A position set has at most len(id) + 1 members and a repeat sends each
position round once, so no path is ever explored twice: the cost grows with
the pattern's size and polynomially with the id's length, never exponentially
(`^(a+)+$` on 100 `a`s and a `b`: well under a millisecond). The answer is
the one `re.search` gives for the constructs supported: literals, classes, `.`,
groups, alternation, every repeat, `^ $ \\A \\Z \\b \\B`, lookahead and
lookbehind. Backreferences, possessive repeats, atomic groups, conditionals
and flags such as `(?i)` are refused when the config is read, never guessed at.

Only a pattern whose backtracking never has a second choice (`_deterministic`,
the default pattern among them) is left to `re`, which is faster: the shape
rule there decides which engine to use, never whether a pattern is allowed.

Ids are also short: one longer than MAX_ID_LENGTH is refused before any
matching (`bad-id`), which keeps the polynomial small.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from functools import cache
from re import _constants as C  # type: ignore[attr-defined]  # noqa: N812 - the opcodes of Python's parser
from re import _parser  # type: ignore[attr-defined]  # Python's own parser: the syntax and errors of re.compile
from typing import Any

MAX_ID_LENGTH = 100

Positions = frozenset[int]


class UnsupportedPattern(ValueError):
    """A valid regular expression using a construct this matcher does not evaluate."""


def _category(code: Any) -> Callable[[str], bool]:
    tests: dict[Any, Callable[[str], bool]] = {
        C.CATEGORY_DIGIT: str.isdecimal,
        C.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
        C.CATEGORY_SPACE: str.isspace,
        C.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
        C.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
        C.CATEGORY_NOT_WORD: lambda ch: not (ch.isalnum() or ch == "_"),
    }
    if code not in tests:
        raise UnsupportedPattern(f"the class {code} is not supported")
    return tests[code]


def _is_code(code: int, ch: str) -> bool:
    return ord(ch) == code


def _is_not_code(code: int, ch: str) -> bool:
    return ord(ch) != code


def _in_range(low: int, high: int, ch: str) -> bool:
    return low <= ord(ch) <= high


def _char_set(items: list[tuple[Any, Any]]) -> Callable[[str], bool]:
    """A `[...]` class as a test of one character."""
    negate = False
    tests: list[Callable[[str], bool]] = []
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            tests.append(functools.partial(_is_code, arg))
        elif op is C.RANGE:
            tests.append(functools.partial(_in_range, arg[0], arg[1]))
        elif op is C.CATEGORY:
            tests.append(_category(arg))
        else:
            raise UnsupportedPattern(f"'{op}' inside [...] is not supported")

    def test(ch: str) -> bool:
        return any(t(ch) for t in tests) != negate

    return test


def _word_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


# A compiled piece: (text, start positions) -> end positions.
Piece = Callable[[str, Positions], Positions]


def _step(test: Callable[[str], bool]) -> Piece:
    def piece(text: str, starts: Positions) -> Positions:
        return frozenset(p + 1 for p in starts if p < len(text) and test(text[p]))

    return piece


def _at(code: Any) -> Piece:
    def keep(test: Callable[[str, int], bool]) -> Piece:
        return lambda text, starts: frozenset(p for p in starts if test(text, p))

    if code in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
        return keep(lambda text, p: p == 0)
    if code is C.AT_END:  # like re: at the end, or before a final line feed
        return keep(lambda text, p: p == len(text) or (p == len(text) - 1 and text[p] == "\n"))
    if code is C.AT_END_STRING:
        return keep(lambda text, p: p == len(text))
    if code is C.AT_BOUNDARY:
        return keep(lambda text, p: _word_at(text, p - 1) != _word_at(text, p))
    if code is C.AT_NON_BOUNDARY:
        return keep(lambda text, p: bool(text) and _word_at(text, p - 1) == _word_at(text, p))
    raise UnsupportedPattern(f"the anchor {code} is not supported")


def _sequence(pieces: list[Piece]) -> Piece:
    def piece(text: str, starts: Positions) -> Positions:
        for one in pieces:
            if not starts:
                break
            starts = one(text, starts)
        return starts

    return piece


def _branch(branches: list[Piece]) -> Piece:
    def piece(text: str, starts: Positions) -> Positions:
        return frozenset().union(*(branch(text, starts) for branch in branches))

    return piece


def _repeat(low: int, high: int, body: Piece) -> Piece:
    def piece(text: str, starts: Positions) -> Positions:
        current = starts
        for _ in range(low):
            current = body(text, current)
            if not current:
                return current
        # Breadth first, each position once: reached within k more repeats iff its
        # fewest repeats is at most k, so only new positions go round again.
        reached, frontier, more = set(current), current, high - low
        while frontier and more > 0:
            frontier = frozenset(body(text, frontier) - reached)
            reached |= frontier
            more -= 1
        return frozenset(reached)

    return piece


def _compile(parsed: Any) -> Piece:
    pieces: list[Piece] = []
    for op, arg in parsed:
        if op is C.LITERAL:
            pieces.append(_step(functools.partial(_is_code, arg)))
        elif op is C.NOT_LITERAL:
            pieces.append(_step(functools.partial(_is_not_code, arg)))
        elif op is C.ANY:
            pieces.append(_step(lambda ch: ch != "\n"))
        elif op is C.IN:
            pieces.append(_step(_char_set(arg)))
        elif op is C.AT:
            pieces.append(_at(arg))
        elif op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise UnsupportedPattern("inline flags such as (?i:...) are not supported")
            pieces.append(_compile(sub))
        elif op is C.BRANCH:
            pieces.append(_branch([_compile(sub) for sub in arg[1]]))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):  # greedy or lazy: the same possible matches
            low, high, sub = arg
            # Unbounded: a repeat can go round at most once per character of the id
            # (rounds that match nothing add no position), and ids are at most MAX_ID_LENGTH.
            pieces.append(_repeat(low, MAX_ID_LENGTH + 1 if high is C.MAXREPEAT else high, _compile(sub)))
        elif op in (C.ASSERT, C.ASSERT_NOT):
            pieces.append(_assertion(arg, positive=op is C.ASSERT))
        else:
            name = {C.GROUPREF: "backreferences"}.get(op, f"'{str(op).lower()}'")
            raise UnsupportedPattern(f"{name} are not supported in id_pattern")
    return _sequence(pieces)


def _assertion(arg: tuple[int, Any], *, positive: bool) -> Piece:
    direction, sub = arg
    inner = _compile(sub)
    if direction == 1:  # lookahead: does the inner pattern match from here?

        def ahead(text: str, starts: Positions) -> Positions:
            return frozenset(p for p in starts if bool(inner(text, frozenset([p]))) == positive)

        return ahead
    width = sub.getwidth()[0]  # lookbehind: fixed width, which re itself insists on

    def behind(text: str, starts: Positions) -> Positions:
        return frozenset(p for p in starts if (p >= width and p in inner(text, frozenset([p - width]))) == positive)

    return behind


def _chars(op: Any, arg: Any) -> list[tuple[int, int]] | None:
    """The code-point ranges one single-character item matches; None when unknown (a
    category such as \\d, a negated class, `.`), which counts as overlapping everything."""
    if op is C.LITERAL:
        return [(arg, arg)]
    if op is C.IN:
        ranges = []
        for item_op, item_arg in arg:
            if item_op is C.LITERAL:
                ranges.append((item_arg, item_arg))
            elif item_op is C.RANGE:
                ranges.append(item_arg)
            else:
                return None
        return ranges
    return None


_ONE_CHARACTER = (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN)


def _deterministic(parsed: Any) -> bool:
    """Whether `re` itself decides this pattern in linear time per start position.

    The common shape, `^[A-Z][A-Z0-9]*-[0-9]+$`: a flat sequence of anchors, single
    characters and repeats of a single character, where whatever must come after a
    repeat cannot be matched by it. Backtracking then never has a second choice to
    try (giving back a character of `[A-Z0-9]*` can never make `-` match), so `re`
    is safe and ten times faster than the position sets. Anything else — a group,
    an alternative, a repeat of a group, two repeats that could share characters —
    goes to the position sets.
    """
    items = list(parsed)
    for index, (op, arg) in enumerate(items):
        if op is C.AT or op in _ONE_CHARACTER:
            continue
        if op is not C.MAX_REPEAT:
            return False
        low, high, sub = arg[0], arg[1], list(arg[2])
        if len(sub) != 1 or sub[0][0] not in _ONE_CHARACTER:
            return False
        if low == high:
            continue
        following = next(((o, a) for o, a in items[index + 1 :] if o is not C.AT), None)
        if following is None:
            continue
        ranges = _chars(*following)
        if ranges is None:  # a repeat next, or something unknown: maybe ambiguous
            return False
        mine = _chars(*sub[0])
        if mine is None or any(lo <= other_hi and other_lo <= hi for lo, hi in mine for other_lo, other_hi in ranges):
            return False
    return True


@cache
def id_matcher(pattern: str) -> Callable[[str], bool]:
    """A test like `re.compile(pattern).search`, safe on hostile patterns.

    Raises re.error for an invalid pattern, UnsupportedPattern for one using a
    construct not evaluated here.
    """
    re.compile(pattern)  # the same errors, with the same messages, as everywhere else
    parsed = _parser.parse(pattern)
    if parsed.state.flags & ~(C.SRE_FLAG_UNICODE):
        raise UnsupportedPattern("flags such as (?i) are not supported; write both cases, e.g. [A-Za-z]")
    piece = _compile(parsed)  # also refuses what the position sets cannot evaluate
    if _deterministic(parsed):
        search = re.compile(pattern).search

        def matches_with_re(text: str) -> bool:
            return len(text) <= MAX_ID_LENGTH and search(text) is not None

        return matches_with_re

    def matches(text: str) -> bool:
        if len(text) > MAX_ID_LENGTH:
            return False
        return bool(piece(text, frozenset(range(len(text) + 1))))

    return matches
