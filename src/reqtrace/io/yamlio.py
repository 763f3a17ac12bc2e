"""The one module that reads YAML.

Stricter than YAML itself, because in a contract a silently changed value is
lost data: duplicate keys and aliases are refused, mapping keys stay text
(`on:` is a field name, not `True`), and every mapping remembers the line of
each key so that findings can point at it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from sys import intern
from typing import Any

import yaml
from yaml.constructor import SafeConstructor as _BaseConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver as _BaseResolver

try:  # libyaml's C parser is about 12x faster on many small files
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]  # types-PyYAML does not list it; PyYAML exports it
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.loader import SafeLoader as _CParser  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


class YamlProblem(Exception):
    """A file that cannot be read as the YAML reqtrace accepts."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line


class Mapping(dict):  # type: ignore[type-arg]
    """A dict that remembers where it and each of its keys stood in the file."""

    __slots__ = ("line", "lines", "raw")

    def __init__(self) -> None:
        # No dict.__init__: the mapping starts empty, and one is made per mapping of every
        # file read (a zero-argument super() call costs more than the rest of this).
        self.line = 0
        self.lines: dict[str, int] = {}
        # The source text of scalar values YAML turned into something other than
        # text (`NO` -> False, `1.10` -> 1.1), so a finding can quote what was written.
        self.raw: dict[str, str] = {}


# Plain scalars that resolve to the same tag again and again (keys, `must`,
# `approved`, names): remembering the answer saves most of the resolver's work.
_RESOLVED: dict[str, str] = {}
_RESOLVED_LIMIT = 50_000

STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
# The scalar types a spec file may hold; anything else (`!!binary`, `!!set`,
# `!custom`) is refused rather than guessed at.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)
# libyaml refuses nesting deeper than 1000; spec files need a handful of levels,
# and later recursive walks (schema, digests) must stay far from Python's limit.
MAX_DEPTH = 64


_list_init = list.__init__


class Sequence(list):  # type: ignore[type-arg]
    """A list that remembers the line of each item (and the source text of
    items YAML did not read as text), like `Mapping` does for keys."""

    __slots__ = ("line", "lines", "raw")

    def __init__(self, items: list[Any], line: int, lines: list[int], raw: dict[int, str]) -> None:
        _list_init(self, items)  # not super().__init__: half the cost, for every list of every file
        self.line = line
        self.lines = lines
        self.raw = raw


# What a YAML document loads as: mappings and lists that remember their lines, or one
# of the scalar types a spec file may hold.
YamlDocument = Mapping | Sequence | str | int | float | bool | dt.date | dt.datetime | None


# One constructor for the few scalar types a spec file may hold: constructing
# a scalar uses no constructor state, so it is shared by every parse.
_SCALARS = _BaseConstructor()
_CONSTRUCT = _SCALARS.yaml_constructors
_RESOLVER = _BaseResolver()
# First characters that can start a plain scalar YAML 1.1 reads as something
# other than text (`no`, `1.10`, `~`, `2026-01-05`): any other plain scalar is
# text without asking the resolver — the usual case for titles and statements.
_RESOLVABLE_FIRST = frozenset(_RESOLVER.yaml_implicit_resolvers)
assert None not in _RESOLVABLE_FIRST, "a resolver for every first character would defeat the shortcut"


def _resolve_plain(value: str) -> str:
    """The tag YAML 1.1 gives an unquoted scalar, remembered per distinct short text."""
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(ScalarNode, value, (True, False))
        if len(_RESOLVED) < _RESOLVED_LIMIT and len(value) <= 80:
            _RESOLVED[value] = tag
    return tag  # type: ignore[no-any-return]


_ALIAS_MESSAGE = "YAML aliases (*name) are not allowed in spec files; write the value out in full"
_ANCHOR_MESSAGE = "YAML anchors (&name) are not allowed in spec files; remove it and write values out in full"


def _build(parser: Any, line_offset: int) -> Any:
    """The value of the single document in the parser's stream, built from libyaml's events.

    Skipping PyYAML's node graph and generic constructor makes this about a
    third faster, and strict: an alias, a duplicate key, a key that is not
    plain text, an unknown tag or absurd nesting is a YamlProblem.
    """
    get_event = parser.get_event
    get_event()  # StreamStart
    if type(get_event()) is StreamEndEvent:
        return None  # an empty file
    root = _value(get_event(), get_event, line_offset, 0)
    get_event()  # DocumentEnd
    event = get_event()
    if type(event) is not StreamEndEvent:
        raise YamlProblem(
            "yaml-syntax",
            "YAML syntax error: more than one YAML document (---) in the file",
            event.start_mark.line + 1 + line_offset,
        )
    return root


def _value(event: Any, get_event: Any, line_offset: int, depth: int) -> Any:
    """The value that starts with `event`: a scalar, or a whole mapping or sequence.

    Recursive descent keeps each collection's state in locals; the common
    item (a plain or quoted scalar) is handled inline in the loops below, so
    this function is entered once per collection rather than once per value.
    """
    kind = type(event)
    if kind is ScalarEvent:
        if event.anchor is not None:
            raise YamlProblem("yaml-alias", _ANCHOR_MESSAGE, event.start_mark.line + 1 + line_offset)
        return _scalar(event, event.start_mark.line + 1 + line_offset)[0]
    line = event.start_mark.line + 1 + line_offset
    if kind is AliasEvent:
        raise YamlProblem("yaml-alias", _ALIAS_MESSAGE, line)
    if event.anchor is not None:
        # Harmless alone, but only there to be aliased: refused too, so the
        # rule is simply "no anchors, no aliases".
        raise YamlProblem("yaml-alias", _ANCHOR_MESSAGE, line)
    if kind is MappingStartEvent:
        if event.tag not in (None, "!", MAP_TAG):
            raise YamlProblem("yaml-syntax", f"YAML tag '{event.tag}' is not allowed in spec files; remove it", line)
        if depth >= MAX_DEPTH:
            raise YamlProblem("yaml-syntax", f"the YAML is nested more than {MAX_DEPTH} levels deep", line)
        return _mapping(line, get_event, line_offset, depth + 1)
    if kind is SequenceStartEvent:
        if event.tag not in (None, "!", SEQ_TAG):
            raise YamlProblem("yaml-syntax", f"YAML tag '{event.tag}' is not allowed in spec files; remove it", line)
        if depth >= MAX_DEPTH:
            raise YamlProblem("yaml-syntax", f"the YAML is nested more than {MAX_DEPTH} levels deep", line)
        return _sequence(line, get_event, line_offset, depth + 1)
    raise YamlProblem("yaml-syntax", f"unexpected YAML event {kind.__name__}", line)  # pragma: no cover


def _scalar(event: Any, line: int) -> tuple[Any, bool]:
    """(value, whether it is text) of a scalar event; refuses tags a spec file has no use for."""
    value = event.value
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            tag = STR_TAG  # quoted: text, whatever it looks like
        elif value[:1] in _RESOLVABLE_FIRST:
            tag = _RESOLVED.get(value) or _resolve_plain(value)
        else:
            tag = STR_TAG
    if tag == STR_TAG:
        # Ids, statuses and names recur across thousands of files: one shared
        # string each keeps a large snapshot (and its cache) small.
        return (intern(value) if len(value) <= 40 else value), True
    if tag not in _SCALAR_TAGS:
        raise YamlProblem("yaml-syntax", f"YAML tag '{tag}' is not allowed in spec files; remove it", line)
    return _typed(tag, value, event.start_mark, event.end_mark)


def _typed(tag: str, value: str, start_mark: Any, end_mark: Any) -> tuple[Any, bool]:
    """(value, whether it is text) of a scalar YAML gave one of `_SCALAR_TAGS` other than text.

    Shared by both readers (libyaml's events and the plain shape), so a typed
    value is built by the same code whichever read the file.
    """
    try:
        constructed = _CONSTRUCT[tag](_SCALARS, ScalarNode(tag, value, start_mark, end_mark))
        if type(constructed) is float and not math.isfinite(constructed):
            # `.nan`, `-.inf`, `1e999`: no field means either, JSON cannot hold them
            # (Python would write a bare NaN), and NaN compares false with everything.
            # Rule: the value is kept as its text, but flagged as NOT quoted text
            # (is_text False, so the caller records the raw source): a text field
            # then reports it like `yes` or `1.10` ("quote it"), a number field
            # reports text where a number belongs. A float NaN/inf never leaves here.
            return value, False
        return constructed, False
    except (ValueError, OverflowError, ArithmeticError, LookupError, AttributeError, TypeError):
        # `2026-02-30` looks like a date but is none; a number of 5000 digits
        # is past Python's limit; `!!int` on nothing or `!!bool maybe` is no
        # value of that type at all: keep the text.
        return value, True


def _mapping(line: int, get_event: Any, line_offset: int, depth: int) -> Mapping:
    mapping = Mapping()
    mapping.line = line
    lines = mapping.lines
    while True:
        event = get_event()
        kind = type(event)
        if kind is MappingEndEvent:
            return mapping
        key_line = event.start_mark.line + 1 + line_offset
        if kind is not ScalarEvent:
            if kind is AliasEvent:
                raise YamlProblem("yaml-alias", _ALIAS_MESSAGE, key_line)
            if event.anchor is not None:
                raise YamlProblem("yaml-alias", _ANCHOR_MESSAGE, key_line)
            if event.tag not in (None, "!", MAP_TAG if kind is MappingStartEvent else SEQ_TAG):
                raise YamlProblem("yaml-syntax", f"YAML tag '{event.tag}' is not allowed in spec files; remove it", key_line)
            raise YamlProblem("yaml-syntax", "a mapping key must be plain text", key_line)
        if event.anchor is not None:
            raise YamlProblem("yaml-alias", _ANCHOR_MESSAGE, key_line)
        key = intern(event.value)  # field names stay text, never booleans or dates
        if key in lines:
            raise YamlProblem(
                "duplicate-key",
                f"key '{key}' appears twice (lines {lines[key]} and {key_line}); "
                "YAML would silently keep only the last one — remove or rename one",
                key_line,
            )
        lines[key] = key_line
        event = get_event()
        if type(event) is ScalarEvent and event.anchor is None:
            value = event.value
            if event.tag is None and (not event.implicit[0] or value[:1] not in _RESOLVABLE_FIRST):
                # Text that needs no resolving, the usual value: inline, no call.
                mapping[key] = intern(value) if len(value) <= 40 else value
                continue
            value, is_text = _scalar(event, event.start_mark.line + 1 + line_offset)  # type: ignore[union-attr]  # a parser's events always carry marks
            if not is_text:
                # The source text of a scalar YAML turned into something other
                # than text (`NO` -> False, `1.10` -> 1.1), so a finding can quote it.
                mapping.raw[key] = event.value
        else:
            value = _value(event, get_event, line_offset, depth)
        mapping[key] = value


def _sequence(line: int, get_event: Any, line_offset: int, depth: int) -> Sequence:
    sequence = Sequence([], line, [], {})
    lines = sequence.lines
    append = sequence.append
    while True:
        event = get_event()
        kind = type(event)
        if kind is SequenceEndEvent:
            return sequence
        item_line = event.start_mark.line + 1 + line_offset
        if kind is ScalarEvent and event.anchor is None:
            value = event.value
            if event.tag is None and (not event.implicit[0] or value[:1] not in _RESOLVABLE_FIRST):
                lines.append(item_line)  # text that needs no resolving: inline, as in _mapping
                append(intern(value) if len(value) <= 40 else value)
                continue
            value, is_text = _scalar(event, item_line)
            if not is_text:
                sequence.raw[len(sequence)] = event.value
        else:
            value = _value(event, get_event, line_offset, depth)
        lines.append(item_line)
        append(value)


# --- the plain shape, read without libyaml --------------------------------------------
# Nearly every spec file is one block mapping of `key: value` lines: plain or
# quoted text, `|`/`>` blocks, lists of ids, a list of small mappings. libyaml
# builds a Python event object per token for those; reading their lines
# directly costs a fraction. The grammar below is deliberately narrow: any line
# it does not know, and every character or construct whose reading is subtle
# (tabs, CR, NEL and the other line breaks, control characters, a byte order
# mark, `---`, anchors, aliases, tags, flow mappings, escapes but \" and \\,
# multi-line plain or quoted scalars, explicit block indentation, duplicate keys), sends the
# whole file to the loader above — which also words every error. A plain
# scalar that YAML 1.1 would type (`9`, `2026-01-05`, `no`, `~`) is resolved
# and built by the same `_resolve_plain` and `_typed` as there.


class _NotPlain(Exception):
    """The text leaves the plain shape: the libyaml loader reads the file."""


# Everything but LF and the characters libyaml reads as plain content on a line.
_NOT_PLAIN_CHARACTER = re.compile("[^\n -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_ASCII_CONTROLS = bytes(range(0x20)).replace(b"\n", b"") + b"\x7f"
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]{0,127}):(?: +|$)")  # libyaml: a key is at most 1024 characters
_KEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")
# Field names seen, each once as text: `id`, `title`, … in every file.
_PLAIN_KEYS: dict[str, str] = {}
_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'(?: +(?:#.*)?)?$")
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\["\\])*)"(?: +(?:#.*)?)?$')  # escapes: only \" and \\
_QUOTE_ESCAPE = re.compile(r'\\(["\\])')
_FLOW_LIST = re.compile(r"\[([^\[\]{}#'\":]*)\](?: +(?:#.*)?)?$")
_BLOCK_HEADER = re.compile(r"([|>])([+-]?)(?: +(?:#.*)?)?$")
# A plain scalar starting with one of these is an indicator, or reads subtly: not plain.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# A value starting with none of these (nor empty) is text that needs no resolving.
_NOT_SIMPLE_FIRST = _INDICATORS | _RESOLVABLE_FIRST
_PLAIN_MAX_DEPTH = 8


def _load_plain(text: str, line_offset: int) -> Mapping | None:
    """The file's top-level mapping when the text is in the plain shape, else None.

    Equal to what the libyaml loader gives (values, types, `lines`, `line`, `raw`);
    tests/test_yaml_plain.py holds the two side by side.
    """
    if text.isascii():
        # The common case, checked at C speed: no control character but LF.
        if len(text.encode().translate(None, _ASCII_CONTROLS)) != len(text):
            return None
    elif _NOT_PLAIN_CHARACTER.search(text) is not None:
        return None
    lines = text.split("\n")
    broken = lines[-1] == ""  # the last line ends with a line break
    if broken:
        lines.pop()
    try:
        start = _next_content(lines, 0)
        if start == len(lines):
            return None  # only comments: the loader says what an empty file is
        line = lines[start]
        indent = len(line) - len(line.lstrip(" "))
        mapping, end = _plain_mapping(lines, broken, start, indent, line[indent:], line_offset, 0)
        if end != len(lines):
            return None  # something left of the mapping's column after it
        return mapping
    except _NotPlain:
        return None


def _next_content(lines: list[str], index: int) -> int:
    """The index of the first line from `index` that is neither blank nor a comment."""
    count = len(lines)
    while index < count:
        body = lines[index].lstrip(" ")
        if body and body[0] != "#":
            return index
        index += 1
    return index


def _plain_mapping(lines: list[str], broken: bool, index: int, indent: int, body: str, offset: int, depth: int) -> tuple[Mapping, int]:
    """The block mapping whose first key starts `body` (line `index`, column `indent`),
    and the index of the first line after it."""
    if depth >= _PLAIN_MAX_DEPTH:
        raise _NotPlain
    mapping = Mapping()
    mapping.line = index + 1 + offset
    key_lines = mapping.lines
    count = len(lines)
    known = _PLAIN_KEYS
    read_lines = _READ_LINES
    while True:
        found = read_lines.get(body)
        if found is not None:
            # `priority: must`, `owner: Li Wei`: a line read before, as it was read then
            key, value, raw = found
            if key in key_lines:
                raise _NotPlain  # the loader names both lines
            index += 1
            key_lines[key] = index + offset
            mapping[key] = value
            if raw is not None:
                mapping.raw[key] = raw
        else:
            key, separator, rest = body.partition(": ")
            if not separator:
                if body[-1] != ":":
                    raise _NotPlain
                key = body[:-1]
            elif rest[:1] == " ":
                rest = rest.lstrip(" ")
            name = known.get(key)
            if name is None:
                if _KEY_NAME.fullmatch(key) is None:
                    raise _NotPlain
                name = intern(key)
                if len(known) < _RESOLVED_LIMIT:
                    known[name] = name
            key = name
            if key in key_lines:
                raise _NotPlain  # the loader names both lines
            index += 1
            key_lines[key] = index + offset
            first = rest[:1]
            if first not in _INDICATORS and rest:
                # A plain scalar, the usual value: inline, as in _mapping.
                cut = rest.find(" #")
                if cut >= 0:
                    rest = rest[:cut]
                if rest[-1] == " ":
                    rest = rest.rstrip(" ")
                if ": " in rest or rest[-1] == ":":
                    raise _NotPlain  # a mapping inside a value: the loader explains
                if first not in _RESOLVABLE_FIRST:
                    value = intern(rest) if len(rest) <= 40 else rest
                    raw = None
                else:
                    value, is_text = _plain_value(rest)
                    raw = None if is_text else rest
                    if raw is not None:
                        mapping.raw[key] = raw
                mapping[key] = value
                if len(body) <= _READ_LINE_LENGTH and len(read_lines) < _READ_LINE_LIMIT:
                    read_lines[body] = (key, value, raw)
            elif first == "[":
                mapping[key] = Sequence([], index + offset, [], {}) if rest == "[]" else _plain_flow_list(rest, index + offset)
            elif not rest or first == "#":
                value, index = _plain_nested(lines, broken, index, indent, offset, depth)
                if value is _EMPTY:
                    value, is_text = _plain_value("")
                    if not is_text:
                        mapping.raw[key] = ""
                mapping[key] = value
            elif first == "|" or first == ">":
                mapping[key], index = _plain_block(lines, broken, index, indent, rest)
            else:
                mapping[key] = _plain_quoted(rest)
        # the next key, at this mapping's column; a line left of it ends the mapping
        while index < count:
            line = lines[index]
            if line[:1] > " " and line[0] != "#":  # the usual next line: a key at column 0
                if indent:
                    return mapping, index
                body = line
                break
            body = line.lstrip(" ")
            if body and body[0] != "#":
                column = len(line) - len(body)
                if column < indent:
                    return mapping, index
                if column > indent:
                    raise _NotPlain  # a continued plain scalar, or worse
                break
            index += 1
        else:
            return mapping, index


# Lines `key: plain scalar` read before (their text after the indentation), with what each
# read as: (key, value, the text written when YAML typed it, else None). A line reads the
# same wherever it stands (only the lines after it decide whether the mapping goes on),
# and every value a plain scalar reads as is immutable: shared safely. Short lines only:
# `priority: must` and `owner: Li Wei` recur in thousands of files, a title seldom twice.
_READ_LINES: dict[str, tuple[str, Any, str | None]] = {}
_READ_LINE_LIMIT = 20_000
_READ_LINE_LENGTH = 24


_EMPTY = object()  # `key:` with nothing under it


def _plain_nested(lines: list[str], broken: bool, index: int, indent: int, offset: int, depth: int) -> tuple[Any, int]:
    """The value of `key:` with nothing after it on its line: the block list or
    mapping on the lines below, or _EMPTY."""
    found = index
    count = len(lines)
    while found < count:
        line = lines[found]
        body = line.lstrip(" ")
        if body and body[0] != "#":
            break
        found += 1
    else:
        return _EMPTY, index
    column = len(line) - len(body)
    is_item = body[0] == "-" and (len(body) == 1 or body[1] == " ")
    if column < indent or (column == indent and not is_item):
        return _EMPTY, index
    if is_item:
        return _plain_sequence(lines, broken, found, column, column == indent, offset, depth + 1)
    return _plain_mapping(lines, broken, found, column, body, offset, depth + 1)


def _plain_sequence(lines: list[str], broken: bool, index: int, indent: int, indentless: bool, offset: int, depth: int) -> tuple[Sequence, int]:
    """The block list whose first `-` is at line `index`, column `indent`, and the index after it."""
    if depth >= _PLAIN_MAX_DEPTH:
        raise _NotPlain
    first_line = index + 1 + offset
    items: list[Any] = []
    item_lines: list[int] = []
    raw: dict[int, str] = {}
    count = len(lines)
    while True:
        line = lines[index]
        body = line[indent:]
        if not (body[:2] == "- " or body == "-"):
            if indentless:
                break  # the next key of the mapping around it
            raise _NotPlain
        rest = body[1:].lstrip(" ")
        item_lines.append(index + 1 + offset)
        if ":" in rest and _KEY.match(rest) is not None:
            value, index = _plain_mapping(lines, broken, index, len(line) - len(rest), rest, offset, depth + 1)
            items.append(value)
        else:
            if rest[:1] not in _NOT_SIMPLE_FIRST:
                cut = rest.find(" #")
                if cut >= 0:
                    rest = rest[:cut]
                if rest[-1] == " ":
                    rest = rest.rstrip(" ")
                if ": " in rest or rest[-1] == ":":
                    raise _NotPlain
                items.append(intern(rest) if len(rest) <= 40 else rest)
            elif rest[:1] == "|" or rest[:1] == ">":
                block, index = _plain_block(lines, broken, index + 1, indent, rest)
                items.append(block)
                index -= 1  # the line after the block is looked at from the next line on
            else:
                if not rest or rest[0] in "#[":
                    raise _NotPlain  # an empty item, a value on the lines below, or a flow list
                value, is_text = _plain_inline(rest)
                if not is_text:
                    raw[len(items)] = _plain_text(rest)
                items.append(value)
            index += 1
            while index < count:
                rest = lines[index].lstrip(" ")
                if rest and rest[0] != "#":
                    break
                index += 1
        if index == count:
            break
        line = lines[index]
        body = line.lstrip(" ")
        column = len(line) - len(body)
        if column < indent:
            break
        if column > indent:
            raise _NotPlain
    return Sequence(items, first_line, item_lines, raw), index


def _plain_inline(rest: str) -> tuple[Any, bool]:
    """(value, whether it is text) of a quoted or plain scalar that fills the rest of its line."""
    first = rest[0]
    if first == "'" or first == '"':
        return _plain_quoted(rest), True
    if first in _INDICATORS:
        raise _NotPlain
    return _plain_value(_plain_text(rest))


def _plain_quoted(rest: str) -> str:
    """A quoted scalar that fills the rest of its line: one line, single quotes, or double
    quotes whose only escapes are \\" and \\\\."""
    first = rest[0]
    if first == "'":
        match = _SINGLE_QUOTED.match(rest)
        if match is None:
            raise _NotPlain  # more than one line, or something after the quote
        value = match.group(1).replace("''", "'")
    elif first == '"':
        match = _DOUBLE_QUOTED.match(rest)
        if match is None:
            raise _NotPlain  # another escape, more than one line, or something after the quote
        value = match.group(1)
        if "\\" in value:
            value = _QUOTE_ESCAPE.sub(r"\1", value)
    else:
        raise _NotPlain  # an anchor, alias, tag, flow mapping or other indicator
    return intern(value) if len(value) <= 40 else value


def _plain_text(rest: str) -> str:
    """A plain scalar's text: up to a comment, without the blanks at its end."""
    cut = rest.find(" #")
    value = (rest if cut < 0 else rest[:cut]).rstrip(" ")
    if ": " in value or value[-1:] == ":":
        raise _NotPlain  # a mapping inside a value: the loader explains
    return value


def _plain_value(value: str) -> tuple[Any, bool]:
    """(value, whether it is text) of a plain scalar's text, as `_scalar` gives it."""
    if value[:1] not in _RESOLVABLE_FIRST:
        return (intern(value) if len(value) <= 40 else value), True
    found = _PLAIN_READ.get(value)
    if found is not None:
        return found
    tag = _RESOLVED.get(value) or _resolve_plain(value)
    if tag == STR_TAG:
        read: tuple[Any, bool] = (intern(value) if len(value) <= 40 else value), True
    elif tag not in _SCALAR_TAGS:
        raise _NotPlain  # `=`, `<<`: refused by the loader, with its message
    else:
        read = _typed(tag, value, None, None)
    if len(value) <= 40 and len(_PLAIN_READ) < _RESOLVED_LIMIT:
        _PLAIN_READ[value] = read  # every type a scalar may have is immutable: shared safely
    return read


# `x-effort: 3`, `received: 2026-01-05`: the same few texts in thousands of files, each built once.
_PLAIN_READ: dict[str, tuple[Any, bool]] = {}


def _plain_flow_list(rest: str, line: int) -> Sequence:
    """`[a, b]` on one line, of plain scalars."""
    match = _FLOW_LIST.match(rest)
    if match is None:
        raise _NotPlain
    inner = match.group(1)
    if "," not in inner:  # one item, or none
        value = inner.strip(" ")
        if not value:
            return Sequence([], line, [], {})
        if value[0] not in _NOT_SIMPLE_FIRST:
            return Sequence([intern(value) if len(value) <= 40 else value], line, [line], {})
        texts = [value]
    else:
        texts = [text.strip(" ") for text in inner.split(",")]
    items: list[Any] = []
    raw: dict[int, str] = {}
    for value in texts:
        if value[:1] not in _NOT_SIMPLE_FIRST:
            items.append(intern(value) if len(value) <= 40 else value)
            continue
        if not value or value[0] in _INDICATORS:
            raise _NotPlain  # `[a, , b]`, `[a,]`, `[-a]`, `[?a]`
        item, is_text = _plain_value(value)
        if not is_text:
            raw[len(items)] = value
        items.append(item)
    return Sequence(items, line, [line] * len(items), raw)


def _plain_block(lines: list[str], broken: bool, index: int, parent: int, header: str) -> tuple[str, int]:
    """A `|` or `>` block scalar (header on the line before `index`) inside a collection at
    column `parent`, and the index of the first line after it: libyaml's scan_block_scalar."""
    match = _BLOCK_HEADER.match(header)
    if match is None:
        raise _NotPlain  # an indentation indicator, or something after the header
    folded = match.group(1) == ">"
    chomping = match.group(2)
    count = len(lines)
    last = count - 1
    if index < last:
        # The usual block: one line, then a non-blank line left of it.
        line = lines[index]
        body = line.lstrip(" ")
        after = lines[index + 1].lstrip(" ")
        if body and after and len(lines[index + 1]) - len(after) <= parent < len(line) - len(body):
            value = body if chomping == "-" else body + "\n"
            return (intern(value) if len(value) <= 40 else value), index + 1
    # The block's indentation: the first non-blank line's. Blank lines before it
    # that are longer, or a first line that is not right of the parent, read subtly.
    longest = 0
    first = index
    while first < count:
        line = lines[first]
        if line.strip(" "):
            break
        if first == last and not broken:
            raise _NotPlain  # blanks at the end of a file without a final line break
        longest = max(longest, len(line))
        first += 1
    if first == count:
        raise _NotPlain  # an empty block
    line = lines[first]
    indent = len(line) - len(line.lstrip(" "))
    if indent <= parent or longest > indent:
        raise _NotPlain
    chunks: list[str] = []
    leading_break = ""
    trailing_breaks = first - index  # the blank lines before the first line
    leading_blank = False
    index = first
    while index < count:
        line = lines[index]
        if len(line) < indent or line[:indent].strip(" "):
            break  # a line left of the block (blank lines were taken below)
        content = line[indent:]
        trailing_blank = content[:1] == " "
        if folded and leading_break and not leading_blank and not trailing_blank:
            if not trailing_breaks:
                chunks.append(" ")
        else:
            chunks.append(leading_break)
        leading_break = ""
        chunks.append("\n" * trailing_breaks)
        trailing_breaks = 0
        leading_blank = trailing_blank
        chunks.append(content)
        if index == last and not broken:
            index += 1
            break
        leading_break = "\n"
        index += 1
        # blank lines: no longer than the indentation, each with its line break
        while index < count:
            line = lines[index]
            if len(line) > indent or line.strip(" "):
                break
            if index == last and not broken:
                raise _NotPlain
            trailing_breaks += 1
            index += 1
    if chomping != "-":
        chunks.append(leading_break)
        if chomping == "+":
            chunks.append("\n" * trailing_breaks)
    value = "".join(chunks)
    return (intern(value) if len(value) <= 40 else value), index


def decode_text(data: bytes) -> str:
    """UTF-8 text of a file, or a YamlProblem saying where it is not UTF-8."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if data.find(b"\x00", 0, 8192) >= 0:  # in the first 8 KiB, without copying them
        raise YamlProblem("not-utf8", "binary file, not UTF-8 text; remove it or move it out of the spec folders", 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            "not-utf8",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); "
            "save the file as UTF-8",
            line,
        ) from None


def load_yaml(text: str, *, line_offset: int = 0) -> Any:
    """Parse one YAML document from text; raise YamlProblem with a line on any trouble."""
    plain = _load_plain(text, line_offset)
    if plain is not None:
        return plain
    return _load_libyaml(text, line_offset)


def _load_libyaml(text: str, line_offset: int) -> Any:
    """load_yaml through libyaml's events: any YAML, and the message for every error."""
    parser = _CParser(text)
    try:
        return _build(parser, line_offset)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if mark is not None and "\t" in _line_text(text, mark.line):
            hint = " (tabs cannot indent YAML; use spaces)"
        elif "expected a single document" in str(exc):
            problem = "more than one YAML document (---) in the file"
        raise YamlProblem("yaml-syntax", f"YAML syntax error: {problem}{hint}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("yaml-syntax", f"YAML error: {exc}", None) from None
    finally:
        parser.dispose()


def _line_text(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def split_front_matter(text: str) -> tuple[str, int, str]:
    """Split Markdown with YAML front matter into (yaml text, its first line, body).

    Raises YamlProblem when the front matter is missing or never closed.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise YamlProblem(
            "front-matter",
            "no YAML front matter: the file must start with a line '---', "
            "the meeting's fields, and another '---'",
            1,
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return "".join(lines[1:index]), 1, "".join(lines[index + 1 :])
    raise YamlProblem(
        "front-matter",
        "the YAML front matter is never closed: add a line '---' after the meeting's fields",
        1,
    )


try:  # libyaml's emitter is about 7x faster: a 10,000-requirement manifest in 0.2 s, not 1.5 s
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _BlockDumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Writes multi-line text as `|` blocks, so signatures and statements stay readable."""


def _represent_text(dumper: Any, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_text)


class FlowList(list):  # type: ignore[type-arg]
    """A list that dump_yaml writes on one line, `[REQ-1, RQ-7]`: for lists of ids."""


_BlockDumper.add_representer(FlowList, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True))


def dump_yaml(data: dict[str, Any], *, header: str = "") -> str:
    """YAML text for a file reqtrace writes itself (manifests, sign-offs), keys in the given order.

    The result is read back and compared, so what is written is what will be read.
    """
    text = yaml.dump(
        data,
        Dumper=_BlockDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,
    )
    if load_yaml(text) != data:  # pragma: no cover - a bug in how the data was built
        raise ValueError("YAML written by reqtrace does not read back the same")
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + text

# Scalars that YAML 1.1 reads back as the same text when written plain: a letter first, then
# letters, digits and `_./-` (no space, no `: `, no `#`), and none of the words it reads as
# true/false/null. Plus the digests reqtrace writes.
# Also a git object id: YAML reads hex digits as text unless all are digits (a number) or
# they spell a binary number (`0b` and ones and zeros).
_PLAIN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*|sha256:[0-9a-f]{64}|(?![0-9]+$)(?!0b[01]+$)[0-9a-f]{40}(?:[0-9a-f]{24})?")
_NOT_TEXT = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def dump_yaml_rows(data: dict[str, Any], key: str, rows: list[dict[str, str]], *, header: str = "") -> str:
    """`dump_yaml({**data, key: rows}, header=header)`, byte for byte, with the rows (a long list
    of small mappings of text, such as a manifest's requirements) written directly.

    libyaml's emitter and the read-back check cost about 0.4 s for 10,000 rows; rows whose
    every value is plain-safe text (`_PLAIN_TEXT`) read back as written by construction.
    Anything else goes through dump_yaml as a whole.
    """
    lines = []
    for row in rows:
        prefix = "- "
        for name, value in row.items():
            if not isinstance(value, str) or _PLAIN_TEXT.fullmatch(value) is None or value.lower() in _NOT_TEXT or _PLAIN_TEXT.fullmatch(name) is None or name.lower() in _NOT_TEXT:
                return dump_yaml({**data, key: rows}, header=header)
            lines.append(f"{prefix}{name}: {value}\n")
            prefix = "  "
        if prefix == "- ":  # an empty mapping
            return dump_yaml({**data, key: rows}, header=header)
    if not lines or key in data:
        return dump_yaml({**data, key: rows}, header=header)
    head = dump_yaml(data, header=header) if data else "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    written_key = yaml.dump({key: None}, Dumper=_BlockDumper, allow_unicode=True, width=4096).split(":")[0]
    if written_key != key or head.endswith("{}\n"):
        return dump_yaml({**data, key: rows}, header=header)
    return head + f"{key}:\n" + "".join(lines)


# ---------------------------------------------------------------- round-trip editing


def _ruamel():  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML  # imported here: only the commands that write need it

    return YAML


def _round_trip_document(text: str) -> Any:
    """The file's top-level mapping as ruamel.yaml's round-trip CommentedMap, or YamlProblem."""
    from ruamel.yaml.error import YAMLError

    try:
        document = _round_trip().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlProblem("yaml-syntax", f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", mark.line + 1 if mark else None) from None
    if not hasattr(document, "lc") or not isinstance(document, dict):
        raise YamlProblem("schema", "the file is not a YAML mapping (key: value lines)", 1)
    return document


def _block_mapping(value: dict[str, Any], flow_lists: tuple[str, ...]) -> Any:
    """`value` as a ruamel.yaml CommentedMap: lists named in flow_lists as [a, b], and text
    that YAML 1.1 would read as something else (`NO`, `1.10`, `2026-01-05`) quoted.

    ruamel.yaml writes YAML 1.2, where a plain `NO` is text; reqtrace reads
    YAML 1.1 (PyYAML), where it is False. A name or note given on the command
    line must read back as the text it was.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    def text(item: Any) -> Any:
        if isinstance(item, str) and item and "\n" not in item and _resolve_plain(item) != STR_TAG:
            return DoubleQuotedScalarString(item)
        return item

    mapping = CommentedMap()
    for name, item in value.items():
        if isinstance(item, list | tuple):
            seq = CommentedSeq(text(element) for element in item)
            if name in flow_lists:
                seq.fa.set_flow_style()
            mapping[name] = seq
        else:
            mapping[name] = text(item)
    return mapping


def render_block(key: str, value: dict[str, Any], *, flow_lists: tuple[str, ...] = ()) -> str:
    """`key:` and its mapping as block YAML (ruamel.yaml), lists named in flow_lists as [a, b]."""
    import io

    yaml_rt = _ruamel()(typ="rt")
    yaml_rt.width = 4096  # never fold a reason over two lines
    yaml_rt.allow_unicode = True
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml_rt.dump({key: _block_mapping(value, flow_lists)}, buffer)
    return buffer.getvalue()


def _block_end(lines: list[str], start: int, stop: int) -> int:
    """The line after the last line that belongs to the block starting at `start` (before `stop`)."""
    end = start + 1
    for index in range(start + 1, stop):
        line = lines[index]
        stripped = line.strip()
        if stripped and (line[0] in " \t" or stripped.startswith("- ")  or stripped == "-"):
            end = index + 1  # indented content (and indented comments) belong to the block
        elif stripped and not stripped.startswith("#"):
            break
    return end


_DOCUMENT_END = re.compile(r"^\.\.\.(?:[ \t]|$)")


def set_top_level_block(text: str, key: str, value: dict[str, Any], *, insert_before: tuple[str, ...] = (),
                        flow_lists: tuple[str, ...] = ()) -> str:
    """The text with top-level `key:` replaced by `value` (or added), every other byte unchanged.

    ruamel.yaml finds where each top-level key stands and renders the new block;
    the rest of the file — comments, key order, quoting, blank lines, line
    endings, a `---` start or `...` end marker — is copied through as it was.
    A new block goes before the first key named in `insert_before` that the
    file has, else at the end of the document.

    A file written as one flow mapping (`{id: RQ-1, title: x}`) has no lines of
    its own per key to keep: it is rewritten by ruamel.yaml as block YAML
    (`id: RQ-1` lines), which keeps every value but not the flow layout, nor
    comments inside the braces. Either way, the other fields must read back
    exactly as before, else YamlProblem and nothing is to be written.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    document = _round_trip_document(body)
    newline = "\r\n" if "\r\n" in body else "\n"
    if document.fa.flow_style():
        result = _set_in_flow_document(body, document, key, value, insert_before, flow_lists).replace("\n", newline)
    else:
        result = _set_in_block_document(body, document, key, value, insert_before, flow_lists, newline)
    _check_others_unchanged(body, result, key)
    return bom + result


def _set_in_block_document(body: str, document: Any, key: str, value: dict[str, Any], insert_before: tuple[str, ...],
                           flow_lists: tuple[str, ...], newline: str) -> str:
    keys = [(str(name), document.lc.key(name)[0]) for name in document]
    lines = body.splitlines(keepends=True)
    block = render_block(key, value, flow_lists=flow_lists).replace("\n", newline)
    positions = dict(keys)
    last_key = max((line for _, line in keys), default=-1)
    # A `...` document end marker closes the mapping: nothing may follow it.
    document_end = next((i for i in range(last_key + 1, len(lines)) if _DOCUMENT_END.match(lines[i])), len(lines))
    if key in positions:
        start = positions[key]
        following = [line for _, line in keys if line > start]
        end = _block_end(lines, start, min(following) if following else document_end)
        return "".join(lines[:start] + [block] + lines[end:])
    anchor = next((positions[name] for name in insert_before if name in positions), None)
    if anchor is not None:
        # Keep comment lines that sit right above the anchor key with it.
        while anchor > 0 and lines[anchor - 1].lstrip().startswith("#") and not lines[anchor - 1][0].isspace():
            anchor -= 1
        return "".join(lines[:anchor] + [block] + lines[anchor:])
    head, tail = lines[:document_end], lines[document_end:]
    if head and not head[-1].endswith(("\n", "\r")):
        head[-1] += newline
    return "".join([*head, block, *tail])


def _set_in_flow_document(body: str, document: Any, key: str, value: dict[str, Any], insert_before: tuple[str, ...],
                          flow_lists: tuple[str, ...]) -> str:
    """`body`, a single flow mapping, rewritten as block YAML with `key` set (see set_top_level_block).

    ruamel.yaml cannot keep a flow mapping's layout once a key changes, and
    puts comments from inside the braces in odd places when it turns the
    mapping into block style. So the lines before the mapping (comments, a
    `---` line) are kept as they were, every comment from inside it is kept
    as a line above the fields, and the fields are written as block YAML.
    """
    import io

    block = _block_mapping(value, flow_lists)
    _drop_comments(document)
    document.fa.set_block_style()
    if key in document:
        document[key] = block
    else:
        names = list(document)
        anchor = next((names.index(name) for name in insert_before if name in document), None)
        if anchor is None:
            document[key] = block
        else:
            document.insert(anchor, key, block)
    lines = body.splitlines(keepends=True)
    kept = 0
    while kept < len(lines) and (not lines[kept].strip() or lines[kept].lstrip().startswith(("#", "%"))):
        kept += 1
    marker_line = kept < len(lines) and re.match(r"---[ \t]*(?:#.*)?$", lines[kept].rstrip("\r\n")) is not None
    if marker_line:
        kept += 1
    preamble = [line if line.endswith("\n") else line + "\n" for line in lines[:kept]]
    comment_lines = [text + "\n" for text in _comments_in("".join(lines[kept:]))]
    yaml = _round_trip()
    # `--- {id: …}` on one line: keep the start marker, which ruamel.yaml drops unless told.
    yaml.explicit_start = not marker_line and any(line.startswith("---") for line in lines[kept:kept + 1])
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return "".join([*preamble, *comment_lines, buffer.getvalue()])


def _drop_comments(item: Any) -> None:
    """Remove the comments ruamel.yaml attached to `item` and below (it would misplace them)."""
    attached = getattr(item, "ca", None)
    if attached is not None:
        attached.comment = None
        attached.items.clear()
        attached.end = []
    for child in item.values() if isinstance(item, dict) else item if isinstance(item, list) else ():
        _drop_comments(child)


def _comments_in(text: str) -> list[str]:
    """Every `# comment` in YAML text, in order: each '#' after a blank or at a line start that no token covers."""
    covered: list[tuple[int, int]] = []
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.ScalarToken):
            covered.append((token.start_mark.index, token.end_mark.index))
    found = []
    offset = 0
    for line in text.splitlines(keepends=True):
        for match in re.finditer(r"(?:^|(?<=[ \t]))#", line):
            at = offset + match.start()
            if not any(start <= at < end for start, end in covered):
                found.append(line[match.start():].rstrip("\r\n").rstrip())
                break
        offset += len(line)
    return found


def _check_others_unchanged(old: str, new: str, key: str) -> None:
    """YamlProblem unless every top-level field but `key` reads back from `new` as from `old`, in order."""
    before = load_yaml(old)
    after = load_yaml(new)
    if not isinstance(after, dict) or [(k, v) for k, v in before.items() if k != key] != [(k, v) for k, v in after.items() if k != key]:
        raise YamlProblem("reformat", f"writing the {key} block would change other fields of the file; add it by hand", 1)


# --- writing and editing YAML that people also edit --------------------------------------
# ruamel.yaml's round-trip mode keeps comments, key order and quoting. It is
# imported only by the commands that write (ingest), never on the read path.


def _round_trip():  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a user's long line
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_round_trip(text: str) -> Any:
    """The document as ruamel.yaml's round-trip data, which knows each value's line and column."""
    return _round_trip().load(text)


_FLOW_SAFE = re.compile(r"^<?[A-Za-z0-9][A-Za-z0-9_.:@/+=$%-]*>?$")


def _flow_lists(value: Any) -> Any:
    """Lists of plain values on one line (`to: [a, b]`), lists of mappings as blocks."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _flow_lists(item)
        return mapping
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_flow_lists(item) for item in value)
        # Only ids go on one line: free text in a flow list can start with '?'
        # or hold ', ' and then reads back differently.
        if all(isinstance(item, str) and _FLOW_SAFE.match(item) for item in value):
            seq.fa.set_flow_style()
        return seq
    return value


def edit_yaml_mapping(text: str, *, add_missing: dict[str, Any] | None = None, extend: dict[str, list[Any]] | None = None) -> str | None:
    """The text with keys added and list items appended, or None when nothing changes.

    Never rewrites what the user wrote: only the keys it changes may differ, and
    if ruamel would reformat any other line, YamlProblem is raised instead of
    writing. A key the user made something other than a list is left alone.
    Line endings (CRLF) and a byte order mark are kept as the file had them:
    ruamel.yaml reads both but always writes '\n' and no mark.
    """
    import difflib
    import io

    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError as RuamelError
    from ruamel.yaml.util import load_yaml_guess_indent

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom):]
    newline = "\r\n" if "\r\n" in text else "\n"
    yaml = _round_trip()
    try:
        # Write lists the way this file already does (`- a` under the key, or indented).
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
        if indent and block_seq_indent is not None:
            yaml.indent(mapping=indent, sequence=max(indent, block_seq_indent + 2), offset=block_seq_indent)
        data = yaml.load(text)
    except RuamelError as exc:
        raise YamlProblem("yaml-syntax", f"cannot edit: {exc}".splitlines()[0]) from None
    if not isinstance(data, CommentedMap):
        raise YamlProblem("schema", "cannot edit: the file does not hold a mapping")
    # Where each key the user wrote starts (0-based), before anything changes.
    starts = sorted((data.lc.key(key)[0], key) for key in data)
    changed: list[str] = []
    for key, items in (extend or {}).items():
        current = data.get(key)
        if current is None:
            if items:
                data[key] = _flow_lists(list(items))
                changed.append(key)
        elif isinstance(current, list):
            new = [item for item in items if item not in current]
            if new:
                if not current and hasattr(current, "fa"):
                    current.fa.set_flow_style()  # `thread: []` stays on one line
                current.extend(new)
                changed.append(key)
    for key, value in (add_missing or {}).items():
        if key not in data:
            data[key] = _flow_lists(value)
            changed.append(key)
    if not changed:
        return None
    stream = io.StringIO()
    yaml.dump(data, stream)
    result = stream.getvalue()
    # Lines of keys that were not changed must come out exactly as they went in.
    old_lines = text.splitlines()
    spans = []
    for index, (line, key) in enumerate(starts):
        if key in changed:
            end = starts[index + 1][0] if index + 1 < len(starts) else len(old_lines)
            spans.append((line, end))
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, old_lines, result.splitlines(), autojunk=False).get_opcodes():
        if tag in ("replace", "delete") and not any(start <= i1 and i2 <= end for start, end in spans):
            raise YamlProblem("reformat", f"cannot add {', '.join(changed)} without reformatting line {i1 + 1}; add it by hand", i1 + 1)
    if newline != "\n":
        # ruamel.yaml keeps the '\r' of CRLF inside the comments it copies: normalise first.
        result = result.replace("\r\n", "\n").replace("\n", newline)
    return bom + result



def rename_nested_keys(text: str, renames: dict[str, tuple[str, str]]) -> str | None:
    """The text with `old:` renamed to `new:` inside each top-level block named in `renames`
    ({"decision": ("on", "when")}), every other byte unchanged; None when nothing is renamed.

    Only the key's own characters change (a quoted `"on"` becomes a plain `when`),
    so comments, quoting, layout and line endings stay as the user wrote them. A
    block that already has `new` keeps it, and its `old` is left for the user to
    remove: which of two values is meant is theirs to say. The result must read
    back as the same data with the keys renamed, else YamlProblem.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    document = _round_trip_document(body)
    lines = body.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # line, start column, end column, new key
    expected = load_yaml(body)
    for block_name, (old, new) in renames.items():
        block = document.get(block_name)
        if not isinstance(block, dict) or old not in block or new in block or not hasattr(block, "lc"):
            continue
        line, column = block.lc.key(old)
        source = lines[line]
        quote = source[column] if column < len(source) and source[column] in "'\"" else ""
        end = column + len(old) + 2 * len(quote)
        if source[column:end] != f"{quote}{old}{quote}":  # pragma: no cover - ruamel's mark is off
            raise YamlProblem("reformat", f"cannot find the key '{old}' of {block_name} where YAML says it is; rename it by hand", line + 1)
        edits.append((line, column, end, new))
        inner = expected[block_name]
        expected[block_name] = type(inner)()
        for key, value in inner.items():
            expected[block_name][new if key == old else key] = value
    if not edits:
        return None
    for line, start, end, new in sorted(edits, reverse=True):
        lines[line] = lines[line][:start] + new + lines[line][end:]
    result = "".join(lines)
    after = load_yaml(result)
    if list(after.items()) != list(expected.items()) or any(list(after[name]) != list(expected[name]) for name in renames if isinstance(after.get(name), dict)):
        raise YamlProblem("reformat", f"renaming {', '.join(old for old, _ in renames.values())} would change other fields of the file; rename it by hand", 1)
    return bom + result


def set_block_in_list_entry(text: str, list_key: str, entry_id: str, key: str, value: dict[str, Any], *, after: str | None = None) -> str:
    """The text with `key:` of the entry `id: entry_id` under top-level `list_key:` set to
    the mapping `value` (added after the entry's key `after`, else at its end), every
    other byte unchanged.

    For files that hold many items (`requirements:` lists). ruamel.yaml finds
    where the entry's keys stand; the new block is rendered at the entry's key
    column and spliced in. Every other field of the file must read back exactly
    as before, else YamlProblem and nothing is to be written.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    newline = "\r\n" if "\r\n" in body else "\n"
    document = _round_trip_document(body)
    entries = document.get(list_key)
    matches = [index for index, entry in enumerate(entries or []) if isinstance(entry, dict) and entry.get("id") == entry_id]
    if len(matches) != 1 or getattr(entries, "fa", None) is None or entries.fa.flow_style() or entries[matches[0]].fa.flow_style():
        raise YamlProblem("schema", f"cannot find one block entry with id '{entry_id}' under '{list_key}'", 1)
    index = matches[0]
    entry = entries[index]
    lines = body.splitlines(keepends=True)
    keys = [(str(name), *entry.lc.key(name)) for name in entry]
    column = keys[0][2]
    if index + 1 < len(entries):
        stop = entries.lc.item(index + 1)[0]
    else:
        names = list(document)
        following = names[names.index(list_key) + 1 :]
        stop = document.lc.key(following[0])[0] if following else len(lines)
    block = "".join(" " * column + line for line in render_block(key, value).splitlines(keepends=True)).replace("\n", newline)

    def end_of(position: int) -> int:
        later = [line for _, line, _ in keys if line > keys[position][1]]
        return min(later) if later else _block_end(lines, keys[position][1], stop)

    names = [name for name, _, _ in keys]
    if key in names:
        position = names.index(key)
        result = "".join(lines[: keys[position][1]] + [block] + lines[end_of(position) :])
    else:
        at = end_of(names.index(after)) if after in names else end_of(len(keys) - 1)
        head = lines[:at]
        if head and not head[-1].endswith(("\n", "\r")):
            head[-1] += newline
        result = "".join(head + [block] + lines[at:])
    before, after_load = load_yaml(body), load_yaml(result)
    before_entries = [dict(e) if isinstance(e, dict) else e for e in before[list_key]]
    after_entries = [dict(e) if isinstance(e, dict) else e for e in after_load[list_key]] if isinstance(after_load, dict) and isinstance(after_load.get(list_key), list) else None
    for mapping in (*before_entries, *(after_entries or ())):
        if isinstance(mapping, dict) and mapping.get("id") == entry_id:
            mapping.pop(key, None)
    unchanged = (
        after_entries == before_entries
        and [(k, v) for k, v in before.items() if k != list_key] == [(k, v) for k, v in after_load.items() if k != list_key]
    )
    if not unchanged:
        raise YamlProblem("reformat", f"writing {key} of {entry_id} would change other fields of the file; add it by hand", 1)
    return bom + result
