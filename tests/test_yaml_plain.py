"""The plain-shape reader (yamlio._load_plain) gives exactly what the libyaml loader
gives — values, types, the line of every key and item, the source of typed scalars —
or leaves the file to it.

Every test holds the two readers side by side: on the repository's own YAML, on
the shapes the benchmark repos are made of, on named edges of the grammar, on
files generated from the grammar and on damaged ones; and the findings a parse
reports (with their lines) are the same whichever reader read the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reqtrace.core.model import Config
from reqtrace.core.parse import parse_meeting, parse_request, parse_requirements
from reqtrace.io import yamlio
from reqtrace.io.yamlio import (
    Mapping,
    Sequence,
    YamlProblem,
    decode_text,
    load_yaml,
    split_front_matter,
)

REPO = Path(__file__).resolve().parent.parent


def _same(fast: Any, full: Any, where: str = "$") -> None:
    assert type(fast) is type(full), f"{where}: {type(fast).__name__} against {type(full).__name__}"
    if isinstance(full, Mapping):
        assert list(fast) == list(full), where
        assert (fast.line, fast.lines, fast.raw) == (full.line, full.lines, full.raw), where
        for key in full:
            _same(fast[key], full[key], f"{where}.{key}")
    elif isinstance(full, Sequence):
        assert (len(fast), fast.line, fast.lines, fast.raw) == (len(full), full.line, full.lines, full.raw), where
        for index, (item, expected) in enumerate(zip(fast, full, strict=True)):
            _same(item, expected, f"{where}[{index}]")
    else:
        assert fast == full, f"{where}: {fast!r} against {full!r}"


def _check(text: str, offset: int = 0) -> Any:
    """The plain reading of `text` when the plain reader takes it (then equal to libyaml's), else None."""
    fast = yamlio._load_plain(text, offset)
    try:
        full = yamlio._load_libyaml(text, offset)
    except YamlProblem as problem:
        assert fast is None, f"the plain reader took a file the loader refuses ({problem.message}): {text!r}"
        return None
    if fast is not None:
        _same(fast, full)
    return fast


def test_every_yaml_file_of_the_repository_reads_the_same_both_ways() -> None:
    files = taken = 0
    for folder in ("tests/data", "examples", "specs"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".md") or not path.is_file():
                continue
            try:
                text, offset = decode_text(path.read_bytes()), 0
                if path.suffix == ".md":
                    text, offset, _body = split_front_matter(text)
            except YamlProblem:
                continue  # no YAML to compare (Markdown without front matter)
            files += 1
            taken += _check(text, offset) is not None
    # Most of them are in the plain shape; the rest (escapes, multi-line scalars) went to libyaml.
    assert files > 900
    assert taken > files * 0.7, (taken, files)


# The shapes of the benchmark repos (bench/repo_shape.py) and the demo: all read plainly.
REQUIREMENT = """\
id: REQ-9165
title: Notify receptionist report
statement: >
  Schedule reminder evening record login confirm payment account. 前台可以查看候诊名单。
acceptance:
  - Cancel account account waiting morning export slot.
  - Queue report password evening export reminder receptionist record.
priority: should
status: approved
parents: [REQ-607, REQ-3257]
sources: []
tags: [notifications]
owner: Li Wei
x-effort: 4
"""
REQUEST = """\
id: RQ-2254
received: 2026-11-15
from: Anna Schmidt <anna.schmidt@customer.example>
channel: email
title: Queue message director waiting
text: |
  Invoice waiting schedule report account message login.
  患者可以在线预约
refs: [REQ-1247]
affects: [REQ-1247, REQ-3267]
claimed: defect
triage:
  classification: change
  confidence: 0.8
  reasons: [changes REQ-1247]
  by: reqtrace
  when: 2026-11-16
decision:
  status: accepted
  as: change
  note: 'agreed in the meeting: see MTG-3'
"""
EMAIL = """\
id: MAIL-000000021b
message_id: <bench-539@customer.example>
date: '2026-12-08T10:00:00+08:00'
from: Anna Schmidt <anna.schmidt@customer.example>
to:
- Li Wei <li.wei@vendor.example>
attachments:
- name: scan.pdf
  type: application/pdf
  size: 1024
subject: 'Calendar record payment'
refs: [RQ-1087, REQ-6655]
"""
MEETING = """\
---
id: MTG-53
date: 2026-06-26
title: Review 53
attendees: [Anna Schmidt, Li Wei, Zhang Min]
refs: [REQ-7876]
decisions:
  - text: Reminder holiday appointment schedule export report evening.
    approves: [RQ-2371]
  - text: >-
      Folded over
      two lines.
    rejects:
    - RQ-12
---
# Review 53

Body text.
"""


@pytest.mark.parametrize("text", [REQUIREMENT, REQUEST, EMAIL], ids=["requirement", "request", "email"])
def test_the_benchmark_shapes_are_read_plainly_and_the_same(text: str) -> None:
    assert _check(text) is not None
    assert _check(text, 7) is not None  # lines counted from an offset, as after front matter


def test_a_meeting_front_matter_is_read_plainly_with_its_lines() -> None:
    front, offset, _body = split_front_matter(MEETING)
    read = _check(front, offset)
    assert read is not None
    assert read.lines["id"] == 2 and read["decisions"].lines == [8, 10]
    assert read["decisions"][1]["text"] == "Folded over two lines."


TAKEN = {
    "comments and blank lines": "# head\n\nid: A  # c\n   # indented comment\n\ntitle: 'x # y'\nnote: a#b c # d\n# tail\n",
    "typed scalars keep their source": "a: 9\nb: 2026-01-05\nc: yes\nd: ~\ne: 1.10\nf: 012\ng: 1:20\nh: 2026-02-30\ni: .nan\nj:\nk: 2001-12-14t21:59:43.10-05:00\nl: NO\n",
    "typed flow items": "a: [1, yes, a b, 2026-01-05, null]\nb: [ ]\nc: [x]\n",
    "typed block items": "a:\n  - 1\n  - on\n  - 'on'\n  - text\n",
    "quotes": "a: 'it''s'\nb: \"say \\\"hi\\\" \\\\ ok\"\nc: ''\nd: \"no\"\ne: '  padded  '  # c\nf: '#'\n",
    "literal blocks": "a: |\n  one\n\n  two\n   more\n\nb: |-\n  x\n\n\nc: |+\n  y\n\n\nd: |\n  last",
    "folded blocks": "a: >\n  one\n  two\n\n  three\n    deeper\n  four\n\n\nb: >-\n  x\n  y\nc: >+\n  z\n\nd: >\n\n  after a blank\n",
    "a block with a comment and a more indented first line": "a: |  # note\n    four\n    spaces\nb: c\n",
    "nested mappings": "triage:\n  by: x\n  when: 2026-01-01\n  deeper:\n    a: b\ndecision:\n  status: accepted\n",
    "indented top level": "  a: b\n  c:\n  - d\n",
    "list of mappings": "d:\n  - text: a\n    refs: [X-1]\n    more:\n      - 1\n  - text: |\n      block\n    n: 2\n",
    "text with non-breaking and wide spaces": "a: \xa0x\nb: 中\u3000文\nc: emoji 😀\n",
}


@pytest.mark.parametrize("text", list(TAKEN.values()), ids=list(TAKEN))
def test_the_grammar_s_shapes_are_read_plainly_and_the_same(text: str) -> None:
    assert _check(text) is not None


LEFT_TO_LIBYAML = {
    "tab": "a: b\tc\n",
    "tab indentation": "a:\n\t- b\n",
    "CRLF": "a: b\r\nc: d\r\n",
    "NEL": "a: b\x85c\n",
    "line separator": "a: b\u2028c\n",
    "byte order mark inside": "a: \ufeffb\n",
    "control character": "a: b\x07\n",
    "document start": "---\na: b\n",
    "document end": "a: b\n...\n",
    "directive": "%YAML 1.1\n---\na: b\n",
    "anchor": "a: &x b\n",
    "alias": "a: *x\n",
    "tag": "a: !!str b\n",
    "merge key": "<<: {a: 1}\n",
    "duplicate key": "a: b\na: c\n",
    "flow mapping": "a: {b: c}\n",
    "flow mapping in a list": "a: [b, {c: d}]\n",
    "multi-line plain scalar": "a: b\n  c\n",
    "multi-line quoted scalar": "a: 'b\n  c'\n",
    "escape": 'a: "b\\tc"\n',
    "explicit indentation": "a: |2\n   x\n",
    "complex key": "? a\n: b\n",
    "list on the key's line": "a: - b\n",
    "empty file": "",
    "only comments": "# only\n",
    "top-level list": "- a\n",
    "top-level text": "just text\n",
    "value tag (=)": "a: =\n",
    "mapping in a value": "a: b: c\n",
    "no space after the colon": "a:b\n",
    "multi-line flow list": "a: [b,\n  c]\n",
    "trailing comma": "a: [b, ]\n",
    "quoted key": "'a': b\n",
    "key with a space": "a b: c\n",
    "empty list item": "a:\n  -\n  - b\n",
    "block whose lines are left of it": "a:\n  b: |\n  x\n",
    "leading blank line longer than the block": "a: |\n     \n  x\n",
    "less indented line after a key": "  a: b\nc: d\n",
}


@pytest.mark.parametrize("text", list(LEFT_TO_LIBYAML.values()), ids=list(LEFT_TO_LIBYAML))
def test_anything_outside_the_grammar_is_left_to_libyaml(text: str) -> None:
    assert yamlio._load_plain(text, 0) is None
    try:
        expected: Any = yamlio._load_libyaml(text, 0)
    except YamlProblem as problem:
        with pytest.raises(YamlProblem) as raised:
            load_yaml(text)
        assert (raised.value.message, raised.value.line) == (problem.message, problem.line)
    else:
        _same(load_yaml(text), expected)


CONFIG = Config(project="t")
BROKEN_REQUIREMENTS = [
    "id: REQ-1\ntitle: T\nstatement: S\npriority: 1.10\nstatus: NO\n",  # typed text fields: "quote it", with lines
    "id: REQ-1\ntitle: T\nstatement: S\nparents: [REQ-2, 3]\ntags: {a: b}\n",
    "id: REQ-1\ntitle:\nstatement: S\nacceptance:\n  - a\n  - 2026-01-05\nx-effort: [1]\n",
    "id: REQ-1\ntitle: T\nstatement: S\nunknwn: 1\nreviewed:\n  REQ-2: sha256:00\n",
    "id: bad id\ntitle: T\n\n\n# comment\nstatement: |\n  S\n",
    "requirements:\n  - id: REQ-1\n    title: T\n    statement: S\n  - id: REQ-2\n    title: 5\n",
    "id: REQ-1\ntitle: T\ntitle: U\n",  # duplicate: libyaml's message and line
]


@pytest.mark.parametrize("text", BROKEN_REQUIREMENTS)
def test_findings_and_their_lines_are_the_same_whichever_reader_read_the_file(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = text.encode()
    plain = parse_requirements("specs/REQ-1.yaml", data, CONFIG)
    monkeypatch.setattr(yamlio, "_load_plain", lambda text, offset: None)
    full = parse_requirements("specs/REQ-1.yaml", data, CONFIG)
    assert plain.findings == full.findings
    assert plain.items == full.items
    assert plain.findings or "bad id" not in text


def test_records_parse_to_the_same_items_whichever_reader_read_them(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = [parse_request("records/requests/RQ-1.yaml", REQUEST.encode(), CONFIG), parse_meeting("records/meetings/MTG-1.md", MEETING.encode(), CONFIG)]
    monkeypatch.setattr(yamlio, "_load_plain", lambda text, offset: None)
    full = [parse_request("records/requests/RQ-1.yaml", REQUEST.encode(), CONFIG), parse_meeting("records/meetings/MTG-1.md", MEETING.encode(), CONFIG)]
    assert [(p.items, p.findings) for p in plain] == [(p.items, p.findings) for p in full]
    assert plain[0].items and plain[1].items[0].decisions[0].line == 8


# ----------------------------------------------------------------- generated files
# Mostly everyday text, with the grammar's edges mixed in: YAML 1.1 typing,
# indicators, comment and mapping markers inside values, quotes, characters
# libyaml treats specially, wide and non-breaking spaces.
_EVERYDAY = ["a", "REQ-1", "Li Wei", "x y", "Text with words.", "中文 text", "a-b_c.d", "Anna <a@b.example>", "x/y", "(note)",
             "50%", "a, b", "a - b", "a:b", "a#b", "it's", 'say "x"', "a  b", "notify", "Yesterday", "1 apple"]
_EDGES = ["no", "No", "on", "OFF", "y", "~", "null", "", " ", "1", "012", "0x1f", "1:20", "1.10", "-1", "+1", ".inf", ".nan",
          "1e3", "1_000", "2026-01-05", "2026-02-30", "2001-12-14 21:59:43.10 -5", "=", "<<", "a: b", "a #b", "#", "- a",
          "-a", "?a", "[a]", "{a}", "'", "''", '"', "\\", "|", ">", "&a", "*a", "!a", "%", "@", "`", "\t", "\xa0",
          "\u3000", "\ufeff", "\x85", "\u2028", "\x07", "😀", "a ", ":"]
# YAML 1.1 would type these, validly: the plain reader must type them as libyaml's loader does.
_TYPED = ["no", "On", "y", "~", "null", "1", "012", "0x1f", "1:20", "1.10", "+1", ".inf", ".nan", "1e3", "1_000", "2026-01-05",
          "2026-02-30", "2001-12-14 21:59:43.10 -5"]
_EVERYDAY_WORD = st.sampled_from(_EVERYDAY * 3 + _TYPED)
_EDGE_WORD = st.sampled_from(_EVERYDAY * 10 + _EDGES)
_NAMES = st.sampled_from(["id", "title", "statement", "status", "x-effort", "a.b", "_k", "on", "yes", "null"])
_KEYS = st.sampled_from(["id", "title", "statement", "status", "x-effort", "a.b", "_k", "on", "yes", "null"] * 4 + ["1a", "k y", "<<", "title"])


def _scalar(text: str, style: str) -> str:
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _texts(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(words, st.tuples(words, words).map("".join))


@st.composite
def _value_lines(draw: Any, indent: int, depth: int, words: st.SearchStrategy[str]) -> list[str]:
    """The lines of one mapping value (the first line follows `key:`)."""
    _TEXT = _texts(words)  # noqa: N806 - reads as the strategy it is
    kinds = ["scalar", "flow", "block"] + (["list", "mapping"] if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    comment = draw(st.sampled_from(["", "", " # c", "  #c"]))
    if kind == "scalar":
        return [" " + _scalar(draw(_TEXT), draw(st.sampled_from(["plain", "plain", "single", "double"]))) + comment]
    if kind == "flow":
        return [" [" + draw(st.sampled_from([", ", ",", " , "])).join(draw(st.lists(_TEXT, max_size=3))) + "]" + comment]
    if kind == "block":
        header = " " + draw(st.sampled_from(["|", ">", "|-", ">-", "|+", ">+"] * 3 + ["|2", ">1-"])) + comment
        inner = indent + draw(st.sampled_from([1, 2, 4]))
        body = [" " * inner + draw(_TEXT)]
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.booleans()):
                body.append(" " * (inner + draw(st.sampled_from([0, 0, 0, 1, 2]))) + draw(_TEXT))
            else:
                body.append(" " * draw(st.sampled_from([0, inner, inner + 3])))
        if draw(st.integers(0, 4)) == 0:
            body.insert(0, " " * draw(st.sampled_from([0, inner, inner + 2])))  # a blank line first
        return [header, *body]
    if kind == "list":
        column = indent + draw(st.sampled_from([0, 2, 3]))
        lines = [comment]
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                lines.append(" " * column + "- " + _scalar(draw(_TEXT), draw(st.sampled_from(["plain", "single"]))))
            else:
                item = draw(_mapping_lines(column + 2, depth + 1, words))
                lines.append(" " * column + "- " + item[0].lstrip(" "))
                lines.extend(item[1:])
        return lines
    return [comment, *draw(_mapping_lines(indent + draw(st.sampled_from([1, 2, 4])), depth + 1, words))]


@st.composite
def _mapping_lines(draw: Any, indent: int, depth: int, words: st.SearchStrategy[str]) -> list[str]:
    lines: list[str] = []
    odd_keys = words is _EDGE_WORD  # `1a`, `k y`, `<<` and duplicate keys only among the edges
    keys = draw(st.lists(_KEYS if odd_keys else _NAMES, min_size=1, max_size=4, unique=not odd_keys))
    for key in keys:
        if lines and draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", " ", "# note", " " * indent + "# x", "   "])))
        value = draw(_value_lines(indent, depth, words))
        lines.append(" " * indent + key + ":" + value[0])
        lines.extend(value[1:])
    return lines


@st.composite
def _documents(draw: Any, words: st.SearchStrategy[str]) -> str:
    lines = draw(_mapping_lines(draw(st.sampled_from([0, 0, 0, 2])), 0, words))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\n", "", "\n\n", "\n  \n"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=_documents(_EVERYDAY_WORD), offset=st.sampled_from([0, 0, 5]))
def test_files_generated_from_the_grammar_read_the_same(text: str, offset: int) -> None:
    _check(text, offset)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=_documents(_EDGE_WORD))
def test_files_generated_with_the_grammar_s_edges_read_the_same_or_go_to_libyaml(text: str) -> None:
    _check(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    text=st.sampled_from([REQUIREMENT, REQUEST, EMAIL, split_front_matter(MEETING)[0], *TAKEN.values()]),
    at=st.integers(0, 2000),
    cut=st.integers(0, 3),
    insert=st.sampled_from(["", " ", "  ", "\n", "\n  ", "#", " #", "- ", ":", ": ", "'", '"', "\\", "\t", "|", ">", "[", "]", ",",
                            "{", "&", "*", "!", "~", "-", "?", "\r", "\x85", "\ufeff", "\xa0", "  x: 1\n", "\n---\n", "yes", "1"]),
)
def test_damaged_files_read_the_same_or_go_to_libyaml(text: str, at: int, cut: int, insert: str) -> None:
    at %= len(text) + 1
    _check(text[:at] + insert + text[at + cut :])
