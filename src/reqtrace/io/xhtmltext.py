"""XHTML (as ReqIF carries rich text) to plain text and back.

Plain text keeps the structure a reader needs: paragraphs apart by a blank line,
line breaks, list items as `- ` / `1. ` lines (nested ones indented), headings as
`#` lines, table rows as `| a | b |`, bold and italic as `**`/`*`. Runs of
whitespace inside text collapse as a browser shows them.

`to_xhtml` builds XHTML for plain text that `to_text` reads back as the same
text, so an export followed by an import changes nothing: one `<p>` per paragraph,
`<br/>` and a newline between its lines, leading spaces as no-break spaces.
"""

from __future__ import annotations

import re

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"

_SPACES = re.compile(r"[ \t\r\n\f]+")
_BLOCKS = {"p", "div", "pre", "blockquote", "address", "table", "ul", "ol", "dl",
           "h1", "h2", "h3", "h4", "h5", "h6", "hr", "caption", "object"}
_SKIPPED = {"script", "style", "head", "title"}


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # a comment or processing instruction
        return ""
    return etree.QName(tag).localname.lower()


class _Writer:
    """Collects text as lines of paragraphs; `gap` asks for a blank line before more text."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.current: list[str] = []

    def text(self, value: str) -> None:
        if value:
            self.current.append(value)

    def newline(self) -> None:
        self.current.append("\n")

    def gap(self) -> None:
        block = _tidy("".join(self.current))
        if block:
            self.blocks.append(block)
        self.current = []

    def result(self) -> str:
        self.gap()
        return "\n\n".join(self.blocks)


def _tidy(block: str) -> str:
    lines = [_SPACES.sub(" ", line).strip(" ").replace("\xa0", " ").rstrip() for line in block.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def to_text(element: etree._Element, attachments: list[str] | None = None) -> str:
    """The plain text of an XHTML element (its children; the element itself is a wrapper).
    `attachments` collects the `data` of each `<object>` (an image or file the text names)."""
    writer = _Writer()
    _walk_children(element, writer, attachments if attachments is not None else [], depth=0)
    return writer.result()


def _walk_children(element: etree._Element, writer: _Writer, attachments: list[str], depth: int) -> None:
    writer.text(_inline(element.text))
    for child in element:
        _walk(child, writer, attachments, depth)
        writer.text(_inline(child.tail))


def _inline(value: str | None) -> str:
    # Leading no-break spaces carry indentation (see to_xhtml): keep them as they are.
    return _SPACES.sub(" ", value) if value else ""


def _walk(element: etree._Element, writer: _Writer, attachments: list[str], depth: int) -> None:
    name = _local(element)
    if not name or name in _SKIPPED:
        return
    if name == "br":
        writer.newline()
        return
    if name in ("ul", "ol"):
        writer.gap() if depth == 0 else writer.newline()
        for number, item in enumerate((c for c in element if _local(c) == "li"), 1):
            marker = f"{number}. " if name == "ol" else "- "
            if number > 1:
                writer.newline()
            writer.text("\xa0" * (2 * depth) + marker)
            _walk_children(item, writer, attachments, depth + 1)
        if depth == 0:
            writer.gap()
        return
    if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
        writer.gap()
        writer.text("#" * int(name[1]) + " ")
        _walk_children(element, writer, attachments, depth)
        writer.gap()
        return
    if name == "tr":
        cells = [to_text(cell, attachments).replace("\n", " ") for cell in element if _local(cell) in ("td", "th")]
        writer.text("| " + " | ".join(cells) + " |")
        writer.newline()
        return
    if name == "object":
        data = element.get("data") or element.get("name") or "?"
        attachments.append(data)
        label = _SPACES.sub(" ", "".join(element.itertext())).strip()
        writer.text(f"[attachment: {data}{' — ' + label if label else ''}]")
        return
    if name == "img":
        source = element.get("src") or "?"
        attachments.append(source)
        writer.text(f"[image: {source}]")
        return
    if name in ("b", "strong", "i", "em"):
        inner = to_text(element, attachments)
        mark = "**" if name in ("b", "strong") else "*"
        writer.text(f"{mark}{inner}{mark}" if inner else "")
        return
    if name == "a":
        inner = to_text(element, attachments)
        href = element.get("href")
        writer.text(f"{inner} <{href}>" if href and href != inner else inner)
        return
    block = name in _BLOCKS
    if block:
        writer.gap()
    _walk_children(element, writer, attachments, depth)
    if block:
        writer.gap()


def parse_fragment(xhtml: str) -> etree._Element:
    """An element holding the XHTML fragment (without namespace prefixes, as the reqif
    library gives it); no entities are resolved, nothing is fetched."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(f"<root>{xhtml}</root>".encode(), parser)


def to_xhtml(text: str) -> etree._Element:
    """An XHTML `<div>` for plain text, which `to_text` reads back as `text` (after its own tidying)."""
    div = etree.Element(f"{{{XHTML_NS}}}div", nsmap={"xhtml": XHTML_NS})
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        if not block.strip():
            continue
        paragraph = etree.SubElement(div, f"{{{XHTML_NS}}}p")
        last: etree._Element | None = None
        for number, line in enumerate(block.split("\n")):
            if number:
                last = etree.SubElement(paragraph, f"{{{XHTML_NS}}}br")
            line = xml_safe(_keep_indent(line.rstrip()))
            if last is None:
                paragraph.text = line
            else:
                last.tail = "\n" + line  # the break for readers that drop <br/> (StrictDoc): a space, not nothing
    return div


def _keep_indent(line: str) -> str:
    stripped = line.lstrip(" ")
    return "\xa0" * (len(line) - len(stripped)) + stripped


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the control characters XML 1.0 cannot carry (they would make the file unreadable)."""
    return _NOT_XML.sub("", text)
