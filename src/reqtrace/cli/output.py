"""Rendering shared by all commands: machines get JSON on stdout, people get rich.

Everything the CLI writes goes through here, so the rules for output hold for
every command without each one having to remember them:

- Text from files, mail and git is hostile: a title holding ESC or BEL could set
  the window title, clear the screen or hide a line. The consoles made here
  drop control characters (C0 but tab and newline, DEL, C1) and bidi overrides
  from every piece of text they render, whatever the command passed in;
  `write_text` does the same; JSON escapes them instead (lossless).
- A reader that goes away (`reqtrace list | head`) raises `ReaderGone`, which
  `main` turns into exit 0; any other failure to write stdout (a full disk)
  is an `OutputError` (exit 3), never a traceback.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import json
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from reqtrace.errors import OutputError

# Set by commands that promised JSON, so that a failure still answers in JSON.
json_requested = False
# Set by a gate (check, verify, diff --fail-on) before it prints a failed verdict: a
# reader that leaves early (`reqtrace check | head`) must not turn exit 1 into 0.
gate_failed = False

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what a line shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What json.dumps(ensure_ascii=False) leaves raw: it escapes C0 only.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class ReaderGone(Exception):
    """Whoever read stdout closed it (`| head`): not a failure of reqtrace."""


def terminal_text(text: str) -> str:
    """`text` without the characters a terminal would obey instead of show."""
    return _UNSAFE.sub("", text)


class _GuardedStream:
    """sys.stdout, with failures to write turned into `ReaderGone` or `OutputError`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: Any) -> int:
        with _write_errors():
            return self._stream.write(text)  # type: ignore[no-any-return]

    def flush(self) -> None:
        with _write_errors():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _write_errors() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise ReaderGone() from None
    except OSError as error:
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None


def stdout() -> _GuardedStream:
    return _GuardedStream(sys.stdout)


@functools.cache
def _console_class():  # type: ignore[no-untyped-def]
    # rich is imported here, not at the top: `--help` and `--version` stay fast.
    from rich.console import Console
    from rich.segment import Segment

    class TerminalConsole(Console):
        """A rich Console that never lets a control character through.

        Cleaning happens on the rendered segments, after markup was parsed and
        tables laid out, so it covers every string, Text and table cell; the
        characters dropped take no cell on screen, so columns stay aligned.
        The ANSI codes rich adds for styles are written later, and stay.
        """

        def render(self, renderable, options=None):  # type: ignore[no-untyped-def]
            for segment in super().render(renderable, options):
                if segment.control is None and _UNSAFE.search(segment.text):
                    yield Segment(terminal_text(segment.text), segment.style)
                else:
                    yield segment

        def on_broken_pipe(self) -> None:
            # rich's default exits 1: a closed pipe is not a failed gate.
            raise ReaderGone()

    return TerminalConsole


def stdout_console():  # type: ignore[no-untyped-def]
    console = _console_class()(file=stdout(), highlight=False, no_color="NO_COLOR" in os.environ)
    # Lines are wrapped for a reader: at a terminal, or wherever COLUMNS says how wide to be.
    # Piped with no COLUMNS (a CI log, `| grep`), a line stays whole: rich would assume 80.
    console.soft_wrap = not (console.is_terminal or "COLUMNS" in os.environ)
    return console


def stderr_console():  # type: ignore[no-untyped-def]
    return _console_class()(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ)


def esc(text: object) -> str:
    """User text made safe for rich markup (`[draft]` would otherwise vanish)."""
    from rich.markup import escape

    return escape(str(text))


def say(console: Any, markup: str, *, hang: int = 4) -> None:
    """Print one line for people, wrapped at spaces to the console's width, with the
    lines after the first indented `hang` columns past the line's own indent.

    rich would fold a line at any character once it is full; wrapping only at
    spaces keeps ids, commit ids, emails and paths (which hold none) whole. A
    single word wider than the whole line is the one thing still cut. What
    follows a newline in `markup` is quoted to be copied (a command, a line for
    a config file): it stays whole, as wide as it is.
    """
    say_all(console, [markup], hang=hang)


def say_all(console: Any, lines: list[str], *, hang: int = 4) -> None:
    """`say` for many lines at once: one print call (rich costs ~0.3 ms a call)."""
    from rich.text import Text

    if lines and _writes_plain(console):
        plain = "\n".join(console.render_str(markup).plain for markup in lines)
        if "\t" not in plain:
            # What rich would write, without its segments (they cost more than the lines:
            # 0.04 s for a check's 900 lines): no style, no wrapping, unsafe characters dropped.
            console.file.write(terminal_text(plain) + "\n")
            return
    shown = []
    for markup in lines:
        first, *quoted = console.render_str(markup).split("\n", allow_blank=True)
        shown += _wrapped_line(console, first, hang)
        shown += quoted
    if shown:
        console.print(Text("\n").join(shown), soft_wrap=True)


def _writes_plain(console: Any) -> bool:
    """Whether `console` writes a line's plain text as it is: no colours (piped, no
    FORCE_COLOR), no width to wrap at (soft wrap: no COLUMNS), nothing recorded. A tab is
    rich's to expand."""
    return console.soft_wrap and console.color_system is None and not console.is_terminal and not console.record


def _wrapped_line(console: Any, text: Any, hang: int) -> list[Any]:
    from rich.cells import cell_len
    from rich.text import Text

    plain = text.plain
    lead = len(plain) - len(plain.lstrip(" "))
    width = console.width
    if cell_len(plain) <= width or not (console.is_terminal or "COLUMNS" in os.environ):
        return [text]
    indent = min(lead + hang, max(width // 2, 1))
    lines = []
    for number, line in enumerate(_wrapped_at_spaces(_cut(text, lead, len(plain)), width - lead, width - indent, width)):
        shift = lead if number == 0 else indent
        # A word too wide for the indented line (a long path) moves left rather than being cut.
        shift = max(0, min(shift, width - cell_len(line.plain)))
        lines.append(Text(" " * shift) + line)
    return lines


# No line starts with closing punctuation, and none ends with an opening one.
_NO_BREAK_BEFORE = set("，。、；：！？）》」』】,.;:!?)]}>…")
_NO_BREAK_AFTER = set("（《「『【([{<")


_SPACE = re.compile(r"\s")
_QUOTED_COMMAND = re.compile(r"`[^`\n]+`")
# Printable ASCII: one cell a character and never wide, so a text made of it alone needs no
# per-character measuring (a check of hostile input wraps findings of tens of thousands of them).
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


def _word_ends(plain: str) -> Callable[[int], int]:
    """Where the word starting at `start` ends (the next whitespace, or the end of the text),
    for every line of one text: the spaces are found once, so a long text without any is not
    searched to its end again at every line."""
    spaces = [space.start() for space in _SPACE.finditer(plain)]

    def word_end(start: int) -> int:
        index = bisect.bisect_left(spaces, start)
        return spaces[index] if index < len(spaces) else len(plain)

    return word_end


def _wrapped_at_spaces(text: Any, first_width: int, width: int, full_width: int) -> list[Any]:
    """`text` cut into lines at spaces, or between CJK characters (which need none); never
    inside a `quoted command`, which a reader copies whole if it fits a line."""
    from rich.cells import cell_len

    plain = text.plain
    narrow = _PRINTABLE_ASCII.fullmatch(plain) is not None
    cells = _cell_width_between(plain) if not narrow else lambda start, end: max(end, start) - start
    word_end = _word_ends(plain)

    def wide(char: str) -> bool:
        return unicodedata.east_asian_width(char) in "WF"

    # Where a line may end, and where the next one then starts.
    breaks = [(space.start(), space.end()) for space in re.finditer(r"\s+", plain)]
    breaks += [] if narrow else [
        (i, i) for i in range(1, len(plain))
        if (wide(plain[i - 1]) or wide(plain[i])) and not plain[i - 1].isspace() and not plain[i].isspace()
        and plain[i] not in _NO_BREAK_BEFORE and plain[i - 1] not in _NO_BREAK_AFTER
    ]
    commands = [(m.start(), m.end()) for m in _QUOTED_COMMAND.finditer(plain) if cell_len(m.group()) <= full_width]
    breaks = sorted(b for b in breaks if not any(start < b[0] < end for start, end in commands))
    text_end = len(plain.rstrip())
    lines = []
    start, available = 0, first_width
    while cells(start, text_end) > available:
        best = None
        for end, following in itertools.islice(breaks, bisect.bisect_right(breaks, (start, len(plain))), None):
            if cells(start, end) > available:
                break
            best = (end, following)
        unit_end = next((end for begin, end in commands if begin == start), None) or word_end(start)
        if best is None and cells(start, unit_end) <= full_width:
            # Too wide for the indented line, not for the terminal: it gets a line of its own.
            best = (unit_end, unit_end + len(plain[unit_end:]) - len(plain[unit_end:].lstrip()))
        if best is None:
            # A word wider than the terminal (a very long path) is the one thing folded.
            cut = start + 1
            while cut < len(plain) and cells(start, cut + 1) <= available:
                cut += 1
            best = (cut, cut)
        lines.append(_cut(text, start, best[0]))
        start, available = best[1], width
    if plain[start:].strip():
        lines.append(_cut(text, start, len(plain.rstrip())))
    return lines


def _cut(text: Any, start: int, end: int) -> Any:
    """`text[start:end]` (the characters, the text's style, the spans clipped to the piece), made
    from the piece alone. rich's slicing makes the parts before and after the piece too, and
    clears control codes from each: a `str.translate` of the rest of the message at every line,
    which took seconds for a 60,000-character finding."""
    from rich.text import Span, Text

    piece = Text(text.plain[start:end], style=text.style, justify=text.justify, overflow=text.overflow)
    piece.spans = [
        Span(max(span_start, start) - start, min(span_end, end) - start, style)
        for span_start, span_end, style in text.spans
        if min(span_end, end) > max(span_start, start)
    ]
    return piece


def _cell_width_between(plain: str) -> Callable[[int, int], int]:
    """`cell_len(plain[start:end])` for many slices of one text. Where a character's width does
    not depend on its neighbours (no zero-width joiner, no emoji variation selector), the width
    of a slice is a difference of running sums: wrapping a long message then measures each
    character once instead of the rest of the message at every line."""
    from rich.cells import cell_len, get_character_cell_size

    if "\u200d" in plain or "\ufe0f" in plain:
        return lambda start, end: cell_len(plain[start:end])
    running = [0, *itertools.accumulate(get_character_cell_size(char) for char in plain)]
    return lambda start, end: running[max(end, start)] - running[start]


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 record', '2 records': a count with its noun in the right number."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def write_json(data: dict[str, Any]) -> None:
    """`data` as the JSON answer of a command: `schema_version` and `ok` first in every one.

    `ok` is whether the command's gate passed: false exactly when it exits 1 (a command
    with a gate sets `gate_failed` before answering) or, from `main`, when it failed. A
    command may say more precisely (`check` counts warnings under --strict)."""
    # Imported here: `--help` and `--version` load this module, and the model's dataclasses
    # cost a tenth of their start-up.
    from reqtrace.core.model import SCHEMA_VERSION

    payload = {"schema_version": SCHEMA_VERSION, "ok": not gate_failed, **data}
    # allow_nan=False: Python would write a bare NaN or Infinity, which is not JSON and
    # breaks every consumer; a non-finite number reaching here is a bug to report, not output.
    # Non-ASCII stays readable where stdout can carry it; elsewhere (PYTHONIOENCODING=ascii)
    # \\u escapes keep the JSON valid.
    _write_json_text(indented_json(payload, ascii_only=not _utf_stdout()))


def _utf_stdout() -> bool:
    return (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("-", "").startswith("utf")


def _write_json_text(text: str) -> None:
    # Only ever inside strings; ASCII text holds none but DEL (two scans in C instead of a
    # regular expression over a 2 MB answer).
    if not text.isascii() or "\x7f" in text:
        text = _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    stream = stdout()
    stream.write(text + "\n")
    stream.flush()


def json_body(data: dict[str, Any]) -> str:
    """`data` as `write_json` writes it after `schema_version` and `ok`: the form in which a
    command keeps a JSON answer, to write it again with `write_json_body` without building
    and indenting it (a warm diff's 600 kB answer: ~0.05 s of decoding and indenting)."""
    if "schema_version" in data or "ok" in data:
        raise ValueError("a kept JSON body names neither schema_version nor ok: write_json puts them first")
    return indented_json(data)


def write_json_body(body: str) -> bool:
    """Exactly what `write_json(json.loads(body))` writes, for a `body` made by `json_body`,
    and True; False, with nothing written, where stdout needs ASCII escapes (the caller
    writes its answer the plain way then)."""
    if not _utf_stdout():
        return False
    from reqtrace.core.model import SCHEMA_VERSION

    head = indented_json({"schema_version": SCHEMA_VERSION, "ok": not gate_failed})
    # An object's members, indented, start after its "{\n" and end before its "\n}".
    _write_json_text(head if body == "{}" else head[:-2] + ",\n" + body[2:])
    return True


def indented_json(value: Any, *, ascii_only: bool = False) -> str:
    """Exactly `json.dumps(value, ensure_ascii=ascii_only, indent=2, allow_nan=False)`, about
    twice as fast: with `indent`, Python's json module runs its pure-Python encoder (one
    generator per container), which cost a warm `impact` 0.07 s for its 2.4 MB answer. Strings
    are escaped by json's C functions; a value json cannot write raises what json raises."""
    encode_text = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
    parts: list[str] = []
    append = parts.append

    def number(value: float) -> str:
        if value != value or value in (math.inf, -math.inf):
            raise ValueError("Out of range float values are not JSON compliant: " + repr(value))
        return float.__repr__(value)

    def key_text(key: Any) -> str:
        # As json turns keys into text, in json's order of checks.
        if isinstance(key, str):
            return key
        if isinstance(key, float):
            return number(key)
        if key is True or key is False or key is None:
            return {True: "true", False: "false", None: "null"}[key]
        if isinstance(key, int):
            return int.__repr__(key)
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")

    def walk(value: Any, indent: str) -> None:
        if isinstance(value, str):
            append(encode_text(value))
        elif value is None:
            append("null")
        elif value is True:
            append("true")
        elif value is False:
            append("false")
        elif isinstance(value, int):
            append(int.__repr__(value))
        elif isinstance(value, float):
            append(number(value))
        elif isinstance(value, list | tuple):
            if not value:
                append("[]")
                return
            inner = indent + "  "
            append("[\n" + inner)
            for number_of, item in enumerate(value):
                if number_of:
                    append(",\n" + inner)
                walk(item, inner)
            append("\n" + indent + "]")
        elif isinstance(value, dict):
            if not value:
                append("{}")
                return
            inner = indent + "  "
            append("{\n" + inner)
            for number_of, (key, item) in enumerate(value.items()):
                if number_of:
                    append(",\n" + inner)
                append(encode_text(key_text(key)))
                append(": ")
                walk(item, inner)
            append("\n" + indent + "}")
        else:
            raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

    walk(value, "")
    return "".join(parts)


def write_text(text: str) -> None:
    stream = stdout()
    stream.write(terminal_text(text if text.endswith("\n") else text + "\n"))
    stream.flush()


def write_bytes(data: bytes) -> None:
    """Machine output (a graph file) as it is, but cleaned when it lands on a terminal."""
    stream = stdout()
    if stream.isatty():
        stream.write(terminal_text(data.decode("utf-8", "replace")))
    else:
        stream.flush()
        with _write_errors():
            stream.buffer.write(data)
    stream.flush()


def prepare_streams() -> None:
    """Characters the terminal's encoding cannot show (PYTHONIOENCODING=ascii, a file name
    that is not UTF-8) become backslash escapes instead of stopping the command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="backslashreplace")


def stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone (poll reports an error on it)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def silence_stdout() -> None:
    """After stdout failed: point it at /dev/null, so that the interpreter's last flush of
    what is still buffered does not fail again (the recipe in Python's `signal` docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
