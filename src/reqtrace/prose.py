"""Markdown in statements and text nodes, as plain data a template renders with autoescape.

Only a small subset is understood — paragraphs, bullet and numbered lists,
fenced code, `**strong**`, `*emphasis*`, `` `code` `` and `[text](url)` links
to http, https or mailto. Nothing here produces HTML: a block is a kind and
its spans, a span is a kind and its text, so every character from the
repository still goes through the template's escaping, and raw HTML in a
statement shows as the text it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .report import safe_href


@dataclass(frozen=True)
class Span:
    kind: str  # text | strong | em | code | link
    text: str
    href: str = ""


@dataclass(frozen=True)
class Block:
    kind: str  # p | ul | ol | pre | h
    lines: tuple[tuple[Span, ...], ...]  # a paragraph's one line, a list's items, a heading's text
    raw: str = ""  # a code block's text, as written


_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}\d{1,9}[.)]\s+(.*)$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# One alternation, left to right: code first (nothing inside code is markup), then links,
# strong, emphasis. Bounded quantifiers, no nesting: linear on any input.
_INLINE = re.compile(
    r"`(?P<code>[^`\n]{1,2000})`"
    r"|\[(?P<label>[^\[\]\n]{1,500})\]\((?P<url>[^()\s]{1,2000})\)"
    r"|\*\*(?P<strong>[^*\n]{1,2000})\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s][^*\n]{0,2000}?)\*(?![\w*])"
)


def inline_spans(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    at = 0
    for match in _INLINE.finditer(text):
        if match.start() > at:
            spans.append(Span("text", text[at:match.start()]))
        if match.group("code") is not None:
            spans.append(Span("code", match.group("code")))
        elif match.group("label") is not None:
            href = safe_href(match.group("url"))
            spans.append(Span("link", match.group("label"), href) if href else Span("text", match.group()))
        elif match.group("strong") is not None:
            spans.append(Span("strong", match.group("strong")))
        else:
            spans.append(Span("em", match.group("em")))
        at = match.end()
    if at < len(text):
        spans.append(Span("text", text[at:]))
    return tuple(spans)


def markdown_blocks(text: str | None) -> tuple[Block, ...]:
    """`text` as blocks; a paragraph keeps its line breaks (Chinese text must not gain spaces)."""
    blocks: list[Block] = []
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraph: list[str] = []
    items: list[str] = []
    list_kind = ""

    def flush() -> None:
        nonlocal list_kind
        if paragraph:
            blocks.append(Block("p", (inline_spans("\n".join(paragraph)),)))
            paragraph.clear()
        if items:
            blocks.append(Block(list_kind, tuple(inline_spans(item) for item in items)))
            items.clear()
            list_kind = ""

    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        fence = _FENCE.match(line)
        if fence:
            flush()
            code: list[str] = []
            while index < len(lines) and not lines[index].lstrip().startswith(fence.group(1)):
                code.append(lines[index])
                index += 1
            index += 1  # the closing fence (or the end)
            blocks.append(Block("pre", (), "\n".join(code)))
            continue
        if not line.strip():
            flush()
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = None if bullet else _NUMBERED.match(line)
        if heading:
            flush()
            blocks.append(Block("h", (inline_spans(heading.group(1)),)))
        elif bullet or numbered:
            kind = "ul" if bullet else "ol"
            if paragraph or (items and kind != list_kind):
                flush()
            list_kind = kind
            items.append((bullet or numbered).group(1))  # type: ignore[union-attr]
        elif items and line.startswith((" ", "\t")):
            items[-1] += "\n" + line.strip()  # a list item's continuation line
        else:
            if items:
                flush()
            paragraph.append(line.rstrip())
    flush()
    return tuple(blocks)
