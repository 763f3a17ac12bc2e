"""Wrapping a long message (`output._wrapped_at_spaces`): the same lines as measuring every
slice with rich, at a cost that grows with the message, not with its square.

A hostile value quoted in a finding can be 100,000 characters long; measuring the rest of
the message at every line made `check` spend most of its time wrapping one finding.
"""

from __future__ import annotations

import re

import pytest
from rich import cells
from rich.text import Text

from reqtrace.cli import output


def wrapped_by_measuring_every_slice(text: Text, first_width: int, width: int, full_width: int) -> list[str]:
    """The rules of `_wrapped_at_spaces`, measuring each slice with rich's `cell_len`: the oracle."""
    import unicodedata

    cell_len = cells.cell_len
    plain = text.plain

    def wide(char: str) -> bool:
        return unicodedata.east_asian_width(char) in "WF"

    breaks = [(space.start(), space.end()) for space in re.finditer(r"\s+", plain)]
    breaks += [
        (i, i) for i in range(1, len(plain))
        if (wide(plain[i - 1]) or wide(plain[i])) and not plain[i - 1].isspace() and not plain[i].isspace()
        and plain[i] not in output._NO_BREAK_BEFORE and plain[i - 1] not in output._NO_BREAK_AFTER
    ]
    commands = [(m.start(), m.end()) for m in output._QUOTED_COMMAND.finditer(plain) if cell_len(m.group()) <= full_width]
    breaks = sorted(b for b in breaks if not any(start < b[0] < end for start, end in commands))
    lines = []
    start, available = 0, first_width
    while cell_len(plain[start:].rstrip()) > available:
        best = None
        for end, following in breaks:
            if end <= start:
                continue
            if cell_len(plain[start:end]) > available:
                break
            best = (end, following)
        space = re.compile(r"\s").search(plain, start)
        unit_end = next((end for begin, end in commands if begin == start), None) or (space.start() if space else len(plain))
        if best is None and cell_len(plain[start:unit_end]) <= full_width:
            best = (unit_end, unit_end + len(plain[unit_end:]) - len(plain[unit_end:].lstrip()))
        if best is None:
            cut = start + 1
            while cut < len(plain) and cell_len(plain[start:cut + 1]) <= available:
                cut += 1
            best = (cut, cut)
        lines.append(plain[start:best[0]])
        start, available = best[1], width
    if plain[start:].strip():
        lines.append(plain[start:len(plain.rstrip())])
    return lines


MESSAGES = {
    "english": "specs/REQ-7.yaml:3: title is 2,000 characters long; keep a title under 200 " * 12,
    "chinese": "决定：预约天数改为 30 天（RQ-12）和周六只上半天（RQ-17）属于变更，李伟在 8 月 31 日前报价。" * 8,
    "a command": "gone: retire it with `git tag -d baseline/delivery-v1.0` on purpose, then " * 6,
    "a long path": "cannot read " + "a-very-long-folder/" * 30 + "REQ-1.yaml: no such file",
    "zero-width and combining": "cafe\u0301 \u200bzero\u200bwidth e\u0308 \x7f " * 30,
    "emoji joined": "the team 👨\u200d👩\u200d👧 agreed ❤\ufe0f on RQ-3 " * 20,
    "fullwidth": "ＡＢＣ　ＤＥＦ　ｇｈｉ " * 25,
    "spaces only at the end": "x" * 300 + "    ",
    "every printable ascii character": "".join(map(chr, range(0x20, 0x7F))) * 4,
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
@pytest.mark.parametrize("width", [20, 41, 80])
def test_the_lines_are_those_of_measuring_every_slice(name, width):
    text = Text(MESSAGES[name])
    for first_width in (width, width - 7):
        expected = wrapped_by_measuring_every_slice(text, first_width, width - 4, width)
        got = [line.plain for line in output._wrapped_at_spaces(text, first_width, width - 4, width)]
        assert got == expected, name
        assert len(got) > 1, name  # every message here is wrapped: the comparison is not empty


def test_a_long_message_measures_each_character_a_few_times(monkeypatch):
    """A 60,000-character finding at 80 columns: measured slice by slice, 750 lines would each
    measure the rest of the message (~22 million characters); kept as running sums, a few per
    character."""
    measured = []
    real_cell_len, real_size = cells.cell_len, cells.get_character_cell_size
    monkeypatch.setattr(cells, "cell_len", lambda text, *a: measured.append(len(text)) or real_cell_len(text, *a))
    monkeypatch.setattr(cells, "get_character_cell_size", lambda char, *a: measured.append(1) or real_size(char, *a))
    message = "the value 'x' is not a list of ids; 值不是编号列表 " * 1500
    lines = output._wrapped_at_spaces(Text(message), 80, 76, 80)
    assert len(lines) > 700
    assert sum(measured) <= 3 * len(message), sum(measured)


def test_a_printable_ascii_message_is_not_measured_character_by_character(monkeypatch):
    """Printable ASCII is one cell a character and never wide: a hostile value of tens of
    thousands of them, quoted in a finding, is wrapped without asking each character its width
    (the lines are those of measuring, above)."""
    asked = []
    real_size, real_width = cells.get_character_cell_size, output.unicodedata.east_asian_width
    monkeypatch.setattr(cells, "get_character_cell_size", lambda char, *a: asked.append(char) or real_size(char, *a))
    monkeypatch.setattr(output.unicodedata, "east_asian_width", lambda char: asked.append(char) or real_width(char))
    message = "specs/REQ-1.yaml:2: title is not text: '" + "x~ " * 20_000 + "'"
    lines = output._wrapped_at_spaces(Text(message), 80, 76, 80)
    assert len(lines) > 700
    assert asked == []
    assert "".join(line.plain for line in lines).replace(" ", "") == message.replace(" ", "")


def test_a_long_value_without_spaces_is_searched_for_spaces_once(monkeypatch):
    """A 100,000-character value with no space in it, quoted in a finding: every line looked for
    the end of its word from where it starts to the end of the text (1,250 lines at 80 columns,
    ~60 million characters read); the spaces are found once instead."""
    scanned = []
    real = output._SPACE

    class CountingSpace:
        def search(self, text, start=0):
            scanned.append(len(text) - start)
            return real.search(text, start)

        def finditer(self, text):
            scanned.append(len(text))
            return real.finditer(text)

    monkeypatch.setattr(output, "_SPACE", CountingSpace())
    message = "specs/REQ-1.yaml:2: title is not text: " + "x" * 100_000 + " (quote it)"
    lines = output._wrapped_at_spaces(Text(message), 80, 76, 80)
    assert len(lines) > 1_000
    assert "".join(line.plain for line in lines).replace(" ", "") == message.replace(" ", "")
    assert sum(scanned) <= 2 * len(message), sum(scanned)


def test_a_cut_piece_is_what_slicing_with_rich_gives():
    """`_cut` (each wrapped line made from its own characters) against rich's own slicing: the
    same characters, style and spans, for every piece of a text with nested, touching and
    empty-ended spans and control codes."""
    from rich.console import Console

    text = Console().render_str("[bold]REQ-1[/bold] [red]is [i]not[/i][/red][u] a list[/u]\x07 of [link=x]ids[/link]; 值[b]不是[/b]")
    text.stylize("green", 3, 9)
    text.style = "dim"
    assert len(text.spans) >= 6
    for start in range(len(text.plain) + 1):
        for end in range(start, len(text.plain) + 1):
            cut, sliced = output._cut(text, start, end), text[start:end]
            assert (cut.plain, cut.style, cut.spans, cut.justify, cut.overflow) == (sliced.plain, sliced.style, sliced.spans, sliced.justify, sliced.overflow), (start, end)
