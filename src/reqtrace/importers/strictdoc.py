"""StrictDoc `.sdoc` documents, read by a parser of the text format itself.

The format is line based: a block starts with a `[TAG]` line (`[[SECTION]]` and
`[[/SECTION]]` for the newer nested sections), holds `NAME: value` fields, a
multi-line value between `NAME: >>>` and a `<<<` line, or an indented list
(`RELATIONS:`, `REFS:`, `OPTIONS:`), and ends at a blank line. `[GRAMMAR]`
declares the element tags and their fields; a document without one uses
StrictDoc's default grammar. `[DOCUMENT_FROM_FILE]` (and the older
`[FRAGMENT_FROM_FILE]`) puts another file's nodes in place.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from reqtrace.importers.model import (
    IdTest,
    Imported,
    ImportedRequirement,
    SourceError,
    first_line,
    generated_id,
    plain,
    reqtrace_id,
    section_id,
    slug,
)
from reqtrace.io.yamlio import YamlProblem, decode_text, load_yaml

# Early StrictDoc wrote [COMPOSITE-REQUIREMENT]; a '-' in a tag is read as '_'.
_TAG_LINE = re.compile(r"^(\[\[?)(/?)([A-Z][A-Z0-9_-]*)(\]\]?)\s*$")
_FIELD_LINE = re.compile(r"^([A-Z][A-Z0-9_]*):(?: (.*))?$")
_SECTIONS = {"SECTION"}
_TEXT_NODES = {"TEXT", "FREETEXT"}
_INCLUDES = {"DOCUMENT_FROM_FILE", "FRAGMENT_FROM_FILE"}
# Field types of StrictDoc grammars; a type outside these is one reqtrace cannot read faithfully.
_FIELD_TYPES = ("String", "SingleChoice", "MultipleChoice", "Tag", "Reference", "Date", "Integer", "Float")
_DEFAULT_FIELDS = {"MID", "UID", "LEVEL", "STATUS", "TAGS", "TITLE", "STATEMENT", "RATIONALE", "COMMENT",
                   "REFS", "RELATIONS", "BODY", "SPECIFICATION"}
_MAX_INCLUDE_DEPTH = 16


@dataclass
class Block:
    tag: str
    line: int
    closing: bool = False
    double: bool = False
    fields: list[tuple[str, Any, int]] = field(default_factory=list)  # (name, value, line), in order
    text: str = ""  # [FREETEXT] body, [GRAMMAR] source

    def first(self, name: str) -> Any:
        return next((value for key, value, _line in self.fields if key == name), None)


_BLOCK_CACHE: dict[tuple[str, str], list[Block]] = {}


def parse_blocks(path: str, data: bytes) -> list[Block]:
    """The blocks of one .sdoc file, in order (cached by content: a history replay reads each version once)."""
    key = (path, hashlib.sha256(data).hexdigest())
    if key not in _BLOCK_CACHE:
        if len(_BLOCK_CACHE) > 4096:
            _BLOCK_CACHE.clear()
        _BLOCK_CACHE[key] = _parse_blocks(path, data)
    return _BLOCK_CACHE[key]


def _parse_blocks(path: str, data: bytes) -> list[Block]:
    try:
        text = decode_text(data)
    except YamlProblem as problem:
        raise SourceError(path, problem.line, problem.message) from None
    lines = text.replace("\r\n", "\n").split("\n")
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        match = _TAG_LINE.match(line)
        if not match or len(match.group(1)) != len(match.group(4)):
            raise SourceError(path, index + 1, f"expected a block such as [REQUIREMENT], found {line[:60]!r}",
                              hint="every block starts with a [TAG] line and ends with a blank line")
        block = Block(match.group(3).replace("-", "_"), index + 1, closing=bool(match.group(2)), double=len(match.group(1)) == 2)
        index += 1
        if block.closing:
            pass
        elif block.tag == "FREETEXT":
            start = index
            while index < len(lines) and lines[index].rstrip() != "[/FREETEXT]":
                index += 1
            if index == len(lines):
                raise SourceError(path, block.line, "[FREETEXT] is never closed by [/FREETEXT]")
            block.text = "\n".join(lines[start:index]).strip("\n")
            index += 1
        elif block.tag == "GRAMMAR":
            start = index
            while index < len(lines) and not (lines[index].startswith("[") and not lines[index - 1].strip()):
                index += 1
            block.text = "\n".join(lines[start:index])
            block.fields.append(("GRAMMAR", _grammar_yaml(path, block.text, start), start + 1))
        else:
            index = _read_fields(path, lines, index, block)
        blocks.append(block)
    return blocks


def _grammar_yaml(path: str, text: str, first_line_index: int) -> Any:
    try:
        return load_yaml(text, line_offset=first_line_index) if text.strip() else {}
    except YamlProblem as problem:
        raise SourceError(path, problem.line, f"[GRAMMAR] cannot be read: {problem.message}") from None


def _read_fields(path: str, lines: list[str], index: int, block: Block) -> int:
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        match = _FIELD_LINE.match(line)
        if not match:
            raise SourceError(path, index + 1, f"expected a field such as `TITLE: ...` in [{block.tag}], found {line[:60]!r}")
        name, value = match.group(1), match.group(2)
        start = index + 1
        index += 1
        if value is not None and value.rstrip() == ">>>":
            body_start = index
            while index < len(lines) and lines[index].rstrip() != "<<<":
                index += 1
            if index == len(lines):
                raise SourceError(path, start, f"the value of {name} opened with >>> is never closed by <<<")
            block.fields.append((name, "\n".join(lines[body_start:index]), start))
            index += 1
        elif value is None or not value.strip():
            body_start = index
            while index < len(lines) and lines[index].startswith(("-", " ")) and lines[index].strip():
                index += 1
            body = "\n".join(lines[body_start:index])
            try:
                parsed = load_yaml(body, line_offset=body_start) if body.strip() else ""
            except YamlProblem as problem:
                raise SourceError(path, problem.line, f"the list under {name} cannot be read: {problem.message}") from None
            block.fields.append((name, parsed, start))
        else:
            block.fields.append((name, value.strip(), start))
    return index


# ---------------------------------------------------------------- grammar


@dataclass
class Grammar:
    elements: dict[str, set[str]]  # tag -> its field names; empty: StrictDoc's default grammar
    declared: bool


def _grammar(path: str, block: Block | None, files: dict[str, bytes]) -> Grammar:
    if block is None:
        return Grammar({}, False)
    source = block.first("GRAMMAR") or {}
    if isinstance(source, dict) and "IMPORT_FROM_FILE" in source:
        name = posixpath.normpath(posixpath.join(posixpath.dirname(path), str(source["IMPORT_FROM_FILE"])))
        if name not in files:
            raise SourceError(path, block.line, f"the grammar file {source['IMPORT_FROM_FILE']} is not in the imported folder")
        blocks = parse_blocks(name, files[name])
        inner = next((b for b in blocks if b.tag == "GRAMMAR"), None)
        return _grammar(name, inner, files)
    elements = source.get("ELEMENTS") if isinstance(source, dict) else None
    if not isinstance(elements, list):
        raise SourceError(path, block.line, "a [GRAMMAR] reqtrace does not know: it needs `ELEMENTS:`, a list of `- TAG:` entries",
                          hint="StrictDoc grammars list their elements under ELEMENTS (see its documentation)")
    known: dict[str, set[str]] = {}
    for element in elements:
        line = getattr(element, "line", block.line)
        if not isinstance(element, dict) or not isinstance(element.get("TAG"), str):
            raise SourceError(path, line, "a [GRAMMAR] element reqtrace does not know: each needs a TAG")
        names = set()
        for spec in element.get("FIELDS") or []:
            if not isinstance(spec, dict) or not isinstance(spec.get("TITLE"), str):
                raise SourceError(path, getattr(spec, "line", line), f"a field of grammar element {element['TAG']} has no TITLE")
            kind = str(spec.get("TYPE", "String"))
            if not kind.startswith(_FIELD_TYPES):
                raise SourceError(path, getattr(spec, "line", line),
                                  f"grammar field {spec['TITLE']} has a TYPE reqtrace does not know: {kind}",
                                  hint=f"reqtrace reads these field types: {', '.join(_FIELD_TYPES)}")
            names.add(spec["TITLE"])
        if element.get("RELATIONS") or element["TAG"] in ("REQUIREMENT", "COMPOSITE_REQUIREMENT"):
            names |= {"RELATIONS", "REFS"}
        known[element["TAG"]] = names | {"MID"}
    return Grammar(known, True)


# ---------------------------------------------------------------- documents


def _included(files: dict[str, bytes]) -> set[str]:
    names = set()
    for path, data in files.items():
        if not path.endswith(".sdoc"):
            continue
        for block in parse_blocks(path, data):
            if block.tag in _INCLUDES and block.first("FILE"):
                names.add(posixpath.normpath(posixpath.join(posixpath.dirname(path), str(block.first("FILE")))))
    return names


@dataclass
class _Node:
    kind: str  # requirement | text | section | include
    block: Block
    path: str
    section: str | None  # the id of the section it stands in (None: the document's top level)
    document: str  # folder
    order: int = 0  # its place among the nodes of that section


@dataclass
class _Container:
    """The document's top level or one section, as the walk fills it: its entry in the
    _document.yaml, and how many nodes it holds so far (each node's order is the next one)."""

    entry: dict[str, Any]
    section: str | None
    count: int = 0

    def next_order(self) -> int:
        self.count += 1
        return self.count


def read_strictdoc(files: dict[str, bytes], id_ok: IdTest) -> Imported:
    """Every requirement of every top-level .sdoc in `files` (path -> bytes), includes in place."""
    result = Imported("strictdoc")
    documents = sorted(p for p in files if p.endswith(".sdoc") and p not in _included(files))
    if not documents:
        raise SourceError(".", None, "no .sdoc document here", hint="name a .sdoc file or a folder that holds some")
    nodes: list[_Node] = []
    used_folders: dict[str, str] = {}
    for path in documents:
        folder = slug(posixpath.splitext(path)[0].replace("/", "-"))
        if folder in used_folders:
            folder = f"{folder}-{hashlib.sha256(path.encode()).hexdigest()[:6]}"
        used_folders[folder] = path
        index: dict[str, Any] = {"document": folder, "title": folder}
        result.documents[folder] = index
        opened: list[tuple[dict[str, Any], str | None, str, bool]] = []
        first = len(nodes)
        _walk(path, files, folder, nodes, index, result, depth=0, sections=[_Container(index, None)], taken=opened)
        final = _section_ids(opened)
        for node in nodes[first:]:
            node.section = final.get(node.section, node.section) if node.section is not None else None
        if "sections" in index:
            index["sections"] = index.pop("sections")  # sections last: the file reads top down
    _requirements(nodes, id_ok, result)
    result.mapped.update({
        "UID": "id (PREFIX-NUMBER where the UID does not match id_pattern, the UID kept in x-strictdoc-uid)",
        "TITLE": "title (else the first line of the statement)",
        "STATEMENT": "statement",
        "RATIONALE": "rationale",
        "TAGS": "tags",
        "RELATIONS Parent": "parents",
        "RELATIONS Child": "parents of the child",
    })
    result.mapped.update({
        "MID": "mid (the identity that survives a UID change)",
        "[SECTION]": "a section of the document's _document.yaml; each requirement's `section` and `order` place it",
        "[TEXT], [FREETEXT]": "text of its section in _document.yaml",
    })
    result.notes.append("each document's title, sections, [TEXT] nodes and order are in its _document.yaml")
    result.notes.append("a requirement without UID gets PREFIX-NNNNNN, the number from a hash of its MID (else its title), so it stays the same across edits and moves")
    return result


def _walk(path: str, files: dict[str, bytes], folder: str, nodes: list[_Node], index: dict[str, Any],
          result: Imported, *, depth: int, sections: list[_Container], taken: list[tuple[dict[str, Any], str | None, str, bool]]) -> None:
    if depth > _MAX_INCLUDE_DEPTH:
        raise SourceError(path, None, "documents include each other more than 16 levels deep (a cycle?)")
    blocks = parse_blocks(path, files[path])
    grammar = _grammar(path, next((b for b in blocks if b.tag == "GRAMMAR"), None), files)
    base_depth = len(sections)
    for block in blocks:
        if block.tag in ("DOCUMENT", "FRAGMENT"):
            if depth == 0:
                for name, value, _line in block.fields:
                    if name == "TITLE" and str(value).strip():
                        index["title"] = str(value).strip()
                    else:
                        index[f"x-strictdoc-{slug(name).lower().replace('_', '-')}"] = plain(value)
            continue
        if block.tag == "GRAMMAR":
            index.setdefault("x-strictdoc-grammar", {tag: sorted(names) for tag, names in grammar.elements.items()} or "default")
            continue
        if block.closing:
            if block.tag in _SECTIONS or block.double:
                if len(sections) <= base_depth:
                    raise SourceError(path, block.line, f"[/{block.tag}] closes nothing")
                sections.pop()
            continue
        if block.tag in _INCLUDES:
            name = posixpath.normpath(posixpath.join(posixpath.dirname(path), str(block.first("FILE") or "")))
            if name not in files:
                raise SourceError(path, block.line, f"includes {block.first('FILE')}, which is not in the imported folder")
            _walk(name, files, folder, nodes, index, result, depth=depth + 1, sections=sections, taken=taken)
            continue
        _check_fields(path, block, grammar)
        container = sections[-1]
        if block.tag in _SECTIONS:
            sections.append(_open_section(block, container, taken, str(block.first("TITLE") or "")))
            continue
        if block.tag in _TEXT_NODES:
            text = block.text or str(block.first("STATEMENT") or "")
            if text.strip():
                container.entry.setdefault("texts", []).append({"order": container.next_order(), "text": text})
            continue
        nodes.append(_Node("requirement", block, path, container.section, folder, container.next_order()))
        if block.double:  # a composite node ([[REQUIREMENT]]) holds others until its closing tag
            sections.append(_open_section(block, container, taken, str(block.first("TITLE") or block.tag)))
    if len(sections) != base_depth:
        raise SourceError(path, None, f"{len(sections) - base_depth} section(s) never closed")


def _open_section(block: Block, container: _Container, opened: list[tuple[dict[str, Any], str | None, str, bool]], title: str) -> _Container:
    """A section entry under `container`, with a provisional id (see _section_ids)."""
    uid, mid = block.first("UID"), block.first("MID")
    provisional = f"\x00{len(opened)}"
    entry: dict[str, Any] = {"id": provisional, "title": title.strip() or "(untitled)"}
    for name, value, _line in block.fields:
        if name != "TITLE":
            entry[f"x-strictdoc-{slug(name).lower().replace('_', '-')}"] = plain(value)
    container.entry.setdefault("sections", []).append(entry)
    # Without UID or MID, a section inside another is named by both titles (`Export.Options`):
    # the parent's title, not its id, so that a parent gaining a UID renames nothing below it.
    parent_title = str(container.entry["title"]) if container.section is not None else ""
    named = f"{_title_part(parent_title)}.{entry['title']}" if parent_title else entry["title"]
    opened.append((entry, container.section, str(uid or mid or named), bool(uid or mid)))
    return _Container(entry, provisional)


def _title_part(title: str) -> str:
    """A title as the first part of a section id: short, so that the section's own title fits."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", title).strip("-_")[:30].strip("-_") or "section"


def _section_ids(opened: list[tuple[dict[str, Any], str | None, str, bool]]) -> dict[str, str]:
    """Each section's id, from its UID, else its MID, else its title and its parent's title —
    so that it stays the same while the document is edited around it: another section
    of the same title elsewhere, or a UID given to its parent, renames nothing. Only two
    sections of the same title under parents of the same title are numbered (`-2`).
    Returns provisional id -> id; the entries are updated."""
    final: dict[str, str] = {}
    taken: set[str] = set()
    for entry, _parent, source, _stable in opened:
        final[entry["id"]] = section_id(source, taken)
        entry["id"] = final[entry["id"]]
    return final


def _check_fields(path: str, block: Block, grammar: Grammar) -> None:
    if not grammar.declared:
        if block.tag not in _SECTIONS | _TEXT_NODES | {"REQUIREMENT", "COMPOSITE_REQUIREMENT"}:
            raise SourceError(path, block.line, f"[{block.tag}] is not a StrictDoc element and the document declares no [GRAMMAR]")
        return
    if block.tag in _SECTIONS | _TEXT_NODES and block.tag not in grammar.elements:
        return  # sections and free text are built in unless a grammar redefines them
    if block.tag == "COMPOSITE_REQUIREMENT" and block.tag not in grammar.elements and "REQUIREMENT" in grammar.elements:
        block = Block("REQUIREMENT", block.line, fields=block.fields)  # StrictDoc reads it with REQUIREMENT's fields
    if block.tag not in grammar.elements:
        raise SourceError(path, block.line, f"[{block.tag}] is not an element of the document's [GRAMMAR]",
                          hint=f"its grammar declares: {', '.join(sorted(grammar.elements))}")
    allowed = grammar.elements[block.tag]
    for name, _value, line in block.fields:
        if name not in allowed:
            raise SourceError(path, line, f"{name} is not a field of [{block.tag}] in the document's [GRAMMAR]",
                              hint=f"add it to the grammar, or rename it to one of: {', '.join(sorted(allowed))}")


def _requirements(nodes: list[_Node], id_ok: IdTest, result: Imported) -> None:
    ids: dict[int, str] = {}
    by_uid: dict[str, str] = {}
    taken: set[str] = set()
    for node in nodes:  # ids given by the source first, so that a generated id never takes one
        uid = node.block.first("UID")
        if uid:
            new_id = reqtrace_id(str(uid), id_ok)
            if new_id is None:  # a UID without a number (GOAL-TOOL-SUPPORT): a stable id from the UID itself
                new_id = generated_id(_prefix(node, result), f"uid:{uid}", taken, id_ok)
            if new_id is None:
                raise SourceError(node.path, node.block.line, f"the UID {uid} cannot become a requirement id matching the repo's id_pattern",
                                  hint="set id_pattern in reqtrace.yaml to accept it (e.g. '^[A-Z][A-Z0-9-]*-[0-9]+$')")
            if new_id in taken:
                raise SourceError(node.path, node.block.line, f"the UID {uid} becomes {new_id}, which another requirement already has")
            ids[id(node)] = new_id
            by_uid[str(uid)] = new_id
            taken.add(new_id)
            if new_id != uid:
                result.renamed[str(uid)] = new_id
    for node in nodes:
        if id(node) in ids:
            continue
        mid = node.block.first("MID")
        # Not the file: a requirement moved to another document keeps its id (the same title twice moves on to the next number).
        key = f"mid:{mid}" if mid else f"title:{node.block.first('TITLE') or first_line(str(node.block.first('STATEMENT') or ''), 200)}"
        new_id = generated_id(_prefix(node, result), key, taken, id_ok)
        if new_id is None:
            raise SourceError(node.path, node.block.line, "this requirement has no UID, and no generated id matches the repo's id_pattern",
                              hint="give it a UID, or widen id_pattern")
        ids[id(node)] = new_id
        taken.add(new_id)
    children: dict[str, list[str]] = {}
    made = []
    for node in nodes:
        requirement = _requirement(node, ids[id(node)], by_uid, children, result)
        made.append(requirement)
    by_id = {r.id: r for r in made}
    for parent, kids in children.items():
        for kid in kids:
            if parent not in by_id[kid].parents:
                by_id[kid].parents.append(parent)
    for requirement in made:
        for key in requirement.custom:
            result.keep(key)
    result.requirements = made


def _prefix(node: _Node, result: Imported) -> str:
    prefix = str(result.documents[node.document].get("x-strictdoc-prefix") or "REQ")
    return prefix if len(prefix) <= 12 else "REQ"


def _requirement(node: _Node, new_id: str, by_uid: dict[str, str], children: dict[str, list[str]], result: Imported) -> ImportedRequirement:
    block = node.block
    statement = str(block.first("STATEMENT") or block.first("BODY") or "").strip("\n")
    title = str(block.first("TITLE") or "").strip() or first_line(statement) or new_id
    requirement = ImportedRequirement(id=new_id, title=title, statement=statement or title, source=node.path, folder=node.document)
    requirement.place(node.section, node.order)
    custom = requirement.custom
    if block.tag != "REQUIREMENT":
        custom["x-strictdoc-element"] = block.tag
    if not statement:
        custom["x-strictdoc-no-statement"] = True
    uid = block.first("UID")
    if uid and str(uid) != new_id:
        custom["x-strictdoc-uid"] = str(uid)
    repeated: dict[str, list[Any]] = {}
    for name, value, line in block.fields:
        if name in ("UID", "TITLE", "STATEMENT"):
            continue
        if name == "RATIONALE":
            requirement.rationale = str(value).strip("\n")
        elif name == "MID" and "mid" not in requirement.fields and str(value).strip():
            requirement.fields["mid"] = str(value).strip()
        elif name == "TAGS":
            requirement.tags = [t.strip() for t in str(value).split(",") if t.strip()]
        elif name in ("RELATIONS", "REFS"):
            _relations(node, new_id, value, line, by_uid, children, requirement, result)
        else:
            repeated.setdefault(name, []).append(plain(value))
    for name, values in repeated.items():
        custom[f"x-{slug(name).lower().replace('_', '-')}"] = values[0] if len(values) == 1 else values
    return requirement


def _relations(node: _Node, new_id: str, value: Any, line: int, by_uid: dict[str, str],
               children: dict[str, list[str]], requirement: ImportedRequirement, result: Imported) -> None:
    if not isinstance(value, list):
        raise SourceError(node.path, line, "RELATIONS must be a list of `- TYPE: ...` entries")
    kept = []
    for entry in value:
        where = getattr(entry, "line", line)
        if not isinstance(entry, dict) or "TYPE" not in entry:
            raise SourceError(node.path, where, "a relation needs a TYPE (Parent, Child or File)")
        kind, target = str(entry["TYPE"]), str(entry.get("VALUE", ""))
        role = entry.get("ROLE")
        if kind in ("Parent", "Child") and not role:
            if target not in by_uid:
                # A StrictDoc project may span several folders: a link out of the imported one is kept, not resolved.
                requirement.custom.setdefault("x-strictdoc-unresolved", []).append(plain(dict(entry)))
                result.not_mapped.append(f"{node.path}:{where}: {kind} relation to {target}, which is not imported; kept in x-strictdoc-unresolved")
            elif kind == "Parent":
                requirement.parents.append(by_uid[target])
            else:
                children.setdefault(new_id, []).append(by_uid[target])
        else:
            kept.append(plain(dict(entry)))
    if kept:
        requirement.custom["x-strictdoc-relations"] = kept
