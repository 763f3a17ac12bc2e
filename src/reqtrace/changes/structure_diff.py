"""What a diff says about documents and reading order: moves, not field changes.

A requirement whose `section` changed is "moved to section …"; one that left
the run of its neighbours is "moved: after …". Which requirements left their
run is decided by the longest run kept in order (difflib's matching blocks), so
swapping two requirements reports one move, and renumbering every `order` in
the same sequence reports none. Documents are compared by id: title, parent,
and their sections (added, removed, renamed, retitled, moved).

A section whose id changed while its title and parent did not (an importer
names a section from its title until the source gives it a UID) is one
renamed section: its requirements stay where they were, not "moved to
section NEW-ID".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reqtrace.core.structure import Document, Section, placements


@dataclass(frozen=True)
class Move:
    """Where a requirement went in its document's reading order."""

    kind: str  # "section" (another section or document) or "order" (same section, other neighbours)
    from_document: str
    from_section: str | None
    to_document: str
    to_section: str | None
    after: str | None  # the requirement it now follows in its section; None: first there

    def text(self, section_titles: dict[tuple[str, str | None], str] | None = None) -> str:
        titles = section_titles or {}
        if self.kind == "section":
            where = self.to_section or "the top level"
            shown = titles.get((self.to_document, self.to_section))
            label = f"section {where}" + (f" ({shown})" if shown and shown != where else "") if self.to_section else "the top level"
            if self.to_document != self.from_document:
                return f"moved to document {self.to_document}, {label}"
            return f"moved to {label}"
        return f"moved: after {self.after}" if self.after else "moved: first in its section"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "from": {"document": self.from_document, "section": self.from_section},
            "to": {"document": self.to_document, "section": self.to_section},
            "after": self.after,
            "text": self.text(),
        }


@dataclass(frozen=True)
class DocumentChange:
    id: str
    change: str  # "added", "removed" or "modified"
    path: str
    details: tuple[str, ...] = ()  # one line each: "title: A → B", "section login moved after intro", …

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "change": self.change, "path": self.path, "details": list(self.details)}


def _section_runs(documents: tuple[Document, ...]) -> dict[tuple[str, str | None], list[str]]:
    """The requirement ids of each (document, section) in reading order."""
    runs: dict[tuple[str, str | None], list[str]] = {}

    def add(document: str, section: Section) -> None:
        runs[(document, section.id)] = [item for item in section.items if isinstance(item, str)]
        for sub in section.sections:
            add(document, sub)

    for document in documents:
        runs[(document.id, None)] = [item for item in document.items if isinstance(item, str)]
        for section in document.sections:
            add(document.id, section)
    return runs


def requirement_moves(before: tuple[Document, ...], after: tuple[Document, ...], pairs: Iterable[tuple[str, str]]) -> dict[str, Move]:
    """The moves of the requirements in `pairs` ((id at FROM, id at TO): a renamed one has
    two; these are the requirements whose files changed), by their id at TO.

    The others keep their order among themselves (their `order` and id did not change), so
    a requirement of `pairs` moved when the others around it are not the same, and, among
    those of `pairs` between the same two others, when it left the longest run kept in order."""
    pairs = list(pairs)
    renamed = {old: new for old, new in pairs if old != new}
    changed = {new for _old, new in pairs}
    was = placements(before)
    now = placements(after)
    sections_renamed = section_renames(before, after, renamed)
    runs_before = {_renamed_key(key, sections_renamed): [renamed.get(rid, rid) for rid in run] for key, run in _section_runs(before).items()}
    runs_after = _section_runs(after)
    in_order: dict[tuple[str, str | None], set[str]] = {}
    moves: dict[str, Move] = {}
    for old_id, new_id in pairs:
        old_place, new_place = was.get(old_id), now.get(new_id)
        if old_place is None or new_place is None:
            continue
        old_key = _renamed_key((old_place.document, old_place.section), sections_renamed)
        new_key = (new_place.document, new_place.section)
        run = runs_after.get(new_key, [])
        index = run.index(new_id) if new_id in run else 0
        follows = run[index - 1] if index > 0 else None
        if old_key != new_key:
            moves[new_id] = Move("section", *old_key, *new_key, follows)
            continue
        if new_key not in in_order:
            in_order[new_key] = _kept_in_order(runs_before.get(new_key, []), run, changed)
        if new_id not in in_order[new_key]:
            moves[new_id] = Move("order", *old_key, *new_key, follows)
    return moves


def _renamed_key(key: tuple[str, str | None], sections_renamed: dict[tuple[str, str], str]) -> tuple[str, str | None]:
    document, section = key
    return (document, sections_renamed.get((document, section), section)) if section is not None else key


def section_renames(before: tuple[Document, ...], after: tuple[Document, ...], renamed: dict[str, str] | None = None) -> dict[tuple[str, str], str]:
    """Sections that only changed their id: (document, id at FROM) -> id at TO.

    A section gone from a document is the one that took its place when a new section of
    that document has the same title and the same parent (itself renamed or not); where
    several do, the one holding most of its requirements (ids at TO, `renamed` maps those
    renamed), then the one at its position among its siblings. A section that was retitled
    too is the same section when it holds the same requirements, at least one."""
    renamed = renamed or {}
    found: dict[tuple[str, str], str] = {}
    new_documents = {document.id: document for document in after}
    for document in before:
        counterpart = new_documents.get(document.id)
        if counterpart is None:
            continue
        old_tree = _section_facts(document.sections, None)
        new_tree = _section_facts(counterpart.sections, None)
        fresh = [section_id for section_id in new_tree if section_id not in old_tree]
        if not fresh:
            continue
        mapped: dict[str, str] = {}
        for section_id, (title, parent, position, held) in old_tree.items():  # parents before their sections
            if section_id in new_tree:
                continue
            parent_now = mapped.get(parent, parent) if parent is not None else None
            held_now = {renamed.get(rid, rid) for rid in held}
            siblings = [s for s in fresh if new_tree[s][1] == parent_now]
            same_title = [s for s in siblings if new_tree[s][0] == title]
            candidates = same_title or [s for s in siblings if held_now and new_tree[s][3] == held_now]
            if not candidates:
                continue
            best = max(candidates, key=lambda s: (len(new_tree[s][3] & held_now), new_tree[s][2] == position))
            mapped[section_id] = best
            fresh.remove(best)
            found[(document.id, section_id)] = best
    return found


def _section_facts(sections: tuple[Section, ...], parent: str | None) -> dict[str, tuple[str, str | None, int, frozenset[str]]]:
    """section id -> (title, parent section id, position among its siblings, its requirement ids), parents first."""
    out: dict[str, tuple[str, str | None, int, frozenset[str]]] = {}
    for position, section in enumerate(sections):
        out.setdefault(section.id, (section.title, parent, position, frozenset(item for item in section.items if isinstance(item, str))))
    for section in sections:
        for section_id, facts in _section_facts(section.sections, section.id).items():
            out.setdefault(section_id, facts)
    return out


def _slots(run: list[str], changed: set[str], common: set[str]) -> dict[str, int]:
    """For each changed id of a run: how many unchanged ids (of `common`) stand before it."""
    slots = {}
    count = 0
    for rid in run:
        if rid not in common:
            continue
        if rid in changed:
            slots[rid] = count
        else:
            count += 1
    return slots


def _kept_in_order(previous: list[str], current: list[str], changed: set[str]) -> set[str]:
    """The changed ids of a section that kept their place (see requirement_moves)."""
    common = set(previous) & set(current)
    slot_before, slot_after = _slots(previous, changed, common), _slots(current, changed, common)
    same_slot = {rid for rid in slot_after if slot_before.get(rid) == slot_after[rid]}
    kept: set[str] = set()
    for slot in set(slot_after[rid] for rid in same_slot):
        first = [rid for rid in previous if rid in same_slot and slot_before[rid] == slot]
        second = [rid for rid in current if rid in same_slot and slot_after[rid] == slot]
        matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
        kept.update(second[block.b + offset] for block in matcher.get_matching_blocks() for offset in range(block.size))
    return kept


def section_titles(documents: tuple[Document, ...]) -> dict[tuple[str, str | None], str]:
    titles: dict[tuple[str, str | None], str] = {}

    def add(document: str, section: Section) -> None:
        titles[(document, section.id)] = section.title
        for sub in section.sections:
            add(document, sub)

    for document in documents:
        for section in document.sections:
            add(document.id, section)
    return titles


def _section_tree(sections: tuple[Section, ...], parent: str | None, out: dict[str, tuple[str, str | None, int]]) -> None:
    """section id -> (title, parent section id, position among its siblings)."""
    for position, section in enumerate(sections):
        out.setdefault(section.id, (section.title, parent, position))
        _section_tree(section.sections, section.id, out)


def document_changes(before: tuple[Document, ...], after: tuple[Document, ...]) -> list[DocumentChange]:
    """Documents added, removed or changed (title, parent, sections), written documents only."""
    old = {d.id: d for d in before if d.path}
    new = {d.id: d for d in after if d.path}
    renames = section_renames(before, after)
    changes = []
    for document_id in sorted(old.keys() | new.keys()):
        first, second = old.get(document_id), new.get(document_id)
        if first is None:
            assert second is not None
            changes.append(DocumentChange(document_id, "added", second.path, (f"title: {second.title}",)))
            continue
        if second is None:
            changes.append(DocumentChange(document_id, "removed", first.path))
            continue
        details = []
        if first.title != second.title:
            details.append(f"title: {first.title} → {second.title}")
        if first.parent != second.parent:
            details.append(f"parent: {first.parent or '(none)'} → {second.parent or '(none)'}")
        if first.path != second.path:
            details.append(f"file: {first.path} → {second.path}")
        details.extend(_section_changes(first.sections, second.sections, {was: now for (owner, was), now in renames.items() if owner == document_id}))
        if details:
            changes.append(DocumentChange(document_id, "modified", second.path, tuple(details)))
    return changes


def _section_changes(before: tuple[Section, ...], after: tuple[Section, ...], renames: dict[str, str]) -> list[str]:
    """`renames`: id at FROM -> id at TO of the sections that only changed their id (section_renames)."""
    tree: dict[str, tuple[str, str | None, int]] = {}
    new: dict[str, tuple[str, str | None, int]] = {}
    _section_tree(before, None, tree)
    _section_tree(after, None, new)
    # Compared under their ids at TO, so that a renamed section is neither removed nor added.
    old = {renames.get(s, s): (title, renames.get(parent, parent) if parent else parent, position) for s, (title, parent, position) in tree.items()}
    details = [f"section {was} renamed to {now}" for was, now in renames.items()]
    for section_id in [s for s in new if s not in old]:
        details.append(f"section {section_id} added ({new[section_id][0]})")
    for section_id in [s for s in old if s not in new]:
        details.append(f"section {section_id} removed ({old[section_id][0]})")
    # Sections kept under the same parent: which left the run of their siblings.
    siblings_before: dict[str | None, list[str]] = {}
    siblings_after: dict[str | None, list[str]] = {}
    for section_id, (_title, parent, _position) in old.items():
        siblings_before.setdefault(parent, []).append(section_id)
    for section_id, (_title, parent, _position) in new.items():
        siblings_after.setdefault(parent, []).append(section_id)
    for section_id, (title, parent, _position) in new.items():
        if section_id not in old:
            continue
        old_title, old_parent, _ = old[section_id]
        if old_title != title:
            details.append(f"section {section_id} retitled: {old_title} → {title}")
        if old_parent != parent:
            details.append(f"section {section_id} moved into " + (f"section {parent}" if parent else "the top level"))
    for parent, run in siblings_after.items():
        common = [s for s in run if s in old and old[s][1] == parent]
        previous = [s for s in siblings_before.get(parent, []) if s in set(common)]
        matcher = difflib.SequenceMatcher(None, previous, common, autojunk=False)
        kept = {common[block.b + offset] for block in matcher.get_matching_blocks() for offset in range(block.size)}
        for section_id in common:
            if section_id not in kept:
                index = run.index(section_id)
                details.append(f"section {section_id} moved " + (f"after section {run[index - 1]}" if index else "to the front"))
    return details

