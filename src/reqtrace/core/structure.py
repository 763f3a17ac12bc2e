"""Documents, sections and reading order: the outline of a spec repo.

A folder under the requirements folder that holds a `_document.yaml` is a
document (docs/format.md). Its requirements name a section in `section:` and
their place in it in `order:`; sections and prose nodes are written in the
`_document.yaml`. The placement lives in each requirement and the section tree
in one small file per document, so that two people adding requirements to the
same section touch different files, and git merges them without a conflict.

Requirements outside any document are grouped by their top folder, so that
every requirement has a place in the outline of every repo, old or new.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from reqtrace.core.model import ERROR, Finding, Requirement, Snapshot, SpecDocument, natural_key


@dataclass(frozen=True)
class TextNode:
    """Prose in a section: not a requirement, placed among them by `order`."""

    order: float | None
    text: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    sections: tuple[Section, ...]
    items: tuple[str | TextNode, ...]  # requirement ids and text nodes, in reading order


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    parent: str | None
    folder: str  # relative to the spec root, like every path of a snapshot
    path: str  # the _document.yaml; "" for the folder of requirements outside any document
    sections: tuple[Section, ...]
    items: tuple[str | TextNode, ...]  # the top-level requirement ids and text nodes, in order
    extra: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Placement:
    """Where one requirement stands: its document, its section and its rank in reading order."""

    document: str
    section: str | None  # the section's id; None at the document's top level
    section_path: tuple[str, ...]  # the titles of the sections from the top down to its own
    rank: int  # its position in the reading order of the whole outline


def document_folder_of(path: str, folders: Iterable[str]) -> str | None:
    """The nearest folder among `folders` (documents' folders) that holds the file at `path`."""
    known = set(folders)
    folder = path.rpartition("/")[0]
    while folder:
        if folder in known:
            return folder
        folder = folder.rpartition("/")[0]
    return None


def _group_of(path: str, requirements_dir: str) -> str:
    """The top folder under the requirements folder that holds `path` (the folder itself for a file at its top)."""
    inside = path[len(requirements_dir) + 1 :] if path.startswith(requirements_dir + "/") else path
    top, _, rest = inside.partition("/")
    return f"{requirements_dir}/{top}" if rest else requirements_dir


def _sort_key(item: str | TextNode, written: int, requirements: dict[str, Requirement]) -> tuple[Any, ...]:
    """Ascending `order`, then by natural id; a text before the requirements of the same order;
    what has no order comes last (texts as written, then requirements by id)."""
    if isinstance(item, TextNode):
        return (item.order is None, item.order or 0, 0, (), written)
    order = requirements[item].order
    return (order is None, order or 0, 1, natural_key(item), 0)


def _section_ids(sections: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    for section in sections:
        yield section
        yield from _section_ids(section[4])


def outline(snapshot: Snapshot) -> tuple[Document, ...]:
    """Every document of the snapshot, parents before children, then the folders of
    requirements outside any document; each with its sections and items in reading order."""
    config = snapshot.config
    spec_documents = sorted(snapshot.spec_documents.values(), key=lambda document: document.path)
    by_folder = {document.folder: document for document in spec_documents}
    members: dict[str, list[Requirement]] = {}
    loose: dict[str, list[Requirement]] = {}
    for requirement in snapshot.requirements.values():
        folder = document_folder_of(requirement.path, by_folder)
        if folder is not None:
            members.setdefault(folder, []).append(requirement)
        else:
            loose.setdefault(_group_of(requirement.path, config.requirements_dir), []).append(requirement)
    documents = [_document(spec, members.get(spec.folder, []), snapshot.requirements) for spec in _parents_first(spec_documents)]
    for folder in sorted(loose, key=natural_key):
        ids = _sorted([requirement.id for requirement in loose[folder]], snapshot.requirements)
        name = folder.rpartition("/")[2]
        documents.append(Document(name, name, None, folder, "", (), ids, ()))
    return tuple(documents)


def _sorted(items: list[str | TextNode], requirements: dict[str, Requirement]) -> tuple[str | TextNode, ...]:
    ranked = sorted(enumerate(items), key=lambda pair: _sort_key(pair[1], pair[0], requirements))
    return tuple(item for _index, item in ranked)


def _document(spec: SpecDocument, members: list[Requirement], requirements: dict[str, Requirement]) -> Document:
    known = {section[0] for section in _section_ids(spec.sections)}
    in_section: dict[str, list[str | TextNode]] = {}
    top: list[str | TextNode] = []
    for requirement in members:
        # A section the document does not have: shown at the top level (check reports it).
        if requirement.section is not None and requirement.section in known:
            in_section.setdefault(requirement.section, []).append(requirement.id)
        else:
            top.append(requirement.id)
    taken: set[str] = set()

    def build(raw: tuple[Any, ...]) -> Section:
        section_id, title, _line, texts, subsections = raw
        items: list[str | TextNode] = [TextNode(order, text) for order, text, _text_line in texts]
        if section_id not in taken:  # a duplicated section id gets its requirements once, in the first
            taken.add(section_id)
            items.extend(in_section.get(section_id, []))
        return Section(section_id, title, tuple(build(sub) for sub in subsections), _sorted(items, requirements))

    top[:0] = [TextNode(order, text) for order, text, _line in spec.texts]
    return Document(
        spec.id, spec.title, spec.parent, spec.folder, spec.path, tuple(build(raw) for raw in spec.sections), _sorted(top, requirements), spec.extra
    )


def _parents_first(documents: list[SpecDocument]) -> list[SpecDocument]:
    """Each document after its parent (by path among equals); a cycle or a missing parent
    leaves the rest in path order."""
    ids = {document.id for document in documents}
    placed: list[SpecDocument] = []
    done: set[str] = set()
    remaining = list(documents)
    while remaining:
        ready = [d for d in remaining if d.parent is None or d.parent not in ids or d.parent in done or d.parent == d.id]
        if not ready:  # a cycle: the rest as they are
            ready = remaining
        for document in ready:
            placed.append(document)
            done.add(document.id)
        remaining = [d for d in remaining if d not in ready]
    return placed


def walk(document: Document) -> Iterator[tuple[tuple[Section, ...], str | TextNode]]:
    """The items of a document in reading order, each with the sections above it (outermost first)."""
    for item in document.items:
        yield (), item
    yield from _walk_sections(document.sections, ())


def _walk_sections(sections: tuple[Section, ...], above: tuple[Section, ...]) -> Iterator[tuple[tuple[Section, ...], str | TextNode]]:
    for section in sections:
        path = (*above, section)
        for item in section.items:
            yield path, item
        yield from _walk_sections(section.sections, path)


def placements(documents: tuple[Document, ...]) -> dict[str, Placement]:
    """Where each requirement of an outline stands, by id."""
    found: dict[str, Placement] = {}
    for document in documents:
        for path, item in walk(document):
            if isinstance(item, str) and item not in found:
                found[item] = Placement(document.id, path[-1].id if path else None, tuple(section.title for section in path), len(found))
    return found


# --- check ------------------------------------------------------------------------------


def _hint_ids(ids: Iterable[str]) -> str:
    shown = sorted(ids, key=natural_key)
    return ", ".join(shown[:8]) + (", …" if len(shown) > 8 else "") if shown else "none"


def structure_findings(snapshot: Snapshot) -> list[Finding]:
    """What is wrong with the documents and the placement of requirements in them.

    Malformed `_document.yaml` files and bad `order` values are reported while parsing
    (codes bad-document and schema); this adds what needs the whole repo."""
    findings: list[Finding] = []
    specs = sorted(snapshot.spec_documents.values(), key=lambda document: document.path)
    first_of: dict[str, SpecDocument] = {}
    for spec in specs:
        earlier = first_of.get(spec.id)
        if earlier is not None:
            findings.append(Finding("duplicate-document", ERROR, f"document id '{spec.id}' is already used by {earlier.path}:{earlier.line_of('document')}; give one of them another id", spec.path, spec.line_of("document")))
        else:
            first_of[spec.id] = spec
        seen: dict[str, int] = {}
        for section in _section_ids(spec.sections):
            if section[0] in seen:
                findings.append(Finding("duplicate-section", ERROR, f"section id '{section[0]}' is already used on line {seen[section[0]]} of this document; section ids are unique within a document", spec.path, section[2]))
            else:
                seen[section[0]] = section[2]
    for spec in specs:
        if spec.parent is not None and spec.parent not in first_of:
            findings.append(Finding("missing-parent-document", ERROR, f"parent document '{spec.parent}' does not exist; documents: {_hint_ids(first_of)}", spec.path, spec.line_of("parent")))
    findings.extend(_cycle_findings(first_of))
    by_folder = {spec.folder: spec for spec in specs}
    for requirement in sorted(snapshot.requirements.values(), key=lambda r: (r.path, r.line)):
        if requirement.section is None:
            continue
        folder = document_folder_of(requirement.path, by_folder)
        if folder is None:
            findings.append(Finding("unknown-section", ERROR, f"section '{requirement.section}' names no section: the file is in no document (no _document.yaml in its folder or above)", requirement.path, requirement.line_of("section"), requirement.id))
            continue
        spec = by_folder[folder]
        known = [section[0] for section in _section_ids(spec.sections)]
        if requirement.section not in known:
            findings.append(Finding("unknown-section", ERROR, f"section '{requirement.section}' is not a section of document '{spec.id}' ({spec.path}); its sections: {_hint_ids(set(known))}", requirement.path, requirement.line_of("section"), requirement.id))
    findings.extend(_mid_findings(snapshot))
    return findings


def _cycle_findings(documents: dict[str, SpecDocument]) -> list[Finding]:
    findings = []
    reported: set[str] = set()
    for start in sorted(documents):
        chain = [start]
        current = documents[start].parent
        while current is not None and current in documents and current not in chain:
            chain.append(current)
            current = documents[current].parent
        if current is not None and current in chain and current not in reported:
            loop = chain[chain.index(current) :]
            reported.update(loop)
            spec = documents[current]
            shown = " → ".join([*loop, current])
            findings.append(Finding("document-cycle", ERROR, f"documents are their own ancestors: {shown}; a document's parent chain must end", spec.path, spec.line_of("parent")))
    return findings


def _mid_findings(snapshot: Snapshot) -> list[Finding]:
    findings = []
    first: dict[str, Requirement] = {}
    for requirement in sorted(snapshot.requirements.values(), key=lambda r: (r.path, r.line)):
        if requirement.mid is None:
            continue
        earlier = first.get(requirement.mid)
        if earlier is None:
            first[requirement.mid] = requirement
            continue
        findings.append(Finding("duplicate-mid", ERROR, f"mid '{requirement.mid}' is already the identity of {earlier.id} ({earlier.path}:{earlier.line_of('mid')}); a mid names one requirement", requirement.path, requirement.line_of("mid"), requirement.id))
    return findings

