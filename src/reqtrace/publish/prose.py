"""Markdown in statements and text nodes: parsed to plain data, then written as HTML.

Only a small subset is understood — paragraphs, bullet and numbered lists,
fenced code, `**strong**`, `*emphasis*`, `` `code` `` and `[text](url)` links
to http, https or mailto. Parsing yields blocks of spans (data, no HTML);
`prose_html` writes them with `Markup(...).format(...)`, which escapes every
argument: the only tags are the few written here, every character from the
repository is escaped, and raw HTML in a statement shows as the text it is.
`kept_html` does the same for plain text, keeping ids and hashes on one line
(report.whole_words). Both are plain functions rather than template macros:
a page of 10,000 requirements would make hundreds of thousands of macro calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from reqtrace.pack.report import safe_href, whole_words


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


_NOWRAP = Markup('<span class="nowrap">{}</span>')


_MAY_HOLD_WHOLE = re.compile(r"[-@]|SHA256:|[0-9a-f]{12}")


def kept_html(text: object) -> Markup:
    """`text` escaped, each id, address or hash in a no-wrap span."""
    text = "" if text is None else str(text)
    if not _MAY_HOLD_WHOLE.search(text):  # most values: nothing to keep whole
        return escape(text)
    return Markup("").join(_NOWRAP.format(part) if whole else escape(part) for whole, part in whole_words(text))


_LIST_TAGS = {"ul": Markup("<ul>{}</ul>"), "ol": Markup("<ol>{}</ol>")}
_SPAN_TAGS = {"strong": Markup("<strong>{}</strong>"), "em": Markup("<em>{}</em>")}


def _line_html(spans: tuple[Span, ...]) -> Markup:
    parts = []
    for span in spans:
        if span.kind == "text":
            parts.append(kept_html(span.text))
        elif span.kind == "code":
            parts.append(Markup("<code>{}</code>").format(span.text))
        elif span.kind == "link":
            parts.append(Markup('<a href="{}" rel="noreferrer">{}</a>').format(span.href, span.text))
        else:
            parts.append(_SPAN_TAGS[span.kind].format(kept_html(span.text)))
    return Markup("").join(parts)


def prose_html(blocks: tuple[Block, ...]) -> Markup:
    """The blocks as HTML: every text escaped, only the tags written here."""
    out = []
    for block in blocks:
        if block.kind == "p":
            out.append(Markup("<p>{}</p>").format(_line_html(block.lines[0])))
        elif block.kind == "h":
            out.append(Markup("<p><strong>{}</strong></p>").format(_line_html(block.lines[0])))
        elif block.kind == "pre":
            out.append(Markup("<pre>{}</pre>").format(block.raw))
        else:
            items = Markup("").join(Markup("<li>{}</li>").format(_line_html(line)) for line in block.lines)
            out.append(_LIST_TAGS[block.kind].format(items))
    return Markup("\n").join(out)
